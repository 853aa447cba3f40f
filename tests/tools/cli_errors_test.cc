// Every error path of the `opgraph` binary: the exit code (1 for a failure,
// 2 for a usage error) and a message naming what is wrong and where.
#include <string>
#include <vector>

#include "core/net_io.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string PredictNet() { return SourcePath("examples/selu_softmax/predict_net.pbtxt"); }
std::string InitNet() { return SourcePath("examples/selu_softmax/init_net.pbtxt"); }

void ExpectFailure(const CliResult& r, int code, const std::vector<std::string>& parts) {
  EXPECT_EQ(r.exit_code, code) << "stderr: " << r.err << "\nstdout: " << r.out;
  for (const std::string& p : parts) EXPECT_THAT(r.err, HasSubstr(p));
}

TEST(CliErrorsTest, MissingNetFile) {
  const std::string path = TestPath("nope.pb");
  ExpectFailure(RunOpgraph({"run", path}), 1, {"opgraph run: error: ", path, "no such file"});
}

TEST(CliErrorsTest, GarbageBinaryNet) {
  const std::string path = WriteTestFile("garbage.pb", std::string("\xff\xff\xff\x01\x00zz", 7));
  ExpectFailure(RunOpgraph({"run", path}), 1, {path, "cannot parse as opgraph.NetDef"});
}

TEST(CliErrorsTest, TruncatedBinaryNet) {
  absl::StatusOr<NetDef> net = ReadNetFile(PredictNet());
  ASSERT_TRUE(net.ok()) << net.status();
  const std::string bytes = SerializeDeterministic(*net);
  const std::string path = WriteTestFile("truncated.pb", bytes.substr(0, bytes.size() / 2));
  ExpectFailure(RunOpgraph({"run", path}), 1,
                {path, "not a valid binary opgraph.NetDef", "as text format"});
}

TEST(CliErrorsTest, TextSyntaxErrorGivesLineAndColumn) {
  // Line 3 closes 'op' at column 3, then has a stray '}' at column 4.
  const std::string path = WriteTestFile("syntax.pbtxt", "name: \"n\"\nop {\n  }}\n");
  ExpectFailure(RunOpgraph({"run", path}), 1,
                {path, "not a valid text-format opgraph.NetDef", "line 3, column 4"});
}

TEST(CliErrorsTest, UnknownOperator) {
  const std::string path = WriteTestFile("unknown.pbtxt", R"(
op { type: "Frobnicate" input: "X" output: "Y" }
external_input: "X"
)");
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<float>({1}, {1})).ok());
  ExpectFailure(RunOpgraph({"run", path, "--input", "X=" + x}), 1, {"Frobnicate", "#0"});
}

TEST(CliErrorsTest, MissingInputsAreListedWithWhatTheyFeed) {
  const std::string path = WriteTestFile("two_inputs.pbtxt", R"(
name: "two"
op { type: "Selu" input: "X" output: "H" }
op { type: "Sum" input: "H" input: "Z" output: "Y" }
external_input: ["X", "Z"]
)");
  CliResult r = RunOpgraph({"run", path});
  ExpectFailure(
      r, 1,
      {"net 'two'", "reads 2 blobs", "\n  X: read by operator #0 Selu as input 0",
       "float32 or float64", "\n  Z: read by operator #1 Sum as input 1", "--input NAME=FILE"});
  // Nothing ran, nothing printed.
  EXPECT_EQ(r.out, "");
  // With one of them given, only the other is listed.
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<float>({2}, {1, 2})).ok());
  r = RunOpgraph({"run", path, "--input", "X=" + x});
  ExpectFailure(r, 1, {"reads 1 blob", "\n  Z: "});
  EXPECT_THAT(r.err, Not(HasSubstr("\n  X: ")));
}

TEST(CliErrorsTest, BadInputSyntaxIsAUsageError) {
  for (const char* bad : {"=x.npy", "X="}) {
    CliResult r = RunOpgraph({"run", PredictNet(), "--input", bad});
    ExpectFailure(r, 2, {"--input", "expected NAME=VALUE", "opgraph run --help"});
  }
  // Without '=', the value is a file whose tensors are fed by their names.
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "X"}), 1,
                {"--input X: X: no such file"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "X=a.npy", "--input", "X=b.npy"}), 2,
                {"more than once"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--output", "Y"}), 2, {"--output"});
}

