// LeakyRelu and LeakyReluGradient (Caffe2's names, argument and defaults).
//
//   y  = x          for x >= 0 (and NaN)
//   y  = alpha * x  for x < 0
//   dx = dy where y > 0, else alpha * dy
//
// The gradient reads the forward output, so LeakyRelu may run in place (as
// Caffe2's). Caffe2 takes the slope 1 at y == 0; opgraph takes alpha there
// (the kink), which keeps alpha == 0 right: its negative branch gives y =
// -0, which Caffe2's y >= 0 test would send to the slope-1 branch.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

constexpr char kAlphaDoc[] =
    "Slope for x < 0; finite and >= 0 (the gradient tells the branches apart by the sign of "
    "Y).";

class GetLeakyReluGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("LeakyReluGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(LeakyRelu)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Arg("alpha", 0.01f, kAlphaDoc)
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "leaky_relu(X), same type and shape as X.")
    .SetDoc(
        "Y = X where X >= 0, else alpha * X, elementwise (correctly rounded; NaN stays NaN, -0 "
        "stays -0).");

OPERATOR_SCHEMA(LeakyReluGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Arg("alpha", 0.01f, kAlphaDoc)
    .Input(0, "Y", "Output of the forward LeakyRelu.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY where Y > 0, else alpha * dY.");

REGISTER_CPU_OPERATOR(LeakyRelu, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kLeakyRelu>>);
REGISTER_CPU_OPERATOR(
    LeakyReluGradient,
    UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kLeakyRelu>>);
REGISTER_GRADIENT(LeakyRelu, GetLeakyReluGradient);
SHOULD_NOT_DO_GRADIENT(LeakyReluGradient);

}  // namespace opgraph
