// Sqrt and SqrtGradient.
//
//   y  = sqrt(x)
//   dx = (0.5 * dy) / y
//
// The gradient reads the forward output, so Sqrt may run in place. Caffe2
// builds this gradient from a constant 0.5, Mul and Div; opgraph has its
// own SqrtGradient operator.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

class GetSqrtGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("SqrtGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Sqrt)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "sqrt(X), same type and shape as X.")
    .SetDoc(
        "Y = sqrt(X), elementwise, correctly rounded (IEEE); -0 -> -0, X < 0 -> NaN, +inf -> "
        "+inf.");

OPERATOR_SCHEMA(SqrtGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "Y", "Output of the forward Sqrt.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = (0.5 * dY) / Y.");

REGISTER_CPU_OPERATOR(Sqrt, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kSqrt>>);
REGISTER_CPU_OPERATOR(SqrtGradient,
                      UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kSqrt>>);
REGISTER_GRADIENT(Sqrt, GetSqrtGradient);
SHOULD_NOT_DO_GRADIENT(SqrtGradient);

}  // namespace opgraph
