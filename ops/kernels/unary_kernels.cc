// Element-wise unary kernels: the dispatch glue. The functors are in
// unary-inl.h; Elu reuses Selu's functors of selu-inl.h with scale 1.
//
// This file includes itself through hwy/foreach_target.h, as
// activation_kernels.cc does: the entry points inside HWY_NAMESPACE are
// compiled once per target, the dispatching functions at the bottom once.

#include "ops/kernels/unary_kernels.h"

#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/unary_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/kernels/selu-inl.h"
#include "ops/kernels/unary-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <typename T>
void UnaryT(UnaryFn fn, const T* x, T* y, size_t n, T alpha) {
  const hn::ScalableTag<T> d;
  switch (fn) {
    case UnaryFn::kLeakyRelu:
      return ApplyFn(d, LeakyReluFn<T>{alpha}, x, y, n);
    case UnaryFn::kElu:
      return ApplyFn(d, SeluFn<T>{T(1), alpha}, x, y, n);
    case UnaryFn::kExp:
      return ApplyFn(d, ExpFn(), x, y, n);
    case UnaryFn::kLog:
      return ApplyFn(d, LogFn(), x, y, n);
    case UnaryFn::kSqrt:
      return ApplyFn(d, SqrtFn(), x, y, n);
    case UnaryFn::kNegative:
      return ApplyFn(d, NegativeFn(), x, y, n);
    case UnaryFn::kAbs:
      return ApplyFn(d, AbsFn(), x, y, n);
  }
}

template <typename T>
void UnaryGradT(UnaryGradFn fn, const T* a, const T* dy, T* dx, size_t n, T alpha) {
  switch (fn) {
    case UnaryGradFn::kLeakyRelu:
      return MapBinary(LeakyReluGradOp<T>{alpha}, a, dy, dx, n);
    case UnaryGradFn::kElu:
      return MapBinary(SeluGradOp<T>{T(1), alpha}, a, dy, dx, n);
    case UnaryGradFn::kExp:
      return MapBinary(ExpGradOp(), a, dy, dx, n);
    case UnaryGradFn::kLog:
      return MapBinary(LogGradOp(), a, dy, dx, n);
    case UnaryGradFn::kSqrt:
      return MapBinary(SqrtGradOp(), a, dy, dx, n);
    case UnaryGradFn::kAbs:
      return MapBinary(AbsGradOp(), a, dy, dx, n);
  }
}

// Non-template entry points, one set per target, for HWY_EXPORT.
void UnaryF32(UnaryFn fn, const float* x, float* y, size_t n, float alpha) {
  UnaryT(fn, x, y, n, alpha);
}
void UnaryF64(UnaryFn fn, const double* x, double* y, size_t n, double alpha) {
  UnaryT(fn, x, y, n, alpha);
}
void UnaryGradF32(UnaryGradFn fn, const float* a, const float* dy, float* dx, size_t n,
                  float alpha) {
  UnaryGradT(fn, a, dy, dx, n, alpha);
}
void UnaryGradF64(UnaryGradFn fn, const double* a, const double* dy, double* dx, size_t n,
                  double alpha) {
  UnaryGradT(fn, a, dy, dx, n, alpha);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace opgraph {
namespace kernels {

HWY_EXPORT(UnaryF32);
HWY_EXPORT(UnaryF64);
HWY_EXPORT(UnaryGradF32);
HWY_EXPORT(UnaryGradF64);

void Unary(UnaryFn fn, const float* x, float* y, int64_t n, float alpha) {
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryF32)(fn, x, y, static_cast<size_t>(n), alpha);
}
void Unary(UnaryFn fn, const double* x, double* y, int64_t n, double alpha) {
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryF64)(fn, x, y, static_cast<size_t>(n), alpha);
}
void UnaryGradient(UnaryGradFn fn, const float* a, const float* dy, float* dx, int64_t n,
                   float alpha) {
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryGradF32)(fn, a, dy, dx, static_cast<size_t>(n), alpha);
}
void UnaryGradient(UnaryGradFn fn, const double* a, const double* dy, double* dx, int64_t n,
                   double alpha) {
  if (n <= 0) return;
  HWY_DYNAMIC_DISPATCH(UnaryGradF64)(fn, a, dy, dx, static_cast<size_t>(n), alpha);
}

}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
