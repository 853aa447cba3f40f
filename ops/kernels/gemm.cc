#include "ops/kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <new>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cblas.h"
#include "core/parallel.h"
#include "core/tensor.h"
#include "glog/logging.h"
#include "ops/kernels/panel_gemm.h"

namespace opgraph {
namespace kernels {
namespace {

// OpenBLAS (Debian's build) takes 32-bit int sizes. Larger dimensions are
// split into pieces of at most this many.
constexpr int64_t kMaxBlasDim = int64_t{1} << 30;
// Bytes of zero columns the panel layout may add beyond a quarter of the
// matrix (see Pack).
constexpr double kMaxPanelPadding = 1 << 20;
// Terms per gemv call on the one-row path (see GemmImpl).
constexpr int64_t kGemvSumChunk = 4096;

// Sets the calling thread's OpenMP thread count for the lifetime of the
// object and restores it afterwards. OpenBLAS's OpenMP build reads
// omp_get_max_threads() on every call (and uses one thread when called inside
// a parallel region), so this is how a call gets exactly num_threads.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int num_threads)
      : wanted_(std::clamp(num_threads, 1, kMaxThreads)), previous_(omp_get_max_threads()) {
    if (wanted_ != previous_) omp_set_num_threads(wanted_);
  }
  ~ScopedOmpThreads() {
    if (wanted_ != previous_) omp_set_num_threads(previous_);
  }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  const int wanted_;
  const int previous_;
};

// The leading dimension to hand to BLAS for a stored matrix of `rows` rows of
// `row_len` elements: ld itself, or, for a single row, where ld is never used,
// the smallest value BLAS accepts.
int BlasLd(int64_t ld, int64_t rows, int64_t row_len) {
  if (rows <= 1) return static_cast<int>(std::max<int64_t>(1, row_len));
  CHECK_LE(ld, INT_MAX) << "Gemm: leading dimension does not fit in int";
  return static_cast<int>(ld);
}

inline void BlasGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
                     const float* a, int lda, const float* b, int ldb, float beta, float* c,
                     int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
inline void BlasGemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
                     const double* a, int lda, const double* b, int ldb, double beta, double* c,
                     int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// y = alpha * op(As) * x + beta * y for a row-major stored matrix As of
// `rows` x `cols`; y is contiguous.
inline void BlasGemv(CBLAS_TRANSPOSE t, int rows, int cols, float alpha, const float* a, int lda,
                     const float* x, int incx, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}
inline void BlasGemv(CBLAS_TRANSPOSE t, int rows, int cols, double alpha, const double* a, int lda,
                     const double* x, int incx, double beta, double* y) {
  cblas_dgemv(CblasRowMajor, t, rows, cols, alpha, a, lda, x, incx, beta, y, 1);
}

// C = beta * C for k == 0 (BLAS would do it too, but only for sizes that fit).
template <typename T>
void ScaleC(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

template <typename T>
void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
              int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, int num_threads) {
  CHECK_GE(m, 0);
  CHECK_GE(n, 0);
  CHECK_GE(k, 0);
  CHECK_GE(lda, std::max<int64_t>(1, trans_a ? m : k));
  CHECK_GE(ldb, std::max<int64_t>(1, trans_b ? k : n));
  CHECK_GE(ldc, std::max<int64_t>(1, n));
  if (m == 0 || n == 0) return;
  if (k == 0) {
    ScaleC(m, n, beta, c, ldc);
    return;
  }
  ScopedOmpThreads threads(num_threads);
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  // Element (i, p) of op(A) and (p, j) of op(B), for the pieces' origins.
  auto a_at = [&](int64_t i, int64_t p) { return trans_a ? a + p * lda + i : a + i * lda + p; };
  auto b_at = [&](int64_t p, int64_t j) { return trans_b ? b + j * ldb + p : b + p * ldb + j; };
  for (int64_t i0 = 0; i0 < m; i0 += kMaxBlasDim) {
    const int64_t mi = std::min(kMaxBlasDim, m - i0);
    for (int64_t j0 = 0; j0 < n; j0 += kMaxBlasDim) {
      const int64_t nj = std::min(kMaxBlasDim, n - j0);
      T* c_piece = c + i0 * ldc + j0;
      const int ldc_blas = BlasLd(ldc, mi, nj);
      // gemv accumulates long dot products in fewer, longer running sums
      // than gemm (a [1, 25M] x [25M, 1] sum of 0.001 came out 2 % low), so
      // the one-row path adds at most kGemvSumChunk terms per call into C.
      const int64_t k_step = mi == 1 ? kGemvSumChunk : kMaxBlasDim;
      for (int64_t p0 = 0; p0 < k; p0 += k_step) {
        const int64_t kp = std::min(k_step, k - p0);
        // Stored shape of each piece: op(A) piece is mi x kp, op(B) kp x nj.
        const int lda_blas = trans_a ? BlasLd(lda, kp, mi) : BlasLd(lda, mi, kp);
        const int ldb_blas = trans_b ? BlasLd(ldb, nj, kp) : BlasLd(ldb, kp, nj);
        const T beta_piece = p0 == 0 ? beta : T(1);
        if (mi == 1) {
          // One row of C is a matrix-vector product. OpenBLAS 0.3.21's gemm
          // does not notice, and its gemv is 5-7x faster there (gemm_bench).
          // Row 0 of op(A) has stride 1, or lda when A is stored transposed.
          const int inc_a = trans_a ? BlasLd(lda, kp, 1) : 1;
          if (trans_b) {  // B stored as nj rows of kp: c = Bs * a
            BlasGemv(CblasNoTrans, static_cast<int>(nj), static_cast<int>(kp), alpha, b_at(p0, j0),
                     ldb_blas, a_at(i0, p0), inc_a, beta_piece, c_piece);
          } else {  // B stored as kp rows of nj: c = Bs^T * a
            BlasGemv(CblasTrans, static_cast<int>(kp), static_cast<int>(nj), alpha, b_at(p0, j0),
                     ldb_blas, a_at(i0, p0), inc_a, beta_piece, c_piece);
          }
          continue;
        }
        BlasGemm(ta, tb, static_cast<int>(mi), static_cast<int>(nj), static_cast<int>(kp), alpha,
                 a_at(i0, p0), lda_blas, b_at(p0, j0), ldb_blas, beta_piece, c_piece, ldc_blas);
      }
    }
  }
}

}  // namespace

template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc, int num_threads) {
  GemmImpl<T>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, num_threads);
}

