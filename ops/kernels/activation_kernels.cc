// Selu / Softmax kernels, compiled once per Highway target.
//
// This file includes itself through hwy/foreach_target.h: everything inside
// HWY_NAMESPACE is compiled for every target; the dispatching public
// functions at the bottom are compiled once (HWY_ONCE).

#include "ops/kernels/activation_kernels.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/activation_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Constants of the exp/expm1 approximations.
//
// Both functions reduce x = n * ln2 + r with n = round(x / ln2), |r| <=
// ln2 / 2, and approximate expm1(r) = r + r^2 * q(r), where q is a
// near-minimax (Chebyshev) fit of (expm1(r) - r) / r^2 on |r| <= 0.348 with
// coefficients rounded to T; the fit alone contributes < 0.41 ULP (float)
// and < 0.38 ULP (double) to expm1(r).
//
// n is obtained without a float->int conversion: adding kRound = 1.5 * 2^m
// (m = mantissa bits) rounds x / ln2 to an integer that then sits in the low
// mantissa bits, so shifting the bit pattern left by m yields the exponent
// field of 2^n directly. The exponent bias is folded into kRound.
template <typename T>
struct ExpConsts;

template <>
struct ExpConsts<float> {
  static constexpr int kMantBits = 23;
  static constexpr int kBias = 127;
  static constexpr float kLog2e = 1.44269504088896341f;
  // ln2 split so that n * kLn2Hi is exact for |n| < 2^8.
  static constexpr float kLn2Hi = 0.693145751953125f;
  static constexpr float kLn2Lo = 1.4286068203094172e-06f;
  static constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
  // exp(x) rounds to +0 below this; expm1(x) rounds to -1 below the other.
  static constexpr float kExpLowest = -104.0f;
  static constexpr float kExpm1Lowest = -30.0f;
  // Exp results may be subnormal (x < -87.3). Evaluating the polynomial
  // pre-scaled by 2^-kSubShift and multiplying by the normal number
  // 2^(n + kSubShift) rounds those results correctly with one multiply.
  static constexpr int kSubShift = 64;
  static constexpr float kSub = 0x1p-64f;
  static constexpr int kQDegree = 4;
  static constexpr float kQ[kQDegree + 1] = {
      0.5f, 0.16666576266288757f, 0.04166655242443085f,
      0.008363345637917519f, 0.0013926392421126366f};
};

template <>
struct ExpConsts<double> {
  static constexpr int kMantBits = 52;
  static constexpr int kBias = 1023;
  static constexpr double kLog2e = 1.4426950408889634074;
  // ln2 split so that n * kLn2Hi is exact for |n| < 2^21.
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  static constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52
  static constexpr double kExpLowest = -746.0;
  static constexpr double kExpm1Lowest = -50.0;
  static constexpr int kSubShift = 600;
  static constexpr double kSub = 0x1p-600;
  static constexpr int kQDegree = 9;
  static constexpr double kQ[kQDegree + 1] = {
      0.5000000000000001,    0.16666666666666669,   0.04166666666662317,
      0.008333333333329989,  0.0013888888917690603, 0.0001984126986342035,
      2.480152055701783e-05, 2.755726789174553e-06, 2.762043894863442e-07,
      2.510065503606659e-08};
};

// Splits x = n * ln2 + r. Returns n (as T); *t holds n + bias in its low
// mantissa bits for Pow2FromT, where bias was added to the rounding
// constant by the caller.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Reduce(D d, V x, hn::TFromD<D> round_plus_bias, V* t, V* r) {
  using C = ExpConsts<hn::TFromD<D>>;
  const V round = hn::Set(d, round_plus_bias);
  *t = hn::MulAdd(x, hn::Set(d, C::kLog2e), round);
  const V n = hn::Sub(*t, round);
  V rr = hn::NegMulAdd(n, hn::Set(d, C::kLn2Hi), x);
  *r = hn::NegMulAdd(n, hn::Set(d, C::kLn2Lo), rr);
  return n;
}

// 2^(n + bias) from the t of Reduce (bias was folded into its rounding
// constant; must keep n + bias within the normal exponent range).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Pow2FromT(D d, V t) {
  using C = ExpConsts<hn::TFromD<D>>;
  const hn::RebindToSigned<D> di;
  return hn::BitCast(d, hn::ShiftLeft<C::kMantBits>(hn::BitCast(di, t)));
}

// q(r) by Horner's rule, optionally with every coefficient times kSub. The
// pack expansion unrolls it so the coefficients become constants; a plain
// loop was left rolled by GCC in the fused kernels.
template <bool kScaled, class D, class V = hn::Vec<D>, size_t... I>
HWY_INLINE V EvalQ(D d, V r, std::index_sequence<I...>) {
  using T = hn::TFromD<D>;
  using C = ExpConsts<T>;
  constexpr T kFactor = kScaled ? C::kSub : T(1);
  V p = hn::Set(d, C::kQ[C::kQDegree] * kFactor);
  ((p = hn::MulAdd(p, r, hn::Set(d, C::kQ[C::kQDegree - 1 - I] * kFactor))),
   ...);
  return p;
}

