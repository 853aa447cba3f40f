// Log and LogGradient: the natural logarithm.
//
//   y  = log(x)
//   dx = dy / x
//
// The gradient reads the forward input, so Log does not run in place (an
// in-place Log would overwrite what its gradient needs). Caffe2 writes this
// gradient as a Div of dY by X; opgraph has its own LogGradient operator.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

class GetLogGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("LogGradient", "", {I(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Log)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "log(X), same type and shape as X.")
    .SetDoc(
        "Y = log(X), elementwise (within 2 ULP), as numpy: +-0 -> -inf, X < 0 -> NaN, +inf -> "
        "+inf, NaN -> NaN; subnormal X is handled.");

OPERATOR_SCHEMA(LogGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "X", "Input of the forward Log.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as X.")
    .Output(0, "dX", "Gradient with respect to X.")
    .SetDoc("dX = dY / X.");

REGISTER_CPU_OPERATOR(Log, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kLog>>);
REGISTER_CPU_OPERATOR(LogGradient,
                      UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kLog>>);
REGISTER_GRADIENT(Log, GetLogGradient);
SHOULD_NOT_DO_GRADIENT(LogGradient);

}  // namespace opgraph
