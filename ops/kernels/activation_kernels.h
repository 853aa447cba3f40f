// SIMD math kernels for the Relu, Sigmoid, Tanh, Selu and Softmax operator
// families.
//
// Every kernel is compiled for several instruction sets (Highway targets:
// AVX3 = AVX-512, AVX2, SSE4, SSSE3 and a portable scalar fallback) and picks
// the best one the running CPU supports on each call, so one binary built
// with plain -O2 is fast on any x86-64 CPU. Kernels are pure functions of
// their arguments: any number of calls may run concurrently as long as their
// output ranges do not overlap each other's inputs or outputs.
//
// Shapes: n, rows, d, outer, inner are element counts and must be >= 0; a
// zero in any of them makes the call a no-op that touches no memory. The
// caller guarantees that every pointer covers the elements described; the
// kernels do not check. "May alias" always means the two pointers are
// exactly equal; partial overlap is never allowed. Gradient outputs of
// 8 MiB or more are written with non-temporal stores (fenced before
// returning), so they are not left in cache; results are bit-identical
// either way.
//
// Accuracy ("ULP" = unit in the last place of the exact result rounded to T,
// with subnormal results measured in units of the smallest subnormal). The
// bounds hold on every target and are checked by the tests against a
// long double reference:
//   Selu            float <= 3 ULP, double <= 3 ULP.
//   SeluGradient    <= 2 ULP of the exact value of the formula below with
//                   T(scale * alpha) as the constant (two roundings).
//   Softmax         |y_i - exact_i| <= (8 + |x_i - max_j x_j| + d / 4) * eps
//                   * exact_i + 4 * denorm_min, eps = numeric_limits<T>::
//                   epsilon(). The |x_i - max| term is the rounding of the
//                   subtraction x_i - max, which every float softmax has.
//   SoftmaxGradient |dx_i - exact_i| <= (8 + d / 4) * eps * y_i *
//                   (|dy_i| + sum_j y_j |dy_j|) + 4 * denorm_min.
//   SeluSoftmaxStrided returns bit for bit what Selu followed by
//   SoftmaxStrided returns. SeluSoftmaxGradientStrided is within
//   4 * eps (relative, plus 4 * numeric_limits<T>::min() absolute) of
//   SoftmaxGradientStrided's result times the exact selu'(x).
//   (Largest errors seen in the tests: Selu float 2.51 ULP on the AVX2 and
//   AVX-512 targets, whose float exp and expm1 use a 2^(j/L) table, 1.83
//   ULP on the others; Selu double 2.11 ULP.)

