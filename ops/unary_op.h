// The operator classes shared by the element-wise unary operators (Relu,
// Sigmoid, Tanh, Exp, Log, Sqrt, Negative, Abs, LeakyRelu, Elu) and their
// gradients. Each family's file (ops/exp_op.cc, ...) holds its schema, doc
// and gradient maker and registers these classes with its kernel.
//
//   UnaryElementwiseOp<K>          Y = f(X)          inputs X; output Y
//   UnaryElementwiseGradientOp<K>  dX = g(A, dY)     inputs A, dY; output dX
//
// where A is the forward output Y or the input X, as the family says. K
// describes the kernel:
//   static constexpr double kNsPerElement;  // single-thread cost per
//                                           // float32 element (ParallelFor;
//                                           // doubled for float64)
//   static constexpr bool kHasAlpha;        // reads argument `alpha`
//   template <typename T>
//   static void Run(const T* x, T* y, int64_t n, T alpha);           // forward
//   static void Run(const T* a, const T* dy, T* dx, int64_t n, T alpha);  // grad
// Both classes run any float32 or float64 tensor; Prepare reads the type
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

// K for the kernels of ops/kernels/unary_kernels.h. Costs per float32
// element, single thread, as measured with `opgraph bench --per-op
// --threads 1` on 2^20 floats (AVX2 target, shared 2-core machine): Exp
// 0.77 ns, Log 0.79, Elu 0.37, Sqrt 0.21, LeakyRelu, Abs and Negative 0.15
// (as Relu: memory bound); every gradient 0.13-0.16.
template <kernels::UnaryFn kFn>
struct UnaryKernel {
  static constexpr bool kHasAlpha =
      kFn == kernels::UnaryFn::kLeakyRelu || kFn == kernels::UnaryFn::kElu;
  static constexpr double kNsPerElement =
      kFn == kernels::UnaryFn::kExp || kFn == kernels::UnaryFn::kLog ? 0.8
      : kFn == kernels::UnaryFn::kElu                                ? 0.4
      : kFn == kernels::UnaryFn::kSqrt                               ? 0.2
                                                                     : 0.15;
  template <typename T>
  static void Run(const T* x, T* y, int64_t n, T alpha) {
    kernels::Unary(kFn, x, y, n, alpha);
  }
};

template <kernels::UnaryGradFn kFn>
struct UnaryGradKernel {
  static constexpr bool kHasAlpha =
      kFn == kernels::UnaryGradFn::kLeakyRelu || kFn == kernels::UnaryGradFn::kElu;
  static constexpr double kNsPerElement = 0.15;
  template <typename T>
  static void Run(const T* a, const T* dy, T* dx, int64_t n, T alpha) {
    kernels::UnaryGradient(kFn, a, dy, dx, n, alpha);
  }
};

template <class K>
class UnaryElementwiseOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status Init() override {
    if constexpr (K::kHasAlpha) return unary_internal::ReadAlpha(*this, &alpha_);
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
          NumThreads(), x.numel(), K::kNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) { K::Run(in + begin, out + begin, end - begin, alpha); },
          unary_internal::kElementsPerCacheLine);
    });
  }

 private:
  float alpha_ = 0;
  DType dtype_ = DType::kUndefined;
};

template <class K>
class UnaryElementwiseGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputA = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kOutputDX = 0;

  absl::Status Init() override {
    if constexpr (K::kHasAlpha) return unary_internal::ReadAlpha(*this, &alpha_);
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
          NumThreads(), a.numel(), K::kNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            K::Run(av + begin, g + begin, out + begin, end - begin, alpha);
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
