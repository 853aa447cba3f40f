// Flatten and ResizeLike: output dims against the closed form
// [prod(dims[:axis]), prod(dims[axis:])] for every axis of a rank-4 input,
// values unchanged (row-major order is the same), in place, the gradient
// against central differences, and refusals.
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

TEST(FlattenOpTest, EveryAxisGivesTheClosedFormDimsAndKeepsValues) {
  Rng rng(1);
  const Tensor x = RandomTensor<float>({2, 3, 4, 5}, rng, -1, 1);
  // axis -> expected dims, written out by hand.
  const std::vector<std::pair<int, std::vector<int64_t>>> cases = {
      {0, {1, 120}}, {1, {2, 60}},  {2, {6, 20}},  {3, {24, 5}},  {4, {120, 1}},
      {-1, {24, 5}}, {-2, {6, 20}}, {-3, {2, 60}}, {-4, {1, 120}}};
  for (const auto& [axis, dims] : cases) {
    SCOPED_TRACE(axis);
    auto out = RunOp(MakeOp("Flatten", {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].dims(), dims);
    EXPECT_EQ(ToVector<float>((*out)[0]), ToVector<float>(x));
  }
  auto def = RunOp(MakeOp("Flatten", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(def.ok()) << def.status();
  EXPECT_EQ((*def)[0].dims(), (std::vector<int64_t>{2, 60}));  // Caffe2's default axis 1
}

TEST(FlattenOpTest, AnyTypeAndInPlace) {
  const Tensor x = MakeTensor<int64_t>({2, 2, 1}, {1, -2, 3, 4});
  auto out = RunOp(MakeOp("Flatten", {"X"}, {"X"}, {IntArg("axis", 2)}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{4, 1}));
  EXPECT_EQ(ToVector<int64_t>((*out)[0]), (std::vector<int64_t>{1, -2, 3, 4}));
}

TEST(FlattenOpTest, GradientIsResizeLikeAndMatchesFiniteDifferences) {
  Rng rng(2);
  const Tensor x = RandomTensor<double>({2, 3, 2}, rng, -1, 1);
  auto r = CheckGradient(MakeOp("Flatten", {"X"}, {"Y"}, {IntArg("axis", 2)}), {x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  auto meta = GetGradientDefs(MakeOp("Flatten", {"X"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(meta->ops[0].type(), "ResizeLike");
  EXPECT_EQ(meta->ops[0].input(1), "X");
}

TEST(FlattenOpTest, Refusals) {
  const Tensor x = MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  absl::Status s = CreateStatus(MakeOp("Flatten", {"X"}, {"Y"}, {IntArg("axis", 3)}), {x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(testing::Contains(s, "axis")) << s;
  s = CreateStatus(MakeOp("Flatten", {"X"}, {"Y"}, {IntArg("axis", -3)}), {x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // ResizeLike needs equal element counts.
  s = CreateStatus(MakeOp("ResizeLike", {"X", "L"}, {"Y"}),
                   {x, MakeTensor<float>({5}, {0, 0, 0, 0, 0})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(testing::Contains(s, "element count")) << s;
}

TEST(FlattenOpTest, ResizeLikeTakesTheSecondInputsDims) {
  const Tensor x = MakeTensor<float>({6}, {1, 2, 3, 4, 5, 6});
  const Tensor like = MakeTensor<int32_t>({3, 2}, {0, 0, 0, 0, 0, 0});
  auto out = RunOp(MakeOp("ResizeLike", {"X", "L"}, {"Y"}), {x, like});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dtype(), DType::kFloat32);
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>((*out)[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace opgraph
