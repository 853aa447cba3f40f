// Tests of FCSelu and the FuseFCSelu graph pass (ops/fc_fusion.cc).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/gradient.h"
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

TypeMap Inputs(int64_t m, int64_t k, int64_t n, DType dtype = DType::kFloat32) {
  return {{"X", TensorType{dtype, {m, k}}},
          {"W", TensorType{dtype, {n, k}}},
          {"b", TensorType{dtype, {n}}}};
}

std::vector<std::string> Types(const NetDef& net) {
  std::vector<std::string> t;
  for (const OperatorDef& op : net.op()) t.push_back(op.type());
  return t;
}

absl::StatusOr<NetDef> Fuse(const NetDef& net, const std::vector<std::string>& protect,
                            const TypeMap& types, std::vector<Rewrite>* rewrites = nullptr) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("FuseFCSelu");
  if (!pass.ok()) return pass.status();
  PassContext ctx;
  ctx.input_types = types;
  ctx.protected_blobs.insert(protect.begin(), protect.end());
  return pass->function()(net, ctx, rewrites);
}

constexpr char kPair[] = R"(
name: "pair"
op { name: "f" type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { name: "s" type: "Selu" input: "H" output: "Y" arg { name: "alpha" f: 1.5 } arg { name: "scale" f: 1.25 } }
external_input: "X" external_input: "W" external_input: "b"
external_output: "Y"
)";

TEST(FCFusionTest, IsABuiltinPassEnabledByDefault) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("FuseFCSelu");
  ASSERT_THAT(pass, IsOk());
  EXPECT_EQ(pass->source(), "built-in");
  EXPECT_TRUE(pass->enabled_by_default());
  EXPECT_THAT(pass->description(), HasSubstr("FCSelu"));
}

TEST(FCFusionTest, FusesALegalPair) {
  std::vector<Rewrite> rewrites;
  absl::StatusOr<NetDef> out = Fuse(Parse(kPair), {}, Inputs(4, 5, 3), &rewrites);
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->op_size(), 1);
  const OperatorDef& op = out->op(0);
  EXPECT_EQ(op.type(), "FCSelu");
  EXPECT_EQ(op.name(), "f+s");
  EXPECT_THAT(op.input(), ElementsAre("X", "W", "b"));
  EXPECT_THAT(op.output(), ElementsAre("Y"));
  ASSERT_NE(FindArgument(op, "alpha"), nullptr);
  EXPECT_EQ(FindArgument(op, "alpha")->f(), 1.5f);
  EXPECT_EQ(FindArgument(op, "scale")->f(), 1.25f);
  ASSERT_EQ(rewrites.size(), 1u);
  EXPECT_EQ(rewrites[0].description, "fused FC #0 + Selu #1 into FCSelu #0");
}

TEST(FCFusionTest, InPlaceSeluFusesEvenWhenLaterOpsReadItsOutput) {
  // The snn example's layers: FC -> h, Selu h -> h, the next FC reads h.
  const NetDef net = Parse(R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "h" arg { name: "axis" i: 1 } }
op { type: "Selu" input: "h" output: "h" }
op { type: "Copy" input: "h" output: "Z" }
external_output: "Z" external_output: "h"
)");
  absl::StatusOr<NetDef> out = Fuse(net, {}, Inputs(2, 3, 4));
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(Types(*out), ElementsAre("FCSelu", "Copy"));
  EXPECT_EQ(out->op(0).output(0), "h");
  ASSERT_NE(FindArgument(out->op(0), "axis"), nullptr);
}

TEST(FCFusionTest, LeavesIllegalPairsAlone) {
  struct Case {
    std::string why;
    std::string net;
    std::vector<std::string> protect;
  };
  const std::vector<Case> cases = {
      {"another reader",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "Y" }
op { type: "Copy" input: "H" output: "Z" })",
       {}},
      {"external output",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "Y" }
external_output: "H")",
       {}},
      {"protected",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "Y" })",
       {"H"}},
      {"W rewritten in between",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Copy" input: "X" output: "W" }
op { type: "Selu" input: "H" output: "Y" })",
       {}},
      {"Selu writes X",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "X" })",
       {}},
      {"bad Selu argument",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "Y" arg { name: "scale" f: 0.5 } })",
       {}},
      {"Selu reads something else",
       R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "b" output: "Y" })",
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    const NetDef net = Parse(c.net);
    std::vector<Rewrite> rewrites;
    absl::StatusOr<NetDef> out = Fuse(net, c.protect, Inputs(3, 4, 4), &rewrites);
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(Types(*out), Types(net));
    EXPECT_TRUE(rewrites.empty());
  }
}

