// LogSoftmax kernels (log_softmax_kernels.h), compiled once per Highway
// target through hwy/foreach_target.h, like activation_kernels.cc, with exp
// from exp-inl.h. A contiguous row (inner == 1) is vectorized along the
// row; a strided one across `inner`, a vector of columns at a time, with
// the last inner % lanes columns done one by one in scalar code.

#include "ops/kernels/log_softmax_kernels.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/log_softmax_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One column (stride `s`, length d) in scalar code, same formula.
template <typename T>
void LogSoftmaxColumn(const T* x, T* y, size_t d, size_t s) {
  T m = x[0];
  for (size_t k = 1; k < d; ++k) m = x[k * s] > m ? x[k * s] : m;
  T sum = 0;
  for (size_t k = 0; k < d; ++k) sum += std::exp(x[k * s] - m);
  const T l = std::log(sum);
  for (size_t k = 0; k < d; ++k) y[k * s] = (x[k * s] - m) - l;
}

template <typename T>
void LogSoftmaxGradColumn(const T* y, const T* dy, T* dx, size_t d, size_t s) {
  T sum = 0;
  for (size_t k = 0; k < d; ++k) sum += dy[k * s];
  for (size_t k = 0; k < d; ++k) dx[k * s] = dy[k * s] - std::exp(y[k * s]) * sum;
}

template <typename T>
void LogSoftmaxImpl(const T* x, T* y, size_t outer, size_t d, size_t inner) {
  const hn::ScalableTag<T> dt;
  using V = hn::Vec<decltype(dt)>;
  const size_t n = hn::Lanes(dt);
  HWY_ALIGN T lanes[hn::MaxLanes(dt)];
  for (size_t o = 0; o < outer; ++o) {
    const T* xo = x + o * d * inner;
    T* yo = y + o * d * inner;
    if (inner == 1) {
      size_t i = 0;
      V vm = hn::Set(dt, -std::numeric_limits<T>::infinity());
      for (; i + n <= d; i += n) vm = hn::Max(vm, hn::LoadU(dt, xo + i));
      T m = hn::GetLane(hn::MaxOfLanes(dt, vm));
      for (; i < d; ++i) m = xo[i] > m ? xo[i] : m;
      const V mv = hn::Set(dt, m);
      V vs = hn::Zero(dt);
      for (i = 0; i + n <= d; i += n) {
        vs = hn::Add(vs, ExpNonPositive(dt, hn::Sub(hn::LoadU(dt, xo + i), mv)));
      }
      T sum = hn::GetLane(hn::SumOfLanes(dt, vs));
      for (; i < d; ++i) sum += std::exp(xo[i] - m);
      // A NaN x gives a NaN x - m whatever m is, and exp keeps NaN, so the
      // sum (and with it every element) is NaN without a separate check.
      const V lv = hn::Set(dt, std::log(sum));
      for (i = 0; i + n <= d; i += n) {
        hn::StoreU(hn::Sub(hn::Sub(hn::LoadU(dt, xo + i), mv), lv), dt, yo + i);
      }
      const T l = std::log(sum);
      for (; i < d; ++i) yo[i] = (xo[i] - m) - l;
      continue;
    }
    size_t j = 0;
    for (; j + n <= inner; j += n) {
      V vm = hn::LoadU(dt, xo + j);
      for (size_t k = 1; k < d; ++k) vm = hn::Max(vm, hn::LoadU(dt, xo + k * inner + j));
      V vs = hn::Zero(dt);
      for (size_t k = 0; k < d; ++k) {
        const V xk = hn::LoadU(dt, xo + k * inner + j);
        vs = hn::Add(vs, ExpNonPositive(dt, hn::Sub(xk, vm)));
      }
      hn::Store(vs, dt, lanes);
      for (size_t l = 0; l < n; ++l) lanes[l] = std::log(lanes[l]);
      const V lv = hn::Load(dt, lanes);
      for (size_t k = 0; k < d; ++k) {
        const V xk = hn::LoadU(dt, xo + k * inner + j);
        hn::StoreU(hn::Sub(hn::Sub(xk, vm), lv), dt, yo + k * inner + j);
      }
    }
    for (; j < inner; ++j) LogSoftmaxColumn(xo + j, yo + j, d, inner);
  }
}

