// Gemm and GemmPacked (ops/kernels/gemm.h) against a long double reference.
//
// Reference: every element of alpha * op(A) op(B) + beta * C is computed in
// long double (64-bit mantissa) from the same float/double inputs, together
// with S = |alpha| * sum_p |a_ip b_pj| + |beta| |c_ij|. The header's bound is
//   |c - exact| <= (k + 2) * eps * S,    eps = numeric_limits<T>::epsilon(),
// the classical worst case of a k-term sum in any order (gamma_k with unit
// roundoff eps / 2 is below k * eps), plus the alpha and beta roundings.
// The long double reference's own error (k * 2^-64 * S) is far below it.
#include "ops/kernels/gemm.h"

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace opgraph {
namespace kernels {
namespace {

// Values in [-1, 1) from a fixed linear congruential sequence.
template <typename T>
std::vector<T> Random(int64_t n, uint32_t seed) {
  std::vector<T> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (T& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<T>(-1.0 + 2.0 * static_cast<double>(s >> 8) * 0x1p-24);
  }
  return v;
}

// One product's operands, stored with padded leading dimensions (ld = columns
// + 3) so that a wrong stride shows.
template <typename T>
struct Problem {
  bool trans_a, trans_b;
  int64_t m, n, k, lda, ldb, ldc;
  T alpha, beta;
  std::vector<T> a, b, c0;

  Problem(bool ta, bool tb, int64_t m_, int64_t n_, int64_t k_, T alpha_, T beta_)
      : trans_a(ta), trans_b(tb), m(m_), n(n_), k(k_), alpha(alpha_), beta(beta_) {
    lda = (ta ? m : k) + 3;
    ldb = (tb ? k : n) + 3;
    ldc = n + 3;
    a = Random<T>((ta ? k : m) * lda, 1);
    b = Random<T>((tb ? n : k) * ldb, 2);
    c0 = Random<T>(m * ldc, 3);
    // beta == 0 must not read C: NaN there must not reach the result.
    if (beta == T(0)) c0.assign(c0.size(), std::numeric_limits<T>::quiet_NaN());
  }
  T A(int64_t i, int64_t p) const { return trans_a ? a[p * lda + i] : a[i * lda + p]; }
  T B(int64_t p, int64_t j) const { return trans_b ? b[j * ldb + p] : b[p * ldb + j]; }
};

// Checks c against the long double reference and the bound; returns the
// largest |error| / (eps * S) seen, for the failure messages.
template <typename T>
double CheckAgainstReference(const Problem<T>& pr, const std::vector<T>& c,
                             const std::string& what) {
  const long double eps = std::numeric_limits<T>::epsilon();
  double worst = 0;
  for (int64_t i = 0; i < pr.m; ++i) {
    for (int64_t j = 0; j < pr.n; ++j) {
      long double sum = 0, abs_sum = 0;
      for (int64_t p = 0; p < pr.k; ++p) {
        const long double t = static_cast<long double>(pr.A(i, p)) * pr.B(p, j);
        sum += t;
        abs_sum += std::fabs(t);
      }
      long double exact = static_cast<long double>(pr.alpha) * sum;
      long double s = std::fabs(static_cast<long double>(pr.alpha)) * abs_sum;
      if (pr.beta != T(0)) {
        exact += static_cast<long double>(pr.beta) * pr.c0[i * pr.ldc + j];
        s += std::fabs(static_cast<long double>(pr.beta) * pr.c0[i * pr.ldc + j]);
      }
      const long double err = std::fabs(c[i * pr.ldc + j] - exact);
      const long double bound = (pr.k + 2) * eps * s;
      if (s > 0) worst = std::max(worst, static_cast<double>(err / (eps * s)));
      if (!(err <= bound)) {
        ADD_FAILURE() << what << " C(" << i << "," << j << ") = " << c[i * pr.ldc + j] << ", exact "
                      << static_cast<double>(exact) << ", bound " << static_cast<double>(bound);
        return worst;
      }
    }
  }
  // Padding between rows of C is never written.
  for (int64_t i = 0; i < pr.m; ++i) {
    for (int64_t j = pr.n; j < pr.ldc; ++j) {
      const T before = pr.c0[i * pr.ldc + j], after = c[i * pr.ldc + j];
      if (!(before == after || (std::isnan(before) && std::isnan(after)))) {
        ADD_FAILURE() << what << " wrote padding at (" << i << "," << j << ")";
        return worst;
      }
    }
  }
  return worst;
}

struct Shape {
  int64_t m, n, k;
};
// Odd sizes: 1, 3, 17, 33, 257 in every position (not the full cube: the
// long double reference is slow).
const Shape kShapes[] = {{1, 1, 1},     {1, 17, 33},    {3, 1, 257},   {17, 33, 3},
                         {33, 257, 17}, {257, 3, 33},   {1, 257, 257}, {257, 257, 1},
                         {33, 33, 257}, {257, 17, 257}, {3, 3, 3},     {17, 1, 1}};
struct Scalars {
  double alpha, beta;
};
const Scalars kScalars[] = {{1, 0}, {0.5, -2}, {-1.5, 1}};

template <typename T>
class GemmTest : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(GemmTest, Types);

TYPED_TEST(GemmTest, AllTranspositionsMatchLongDouble) {
  using T = TypeParam;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (const Shape& s : kShapes) {
        for (const Scalars& sc : kScalars) {
          Problem<T> pr(ta, tb, s.m, s.n, s.k, T(sc.alpha), T(sc.beta));
          std::vector<T> c = pr.c0;
          Gemm<T>(ta, tb, pr.m, pr.n, pr.k, pr.alpha, pr.a.data(), pr.lda, pr.b.data(), pr.ldb,
                  pr.beta, c.data(), pr.ldc, /*num_threads=*/1);
          CheckAgainstReference(pr, c,
                                "Gemm ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                                    " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) +
                                    " k=" + std::to_string(s.k) +
                                    " beta=" + std::to_string(sc.beta));
        }
      }
    }
  }
}