TEST(FCFusionTest, ErrorsOfInferenceAreReturned) {
  EXPECT_THAT(Fuse(Parse(kPair), {}, {}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'X'")));
}

TEST(FCFusionTest, SchemaInfersFCShapesAndRejectsBadSelu) {
  Rng rng(1);
  auto out = testing::RunOp(
      testing::MakeOp("FCSelu", {"x", "w", "b"}, {"y"}, {testing::IntArg("axis", 2)}),
      {RandomTensor<float>({2, 3, 4}, rng, -1, 1), RandomTensor<float>({5, 4}, rng, -1, 1),
       RandomTensor<float>({5}, rng, -1, 1)});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_THAT(
      testing::CreateStatus(
          testing::MakeOp("FCSelu", {"x", "w", "b"}, {"y"}, {testing::FloatArg("scale", 0.5f)}),
          {RandomTensor<float>({2, 4}, rng, -1, 1), RandomTensor<float>({5, 4}, rng, -1, 1),
           RandomTensor<float>({5}, rng, -1, 1)}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scale")));
  EXPECT_THAT(GetGradientDefs(testing::MakeOp("FCSelu", {"x", "w", "b"}, {"y"})),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
}

// The fused operator runs FC's GEMM calls on FC's row blocks and the Selu
// kernel on each block, so fused and unfused nets give the same bits, for
// one and several row blocks (a block holds at most max(1024, 8 MiB / row)
// rows: 2100 rows of 1024 floats, or 1100 of 1024 doubles, make two), both
// thread counts, float and double.
template <typename T>
void CheckSameBits(int64_t m, int64_t k, int64_t n, int threads,
                   const std::string& activation = "Selu") {
  SCOPED_TRACE(::testing::Message()
               << activation << " " << m << "x" << k << "x" << n << " threads " << threads);
  Rng rng(2025);
  const NetDef net = Parse(absl::StrCat(R"(
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: ")",
                                        activation, R"(" input: "H" output: "Y" }
op { type: "FC" input: "Y" input: "W2" input: "b2" output: "H2" }
op { type: ")",
                                        activation, R"(" input: "H2" output: "H2" }
external_input: "X" external_input: "W" external_input: "b"
external_input: "W2" external_input: "b2"
external_output: "H2"
)"));
  const Tensor x = RandomTensor<T>({m, k}, rng, -2, 2);
  const Tensor w = RandomTensor<T>({n, k}, rng, -0.3, 0.3);
  const Tensor b = RandomTensor<T>({n}, rng, -1, 1);
  const Tensor w2 = RandomTensor<T>({n, n}, rng, -0.3, 0.3);
  const Tensor b2 = RandomTensor<T>({n}, rng, -1, 1);
  OptimizeOptions options;
  options.input_types = {
      {"X", x.type()}, {"W", w.type()}, {"b", b.type()}, {"W2", w2.type()}, {"b2", b2.type()}};
  options.disabled_passes = {"FuseSeluSoftmax"};
  absl::StatusOr<OptimizeResult> opt = OptimizeNet(net, options);
  ASSERT_THAT(opt, IsOk());
  const std::string fused = "FC" + activation;
  ASSERT_THAT(Types(opt->net), ElementsAre(fused, fused));
  std::vector<std::vector<T>> results;
  for (const NetDef& n : {net, opt->net}) {
    Workspace ws;
    ws.set_num_threads(threads);
    for (const auto& [name, t] : std::vector<std::pair<std::string, const Tensor*>>{
             {"X", &x}, {"W", &w}, {"b", &b}, {"W2", &w2}, {"b2", &b2}}) {
      ASSERT_THAT(ws.FeedBlob(name, *t), IsOk());
    }
    ASSERT_THAT(ws.RunNetOnce(n), IsOk());
    results.push_back(ToVector<T>(*ws.GetBlob("H2")));
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i) ASSERT_EQ(results[0][i], results[1][i]) << i;
}

TEST(FCFusionTest, FusedAndUnfusedGiveIdenticalResultsFloat) {
  for (int threads : {1, 2}) {
    CheckSameBits<float>(1, 33, 17, threads);
    CheckSameBits<float>(37, 50, 29, threads);
    CheckSameBits<float>(2100, 16, 1024, threads);
  }
}

TEST(FCFusionTest, FusedAndUnfusedGiveIdenticalResultsDouble) {
  for (int threads : {1, 2}) {
    CheckSameBits<double>(3, 20, 9, threads);
    CheckSameBits<double>(1100, 16, 1024, threads);
  }
}

// Relu, Sigmoid and Tanh through FuseFCActivation: the same bits as the
// unfused pairs, with an odd N so the kernels' vector tails fall mid-row.
TEST(FCFusionTest, OtherActivationsGiveIdenticalResults) {
  for (const char* activation : {"Relu", "Sigmoid", "Tanh"}) {
    for (int threads : {1, 2}) {
      CheckSameBits<float>(37, 50, 29, threads, activation);
      CheckSameBits<float>(2100, 16, 1024, threads, activation);
      CheckSameBits<double>(3, 20, 9, threads, activation);
    }
  }
}

TEST(FCFusionTest, FuseFCActivationNamesItsRewritesAndCanBeDisabled) {
  absl::StatusOr<GraphPass> pass = OpRegistry::Global().FindPass("FuseFCActivation");
  ASSERT_THAT(pass, IsOk());
  EXPECT_TRUE(pass->enabled_by_default());
  const NetDef net = Parse(R"(
op { name: "f" type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { name: "t" type: "Tanh" input: "H" output: "Y" }
external_output: "Y"
)");
  std::vector<Rewrite> rewrites;
  PassContext ctx;
  ctx.input_types = Inputs(4, 5, 3);
  absl::StatusOr<NetDef> out = pass->function()(net, ctx, &rewrites);
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->op_size(), 1);
  EXPECT_EQ(out->op(0).type(), "FCTanh");
  EXPECT_EQ(out->op(0).name(), "f+t");
  ASSERT_EQ(rewrites.size(), 1u);
  EXPECT_EQ(rewrites[0].description, "fused FC #0 + Tanh #1 into FCTanh #0");
  OptimizeOptions options;
  options.input_types = Inputs(4, 5, 3);
  options.disabled_passes = {"FuseFCActivation"};
  absl::StatusOr<OptimizeResult> kept = OptimizeNet(net, options);
  ASSERT_THAT(kept, IsOk());
  EXPECT_THAT(Types(kept->net), ElementsAre("FC", "Tanh"));
}

}  // namespace
}  // namespace opgraph
