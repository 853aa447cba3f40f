// Tests of the example plugin's operator (examples/plugin/scaled_tanh_op.cc),
// loaded as a plugin: values against the closed form, in place, schema
// checks, shape inference and a finite-difference gradient check.
#include <cmath>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/net.h"
#include "core/plugin.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::opgraph::testing::FloatArg;
using ::opgraph::testing::MakeOp;
using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::RandomTensor;
using ::opgraph::testing::Rng;
using ::opgraph::testing::RunOp;
using ::opgraph::testing::ToVector;

class ScaledTanhTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::Status s = LoadPlugin(OPGRAPH_EXAMPLE_PLUGIN);
    ASSERT_TRUE(s.ok()) << s;
  }
};

TEST_F(ScaledTanhTest, RegisteredFromThePlugin) {
  EXPECT_NE(OpRegistry::Global().SourceOf("ScaledTanh").find("scaled_tanh"), std::string::npos);
  EXPECT_TRUE(OpRegistry::Global().HasKernel("ScaledTanhGradient"));
}

TEST_F(ScaledTanhTest, GoldenRowsWithDefaults) {
  // a = 1.7159, b = 2/3 (as float); literals computed as 1.7159 * tanh(2/3 x).
  const std::vector<float> x = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f};
  const std::vector<double> want = {-1.6541749, -0.9999972, 0.0, 0.5516837, 1.4929388};
  auto out = RunOp(MakeOp("ScaledTanh", {"x"}, {"y"}), {MakeTensor<float>({5}, x)});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<float> y = ToVector<float>((*out)[0]);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], want[i], 2e-6) << i;
}

TEST_F(ScaledTanhTest, ArgumentsMatchReference) {
  Rng rng(7);
  for (float a : {0.5f, -2.0f}) {
    for (float b : {0.1f, 3.0f}) {
      Tensor x = RandomTensor<double>({3, 4}, rng, -2.0, 2.0);
      auto out =
          RunOp(MakeOp("ScaledTanh", {"x"}, {"y"}, {FloatArg("a", a), FloatArg("b", b)}), {x});
      ASSERT_TRUE(out.ok()) << out.status();
      const std::vector<double> xv = ToVector<double>(x), y = ToVector<double>((*out)[0]);
      for (size_t i = 0; i < xv.size(); ++i) {
        EXPECT_NEAR(y[i], double{a} * std::tanh(double{b} * xv[i]), 1e-14) << a << " " << b;
      }
    }
  }
}

TEST_F(ScaledTanhTest, RunsInPlace) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {1.0f, -1.0f})).ok());
  NetDef net;
  net.set_name("in_place");
  *net.add_op() = MakeOp("ScaledTanh", {"x"}, {"x"}, {FloatArg("a", 2.0f), FloatArg("b", 1.0f)});
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  auto x = ws.FetchBlob("x");
  ASSERT_TRUE(x.ok());
  EXPECT_NEAR(ToVector<float>(*x)[0], 2.0 * std::tanh(1.0), 1e-6);
  EXPECT_NEAR(ToVector<float>(*x)[1], -2.0 * std::tanh(1.0), 1e-6);
}

TEST_F(ScaledTanhTest, SchemaAndInitRejectBadDefinitions) {
  const Tensor x = MakeTensor<float>({1}, {1.0f});
  auto zero_a = RunOp(MakeOp("ScaledTanh", {"x"}, {"y"}, {FloatArg("a", 0.0f)}), {x});
  EXPECT_EQ(zero_a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(zero_a.status().message()).find("'a'"), std::string::npos);
  auto unknown = RunOp(MakeOp("ScaledTanh", {"x"}, {"y"}, {FloatArg("c", 1.0f)}), {x});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  auto ints = RunOp(MakeOp("ScaledTanh", {"x"}, {"y"}), {MakeTensor<int32_t>({1}, {1})});
  EXPECT_FALSE(ints.ok());
}

TEST_F(ScaledTanhTest, ShapeInference) {
  NetDef net;
  net.set_name("infer");
  *net.add_op() = MakeOp("ScaledTanh", {"x"}, {"y"});
  auto types = InferNetTypes(net, {{"x", TensorType{DType::kFloat64, {2, 7}}}});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->at("y"), (TensorType{DType::kFloat64, {2, 7}}));
}

TEST_F(ScaledTanhTest, GradientMatchesFiniteDifferences) {
  Rng rng(42);
  for (float b : {0.5f, 2.0f}) {
    const OperatorDef def =
        MakeOp("ScaledTanh", {"x"}, {"y"}, {FloatArg("a", 1.5f), FloatArg("b", b)});
    auto meta = GetGradientDefs(def);
    ASSERT_TRUE(meta.ok()) << meta.status();
    EXPECT_EQ(meta->ops[0].type(), "ScaledTanhGradient");
    auto result = CheckGradient(def, {RandomTensor<double>({4, 5}, rng, -2.0, 2.0)});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_TRUE(GradientWithinTolerance(*result).ok()) << result->Summary();
  }
}

TEST_F(ScaledTanhTest, GradientOfGradientIsForbidden) {
  auto meta = GetGradientDefs(MakeOp("ScaledTanhGradient", {"y", "dy"}, {"dx"}));
  EXPECT_EQ(meta.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace opgraph
