// The `opgraph` binary on ONNX models (tools/model_file.h): run, convert,
// inspect, dot, bench and grad, with a model built in memory and written
// under a name without the .onnx extension, so that only its content tells
// what it is. The outputs are compared with the in-process import
// (tests/onnx_import/import_test.cc checks that against a long double
// reference) and between `run MODEL` and `run NET --init INIT`.
#include <string>
#include <vector>

#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/onnx_import/onnx_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace {

using ::testing::HasSubstr;
using testing::IntAttr;
using testing::IsOk;
using testing::OnnxModelBuilder;
using testing::Rng;
using testing::RunImported;
using testing::RunOpgraph;
using testing::TestPath;
using testing::ToVector;
using testing::WriteTestFile;

OnnxModelBuilder Mlp() {
  Rng rng(21);
  auto values = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(rng.Uniform(-1, 1));
    return v;
  };
  OnnxModelBuilder b(13);
  b.Input("x", {-1, 4}).Output("y", {-1, 3});
  b.FloatInit("w1", {6, 4}, values(24));
  b.FloatInit("b1", {6}, values(6));
  b.FloatInit("w2", {3, 6}, values(18));
  b.FloatInit("b2", {3}, values(3));
  IntAttr(b.Node("Gemm", {"x", "w1", "b1"}, {"h"}, "fc1"), "transB", 1);
  b.Node("Selu", {"h"}, {"s"}, "selu");
  IntAttr(b.Node("Gemm", {"s", "w2", "b2"}, {"z"}, "fc2"), "transB", 1);
  b.Node("Softmax", {"z"}, {"y"}, "softmax");
  return b;
}

Tensor Input() {
  Rng rng(5);
  return testing::RandomTensor<float>({3, 4}, rng, -2, 2);
}

std::vector<float> ReadOutput(const std::string& path) {
  absl::StatusOr<Tensor> t = ReadNpy(path);
  CHECK(t.ok()) << t.status();
  return ToVector<float>(*t);
}

TEST(CliOnnxTest, RunMatchesTheImportAndConvertRoundTrips) {
  const OnnxModelBuilder b = Mlp();
  const std::string model = WriteTestFile("model.bin", b.Bytes());
  const std::string x = TestPath("x.npy");
  ASSERT_THAT(WriteNpy(x, Input()), IsOk());

  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  auto want = RunImported(*m, {{"x", Input()}});
  ASSERT_THAT(want, IsOk());
  const std::vector<float> expected = ToVector<float>(want->at("y"));

  const std::string y1 = TestPath("y1.npy");
  testing::CliResult r = RunOpgraph({"run", model, "--input", "x=" + x, "--output", "y=" + y1});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<float> got = ReadOutput(y1);
  ASSERT_EQ(got.size(), expected.size());
  // `run` fuses FC + Selu, which may move the last bit.
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6f) << i;

  const std::string net = TestPath("net.pbtxt");
  const std::string init = TestPath("init.pb");
  r = RunOpgraph({"convert", model, net, "--init-out", init});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("4 operators"));
  EXPECT_THAT(r.out, HasSubstr("4 constants"));
  const std::string y2 = TestPath("y2.npy");
  r = RunOpgraph({"run", net, "--init", init, "--input", "x=" + x, "--output", "y=" + y2});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadOutput(y2), got);
}

TEST(CliOnnxTest, ConvertNeedsInitOutForWeightsAndOnlyForOnnx) {
  const std::string model = WriteTestFile("model.onnx", Mlp().Bytes());
  testing::CliResult r = RunOpgraph({"convert", model, TestPath("net.pb")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("is an ONNX model with 4 constants: give --init-out"));

  const std::string net = TestPath("net.pb");
  ASSERT_EQ(RunOpgraph({"convert", model, net, "--init-out", TestPath("i.pb")}).exit_code, 0);
  r = RunOpgraph({"convert", net, TestPath("again.pb"), "--init-out", TestPath("i2.pb")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--init-out is for ONNX models"));

  r = RunOpgraph({"convert", model, TestPath("net.xyz"), "--init-out", TestPath("i.pb")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown extension '.xyz'"));
}

TEST(CliOnnxTest, InspectDotBenchAndGradReadOnnx) {
  const std::string model = WriteTestFile("model.bin", Mlp().Bytes());
  const std::string x = TestPath("x.npy");
  ASSERT_THAT(WriteNpy(x, Input()), IsOk());

  testing::CliResult r = RunOpgraph({"inspect", model, "--input", "x=" + x});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("#0 FC 'fc1': x, w1, b1 -> h"));
  EXPECT_THAT(r.out, HasSubstr("from the ONNX model"));

  r = RunOpgraph({"dot", model});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("digraph \"g\""));
  EXPECT_THAT(r.out, HasSubstr("Softmax"));

  r = RunOpgraph({"bench", model, "--input", "x=" + x, "--iters", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("3 iterations"));

  r = RunOpgraph({"grad", model, "--loss", "y", "-o", TestPath("train.pbtxt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("w1 -> "));
}

TEST(CliOnnxTest, AnUnsupportedModelNamesFileAndNode) {
  OnnxModelBuilder b(13);
  b.Input("x", {2}).Output("y");
  b.Node("Cos", {"x"}, {"y"}, "t");
  const std::string model = WriteTestFile("cos.onnx", b.Bytes());
  testing::CliResult r = RunOpgraph({"run", model});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(model + ": ONNX model: node #0 't' (op_type Cos, domain '', "
                                       "opset 13): operator Cos is not supported"));
  r = RunOpgraph({"dot", model});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("op_type Cos"));
}

}  // namespace
}  // namespace opgraph