// Float exp by table, for full vectors of L = 8 or 16 lanes (AVX2, AVX-512):
// x = (k * L + j) * ln2 / L + r with |r| <= ln2 / (2L), and exp(x) =
// 2^k * 2^(j/L) * exp(r). The L values 2^(j/L) fit in one vector, so the
// lookup is a single in-register permute, and the short range of r needs
// only a cubic: exp(r) ~ 1 + r + c0 r^2 + c1 r^3. That is 6 multiply-adds
// per vector instead of the 10 of ExpNonPositive's general path, which is
// what bounds Softmax while its data is in cache.
//
// Error budget (in eps = 2^-23, relative): table entries (nearest float)
// < 0.40, cubic (near-minimax fit on the reduced range) < 0.04 for L = 16
// and < 0.64 for L = 8, ln2 / L rounded to float (single-constant
// reduction) 0.024 * |x|, and the final rounding 0.5. The Softmax bound in
// activation_kernels.h covers all of it.
//
// The constants below are printed by scripts/fit_exp_tables.py (50-digit
// arithmetic, Chebyshev fits, every value rounded to the nearest float).
template <size_t L>
struct ExpTable;

template <>
struct ExpTable<16> {
  static constexpr int kShift = 19;  // 23 - log2(L)
  static constexpr float kScale = 23.0831203460693359375f;  // L / ln2
  static constexpr float kStep = 0.043321698904037476f;     // ln2 / L
  static constexpr float kC0 = 0.5000097751617432f;
  static constexpr float kC1 = 0.1666686236858368f;
  // expm1(r) ~ r + r^2 (kM0 + kM1 r + kM2 r^2) on the same range.
  static constexpr float kM0 = 0.5f;
  static constexpr float kM1 = 0.1666695922613144f;
  static constexpr float kM2 = 0.0416671559214592f;
  // (2^(j/16) - kPow2[j]) / kPow2[j], the relative rounding error of each
  // entry, rounded to float.
  static constexpr float kLoRel[16] = {
      0.0f,           0x1.8d96d4p-25f,  -0x1.9c0c22p-27f, 0x1.964904p-25f,
      0x1.125002p-25f, 0x1.370be4p-25f, -0x1.0a3550p-25f, -0x1.00d8acp-27f,
      0x1.26055cp-26f, -0x1.05cb44p-25f, 0x1.67a1cap-28f, 0x1.a3b5e4p-28f,
      -0x1.f9c304p-27f, -0x1.6961b4p-28f, -0x1.a5217cp-28f, 0x1.61428ep-28f};
  // 2^(j/16), rounded to the nearest float.
  static constexpr float kPow2[16] = {
      0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f,
      0x1.306fe0p+0f, 0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f,
      0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,
      0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f};
};

template <>
struct ExpTable<8> {
  static constexpr int kShift = 20;
  static constexpr float kScale = 11.54156017303466796875f;
  static constexpr float kStep = 0.08664339780807495f;
  static constexpr float kC0 = 0.5000391006469727f;
  static constexpr float kC1 = 0.16667447984218597f;
  static constexpr float kM0 = 0.5f;
  static constexpr float kM1 = 0.16667839884757996f;
  static constexpr float kM2 = 0.041668619960546494f;
  static constexpr float kLoRel[8] = {
      0.0f,           -0x1.9c0c22p-27f, 0x1.125002p-25f, -0x1.0a3550p-25f,
      0x1.26055cp-26f, 0x1.67a1cap-28f, -0x1.f9c304p-27f, -0x1.a5217cp-28f};
  // 2^(j/8), rounded to the nearest float.
  static constexpr float kPow2[8] = {
      0x1.000000p+0f, 0x1.172b84p+0f, 0x1.306fe0p+0f, 0x1.4bfdaep+0f,
      0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f, 0x1.d5818ep+0f};
};

// The lookup table of ExpNonPositiveByTable as int32 bit patterns: entry j
// is bits(2^(j/L) * 2^kSubShift) - (j << kShift). For v in [1, 2) the
// mantissa field is (v - 1) * 2^23, exactly.
template <size_t L>
struct ExpTableBits {
  alignas(64) int32_t bits[L];
  alignas(64) float lo_rel[L];
};

template <size_t L>
constexpr ExpTableBits<L> MakeExpTableBits(int extra_exponent) {
  using E = ExpTable<L>;
  using C = ExpConsts<float>;
  ExpTableBits<L> t{};
  for (size_t j = 0; j < L; ++j) {
    t.bits[j] = ((C::kBias + extra_exponent) << C::kMantBits) +
                static_cast<int32_t>((E::kPow2[j] - 1.0f) * 8388608.0f) -
                (static_cast<int32_t>(j) << E::kShift);
    t.lo_rel[j] = E::kLoRel[j];
  }
  return t;
}

