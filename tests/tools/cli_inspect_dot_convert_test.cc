// `opgraph inspect`, `opgraph dot` and `opgraph convert` through the binary.
#include <string>
#include <vector>

#include "core/net_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string PredictNet() { return SourcePath("examples/selu_softmax/predict_net.pbtxt"); }
std::string InitNet() { return SourcePath("examples/selu_softmax/init_net.pbtxt"); }

constexpr char kInplaceNet[] = R"(
name: "inplace"
op { type: "Selu" input: "X" output: "X" }
op { type: "Softmax" input: "X" output: "Y" }
external_input: "X"
external_output: "Y"
)";

TEST(CliInspectTest, ShapesFromInitNet) {
  CliResult r = RunOpgraph({"inspect", PredictNet(), "--init", InitNet()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("net 'selu_softmax' (" + PredictNet() + "): 2 operators"));
  EXPECT_THAT(r.out, HasSubstr("external inputs:  X\nexternal outputs: Y\n"));
  EXPECT_THAT(r.out, HasSubstr("  #0 Selu: X -> H\n  #1 Softmax: H -> Y  axis=1\n"));
  EXPECT_THAT(r.out, HasSubstr("  X     float32[2, 4]     external input; from --init\n"));
  EXPECT_THAT(r.out, HasSubstr("  H     float32[2, 4]     written by #0\n"));
  EXPECT_THAT(r.out, HasSubstr("  Y     float32[2, 4]     written by #1; external output\n"));
  EXPECT_THAT(r.out, HasSubstr("in place: none\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("unknown")));
}

TEST(CliInspectTest, ShapesFromFlagOrUnknown) {
  CliResult r = RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=3,5:float64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  X     float64[3, 5]     external input; from --input-shape\n"));
  EXPECT_THAT(r.out, HasSubstr("  Y     float64[3, 5]     written by #1"));

  CliResult unknown = RunOpgraph({"inspect", PredictNet()});
  ASSERT_EQ(unknown.exit_code, 0) << unknown.err;
  EXPECT_THAT(unknown.out, HasSubstr("  X     unknown           external input\n"));
  EXPECT_THAT(unknown.out, HasSubstr("  Y     unknown           written by #1"));
  EXPECT_THAT(unknown.out, HasSubstr("unknown input shapes: X\n"));
}

TEST(CliInspectTest, InPlaceOperatorsAndArguments) {
  const std::string net = WriteTestFile("inplace.pbtxt", kInplaceNet);
  CliResult r = RunOpgraph({"inspect", net, "--input-shape", "X=2,4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("in place: \n  #0 Selu: output 0 overwrites input 0 (X)\n"));
  EXPECT_THAT(
      r.out,
      HasSubstr("  X     float32[2, 4]     external input; from --input-shape; rewritten by #0\n"));
}

TEST(CliInspectTest, InvalidOperatorsExitOneAfterTheReport) {
  const std::string net = WriteTestFile("bad.pbtxt", R"(
op { type: "Selu" input: "X" output: "H" arg { name: "bogus" i: 1 } }
op { type: "Nope" input: "H" output: "Y" }
external_input: "X"
)");
  CliResult r = RunOpgraph({"inspect", net, "--input-shape", "X=2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("  #1 Nope: H -> Y\n     error: unknown operator type 'Nope'"));
  EXPECT_THAT(r.out, HasSubstr("bogus=1"));
  EXPECT_THAT(r.err, HasSubstr("2 operators are invalid"));
  EXPECT_THAT(r.err, HasSubstr("operator #0 Selu: "));
  EXPECT_THAT(r.err, HasSubstr("bogus"));
}

TEST(CliDotTest, GraphText) {
  CliResult r = RunOpgraph({"dot", PredictNet()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("digraph \"selu_softmax\" {\n", 0), 0u);
  EXPECT_THAT(r.out, HasSubstr("\"op:0\" [label=\"#0 Selu\", shape=box"));
  EXPECT_THAT(r.out, HasSubstr("\"blob:X:0\" [label=\"X\", shape=ellipse];"));
  EXPECT_THAT(r.out, HasSubstr("\"blob:X:0\" -> \"op:0\";"));
  EXPECT_THAT(r.out, HasSubstr("\"op:0\" -> \"blob:H:0\";"));
  EXPECT_THAT(r.out, HasSubstr("\"blob:H:0\" -> \"op:1\";"));
  EXPECT_THAT(r.out, HasSubstr("\"blob:Y:0\" [peripheries=2];"));
  EXPECT_THAT(r.out, Not(HasSubstr("dashed")));
  EXPECT_EQ(r.out.substr(r.out.size() - 2), "}\n");

  const std::string dot_path = TestPath("g.dot");
  CliResult w = RunOpgraph({"dot", PredictNet(), "-o", dot_path});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(ReadTestFile(dot_path), r.out);
}

TEST(CliDotTest, InPlaceEdgesAreDashed) {
  const std::string net = WriteTestFile("inplace.pbtxt", kInplaceNet);
  CliResult r = RunOpgraph({"dot", net, "--output=" + TestPath("g.gv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadTestFile(TestPath("g.gv"));
  // X's new value gets its own node, so the graph has no cycle.
  EXPECT_THAT(text, HasSubstr("\"blob:X:1\" [label=\"X\", shape=ellipse];"));
  EXPECT_THAT(text, HasSubstr("\"op:0\" -> \"blob:X:1\" [style=dashed, label=\"in place\"];"));
  EXPECT_THAT(text, HasSubstr("\"blob:X:0\" -> \"blob:X:1\" [style=dashed"));
  EXPECT_THAT(text, HasSubstr("\"blob:X:1\" -> \"op:1\";"));
}

TEST(CliDotTest, RendersSvgWithGraphviz) {
  if (access("/usr/bin/dot", X_OK) != 0) GTEST_SKIP() << "Graphviz is not installed";
  const std::string svg = TestPath("g.svg");
  CliResult r = RunOpgraph({"dot", PredictNet(), "-o", svg});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string text = ReadTestFile(svg);
  EXPECT_THAT(text, HasSubstr("<svg"));
  EXPECT_THAT(text, HasSubstr("Softmax"));
}

TEST(CliDotTest, MissingGraphvizSaysHowToInstall) {
  const std::vector<std::string> env = {"PATH=/nonexistent-opgraph-test-dir"};
  CliResult r = RunOpgraph({"dot", PredictNet(), "-o", TestPath("g.png")}, &env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("apt-get install graphviz"));
  // Text output needs no Graphviz.
  EXPECT_EQ(RunOpgraph({"dot", PredictNet()}, &env).exit_code, 0);
}

TEST(CliConvertTest, RoundTripIsByteStable) {
  const std::string pb1 = TestPath("a.pb"), txt = TestPath("b.pbtxt"), pb2 = TestPath("c.pb");
  const std::string txt2 = TestPath("d.pbtxt");
  ASSERT_EQ(RunOpgraph({"convert", PredictNet(), pb1}).exit_code, 0);
  ASSERT_EQ(RunOpgraph({"convert", pb1, txt}).exit_code, 0);
  ASSERT_EQ(RunOpgraph({"convert", txt, pb2}).exit_code, 0);
  ASSERT_EQ(RunOpgraph({"convert", pb2, txt2}).exit_code, 0);
  EXPECT_EQ(ReadTestFile(pb1), ReadTestFile(pb2));
  EXPECT_EQ(ReadTestFile(txt), ReadTestFile(txt2));
  // The binary really is binary and holds the same net.
  absl::StatusOr<NetDef> original = ReadNetFile(PredictNet());
  ASSERT_TRUE(original.ok());
  NetDef parsed;
  ASSERT_TRUE(parsed.ParseFromString(ReadTestFile(pb1)));
  EXPECT_EQ(parsed.SerializeAsString(), original->SerializeAsString());
  EXPECT_EQ(parsed.op(1).type(), "Softmax");
  // And the binary net runs like the text one.
  CliResult run = RunOpgraph({"run", pb2, "--init", InitNet()});
  ExpectDemoOutput(run.out);
}

TEST(CliConvertTest, Errors) {
  const std::string missing = TestPath("missing.pbtxt");
  CliResult r = RunOpgraph({"convert", missing, TestPath("x.pb")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(missing + ": no such file"));
  const std::string bad = WriteTestFile("bad.pbtxt", "op { type: \"Selu\"\n");
  r = RunOpgraph({"convert", bad, TestPath("x.pb")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("line 2"));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
