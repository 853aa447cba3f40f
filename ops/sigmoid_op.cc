// Sigmoid and SigmoidGradient: the logistic function.
//
//   y  = 1 / (1 + exp(-x))
//   dx = dy * y * (1 - y)
//
// The gradient reads the forward output, not the input, so Sigmoid may run
// in place (as Caffe2's Sigmoid). The kernel's accuracy is stated in
// ops/kernels/activation_kernels.h.
#include "core/registry.h"
#include "ops/kernels/activation_kernels.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: an exp and a
// division, about what Selu costs (ops/selu_op.cc); doubled for float64.
struct SigmoidKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.15;
  template <typename T>
  static void Run(const T* x, T* y, int64_t n, T /*alpha*/) {
    kernels::Sigmoid(x, y, n);
  }
};

struct SigmoidGradKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.1;
  template <typename T>
  static void Run(const T* y, const T* dy, T* dx, int64_t n, T /*alpha*/) {
    kernels::SigmoidGradient(y, dy, dx, n);
  }
};

class GetSigmoidGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("SigmoidGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Sigmoid)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "sigmoid(X), same type and shape as X.")
    .SetDoc("Y = 1 / (1 + exp(-X)), elementwise; +inf -> 1, -inf -> 0, NaN -> NaN.");

OPERATOR_SCHEMA(SigmoidGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "Y", "Output of the forward Sigmoid.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY * Y * (1 - Y).");

REGISTER_CPU_OPERATOR(Sigmoid, UnaryElementwiseOp<SigmoidKernel>);
REGISTER_CPU_OPERATOR(SigmoidGradient, UnaryElementwiseGradientOp<SigmoidGradKernel>);
REGISTER_GRADIENT(Sigmoid, GetSigmoidGradient);
SHOULD_NOT_DO_GRADIENT(SigmoidGradient);

}  // namespace opgraph
