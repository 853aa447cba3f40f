// Selu forward and backward, and the elementwise loops (tails, streaming
// stores) they and the softmax kernels share.
// Per-target code: this header is included once per Highway target, from a
// .cc that includes hwy/foreach_target.h (see activation_kernels.cc); the
// guard below toggles instead of blocking so that each target's pass
// compiles it again inside its own HWY_NAMESPACE.
#if defined(OPGRAPH_OPS_KERNELS_SELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef OPGRAPH_OPS_KERNELS_SELU_INL_H_
#undef OPGRAPH_OPS_KERNELS_SELU_INL_H_
#else
#define OPGRAPH_OPS_KERNELS_SELU_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Loads the first `count` (< Lanes(d)) elements at p; other lanes are 0.
// Goes through a stack buffer so it never reads past p + count.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> LoadTail(D d, const T* p, size_t count) {
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
  for (size_t i = 0; i < count; ++i) buf[i] = p[i];
  return hn::Load(d, buf);
}

// Stores the first `count` (< Lanes(d)) lanes of v to p.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreTail(D d, hn::Vec<D> v, T* p, size_t count) {
  HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)];
  hn::Store(v, d, buf);
  for (size_t i = 0; i < count; ++i) p[i] = buf[i];
}

// ---------------------------------------------------------------------------
// Elementwise loops.

// non-temporal stores: they cannot stay in cache anyway, and streaming skips
// reading the destination lines first. Measured here: SeluGradient and
// SoftmaxGradient at 64 MiB about 1.3x faster, SoftmaxGradient [128, 32768]
// (16 MiB out, 48 MiB touched) 1.27x faster (best of 5 runs, 1.19 -> 0.94
// ms), [1024, 1000] (4 MiB) unchanged; Selu and Softmax forward were slower
// with streaming (their exp work overlaps better with cached stores), so
// they never stream.
constexpr size_t kStreamBytes = size_t{8} << 20;

template <bool kStream, class D, typename T = hn::TFromD<D>>
HWY_INLINE void StoreOut(D d, hn::Vec<D> v, T* p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);  // p is vector-aligned
  } else {
    hn::StoreU(v, d, p);
  }
}

// out[i] = op(a[i], b[i]) over n elements; out may equal a or b.
template <bool kStream, class D, class Op, typename T = hn::TFromD<D>>
HWY_INLINE void MapLoop(D d, const Op& op, const T* a, const T* b, T* out, size_t n) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if constexpr (kStream) {
    const hn::CappedTag<T, 1> d1;
    const uintptr_t align = N * sizeof(T);
    for (; i < n && reinterpret_cast<uintptr_t>(out + i) % align != 0; ++i) {
      hn::StoreU(op(d1, hn::LoadU(d1, a + i), hn::LoadU(d1, b + i)), d1, out + i);
    }
  }
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    const auto v1 = op(d, hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N));
    StoreOut<kStream>(d, v0, out + i);
    StoreOut<kStream>(d, v1, out + i + N);
  }
  for (; i + N <= n; i += N) {
    StoreOut<kStream>(d, op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i)), out + i);
  }
  if (i < n) {
    const size_t c = n - i;
    StoreTail(d, op(d, LoadTail(d, a + i, c), LoadTail(d, b + i, c)), out + i, c);
  }
  if constexpr (kStream) hwy::FlushStream();
}

template <class F>
struct UnaryOp {
  const F& f;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V a, V) const {
    return f(d, a);
  }
};

// y = f(x) elementwise over n elements; y may equal x.
template <class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE void ApplyFn(D d, const F& f, const T* x, T* y, size_t n) {
  MapLoop<false>(d, UnaryOp<F>{f}, x, x, y, n);
}

template <class Op, typename T>
void MapBinary(const Op& op, const T* a, const T* b, T* out, size_t n) {
  const hn::ScalableTag<T> d;
  if (n * sizeof(T) >= kStreamBytes) {
    MapLoop<true>(d, op, a, b, out, n);
  } else {
    MapLoop<false>(d, op, a, b, out, n);
  }
}

// ---------------------------------------------------------------------------
// Selu and its gradient.

// selu(x) given broadcast scale and sa = T(scale * alpha). Selecting on
// x < 0 sends +-0 and NaN to scale * x, which keeps the sign of zero and
// propagates NaN. M supplies expm1 (KernelExp in the library).
template <class M = KernelExp, class D, class V = hn::Vec<D>>
HWY_INLINE V SeluVec(D d, V x, V scale, V sa) {
  using T = hn::TFromD<D>;
  if constexpr (!std::is_same<D, hn::ScalableTag<T>>::value) {
    // Partial vectors (the leftover columns of a strided softmax) are
    // evaluated as full ones, so selu(x) has the same bits whichever code
    // path computes it; the fused kernels rely on that.
    const hn::ScalableTag<T> df;
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
    hn::Store(x, d, buf);
    const hn::Vec<decltype(df)> full = SeluVec<M>(
        df, hn::Load(df, buf), hn::Set(df, hn::GetLane(scale)), hn::Set(df, hn::GetLane(sa)));
    hn::Store(full, df, buf);
    return hn::Load(d, buf);
  }
  const V neg = hn::Mul(sa, M::Expm1NonPositive(d, x));
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), neg, hn::Mul(scale, x));
}

template <class D, class V = hn::Vec<D>>
HWY_INLINE V SeluGradVec(D d, V y, V dy, V scale, V sa) {
  return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Mul(dy, scale), hn::Mul(dy, hn::Add(y, sa)));
}

template <typename T>
struct SeluGradOp {
  T scale;
  T sa;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return SeluGradVec(d, y, dy, hn::Set(d, scale), hn::Set(d, sa));
  }
};

template <typename T, class M = KernelExp>
struct SeluFn {
  T scale;
  T sa;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return SeluVec<M>(d, v, hn::Set(d, scale), hn::Set(d, sa));
  }
};

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#endif  // OPGRAPH_OPS_KERNELS_SELU_INL_H_
