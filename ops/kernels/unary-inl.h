// LeakyRelu, Elu, Exp, Log, Sqrt, Negative and Abs, forward and backward:
// one functor per function, applied by the element-wise loops of
// selu-inl.h. Per-target code, included once per Highway target from
// unary_kernels.cc (the guard toggles, as in selu-inl.h).
#if defined(OPGRAPH_OPS_KERNELS_UNARY_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef OPGRAPH_OPS_KERNELS_UNARY_INL_H_
#undef OPGRAPH_OPS_KERNELS_UNARY_INL_H_
#else
#define OPGRAPH_OPS_KERNELS_UNARY_INL_H_
#endif

#include <limits>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"
#include "ops/kernels/selu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <class D>
HWY_INLINE hn::Vec<D> InfVec(D d) {
  return hn::Set(d, std::numeric_limits<hn::TFromD<D>>::infinity());
}

// Selecting on x < 0 sends +-0 and NaN to the identity branch, which keeps
// the sign of zero and propagates NaN.
template <typename T>
struct LeakyReluFn {
  T alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenElse(hn::Lt(x, hn::Zero(d)), hn::Mul(x, hn::Set(d, alpha)), x);
  }
};

// Tested on the output, as ReluGradient: y > 0 only where x > 0 for alpha
// >= 0 (which the operators require). At y == 0 the slope alpha is taken.
template <typename T>
struct LeakyReluGradOp {
  T alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return hn::IfThenElse(hn::Gt(y, hn::Zero(d)), dy, hn::Mul(dy, hn::Set(d, alpha)));
  }
};

// Largest x whose exp is finite in T; above it the result is +inf. Highway's
// exp is specified up to these values and converts larger ones to an
// integer exponent that wraps, so they are replaced.
template <typename T>
struct ExpLimits;
template <>
struct ExpLimits<float> {
  static constexpr float kMaxFinite = 88.72283172607421875f;
};
template <>
struct ExpLimits<double> {
  static constexpr double kMaxFinite = 709.782712893383973096;
};

// Highway's exp (specified within 1 ULP) with the cases it leaves open: NaN
// (which its range check turns into 0) and overflow.
struct ExpFn {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    const V y = hn::Exp(d, x);
    const V big = hn::IfThenElse(hn::Gt(x, hn::Set(d, ExpLimits<T>::kMaxFinite)), InfVec(d), y);
    return hn::IfThenElse(hn::IsNaN(x), x, big);
  }
};

// Highway's log (specified within 4 ULP, subnormal x included) for finite
// x > 0; the rest as numpy: +-0 -> -inf, x < 0 -> NaN, +inf -> +inf, NaN
// -> NaN.
struct LogFn {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    const V zero = hn::Zero(d);
    const V inf = InfVec(d);
    V y = hn::Log(d, x);
    y = hn::IfThenElse(hn::Eq(x, inf), inf, y);
    y = hn::IfThenElse(hn::Eq(x, zero), hn::Neg(inf), y);
    y = hn::IfThenElse(hn::Lt(x, zero), hn::Set(d, std::numeric_limits<T>::quiet_NaN()), y);
    return hn::IfThenElse(hn::IsNaN(x), x, y);
  }
};

struct SqrtFn {
  template <class D, class V>
  HWY_INLINE V operator()(D /*d*/, V x) const {
    return hn::Sqrt(x);
  }
};

struct NegativeFn {
  template <class D, class V>
  HWY_INLINE V operator()(D /*d*/, V x) const {
    return hn::Neg(x);
  }
};

struct AbsFn {
  template <class D, class V>
  HWY_INLINE V operator()(D /*d*/, V x) const {
    return hn::Abs(x);
  }
};

// dx = dy * y, y = exp(x).
struct ExpGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D /*d*/, V y, V dy) const {
    return hn::Mul(dy, y);
  }
};

// dx = dy / x.
struct LogGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D /*d*/, V x, V dy) const {
    return hn::Div(dy, x);
  }
};

// dx = (0.5 * dy) / y, y = sqrt(x); halving first is exact (except for
// subnormal dy) and keeps 0.5 / y from overflowing.
struct SqrtGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return hn::Div(hn::Mul(dy, hn::Set(d, hn::TFromD<D>(0.5))), y);
  }
};

// dx = sign(x) * dy with sign(0) = 0; NaN x -> NaN.
struct AbsGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x, V dy) const {
    const V zero = hn::Zero(d);
    const V pos = hn::IfThenElseZero(hn::Gt(x, zero), dy);
    const V g = hn::IfThenElse(hn::Lt(x, zero), hn::Neg(dy), pos);
    return hn::IfThenElse(hn::IsNaN(x), x, g);
  }
};

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#endif  // OPGRAPH_OPS_KERNELS_UNARY_INL_H_