TYPED_TEST(GemmTest, PackedMatchesLongDouble) {
  using T = TypeParam;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (const Shape& s : kShapes) {
        for (const Scalars& sc : kScalars) {
          Problem<T> pr(ta, tb, s.m, s.n, s.k, T(sc.alpha), T(sc.beta));
          absl::StatusOr<PackedMatrix<T>> packed =
              PackedMatrix<T>::Pack(pr.b.data(), pr.k, pr.n, pr.ldb, tb);
          ASSERT_TRUE(packed.ok()) << packed.status();
          EXPECT_EQ(packed->k(), pr.k);
          EXPECT_EQ(packed->n(), pr.n);
          std::vector<T> c = pr.c0;
          GemmPacked<T>(ta, pr.m, pr.alpha, pr.a.data(), pr.lda, *packed, pr.beta, c.data(), pr.ldc,
                        /*num_threads=*/1);
          CheckAgainstReference(pr, c,
                                "GemmPacked ta=" + std::to_string(ta) +
                                    " tb=" + std::to_string(tb) + " m=" + std::to_string(s.m) +
                                    " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k));
        }
      }
    }
  }
}

// Two threads give results within the same bound (each is checked against
// the reference), and the caller's OpenMP thread count is left as it was.
TYPED_TEST(GemmTest, TwoThreadsWithinBoundAndThreadCountRestored) {
  using T = TypeParam;
  omp_set_num_threads(3);
  Problem<T> pr(false, true, 257, 257, 257, T(1), T(0));
  std::vector<T> c1 = pr.c0, c2 = pr.c0;
  Gemm<T>(false, true, pr.m, pr.n, pr.k, T(1), pr.a.data(), pr.lda, pr.b.data(), pr.ldb, T(0),
          c1.data(), pr.ldc, /*num_threads=*/1);
  EXPECT_EQ(omp_get_max_threads(), 3);
  Gemm<T>(false, true, pr.m, pr.n, pr.k, T(1), pr.a.data(), pr.lda, pr.b.data(), pr.ldb, T(0),
          c2.data(), pr.ldc, /*num_threads=*/2);
  EXPECT_EQ(omp_get_max_threads(), 3);
  CheckAgainstReference(pr, c1, "1 thread");
  CheckAgainstReference(pr, c2, "2 threads");
  omp_set_num_threads(1);
}

// Inside a parallel region (as from a ParallelFor range) each call runs on
// its own thread; concurrent calls on disjoint outputs stay correct.
TYPED_TEST(GemmTest, CallsFromInsideAParallelRegion) {
  using T = TypeParam;
  Problem<T> pr(true, false, 65, 33, 129, T(1), T(0));
  std::vector<std::vector<T>> out(2, pr.c0);
#pragma omp parallel num_threads(2)
  {
    const int t = omp_get_thread_num();
    Gemm<T>(true, false, pr.m, pr.n, pr.k, T(1), pr.a.data(), pr.lda, pr.b.data(), pr.ldb, T(0),
            out[t].data(), pr.ldc, /*num_threads=*/2);
  }
  CheckAgainstReference(pr, out[0], "thread 0");
  CheckAgainstReference(pr, out[1], "thread 1");
}