// For exp (entries pre-scaled by 2^kSubShift) and for expm1 (unscaled).
template <size_t L>
constexpr ExpTableBits<L> kExpTableBits =
    MakeExpTableBits<L>(ExpConsts<float>::kSubShift);
template <size_t L>
constexpr ExpTableBits<L> kExpm1TableBits = MakeExpTableBits<L>(0);

// True where ExpNonPositive uses the table.
template <class D>
constexpr bool UseExpTable() {
  return HWY_ARCH_X86 && std::is_same<D, hn::ScalableTag<float>>::value &&
         (hn::MaxLanes(D()) == 8 || hn::MaxLanes(D()) == 16);
}

// table[idx mod L] in each lane, for the L-lane int32 vectors of the table
// kernels. The permute instructions of AVX2 and AVX-512 read only the low
// log2(L) bits of each index, so no masking is needed there; other targets
// (never used by the table kernels) mask and use Highway's lookup.
template <class DI, class VI = hn::Vec<DI>>
HWY_INLINE VI LookupLowBits(DI di, VI table, VI idx) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  (void)di;
  return VI{_mm512_permutexvar_epi32(idx.raw, table.raw)};
#elif HWY_ARCH_X86 && HWY_TARGET == HWY_AVX2
  (void)di;
  return VI{_mm256_permutevar8x32_epi32(table.raw, idx.raw)};
#else
  const auto mask = hn::Set(di, static_cast<hn::TFromD<DI>>(hn::Lanes(di) - 1));
  return hn::TableLookupLanes(table, hn::IndicesFromVec(di, hn::And(idx, mask)));
#endif
}

template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpNonPositiveByTable(D d, V x) {
  constexpr size_t L = hn::MaxLanes(D());
  using E = ExpTable<L>;
  using C = ExpConsts<float>;
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  // x86 max returns its second operand when either is NaN, so NaN passes
  // through the clamp (this kernel exists only on x86 targets).
  x = hn::Max(hn::Set(d, C::kExpLowest), x);
  // t holds N = round(x * L / ln2) in its low mantissa bits (as in Reduce).
  const V round = hn::Set(d, C::kRound);
  const V t = hn::MulAdd(x, hn::Set(d, E::kScale), round);
  const V r = hn::NegMulAdd(hn::Sub(t, round), hn::Set(d, E::kStep), x);
  // With N = k * L + j: the table entry is 2^(j/L) * 2^kSubShift as a bit
  // pattern minus j << kShift, and bits(t) << kShift is (k << 23) + (j <<
  // kShift) (the rounding constant's bits shift out), so their sum is the
  // bit pattern of 2^(k + kSubShift) * 2^(j/L), a normal number for x >=
  // kExpLowest. The scaling by 2^kSubShift is undone by the polynomial's
  // coefficients, so subnormal results round once, in the final multiply.
  const VI tb = hn::BitCast(di, t);
  const VI entry = LookupLowBits(di, hn::Load(di, kExpTableBits<L>.bits), tb);
  const V scale = hn::BitCast(d, hn::Add(entry, hn::ShiftLeft<E::kShift>(tb)));
  const V sub = hn::Set(d, C::kSub);
  V p = hn::MulAdd(hn::Set(d, E::kC1 * C::kSub), r, hn::Set(d, E::kC0 * C::kSub));
  p = hn::MulAdd(p, r, sub);
  p = hn::MulAdd(p, r, sub);
  return hn::Mul(p, scale);
}

// exp(x) for x <= 0 (x > 0 is allowed up to about 40 and stays accurate).
// NaN -> NaN, -inf -> +0, subnormal results rounded (not flushed).
// About 1 ULP; the softmax tests bound it end to end.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpNonPositive(D d, V x) {
  if constexpr (UseExpTable<D>()) return ExpNonPositiveByTable(d, x);
  using T = hn::TFromD<D>;
  using C = ExpConsts<T>;
  const V lowest = hn::Set(d, C::kExpLowest);
  // Lt is false for NaN, so NaN passes through unclamped and propagates.
  x = hn::IfThenElse(hn::Lt(x, lowest), lowest, x);
  V t, r;
  Reduce(d, x, static_cast<T>(C::kRound + C::kBias + C::kSubShift), &t, &r);
  // 2^-kSubShift * (1 + r + r^2 q(r)) in Horner form; scaling every
  // coefficient by a power of two changes no rounding.
  V p = EvalQ<true>(d, r, std::make_index_sequence<C::kQDegree>());
  p = hn::MulAdd(p, r, hn::Set(d, C::kSub));
  p = hn::MulAdd(p, r, hn::Set(d, C::kSub));
  return hn::Mul(p, Pow2FromT(d, t));
}

