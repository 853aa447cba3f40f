// Softmax forward and backward along contiguous or strided rows, and the
// fused SeluSoftmax forward and backward (selu as a per-element transform
// before the softmax, selu' as a chain factor after its gradient).
// Per-target code: this header is included once per Highway target, from a
// .cc that includes hwy/foreach_target.h (see activation_kernels.cc); the
// guard below toggles instead of blocking so that each target's pass
// compiles it again inside its own HWY_NAMESPACE.
#if defined(OPGRAPH_OPS_KERNELS_SOFTMAX_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef OPGRAPH_OPS_KERNELS_SOFTMAX_INL_H_
#undef OPGRAPH_OPS_KERNELS_SOFTMAX_INL_H_
#else
#define OPGRAPH_OPS_KERNELS_SOFTMAX_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"
#include "ops/kernels/selu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------------------
// Softmax. The per-element transform applied before the softmax is either
// the identity or selu; keeping it a template parameter is what fuses
// Selu+Softmax into the same passes.

struct IdentityFn {
  template <class D, class V>
  HWY_INLINE V operator()(D, V v) const {
    return v;
  }
};

// Contiguous rows of length n are computed in three stages per row:
//   A: m = max_i v[i],
//   B: e[i] = exp(v[i] - m), stored to y and summed,
//   C: y[i] *= 1 / sum,
// where v is x itself for Softmax, or f(x) (selu) for the fused kernels:
// a pass F computes f(x) into y and its maximum in one go (the row is then
// in L1), and B works in place on y. Taking the maximum over the computed
// f(x_i) rather than f(max x) is what makes the fused result equal, bit for
// bit, to f into a tensor followed by Softmax.
//
// Alone, A is bound by reading x from L2/L3 and C by stores, while B is
// bound by arithmetic; run one after another they cost about 40% on top of
// B. So the rows are software-pipelined: one loop over the column index does
// A for row r + 1 (F instead runs just before that loop), B for row r and C
// for row r - 1, and the stages share the machine instead of taking turns.
// Each row's arithmetic, and the order in which its sum is accumulated, do
// not depend on the interleaving:
//   B's accumulators s0..s3 take vectors i mod 4N in blocks of 4N, the
//   remaining whole vectors go to s0, the zero-padded partial last vector to
//   s1, then sum = SumOfLanes((s0 + s1) + (s2 + s3)).

// The state one row carries from stage to stage.
template <class D>
struct RowJob {
  const hn::TFromD<D>* v = nullptr;  // the values softmax is taken of
  hn::TFromD<D>* y = nullptr;
  hn::Vec<D> m;    // stage A's (or F's) result, the row max, broadcast
  hn::Vec<D> inv;  // stage B's result, 1 / row sum, broadcast
};

// Runs the enabled stages over one row each: A on *a, B on *b, C on *c.
// Stages enabled in the same call must be given different rows.
template <bool kA, bool kB, bool kC, class M, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxStages(D d, size_t n, RowJob<D>* a, RowJob<D>* b, const RowJob<D>* c) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  const size_t tail = n % N;
  const size_t body = n - tail;
  const V neg_inf = hn::Set(d, -std::numeric_limits<T>::infinity());
  V m0 = neg_inf, m1 = neg_inf, m2 = neg_inf, m3 = neg_inf;
  V s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  const T* HWY_RESTRICT va = kA ? a->v : nullptr;
  const T* vb = kB ? b->v : nullptr;  // may equal yb
  T* yb = kB ? b->y : nullptr;
  T* HWY_RESTRICT yc = kC ? c->y : nullptr;
  const V mb = kB ? b->m : neg_inf;
  const V invc = kC ? c->inv : neg_inf;
  size_t i = 0;
  for (; i + 4 * N <= body; i += 4 * N) {
    if constexpr (kA) {
      m0 = hn::Max(m0, hn::LoadU(d, va + i));
      m1 = hn::Max(m1, hn::LoadU(d, va + i + N));
      m2 = hn::Max(m2, hn::LoadU(d, va + i + 2 * N));
      m3 = hn::Max(m3, hn::LoadU(d, va + i + 3 * N));
    }
    if constexpr (kB) {
      const V e0 = M::ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i), mb));
      const V e1 = M::ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + N), mb));
      const V e2 = M::ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + 2 * N), mb));
      const V e3 = M::ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + 3 * N), mb));
      hn::StoreU(e0, d, yb + i);
      hn::StoreU(e1, d, yb + i + N);
      hn::StoreU(e2, d, yb + i + 2 * N);
      hn::StoreU(e3, d, yb + i + 3 * N);
      s0 = hn::Add(s0, e0);
      s1 = hn::Add(s1, e1);
      s2 = hn::Add(s2, e2);
      s3 = hn::Add(s3, e3);
    }
    if constexpr (kC) {
      for (size_t k = 0; k < 4; ++k) {
        T* p = yc + i + k * N;
        hn::StoreU(hn::Mul(hn::LoadU(d, p), invc), d, p);
      }
    }
  }
  for (; i < body; i += N) {
    if constexpr (kA) m0 = hn::Max(m0, hn::LoadU(d, va + i));
    if constexpr (kB) {
      const V e = M::ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i), mb));
      hn::StoreU(e, d, yb + i);
      s0 = hn::Add(s0, e);
    }
    if constexpr (kC) hn::StoreU(hn::Mul(hn::LoadU(d, yc + i), invc), d, yc + i);
  }
  if (tail != 0) {
    const auto first = hn::FirstN(d, tail);
    if constexpr (kA) {
      m1 = hn::Max(m1, hn::IfThenElse(first, LoadTail(d, va + body, tail), neg_inf));
    }
    if constexpr (kB) {
      const V e = hn::IfThenElseZero(
          first, M::ExpNonPositive(d, hn::Sub(LoadTail(d, vb + body, tail), mb)));
      StoreTail(d, e, yb + body, tail);
      s1 = hn::Add(s1, e);
    }
    if constexpr (kC) {
      const T inv_s = hn::GetLane(invc);
      for (size_t k = body; k < n; ++k) yc[k] = yc[k] * inv_s;
    }
  }
  if constexpr (kA) {
    // NaN needs no care here: a NaN anywhere makes its exp NaN and thereby
    // the sum and the whole row.
    a->m = hn::MaxOfLanes(d, hn::Max(hn::Max(m0, m1), hn::Max(m2, m3)));
  }
  if constexpr (kB) {
    const V sum = hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)));
    b->inv = hn::Div(hn::Set(d, T(1)), sum);
  }
}

