// Tests of Caffe2's 2-D MatMul (ops/matmul_op.cc).
//
// Reference: the product of the matrix views written here as loops in long
// double; each element within (K + 2) eps sum |a b| (ops/kernels/gemm.h).
// Gradients: core/gradient_checker.h (central differences in float64).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

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
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

using Dims = std::vector<int64_t>;

int64_t Prod(const Dims& d, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= d[i];
  return p;
}

struct Case {
  Dims a, b;
  int axis_a, axis_b;
  bool ta, tb;
};

TEST(MatMulOpTest, AgainstLongDouble) {
  Rng rng(41);
  for (const Case& c : std::vector<Case>{{{3, 4}, {4, 5}, 1, 1, false, false},
                                         {{2, 3, 4}, {12, 5}, 1, 1, false, false},
                                         {{2, 3, 4}, {4, 5}, 2, 1, false, false},
                                         {{2, 3, 4}, {3, 4, 5}, 1, 2, false, false},
                                         {{4, 3}, {5, 4}, 1, 1, true, true},
                                         {{2, 2, 3}, {4, 5}, 2, 1, true, false},
                                         {{3, 4}, {5, 2, 2}, 1, 1, false, true},
                                         {{0, 4}, {4, 2}, 1, 1, false, false}}) {
    SCOPED_TRACE(::testing::Message()
                 << ::testing::PrintToString(c.a) << " x " << ::testing::PrintToString(c.b)
                 << " axes " << c.axis_a << c.axis_b << " trans " << c.ta << c.tb);
    const Tensor a = RandomTensor<float>(c.a, rng, -1, 1);
    const Tensor b = RandomTensor<float>(c.b, rng, -1, 1);
    auto r = RunOp(MakeOp("MatMul", {"A", "B"}, {"Y"},
                          {IntArg("axis_a", c.axis_a), IntArg("axis_b", c.axis_b),
                           IntArg("trans_a", c.ta), IntArg("trans_b", c.tb)}),
                   {a, b});
    ASSERT_TRUE(r.ok()) << r.status();
    const int64_t a0 = Prod(c.a, 0, c.axis_a), a1 = Prod(c.a, c.axis_a, c.a.size());
    const int64_t b0 = Prod(c.b, 0, c.axis_b), b1 = Prod(c.b, c.axis_b, c.b.size());
    const int64_t m = c.ta ? a1 : a0, k = c.ta ? a0 : a1, n = c.tb ? b0 : b1;
    ASSERT_EQ((*r)[0].dims(), (Dims{m, n}));
    const std::vector<float> y = ToVector<float>((*r)[0]);
    const float* ap = a.data<float>();
    const float* bp = b.data<float>();
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        long double s = 0, sabs = 0;
        for (int64_t p = 0; p < k; ++p) {
          const long double x = ap[c.ta ? p * m + i : i * k + p];
          const long double z = bp[c.tb ? j * k + p : p * n + j];
          s += x * z;
          sabs += std::fabs(x * z);
        }
        ASSERT_LE(std::fabs(y[i * n + j] - s),
                  (k + 2) * std::numeric_limits<float>::epsilon() * sabs);
      }
    }
  }
}

TEST(MatMulOpTest, ShapeInputAndRefusals) {
  Rng rng(42);
  const Tensor a = RandomTensor<float>({2, 3}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({3, 4}, rng, -1, 1);
  const Tensor shape = RandomTensor<float>({2, 2, 2}, rng, -1, 1);
  auto r = RunOp(MakeOp("MatMul", {"A", "B", "S"}, {"Y"}), {a, b, shape});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (Dims{2, 2, 2}));
  absl::Status s = CreateStatus(MakeOp("MatMul", {"A", "B"}, {"Y"}), {b, a});
  EXPECT_TRUE(Contains(s, "has K = 4") && Contains(s, "has K = 2")) << s;
  s = CreateStatus(MakeOp("MatMul", {"A", "B"}, {"Y"}, {IntArg("axis_a", 3)}), {a, b});
  EXPECT_TRUE(Contains(s, "axis_a")) << s;
  s = CreateStatus(MakeOp("MatMul", {"A", "B", "S"}, {"Y"}), {a, b, a});
  EXPECT_TRUE(Contains(s, "does not hold M * N")) << s;
}

TEST(MatMulOpTest, GradientsAgainstFiniteDifferences) {
  Rng rng(43);
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      SCOPED_TRACE(::testing::Message() << ta << tb);
      // op(A) is [6, 4]: A [2, 3, 4] at axis_a 2, or A [4, 3, 2] at axis_a 1
      // transposed; op(B) is [4, 5]: B [2, 2, 5] at axis_b 2, or B [5, 2, 2]
      // at axis_b 1 transposed.
      const Tensor a = RandomTensor<double>(ta ? Dims{4, 3, 2} : Dims{2, 3, 4}, rng, -1, 1);
      const Tensor b = RandomTensor<double>(tb ? Dims{5, 2, 2} : Dims{2, 2, 5}, rng, -1, 1);
      const int axis_a = ta ? 1 : 2, axis_b = tb ? 1 : 2;
      absl::StatusOr<GradientCheckResult> r =
          CheckGradient(MakeOp("MatMul", {"A", "B"}, {"Y"},
                               {IntArg("axis_a", axis_a), IntArg("axis_b", axis_b),
                                IntArg("trans_a", ta), IntArg("trans_b", tb)}),
                        {a, b});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
    }
  }
}

}  // namespace
}  // namespace opgraph
