// WeightedSum: golden values by hand, the in-place SGD form, rejections.
#include <vector>

#include "core/gradient.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

// 2 * [1,2,3] - 0.5 * [10,20,30] = [-3,-6,-9].
TEST(WeightedSumOpTest, GoldenRow) {
  auto out = RunOp(MakeOp("WeightedSum", {"x0", "w0", "x1", "w1"}, {"y"}),
                   {MakeTensor<float>({3}, {1, 2, 3}), MakeTensor<float>({1}, {2}),
                    MakeTensor<float>({3}, {10, 20, 30}), MakeTensor<float>({1}, {-0.5f})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ToVector<float>((*out)[0]), (std::vector<float>{-3, -6, -9}));
}

// param = 1 * param + (-0.1) * grad, in place, float64: [1, -2] - 0.1 * [5, 10].
TEST(WeightedSumOpTest, InPlaceSgdStep) {
  auto out = RunOp(MakeOp("WeightedSum", {"p", "one", "g", "lr"}, {"p"}),
                   {MakeTensor<double>({2}, {1, -2}), MakeTensor<double>({}, {1}),
                    MakeTensor<double>({2}, {5, 10}), MakeTensor<double>({1}, {-0.1})});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<double> p = ToVector<double>((*out)[0]);
  EXPECT_DOUBLE_EQ(p[0], 0.5);
  EXPECT_DOUBLE_EQ(p[1], -3.0);
}

TEST(WeightedSumOpTest, RejectsBadInputs) {
  auto odd = RunOp(MakeOp("WeightedSum", {"x0", "w0", "x1"}, {"y"}),
                   {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({1}, {1}),
                    MakeTensor<float>({2}, {1, 2})});
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("pairs"), std::string::npos) << odd.status();
  auto shape = RunOp(MakeOp("WeightedSum", {"x0", "w0", "x1", "w1"}, {"y"}),
                     {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({1}, {1}),
                      MakeTensor<float>({3}, {1, 2, 3}), MakeTensor<float>({1}, {1})});
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("X_1"), std::string::npos) << shape.status();
  auto weight = RunOp(MakeOp("WeightedSum", {"x0", "w0"}, {"y"}),
                      {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({2}, {1, 1})});
  ASSERT_FALSE(weight.ok());
  EXPECT_NE(weight.status().message().find("w_0"), std::string::npos) << weight.status();
  auto inplace_other = RunOp(MakeOp("WeightedSum", {"x0", "w0", "x1", "w1"}, {"x1"}),
                             {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({1}, {1}),
                              MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({1}, {1})});
  EXPECT_EQ(inplace_other.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WeightedSumOpTest, GradientIsRefused) {
  auto meta = GetGradientDefs(MakeOp("WeightedSum", {"x0", "w0"}, {"y"}));
  EXPECT_EQ(meta.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace opgraph