// Pass F: y = f(x) over n elements; returns max_i y[i], broadcast.
template <class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> ApplyFnMax(D d, const F& f, const T* HWY_RESTRICT x, T* HWY_RESTRICT y,
                                 size_t n) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  const V neg_inf = hn::Set(d, -std::numeric_limits<T>::infinity());
  V m0 = neg_inf, m1 = neg_inf;
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const V v0 = f(d, hn::LoadU(d, x + i));
    const V v1 = f(d, hn::LoadU(d, x + i + N));
    hn::StoreU(v0, d, y + i);
    hn::StoreU(v1, d, y + i + N);
    m0 = hn::Max(m0, v0);
    m1 = hn::Max(m1, v1);
  }
  for (; i + N <= n; i += N) {
    const V v = f(d, hn::LoadU(d, x + i));
    hn::StoreU(v, d, y + i);
    m0 = hn::Max(m0, v);
  }
  if (i < n) {
    const size_t c = n - i;
    const V v = f(d, LoadTail(d, x + i, c));
    StoreTail(d, v, y + i, c);
    m1 = hn::Max(m1, hn::IfThenElse(hn::FirstN(d, c), v, neg_inf));
  }
  return hn::MaxOfLanes(d, hn::Max(m0, m1));
}

// Runs stages B (on *b, if given) and C (on *c, if given) together.
template <class M, class D>
HWY_INLINE void SoftmaxStagesBC(D d, size_t n, RowJob<D>* b, const RowJob<D>* c) {
  if (b != nullptr && c != nullptr) {
    SoftmaxStages<false, true, true, M>(d, n, b, b, c);
  } else if (b != nullptr) {
    SoftmaxStages<false, true, false, M>(d, n, b, b, b);
  } else if (c != nullptr) {
    RowJob<D>* const none = nullptr;
    SoftmaxStages<false, false, true, M>(d, n, none, none, c);
  }
}

// Softmax of f(x) over `rows` contiguous rows of length n, pipelined as
// described above. y must not alias x.
template <class M, class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxRows(D d, const F& f, const T* x, T* y, size_t rows, size_t n) {
  RowJob<D> jobs[3];
  if constexpr (!std::is_same<F, IdentityFn>::value) {
    // Step t: F and B on row t, C on row t - 1.
    for (size_t t = 0; t <= rows; ++t) {
      RowJob<D>* b = t < rows ? &jobs[t % 2] : nullptr;
      const RowJob<D>* c = t >= 1 ? &jobs[(t + 1) % 2] : nullptr;
      if (b != nullptr) {
        b->y = y + t * n;
        b->v = b->y;
        b->m = ApplyFnMax(d, f, x + t * n, b->y, n);
      }
      SoftmaxStagesBC<M>(d, n, b, c);
    }
    return;
  }
  // Step t: A on row t, B on row t - 1, C on row t - 2 (jobs[t % 3] is row
  // t), for the rows that exist.
  for (size_t t = 0; t < rows + 2; ++t) {
    RowJob<D>* a = t < rows ? &jobs[t % 3] : nullptr;
    RowJob<D>* b = t >= 1 && t <= rows ? &jobs[(t + 2) % 3] : nullptr;
    const RowJob<D>* c = t >= 2 ? &jobs[(t + 1) % 3] : nullptr;
    if (a == nullptr) {
      SoftmaxStagesBC<M>(d, n, b, c);
      continue;
    }
    a->v = x + t * n;
    a->y = y + t * n;
    if (b != nullptr && c != nullptr) {
      SoftmaxStages<true, true, true, M>(d, n, a, b, c);
    } else if (b != nullptr) {
      SoftmaxStages<true, true, false, M>(d, n, a, b, a);
    } else {
      SoftmaxStages<true, false, false, M>(d, n, a, a, a);
    }
  }
}

