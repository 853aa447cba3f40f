// The operator classes shared by the element-wise unary operators (Exp,
// Log, Sqrt, Negative, Abs, LeakyRelu, Elu) and their gradients. Each
// family's file (ops/exp_op.cc, ...) holds its schema, doc and gradient
// maker and registers these classes with its kernel function.
//
//   UnaryElementwiseOp<fn>          Y = f(X)          inputs X; output Y
//   UnaryElementwiseGradientOp<fn>  dX = g(A, dY)     inputs A, dY; output dX
//
// where A is the forward output Y or the input X, as kernels::UnaryGradFn
// says. Both run any float32 or float64 tensor; Prepare reads the type
// once, RunOnDevice splits the elements over the workspace's threads (the
// kernels are element-wise, so any split gives the same bits).
#ifndef OPGRAPH_OPS_UNARY_OP_H_
#define OPGRAPH_OPS_UNARY_OP_H_

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/operator.h"
#include "core/parallel.h"
#include "ops/kernels/unary_kernels.h"

namespace opgraph {
namespace unary_internal {

// Single-thread cost per float32 element for ParallelFor (doubled for
// float64): a load, a store and a few vector instructions for the cheap
// ones, a polynomial (exp, log) or a divide or square root for the others.
constexpr double NsPerElement(kernels::UnaryFn fn) {
  switch (fn) {
    case kernels::UnaryFn::kExp:
    case kernels::UnaryFn::kElu:
      return 0.15;
    case kernels::UnaryFn::kLog:
      return 0.2;
    case kernels::UnaryFn::kSqrt:
      return 0.1;
    default:
      return 0.05;
  }
}
constexpr double NsPerElement(kernels::UnaryGradFn fn) {
  return fn == kernels::UnaryGradFn::kLog || fn == kernels::UnaryGradFn::kSqrt ? 0.15 : 0.08;
}

constexpr bool HasAlpha(kernels::UnaryFn fn) {
  return fn == kernels::UnaryFn::kLeakyRelu || fn == kernels::UnaryFn::kElu;
}
constexpr bool HasAlpha(kernels::UnaryGradFn fn) {
  return fn == kernels::UnaryGradFn::kLeakyRelu || fn == kernels::UnaryGradFn::kElu;
}

// Split points a multiple of 16 elements keep each thread's output on its
// own cache lines.
constexpr int64_t kElementsPerCacheLine = 16;

// Reads `alpha` (the schema holds its default). InvalidArgument unless it is
// finite and >= 0: the gradients tell the branches apart by the sign of
// the output, which a negative alpha would flip.
inline absl::Status ReadAlpha(const OperatorBase& op, float* alpha) {
  *alpha = op.Arg<float>("alpha");
  if (!std::isfinite(*alpha) || *alpha < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'alpha' must be finite and >= 0, got ", *alpha));
  }
  return absl::OkStatus();
}

}  // namespace unary_internal

template <kernels::UnaryFn kFn>
class UnaryElementwiseOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status Init() override {
    if constexpr (unary_internal::HasAlpha(kFn)) return unary_internal::ReadAlpha(*this, &alpha_);
    return absl::OkStatus();
  }

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
      const T alpha = static_cast<T>(alpha_);
      ParallelFor(
          NumThreads(), x.numel(), unary_internal::NsPerElement(kFn) * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::Unary(kFn, in + begin, out + begin, end - begin, alpha);
          },
          unary_internal::kElementsPerCacheLine);
    });
  }

 private:
  float alpha_ = 0;
  DType dtype_ = DType::kUndefined;
};

template <kernels::UnaryGradFn kFn>
class UnaryElementwiseGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputA = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kOutputDX = 0;

  absl::Status Init() override {
    if constexpr (unary_internal::HasAlpha(kFn)) return unary_internal::ReadAlpha(*this, &alpha_);
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputA).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Tensor& a = Input(kInputA);
      const T* av = a.template data<T>();
      const T* g = Input(kInputDY).template data<T>();
      T* out = Output(kOutputDX)->template mutable_data<T>();
      const T alpha = static_cast<T>(alpha_);
      ParallelFor(
          NumThreads(), a.numel(), unary_internal::NsPerElement(kFn) * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            kernels::UnaryGradient(kFn, av + begin, g + begin, out + begin, end - begin, alpha);
          },
          unary_internal::kElementsPerCacheLine);
    });
  }

 private:
  float alpha_ = 0;
  DType dtype_ = DType::kUndefined;
};

}  // namespace opgraph

#endif  // OPGRAPH_OPS_UNARY_OP_H_