// expm1 by the same table, for Selu. With N = k * L + j and S = 2^k *
// kPow2[j] (exact, built from bits):
//   expm1(x) = (S - 1) + S * (expm1(r) + lo_j) (up to lo_j * expm1(r)),
// where lo_j is the entry's relative rounding error, so the table's error
// does not show where expm1(x) is small. S - 1 is exact for k >= -1
// (Sterbenz) and |expm1(x)| > 1/2 otherwise; N = 0 gives expm1(r) with
// r = x exactly, so tiny and subnormal x keep their relative accuracy.
// Seven multiply-adds per vector instead of ten.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Expm1NonPositiveByTable(D d, V x) {
  constexpr size_t L = hn::MaxLanes(D());
  using E = ExpTable<L>;
  using C = ExpConsts<float>;
  const hn::RebindToSigned<D> di;
  using VI = hn::Vec<decltype(di)>;
  x = hn::Max(x, hn::Set(d, C::kExpm1Lowest));
  const V round = hn::Set(d, C::kRound);
  const V t = hn::MulAdd(x, hn::Set(d, E::kScale), round);
  const V r = hn::NegMulAdd(hn::Sub(t, round), hn::Set(d, E::kStep), x);
  const VI tb = hn::BitCast(di, t);
  const VI entry = LookupLowBits(di, hn::Load(di, kExpm1TableBits<L>.bits), tb);
  const V s = hn::BitCast(d, hn::Add(entry, hn::ShiftLeft<E::kShift>(tb)));
  const V lo = hn::BitCast(
      d, LookupLowBits(
             di, hn::BitCast(di, hn::Load(d, kExpm1TableBits<L>.lo_rel)), tb));
  V q = hn::MulAdd(hn::Set(d, E::kM2), r, hn::Set(d, E::kM1));
  q = hn::MulAdd(q, r, hn::Set(d, E::kM0));
  const V pm1 = hn::MulAdd(hn::Mul(r, r), q, r);  // expm1(r)
  return hn::Add(hn::Sub(s, hn::Set(d, 1.0f)), hn::Mul(s, hn::Add(pm1, lo)));
}

// expm1(x) for x <= 0 (any value, including -inf; NaN gives an unspecified
// value, callers mask it). Relative accuracy is kept near 0: for tiny and
// subnormal x the result is x exactly.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V Expm1NonPositive(D d, V x) {
  if constexpr (UseExpTable<D>()) return Expm1NonPositiveByTable(d, x);
  using T = hn::TFromD<D>;
  using C = ExpConsts<T>;
  x = hn::Max(x, hn::Set(d, C::kExpm1Lowest));
  V t, r;
  Reduce(d, x, static_cast<T>(C::kRound + C::kBias), &t, &r);
  const V q = EvalQ<false>(d, r, std::make_index_sequence<C::kQDegree>());
  const V p1 = hn::MulAdd(hn::Mul(r, r), q, r);  // expm1(r)
  // expm1(x) = 2^n * expm1(r) + (2^n - 1): 2^n - 1 is exact for n >= -24
  // (float) and the scaled term is small, so only the final add rounds.
  const V s = Pow2FromT(d, t);
  return hn::MulAdd(s, p1, hn::Sub(s, hn::Set(d, T(1))));
}

// selu(x) given broadcast scale and sa = T(scale * alpha). Selecting on
// x < 0 sends +-0 and NaN to scale * x, which keeps the sign of zero and
// propagates NaN.
template <class D, class V = hn::Vec<D>>
HWY_INLINE V SeluVec(D d, V x, V scale, V sa) {
  using T = hn::TFromD<D>;
  if constexpr (!std::is_same<D, hn::ScalableTag<T>>::value) {
    // Partial vectors (the leftover columns of a strided softmax) are
    // evaluated as full ones, so selu(x) has the same bits whichever code
    // path computes it; the fused kernels rely on that.
    const hn::ScalableTag<T> df;
    HWY_ALIGN T buf[HWY_MAX_BYTES / sizeof(T)] = {};
    hn::Store(x, d, buf);
    const hn::Vec<decltype(df)> full =
        SeluVec(df, hn::Load(df, buf), hn::Set(df, hn::GetLane(scale)),
                hn::Set(df, hn::GetLane(sa)));
    hn::Store(full, df, buf);
    return hn::Load(d, buf);
  }
  const V neg = hn::Mul(sa, Expm1NonPositive(d, x));
  return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), neg, hn::Mul(scale, x));
}

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
// Elementwise Selu and its gradient.

template <class D, class V = hn::Vec<D>>
HWY_INLINE V SeluGradVec(D d, V y, V dy, V scale, V sa) {
  return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), hn::Mul(dy, scale),
                        hn::Mul(dy, hn::Add(y, sa)));
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

template <typename T>
struct SeluFn {
  T scale;
  T sa;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return SeluVec(d, v, hn::Set(d, scale), hn::Set(d, sa));
  }
};

