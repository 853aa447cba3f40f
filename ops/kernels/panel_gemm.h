// opgraph's own product for few rows against a constant right-hand side:
// the kernel behind kernels::GemmPacked when the weights were packed for a
// small number of rows (gemm.h). Internal to ops/kernels; operators call
// gemm.h.
//
// Why it exists: OpenBLAS 0.3.21 copies the whole right-hand operand into its
// own layout on every sgemm call and offers no way to keep that copy. With
// few rows the copy costs as much as the arithmetic (an MLP layer at batch
// 16 reads and writes 1.6 MB of weights to multiply by 16 rows). Here the
// copy is made once, by PackPanels, and each product only reads it.
//
// Panel layout: B[k, n] is cut into ceil(n / w) panels of w columns, where w
// is kPanelBytes / sizeof(T) (16 floats, 8 doubles) on every CPU, so a copy
// made under one SIMD target serves every other. Panel p holds columns
// [p w, p w + w) as k rows of w consecutive elements; the columns past n in
// the last panel are zero. The panels follow each other in order.
//
// Summation: each element of C accumulates its products in blocks of
// kPanelSumBlock terms (one running sum per block, in increasing index
// order, with fused multiply-adds), and adds the blocks into C in order, so
// every element obeys gemm.h's bounds, and the result does not depend on the
// thread count, the SIMD target's width or the element's position.
#ifndef OPGRAPH_OPS_KERNELS_PANEL_GEMM_H_
#define OPGRAPH_OPS_KERNELS_PANEL_GEMM_H_

#include <cstdint>

namespace opgraph {
namespace kernels {
namespace internal {

inline constexpr int64_t kPanelBytes = 64;
inline constexpr int64_t kPanelSumBlock = 256;

template <typename T>
constexpr int64_t PanelWidth() {
  return kPanelBytes / static_cast<int64_t>(sizeof(T));
}

// Elements of the panel copy of a k x n matrix: k * n rounded up to whole
// panels. The caller checks that this fits.
template <typename T>
int64_t PanelElements(int64_t k, int64_t n) {
  const int64_t w = PanelWidth<T>();
  return k * ((n + w - 1) / w * w);
}

// Writes the panel copy of op(B)[k, n] to out (PanelElements(k, n)
// elements): with trans_b false, b holds k rows of n (row stride ldb); with
// trans_b true, b holds n rows of k. Defined for float and double.
template <typename T>
void PackPanels(const T* b, int64_t k, int64_t n, int64_t ldb, bool trans_b, T* out);

// C[m, n] = alpha * op(A)[m, k] * B + beta * C, B given as panels. Sizes are
// positive (the caller handles empty products); beta == 0 writes C without
// reading it. Uses at most num_threads threads (ParallelFor, split by
// panels). Defined for float and double.
template <typename T>
void PanelGemm(bool trans_a, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
               const T* panels, T beta, T* c, int64_t ldc, int num_threads);

}  // namespace internal
}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_PANEL_GEMM_H_
