// The panel product of panel_gemm.h: packing (plain C++) and the product
// (Highway, compiled once per SIMD target and chosen at run time).
//
// This file includes itself through hwy/foreach_target.h, as
// activation_kernels.cc does.
//
// Shape of the product. A register tile holds R rows of C by P panels (P * w
// columns) in R * P * (w / lanes) vector accumulators. For each index q of a
// block of kPanelSumBlock, the tile loads row q of its P panels and adds the
// product with A[i, q], broadcast, for each of its R rows. Full tiles have
// kMaxRows rows and as many panels as the accumulators allow (AVX2: 6 rows
// by 1 panel; AVX-512: 8 rows by 3); the rows left over (fewer than kMaxRows) go
// through tiles of 4, 2 and 1 rows that span several panels instead, so
// that a tile always has enough independent accumulators to hide the
// multiply-add latency (one row by one panel would wait on a single chain).
// Panels are taken a few at a time (as many as the smallest row group's
// tile spans, often one), and each few goes through every block of indices
// and every row group before the next: a block of B (kPanelSumBlock rows of
// a panel, 16 KiB) is read from memory once and then from the L1 cache by
// every row group. On AVX2 this runs at 72-77 GFLOP/s for 8 to 128 rows,
// about one core's peak (bench/fc_bench BM_GemmPanels; docs/PERFORMANCE.md).

#include "ops/kernels/panel_gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/panel_gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

// The product's operands, shared by every target's code (defined once, as
// this file is compiled once per target).
#ifndef OPGRAPH_OPS_KERNELS_PANEL_GEMM_PROBLEM_
#define OPGRAPH_OPS_KERNELS_PANEL_GEMM_PROBLEM_
namespace opgraph {
namespace kernels {
namespace internal {
template <typename T>
struct PanelProblem {
  int64_t m, n, k;
  T alpha, beta;
  const T* a;
  int64_t rs, cs;  // A's strides: op(A)[i, q] is a[i * rs + q * cs]
  const T* panels;
  T* c;
  int64_t ldc;
};
}  // namespace internal
}  // namespace kernels
}  // namespace opgraph
#endif  // OPGRAPH_OPS_KERNELS_PANEL_GEMM_PROBLEM_

// Complete unrolling of the loops over a tile's accumulators (trip counts
// are compile-time constants of at most 24).
#ifndef OPGRAPH_UNROLL_ALL
#define OPGRAPH_UNROLL_ALL _Pragma("GCC unroll 32")
#endif

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using internal::PanelProblem;

// Vector registers available for accumulators: 32 registers with AVX-512,
// 16 otherwise, less the ones that hold row q of B and the broadcast A.
constexpr size_t kAccumulators = HWY_MAX_BYTES == 64 ? 24 : 12;

template <typename T>
struct TileShape {
  static constexpr size_t kLanes = HWY_LANES(T);
  static constexpr size_t kWidth = static_cast<size_t>(internal::PanelWidth<T>());
  static_assert(kWidth % kLanes == 0, "a panel is a whole number of vectors");
  // Vectors per panel row.
  static constexpr size_t kVectors = kWidth / kLanes;
  // Rows of a full tile. At most 8, so that the leftover rows always go
  // through the 4-, 2- and 1-row tiles that every target uses (AVX2: 6 rows
  // of 2 vectors; AVX-512: 8 rows of 1; SSE4: 3 rows of 4).
  static constexpr size_t kMaxRows = std::clamp<size_t>(kAccumulators / kVectors, 1, 8);
  // Panels of a tile of R rows: as many as the accumulators allow, at most 8
  // (each is a separate stream of loads).
  template <size_t R>
  static constexpr size_t Panels() {
    return std::clamp<size_t>(kAccumulators / (R * kVectors), 1, 8);
  }
};

// How a tile writes its sums into C: for the first block of sums,
// C = alpha * sum + beta * C (C not read when beta == 0); for later blocks,
// C = alpha * sum + C.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE hn::Vec<D> Combine(D d, hn::Vec<D> sum, const T* c, bool first, T alpha, T beta) {
  const auto va = hn::Set(d, alpha);
  if (first) {
    if (beta == T(0)) return hn::Mul(va, sum);
    return hn::MulAdd(va, sum, hn::Mul(hn::Set(d, beta), hn::LoadU(d, c)));
  }
  return hn::MulAdd(va, sum, hn::LoadU(d, c));
}

