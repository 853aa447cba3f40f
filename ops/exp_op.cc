// Exp and ExpGradient.
//
//   y  = exp(x)
//   dx = dy * y
//
// The gradient reads the forward output, so Exp may run in place. Caffe2
// writes this gradient as a Mul of Y and dY; opgraph has its own
// ExpGradient operator for it.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

class GetExpGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ExpGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Exp)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "exp(X), same type and shape as X.")
    .SetDoc(
        "Y = exp(X), elementwise (within 2 ULP); -inf -> 0, +inf and overflow -> +inf, NaN -> "
        "NaN; results below the normal range are subnormals, not flushed to 0.");

OPERATOR_SCHEMA(ExpGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "Y", "Output of the forward Exp.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY * Y.");

REGISTER_CPU_OPERATOR(Exp, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kExp>>);
REGISTER_CPU_OPERATOR(ExpGradient,
                      UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kExp>>);
REGISTER_GRADIENT(Exp, GetExpGradient);
SHOULD_NOT_DO_GRADIENT(ExpGradient);

}  // namespace opgraph
