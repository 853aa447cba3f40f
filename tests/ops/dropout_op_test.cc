// Dropout and DropoutGrad: inference is the identity with an all-true mask
// (also in place); training keeps about 1 - ratio of the elements, scales
// them by 1 / (1 - ratio) exactly and zeroes the rest, consistently with the
// mask; DropoutGrad against dY * mask / (1 - ratio) by hand; refusals.
#include <cmath>
#include <vector>

#include "core/gradient.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

TEST(DropoutOpTest, InferenceIsIdentityWithAllTrueMask) {
  Rng rng(1);
  const Tensor x = RandomTensor<float>({3, 7}, rng, -2, 2);
  auto out = RunOp(MakeOp("Dropout", {"X"}, {"Y", "mask"}, {IntArg("is_test", 1)}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ToVector<float>((*out)[0]), ToVector<float>(x));
  ASSERT_EQ((*out)[1].dtype(), DType::kBool);
  EXPECT_EQ((*out)[1].dims(), x.dims());
  for (bool m : ToVector<bool>((*out)[1])) EXPECT_TRUE(m);
  auto inplace = RunOp(MakeOp("Dropout", {"X"}, {"X"}, {IntArg("is_test", 1)}), {x});
  ASSERT_TRUE(inplace.ok()) << inplace.status();
  EXPECT_EQ(ToVector<float>((*inplace)[0]), ToVector<float>(x));
}

TEST(DropoutOpTest, TrainingScalesKeptElementsAndZeroesTheRest) {
  Rng rng(2);
  const Tensor x = RandomTensor<double>({100, 100}, rng, 0.5, 2);
  auto out = RunOp(
      MakeOp("Dropout", {"X"}, {"Y", "mask"}, {FloatArg("ratio", 0.25f), IntArg("seed", 7)}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<double> xs = ToVector<double>(x), ys = ToVector<double>((*out)[0]);
  const std::vector<bool> mask = ToVector<bool>((*out)[1]);
  int kept = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (mask[i]) {
      ++kept;
      EXPECT_DOUBLE_EQ(ys[i], xs[i] / 0.75);
    } else {
      EXPECT_EQ(ys[i], 0.0);
    }
  }
  // Binomial(10000, 0.75): mean 7500, sd 43; 6 sd either way.
  EXPECT_GT(kept, 7500 - 260);
  EXPECT_LT(kept, 7500 + 260);
  // Same seed, same mask.
  auto again = RunOp(
      MakeOp("Dropout", {"X"}, {"Y", "mask"}, {FloatArg("ratio", 0.25f), IntArg("seed", 7)}), {x});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ToVector<bool>((*again)[1]), mask);
  // ratio 0 keeps everything unchanged.
  auto all = RunOp(MakeOp("Dropout", {"X"}, {"Y"}, {FloatArg("ratio", 0.0f)}), {x});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ToVector<double>((*all)[0]), xs);
}

TEST(DropoutOpTest, GradientUsesTheMask) {
  const Tensor dy = MakeTensor<float>({4}, {1, 2, 3, 4});
  Tensor mask;
  ASSERT_TRUE(mask.Resize(DType::kBool, {4}).ok());
  const bool m[4] = {true, false, true, false};
  for (int i = 0; i < 4; ++i) mask.mutable_data<bool>()[i] = m[i];
  auto train =
      RunOp(MakeOp("DropoutGrad", {"dY", "mask"}, {"dX"}, {FloatArg("ratio", 0.5f)}), {dy, mask});
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ(ToVector<float>((*train)[0]), (std::vector<float>{2, 0, 6, 0}));
  auto meta = GetGradientDefs(MakeOp("Dropout", {"X"}, {"Y", "mask"}), {"dY", ""});
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->ops[0].type(), "DropoutGrad");
  EXPECT_EQ(meta->ops[0].input(1), "mask");
  EXPECT_FALSE(GetGradientDefs(MakeOp("Dropout", {"X"}, {"Y"})).ok());
}

TEST(DropoutOpTest, Refusals) {
  const Tensor x = MakeTensor<float>({1}, {1});
  for (float r : {1.0f, -0.1f, std::nanf("")}) {
    absl::Status s = CreateStatus(MakeOp("Dropout", {"X"}, {"Y"}, {FloatArg("ratio", r)}), {x});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(testing::Contains(s, "ratio")) << s;
  }
  absl::Status s = CreateStatus(MakeOp("Dropout", {"X"}, {"Y"}), {MakeTensor<int32_t>({1}, {1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace
}  // namespace opgraph
