// SIMD kernels of the LogSoftmax operators (ops/log_softmax_op.cc), over
// C-order [outer, d, inner] arrays, along the middle axis:
//
//   LogSoftmaxStrided          y = x - max - log(sum exp(x - max))
//   LogSoftmaxGradientStrided  dx = dy - exp(y) * sum(dy)
//
// inner == 1 is a contiguous row of length d (Caffe2's flattened rows). exp
// is the Selu / Softmax kernels' ExpNonPositive (ops/kernels/exp-inl.h,
// about 1 ULP on [-inf, 0]); the log is the C library's, once per row.
// Error bound, checked by tests/ops/log_softmax_op_test.cc against long
// double: |y_i - exact_i| <= (4 + d) * eps * (1 + |exact_i|), and for the
// gradient (4 + d) * eps * (|dy_i| + exp(y_i) * sum |dy|) (d: the row
// length; the sums are accumulated in lanes, so typical errors are far
// smaller).
// Special values as the formula evaluated in order: a NaN or +inf in a row,
// or a row of all -inf, makes the whole row NaN; a -inf element among
// finite ones gives -inf.
// Compiled for every Highway target the CPU may run and dispatched per call.
// y may not alias x; dx may alias dy.
#ifndef OPGRAPH_OPS_KERNELS_LOG_SOFTMAX_KERNELS_H_
#define OPGRAPH_OPS_KERNELS_LOG_SOFTMAX_KERNELS_H_

#include <cstdint>

namespace opgraph {
namespace kernels {

void LogSoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner);
void LogSoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner);
void LogSoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer, int64_t d,
                               int64_t inner);
void LogSoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer,
                               int64_t d, int64_t inner);

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_LOG_SOFTMAX_KERNELS_H_
