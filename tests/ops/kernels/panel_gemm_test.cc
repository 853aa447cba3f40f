// The panel layout of PackedMatrix (ops/kernels/panel_gemm.h), through
// kernels::GemmPacked, against the long double reference of
// tests/ops/gemm_reference.h, on every SIMD target this CPU runs.
#include "ops/kernels/panel_gemm.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "gtest/gtest.h"
#include "ops/kernels/gemm.h"
#include "tests/ops/gemm_reference.h"
#include "tests/ops/kernels/kernel_test_util.h"

namespace opgraph {
namespace kernels {
namespace {

using testing_reference::CheckAgainstReference;
using testing_reference::Problem;

template <typename T>
PackedMatrix<T> PackPanelsFor(const Problem<T>& pr) {
  absl::StatusOr<PackedMatrix<T>> packed =
      PackedMatrix<T>::Pack(pr.b.data(), pr.k, pr.n, pr.ldb, pr.trans_b, /*rows_hint=*/pr.m);
  EXPECT_TRUE(packed.ok()) << packed.status();
  EXPECT_TRUE(packed->panels()) << "m=" << pr.m;
  return *std::move(packed);
}

template <typename T>
std::vector<T> RunPanels(const Problem<T>& pr, const PackedMatrix<T>& packed, int threads) {
  std::vector<T> c = pr.c0;
  GemmPacked<T>(pr.trans_a, pr.m, pr.alpha, pr.a.data(), pr.lda, packed, pr.beta, c.data(), pr.ldc,
                threads);
  return c;
}

TEST(PanelLayoutTest, ChosenForFewRowsOnly) {
  std::vector<float> w(17 * 5, 1.0f);
  for (int64_t hint : {int64_t{1}, int64_t{16}, kPackedPanelMaxRows}) {
    absl::StatusOr<PackedMatrix<float>> p =
        PackedMatrix<float>::Pack(w.data(), 5, 17, 17, false, hint);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_TRUE(p->panels()) << hint;
    // 17 columns take two panels of 16 floats.
    EXPECT_EQ(p->bytes(), 5 * 32 * 4) << hint;
  }
  // Few columns and many rows: 15 zero columns per row would be 60 MiB.
  const int64_t long_k = int64_t{1} << 20;
  std::vector<float> tall(static_cast<size_t>(long_k), 1.0f);
  absl::StatusOr<PackedMatrix<float>> narrow =
      PackedMatrix<float>::Pack(tall.data(), long_k, 1, 1, false, 1);
  ASSERT_TRUE(narrow.ok()) << narrow.status();
  EXPECT_FALSE(narrow->panels());
  EXPECT_EQ(narrow->bytes(), long_k * 4);
  for (int64_t hint : {int64_t{0}, int64_t{-3}, kPackedPanelMaxRows + 1}) {
    absl::StatusOr<PackedMatrix<float>> p =
        PackedMatrix<float>::Pack(w.data(), 5, 17, 17, false, hint);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_FALSE(p->panels()) << hint;
    EXPECT_EQ(p->bytes(), 5 * 17 * 4) << hint;
  }
}

// Every row count up to three full tiles (tiles have 3, 6 or 8 rows
// depending on the target, and leftovers go through 4-, 2- and 1-row
// tiles), column counts around the panel width (16 floats, 8 doubles),
// index counts around the 256-term summation block, both transpositions,
// three (alpha, beta) pairs, on each SIMD target.
template <typename T>
void CheckAllShapesOnTarget(const std::string& target) {
  const int64_t w = internal::PanelWidth<T>();
  const int64_t ns[] = {1, w - 1, w, w + 1, 3 * w + 5};
  const int64_t ks[] = {1, 7, internal::kPanelSumBlock, internal::kPanelSumBlock + 3};
  const double scalars[][2] = {{1, 0}, {0.5, -2}, {-1.5, 1}};
  int checked = 0;
  for (int64_t m = 1; m <= 25; ++m) {
    for (int64_t n : ns) {
      for (int64_t k : ks) {
        // All (transposition, scalars) pairs on a subset of shapes, one
        // pair on the rest: the reference is slow.
        const bool all = (m + n + k) % 5 == 0;
        for (int variant = 0; variant < (all ? 12 : 1); ++variant) {
          const int v = all ? variant : static_cast<int>((m + n + k) % 12);
          const bool ta = v & 1, tb = (v >> 1) & 1;
          const double* sc = scalars[v / 4];
          Problem<T> pr(ta, tb, m, n, k, T(sc[0]), T(sc[1]));
          PackedMatrix<T> packed = PackPanelsFor(pr);
          CheckAgainstReference(pr, RunPanels(pr, packed, 1),
                                target + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                                    " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                                    " k=" + std::to_string(k) + " beta=" + std::to_string(sc[1]));
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST_P(KernelTargetTest, FloatMatchesLongDouble) { CheckAllShapesOnTarget<float>(GetParam()); }
TEST_P(KernelTargetTest, DoubleMatchesLongDouble) { CheckAllShapesOnTarget<double>(GetParam()); }

INSTANTIATE_TEST_SUITE_P(AllTargets, KernelTargetTest, ::testing::ValuesIn(AvailableTargets()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Threads split the panels; every element is summed the same way whoever
// computes it, so two threads give the same bits as one. The product is
// large enough that ParallelFor does split it (checked).
TEST(PanelGemmTest, TwoThreadsGiveTheSameBits) {
  Problem<float> pr(false, true, 64, 515, 700, 1.0f, 1.0f);
  PackedMatrix<float> packed = PackPanelsFor(pr);
  const std::vector<float> one = RunPanels(pr, packed, 1);
  const int64_t splits = ParallelSplitCount();
  const std::vector<float> two = RunPanels(pr, packed, 2);
  EXPECT_GT(ParallelSplitCount(), splits) << "the product was not split";
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(std::memcmp(&one[i], &two[i], sizeof(float)), 0) << "element " << i;
  }
  CheckAgainstReference(pr, two, "2 threads");
}

// Empty products: m == 0 or n == 0 touch nothing; k == 0 gives beta * C.
TEST(PanelGemmTest, EmptyShapes) {
  std::vector<float> w(4, 1.0f);
  absl::StatusOr<PackedMatrix<float>> p = PackedMatrix<float>::Pack(w.data(), 0, 2, 2, false, 2);
  ASSERT_TRUE(p.ok()) << p.status();
  std::vector<float> c = {1, 2, 3, 4};
  GemmPacked<float>(false, 2, 1.0f, nullptr, 1, *p, 3.0f, c.data(), 2, 1);
  EXPECT_EQ(c, (std::vector<float>{3, 6, 9, 12}));
  GemmPacked<float>(false, 0, 1.0f, nullptr, 1, *p, 3.0f, nullptr, 2, 1);
  absl::StatusOr<PackedMatrix<float>> none = PackedMatrix<float>::Pack(w.data(), 2, 0, 1, false, 2);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->bytes(), 0);
  GemmPacked<float>(false, 2, 1.0f, w.data(), 2, *none, 0.0f, nullptr, 1, 1);
}

// Long sums: the kernel adds blocks of 256 terms into C, so a sum of
// k = 2^20 terms of float(0.001) (exact value 1048.576049..., computed in
// double from the float input) has at most 256 + k / 256 + 2 roundings of
// at most u * S each (u = 2^-24, S = 1048.58): 0.27. A single running float
// sum over all terms, computed here for contrast, is off by far more, so
// the test tells the two apart. B has one panel of columns, all ones.
TEST(PanelGemmTest, LongSumsAreBlocked) {
  const int64_t k = int64_t{1} << 20, n = internal::PanelWidth<float>();
  const std::vector<float> a(static_cast<size_t>(k), 0.001f);
  const std::vector<float> b(static_cast<size_t>(k * n), 1.0f);
  const double exact = static_cast<double>(k) * static_cast<double>(0.001f);
  const double bound = (256.0 + static_cast<double>(k) / 256 + 2) * 0x1p-24 * exact;
  float naive = 0;
  for (int64_t i = 0; i < k; ++i) naive += a[static_cast<size_t>(i)];
  ASSERT_GT(std::fabs(naive - exact), 10 * bound) << "the contrast case no longer fails";
  absl::StatusOr<PackedMatrix<float>> p = PackedMatrix<float>::Pack(b.data(), k, n, n, false, 1);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->panels());
  std::vector<float> c(static_cast<size_t>(n), -1.0f);
  GemmPacked<float>(false, 1, 1.0f, a.data(), k, *p, 0.0f, c.data(), n, 1);
  for (int64_t j = 0; j < n; ++j) EXPECT_NEAR(c[static_cast<size_t>(j)], exact, bound) << j;
  std::printf("2^20 x 0.001: panels %.4f, one running sum %.4f, exact %.4f\n", c[0], naive, exact);
}

}  // namespace
}  // namespace kernels
}  // namespace opgraph
