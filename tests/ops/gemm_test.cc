// Gemm and GemmPacked (ops/kernels/gemm.h) against a long double reference
// (tests/ops/gemm_reference.h says how it is computed and bounded).
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
#include "tests/ops/gemm_reference.h"

namespace opgraph {
namespace kernels {
namespace {

using testing_reference::CheckAgainstReference;
using testing_reference::Problem;

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
