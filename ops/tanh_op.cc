// Tanh and TanhGradient: the hyperbolic tangent.
//
//   y  = tanh(x)
//   dx = dy * (1 - y^2)
//
// The gradient reads the forward output, not the input, so Tanh may run in
// place (as Caffe2's Tanh). The kernel's accuracy is stated in
// ops/kernels/activation_kernels.h.
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor: an expm1 and a
// division, about what Selu costs (ops/selu_op.cc); doubled for float64.
constexpr double kTanhNsPerElement = 0.15;
constexpr double kTanhGradientNsPerElement = 0.1;
// Split points a multiple of 16 elements keep each thread's output on its
// own cache lines.
constexpr int64_t kElementsPerCacheLine = 16;

class TanhOp final : public OperatorBase {
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
          NumThreads(), x.numel(), kTanhNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) { kernels::Tanh(in + begin, out + begin, end - begin); },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
};

class TanhGradientOp final : public OperatorBase {
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
          NumThreads(), y.numel(), kTanhGradientNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::TanhGradient(yv + begin, g + begin, out + begin, end - begin);
          },
          kElementsPerCacheLine);
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
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

REGISTER_CPU_OPERATOR(Tanh, TanhOp);
REGISTER_CPU_OPERATOR(TanhGradient, TanhGradientOp);
REGISTER_GRADIENT(Tanh, GetTanhGradient);
SHOULD_NOT_DO_GRADIENT(TanhGradient);

}  // namespace opgraph
