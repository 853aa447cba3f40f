// Tests of BatchMatMul (ops/batch_matmul_op.cc).
//
// Reference: a product written here from numpy's matmul rule (1-D operands
// promoted, batch dimensions broadcast by taking index 0 along a dimension
// of size 1), summed in long double; each element must be within the GEMM
// wrapper's bound (K + 2) eps sum_p |a_p b_p| (ops/kernels/gemm.h).
// Gradients: core/gradient_checker.h (central differences in float64).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::CreateStatus;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

using Dims = std::vector<int64_t>;

struct Expected {
  Dims dims;
  std::vector<long double> value, bound_sum;  // bound_sum: sum |a b| per element
};

// numpy's matmul of a and b (with the transposes), in long double.
template <typename T>
Expected Reference(const Tensor& a, const Tensor& b, bool ta, bool tb, bool dot_as_scalar) {
  Dims da = a.dims(), db = b.dims();
  const bool av = da.size() == 1, bv = db.size() == 1;
  if (av) da.insert(da.begin(), 1);
  if (bv) db.push_back(1);
  const int64_t ra = da.size(), rb = db.size();
  const int64_t m = ta ? da[ra - 1] : da[ra - 2], k = ta ? da[ra - 2] : da[ra - 1];
  const int64_t n = tb ? db[rb - 2] : db[rb - 1];
  // Batch dims padded to one rank.
  const int64_t r = std::max(ra, rb) - 2;
  Dims pa(r - (ra - 2), 1), pb(r - (rb - 2), 1);
  pa.insert(pa.end(), da.begin(), da.end() - 2);
  pb.insert(pb.end(), db.begin(), db.end() - 2);
  Expected e;
  int64_t batches = 1;
  for (int64_t i = 0; i < r; ++i) {
    e.dims.push_back(pa[i] == 1 ? pb[i] : pa[i]);
    batches *= e.dims.back();
  }
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  for (int64_t bi = 0; bi < batches; ++bi) {
    // Batch index -> A's and B's batch offsets.
    int64_t rem = bi, oa = 0, ob = 0, sa = 1, sb = 1;
    for (int64_t d = r - 1; d >= 0; --d) {
      const int64_t idx = rem % e.dims[d];
      rem /= e.dims[d];
      oa += (pa[d] == 1 ? 0 : idx) * sa;
      ob += (pb[d] == 1 ? 0 : idx) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        long double s = 0, sabs = 0;
        for (int64_t p = 0; p < k; ++p) {
          const long double x = ap[oa * m * k + (ta ? p * m + i : i * k + p)];
          const long double y = bp[ob * k * n + (tb ? j * k + p : p * n + j)];
          s += x * y;
          sabs += std::fabs(x * y);
        }
        e.value.push_back(s);
        e.bound_sum.push_back(sabs * (k + 2));
      }
    }
  }
  if (av && bv) {
    if (!dot_as_scalar) e.dims.push_back(1);
  } else {
    if (!av) e.dims.push_back(m);
    if (!bv) e.dims.push_back(n);
  }
  return e;
}

template <typename T>
void ExpectMatches(const Tensor& a, const Tensor& b, bool ta, bool tb, bool broadcast,
                   bool dot_as_scalar = false) {
  SCOPED_TRACE(a.type().ToString() + " x " + b.type().ToString() + " trans " + std::to_string(ta) +
               std::to_string(tb) + " broadcast " + std::to_string(broadcast));
  const Expected e = Reference<T>(a, b, ta, tb, dot_as_scalar);
  auto r = RunOp(MakeOp("BatchMatMul", {"A", "B"}, {"Y"},
                        {IntArg("trans_a", ta), IntArg("trans_b", tb),
                         IntArg("broadcast", broadcast), IntArg("dot_as_scalar", dot_as_scalar)}),
                 {a, b});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)[0].dims(), e.dims);
  const std::vector<T> y = ToVector<T>((*r)[0]);
  ASSERT_EQ(y.size(), e.value.size());
  const long double eps = std::numeric_limits<T>::epsilon();
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_LE(std::fabs(y[i] - e.value[i]), eps * e.bound_sum[i]) << "element " << i;
  }
}

TEST(BatchMatMulOpTest, SameBatchEveryTranspose) {
  Rng rng(21);
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      const Dims da = ta ? Dims{2, 4, 3} : Dims{2, 3, 4};
      const Dims db = tb ? Dims{2, 5, 4} : Dims{2, 4, 5};
      ExpectMatches<float>(RandomTensor<float>(da, rng, -1, 1), RandomTensor<float>(db, rng, -1, 1),
                           ta, tb, false);
      ExpectMatches<double>(RandomTensor<double>(da, rng, -1, 1),
                            RandomTensor<double>(db, rng, -1, 1), ta, tb, true);
    }
  }
  // Plain 2-D matrices, and 4-D batches.
  ExpectMatches<float>(RandomTensor<float>({7, 9}, rng, -1, 1),
                       RandomTensor<float>({9, 3}, rng, -1, 1), false, false, false);
  ExpectMatches<double>(RandomTensor<double>({2, 3, 4, 5}, rng, -1, 1),
                        RandomTensor<double>({2, 3, 5, 2}, rng, -1, 1), false, false, false);
}

