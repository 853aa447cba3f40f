// Abs and AbsGradient.
//
//   y  = |x|
//   dx = sign(x) * dy   (0 where x == 0, as Caffe2)
//
// The gradient reads the forward input, so Abs does not run in place.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

class GetAbsGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("AbsGradient", "", {I(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Abs)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "|X|, same type and shape as X.")
    .SetDoc("Y = |X|, elementwise (the sign bit cleared: exact, -0 -> 0).");

OPERATOR_SCHEMA(AbsGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "X", "Input of the forward Abs.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as X.")
    .Output(0, "dX", "Gradient with respect to X.")
    .SetDoc("dX = dY where X > 0, -dY where X < 0, 0 where X == 0, NaN where X is NaN.");

REGISTER_CPU_OPERATOR(Abs, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kAbs>>);
REGISTER_CPU_OPERATOR(AbsGradient,
                      UnaryElementwiseGradientOp<UnaryGradKernel<kernels::UnaryGradFn::kAbs>>);
REGISTER_GRADIENT(Abs, GetAbsGradient);
SHOULD_NOT_DO_GRADIENT(AbsGradient);

}  // namespace opgraph