#ifndef OPGRAPH_OPS_KERNELS_ACTIVATION_KERNELS_H_
#define OPGRAPH_OPS_KERNELS_ACTIVATION_KERNELS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace opgraph {
namespace kernels {

// y[i] = scale * x[i]                   if x[i] > 0
//        scale * alpha * expm1(x[i])    otherwise (computed as
//                                       T(scale * alpha) * expm1(x[i])).
// Special values: NaN -> NaN, +inf -> +inf (for scale > 0), -inf ->
// -T(scale * alpha), +-0 -> +-0 (sign kept), subnormal x -> scale * x or
// T(scale * alpha) * x correctly rounded to within the bound above.
// y may alias x.
void Selu(const float* x, float* y, int64_t n, float alpha, float scale);
void Selu(const double* x, double* y, int64_t n, double alpha, double scale);

// y[i] = 0 where x[i] < 0, else x[i] (exact). NaN -> NaN, -0 -> -0.
// y may alias x.
void Relu(const float* x, float* y, int64_t n);
void Relu(const double* x, double* y, int64_t n);

// Backward of Relu from its output: dx[i] = dy[i] where y[i] > 0, else 0
// (exact). dx may alias dy (or y).
void ReluGradient(const float* y, const float* dy, float* dx, int64_t n);
void ReluGradient(const double* y, const double* dy, double* dx, int64_t n);

// y[i] = 1 / (1 + exp(-x[i])), computed from exp(-|x|) so that nothing
// overflows; within 6 ULP (checked against long double on every target;
// subnormal results in units of the smallest subnormal; largest seen: float
// 4.81 ULP on AVX2 over [-100, 30], 1.71 on the others; double 1.64).
// NaN -> NaN, +inf -> 1, -inf -> 0. y may alias x.
void Sigmoid(const float* x, float* y, int64_t n);
void Sigmoid(const double* x, double* y, int64_t n);

// Backward of Sigmoid from its output: dx[i] = dy[i] * y[i] * (1 - y[i]).
// dx may alias dy (or y).
void SigmoidGradient(const float* y, const float* dy, float* dx, int64_t n);
void SigmoidGradient(const double* y, const double* dy, double* dx, int64_t n);

// y[i] = tanh(x[i]) = sign(x) * m / (2 - m), m = -expm1(-2|x|); within 6
// ULP (checked against long double on every target; largest seen: float
// 2.96 ULP on AVX2, 2.33 on the others; double 2.31). NaN -> NaN, +-inf ->
// +-1, +-0 -> +-0. y may alias x.
void Tanh(const float* x, float* y, int64_t n);
void Tanh(const double* x, double* y, int64_t n);

// Backward of Tanh from its output: dx[i] = dy[i] * (1 - y[i]^2). dx may
// alias dy (or y).
void TanhGradient(const float* y, const float* dy, float* dx, int64_t n);
void TanhGradient(const double* y, const double* dy, double* dx, int64_t n);

// Backward of Selu written in terms of its output y = Selu(x):
// dx[i] = scale * dy[i]                          if y[i] > 0
//         dy[i] * (y[i] + T(scale * alpha))      otherwise.
// NaN in y or dy gives NaN. dx may alias dy (or y).
void SeluGradient(const float* y, const float* dy, float* dx, int64_t n, float alpha, float scale);
void SeluGradient(const double* y, const double* dy, double* dx, int64_t n, double alpha,
                  double scale);

// Softmax of each of `rows` contiguous rows of length d:
//   y[r, i] = exp(x[r, i] - m_r) / sum_j exp(x[r, j] - m_r), m_r = max_j x.
// Special values per row, as in PyTorch: any NaN -> the whole row is NaN;
// a +inf -> the whole row is NaN (inf - inf arises); every element -inf ->
// the whole row is NaN; a -inf among finite values -> exactly 0 there.
// Results below the normal range are returned as subnormals, not flushed.
// y must not alias x.
void Softmax(const float* x, float* y, int64_t rows, int64_t d);
void Softmax(const double* x, double* y, int64_t rows, int64_t d);

// dx[r, i] = y[r, i] * (dy[r, i] - sum_j y[r, j] * dy[r, j]) for each
// contiguous row of length d, where y = Softmax(x). dx may alias dy (or y).
void SoftmaxGradient(const float* y, const float* dy, float* dx, int64_t rows, int64_t d);
void SoftmaxGradient(const double* y, const double* dy, double* dx, int64_t rows, int64_t d);

// Softmax along the middle axis of a C-order [outer, d, inner] array: for
// every (o, j) the d elements x[(o * d + k) * inner + j], k = 0..d-1, form
// one row as in Softmax (same special values). inner == 1 is exactly
// Softmax(x, y, outer, d). y must not alias x.
void SoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner);
void SoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner);

// y = Softmax(Selu(x, alpha, scale)) along the middle axis, fused: for
// contiguous rows (inner == 1) selu(x) is written into the row of y, which
// then stays in L1 while the softmax works on it in place; for strided
// rows it lives in registers (computed twice). No temporary tensor, and
// memory sees the same passes as Softmax alone. Result is bit-identical to
// Selu into a temporary followed by SoftmaxStrided, for any alpha and
// scale. y must not alias x.
void SeluSoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner,
                        float alpha, float scale);
void SeluSoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner,
                        double alpha, double scale);

// SoftmaxGradient along the middle axis of [outer, d, inner] arrays.
// dx may alias dy (or y).
void SoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer, int64_t d,
                            int64_t inner);
void SoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer, int64_t d,
                            int64_t inner);

// Gradient with respect to x of y = Softmax(Selu(x)) along the middle axis:
//   g = y * (dy - sum_k y * dy)          (softmax backward, per row)
//   dx = g * selu'(x),  selu'(x) = scale if x > 0 else T(scale * alpha) *
//   exp(x).
// y must be the forward output for this x. dx may alias dy (or y); x must
// not alias dx.
void SeluSoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer,
                                int64_t d, int64_t inner, const float* x, float alpha, float scale);
void SeluSoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer,
                                int64_t d, int64_t inner, const double* x, double alpha,
                                double scale);

// Names ("AVX3", "AVX2", "SSE4", "SSSE3", "SCALAR" or "EMU128") of the
// targets that are compiled into these kernels AND supported by this CPU,
// best first.
std::vector<std::string> AvailableTargets();

// Name of the target the next kernel call will run on.
std::string CurrentTarget();

// Test hook: makes every following kernel call run on the target `name`
// (one of AvailableTargets()); "" restores the automatic choice. Returns
// false and changes nothing for an unknown or unsupported name. This sets
// Highway's process-wide target mask (it affects all Highway code in the
// process) and must not run concurrently with any kernel call.
bool ForceTargetForTesting(const std::string& name);

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_ACTIVATION_KERNELS_H_
