// Tests of the FuseSeluSoftmax graph pass (ops/selu_softmax_fusion.cc),
// called through the pass registry.
#include <string>
#include <vector>

#include "core/optimize.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::opgraph::testing::IsOk;
using ::opgraph::testing::RandomTensor;
using ::opgraph::testing::Rng;
using ::opgraph::testing::StatusIs;
using ::opgraph::testing::ToVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NetDef Parse(const std::string& text) {
  NetDef net;
  CHECK(google::protobuf::TextFormat::ParseFromString(text, &net)) << text;
  return net;
}

TypeMap Inputs(const std::vector<int64_t>& dims, DType dtype = DType::kFloat32) {
  return {{"X", TensorType{dtype, dims}}};
}

std::vector<std::string> Types(const NetDef& net) {
  std::vector<std::string> t;
  for (const OperatorDef& op : net.op()) t.push_back(op.type());
  return t;
}

// Runs the registered pass directly.
absl::StatusOr<NetDef> Fuse(const NetDef& net, const std::vector<std::string>& protect,
                            const TypeMap& types, std::vector<Rewrite>* rewrites = nullptr) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("FuseSeluSoftmax");
  if (!pass.ok()) return pass.status();
  PassContext ctx;
  ctx.input_types = types;
  ctx.protected_blobs.insert(protect.begin(), protect.end());
  return pass->function()(net, ctx, rewrites);
}

constexpr char kPair[] = R"(
name: "pair"
op { name: "s" type: "Selu" input: "X" output: "H" arg { name: "alpha" f: 1.5 } arg { name: "scale" f: 1.25 } }
op { name: "m" type: "Softmax" input: "H" output: "Y" }
external_input: "X"
external_output: "Y"
)";

TEST(SeluSoftmaxFusionTest, IsABuiltinPassEnabledByDefault) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("FuseSeluSoftmax");
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->source(), "built-in");
  EXPECT_TRUE(pass->enabled_by_default());
  EXPECT_EQ(pass->order(), 100);
  EXPECT_THAT(pass->description(), HasSubstr("SeluSoftmax"));
}

TEST(SeluSoftmaxFusionTest, FusesALegalPair) {
  std::vector<Rewrite> rewrites;
  absl::StatusOr<NetDef> out = Fuse(Parse(kPair), {}, Inputs({4, 7}), &rewrites);
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->op_size(), 1);
  const OperatorDef& op = out->op(0);
  EXPECT_EQ(op.type(), "SeluSoftmax");
  EXPECT_EQ(op.name(), "s+m");
  EXPECT_EQ(op.input(0), "X");
  EXPECT_EQ(op.output(0), "Y");
  ASSERT_NE(FindArgument(op, "alpha"), nullptr);
  EXPECT_EQ(FindArgument(op, "alpha")->f(), 1.5f);
  EXPECT_EQ(FindArgument(op, "scale")->f(), 1.25f);
  ASSERT_NE(FindArgument(op, "axis"), nullptr);
  EXPECT_EQ(FindArgument(op, "axis")->i(), 1);
  EXPECT_EQ(out->name(), "pair");
  EXPECT_EQ(out->external_output(0), "Y");
  ASSERT_EQ(rewrites.size(), 1u);
  EXPECT_EQ(rewrites[0].pass, "FuseSeluSoftmax");
  EXPECT_EQ(rewrites[0].original_ops, (std::vector<int>{0, 1}));
  EXPECT_EQ(rewrites[0].new_op, 0);
  EXPECT_EQ(rewrites[0].description, "fused Selu #0 + Softmax #1 into SeluSoftmax #0");
}

TEST(SeluSoftmaxFusionTest, SoftmaxDefaultAxisComesFromItsSchema) {
  // Softmax without an axis argument over a rank-3 input: its schema's
  // default axis (1) decides, and [2, 5, 1] then has single-axis rows.
  const ArgSpec* axis = OpRegistry::Global().FindSchema("Softmax")->FindArg("axis");
  ASSERT_NE(axis, nullptr);
  ASSERT_EQ(axis->default_value.i(), 1);
  absl::StatusOr<NetDef> out = Fuse(Parse(kPair), {}, Inputs({2, 5, 1}));
  ASSERT_THAT(out, IsOk());
  ASSERT_THAT(Types(*out), ElementsAre("SeluSoftmax"));
  EXPECT_EQ(FindArgument(out->op(0), "axis")->i(), 1);
  // With axis 1 of [2, 5, 3] the rows span two dims: no fusion.
  out = Fuse(Parse(kPair), {}, Inputs({2, 5, 3}));
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(Types(*out), ElementsAre("Selu", "Softmax"));
}

TEST(SeluSoftmaxFusionTest, FusesWhenOnlyOnesFollowTheAxis) {
  // Softmax axis 1 of [3, 5, 1, 1] flattens 5 * 1 * 1: one axis of 5.
  absl::StatusOr<NetDef> out = Fuse(Parse(kPair), {}, Inputs({3, 5, 1, 1}));
  ASSERT_THAT(out, IsOk());
  ASSERT_THAT(Types(*out), ElementsAre("SeluSoftmax"));
  EXPECT_EQ(FindArgument(out->op(0), "axis")->i(), 1);
  // A negative Softmax axis becomes the canonical one.
  NetDef neg = Parse(kPair);
  Argument* a = neg.mutable_op(1)->add_arg();
  a->set_name("axis");
  a->set_i(-1);
  out = Fuse(neg, {}, Inputs({2, 3, 4}));
  ASSERT_THAT(out, IsOk());
  ASSERT_THAT(Types(*out), ElementsAre("SeluSoftmax"));
  EXPECT_EQ(FindArgument(out->op(0), "axis")->i(), 2);
}