TEST(CliErrorsTest, InputFileProblems) {
  const std::string missing = TestPath("missing.npy");
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "X=" + missing}), 1,
                {"--input X", missing, "no such file"});
  // A Fortran-order .npy: a real file problem, named with the file.
  Tensor t = MakeTensor<float>({2}, {1, 2});
  std::string bytes = SerializeNpy(t);
  const size_t pos = bytes.find("False");
  bytes.replace(pos, 5, "True ");
  const std::string fortran = WriteTestFile("fortran.npy", bytes);
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "X=" + fortran}), 1,
                {"--input X", fortran, "fortran_order is True"});
  // A blob the net does not read (a typo, most likely).
  const std::string good = TestPath("good.npy");
  ASSERT_TRUE(WriteNpy(good, t).ok());
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "x=" + good}), 1,
                {"does not read a blob named 'x'", "it reads: X"});
  // Wrong dtype for the operator: caught before running, naming the operator.
  const std::string ints = TestPath("ints.npy");
  ASSERT_TRUE(WriteNpy(ints, MakeTensor<int32_t>({1, 2}, {1, 2})).ok());
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--input", "X=" + ints}), 1,
                {"running", "Selu", "int32"});
}

TEST(CliErrorsTest, InvalidOperatorArgument) {
  const std::string path = WriteTestFile("axis.pbtxt", R"(
name: "bad_axis"
op { type: "Selu" input: "X" output: "H" }
op { type: "Softmax" input: "H" output: "Y" arg { name: "axis" i: 5 } }
external_input: "X"
)");
  ExpectFailure(RunOpgraph({"run", path, "--init", InitNet()}), 1,
                {"net 'bad_axis'", "#1 Softmax", "axis"});
}

TEST(CliErrorsTest, InitNetFailure) {
  const std::string init = WriteTestFile("bad_init.pbtxt", R"(
name: "bad_init"
op { type: "GivenTensorFill" output: "X" arg { name: "shape" ints: 2 } arg { name: "values" floats: [1] } }
)");
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--init", init}), 1,
                {"init net 'bad_init'", init, "GivenTensorFill"});
}

TEST(CliErrorsTest, OutputProblems) {
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--init", InitNet(), "--output", "Q=-"}), 1,
                {"--output Q", "no blob 'Q'", "H, X, Y"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--init", InitNet(), "--output",
                            "Y=/nonexistent-dir/y.npy"}),
                1, {"--output Y", "/nonexistent-dir/y.npy"});
}

TEST(CliErrorsTest, UsageErrorsExitTwo) {
  ExpectFailure(RunOpgraph({}), 2, {"usage: opgraph <subcommand>"});
  ExpectFailure(RunOpgraph({"frobnicate"}), 2,
                {"unknown subcommand 'frobnicate'", "opgraph --help"});
  ExpectFailure(RunOpgraph({"--bogus"}), 2, {"unknown flag --bogus"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--bogus"}), 2,
                {"opgraph run: unknown flag --bogus", "opgraph run --help"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--bogus=1"}), 2, {"unknown flag --bogus"});
  ExpectFailure(RunOpgraph({"run"}), 2, {"missing argument", "usage: opgraph run NET"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "extra"}), 2, {"unexpected argument 'extra'"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--init"}), 2,
                {"flag --init needs a value (INIT_NET)"});
  ExpectFailure(RunOpgraph({"run", PredictNet(), "--init", "a", "--init", "b"}), 2,
                {"--init is given more than once"});
  ExpectFailure(RunOpgraph({"ops", "--json=yes"}), 2, {"--json takes no value"});
  ExpectFailure(RunOpgraph({"ops", "--json", "--markdown"}), 2, {"exclusive"});
  ExpectFailure(RunOpgraph({"convert", "a.pb"}), 2, {"missing argument"});
  ExpectFailure(RunOpgraph({"convert", "a.pb", "b.json"}), 2, {"unknown extension '.json'"});
  ExpectFailure(RunOpgraph({"dot", PredictNet(), "-o", "x.jpeg"}), 2,
                {"unknown extension '.jpeg'"});
  ExpectFailure(RunOpgraph({"help", "frobnicate"}), 2, {"unknown subcommand"});
  ExpectFailure(RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=2,a"}), 2,
                {"'a' is not a non-negative dimension"});
  ExpectFailure(RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=2:float16"}), 2,
                {"unknown dtype 'float16'"});
}

TEST(CliErrorsTest, HelpExitsZeroOnStdout) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"}, {"-h"}, {"help"}}) {
    CliResult r = RunOpgraph(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.out, HasSubstr("subcommands:"));
    EXPECT_THAT(r.out, HasSubstr("  2  usage error"));
    EXPECT_EQ(r.err, "");
  }
  for (const char* cmd : {"run", "ops", "inspect", "dot", "convert"}) {
    CliResult r = RunOpgraph({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr(std::string("usage: opgraph ") + cmd)) << cmd;
    EXPECT_THAT(r.out, HasSubstr("-h, --help")) << cmd;
    CliResult h = RunOpgraph({"help", cmd});
    EXPECT_EQ(h.out, r.out) << cmd;
  }
  // --help wins over missing arguments.
  EXPECT_EQ(RunOpgraph({"run", "-h"}).exit_code, 0);
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