TEST(BatchMatMulOpTest, NumpyBroadcasting) {
  Rng rng(22);
  struct Case {
    Dims a, b;
    bool ta, tb;
  };
  for (const Case& c : std::vector<Case>{{{3, 4}, {4}, false, false},
                                         {{4}, {4, 5}, false, false},
                                         {{4}, {2, 4, 5}, false, false},
                                         {{2, 3, 4}, {4}, false, false},
                                         {{2, 1, 3, 4}, {5, 4, 6}, false, false},
                                         {{3, 4}, {2, 4, 5}, false, false},
                                         {{2, 4, 3}, {1, 6, 4}, true, true},
                                         {{1, 3, 4}, {2, 1, 4, 2}, false, false},
                                         {{0, 3}, {3, 2}, false, false},
                                         {{2, 0}, {0, 3}, false, false},
                                         {{0, 2, 3}, {3, 1}, false, false}}) {
    ExpectMatches<float>(RandomTensor<float>(c.a, rng, -1, 1), RandomTensor<float>(c.b, rng, -1, 1),
                         c.ta, c.tb, true);
  }
}

TEST(BatchMatMulOpTest, VectorDotShape) {
  const Tensor a = MakeTensor<float>({3}, {1, 2, 3});
  const Tensor b = MakeTensor<float>({3}, {4, -5, 6});
  for (int scalar = 0; scalar < 2; ++scalar) {
    auto r = RunOp(MakeOp("BatchMatMul", {"A", "B"}, {"Y"},
                          {IntArg("broadcast", 1), IntArg("dot_as_scalar", scalar)}),
                   {a, b});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)[0].dims(), scalar ? Dims{} : Dims{1});
    EXPECT_EQ(ToVector<float>((*r)[0]), std::vector<float>{12});  // 4 - 10 + 18, exact
  }
}

TEST(BatchMatMulOpTest, Refusals) {
  Rng rng(24);
  auto status = [&](const Dims& a, const Dims& b, const std::vector<Argument>& args) {
    return CreateStatus(MakeOp("BatchMatMul", {"A", "B"}, {"Y"}, args),
                        {RandomTensor<float>(a, rng, 0, 1), RandomTensor<float>(b, rng, 0, 1)});
  };
  absl::Status s = status({2, 3}, {4, 5}, {});
  EXPECT_TRUE(Contains(s, "has K = 3") && Contains(s, "has K = 4")) << s;
  s = status({2, 3, 4}, {4, 5}, {});
  EXPECT_TRUE(Contains(s, "broadcast=0")) << s;
  s = status({2, 3, 4}, {3, 4, 5}, {});
  EXPECT_TRUE(Contains(s, "different batch dimensions")) << s;
  s = status({2, 3, 4}, {3, 4, 5}, {IntArg("broadcast", 1)});
  EXPECT_TRUE(Contains(s, "batch dimensions of A")) << s;
  s = status({3}, {3, 2}, {IntArg("broadcast", 1), IntArg("trans_a", 1)});
  EXPECT_TRUE(Contains(s, "trans_a with a 1-D A")) << s;
  s = status({3}, {3}, {});
  EXPECT_FALSE(s.ok());
}

TEST(BatchMatMulOpTest, GradientsAgainstFiniteDifferences) {
  Rng rng(23);
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      SCOPED_TRACE(std::to_string(ta) + std::to_string(tb));
      const Tensor a = RandomTensor<double>(ta ? Dims{2, 4, 3} : Dims{2, 3, 4}, rng, -1, 1);
      const Tensor b = RandomTensor<double>(tb ? Dims{2, 5, 4} : Dims{2, 4, 5}, rng, -1, 1);
      absl::StatusOr<GradientCheckResult> r = CheckGradient(
          MakeOp("BatchMatMul", {"A", "B"}, {"Y"}, {IntArg("trans_a", ta), IntArg("trans_b", tb)}),
          {a, b});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
    }
  }
}

TEST(BatchMatMulOpTest, BroadcastGradientsAgainstFiniteDifferences) {
  Rng rng(25);
  struct Case {
    Dims a, b;
    bool ta, tb;
  };
  for (const Case& c : std::vector<Case>{{{3, 4}, {4}, false, false},
                                         {{4}, {4, 5}, false, false},
                                         {{4}, {4}, false, false},
                                         {{4}, {2, 4, 5}, false, false},
                                         {{2, 1, 3, 4}, {5, 4, 2}, false, false},
                                         {{3, 4}, {2, 4, 5}, false, false},
                                         {{2, 4, 3}, {1, 6, 4}, true, true},
                                         {{1, 4, 3}, {2, 4, 2}, true, false},
                                         {{2, 3, 4}, {2, 1, 4}, false, true}}) {
    SCOPED_TRACE(::testing::Message() << ::testing::PrintToString(c.a) << " x "
                                      << ::testing::PrintToString(c.b) << " " << c.ta << c.tb);
    absl::StatusOr<GradientCheckResult> r = CheckGradient(
        MakeOp("BatchMatMul", {"A", "B"}, {"Y"},
               {IntArg("broadcast", 1), IntArg("trans_a", c.ta), IntArg("trans_b", c.tb)}),
        {RandomTensor<double>(c.a, rng, -1, 1), RandomTensor<double>(c.b, rng, -1, 1)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

}  // namespace
}  // namespace opgraph
