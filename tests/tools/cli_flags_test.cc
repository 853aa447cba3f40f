// The command line as CLI11 parses it (tools/commands.cc, tools/flags.h):
// every documented form of a flag, repeatable flags, "--", help, and the
// exit codes 0, 1 and 2.
#include <string>
#include <vector>

#include "core/net_io.h"
#include "core/plugin_config.h"
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

constexpr char kGradNet[] = R"pb(
  name: "fc"
  op { type: "FC" input: "x" input: "W" input: "b" output: "z" }
  op { type: "SoftmaxWithLoss" input: "z" input: "labels" output: "P" output: "loss" }
)pb";

// -o=x, -o x, --output=x and --output x name the same file, for both
// subcommands that take -o.
// The version comes from CMakeLists.txt's project() through the generated
// core/plugin_config.h, the same string plugins record.
TEST(CliFlagsTest, VersionIsTheProjectVersion) {
  CliResult r = RunOpgraph({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("opgraph ") + OPGRAPH_VERSION_STRING + "\n");
  EXPECT_NE(std::string(OPGRAPH_VERSION_STRING), "0.1.0");
}

TEST(CliFlagsTest, EveryFormOfAValueFlag) {
  const std::string grad_net = WriteTestFile("net.pbtxt", kGradNet);
  int k = 0;
  for (const std::string cmd : {"dot", "grad"}) {
    const std::string net = cmd == "dot" ? PredictNet() : grad_net;
    const std::string ext = cmd == "dot" ? ".dot" : ".pbtxt";
    std::string first;
    for (const std::string form : {"-o=", "-o ", "--output=", "--output "}) {
      const std::string out = TestPath("out" + std::to_string(k++) + ext);
      std::vector<std::string> args = {cmd, net};
      if (cmd == "grad") args.insert(args.end(), {"--loss", "loss"});
      if (form.back() == '=') {
        args.push_back(form + out);
      } else {
        args.push_back(form.substr(0, form.size() - 1));
        args.push_back(out);
      }
      const CliResult r = RunOpgraph(args);
      ASSERT_EQ(r.exit_code, 0) << cmd << " " << form << "\n" << r.err;
      const std::string written = ReadTestFile(out);
      EXPECT_FALSE(written.empty());
      if (first.empty()) first = written;
      EXPECT_EQ(written, first) << cmd << " " << form;
    }
  }
}

TEST(CliFlagsTest, LongFlagForms) {
  const CliResult a = RunOpgraph({"run", PredictNet(), "--init=" + InitNet()});
  const CliResult b = RunOpgraph({"run", "--init", InitNet(), PredictNet()});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  ExpectDemoOutput(a.out);
}

TEST(CliFlagsTest, RepeatableFlagsKeepEveryValueInOrder) {
  const std::string net = WriteTestFile("two.pbtxt", R"(
op { type: "Sum" input: "A" input: "B" output: "C" }
external_input: ["A", "B"]
)");
  const std::string a = TestPath("a.npy"), b = TestPath("b.npy");
  ASSERT_TRUE(WriteNpy(a, MakeTensor<float>({2}, {1, 2})).ok());
  ASSERT_TRUE(WriteNpy(b, MakeTensor<float>({2}, {10, 20})).ok());
  // --input twice (both forms), --output three times, in the order given.
  const CliResult r = RunOpgraph({"run", net, "--input", "A=" + a, "--input=B=" + b, "--output",
                                  "C=-", "--output=A=-", "--output", "B=-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "C: float32[2]\n[11, 22]\n\nA: float32[2]\n[1, 2]\n\nB: float32[2]\n[10, 20]\n");
  // --loss twice: both losses get a backward pass.
  const std::string grad_net = WriteTestFile("net.pbtxt", R"pb(
    op { type: "Selu" input: "x" output: "l1" }
    op { type: "Selu" input: "y" output: "l2" }
  )pb");
  const std::string out = TestPath("train.pbtxt");
  const CliResult g = RunOpgraph({"grad", grad_net, "--loss", "l1", "--loss=l2", "-o", out});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_THAT(g.out, HasSubstr("x -> x_grad\n"));
  EXPECT_THAT(g.out, HasSubstr("y -> y_grad\n"));
}

TEST(CliFlagsTest, DoubleDashEndsTheFlags) {
  // After "--", "--json" is an operator name, not a flag.
  const CliResult r = RunOpgraph({"ops", "--", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("unknown operator '--json'"));
  // A single "-" is an argument.
  const CliResult dash = RunOpgraph({"ops", "-"});
  EXPECT_EQ(dash.exit_code, 1);
  EXPECT_THAT(dash.err, HasSubstr("unknown operator '-'"));
}

TEST(CliFlagsTest, ExitCodes) {
  EXPECT_EQ(RunOpgraph({"ops", "Selu"}).exit_code, 0);
  EXPECT_EQ(RunOpgraph({"ops", "NoSuchOp"}).exit_code, 1);
  EXPECT_EQ(RunOpgraph({"run", TestPath("absent.pb")}).exit_code, 1);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"--bogus"},
           {"run"},
           {"run", "a", "b"},
           {"run", PredictNet(), "--json"},   // bench's flag, not run's
           {"run", PredictNet(), "-o", "x"},  // dot's and grad's short flag
           {"run", PredictNet(), "--threads"},
           {"run", PredictNet(), "--no-optimize=1"},
           {"dot", PredictNet(), "-o", "a.dot", "-o", "b.dot"}}) {
    const CliResult r = RunOpgraph(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("--help")) << ::testing::PrintToString(args);
    EXPECT_EQ(r.out, "");
  }
  EXPECT_THAT(RunOpgraph({"run", PredictNet(), "-o", "x"}).err,
              HasSubstr("opgraph run: unknown flag -o\n"));
  EXPECT_THAT(RunOpgraph({"dot", PredictNet(), "-o", "a.dot", "--output=b.dot"}).err,
              HasSubstr("flag -o is given more than once"));
  EXPECT_THAT(RunOpgraph({"grad", PredictNet(), "-o"}).err,
              HasSubstr("flag -o needs a value (TRAIN_NET)"));
}

TEST(CliFlagsTest, HelpForEverySubcommand) {
  const CliResult main_help = RunOpgraph({"--help"});
  EXPECT_EQ(main_help.exit_code, 0);
  EXPECT_EQ(RunOpgraph({"help"}).out, main_help.out);
  EXPECT_EQ(RunOpgraph({"-h"}).out, main_help.out);
  // No arguments: the same text on stderr, exit 2.
  const CliResult none = RunOpgraph({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, main_help.out);
  for (const char* cmd : {"run", "ops", "inspect", "dot", "convert", "grad", "bench"}) {
    EXPECT_THAT(main_help.out, HasSubstr(std::string("\n  ") + cmd + " ")) << cmd;
    const CliResult r = RunOpgraph({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_EQ(r.err, "") << cmd;
    EXPECT_THAT(r.out, HasSubstr(std::string("usage: opgraph ") + cmd + " ")) << cmd;
    EXPECT_THAT(r.out, HasSubstr("\n      --plugin PATH         Load operators from the plugin "
                                 "library PATH first (docs/PLUGINS.md). Repeatable.\n"))
        << cmd;
    EXPECT_THAT(r.out, HasSubstr("\n  -h, --help                Show this help and exit.\n"));
    EXPECT_EQ(RunOpgraph({"help", cmd}).out, r.out) << cmd;
    EXPECT_EQ(RunOpgraph({cmd, "-h"}).out, r.out) << cmd;
  }
  for (const char* cmd : {"run", "bench", "inspect"}) {
    const CliResult r = RunOpgraph({cmd, "--help"});
    EXPECT_THAT(r.out, HasSubstr("--no-optimize")) << cmd;
    EXPECT_THAT(r.out, HasSubstr("--disable-pass NAME   Do not run the optimization pass NAME "
                                 "(e.g. FuseSeluSoftmax). Repeatable.\n"))
        << cmd;
  }
  EXPECT_THAT(RunOpgraph({"dot", "--help"}).out, HasSubstr("  -o, --output FILE"));
  EXPECT_THAT(RunOpgraph({"grad", "--help"}).out, HasSubstr("  -o, --output TRAIN_NET"));
  EXPECT_THAT(RunOpgraph({"ops", "--help"}).out, Not(HasSubstr("--disable-pass")));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
