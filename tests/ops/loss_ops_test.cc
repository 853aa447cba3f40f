// SoftmaxWithLoss, SoftmaxWithLossGradient, Accuracy. Golden values from an
// independent python3 computation (math.exp / math.log, in double):
//   X = [[1,2,3],[1,1,1]], labels [2,0]
//   loss = (log(1+e^-1+e^-2) + log 3) / 2 = 0.7531091265562451
//   P[0] = [0.09003057317038046, 0.24472847105479764, 0.6652409557748218]
//   dX (dloss = 0.5) = 0.5 / 2 * (P - onehot).
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

TEST(LossOpsTest, SoftmaxWithLossGolden) {
  auto out =
      RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
            {MakeTensor<double>({2, 3}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2}, {2, 0})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[1].type(), (TensorType{DType::kFloat64, {}}));
  EXPECT_NEAR(ToVector<double>((*out)[1])[0], 0.7531091265562451, 1e-15);
  const std::vector<double> p = ToVector<double>((*out)[0]);
  const std::vector<double> expected = {
      0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(p[i], expected[i], 1e-15) << i;
  // float32 and a scale of 2, labels as [N, 1].
  auto scaled =
      RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}, {FloatArg("scale", 2)}),
            {MakeTensor<float>({2, 3}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2, 1}, {2, 0})});
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_NEAR(ToVector<float>((*scaled)[1])[0], 2 * 0.7531091265562451, 1e-6);
}

// Logits 1000 apart: P underflows to 0 but the loss stays finite (= 1000).
TEST(LossOpsTest, LossStaysFiniteWhenSoftmaxUnderflows) {
  auto out = RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
                   {MakeTensor<float>({1, 2}, {1000, 0}), MakeTensor<int32_t>({1}, {1})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FLOAT_EQ(ToVector<float>((*out)[1])[0], 1000.f);
}

TEST(LossOpsTest, GradientGolden) {
  const std::vector<double> p = {
      0.09003057317038046, 0.24472847105479764, 0.6652409557748218, 1.0 / 3, 1.0 / 3, 1.0 / 3};
  auto out =
      RunOp(MakeOp("SoftmaxWithLossGradient", {"x", "labels", "p", "dloss"}, {"dx"}),
            {MakeTensor<double>({2, 3}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2}, {2, 0}),
             MakeTensor<double>({2, 3}, p), MakeTensor<double>({}, {0.5})});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<double> expected = {0.022507643292595116, 0.06118211776369941,
                                        -0.08368976105629455, -0.16666666666666669,
                                        0.08333333333333333,  0.08333333333333333};
  const std::vector<double> dx = ToVector<double>((*out)[0]);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(dx[i], expected[i], 1e-15) << i;
}

TEST(LossOpsTest, RejectsBadLabels) {
  auto range =
      RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
            {MakeTensor<float>({2, 3}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2}, {2, 3})});
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(range.status().message().find("label of row 1 is 3"), std::string::npos)
      << range.status();
  auto type =
      RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
            {MakeTensor<float>({2, 3}, {1, 2, 3, 1, 1, 1}), MakeTensor<float>({2}, {2, 0})});
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("expected int32[2]"), std::string::npos) << type.status();
  auto rank = RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
                    {MakeTensor<float>({6}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2}, {2, 0})});
  EXPECT_EQ(rank.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LossOpsTest, FiniteDifferenceGradientOfTheLoss) {
  testing::Rng rng(7);
  GradientCheckOptions opt;
  opt.outputs = {1};  // only the loss carries a gradient
  auto r = CheckGradient(
      MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}, {FloatArg("scale", 0.5f)}),
      {testing::RandomTensor<float>({4, 5}, rng, -2, 2), MakeTensor<int32_t>({4}, {0, 4, 2, 2})},
      opt);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->inputs.size(), 1u);  // the int32 labels are not checked
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

// A gradient reaching P would need the softmax Jacobian: refused, not dropped.
TEST(LossOpsTest, GradientThroughProbabilitiesIsRefused) {
  auto meta = GetGradientDefs(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
                              {"p_grad", "loss_grad"});
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(meta.status().message().find("'p'"), std::string::npos) << meta.status();
}

// Rows: label top (correct); label third (wrong at k=1, right at k=2);
// label top; tie with a lower index (ranks below it: wrong at k=1).
TEST(LossOpsTest, AccuracyGolden) {
  const Tensor p = MakeTensor<float>(
      {4, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.2f, 0.3f, 0.3f, 0.3f, 0.4f, 0.4f, 0.4f, 0.2f});
  const Tensor labels = MakeTensor<int32_t>({4}, {1, 2, 2, 1});
  auto top1 = RunOp(MakeOp("Accuracy", {"p", "labels"}, {"acc"}), {p, labels});
  ASSERT_TRUE(top1.ok()) << top1.status();
  EXPECT_EQ((*top1)[0].type(), (TensorType{DType::kFloat32, {}}));
  EXPECT_FLOAT_EQ(ToVector<float>((*top1)[0])[0], 0.5f);
  auto top2 =
      RunOp(MakeOp("Accuracy", {"p", "labels"}, {"acc"}, {IntArg("top_k", 2)}), {p, labels});
  ASSERT_TRUE(top2.ok()) << top2.status();
  EXPECT_FLOAT_EQ(ToVector<float>((*top2)[0])[0], 1.0f);
  auto bad_k =
      RunOp(MakeOp("Accuracy", {"p", "labels"}, {"acc"}, {IntArg("top_k", 0)}), {p, labels});
  EXPECT_EQ(bad_k.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace opgraph
