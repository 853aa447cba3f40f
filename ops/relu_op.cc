// Relu and ReluGradient: the rectified linear unit.
//
//   y  = x    for x >= 0 (and NaN),  0 for x < 0
//   dx = dy   where y > 0,           0 elsewhere
//
// The gradient reads the forward output, not the input, so Relu may run in
// place (as Caffe2's Relu).
#include "core/registry.h"
#include "ops/kernels/activation_kernels.h"
#include "ops/unary_op.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: a select bound by
// memory bandwidth, about what Selu's gradient costs (ops/selu_op.cc);
// doubled for float64.
struct ReluKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.1;
  template <typename T>
  static void Run(const T* x, T* y, int64_t n, T /*alpha*/) {
    kernels::Relu(x, y, n);
  }
};

struct ReluGradKernel {
  static constexpr bool kHasAlpha = false;
  static constexpr double kNsPerElement = 0.1;
  template <typename T>
  static void Run(const T* y, const T* dy, T* dx, int64_t n, T /*alpha*/) {
    kernels::ReluGradient(y, dy, dx, n);
  }
};

class GetReluGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ReluGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Relu)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "relu(X), same type and shape as X.")
    .SetDoc("Y = X where X >= 0, else 0, elementwise (exact; NaN stays NaN, -0 stays -0).");

OPERATOR_SCHEMA(ReluGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Input(0, "Y", "Output of the forward Relu.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY where Y > 0, else 0.");

REGISTER_CPU_OPERATOR(Relu, UnaryElementwiseOp<ReluKernel>);
REGISTER_CPU_OPERATOR(ReluGradient, UnaryElementwiseGradientOp<ReluGradKernel>);
REGISTER_GRADIENT(Relu, GetReluGradient);
SHOULD_NOT_DO_GRADIENT(ReluGradient);

}  // namespace opgraph
