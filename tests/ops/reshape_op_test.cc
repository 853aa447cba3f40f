// Reshape: new dims for 0 (copy), -1 (inferred) and plain dims against
// values worked out by hand (numpy.reshape gives the same), the shape as an
// argument and as a constant int64 / int32 input, old_shape, in place, the
// gradient against central differences, and every refusal.
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/memory_plan.h"
#include "core/optimize.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

Tensor Iota(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return MakeTensor<float>(dims, v);
}

TEST(ReshapeOpTest, ShapeArgumentWithZeroAndMinusOne) {
  const Tensor x = Iota({2, 3, 4});
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{4, 6}, {4, 6}},        {{-1}, {24}},
      {{0, -1}, {2, 12}},      {{0, 0, 2, 2}, {2, 3, 2, 2}},
      {{-1, 0, 4}, {2, 3, 4}}, {{3, 2, -1}, {3, 2, 4}},
      {{24, 1, 1}, {24, 1, 1}}};
  for (const auto& [shape, want] : cases) {
    SCOPED_TRACE(::testing::PrintToString(shape));
    auto out = RunOp(MakeOp("Reshape", {"X"}, {"Y", "old"}, {IntsArg("shape", shape)}), {x});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ((*out)[0].dims(), want);
    EXPECT_EQ(ToVector<float>((*out)[0]), ToVector<float>(x));
    EXPECT_EQ((*out)[1].dtype(), DType::kInt64);
    EXPECT_EQ(ToVector<int64_t>((*out)[1]), (std::vector<int64_t>{2, 3, 4}));
  }
}

TEST(ReshapeOpTest, ShapeInputInt64AndInt32) {
  const Tensor x = Iota({2, 6});
  auto a =
      RunOp(MakeOp("Reshape", {"X", "S"}, {"Y", "old"}), {x, MakeTensor<int64_t>({3}, {3, -1, 2})});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)[0].dims(), (std::vector<int64_t>{3, 2, 2}));
  auto b = RunOp(MakeOp("Reshape", {"X", "S"}, {"Y"}), {x, MakeTensor<int32_t>({2}, {0, 6})});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ((*b)[0].dims(), (std::vector<int64_t>{2, 6}));
  EXPECT_EQ(ToVector<float>((*b)[0]), ToVector<float>(x));
}

TEST(ReshapeOpTest, InPlaceAndEmpty) {
  auto out = RunOp(MakeOp("Reshape", {"X"}, {"X"}, {IntsArg("shape", {3, 2})}), {Iota({6})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>((*out)[0]), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  auto empty = RunOp(MakeOp("Reshape", {"X"}, {"Y"}, {IntsArg("shape", {-1, 3})}),
                     {MakeTensor<float>({0, 3}, {})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].dims(), (std::vector<int64_t>{0, 3}));
}

TEST(ReshapeOpTest, ShapeComputedByTheNetIsRefusedAtCreation) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", Iota({2, 3})).ok());
  NetDef net;
  net.set_name("n");
  *net.add_op() =
      MakeOp("ConstantFill", {}, {"S"}, {IntsArg("shape", {2}), testing::IntArg("dtype", 10)});
  *net.add_op() = MakeOp("Reshape", {"X", "S"}, {"Y"});
  absl::Status s = ws.CreateNet(net).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(testing::Contains(s, "must be constant")) << s;
}

// Graph passes and the memory plan infer types before the net is created;
// given the workspace's constants they see a fed shape's value too.
TEST(ReshapeOpTest, PassesAndMemoryPlanReadAFedShape) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", Iota({2, 3})).ok());
  ASSERT_TRUE(ws.FeedBlob("S", MakeTensor<int64_t>({1}, {-1})).ok());
  NetDef net;
  net.set_name("n");
  *net.add_op() = MakeOp("Reshape", {"X", "S"}, {"Y"});
  *net.add_op() = MakeOp("Relu", {"Y"}, {"Z"});
  net.add_external_output("Z");
  OptimizeOptions o;
  o.input_types = ws.BlobTypes();
  absl::Status without = OptimizeNet(net, o).status();
  EXPECT_TRUE(testing::Contains(without, "must be constant")) << without;
  o.constants = MakeConstantLookup(ws, net);
  absl::StatusOr<OptimizeResult> r = OptimizeNet(net, o);
  ASSERT_TRUE(r.ok()) << r.status();
  MemoryPlanOptions m;
  m.constants = MakeConstantLookup(ws, net);
  absl::StatusOr<MemoryPlan> plan = PlanMemory(r->net, ws.BlobTypes(), m);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(ws.CreateNet(plan->net).ok());
  ASSERT_TRUE(ws.RunNet("n").ok());
  const Tensor* z = ws.GetBlob("Z");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->dims(), (std::vector<int64_t>{6}));
  EXPECT_EQ(ToVector<float>(*z), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(ReshapeOpTest, Refusals) {
  const Tensor x = Iota({2, 3});
  auto refused = [&](const std::vector<int64_t>& shape, const std::string& what) {
    absl::Status s = CreateStatus(MakeOp("Reshape", {"X"}, {"Y"}, {IntsArg("shape", shape)}), {x});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(testing::Contains(s, what)) << s;
  };
  refused({4, 2}, "has 8 elements");
  refused({-1, -1}, "more than one -1");
  refused({-1, 4}, "cannot be inferred");
  refused({0, 0, 0}, "copies dim 2");
  refused({-2, 3}, "has dim -2");
  refused({int64_t{1} << 40, int64_t{1} << 40}, "holds more than");
  absl::Status s = CreateStatus(MakeOp("Reshape", {"X"}, {"Y"}), {x});
  EXPECT_TRUE(testing::Contains(s, "missing")) << s;
  s = CreateStatus(MakeOp("Reshape", {"X", "S"}, {"Y"}, {IntsArg("shape", {6})}),
                   {x, MakeTensor<int64_t>({1}, {6})});
  EXPECT_TRUE(testing::Contains(s, "both")) << s;
  s = CreateStatus(MakeOp("Reshape", {"X", "S"}, {"Y"}), {x, MakeTensor<float>({1}, {6})});
  EXPECT_TRUE(testing::Contains(s, "1-D int64 or int32")) << s;
}

TEST(ReshapeOpTest, GradientReshapesBack) {
  Rng rng(3);
  const Tensor x = RandomTensor<double>({2, 3, 2}, rng, -1, 1);
  auto r = CheckGradient(MakeOp("Reshape", {"X"}, {"Y", "old"}, {IntsArg("shape", {3, -1})}), {x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

}  // namespace
}  // namespace opgraph
