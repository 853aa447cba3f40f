// Relu and ReluGradient: the rectified linear unit.
//
//   y  = x    for x >= 0 (and NaN),  0 for x < 0
//   dx = dy   where y > 0,           0 elsewhere
//
// The gradient reads the forward output, not the input, so Relu may run in
// place (as Caffe2's Relu).
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: a select bound by
// memory bandwidth, about what Selu's gradient costs (ops/selu_op.cc);
// doubled for float64.
constexpr double kReluNsPerElement = 0.1;
// Split points a multiple of 16 elements keep each thread's output on its
// own cache lines.
constexpr int64_t kElementsPerCacheLine = 16;

class ReluOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputX).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Tensor& x = Input(kInputX);
      const T* in = x.template data<T>();
      T* out = Output(kOutputY)->template mutable_data<T>();
      ParallelFor(
          NumThreads(), x.numel(), kReluNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) { kernels::Relu(in + begin, out + begin, end - begin); },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
};

class ReluGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputY = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kOutputDX = 0;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputY).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Tensor& y = Input(kInputY);
      const T* yv = y.template data<T>();
      const T* g = Input(kInputDY).template data<T>();
      T* out = Output(kOutputDX)->template mutable_data<T>();
      ParallelFor(
          NumThreads(), y.numel(), kReluNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::ReluGradient(yv + begin, g + begin, out + begin, end - begin);
          },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
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

REGISTER_CPU_OPERATOR(Relu, ReluOp);
REGISTER_CPU_OPERATOR(ReluGradient, ReluGradientOp);
REGISTER_GRADIENT(Relu, GetReluGradient);
SHOULD_NOT_DO_GRADIENT(ReluGradient);

}  // namespace opgraph