// Writes a tile's sums (R rows of P panels, row after row) into C, whose
// last panel has `last_cols` valid columns.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void WriteTile(D d, const T* HWY_RESTRICT sums, size_t rows, size_t panels, bool first,
                          T alpha, T beta, T* HWY_RESTRICT c, int64_t ldc, size_t last_cols) {
  constexpr size_t L = TileShape<T>::kLanes;
  constexpr size_t W = TileShape<T>::kWidth;
  for (size_t r = 0; r < rows; ++r) {
    T* crow = c + static_cast<int64_t>(r) * ldc;
    const T* srow = sums + r * panels * W;
    for (size_t p = 0; p < panels; ++p) {
      T* cp = crow + p * W;
      if (p + 1 < panels || last_cols == W) {
        for (size_t j = 0; j < W; j += L) {
          hn::StoreU(Combine(d, hn::Load(d, srow + p * W + j), cp + j, first, alpha, beta), d,
                     cp + j);
        }
        continue;
      }
      // The last panel is partial: go through a buffer with the same vector
      // operations, so that its columns round as the others do.
      HWY_ALIGN T buf[W] = {};
      std::memcpy(buf, cp, last_cols * sizeof(T));
      for (size_t j = 0; j < W; j += L) {
        hn::Store(Combine(d, hn::Load(d, srow + p * W + j), buf + j, first, alpha, beta), d,
                  buf + j);
      }
      std::memcpy(cp, buf, last_cols * sizeof(T));
    }
  }
}

// One tile: R rows of A starting at a (row stride rs, column stride cs), P
// panels starting at b (each panel `panel_stride` elements after the
// previous one; b points at row q0 of the first), kc indices. C's tile
// starts at c; the last of the P panels has `last_cols` valid columns.
template <size_t R, size_t P, class D, typename T = hn::TFromD<D>>
HWY_INLINE void Tile(D d, const T* HWY_RESTRICT a, int64_t rs, int64_t cs, const T* HWY_RESTRICT b,
                     int64_t panel_stride, int64_t kc, bool first, T alpha, T beta,
                     T* HWY_RESTRICT c, int64_t ldc, size_t last_cols) {
  using Shape = TileShape<T>;
  constexpr size_t V = Shape::kVectors;
  constexpr size_t L = Shape::kLanes;
  constexpr size_t W = Shape::kWidth;
  // Every loop over accumulators is unrolled completely, so that they are
  // registers: GCC otherwise keeps the array in memory, at half the speed.
  hn::Vec<D> acc[R][P * V];
  OPGRAPH_UNROLL_ALL
  for (size_t r = 0; r < R; ++r) {
    OPGRAPH_UNROLL_ALL
    for (size_t j = 0; j < P * V; ++j) acc[r][j] = hn::Zero(d);
  }
  for (int64_t q = 0; q < kc; ++q) {
    hn::Vec<D> bq[P * V];
    OPGRAPH_UNROLL_ALL
    for (size_t p = 0; p < P; ++p) {
      const T* row = b + static_cast<int64_t>(p) * panel_stride + q * static_cast<int64_t>(W);
      OPGRAPH_UNROLL_ALL
      for (size_t v = 0; v < V; ++v) bq[p * V + v] = hn::LoadU(d, row + v * L);
    }
    const T* aq = a + q * cs;
    OPGRAPH_UNROLL_ALL
    for (size_t r = 0; r < R; ++r) {
      const auto ar = hn::Set(d, aq[static_cast<int64_t>(r) * rs]);
      OPGRAPH_UNROLL_ALL
      for (size_t j = 0; j < P * V; ++j) acc[r][j] = hn::MulAdd(ar, bq[j], acc[r][j]);
    }
  }
  // The sums go through memory on their way to C: indexing the accumulators
  // with anything but constants (as writing a partial panel would) made GCC
  // keep some of them in memory inside the loop above.
  HWY_ALIGN T sums[R * P * W];
  OPGRAPH_UNROLL_ALL
  for (size_t r = 0; r < R; ++r) {
    OPGRAPH_UNROLL_ALL
    for (size_t j = 0; j < P * V; ++j) hn::Store(acc[r][j], d, sums + (r * P * V + j) * L);
  }
  WriteTile(d, sums, R, P, first, alpha, beta, c, ldc, last_cols);
}

