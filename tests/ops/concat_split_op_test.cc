// Concat, Split and ConcatGradient against an index-by-index reference
// (numpy.concatenate / numpy.split semantics), add_axis (numpy.stack),
// split_info, the `order` default, Split's three ways of giving extents,
// gradients against central differences, and refusals.
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntArg;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// Element of a rank-3 C-order tensor.
float At(const Tensor& t, int64_t a, int64_t b, int64_t c) {
  return t.data<float>()[(a * t.dim(1) + b) * t.dim(2) + c];
}

TEST(ConcatOpTest, EveryAxisMatchesTheIndexReference) {
  Rng rng(1);
  for (int axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE(axis);
    std::vector<int64_t> da = {2, 3, 4}, db = {2, 3, 4};
    db[axis] = 5;
    const Tensor a = RandomTensor<float>(da, rng, -1, 1);
    const Tensor b = RandomTensor<float>(db, rng, -1, 1);
    auto out = RunOp(MakeOp("Concat", {"A", "B"}, {"Y", "info"}, {IntArg("axis", axis)}), {a, b});
    ASSERT_TRUE(out.ok()) << out.status();
    const Tensor& y = (*out)[0];
    ASSERT_EQ(y.dim(axis), da[axis] + 5);
    for (int64_t i = 0; i < y.dim(0); ++i) {
      for (int64_t j = 0; j < y.dim(1); ++j) {
        for (int64_t k = 0; k < y.dim(2); ++k) {
          int64_t idx[3] = {i, j, k};
          const bool from_a = idx[axis] < da[axis];
          if (!from_a) idx[axis] -= da[axis];
          const float want = from_a ? At(a, idx[0], idx[1], idx[2]) : At(b, idx[0], idx[1], idx[2]);
          ASSERT_EQ(At(y, i, j, k), want) << i << " " << j << " " << k;
        }
      }
    }
    EXPECT_EQ((*out)[1].dtype(), DType::kInt32);
    EXPECT_EQ(ToVector<int32_t>((*out)[1]),
              (std::vector<int32_t>{static_cast<int32_t>(da[axis]), 5}));
  }
}

TEST(ConcatOpTest, DefaultsNegativeAxisAddAxisAndOrder) {
  const Tensor a = MakeTensor<int64_t>({2, 1}, {1, 2});
  const Tensor b = MakeTensor<int64_t>({2, 2}, {3, 4, 5, 6});
  auto d = RunOp(MakeOp("Concat", {"A", "B"}, {"Y"}), {a, b});  // axis 1 by default
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(ToVector<int64_t>((*d)[0]), (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
  auto n = RunOp(MakeOp("Concat", {"A", "B"}, {"Y"}, {IntArg("axis", -1)}), {a, b});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(ToVector<int64_t>((*n)[0]), ToVector<int64_t>((*d)[0]));
  // add_axis stacks: numpy.stack([p, q], axis=1) of two [2] vectors.
  const Tensor p = MakeTensor<float>({2}, {1, 2});
  const Tensor q = MakeTensor<float>({2}, {3, 4});
  auto s =
      RunOp(MakeOp("Concat", {"P", "Q"}, {"Y", "info"}, {IntArg("axis", 1), IntArg("add_axis", 1)}),
            {p, q});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<float>((*s)[0]), (std::vector<float>{1, 3, 2, 4}));
  EXPECT_EQ(ToVector<int32_t>((*s)[1]), (std::vector<int32_t>{1, 1}));
  // order NHWC without axis joins along dim 3.
  Argument order;
  order.set_name("order");
  order.set_s("NHWC");
  const Tensor x = MakeTensor<float>({1, 1, 1, 2}, {1, 2});
  auto o = RunOp(MakeOp("Concat", {"A", "B"}, {"Y"}, {order}), {x, x});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ((*o)[0].dims(), (std::vector<int64_t>{1, 1, 1, 4}));
}

TEST(ConcatOpTest, Refusals) {
  const Tensor a = MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  absl::Status s = CreateStatus(MakeOp("Concat", {"A", "B"}, {"Y"}, {IntArg("axis", 0)}),
                                {a, MakeTensor<float>({2, 2}, {1, 2, 3, 4})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(testing::Contains(s, "does not fit")) << s;
  s = CreateStatus(MakeOp("Concat", {"A", "B"}, {"Y"}), {a, MakeTensor<int32_t>({2, 1}, {1, 2})});
  EXPECT_TRUE(testing::Contains(s, "same type")) << s;
  s = CreateStatus(MakeOp("Concat", {"A"}, {"Y"}, {IntArg("axis", 2)}), {a});
  EXPECT_TRUE(testing::Contains(s, "axis")) << s;
}

TEST(SplitOpTest, ArgumentInputAndEqualParts) {
  const Tensor x = MakeTensor<float>({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto a = RunOp(MakeOp("Split", {"X"}, {"P", "Q"}, {IntsArg("split", {2, 3})}), {x});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(ToVector<float>((*a)[0]), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ(ToVector<float>((*a)[1]), (std::vector<float>{2, 3, 4, 7, 8, 9}));
  auto b = RunOp(MakeOp("Split", {"X", "S"}, {"P", "Q"}), {x, MakeTensor<int32_t>({2}, {4, 1})});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(ToVector<float>((*b)[1]), (std::vector<float>{4, 9}));
  auto c = RunOp(MakeOp("Split", {"X"}, {"P", "Q"}, {IntArg("axis", 0)}), {x});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ToVector<float>((*c)[1]), (std::vector<float>{5, 6, 7, 8, 9}));
  absl::Status s = CreateStatus(MakeOp("Split", {"X"}, {"P", "Q"}), {x});
  EXPECT_TRUE(testing::Contains(s, "equal parts")) << s;
  s = CreateStatus(MakeOp("Split", {"X"}, {"P", "Q"}, {IntsArg("split", {2, 2})}), {x});
  EXPECT_TRUE(testing::Contains(s, "sums to 4")) << s;
}

TEST(SplitOpTest, SplitUndoesConcat) {
  Rng rng(2);
  const Tensor a = RandomTensor<double>({3, 2, 2}, rng, -1, 1);
  const Tensor b = RandomTensor<double>({3, 4, 2}, rng, -1, 1);
  auto joined = RunOp(MakeOp("Concat", {"A", "B"}, {"Y"}), {a, b});
  ASSERT_TRUE(joined.ok()) << joined.status();
  auto parts =
      RunOp(MakeOp("Split", {"Y"}, {"P", "Q"}, {IntsArg("split", {2, 4})}), {(*joined)[0]});
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(ToVector<double>((*parts)[0]), ToVector<double>(a));
  EXPECT_EQ(ToVector<double>((*parts)[1]), ToVector<double>(b));
}

TEST(ConcatOpTest, GradientsMatchFiniteDifferences) {
  Rng rng(3);
  const Tensor a = RandomTensor<double>({2, 3}, rng, -1, 1);
  const Tensor b = RandomTensor<double>({2, 2}, rng, -1, 1);
  auto r = CheckGradient(MakeOp("Concat", {"A", "B"}, {"Y"}), {a, b});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  auto meta = GetGradientDefs(MakeOp("Concat", {"A", "B"}, {"Y", "info"}), {"dY", ""});
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->ops[0].type(), "ConcatGradient");
  const Tensor x = RandomTensor<double>({2, 5}, rng, -1, 1);
  auto s = CheckGradient(MakeOp("Split", {"X"}, {"P", "Q"}, {IntsArg("split", {1, 4})}), {x});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(GradientWithinTolerance(*s).ok()) << s->Summary();
}

}  // namespace
}  // namespace opgraph
