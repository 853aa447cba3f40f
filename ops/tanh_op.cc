// Tanh and TanhGradient: the hyperbolic tangent.
//
//   y  = tanh(x)
//   dx = dy * (1 - y^2)
//
// The gradient reads the forward output, not the input, so Tanh may run in
// place (as Caffe2's Tanh). The kernel's accuracy is stated in
// ops/kernels/activation_kernels.h.
#include "core/registry.h"
#include "ops/kernels/activation_kernels.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: an expm1 and a
// division, about what Selu costs (ops/selu_op.cc); doubled for float64.
struct TanhKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.15;
  template <typename T>
  static void Run(const T* x, T* y, int64_t n, T /*alpha*/) {
    kernels::Tanh(x, y, n);
  }
};

struct TanhGradKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.1;
  template <typename T>
  static void Run(const T* y, const T* dy, T* dx, int64_t n, T /*alpha*/) {
    kernels::TanhGradient(y, dy, dx, n);
  }
};

class GetTanhGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("TanhGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Tanh)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "tanh(X), same type and shape as X.")
    .SetDoc("Y = tanh(X), elementwise; +-inf -> +-1, NaN -> NaN, +-0 -> +-0.");

OPERATOR_SCHEMA(TanhGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "Y", "Output of the forward Tanh.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY * (1 - Y^2).");

REGISTER_CPU_OPERATOR(Tanh, UnaryElementwiseOp<TanhKernel>);
REGISTER_CPU_OPERATOR(TanhGradient, UnaryElementwiseGradientOp<TanhGradKernel>);
REGISTER_GRADIENT(Tanh, GetTanhGradient);
SHOULD_NOT_DO_GRADIENT(TanhGradient);

}  // namespace opgraph