TEST(SeluSoftmaxFusionTest, LeavesIllegalPairsAlone) {
  struct Case {
    std::string why;
    std::string net;
    std::vector<int64_t> dims;
    std::vector<std::string> protect;
  };
  const std::vector<Case> cases = {
      {"another reader",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" }
op { type: "Copy" input: "H" output: "Z" }
external_output: "Y")",
       {2, 4},
       {}},
      {"an earlier reader",
       R"(
op { type: "Copy" input: "X" output: "H" }
op { type: "Copy" input: "H" output: "Z" }
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" }
external_output: "Y")",
       {2, 4},
       {}},
      {"external output",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" }
external_output: "Y" external_output: "H")",
       {2, 4},
       {}},
      {"protected",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" })",
       {2, 4},
       {"H"}},
      {"axis not last",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" arg { name: "axis" i: 1 } })",
       {2, 3, 4},
       {}},
      {"axis 0 with trailing dims",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" arg { name: "axis" i: 0 } })",
       {6, 4},
       {}},
      {"trailing dim > 1 after 1s",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" })",
       {2, 3, 1, 2},
       {}},
      {"X rewritten in between",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Selu" input: "X" output: "X" }
op { type: "Softmax" input: "H" output: "Y" })",
       {2, 4},
       {}},
      {"Softmax writes X",
       R"(
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "X" })",
       {2, 4},
       {}},
      {"bad Selu argument",
       R"(
op { type: "Selu" input: "X" output: "H" arg { name: "scale" f: 0.5 } }
op { type: "Softmax" input: "H" output: "Y" })",
       {2, 4},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    const NetDef net = Parse(c.net);
    std::vector<Rewrite> rewrites;
    absl::StatusOr<NetDef> out = Fuse(net, c.protect, Inputs(c.dims), &rewrites);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(Types(*out), Types(net));
    EXPECT_TRUE(rewrites.empty());
  }
}

TEST(SeluSoftmaxFusionTest, FusesSeveralPairsAndKeepsOtherOps) {
  const NetDef net = Parse(R"(
op { type: "Selu" input: "X" output: "H1" }
op { type: "Softmax" input: "H1" output: "Y1" }
op { type: "Copy" input: "X" output: "C" }
op { type: "Selu" input: "C" output: "C" }
op { type: "Softmax" input: "C" output: "Y2" arg { name: "axis" i: -1 } }
op { type: "Sum" input: "Y1" input: "Y2" output: "S" }
external_output: "S"
)");
  std::vector<Rewrite> rewrites;
  absl::StatusOr<NetDef> out = Fuse(net, {}, Inputs({3, 8}), &rewrites);
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(Types(*out), ElementsAre("SeluSoftmax", "Copy", "SeluSoftmax", "Sum"));
  ASSERT_EQ(rewrites.size(), 2u);
  EXPECT_EQ(rewrites[1].description, "fused Selu #3 + Softmax #4 into SeluSoftmax #2");
  // The in-place Selu's pair reads C.
  EXPECT_EQ(out->op(2).input(0), "C");
  EXPECT_EQ(out->op(2).output(0), "Y2");
}

TEST(SeluSoftmaxFusionTest, ErrorsOfInferenceAreReturned) {
  EXPECT_THAT(Fuse(Parse(kPair), {}, {}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'X'")));
}

TEST(SeluSoftmaxFusionTest, OptimizeNetRunsItAndDisablingItKeepsThePair) {
  OptimizeOptions options;
  options.input_types = Inputs({2, 4});
  absl::StatusOr<OptimizeResult> opt = OptimizeNet(Parse(kPair), options);
  ASSERT_THAT(opt, IsOk());
  EXPECT_THAT(Types(opt->net), ElementsAre("SeluSoftmax"));
  EXPECT_THAT(opt->passes_changed, ElementsAre("FuseSeluSoftmax"));
  options.disabled_passes = {"FuseSeluSoftmax"};
  opt = OptimizeNet(Parse(kPair), options);
  ASSERT_THAT(opt, IsOk());
  EXPECT_THAT(Types(opt->net), ElementsAre("Selu", "Softmax"));
  EXPECT_TRUE(opt->rewrites.empty());
}

// Fused and unfused nets agree on random data: bit for bit (the kernels'
// promise), so certainly within the Softmax bound.
template <typename T>
void CheckSameResults() {
  Rng rng(2024);
  const NetDef net = Parse(R"(
op { type: "Selu" input: "X" output: "H" arg { name: "alpha" f: 1.2 } }
op { type: "Softmax" input: "H" output: "Y" arg { name: "axis" i: 2 } }
external_input: "X"
external_output: "Y"
)");
  const Tensor x = RandomTensor<T>({3, 4, 129}, rng, -6, 6);
  OptimizeOptions options;
  options.input_types = {{"X", x.type()}};
  absl::StatusOr<OptimizeResult> opt = OptimizeNet(net, options);
  ASSERT_THAT(opt, IsOk());
  ASSERT_THAT(Types(opt->net), ElementsAre("SeluSoftmax"));
  std::vector<std::vector<T>> results;
  for (const NetDef& n : {net, opt->net}) {
    Workspace ws;
    ASSERT_THAT(ws.FeedBlob("X", x), IsOk());
    ASSERT_THAT(ws.RunNetOnce(n), IsOk());
    results.push_back(ToVector<T>(*ws.GetBlob("Y")));
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i) ASSERT_EQ(results[0][i], results[1][i]) << i;
}

TEST(SeluSoftmaxFusionTest, FusedAndUnfusedGiveIdenticalResultsFloat) { CheckSameResults<float>(); }
TEST(SeluSoftmaxFusionTest, FusedAndUnfusedGiveIdenticalResultsDouble) {
  CheckSameResults<double>();
}

}  // namespace
}  // namespace opgraph