// Gradient outputs of at least this many bytes are written with
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
HWY_INLINE void MapLoop(D d, const Op& op, const T* a, const T* b, T* out,
                        size_t n) {
  const size_t N = hn::Lanes(d);
  size_t i = 0;
  if constexpr (kStream) {
    const hn::CappedTag<T, 1> d1;
    const uintptr_t align = N * sizeof(T);
    for (; i < n && reinterpret_cast<uintptr_t>(out + i) % align != 0; ++i) {
      hn::StoreU(op(d1, hn::LoadU(d1, a + i), hn::LoadU(d1, b + i)), d1,
                 out + i);
    }
  }
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto v0 = op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i));
    const auto v1 = op(d, hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N));
    StoreOut<kStream>(d, v0, out + i);
    StoreOut<kStream>(d, v1, out + i + N);
  }
  for (; i + N <= n; i += N) {
    StoreOut<kStream>(d, op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i)),
                      out + i);
  }
  if (i < n) {
    const size_t c = n - i;
    StoreTail(d, op(d, LoadTail(d, a + i, c), LoadTail(d, b + i, c)), out + i,
              c);
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
template <bool kA, bool kB, bool kC, class D, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxStages(D d, size_t n, RowJob<D>* a, RowJob<D>* b,
                              const RowJob<D>* c) {
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
      const V e0 = ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i), mb));
      const V e1 = ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + N), mb));
      const V e2 =
          ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + 2 * N), mb));
      const V e3 =
          ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i + 3 * N), mb));
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
      const V e = ExpNonPositive(d, hn::Sub(hn::LoadU(d, vb + i), mb));
      hn::StoreU(e, d, yb + i);
      s0 = hn::Add(s0, e);
    }
    if constexpr (kC) hn::StoreU(hn::Mul(hn::LoadU(d, yc + i), invc), d, yc + i);
  }
  if (tail != 0) {
    const auto first = hn::FirstN(d, tail);
    if constexpr (kA) {
      m1 = hn::Max(m1, hn::IfThenElse(first, LoadTail(d, va + body, tail),
                                      neg_inf));
    }
    if constexpr (kB) {
      const V e = hn::IfThenElseZero(
          first, ExpNonPositive(d, hn::Sub(LoadTail(d, vb + body, tail), mb)));
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
    const V sum =
        hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)));
    b->inv = hn::Div(hn::Set(d, T(1)), sum);
  }
}

// Pass F: y = f(x) over n elements; returns max_i y[i], broadcast.
template <class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> ApplyFnMax(D d, const F& f, const T* HWY_RESTRICT x,
                                 T* HWY_RESTRICT y, size_t n) {
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
template <class D>
HWY_INLINE void SoftmaxStagesBC(D d, size_t n, RowJob<D>* b,
                                const RowJob<D>* c) {
  if (b != nullptr && c != nullptr) {
    SoftmaxStages<false, true, true>(d, n, b, b, c);
  } else if (b != nullptr) {
    SoftmaxStages<false, true, false>(d, n, b, b, b);
  } else if (c != nullptr) {
    RowJob<D>* const none = nullptr;
    SoftmaxStages<false, false, true>(d, n, none, none, c);
  }
}

// Softmax of f(x) over `rows` contiguous rows of length n, pipelined as
// described above. y must not alias x.
template <class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxRows(D d, const F& f, const T* x, T* y, size_t rows,
                            size_t n) {
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
      SoftmaxStagesBC(d, n, b, c);
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
      SoftmaxStagesBC(d, n, b, c);
      continue;
    }
    a->v = x + t * n;
    a->y = y + t * n;
    if (b != nullptr && c != nullptr) {
      SoftmaxStages<true, true, true>(d, n, a, b, c);
    } else if (b != nullptr) {
      SoftmaxStages<true, true, false>(d, n, a, b, a);
    } else {
      SoftmaxStages<true, false, false>(d, n, a, a, a);
    }
  }
}

// Softmax along a strided axis for Lanes(d) adjacent columns at once: x and
// y point at element (k = 0, column j); successive k are `stride` apart.
template <class D, class F, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxColumns(D d, const F& f, const T* HWY_RESTRICT x,
                               T* HWY_RESTRICT y, size_t n, size_t stride) {
  using V = hn::Vec<D>;
  // The maximum of the computed f(x_k), as in SoftmaxRows.
  V m = hn::Set(d, -std::numeric_limits<T>::infinity());
  for (size_t k = 0; k < n; ++k) {
    m = hn::Max(m, f(d, hn::LoadU(d, x + k * stride)));
  }
  V s0 = hn::Zero(d), s1 = hn::Zero(d);
  size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    const V e0 =
        ExpNonPositive(d, hn::Sub(f(d, hn::LoadU(d, x + k * stride)), m));
    const V e1 = ExpNonPositive(
        d, hn::Sub(f(d, hn::LoadU(d, x + (k + 1) * stride)), m));
    hn::StoreU(e0, d, y + k * stride);
    hn::StoreU(e1, d, y + (k + 1) * stride);
    s0 = hn::Add(s0, e0);
    s1 = hn::Add(s1, e1);
  }
  if (k < n) {
    const V e =
        ExpNonPositive(d, hn::Sub(f(d, hn::LoadU(d, x + k * stride)), m));
    hn::StoreU(e, d, y + k * stride);
    s0 = hn::Add(s0, e);
  }
  const V inv = hn::Div(hn::Set(d, T(1)), hn::Add(s0, s1));
  for (k = 0; k < n; ++k) {
    T* p = y + k * stride;
    hn::StoreU(hn::Mul(hn::LoadU(d, p), inv), d, p);
  }
}

