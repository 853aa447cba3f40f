// LogSoftmax and LogSoftmaxAlongAxis: every element against the definition
// log(exp(x_i) / sum exp(x)) evaluated in long double, within the bound of
// ops/kernels/log_softmax_kernels.h, for row lengths around the vector
// widths (tails), strided and contiguous rows, both types; the two row
// choices against each other; special values; gradients against the long
// double formula and central differences; refusals.
#include <cmath>
#include <limits>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// log softmax of x viewed as [outer, d, inner] along d, in long double,
// straight from the definition (no max shift: |x| is small here).
std::vector<long double> Reference(const std::vector<long double>& x, int64_t outer, int64_t d,
                                   int64_t inner) {
  std::vector<long double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      long double sum = 0;
      for (int64_t k = 0; k < d; ++k) sum += std::exp(x[(o * d + k) * inner + j]);
      for (int64_t k = 0; k < d; ++k) {
        const int64_t at = (o * d + k) * inner + j;
        y[at] = std::log(std::exp(x[at]) / sum);
      }
    }
  }
  return y;
}

template <typename T>
void CheckCase(const std::string& type, const std::vector<int64_t>& dims, int axis, uint64_t seed) {
  Rng rng(seed);
  const Tensor x = RandomTensor<T>(dims, rng, -8, 8);
  std::vector<long double> xs(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) xs[i] = x.template data<T>()[i];
  const int r = static_cast<int>(dims.size());
  const int a = axis < 0 ? axis + r : axis;
  int64_t outer = 1, d = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= dims[i];
  if (type == "LogSoftmax") {
    for (int i = a; i < r; ++i) d *= dims[i];
  } else {
    d = dims[a];
    for (int i = a + 1; i < r; ++i) inner *= dims[i];
  }
  auto out = RunOp(MakeOp(type, {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<long double> want = Reference(xs, outer, d, inner);
  const std::vector<T> got = ToVector<T>((*out)[0]);
  const long double eps = std::numeric_limits<T>::epsilon();
  for (size_t i = 0; i < got.size(); ++i) {
    const long double bound = (4 + d) * eps * (1 + std::fabs(want[i]));
    ASSERT_LE(std::fabs(got[i] - want[i]), bound) << "element " << i;
  }
}

TEST(LogSoftmaxOpTest, MatchesLongDoubleReference) {
  uint64_t seed = 1;
  // Row lengths 1, 3, 8, 17, 33 cover below, at and past every vector width.
  for (int64_t d : {1, 3, 8, 17, 33}) {
    SCOPED_TRACE(d);
    CheckCase<float>("LogSoftmax", {5, d}, 1, seed++);
    CheckCase<double>("LogSoftmax", {5, d}, 1, seed++);
    CheckCase<float>("LogSoftmax", {2, 3, d}, 1, seed++);  // flattened [3 * d] rows
    CheckCase<double>("LogSoftmax", {2, 3, d}, -1, seed++);
    CheckCase<float>("LogSoftmaxAlongAxis", {2, d, 3}, 1, seed++);
    CheckCase<double>("LogSoftmaxAlongAxis", {3, 4, d}, 1, seed++);  // inner = d, strided
    CheckCase<float>("LogSoftmaxAlongAxis", {d, 19}, 0, seed++);
    CheckCase<double>("LogSoftmaxAlongAxis", {d, 2, 3}, -1, seed++);
  }
}

TEST(LogSoftmaxOpTest, RowChoicesAgreeOnTheLastAxisOnly) {
  Rng rng(3);
  const Tensor x = RandomTensor<float>({4, 3, 6}, rng, -5, 5);
  auto a = RunOp(MakeOp("LogSoftmaxAlongAxis", {"X"}, {"Y"}), {x});
  auto b = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}, {IntArg("axis", 2)}), {x});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ToVector<float>((*a)[0]), ToVector<float>((*b)[0]));
  auto c = RunOp(MakeOp("LogSoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 1)}), {x});
  auto d = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}, {IntArg("axis", 1)}), {x});
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_NE(ToVector<float>((*c)[0]), ToVector<float>((*d)[0]));
}

