// tools/session.h through the binary: every loading error reads the same
// in `run`, `bench`, `inspect` and `grad` (where the subcommand takes the
// flag), and the session feeds what it loads.
#include <algorithm>
#include <string>
#include <vector>

#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string PredictNet() { return SourcePath("examples/selu_softmax/predict_net.pbtxt"); }

// The message after "opgraph <cmd>: error: " (exit 1) or "opgraph <cmd>: "
// (exit 2, without the --help hint), checked to be the only error.
std::string Message(const CliResult& r, const std::string& cmd) {
  const std::string prefix = "opgraph " + cmd + (r.exit_code == 1 ? ": error: " : ": ");
  EXPECT_THAT(r.err, StartsWith(prefix)) << cmd;
  std::string m = r.err.substr(std::min(prefix.size(), r.err.size()));
  if (r.exit_code == 2) m = m.substr(0, m.find("\nRun '"));
  return m;
}

// Runs `opgraph <cmd> NET extra...` for each subcommand and expects the same
// exit code and message from each; returns the message.
std::string SameEverywhere(const std::vector<std::string>& cmds, const std::string& net,
                           const std::vector<std::string>& extra, int code) {
  std::string first;
  for (const std::string& cmd : cmds) {
    std::vector<std::string> args = {cmd, net};
    if (cmd == "grad") args.insert(args.end(), {"--loss", "Y"});
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = RunOpgraph(args);
    EXPECT_EQ(r.exit_code, code) << cmd << "\n" << r.err;
    const std::string m = Message(r, cmd);
    if (first.empty()) first = m;
    EXPECT_EQ(m, first) << cmd;
  }
  return first;
}

const std::vector<std::string> kAll = {"run", "bench", "inspect", "grad"};
const std::vector<std::string> kWithInputs = {"run", "bench", "inspect"};

TEST(SessionTest, MissingNetFile) {
  const std::string path = TestPath("absent.pbtxt");
  EXPECT_EQ(SameEverywhere(kAll, path, {}, 1), path + ": no such file\n");
}

TEST(SessionTest, BadPlugin) {
  const std::string plugin = WriteTestFile("not_a_plugin.so", "this is not an ELF file\n");
  const std::string m = SameEverywhere(kAll, PredictNet(), {"--plugin", plugin}, 1);
  EXPECT_THAT(m, StartsWith("--plugin " + plugin + ": "));
  // ops takes --plugin too, with the same wording.
  const CliResult ops = RunOpgraph({"ops", "--plugin", plugin});
  EXPECT_EQ(ops.exit_code, 1);
  EXPECT_EQ(Message(ops, "ops"), m);
}

TEST(SessionTest, BadInitNet) {
  const std::string init = WriteTestFile("bad_init.pbtxt", R"(
name: "bad_init"
op { type: "GivenTensorFill" output: "X" arg { name: "shape" ints: 2 } arg { name: "values" floats: [1] } }
)");
  const std::string m = SameEverywhere(kWithInputs, PredictNet(), {"--init", init}, 1);
  EXPECT_THAT(m, StartsWith("init net 'bad_init' (" + init + "): "));
  EXPECT_THAT(m, HasSubstr("GivenTensorFill"));
  const std::string absent = TestPath("absent_init.pbtxt");
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--init", absent}, 1),
            absent + ": no such file\n");
}

TEST(SessionTest, BadInputSyntaxIsAUsageError) {
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--input", "=x.npy"}, 2),
            "--input '=x.npy': expected NAME=VALUE with both sides non-empty, e.g. --input "
            "X=x.npy");
  // Without NAME=, FILE is a tensor file whose tensors are fed by their names.
  const std::string absent = TestPath("absent.pb");
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--input", absent}, 1),
            "--input " + absent + ": " + absent + ": no such file\n");
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--input", "X=a", "--input", "X=b"}, 2),
            "--input names blob 'X' more than once");
}

TEST(SessionTest, MissingInputFile) {
  const std::string absent = TestPath("absent.npy");
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--input", "X=" + absent}, 1),
            "--input X: " + absent + ": no such file\n");
}

TEST(SessionTest, InputTheNetDoesNotRead) {
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})).ok());
  EXPECT_EQ(SameEverywhere(kWithInputs, PredictNet(), {"--input", "Q=" + x}, 1),
            "--input Q=" + x + ": net 'selu_softmax' (" + PredictNet() +
                ") does not read a blob named 'Q' (it reads: X)\n");
}

TEST(SessionTest, MissingInputsListedByRunAndBench) {
  const std::string m = SameEverywhere({"run", "bench"}, PredictNet(), {}, 1);
  EXPECT_THAT(m, StartsWith("net 'selu_softmax' (" + PredictNet() +
                            ") reads 1 blob that no "
                            "--init net produced and no --input gave:\n  X: read by operator #0"));
}

// inspect takes --input too: the tensor's type is the blob's.
TEST(SessionTest, InspectTakesShapesFromInputFiles) {
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<double>({1, 3}, {1, 2, 3})).ok());
  const CliResult r = RunOpgraph({"inspect", PredictNet(), "--input", "X=" + x});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  X     float64[1, 3]     external input; from --input\n"));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