template void Gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t, int);
template void Gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t, int);

template <typename T>
void PackedMatrix<T>::FreeDeleter::operator()(T* p) const {
  std::free(p);
}

template <typename T>
bool PackedMatrix<T>::UsesPanels(int64_t k, int64_t n, int64_t rows_hint) {
  if (rows_hint < 1 || rows_hint > kPackedPanelMaxRows || k < 0 || n < 0) return false;
  // Panels round n up to whole panels of w columns: not when the rounding
  // would add more than a quarter and more than kMaxPanelPadding bytes (a
  // [1, 10^8] weight would grow 16-fold).
  const int64_t w = internal::PanelWidth<T>();
  const int64_t padded_n = (n / w + (n % w != 0)) * w;
  const double padding_bytes =
      static_cast<double>(k) * static_cast<double>(padded_n - n) * static_cast<double>(sizeof(T));
  return 4 * (padded_n - n) <= n || padding_bytes <= kMaxPanelPadding;
}

template <typename T>
absl::StatusOr<PackedMatrix<T>> PackedMatrix<T>::Pack(const T* b, int64_t k, int64_t n, int64_t ldb,
                                                      bool trans_b, int64_t rows_hint) {
  if (k < 0 || n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PackedMatrix::Pack: negative size k=", k, " n=", n));
  }
  const int64_t min_ld = std::max<int64_t>(1, trans_b ? k : n);
  if (ldb < min_ld) {
    return absl::InvalidArgumentError(
        absl::StrCat("PackedMatrix::Pack: ldb=", ldb, " is less than ", min_ld));
  }
  constexpr int64_t kAlign = 64;
  const int64_t max_elements = (INT64_MAX - kAlign) / static_cast<int64_t>(sizeof(T));
  const bool panels = UsesPanels(k, n, rows_hint);
  const int64_t w = internal::PanelWidth<T>();
  const int64_t stored_n = panels ? (n / w + (n % w != 0)) * w : n;
  if (stored_n != 0 && k > max_elements / stored_n) {
    return absl::ResourceExhaustedError(
        absl::StrCat("PackedMatrix::Pack: ", k, " x ", n, " elements overflow the address space"));
  }
  const int64_t elements = k * stored_n;
  const int64_t bytes = elements * static_cast<int64_t>(sizeof(T));
  // The same single-allocation limit as a tensor's: an absurd size is refused
  // before asking the allocator (which, under ASan, aborts instead of failing).
  const int64_t max_bytes = TensorLimits().max_bytes;
  if (bytes > max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("PackedMatrix::Pack: ", k, " x ", n, " elements need ", bytes,
                     " bytes, over the allocation limit of ", max_bytes, " bytes"));
  }
  const int64_t rounded = std::max<int64_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  T* p = static_cast<T*>(std::aligned_alloc(kAlign, static_cast<size_t>(rounded)));
  if (p == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("PackedMatrix::Pack: cannot allocate ", rounded, " bytes"));
  }
  std::unique_ptr<T[], FreeDeleter> data(p);
  Fill(b, k, n, ldb, trans_b, panels, p);
  return PackedMatrix(std::move(data), k, n, elements, panels);
}