template <typename T, class F>
void SoftmaxStridedLoop(const F& f, const T* x, T* y, size_t outer, size_t n,
                        size_t inner) {
  const hn::ScalableTag<T> d;
  if (inner == 1) {
    SoftmaxRows(d, f, x, y, outer, n);
    return;
  }
  const size_t N = hn::Lanes(d);
  const hn::CappedTag<T, 1> d1;
  for (size_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    T* yo = y + o * n * inner;
    size_t j = 0;
    for (; j + N <= inner; j += N) SoftmaxColumns(d, f, xo + j, yo + j, n, inner);
    for (; j < inner; ++j) SoftmaxColumns(d1, f, xo + j, yo + j, n, inner);
  }
}

// ---------------------------------------------------------------------------
// Softmax backward. The optional chain factor is selu'(x).

struct NoChain {};

template <typename T>
struct SeluChain {
  T scale;
  T sa;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V g, V xv) const {
    const V deriv =
        hn::IfThenElse(hn::Gt(xv, hn::Zero(d)), hn::Set(d, scale),
                       hn::Mul(hn::Set(d, sa), ExpNonPositive(d, xv)));
    return hn::Mul(g, deriv);
  }
};

// dx = chain(y * (dy - dot), x) for the lanes of one vector.
template <class D, class Chain, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> GradVec(D d, const Chain& chain, hn::Vec<D> yv,
                              hn::Vec<D> dyv, hn::Vec<D> dot,
                              hn::Vec<D> xv) {
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
HWY_INLINE void SoftmaxGradRow(D d, const Chain& chain, const T* y,
                               const T* dy, T* dx, const T* x, size_t n) {
  using V = hn::Vec<D>;
  const size_t N = hn::Lanes(d);
  const size_t tail = n % N;
  const size_t body = n - tail;
  V a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  size_t i = 0;
  for (; i + 4 * N <= body; i += 4 * N) {
    a0 = hn::MulAdd(hn::LoadU(d, y + i), hn::LoadU(d, dy + i), a0);
    a1 = hn::MulAdd(hn::LoadU(d, y + i + N), hn::LoadU(d, dy + i + N), a1);
    a2 = hn::MulAdd(hn::LoadU(d, y + i + 2 * N), hn::LoadU(d, dy + i + 2 * N),
                    a2);
    a3 = hn::MulAdd(hn::LoadU(d, y + i + 3 * N), hn::LoadU(d, dy + i + 3 * N),
                    a3);
  }
  for (; i < body; i += N) {
    a0 = hn::MulAdd(hn::LoadU(d, y + i), hn::LoadU(d, dy + i), a0);
  }
  if (tail != 0) {
    a1 = hn::MulAdd(LoadTail(d, y + body, tail), LoadTail(d, dy + body, tail),
                    a1);
  }
  const V dot = hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  const V zero = hn::Zero(d);
  for (i = 0; i + 2 * N <= body; i += 2 * N) {
    const V g0 = GradVec(d, chain, hn::LoadU(d, y + i), hn::LoadU(d, dy + i),
                         dot, kHasX ? hn::LoadU(d, x + i) : zero);
    const V g1 = GradVec(d, chain, hn::LoadU(d, y + i + N),
                         hn::LoadU(d, dy + i + N), dot,
                         kHasX ? hn::LoadU(d, x + i + N) : zero);
    StoreOut<kStream>(d, g0, dx + i);
    StoreOut<kStream>(d, g1, dx + i + N);
  }
  for (; i < body; i += N) {
    StoreOut<kStream>(d,
                      GradVec(d, chain, hn::LoadU(d, y + i),
                              hn::LoadU(d, dy + i), dot,
                              kHasX ? hn::LoadU(d, x + i) : zero),
                      dx + i);
  }
  if (tail != 0) {
    StoreTail(d,
              GradVec(d, chain, LoadTail(d, y + body, tail),
                      LoadTail(d, dy + body, tail), dot,
                      kHasX ? LoadTail(d, x + body, tail) : zero),
              dx + body, tail);
  }
}

template <class D, class Chain, typename T = hn::TFromD<D>>
HWY_INLINE void SoftmaxGradColumns(D d, const Chain& chain, const T* y,
                                   const T* dy, T* dx, const T* x, size_t n,
                                   size_t stride) {
  using V = hn::Vec<D>;
  V a0 = hn::Zero(d), a1 = hn::Zero(d);
  size_t k = 0;
  for (; k + 2 <= n; k += 2) {
    a0 = hn::MulAdd(hn::LoadU(d, y + k * stride), hn::LoadU(d, dy + k * stride),
                    a0);
    a1 = hn::MulAdd(hn::LoadU(d, y + (k + 1) * stride),
                    hn::LoadU(d, dy + (k + 1) * stride), a1);
  }
  if (k < n) {
    a0 = hn::MulAdd(hn::LoadU(d, y + k * stride), hn::LoadU(d, dy + k * stride),
                    a0);
  }
  const V dot = hn::Add(a0, a1);
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  for (k = 0; k < n; ++k) {
    const size_t off = k * stride;
    hn::StoreU(GradVec(d, chain, hn::LoadU(d, y + off), hn::LoadU(d, dy + off),
                       dot, kHasX ? hn::LoadU(d, x + off) : hn::Zero(d)),
               d, dx + off);
  }
}

template <typename T, class Chain>
void SoftmaxGradStridedLoop(const Chain& chain, const T* y, const T* dy, T* dx,
                            const T* x, size_t outer, size_t n,
                            size_t inner) {
  const hn::ScalableTag<T> d;
  constexpr bool kHasX = !std::is_same<Chain, NoChain>::value;
  const size_t N = hn::Lanes(d);
  if (inner == 1) {
    const bool stream =
        outer * n * sizeof(T) >= kStreamBytes && n % N == 0 &&
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
      SoftmaxGradColumns(d1, chain, y + base + j, dy + base + j,
                         dx + base + j, kHasX ? x + base + j : nullptr, n,
                         inner);
    }
  }
}