// Softmax along a strided axis for Lanes(d) adjacent columns at once: x and
// y point at element (k = 0, column j); successive k are `stride` apart.
template <class M, class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxColumns(D d, const F& f, const T* HWY_RESTRICT x, T* HWY_RESTRICT y,
                               size_t n, size_t stride) {
  using V = hn::Vec<D>;
  // The maximum of the computed f(x_k), as in SoftmaxRows.
  V m = hn::Set(d, -std::numeric_limits<T>::infinity());
  for (size_t k = 0; k < n; ++k) {
    m = hn::Max(m, f(d, hn::LoadU(d, x + k * stride)));
  }
  V s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    const V e0 = M::ExpNonPositive(d, hn::Sub(f(d, hn::LoadU(d, x + k * stride)), m));
    const V e1 = M::ExpNonPositive(d, hn::Sub(f(d, hn::LoadU(d, x + (k + 1) * stride)), m));
    hn::StoreU(e0, d, y + k * stride);
    hn::StoreU(e1, d, y + (k + 1) * stride);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  if (k < n) {
    const V e = M::ExpNonPositive(d, hn::Sub(f(d, hn::LoadU(d, x + k * stride)), m));
    hn::StoreU(e, d, y + k * stride);
    s0 = hn::Add(s0, e);
  }
  const V inv = hn::Div(hn::Set(d, T(1)), hn::Add(s0, s1));
  for (k = 0; k < n; ++k) {
    T* p = y + k * stride;
    hn::StoreU(hn::Mul(hn::LoadU(d, p), inv), d, p);
  }
}

// M supplies exp (KernelExp in the library).
template <typename T, class F, class M = KernelExp>
void SoftmaxStridedLoop(const F& f, const T* x, T* y, size_t outer, size_t n, size_t inner) {
  const hn::ScalableTag<T> d;
  if (inner == 1) {
    SoftmaxRows<M>(d, f, x, y, outer, n);
    return;
  }
  const size_t N = hn::Lanes(d);
  const hn::CappedTag<T, 1> d1;
  for (size_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    T* yo = y + o * n * inner;
    size_t j = 0;
    for (; j + N <= inner; j += N) SoftmaxColumns<M>(d, f, xo + j, yo + j, n, inner);
    for (; j < inner; ++j) SoftmaxColumns<M>(d1, f, xo + j, yo + j, n, inner);
  }
}

// ---------------------------------------------------------------------------
// Softmax backward. The optional chain factor is selu'(x).

struct NoChain {};

template <typename T, class M = KernelExp>
struct SeluChain {
  T scale;
  T sa;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V g, V xv) const {
    const V deriv = hn::IfThenElse(hn::Gt(xv, hn::Zero(d)), hn::Set(d, scale),
                                   hn::Mul(hn::Set(d, sa), M::ExpNonPositive(d, xv)));
    return hn::Mul(g, deriv);
  }
};

// dx = chain(y * (dy - dot), x) for the lanes of one vector.
template <class D, class Chain, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> GradVec(D d, const Chain& chain, hn::Vec<D> yv, hn::Vec<D> dyv,
                              hn::Vec<D> dot, hn::Vec<D> xv) {
  const hn::Vec<D> g = hn::Mul(yv, hn::Sub(dyv, dot));
  if constexpr (std::is_same<Chain, NoChain>::value) {
    (void)xv;
    return g;
  } else {
    return chain(d, g, xv);
  }
}

