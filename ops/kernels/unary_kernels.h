// SIMD kernels for the element-wise unary operators LeakyRelu, Elu, Exp,
// Log, Sqrt, Negative and Abs and their gradients.
//
// Like activation_kernels.h: compiled for every Highway target and
// dispatched to the best one the CPU supports on each call (the target
// choice and ForceTargetForTesting of activation_kernels.h apply to these
// kernels too, since both use Highway's process-wide dispatch). Kernels are
// pure functions of their arguments, element by element: element i of the
// result depends only on element i of the inputs, never on n or on where
// the range starts, so splitting a tensor across threads gives the same
// bits. n must be >= 0 (0 touches no memory). "May alias" means the two
// pointers are exactly equal; partial overlap is never allowed.
//
// Accuracy ("ULP" = unit in the last place of the exact result rounded to
// T; subnormal results are measured in units of the smallest subnormal).
// Checked by tests/ops/unary_ops_test.cc against long double on every
// target this CPU has:
//   LeakyRelu, Negative, Abs, Sqrt      exact (correctly rounded).
//   Exp   <= 2 ULP (Highway's exp; for finite results).
//   Log   <= 2 ULP (Highway's log).
//   Elu   <= 3 ULP (the project's expm1 of exp-inl.h times alpha).
//   Gradients: one or two roundings of the formulas below (<= 1.5 ULP of
//   the formula evaluated exactly on the given inputs).
//   (Largest errors seen in the tests on AVX2, SSE4, SSSE3 and SCALAR: Exp
//   float 0.92, double 0.94; Log float 0.74, double 0.74; Elu float 1.65
//   on AVX2, whose float expm1 uses a table, 1.35 on the others, double
//   1.44.)

#ifndef OPGRAPH_OPS_KERNELS_UNARY_KERNELS_H_
#define OPGRAPH_OPS_KERNELS_UNARY_KERNELS_H_

#include <cstdint>

namespace opgraph {
namespace kernels {

// The forward functions y[i] = f(x[i]); y may alias x.
enum class UnaryFn {
  // x < 0 ? alpha * x : x. NaN -> NaN, -0 -> -0.
  kLeakyRelu,
  // x < 0 ? alpha * expm1(x) : x (alpha >= 0). NaN -> NaN, -0 -> -0,
  // -inf -> -alpha.
  kElu,
  // exp(x). NaN -> NaN, -inf -> +0, +inf and overflow -> +inf; results
  // below the normal range are subnormals (not flushed).
  kExp,
  // log(x). +-0 -> -inf, x < 0 -> NaN (as numpy), +inf -> +inf, NaN -> NaN;
  // subnormal x is handled.
  kLog,
  // sqrt(x), correctly rounded. -0 -> -0, x < 0 -> NaN.
  kSqrt,
  // -x (sign flip, exact, also for NaN and zeros).
  kNegative,
  // |x| (sign cleared, exact).
  kAbs,
};

// The backward functions dx[i] = g(a[i], dy[i]), where `a` is the input the
// gradient reads (named in each case). dx may alias dy (or a).
enum class UnaryGradFn {
  // a = Y: y > 0 ? dy : alpha * dy.
  kLeakyRelu,
  // a = Y: y > 0 ? dy : dy * (y + alpha).
  kElu,
  // a = Y: dy * y.
  kExp,
  // a = X: dy / x.
  kLog,
  // a = Y: (0.5 * dy) / y.
  kSqrt,
  // a = X: x > 0 ? dy : x < 0 ? -dy : 0; NaN x -> NaN.
  kAbs,
};

// `alpha` is used by kLeakyRelu and kElu and ignored by the others.
void Unary(UnaryFn fn, const float* x, float* y, int64_t n, float alpha = 0);
void Unary(UnaryFn fn, const double* x, double* y, int64_t n, double alpha = 0);
void UnaryGradient(UnaryGradFn fn, const float* a, const float* dy, float* dx, int64_t n,
                   float alpha = 0);
void UnaryGradient(UnaryGradFn fn, const double* a, const double* dy, double* dx, int64_t n,
                   double alpha = 0);

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_UNARY_KERNELS_H_