// ---------------------------------------------------------------------------
// Non-template entry points, one set per target, for HWY_EXPORT.

void SeluF32(const float* x, float* y, size_t n, float alpha, float scale) {
  ApplyFn(hn::ScalableTag<float>(), SeluFn<float>{scale, scale * alpha}, x, y,
          n);
}
void SeluF64(const double* x, double* y, size_t n, double alpha,
             double scale) {
  ApplyFn(hn::ScalableTag<double>(), SeluFn<double>{scale, scale * alpha}, x,
          y, n);
}
void SeluGradientF32(const float* y, const float* dy, float* dx, size_t n,
                     float alpha, float scale) {
  MapBinary(SeluGradOp<float>{scale, scale * alpha}, y, dy, dx, n);
}
void SeluGradientF64(const double* y, const double* dy, double* dx, size_t n,
                     double alpha, double scale) {
  MapBinary(SeluGradOp<double>{scale, scale * alpha}, y, dy, dx, n);
}
void SoftmaxF32(const float* x, float* y, size_t outer, size_t n,
                size_t inner) {
  SoftmaxStridedLoop(IdentityFn(), x, y, outer, n, inner);
}
void SoftmaxF64(const double* x, double* y, size_t outer, size_t n,
                size_t inner) {
  SoftmaxStridedLoop(IdentityFn(), x, y, outer, n, inner);
}
void SeluSoftmaxF32(const float* x, float* y, size_t outer, size_t n,
                    size_t inner, float alpha, float scale) {
  SoftmaxStridedLoop(SeluFn<float>{scale, scale * alpha}, x, y, outer, n,
                     inner);
}
void SeluSoftmaxF64(const double* x, double* y, size_t outer, size_t n,
                    size_t inner, double alpha, double scale) {
  SoftmaxStridedLoop(SeluFn<double>{scale, scale * alpha}, x, y, outer, n,
                     inner);
}
void SoftmaxGradF32(const float* y, const float* dy, float* dx, size_t outer,
                    size_t n, size_t inner) {
  SoftmaxGradStridedLoop<float>(NoChain(), y, dy, dx, nullptr, outer, n,
                                inner);
}
void SoftmaxGradF64(const double* y, const double* dy, double* dx,
                    size_t outer, size_t n, size_t inner) {
  SoftmaxGradStridedLoop<double>(NoChain(), y, dy, dx, nullptr, outer, n,
                                 inner);
}
void SeluSoftmaxGradF32(const float* y, const float* dy, float* dx,
                        size_t outer, size_t n, size_t inner, const float* x,
                        float alpha, float scale) {
  SoftmaxGradStridedLoop(SeluChain<float>{scale, scale * alpha}, y, dy, dx, x,
                         outer, n, inner);
}
void SeluSoftmaxGradF64(const double* y, const double* dy, double* dx,
                        size_t outer, size_t n, size_t inner, const double* x,
                        double alpha, double scale) {
  SoftmaxGradStridedLoop(SeluChain<double>{scale, scale * alpha}, y, dy, dx, x,
                         outer, n, inner);
}

