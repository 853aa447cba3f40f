// FC and FCGradient: golden rows worked out by hand (small integers and
// halves, exact in float), argument variants, schema rejections and a
// finite-difference gradient check.
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

// X [[1,2,3],[4,5,6]], W [[1,0,-1],[.5,.5,.5]], b [.1,-.2]:
// Y[0] = [1-3+.1, 3-.2], Y[1] = [4-6+.1, 7.5-.2].
TEST(FCOpTest, GoldenRows) {
  auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
                   {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                    MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 2}));
  const std::vector<float> y = ToVector<float>((*out)[0]);
  const std::vector<float> expected = {-1.9f, 2.8f, -1.9f, 7.3f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], expected[i], 1e-6) << i;
}

// dY [[1,2],[3,4]] with the X and W above:
// dW = dY^T X = [[13,17,21],[18,24,30]], db = [4,6], dX = dY W = [[2,1,0],[5,2,-1]].
TEST(FCOpTest, GradientGoldenRows) {
  auto out = RunOp(MakeOp("FCGradient", {"x", "w", "dy"}, {"dw", "db", "dx"}),
                   {MakeTensor<double>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<double>({2, 3}, {1, 0, -1, 0.5, 0.5, 0.5}),
                    MakeTensor<double>({2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ToVector<double>((*out)[0]), (std::vector<double>{13, 17, 21, 18, 24, 30}));
  EXPECT_EQ(ToVector<double>((*out)[1]), (std::vector<double>{4, 6}));
  EXPECT_EQ(ToVector<double>((*out)[2]), (std::vector<double>{2, 1, 0, 5, 2, -1}));
}

// With axis=2, X [2,1,3] keeps its first two dims: Y is [2,1,2] and holds
// the same numbers as the [2,3] case.
TEST(FCOpTest, AxisKeepsLeadingDims) {
  auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", 2)}),
                   {MakeTensor<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                    MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_NEAR(ToVector<float>((*out)[0])[3], 7.3f, 1e-6);
}

TEST(FCOpTest, RejectsMismatchedShapesNamingThem) {
  auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
                   {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<float>({2, 2}, {1, 0, -1, 0.5f}),
                    MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("float32[2, 2]"), std::string::npos) << out.status();
  auto bad_bias = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
                        {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                         MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                         MakeTensor<float>({3}, {0.1f, -0.2f, 0})});
  ASSERT_FALSE(bad_bias.ok());
  EXPECT_NE(bad_bias.status().message().find("b is float32[3]"), std::string::npos)
      << bad_bias.status();
  auto bad_axis = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", 2)}),
                        {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                         MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                         MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_NE(bad_axis.status().message().find("axis"), std::string::npos);
  auto bad_arg = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {FloatArg("alpha", 1)}),
                       {MakeTensor<float>({1, 1}, {1}), MakeTensor<float>({1, 1}, {1}),
                        MakeTensor<float>({1}, {1})});
  EXPECT_EQ(bad_arg.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FCOpTest, GradientMakerFollowsCaffe2) {
  auto meta = GetGradientDefs(MakeOp("FC", {"x", "w", "b"}, {"y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "FCGradient");
  EXPECT_EQ(std::vector<std::string>(g.input().begin(), g.input().end()),
            (std::vector<std::string>{"x", "w", "y_grad"}));
  EXPECT_EQ(std::vector<std::string>(g.output().begin(), g.output().end()),
            (std::vector<std::string>{"w_grad", "b_grad", "x_grad"}));
}

TEST(FCOpTest, FiniteDifferenceGradient) {
  testing::Rng rng(42);
  for (int axis : {1, 2}) {
    SCOPED_TRACE(axis);
    const std::vector<int64_t> xdims = axis == 1 ? std::vector<int64_t>{4, 3}
                                                 : std::vector<int64_t>{2, 2, 3};
    auto r = CheckGradient(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", axis)}),
                           {testing::RandomTensor<float>(xdims, rng, -1, 1),
                            testing::RandomTensor<float>({5, 3}, rng, -1, 1),
                            testing::RandomTensor<float>({5}, rng, -1, 1)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->compute_dtype, DType::kFloat64);
    EXPECT_EQ(r->inputs.size(), 3u);
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

}  // namespace
}  // namespace opgraph
