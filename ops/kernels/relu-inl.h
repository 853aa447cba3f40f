// Relu, Sigmoid and Tanh, forward and backward. Per-target code, included once per Highway
// target from activation_kernels.cc (the guard toggles, as in selu-inl.h).
#if defined(OPGRAPH_OPS_KERNELS_RELU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef OPGRAPH_OPS_KERNELS_RELU_INL_H_
#undef OPGRAPH_OPS_KERNELS_RELU_INL_H_
#else
#define OPGRAPH_OPS_KERNELS_RELU_INL_H_
#endif

#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"
#include "ops/kernels/selu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// relu(x): 0 where x < 0, else x. Selecting on x < 0 keeps NaN and the sign
// of a zero (-0 -> -0), as max(x, 0) written "x < 0 ? 0 : x" does.
struct ReluFn {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::IfThenZeroElse(hn::Lt(x, hn::Zero(d)), x);
  }
};

// dx = dy where y > 0, else 0 (y is the forward output; the derivative at
// 0 is taken as 0, as Caffe2 and PyTorch do). NaN in dy where y > 0 stays.
struct ReluGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return hn::IfThenElseZero(hn::Gt(y, hn::Zero(d)), dy);
  }
};

// sigmoid(x) = 1 / (1 + exp(-x)), from s = exp(-|x|) <= 1, which never
// overflows: 1 / (1 + s) for x >= 0, s / (1 + s) below. NaN -> NaN, +inf
// -> 1, -inf -> 0. M supplies exp of a non-positive argument.
template <class M = KernelExp>
struct SigmoidFn {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V one = hn::Set(d, hn::TFromD<D>(1));
    const V s = M::ExpNonPositive(d, hn::Neg(hn::Abs(x)));
    const V den = hn::Add(one, s);
    return hn::Div(hn::IfThenElse(hn::Lt(x, hn::Zero(d)), s, one), den);
  }
};

// dx = dy * y * (1 - y), y the forward output.
struct SigmoidGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return hn::Mul(dy, hn::Mul(y, hn::Sub(hn::Set(d, hn::TFromD<D>(1)), y)));
  }
};

// tanh(x) = sign(x) * m / (m + 2) with m = -expm1(-2|x|) in [0, 1]:
// expm1 keeps the relative accuracy where tanh(x) ~ x, and nothing
// overflows. NaN -> NaN, +-inf -> +-1, +-0 -> +-0.
template <class M = KernelExp>
struct TanhFn {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    using T = hn::TFromD<D>;
    const V ax = hn::Abs(x);
    const V m = hn::Neg(M::Expm1NonPositive(d, hn::Mul(hn::Set(d, T(-2)), ax)));
    const V y = hn::CopySign(hn::Div(m, hn::Sub(hn::Set(d, T(2)), m)), x);
    // Expm1NonPositive clamps its argument from below, which turns NaN into
    // a number; NaN is passed through here.
    return hn::IfThenElse(hn::IsNaN(x), x, y);
  }
};

// dx = dy * (1 - y^2), y the forward output.
struct TanhGradOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V y, V dy) const {
    return hn::Mul(dy, hn::NegMulAdd(y, y, hn::Set(d, hn::TFromD<D>(1))));
  }
};

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#endif  // OPGRAPH_OPS_KERNELS_RELU_INL_H_
