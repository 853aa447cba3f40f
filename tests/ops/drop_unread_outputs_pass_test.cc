// Tests of the DropUnreadOutputs graph pass (ops/drop_unread_outputs_pass.cc).
#include <string>
#include <vector>

#include "core/backward.h"
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
using ::opgraph::testing::ToVector;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NetDef Parse(const std::string& text) {
  NetDef net;
  CHECK(google::protobuf::TextFormat::ParseFromString(text, &net)) << text;
  return net;
}

absl::StatusOr<NetDef> Drop(const NetDef& net, const std::vector<std::string>& protect,
                            std::vector<Rewrite>* rewrites = nullptr) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("DropUnreadOutputs");
  if (!pass.ok()) return pass.status();
  PassContext ctx;
  ctx.protected_blobs.insert(protect.begin(), protect.end());
  return pass->function()(net, ctx, rewrites);
}

// FC's backward operator with all three outputs, as a gradient maker writes it.
constexpr char kBackward[] = R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "Y" }
op { type: "FCGradient" input: "X" input: "W" input: "dY" output: "dW" output: "db" output: "dX" }
external_input: "X" external_input: "W" external_input: "b" external_input: "dY"
)";

TEST(DropUnreadOutputsTest, IsABuiltinPassEnabledByDefault) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("DropUnreadOutputs");
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->source(), "built-in");
  EXPECT_TRUE(pass->enabled_by_default());
}

TEST(DropUnreadOutputsTest, DropsTheDataInputsGradient) {
  std::vector<Rewrite> rewrites;
  absl::StatusOr<NetDef> out = Drop(Parse(kBackward), {}, &rewrites);
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->op_size(), 2);
  EXPECT_THAT(out->op(0).output(), ElementsAre("Y"));  // FC's one output is required.
  EXPECT_THAT(out->op(1).output(), ElementsAre("dW", "db"));
  ASSERT_EQ(rewrites.size(), 1u);
  EXPECT_EQ(rewrites[0].description, "FCGradient #1 no longer writes dX (no operator reads it)");
}

TEST(DropUnreadOutputsTest, KeepsOutputsSomeoneNeeds) {
  struct Case {
    std::string why;
    std::string extra;
    std::vector<std::string> protect;
  };
  const std::vector<Case> cases = {
      {"external output", R"(external_output: "dX")", {}},
      {"protected", "", {"dX"}},
      {"read later", R"(op { type: "Copy" input: "dX" output: "Z" })", {}},
      // The net may run again: the first operator would read this run's dX.
      {"read earlier", "", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    std::string text = kBackward + c.extra;
    if (c.why == "read earlier") {
      text = std::string(R"(op { type: "Copy" input: "dX" output: "Z" })") + kBackward;
    }
    absl::StatusOr<NetDef> out = Drop(Parse(text), c.protect);
    ASSERT_THAT(out, IsOk());
    bool found = false;
    for (const OperatorDef& op : out->op()) {
      if (op.type() == "FCGradient") {
        found = true;
        EXPECT_EQ(op.output_size(), 3);
      }
    }
    EXPECT_TRUE(found);
  }
}

TEST(DropUnreadOutputsTest, KeepsAnInPlaceOutputAndRequiredOutputs) {
  // dX named like the input X: the operator overwrites X, which stays.
  const NetDef net = Parse(R"(
op { type: "FCGradient" input: "X" input: "W" input: "dY" output: "dW" output: "db" output: "X" }
)");
  absl::StatusOr<NetDef> out = Drop(net, {});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->op(0).output_size(), 3);
  // Without the optional output, dW and db are both required even unread.
  const NetDef two = Parse(R"(
op { type: "FCGradient" input: "X" input: "W" input: "dY" output: "dW" output: "db" }
)");
  out = Drop(two, {});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->op(0).output_size(), 2);
}

// The training net `opgraph grad` writes for FC + SoftmaxWithLoss, run with
// and without the pass: every gradient the pruned net still computes is
// bit for bit the same, and X_grad is no longer written.
TEST(DropUnreadOutputsTest, TrainingNetGradientsAreUnchanged) {
  NetDef net = Parse(R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "logits" }
op { type: "SoftmaxWithLoss" input: "logits" input: "label" output: "P" output: "loss" }
external_input: "X" external_input: "W" external_input: "b" external_input: "label"
external_output: "loss"
)");
  ASSERT_THAT(AddGradientOperators(&net, {"loss"}).status(), IsOk());
  OptimizeOptions options;
  options.input_types = {{"X", TensorType{DType::kFloat32, {8, 6}}},
                         {"W", TensorType{DType::kFloat32, {5, 6}}},
                         {"b", TensorType{DType::kFloat32, {5}}},
                         {"label", TensorType{DType::kInt32, {8}}}};
  absl::StatusOr<OptimizeResult> optimized = OptimizeNet(net, options);
  ASSERT_THAT(optimized, IsOk());
  EXPECT_THAT(optimized->passes_changed, ::testing::Contains("DropUnreadOutputs"));

  Rng rng(7);
  const Tensor x = RandomTensor<float>({8, 6}, rng, -1, 1);
  const Tensor w = RandomTensor<float>({5, 6}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({5}, rng, -1, 1);
  absl::StatusOr<Tensor> label = Tensor::FromVector<int32_t>({8}, {0, 1, 2, 3, 4, 0, 1, 2});
  ASSERT_THAT(label, IsOk());
  Workspace plain;
  Workspace pruned;
  for (Workspace* ws : {&plain, &pruned}) {
    ASSERT_THAT(ws->FeedBlob("X", x), IsOk());
    ASSERT_THAT(ws->FeedBlob("W", w), IsOk());
    ASSERT_THAT(ws->FeedBlob("b", b), IsOk());
    ASSERT_THAT(ws->FeedBlob("label", *label), IsOk());
  }
  ASSERT_THAT(plain.RunNetOnce(net), IsOk());
  ASSERT_THAT(pruned.RunNetOnce(optimized->net), IsOk());
  EXPECT_NE(plain.GetBlob("X_grad"), nullptr);
  EXPECT_EQ(pruned.GetBlob("X_grad"), nullptr);
  for (const char* name : {"W_grad", "b_grad", "loss"}) {
    SCOPED_TRACE(name);
    ASSERT_NE(pruned.GetBlob(name), nullptr);
    EXPECT_EQ(ToVector<float>(*plain.GetBlob(name)), ToVector<float>(*pruned.GetBlob(name)));
  }
}

}  // namespace
}  // namespace opgraph
