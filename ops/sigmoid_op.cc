// Sigmoid and SigmoidGradient: the logistic function.
//
//   y  = 1 / (1 + exp(-x))
//   dx = dy * y * (1 - y)
//
// The gradient reads the forward output, not the input, so Sigmoid may run
// in place (as Caffe2's Sigmoid). The kernel's accuracy is stated in
// ops/kernels/activation_kernels.h.
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: an exp and a
// division, about what Selu costs (ops/selu_op.cc); doubled for float64.
constexpr double kSigmoidNsPerElement = 0.15;
constexpr double kSigmoidGradientNsPerElement = 0.1;
// Split points a multiple of 16 elements keep each thread's output on its
// own cache lines.
constexpr int64_t kElementsPerCacheLine = 16;

class SigmoidOp final : public OperatorBase {
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
          NumThreads(), x.numel(), kSigmoidNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::Sigmoid(in + begin, out + begin, end - begin);
          },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
};

class SigmoidGradientOp final : public OperatorBase {
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
          NumThreads(), y.numel(), kSigmoidGradientNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::SigmoidGradient(yv + begin, g + begin, out + begin, end - begin);
          },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
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

REGISTER_CPU_OPERATOR(Sigmoid, SigmoidOp);
REGISTER_CPU_OPERATOR(SigmoidGradient, SigmoidGradientOp);
REGISTER_GRADIENT(Sigmoid, GetSigmoidGradient);
SHOULD_NOT_DO_GRADIENT(SigmoidGradient);

}  // namespace opgraph