TEST(LogSoftmaxOpTest, LargeValuesAndSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Large values do not overflow: [1000, 1001, 1002] is [0, 1, 2] shifted.
  auto big =
      RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}), {MakeTensor<float>({1, 3}, {1000, 1001, 1002})});
  ASSERT_TRUE(big.ok()) << big.status();
  const std::vector<float> y = ToVector<float>((*big)[0]);
  const long double l = std::log(1 + std::exp(1.0L) + std::exp(2.0L));
  EXPECT_NEAR(y[0], static_cast<float>(0 - l), 1e-5);
  EXPECT_NEAR(y[2], static_cast<float>(2 - l), 1e-5);
  // 20 lanes so that both the vector path and the tail see each case.
  for (int at : {0, 19}) {
    SCOPED_TRACE(at);
    std::vector<float> row(20, 0.5f);
    row[at] = -inf;
    auto minus = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}), {MakeTensor<float>({1, 20}, row)});
    ASSERT_TRUE(minus.ok());
    const std::vector<float> m = ToVector<float>((*minus)[0]);
    EXPECT_EQ(m[at], -inf);
    EXPECT_NEAR(m[(at + 1) % 20], -std::log(19.0f), 1e-5);
    row[at] = nan;
    auto n = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}), {MakeTensor<float>({1, 20}, row)});
    ASSERT_TRUE(n.ok());
    for (float v : ToVector<float>((*n)[0])) EXPECT_TRUE(std::isnan(v));
    row[at] = inf;
    auto p = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}), {MakeTensor<float>({1, 20}, row)});
    ASSERT_TRUE(p.ok());
    for (float v : ToVector<float>((*p)[0])) EXPECT_TRUE(std::isnan(v));
  }
}

// dx = dy - exp(y) * sum(dy), with y from the long double reference.
TEST(LogSoftmaxOpTest, GradientMatchesFormulaAndFiniteDifferences) {
  Rng rng(4);
  for (int64_t d : {3, 17}) {
    const Tensor x = RandomTensor<double>({4, d}, rng, -3, 3);
    const Tensor dy = RandomTensor<double>({4, d}, rng, -1, 1);
    auto y = RunOp(MakeOp("LogSoftmax", {"X"}, {"Y"}), {x});
    ASSERT_TRUE(y.ok());
    auto dx = RunOp(MakeOp("LogSoftmaxGradient", {"Y", "dY"}, {"dX"}), {(*y)[0], dy});
    ASSERT_TRUE(dx.ok()) << dx.status();
    const std::vector<double> ys = ToVector<double>((*y)[0]), gs = ToVector<double>(dy),
                              got = ToVector<double>((*dx)[0]);
    for (int64_t o = 0; o < 4; ++o) {
      long double sum = 0, abs_sum = 0;
      for (int64_t k = 0; k < d; ++k) {
        sum += gs[o * d + k];
        abs_sum += std::fabs(gs[o * d + k]);
      }
      for (int64_t k = 0; k < d; ++k) {
        const int64_t i = o * d + k;
        const long double e = std::exp(static_cast<long double>(ys[i]));
        const long double want = gs[i] - e * sum;
        const long double bound =
            (4 + d) * std::numeric_limits<double>::epsilon() * (std::fabs(gs[i]) + e * abs_sum);
        EXPECT_LE(std::fabs(got[i] - want), bound) << i;
      }
    }
  }
  for (const char* type : {"LogSoftmax", "LogSoftmaxAlongAxis"}) {
    for (int axis : {0, 1, 2}) {
      SCOPED_TRACE(std::string(type) + " " + std::to_string(axis));
      const Tensor x = RandomTensor<double>({2, 5, 3}, rng, -2, 2);
      auto r = CheckGradient(MakeOp(type, {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
    }
  }
}

TEST(LogSoftmaxOpTest, EmptyAndRefusals) {
  auto empty = RunOp(MakeOp("LogSoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 0)}),
                     {MakeTensor<float>({0, 3}, {})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].numel(), 0);
  const Tensor x = MakeTensor<float>({2, 2}, {1, 2, 3, 4});
  for (const char* type : {"LogSoftmax", "LogSoftmaxAlongAxis"}) {
    absl::Status s = CreateStatus(MakeOp(type, {"X"}, {"Y"}, {IntArg("axis", 2)}), {x});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(testing::Contains(s, "axis")) << s;
    s = CreateStatus(MakeOp(type, {"X"}, {"Y"}), {MakeTensor<int32_t>({2}, {1, 2})});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
}

}  // namespace
}  // namespace opgraph
