// Highway kernels of ops/kernels/binary_kernels.h. This file includes itself
// through hwy/foreach_target.h: the code inside HWY_NAMESPACE is compiled
// once per target; the dispatching functions at the bottom once (HWY_ONCE).
#include "ops/kernels/binary_kernels.h"

#include <cstddef>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/binary_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct AddFn {
  template <class V>
  V operator()(V x, V y) const {
    return hn::Add(x, y);
  }
  template <typename T>
  T Scalar(T x, T y) const {
    return x + y;
  }
};
struct SubFn {
  template <class V>
  V operator()(V x, V y) const {
    return hn::Sub(x, y);
  }
  template <typename T>
  T Scalar(T x, T y) const {
    return x - y;
  }
};
struct MulFn {
  template <class V>
  V operator()(V x, V y) const {
    return hn::Mul(x, y);
  }
  template <typename T>
  T Scalar(T x, T y) const {
    return x * y;
  }
};
struct DivFn {
  template <class V>
  V operator()(V x, V y) const {
    return hn::Div(x, y);
  }
  template <typename T>
  T Scalar(T x, T y) const {
    return x / y;
  }
};

// Form 0: a[i] op b[i]; 1: a[i] op *b; 2: *a op b[i].
template <int kForm, typename T, class Fn>
void Loop(Fn fn, const T* a, const T* b, T* c, size_t n) {
  const hn::ScalableTag<T> d;
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  if constexpr (kForm == 0) {
    for (; i + lanes <= n; i += lanes) {
      hn::StoreU(fn(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, c + i);
    }
    for (; i < n; ++i) c[i] = fn.Scalar(a[i], b[i]);
  } else if constexpr (kForm == 1) {
    const auto vb = hn::Set(d, *b);
    for (; i + lanes <= n; i += lanes) hn::StoreU(fn(hn::LoadU(d, a + i), vb), d, c + i);
    for (; i < n; ++i) c[i] = fn.Scalar(a[i], *b);
  } else {
    const auto va = hn::Set(d, *a);
    for (; i + lanes <= n; i += lanes) hn::StoreU(fn(va, hn::LoadU(d, b + i)), d, c + i);
    for (; i < n; ++i) c[i] = fn.Scalar(*a, b[i]);
  }
}

template <int kForm, typename T>
void Run(int op, const T* a, const T* b, T* c, size_t n) {
  switch (op) {
    case 0:
      return Loop<kForm>(AddFn(), a, b, c, n);
    case 1:
      return Loop<kForm>(SubFn(), a, b, c, n);
    case 2:
      return Loop<kForm>(MulFn(), a, b, c, n);
    default:
      return Loop<kForm>(DivFn(), a, b, c, n);
  }
}

void SameF32(int op, const float* a, const float* b, float* c, size_t n) { Run<0>(op, a, b, c, n); }
void SameF64(int op, const double* a, const double* b, double* c, size_t n) {
  Run<0>(op, a, b, c, n);
}
void ScalarBF32(int op, const float* a, const float* b, float* c, size_t n) {
  Run<1>(op, a, b, c, n);
}
void ScalarBF64(int op, const double* a, const double* b, double* c, size_t n) {
  Run<1>(op, a, b, c, n);
}
void ScalarAF32(int op, const float* a, const float* b, float* c, size_t n) {
  Run<2>(op, a, b, c, n);
}
void ScalarAF64(int op, const double* a, const double* b, double* c, size_t n) {
  Run<2>(op, a, b, c, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace opgraph {
namespace kernels {

HWY_EXPORT(SameF32);
HWY_EXPORT(SameF64);
HWY_EXPORT(ScalarBF32);
HWY_EXPORT(ScalarBF64);
HWY_EXPORT(ScalarAF32);
HWY_EXPORT(ScalarAF64);

namespace {
size_t U(int64_t v) { return static_cast<size_t>(v); }
int I(BinaryOp op) { return static_cast<int>(op); }
}  // namespace

void BinarySame(BinaryOp op, const float* a, const float* b, float* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(SameF32)(I(op), a, b, c, U(n));
}
void BinarySame(BinaryOp op, const double* a, const double* b, double* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(SameF64)(I(op), a, b, c, U(n));
}
void BinaryScalarB(BinaryOp op, const float* a, float b, float* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(ScalarBF32)(I(op), a, &b, c, U(n));
}
void BinaryScalarB(BinaryOp op, const double* a, double b, double* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(ScalarBF64)(I(op), a, &b, c, U(n));
}
void BinaryScalarA(BinaryOp op, float a, const float* b, float* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(ScalarAF32)(I(op), &a, b, c, U(n));
}
void BinaryScalarA(BinaryOp op, double a, const double* b, double* c, int64_t n) {
  if (n > 0) HWY_DYNAMIC_DISPATCH(ScalarAF64)(I(op), &a, b, c, U(n));
}

}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
