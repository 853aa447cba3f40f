// SIMD kernels of the binary arithmetic operators Add, Sub, Mul and Div
// (ops/binary_ops.cc) on float and double.
//
// Compiled for several instruction sets (Highway targets, the best one the
// CPU supports picked at each call), like ops/kernels/activation_kernels.h.
// Every result is the IEEE-754 operation in T, correctly rounded, so the
// results are bit-identical on every target and equal to the scalar
// expression. n >= 0; n = 0 touches no memory. c may alias a or b (exactly
// equal pointers); partial overlap is not allowed.
#ifndef OPGRAPH_OPS_KERNELS_BINARY_KERNELS_H_
#define OPGRAPH_OPS_KERNELS_BINARY_KERNELS_H_

#include <cstdint>

namespace opgraph {
namespace kernels {

enum class BinaryOp : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3 };

// c[i] = a[i] op b[i].
void BinarySame(BinaryOp op, const float* a, const float* b, float* c, int64_t n);
void BinarySame(BinaryOp op, const double* a, const double* b, double* c, int64_t n);
// c[i] = a[i] op b.
void BinaryScalarB(BinaryOp op, const float* a, float b, float* c, int64_t n);
void BinaryScalarB(BinaryOp op, const double* a, double b, double* c, int64_t n);
// c[i] = a op b[i].
void BinaryScalarA(BinaryOp op, float a, const float* b, float* c, int64_t n);
void BinaryScalarA(BinaryOp op, double a, const double* b, double* c, int64_t n);

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_BINARY_KERNELS_H_