int64_t TargetOfThisCode() { return HWY_TARGET; }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace opgraph {
namespace kernels {

HWY_EXPORT(SeluF32);
HWY_EXPORT(SeluF64);
HWY_EXPORT(SeluGradientF32);
HWY_EXPORT(SeluGradientF64);
HWY_EXPORT(SoftmaxF32);
HWY_EXPORT(SoftmaxF64);
HWY_EXPORT(SeluSoftmaxF32);
HWY_EXPORT(SeluSoftmaxF64);
HWY_EXPORT(SoftmaxGradF32);
HWY_EXPORT(SoftmaxGradF64);
HWY_EXPORT(SeluSoftmaxGradF32);
HWY_EXPORT(SeluSoftmaxGradF64);
HWY_EXPORT(TargetOfThisCode);

namespace {

// Any zero extent means no work; negative extents are caller bugs that the
// operator layer rejects before calling.
bool Empty(int64_t a, int64_t b = 1, int64_t c = 1) {
  return a <= 0 || b <= 0 || c <= 0;
}

size_t U(int64_t v) { return static_cast<size_t>(v); }

}  // namespace

void Selu(const float* x, float* y, int64_t n, float alpha, float scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluF32)(x, y, U(n), alpha, scale);
}
void Selu(const double* x, double* y, int64_t n, double alpha, double scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluF64)(x, y, U(n), alpha, scale);
}

void SeluGradient(const float* y, const float* dy, float* dx, int64_t n,
                  float alpha, float scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluGradientF32)(y, dy, dx, U(n), alpha, scale);
}
void SeluGradient(const double* y, const double* dy, double* dx, int64_t n,
                  double alpha, double scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluGradientF64)(y, dy, dx, U(n), alpha, scale);
}

void Softmax(const float* x, float* y, int64_t rows, int64_t d) {
  SoftmaxStrided(x, y, rows, d, 1);
}
void Softmax(const double* x, double* y, int64_t rows, int64_t d) {
  SoftmaxStrided(x, y, rows, d, 1);
}

void SoftmaxGradient(const float* y, const float* dy, float* dx, int64_t rows,
                     int64_t d) {
  SoftmaxGradientStrided(y, dy, dx, rows, d, 1);
}
void SoftmaxGradient(const double* y, const double* dy, double* dx,
                     int64_t rows, int64_t d) {
  SoftmaxGradientStrided(y, dy, dx, rows, d, 1);
}

void SoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d,
                    int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxF32)(x, y, U(outer), U(d), U(inner));
}
void SoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d,
                    int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxF64)(x, y, U(outer), U(d), U(inner));
}

void SeluSoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d,
                        int64_t inner, float alpha, float scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxF32)(x, y, U(outer), U(d), U(inner), alpha,
                                       scale);
}
void SeluSoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d,
                        int64_t inner, double alpha, double scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxF64)(x, y, U(outer), U(d), U(inner), alpha,
                                       scale);
}

void SoftmaxGradientStrided(const float* y, const float* dy, float* dx,
                            int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxGradF32)(y, dy, dx, U(outer), U(d), U(inner));
}
void SoftmaxGradientStrided(const double* y, const double* dy, double* dx,
                            int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxGradF64)(y, dy, dx, U(outer), U(d), U(inner));
}

void SeluSoftmaxGradientStrided(const float* y, const float* dy, float* dx,
                                int64_t outer, int64_t d, int64_t inner,
                                const float* x, float alpha, float scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxGradF32)(y, dy, dx, U(outer), U(d), U(inner),
                                           x, alpha, scale);
}
void SeluSoftmaxGradientStrided(const double* y, const double* dy, double* dx,
                                int64_t outer, int64_t d, int64_t inner,
                                const double* x, double alpha, double scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxGradF64)(y, dy, dx, U(outer), U(d), U(inner),
                                           x, alpha, scale);
}

namespace {

// The target currently forced by ForceTargetForTesting, 0 if none. Highway
// offers no getter for its test mask, and the lists below must be computed
// with the mask cleared.
int64_t& ForcedTarget() {
  static int64_t forced = 0;
  return forced;
}

std::vector<int64_t> UnforcedTargets() {
  if (ForcedTarget() != 0) hwy::SetSupportedTargetsForTest(0);
  // Lowest bit first, which is best first on x86.
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  if (ForcedTarget() != 0) hwy::SetSupportedTargetsForTest(ForcedTarget());
  return targets;
}

}  // namespace

std::vector<std::string> AvailableTargets() {
  std::vector<std::string> names;
  for (int64_t t : UnforcedTargets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

std::string CurrentTarget() {
  return hwy::TargetName(HWY_DYNAMIC_DISPATCH(TargetOfThisCode)());
}

bool ForceTargetForTesting(const std::string& name) {
  int64_t chosen = 0;
  if (!name.empty()) {
    for (int64_t t : UnforcedTargets()) {
      if (name == hwy::TargetName(t)) chosen = t;
    }
    if (chosen == 0) return false;
  }
  ForcedTarget() = chosen;
  hwy::SetSupportedTargetsForTest(chosen);
  return true;
}

}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