TYPED_TEST(GemmTest, EmptyAndZeroKShapes) {
  using T = TypeParam;
  // m == 0 or n == 0: nothing is touched (null pointers are fine).
  Gemm<T>(false, false, 0, 5, 7, T(1), nullptr, 7, nullptr, 5, T(0), nullptr, 5, 1);
  Gemm<T>(false, false, 5, 0, 7, T(1), nullptr, 7, nullptr, 1, T(0), nullptr, 1, 1);
  // k == 0: C = beta * C, and beta == 0 clears NaN.
  std::vector<T> c = {1, 2, 3, 4};
  Gemm<T>(false, false, 2, 2, 0, T(1), nullptr, 1, nullptr, 2, T(3), c.data(), 2, 1);
  EXPECT_EQ(c, (std::vector<T>{3, 6, 9, 12}));
  c.assign(4, std::numeric_limits<T>::quiet_NaN());
  Gemm<T>(false, false, 2, 2, 0, T(1), nullptr, 1, nullptr, 2, T(0), c.data(), 2, 1);
  EXPECT_EQ(c, (std::vector<T>{0, 0, 0, 0}));
}

TYPED_TEST(GemmTest, PackRejectsBadArgumentsWithStatus) {
  using T = TypeParam;
  std::vector<T> w(6, T(1));
  EXPECT_EQ(PackedMatrix<T>::Pack(w.data(), -1, 2, 2, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PackedMatrix<T>::Pack(w.data(), 3, 2, 1, false).status().code(),
            absl::StatusCode::kInvalidArgument);  // ldb < n
  EXPECT_EQ(PackedMatrix<T>::Pack(w.data(), 3, 2, 2, true).status().code(),
            absl::StatusCode::kInvalidArgument);  // ldb < k
  // 2^60 elements overflow size_t bytes; 2^29 x 2^29 (2 or 4 EiB) cannot be
  // allocated: both are ResourceExhausted, not an abort.
  EXPECT_EQ(
      PackedMatrix<T>::Pack(w.data(), int64_t{1} << 30, int64_t{1} << 30, int64_t{1} << 30, false)
          .status()
          .code(),
      absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(
      PackedMatrix<T>::Pack(w.data(), int64_t{1} << 29, int64_t{1} << 29, int64_t{1} << 29, false)
          .status()
          .code(),
      absl::StatusCode::kResourceExhausted);
  // An empty matrix packs.
  absl::StatusOr<PackedMatrix<T>> empty = PackedMatrix<T>::Pack(nullptr, 0, 0, 1, false);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->bytes(), 0);
}

// The old FC loops summed [1, 25M] x [25M, 1] of 0.001 * 1 into one float
// and returned 32473 instead of 25000. Exact value of the float inputs:
// 25'000'000 * float(0.001) = 25000.0011874 (float(0.001) = 0.001000000047497451).
// Bound (gemm.h, long sums): OpenBLAS's gemm adds blocks of at least 256
// terms into C, and the one-row path adds chunks of 4096, so each result is
// a sum of at most K/256 + 4096 roundings of at most u * S (u = eps / 2,
// S = 25000): (25e6/256 + 4096) * 2^-24 * 25000 = 151.6, i.e. 0.6 %.
// The old loops miss it by 50x. Measured on OpenBLAS 0.3.21 (Zen and
// Haswell kernels): gemm path 25014.44, one-row path 24998.92.
constexpr double kLongSumBound = (25e6 / 256 + 4096) * 0x1p-24 * 25000;

TEST(GemmLongSumTest, TwentyFiveMillionTermsOfAThousandth) {
  const int64_t k = 25'000'000;
  const std::vector<float> a(static_cast<size_t>(k), 0.001f);
  const std::vector<float> b(static_cast<size_t>(k), 1.0f);
  const double exact = static_cast<double>(k) * static_cast<double>(0.001f);
  for (bool tb : {false, true}) {
    float c = -1;
    // With n == 1, B is k x 1 (ldb 1) or, transposed, 1 x k (ldb k).
    Gemm<float>(false, tb, 1, 1, k, 1.0f, a.data(), k, b.data(), tb ? k : 1, 0.0f, &c, 1, 1);
    EXPECT_NEAR(c, exact, kLongSumBound) << "trans_b=" << tb;
    std::printf("25M x 0.001 (trans_b=%d): %.4f (exact %.4f)\n", tb, c, exact);
  }
  // The same through the general (multi-row) path: two rows of A.
  std::vector<float> a2(static_cast<size_t>(2 * k), 0.001f);
  float c2[2] = {-1, -1};
  Gemm<float>(false, false, 2, 1, k, 1.0f, a2.data(), k, b.data(), 1, 0.0f, c2, 1, 1);
  EXPECT_NEAR(c2[0], exact, kLongSumBound);
  EXPECT_NEAR(c2[1], exact, kLongSumBound);
  std::printf("25M x 0.001 (gemm path): %.4f %.4f\n", c2[0], c2[1]);
}

TEST(GemmBackendTest, IsTheOpenMPBuild) {
  const std::string d = GemmBackendDescription();
  EXPECT_NE(d.find("OpenBLAS"), std::string::npos) << d;
  EXPECT_NE(d.find("(openmp)"), std::string::npos) << d;
}

}  // namespace
}  // namespace kernels
}  // namespace opgraph