// Rows [i0, i0 + R) against panels [p_begin, p_end), indices [q0, q0 + kc).
template <size_t R, class D, typename T = hn::TFromD<D>>
HWY_INLINE void RowGroup(D d, const PanelProblem<T>& pr, int64_t i0, int64_t q0, int64_t kc,
                         int64_t p_begin, int64_t p_end) {
  constexpr int64_t W = internal::PanelWidth<T>();
  constexpr int64_t P = static_cast<int64_t>(TileShape<T>::template Panels<R>());
  const int64_t num_panels = (pr.n + W - 1) / W;
  const size_t tail_cols = static_cast<size_t>(pr.n - (num_panels - 1) * W);
  const int64_t panel_stride = pr.k * W;
  const bool first = q0 == 0;
  const T* a = pr.a + i0 * pr.rs + q0 * pr.cs;
  T* c = pr.c + i0 * pr.ldc;
  int64_t p = p_begin;
  for (; p + P <= p_end; p += P) {
    const size_t cols = p + P == num_panels ? tail_cols : static_cast<size_t>(W);
    Tile<R, static_cast<size_t>(P)>(d, a, pr.rs, pr.cs, pr.panels + p * panel_stride + q0 * W,
                                    panel_stride, kc, first, pr.alpha, pr.beta, c + p * W, pr.ldc,
                                    cols);
  }
  for (; p < p_end; ++p) {
    const size_t cols = p + 1 == num_panels ? tail_cols : static_cast<size_t>(W);
    Tile<R, 1>(d, a, pr.rs, pr.cs, pr.panels + p * panel_stride + q0 * W, panel_stride, kc, first,
               pr.alpha, pr.beta, c + p * W, pr.ldc, cols);
  }
}

// Every row of C against panels [p_begin, p_end) and indices [q0, q0 + kc).
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void AllRows(D d, const PanelProblem<T>& pr, int64_t q0, int64_t kc, int64_t p_begin,
                        int64_t p_end) {
  constexpr int64_t kRows = static_cast<int64_t>(TileShape<T>::kMaxRows);
  int64_t i0 = 0;
  for (; i0 + kRows <= pr.m; i0 += kRows) {
    RowGroup<static_cast<size_t>(kRows)>(d, pr, i0, q0, kc, p_begin, p_end);
  }
  const int64_t rest = pr.m - i0;
  if constexpr (kRows > 4) {
    if (rest & 4) {
      RowGroup<4>(d, pr, i0, q0, kc, p_begin, p_end);
      i0 += 4;
    }
  }
  if constexpr (kRows > 2) {
    if (rest & 2) {
      RowGroup<2>(d, pr, i0, q0, kc, p_begin, p_end);
      i0 += 2;
    }
  }
  if constexpr (kRows > 1) {
    if (rest & 1) RowGroup<1>(d, pr, i0, q0, kc, p_begin, p_end);
  }
}

// The panels a tile of the smallest row group spans (1 when every group
// is full).
template <typename T>
int64_t ChunkPanels(int64_t m) {
  using Shape = TileShape<T>;
  const int64_t rest = m % static_cast<int64_t>(Shape::kMaxRows);
  if (rest == 0) return static_cast<int64_t>(Shape::template Panels<Shape::kMaxRows>());
  if (rest & 1) return static_cast<int64_t>(Shape::template Panels<1>());
  if (rest & 2) return static_cast<int64_t>(Shape::template Panels<2>());
  return static_cast<int64_t>(Shape::template Panels<4>());
}

// Panels [p_begin, p_end) a few at a time (as many as the smallest row
// group's tile spans), each few through all index blocks and all rows, so
// that a block of those panels is read from memory once and then from the
// L1 cache by every row group.
template <typename T>
void PanelRangeT(const PanelProblem<T>& pr, int64_t p_begin, int64_t p_end) {
  const hn::ScalableTag<T> d;
  const int64_t chunk = ChunkPanels<T>(pr.m);
  for (int64_t c0 = p_begin; c0 < p_end; c0 += chunk) {
    const int64_t c1 = std::min(p_end, c0 + chunk);
    for (int64_t q0 = 0; q0 < pr.k; q0 += internal::kPanelSumBlock) {
      AllRows(d, pr, q0, std::min(internal::kPanelSumBlock, pr.k - q0), c0, c1);
    }
  }
}

