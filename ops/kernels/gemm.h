// Dense matrix products for the operators (FC and its gradients), on top of
// OpenBLAS (Debian's OpenMP build, which picks its kernels for the running
// CPU when loaded). docs/PERFORMANCE.md, "Choosing the GEMM library", has the
// measurements behind the choice.
//
// Layout: every matrix is row-major. A matrix X of r rows and c columns with
// leading dimension ldx (>= max(1, c)) has element (i, j) at x[i * ldx + j].
// op(X) is X, or X^T when the matching trans_* flag is set; with
// trans_a, `a` holds the k x m matrix A^T (so lda >= max(1, m)), and so on.
//
// Shapes: m, n, k >= 0. m == 0 or n == 0 makes a call a no-op that touches no
// memory; k == 0 gives C = beta * C. Leading dimensions must fit in int32
// (2^31 - 1) unless the matrix has a single row; dimensions of any size are
// split internally. Breaking these rules is a programmer error (CHECK).
// The caller guarantees that every pointer covers the elements described.
// C must not overlap A or B.
//
// beta == 0: C is written without being read (NaN or garbage in C does not
// reach the result), as in BLAS.
//
// Threads: num_threads (clamped to [1, kMaxThreads]) is exactly the number of
// threads the call may use, all from the calling thread's OpenMP (libgomp)
// pool, the same pool ParallelFor uses; the library decides to use fewer on
// small products. The calling thread's OpenMP thread count
// (omp_get_max_threads) is the same after the call as before. Called from
// inside an OpenMP parallel region (a ParallelFor range), a call runs on the
// calling thread alone, so nested use never oversubscribes. Any number of
// calls may run concurrently from different threads.
//
// Accuracy: each element of C is a sum of k products accumulated in T. For
// every element, with eps = numeric_limits<T>::epsilon() and
// S = |alpha| * sum_p |a_ip b_pj| + |beta| |c_ij| (checked by gemm_test
// against long double):
//   |c - exact| <= (k + 2) * eps * S        (any summation order)
// and for long sums, since OpenBLAS's gemm adds blocks of at least 256 terms
// into C and the one-row path (m == 1, routed to gemv) adds chunks of 4096:
//   |c - exact| <= (k / 256 + 4096 + 2) * eps / 2 * S
// (a [1, 25M] x [25M, 1] product of 0.001 gives 25014.4 or 24998.9 for
// 25000.001, where a single running float sum gives 32473).
// Results may differ in the last bits between num_threads values and CPUs,
// within these bounds.

#ifndef OPGRAPH_OPS_KERNELS_GEMM_H_
#define OPGRAPH_OPS_KERNELS_GEMM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace opgraph {
namespace kernels {

// C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n].
// Defined for T = float and T = double.
template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, int num_threads);

// The right-hand operand of a product, copied once into the layout its
// products run fastest on, for operands that stay constant over many
// products (FC weights at inference). Two layouts, chosen by Pack from the
// number of rows the caller expects to multiply by (`rows_hint`):
//   - up to kPackedPanelMaxRows rows: opgraph's own panel layout and kernel
//     (panel_gemm.h), unless rounding n up to whole panels would add more
//     than a quarter to the copy and more than 1 MiB. OpenBLAS 0.3.21 has no packing API (no
//     cblas_sgemm_pack/compute) and copies the operand on every call, which
//     costs as much as the arithmetic when there are few rows;
//   - more rows, or rows_hint <= 0 (unknown): a contiguous, 64-byte aligned
//     copy of op(B) as k rows of n, multiplied by OpenBLAS.
// Products of any number of rows work with either layout; the hint only
// decides which is faster (docs/PERFORMANCE.md, "Few rows: packed panels").
//
// Changed only by Repack; movable, not copyable; safe to use from several
// threads at once between Repacks.
template <typename T>
class PackedMatrix {
 public:
  // Packs op(B)[k, n]: with trans_b == false, b holds B as k rows of n
  // (ldb >= max(1, n)); with trans_b == true, b holds B^T as n rows of k
  // (ldb >= max(1, k)) -- the FC weight W[N, K] is packed with trans_b set.
  // Returns InvalidArgument for negative sizes or a too-small ldb,
  // ResourceExhausted when the copy cannot be allocated. Never aborts.
  static absl::StatusOr<PackedMatrix> Pack(const T* b, int64_t k, int64_t n, int64_t ldb,
                                           bool trans_b, int64_t rows_hint = 0);

  // Whether Pack(..., k, n, ..., rows_hint) chooses the panel layout.
  static bool UsesPanels(int64_t k, int64_t n, int64_t rows_hint);

  // Packs b, which holds op(B) of this matrix's k and n (trans_b and ldb as
  // for Pack), into this matrix's own storage and layout: an operand
  // rewritten with its shape unchanged is packed again without allocating.
  // Returns InvalidArgument for a too-small ldb (the matrix is then
  // unchanged). Must not run while a product reads this matrix.
  absl::Status Repack(const T* b, int64_t ldb, bool trans_b);

  PackedMatrix(PackedMatrix&&) noexcept = default;
  PackedMatrix& operator=(PackedMatrix&&) noexcept = default;

  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  // Whether the copy is in opgraph's panel layout (else OpenBLAS's operand).
  bool panels() const { return panels_; }
  // Bytes held by the packed copy.
  int64_t bytes() const { return elements_ * static_cast<int64_t>(sizeof(T)); }

 private:
  struct FreeDeleter {
    void operator()(T* p) const;
  };
  PackedMatrix(std::unique_ptr<T[], FreeDeleter> data, int64_t k, int64_t n, int64_t elements,
               bool panels)
      : data_(std::move(data)), k_(k), n_(n), elements_(elements), panels_(panels) {}

  // Writes op(B) into p in the panel layout or as k rows of n.
  static void Fill(const T* b, int64_t k, int64_t n, int64_t ldb, bool trans_b, bool panels, T* p);

  std::unique_ptr<T[], FreeDeleter> data_;
  int64_t k_ = 0;
  int64_t n_ = 0;
  int64_t elements_ = 0;
  bool panels_ = false;

  template <typename U>
  friend void GemmPacked(bool, int64_t, U, const U*, int64_t, const PackedMatrix<U>&, U, U*,
                         int64_t, int);
};

// Largest rows_hint for which Pack chooses the panel layout.
inline constexpr int64_t kPackedPanelMaxRows = 128;

// C[m, n] = alpha * op(A)[m, k] * B[k, n] + beta * C[m, n], with
// k = packed.k(), n = packed.n(); the same contract, accuracy and threads
// as Gemm. With the panel layout, every element's sum is formed the same way
// whatever num_threads is (panel_gemm.h), so the result does not depend on
// it. Defined for T = float and T = double.
template <typename T>
void GemmPacked(bool trans_a, int64_t m, T alpha, const T* a, int64_t lda,
                const PackedMatrix<T>& packed, T beta, T* c, int64_t ldc, int num_threads);

// What the library reports about itself: version, threading build and the
// kernel set it picked for this CPU, e.g. "OpenBLAS 0.3.21 openmp Haswell".
std::string GemmBackendDescription();

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_OPS_KERNELS_GEMM_H_