// With kStream, dx must be vector-aligned and n a multiple of Lanes(d).
template <bool kStream, class D, class Chain, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxGradRow(D d, const Chain& chain, const T* y, const T* dy, T* dx, const T* x,
                               size_t n) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  const size_t tail = n % N;
  const size_t body = n - tail;
  V a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= body; i += 4 * N) {
    a0 = hn::MulAdd(hn::LoadU(d, y + i), hn::LoadU(d, dy + i), a0);
    a1 = hn::MulAdd(hn::LoadU(d, y + i + N), hn::LoadU(d, dy + i + N), a1);
    a2 = hn::MulAdd(hn::LoadU(d, y + i + 2 * N), hn::LoadU(d, dy + i + 2 * N), a2);
    a3 = hn::MulAdd(hn::LoadU(d, y + i + 3 * N), hn::LoadU(d, dy + i + 3 * N), a3);
  }
  for (; i < body; i += N) {
    a0 = hn::MulAdd(hn::LoadU(d, y + i), hn::LoadU(d, dy + i), a0);
  }
  if (tail != 0) {
    a1 = hn::MulAdd(LoadTail(d, y + body, tail), LoadTail(d, dy + body, tail), a1);
  }
  const V dot = hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  const V zero = hn::Zero(d);
  for (i = 0; i + 2 * N <= body; i += 2 * N) {
    const V g0 = GradVec(d, chain, hn::LoadU(d, y + i), hn::LoadU(d, dy + i), dot,
                         kHasX ? hn::LoadU(d, x + i) : zero);
    const V g1 = GradVec(d, chain, hn::LoadU(d, y + i + N), hn::LoadU(d, dy + i + N), dot,
                         kHasX ? hn::LoadU(d, x + i + N) : zero);
    StoreOut<kStream>(d, g0, dx + i);
    StoreOut<kStream>(d, g1, dx + i + N);
  }
  for (; i < body; i += N) {
    StoreOut<kStream>(d,
                      GradVec(d, chain, hn::LoadU(d, y + i), hn::LoadU(d, dy + i), dot,
                              kHasX ? hn::LoadU(d, x + i) : zero),
                      dx + i);
  }
  if (tail != 0) {
    StoreTail(d,
              GradVec(d, chain, LoadTail(d, y + body, tail), LoadTail(d, dy + body, tail), dot,
                      kHasX ? LoadTail(d, x + body, tail) : zero),
              dx + body, tail);
  }
}

template <class D, class Chain, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxGradColumns(D d, const Chain& chain, const T* y, const T* dy, T* dx,
                                   const T* x, size_t n, size_t stride) {
  using V = hn::Vec<D>;
  V a0 = hn::Zero(d), a1 = hn::Zero(d);
  size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    a0 = hn::MulAdd(hn::LoadU(d, y + k * stride), hn::LoadU(d, dy + k * stride), a0);
    a1 = hn::MulAdd(hn::LoadU(d, y + (k + 1) * stride), hn::LoadU(d, dy + (k + 1) * stride), a1);
  }
  if (k < n) {
    a0 = hn::MulAdd(hn::LoadU(d, y + k * stride), hn::LoadU(d, dy + k * stride), a0);
  }
  const V dot = hn::Add(a0, a1);
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  for (k = 0; k < n; ++k) {
    const size_t off = k * stride;
    hn::StoreU(GradVec(d, chain, hn::LoadU(d, y + off), hn::LoadU(d, dy + off), dot,
                       kHasX ? hn::LoadU(d, x + off) : hn::Zero(d)),
               d, dx + off);
  }
}

template <typename T, class Chain>
void SoftmaxGradStridedLoop(const Chain& chain, const T* y, const T* dy, T* dx, const T* x,
                            size_t outer, size_t n, size_t inner) {
  const hn::ScalableTag<T> d;
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  const size_t N = hn::Lanes(d);
  if (inner == 1) {
    const bool stream = outer * n * sizeof(T) >= kStreamBytes && n % N == 0 &&
                        reinterpret_cast<uintptr_t>(dx) % (N * sizeof(T)) == 0;
    for (size_t o = 0; o < outer; ++o) {
      const size_t off = o * n;
      const T* xo = kHasX ? x + off : nullptr;
      if (stream) {
        SoftmaxGradRow<true>(d, chain, y + off, dy + off, dx + off, xo, n);
      } else {
        SoftmaxGradRow<false>(d, chain, y + off, dy + off, dx + off, xo, n);
      }
    }
    if (stream) hwy::FlushStream();
    return;
  }
  const hn::CappedTag<T, 1> d1;
  for (size_t o = 0; o < outer; ++o) {
    const size_t base = o * n * inner;
    size_t j = 0;
    for (; j + N <= inner; j += N) {
      SoftmaxGradColumns(d, chain, y + base + j, dy + base + j, dx + base + j,
                         kHasX ? x + base + j : nullptr, n, inner);
    }
    for (; j < inner; ++j) {
      SoftmaxGradColumns(d1, chain, y + base + j, dy + base + j, dx + base + j,
                         kHasX ? x + base + j : nullptr, n, inner);
    }
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#endif  // OPGRAPH_OPS_KERNELS_SOFTMAX_INL_H_
