// exp(x) and expm1(x) for x <= 0, float and double, for the Selu and
// Softmax kernels: a 2^(j/L) table in one register plus a cubic on AVX2 and
// AVX-512 (float), a range reduction plus polynomial elsewhere.
// Per-target code: this header is included once per Highway target, from a
// .cc that includes hwy/foreach_target.h (see activation_kernels.cc); the
// guard below toggles instead of blocking so that each target's pass
// compiles it again inside its own HWY_NAMESPACE.
#if defined(OPGRAPH_OPS_KERNELS_EXP_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef OPGRAPH_OPS_KERNELS_EXP_INL_H_
#undef OPGRAPH_OPS_KERNELS_EXP_INL_H_
#else
#define OPGRAPH_OPS_KERNELS_EXP_INL_H_
#endif

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

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
  static constexpr float kQ[kQDegree + 1] = {0.5f, 0.16666576266288757f, 0.04166655242443085f,
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
      0.5000000000000001,    0.16666666666666669,   0.04166666666662317,   0.008333333333329989,
      0.0013888888917690603, 0.0001984126986342035, 2.480152055701783e-05, 2.755726789174553e-06,
      2.762043894863442e-07, 2.510065503606659e-08};
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
  ((p = hn::MulAdd(p, r, hn::Set(d, C::kQ[C::kQDegree - 1 - I] * kFactor))), ...);
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
  static constexpr int kShift = 19;                         // 23 - log2(L)
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
  static constexpr float kLoRel[16] = {0.0f,
                                       0x1.8d96d4p-25f,
                                       -0x1.9c0c22p-27f,
                                       0x1.964904p-25f,
                                       0x1.125002p-25f,
                                       0x1.370be4p-25f,
                                       -0x1.0a3550p-25f,
                                       -0x1.00d8acp-27f,
                                       0x1.26055cp-26f,
                                       -0x1.05cb44p-25f,
                                       0x1.67a1cap-28f,
                                       0x1.a3b5e4p-28f,
                                       -0x1.f9c304p-27f,
                                       -0x1.6961b4p-28f,
                                       -0x1.a5217cp-28f,
                                       0x1.61428ep-28f};
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
  static constexpr float kLoRel[8] = {0.0f,
                                      -0x1.9c0c22p-27f,
                                      0x1.125002p-25f,
                                      -0x1.0a3550p-25f,
                                      0x1.26055cp-26f,
                                      0x1.67a1cap-28f,
                                      -0x1.f9c304p-27f,
                                      -0x1.a5217cp-28f};
  // 2^(j/8), rounded to the nearest float.
  static constexpr float kPow2[8] = {0x1.000000p+0f, 0x1.172b84p+0f, 0x1.306fe0p+0f,
                                     0x1.4bfdaep+0f, 0x1.6a09e6p+0f, 0x1.8ace54p+0f,
                                     0x1.ae89fap+0f, 0x1.d5818ep+0f};
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
constexpr ExpTableBits<L> kExpTableBits = MakeExpTableBits<L>(ExpConsts<float>::kSubShift);
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
      d, LookupLowBits(di, hn::BitCast(di, hn::Load(d, kExpm1TableBits<L>.lo_rel)), tb));
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

// The exp and expm1 the Selu and Softmax kernels call. It is a template
// parameter of those kernels (defaulting to this one) so that a benchmark
// can compile the same kernels with another implementation and compare.
struct KernelExp {
  template <class D, class V>
  static HWY_INLINE V ExpNonPositive(D d, V x) {
    return HWY_NAMESPACE::ExpNonPositive(d, x);
  }
  template <class D, class V>
  static HWY_INLINE V Expm1NonPositive(D d, V x) {
    return HWY_NAMESPACE::Expm1NonPositive(d, x);
  }
};

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#endif  // OPGRAPH_OPS_KERNELS_EXP_INL_H_