template <typename T>
absl::Status PackedMatrix<T>::Repack(const T* b, int64_t ldb, bool trans_b) {
  const int64_t min_ld = std::max<int64_t>(1, trans_b ? k_ : n_);
  if (ldb < min_ld) {
    return absl::InvalidArgumentError(
        absl::StrCat("PackedMatrix::Repack: ldb=", ldb, " is less than ", min_ld));
  }
  Fill(b, k_, n_, ldb, trans_b, panels_, data_.get());
  return absl::OkStatus();
}

template <typename T>
void PackedMatrix<T>::Fill(const T* b, int64_t k, int64_t n, int64_t ldb, bool trans_b, bool panels,
                           T* p) {
  if (panels) {
    internal::PackPanels(b, k, n, ldb, trans_b, p);
    return;
  }
  // Stored as op(B) itself, k rows of n: with this right-hand side OpenBLAS
  // 0.3.21 was up to 1.2x faster at batch 16 than with the transposed one
  // (gemm_bench, OpenBLAS_NN vs OpenBLAS_NT) and never clearly slower.
  if (trans_b) {
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t q = 0; q < k; ++q) p[q * n + j] = b[j * ldb + q];
    }
  } else {
    for (int64_t q = 0; q < k; ++q) std::copy(b + q * ldb, b + q * ldb + n, p + q * n);
  }
}

template <typename T>
void GemmPacked(bool trans_a, int64_t m, T alpha, const T* a, int64_t lda,
                const PackedMatrix<T>& packed, T beta, T* c, int64_t ldc, int num_threads) {
  if (packed.panels_) {
    const int64_t n = packed.n_, k = packed.k_;
    CHECK_GE(m, 0);
    CHECK_GE(lda, std::max<int64_t>(1, trans_a ? m : k));
    CHECK_GE(ldc, std::max<int64_t>(1, n));
    if (m == 0 || n == 0) return;
    if (k == 0) {
      ScaleC(m, n, beta, c, ldc);
      return;
    }
    internal::PanelGemm<T>(trans_a, m, n, k, alpha, a, lda, packed.data_.get(), beta, c, ldc,
                           num_threads);
    return;
  }
  GemmImpl<T>(trans_a, /*trans_b=*/false, m, packed.n_, packed.k_, alpha, a, lda,
              packed.data_.get(), std::max<int64_t>(1, packed.n_), beta, c, ldc, num_threads);
}

template class PackedMatrix<float>;
template class PackedMatrix<double>;
template void GemmPacked<float>(bool, int64_t, float, const float*, int64_t,
                                const PackedMatrix<float>&, float, float*, int64_t, int);
template void GemmPacked<double>(bool, int64_t, double, const double*, int64_t,
                                 const PackedMatrix<double>&, double, double*, int64_t, int);

std::string GemmBackendDescription() {
  const int parallel = openblas_get_parallel();  // 0 serial, 1 pthreads, 2 OpenMP
  const char* threading = parallel == 2 ? "openmp" : parallel == 1 ? "pthreads" : "serial";
  return absl::StrCat("OpenBLAS ", openblas_get_config(), " (", threading, ") core ",
                      openblas_get_corename());
}

}  // namespace kernels
}  // namespace opgraph
