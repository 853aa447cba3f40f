// Negative: y = -x (Caffe2's name; ONNX calls it Neg). Its gradient is
// Negative of dY, as in Caffe2.
#include "core/registry.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

class GetNegativeGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("Negative", "", {GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Negative)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "-X, same type and shape as X.")
    .SetDoc("Y = -X, elementwise (the sign bit flipped: exact, 0 -> -0, NaN stays NaN).");

REGISTER_CPU_OPERATOR(Negative, UnaryElementwiseOp<UnaryKernel<kernels::UnaryFn::kNegative>>);
REGISTER_GRADIENT(Negative, GetNegativeGradient);

}  // namespace opgraph