template <typename T>
void LogSoftmaxGradImpl(const T* y, const T* dy, T* dx, size_t outer, size_t d, size_t inner) {
  const hn::ScalableTag<T> dt;
  using V = hn::Vec<decltype(dt)>;
  const size_t n = hn::Lanes(dt);
  for (size_t o = 0; o < outer; ++o) {
    const size_t base = o * d * inner;
    const T* yo = y + base;
    const T* go = dy + base;
    T* xo = dx + base;
    if (inner == 1) {
      size_t i = 0;
      V vs = hn::Zero(dt);
      for (; i + n <= d; i += n) vs = hn::Add(vs, hn::LoadU(dt, go + i));
      T sum = hn::GetLane(hn::SumOfLanes(dt, vs));
      for (; i < d; ++i) sum += go[i];
      const V sv = hn::Set(dt, sum);
      for (i = 0; i + n <= d; i += n) {
        const V e = ExpNonPositive(dt, hn::LoadU(dt, yo + i));
        hn::StoreU(hn::NegMulAdd(e, sv, hn::LoadU(dt, go + i)), dt, xo + i);
      }
      for (; i < d; ++i) xo[i] = go[i] - std::exp(yo[i]) * sum;
      continue;
    }
    size_t j = 0;
    for (; j + n <= inner; j += n) {
      V vs = hn::Zero(dt);
      for (size_t k = 0; k < d; ++k) vs = hn::Add(vs, hn::LoadU(dt, go + k * inner + j));
      for (size_t k = 0; k < d; ++k) {
        const size_t at = k * inner + j;
        const V e = ExpNonPositive(dt, hn::LoadU(dt, yo + at));
        hn::StoreU(hn::NegMulAdd(e, vs, hn::LoadU(dt, go + at)), dt, xo + at);
      }
    }
    for (; j < inner; ++j) LogSoftmaxGradColumn(yo + j, go + j, xo + j, d, inner);
  }
}

void LogSoftmaxF32(const float* x, float* y, size_t outer, size_t d, size_t inner) {
  LogSoftmaxImpl(x, y, outer, d, inner);
}
void LogSoftmaxF64(const double* x, double* y, size_t outer, size_t d, size_t inner) {
  LogSoftmaxImpl(x, y, outer, d, inner);
}
void LogSoftmaxGradF32(const float* y, const float* dy, float* dx, size_t outer, size_t d,
                       size_t inner) {
  LogSoftmaxGradImpl(y, dy, dx, outer, d, inner);
}
void LogSoftmaxGradF64(const double* y, const double* dy, double* dx, size_t outer, size_t d,
                       size_t inner) {
  LogSoftmaxGradImpl(y, dy, dx, outer, d, inner);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace opgraph {
namespace kernels {

HWY_EXPORT(LogSoftmaxF32);
HWY_EXPORT(LogSoftmaxF64);
HWY_EXPORT(LogSoftmaxGradF32);
HWY_EXPORT(LogSoftmaxGradF64);

namespace {
bool Empty(int64_t a, int64_t b, int64_t c) { return a <= 0 || b <= 0 || c <= 0; }
size_t U(int64_t v) { return static_cast<size_t>(v); }
}  // namespace

void LogSoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(LogSoftmaxF32)(x, y, U(outer), U(d), U(inner));
}
void LogSoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(LogSoftmaxF64)(x, y, U(outer), U(d), U(inner));
}
void LogSoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer, int64_t d,
                               int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(LogSoftmaxGradF32)(y, dy, dx, U(outer), U(d), U(inner));
}
void LogSoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer,
                               int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(LogSoftmaxGradF64)(y, dy, dx, U(outer), U(d), U(inner));
}

}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
