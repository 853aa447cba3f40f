// onnx_import/unary_nodes.cc: ONNX's LeakyRelu, Elu, Exp, Log, Sqrt, Neg and
// Abs nodes imported and run, against long double values of the ONNX
// operator definitions (LeakyRelu: x < 0 ? alpha * x : x; Elu: x < 0 ?
// alpha * (exp(x) - 1) : x; the others the C library's functions); the
// attribute defaults (0.01 and 1.0) and the refusals, which name the node.
#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx_import/import.h"
#include "tests/onnx_import/onnx_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatAttr;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::MakeTensor;
using testing::OnnxModelBuilder;
using testing::RunImported;
using testing::StatusIs;
using testing::ToVector;

void ExpectNear(const Tensor& t, const std::vector<long double>& want) {
  const std::vector<float> got = ToVector<float>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], static_cast<double>(want[i]), 1e-6 * std::fabs((double)want[i]) + 1e-30)
        << "element " << i;
  }
}

TEST(OnnxUnaryNodesTest, EveryNodeMapsAndComputesItsDefinition) {
  const std::vector<float> x = {-2.5f, -0.5f, 0.25f, 3};
  const std::vector<float> pos = {0.5f, 1, 2, 9};
  struct C {
    const char* onnx;
    const char* opgraph;
    bool positive;
    long double (*ref)(long double);
  };
  const C cases[] = {
      {"Exp", "Exp", false, [](long double v) { return std::exp(v); }},
      {"Log", "Log", true, [](long double v) { return std::log(v); }},
      {"Sqrt", "Sqrt", true, [](long double v) { return std::sqrt(v); }},
      {"Neg", "Negative", false, [](long double v) { return -v; }},
      {"Abs", "Abs", false, [](long double v) { return std::fabs(v); }},
      // The defaults: alpha 0.01 for LeakyRelu, 1.0 for Elu.
      {"LeakyRelu", "LeakyRelu", false,
       [](long double v) { return v < 0 ? static_cast<long double>(0.01f) * v : v; }},
      {"Elu", "Elu", false, [](long double v) { return v < 0 ? std::expm1(v) : v; }},
  };
  for (int64_t opset : {7, 13, 17}) {
    for (const C& c : cases) {
      SCOPED_TRACE(std::string(c.onnx) + " opset " + std::to_string(opset));
      OnnxModelBuilder b(opset);
      b.Input("x", {4}).Output("y");
      b.Node(c.onnx, {"x"}, {"y"}, "n");
      absl::StatusOr<ImportedModel> m = b.Import();
      ASSERT_THAT(m, IsOk());
      ASSERT_EQ(m->predict_net.op_size(), 1);
      EXPECT_EQ(m->predict_net.op(0).type(), c.opgraph);
      const std::vector<float>& in = c.positive ? pos : x;
      auto out = RunImported(*m, {{"x", MakeTensor<float>({4}, in)}});
      ASSERT_THAT(out, IsOk());
      std::vector<long double> want;
      for (float v : in) want.push_back(c.ref(v));
      ExpectNear(out->at("y"), want);
    }
  }
}

TEST(OnnxUnaryNodesTest, AlphaBecomesAnArgument) {
  for (const char* op : {"LeakyRelu", "Elu"}) {
    SCOPED_TRACE(op);
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    FloatAttr(b.Node(op, {"x"}, {"y"}, "n"), "alpha", 0.5f);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->predict_net.op(0).arg_size(), 1);
    EXPECT_EQ(m->predict_net.op(0).arg(0).name(), "alpha");
    EXPECT_EQ(m->predict_net.op(0).arg(0).f(), 0.5f);
    auto out = RunImported(*m, {{"x", MakeTensor<float>({2}, {-2, 2})}});
    ASSERT_THAT(out, IsOk());
    const long double neg = std::string(op) == "Elu" ? 0.5L * std::expm1(-2.0L) : -1.0L;
    ExpectNear(out->at("y"), {neg, 2});
  }
}

TEST(OnnxUnaryNodesTest, RefusalsNameTheNode) {
  OnnxModelBuilder b(13);
  b.Input("x", {2}).Output("y");
  FloatAttr(b.Node("LeakyRelu", {"x"}, {"y"}, "leaky"), "alpha", -0.5f);
  EXPECT_THAT(b.Import(),
              StatusIs(absl::StatusCode::kUnimplemented,
                       ::testing::AllOf(HasSubstr("leaky"), HasSubstr("alpha = -0.5"))));

  OnnxModelBuilder two(13);
  two.Input("x", {2}).Input("z", {2}).Output("y");
  two.Node("Exp", {"x", "z"}, {"y"}, "e2");
  EXPECT_THAT(two.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     ::testing::AllOf(HasSubstr("e2"), HasSubstr("2 inputs"))));

  OnnxModelBuilder attr(13);
  attr.Input("x", {2}).Output("y");
  FloatAttr(attr.Node("Sqrt", {"x"}, {"y"}, "s"), "beta", 1.0f);
  EXPECT_THAT(attr.Import(), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("beta")));
}

}  // namespace
}  // namespace opgraph
