// Elu and EluGradient: the exponential linear unit (Caffe2's names,
// argument and default).
//
//   y  = x                    for x >= 0 (and NaN)
//   y  = alpha * expm1(x)     for x < 0
//   dx = dy where y > 0, else dy * (y + alpha)
//
// The gradient reads the forward output, so Elu may run in place (as
// Caffe2's). alpha >= 0 is required, as Caffe2 enforces, so that y > 0
// exactly where x > 0. The kernel is Selu's with scale 1 (accuracy in
// ops/kernels/unary_kernels.h).
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

constexpr char kAlphaDoc[] = "Scale of the negative branch; finite and >= 0.";

class GetEluGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("EluGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Elu)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Arg("alpha", 1.0f, kAlphaDoc)
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "elu(X), same type and shape as X.")
    .SetDoc(
        "Y = X where X >= 0, else alpha * (exp(X) - 1), elementwise; -inf -> -alpha, NaN -> "
        "NaN, -0 -> -0.");

OPERATOR_SCHEMA(EluGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Arg("alpha", 1.0f, kAlphaDoc)
    .Input(0, "Y", "Output of the forward Elu.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY where Y > 0, else dY * (Y + alpha).");

REGISTER_CPU_OPERATOR(Elu, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kElu>>);
REGISTER_CPU_OPERATOR(EluGradient,
                      UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kElu>>);
REGISTER_GRADIENT(Elu, GetEluGradient);
SHOULD_NOT_DO_GRADIENT(EluGradient);

}  // namespace opgraph