// Non-template entry points, one set per target, for HWY_EXPORT.
void PanelRangeF32(const internal::PanelProblem<float>& pr, int64_t p_begin, int64_t p_end) {
  PanelRangeT(pr, p_begin, p_end);
}
void PanelRangeF64(const internal::PanelProblem<double>& pr, int64_t p_begin, int64_t p_end) {
  PanelRangeT(pr, p_begin, p_end);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/parallel.h"

namespace opgraph {
namespace kernels {

HWY_EXPORT(PanelRangeF32);
HWY_EXPORT(PanelRangeF64);

namespace internal {
namespace {

// Single-thread cost of one panel per row and index, for ParallelFor: 2 * w
// flops at 60 GFLOP/s, a conservative rate for few rows.
template <typename T>
constexpr double kNsPerPanelRowIndex = 2.0 * static_cast<double>(PanelWidth<T>()) / 60.0;

void PanelRange(const PanelProblem<float>& pr, int64_t p_begin, int64_t p_end) {
  HWY_DYNAMIC_DISPATCH(PanelRangeF32)(pr, p_begin, p_end);
}
void PanelRange(const PanelProblem<double>& pr, int64_t p_begin, int64_t p_end) {
  HWY_DYNAMIC_DISPATCH(PanelRangeF64)(pr, p_begin, p_end);
}

}  // namespace

template <typename T>
void PackPanels(const T* b, int64_t k, int64_t n, int64_t ldb, bool trans_b, T* out) {
  constexpr int64_t w = PanelWidth<T>();
  for (int64_t j0 = 0; j0 < n; j0 += w) {
    const int64_t cols = std::min(w, n - j0);
    T* panel = out + j0 * k;  // after j0 / w panels of k * w elements
    if (!trans_b && cols == w) {
      // A whole panel row is one fixed-size copy, which the compiler turns
      // into vector moves; with the choice inside the element loop, packing
      // a 1024 x 1024 B took up to 1.2x as long (bench/fc_bench
      // BM_MatMulFedEachRun/M:1/N:1024/K:1024, 2.33 -> 1.9-2.1 ms per run).
      // Row by row of B instead of panel by panel was slower (2.75 ms).
      for (int64_t q = 0; q < k; ++q) {
        const T* src = b + q * ldb + j0;
        T* row = panel + q * w;
        for (int64_t j = 0; j < w; ++j) row[j] = src[j];
      }
      continue;
    }
    for (int64_t q = 0; q < k; ++q) {
      T* row = panel + q * w;
      for (int64_t j = 0; j < cols; ++j) {
        row[j] = trans_b ? b[(j0 + j) * ldb + q] : b[q * ldb + j0 + j];
      }
      std::fill(row + cols, row + w, T(0));
    }
  }
}

template <typename T>
void PanelGemm(bool trans_a, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
               const T* panels, T beta, T* c, int64_t ldc, int num_threads) {
  const PanelProblem<T> pr{m,      n, k,  alpha, beta, a, trans_a ? 1 : lda, trans_a ? lda : 1,
                           panels, c, ldc};
  const int64_t w = PanelWidth<T>();
  const int64_t num_panels = (n + w - 1) / w;
  ParallelFor(num_threads, num_panels,
              static_cast<double>(m) * static_cast<double>(k) * kNsPerPanelRowIndex<T>,
              [&](int64_t begin, int64_t end) { PanelRange(pr, begin, end); });
}

template void PackPanels<float>(const float*, int64_t, int64_t, int64_t, bool, float*);
template void PackPanels<double>(const double*, int64_t, int64_t, int64_t, bool, double*);
template void PanelGemm<float>(bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                               const float*, float, float*, int64_t, int);
template void PanelGemm<double>(bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                const double*, double, double*, int64_t, int);

}  // namespace internal
}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
