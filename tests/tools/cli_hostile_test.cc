// The command line against hostile input: a plugin kernel that throws
// (exit code 1 and a message naming the net, the operator and what(),
// never a signal); a memory budget; many missing or duplicated inputs
// (short messages); output files that a failed write leaves untouched.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ThrowNet(int at) {
  return WriteTestFile("net.pbtxt",
                       "name: \"boom\"\n"
                       "op { type: \"PluginThrow\" name: \"thrower\" input: \"X\" output: \"Y\""
                       " arg { name: \"at\" i: " +
                           std::to_string(at) +
                           " } }\n"
                           "external_input: \"X\"\nexternal_output: \"Y\"\n");
}

CliResult RunThrowNet(int at) {
  const std::string x = TestPath("x.npy");
  EXPECT_TRUE(WriteNpy(x, MakeTensor<float>({2}, {1, 2})).ok());
  return RunOpgraph(
      {"run", ThrowNet(at), "--plugin", OPGRAPH_TEST_PLUGIN_THROWING, "--input", "X=" + x});
}

TEST(CliHostileTest, KernelThrowingWhileRunning) {
  CliResult r = RunThrowNet(0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("net 'boom' operator #0 PluginThrow 'thrower'"),
                           HasSubstr("RunOnDevice threw std::runtime_error: "
                                     "PluginThrow kernel exploded")));
  EXPECT_EQ(r.out, "");
}

TEST(CliHostileTest, KernelThrowingInItsConstructor) {
  CliResult r = RunThrowNet(1);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("operator #0 PluginThrow"),
                           HasSubstr("PluginThrow constructor refused to build")));
}

TEST(CliHostileTest, KernelThrowingBadAlloc) {
  CliResult r = RunThrowNet(2);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("operator #0 PluginThrow"), HasSubstr("ran out of memory"),
                           HasSubstr("std::bad_alloc")));
}

TEST(CliHostileTest, KernelThatDoesNotThrowRuns) {
  CliResult r = RunThrowNet(3);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Y: float32[2]"));
}

TEST(CliHostileTest, MemoryBudgetFlag) {
  const std::string net = WriteTestFile("fill.pbtxt",
                                        "name: \"fill\"\n"
                                        "op { type: \"ConstantFill\" output: \"Y\""
                                        " arg { name: \"shape\" ints: 1024 } }\n");
  CliResult r = RunOpgraph({"run", net, "--memory-budget", "1000"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("net 'fill'"), HasSubstr("memory budget is 1000 bytes")));
  r = RunOpgraph({"run", net, "--memory-budget", "4096"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunOpgraph({"run", net, "--memory-budget", "lots"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--memory-budget 'lots'"));
}

// 1000 missing inputs, one of them listed 1000 times: the message names 16
// and counts the rest, and a duplicated name counts once.
TEST(CliHostileTest, ManyMissingInputsGiveAShortMessage) {
  std::string text = "name: \"needy\"\n";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&text, "op { type: \"Copy\" input: \"m", i, "\" output: \"y", i, "\" }\n");
    absl::StrAppend(&text, "external_input: \"m0\"\n");
  }
  CliResult r = RunOpgraph({"run", WriteTestFile("needy.pbtxt", text)});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err,
              AllOf(HasSubstr("reads 1000 blobs that no --init net produced"),
                    HasSubstr("  m15: read by operator #15 Copy"), HasSubstr("... and 984 more")));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("m16:")));
  EXPECT_LT(r.err.size(), 4000u);
}

// Runs `opgraph args...` with its file size limited to `bytes` (SIGXFSZ
// ignored, so an oversized write fails with EFBIG instead of killing it).
CliResult RunUnderFileSizeLimit(const std::vector<std::string>& args, rlim_t bytes) {
  struct rlimit saved;
  getrlimit(RLIMIT_FSIZE, &saved);
  struct rlimit limited = saved;
  limited.rlim_cur = bytes;
  void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &limited);
  CliResult r = RunOpgraph(args);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  return r;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every file the command line writes is replaced atomically: when the
// write fails, the old file is intact and no temporary file remains.
TEST(CliHostileTest, FailedWritesLeaveOldFilesIntact) {
  const std::string dir = TestPath("out");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // A net of about 40 KB.
  std::string text = "name: \"big\"\n";
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&text, "op { type: \"Selu\" input: \"x", i, "\" output: \"x", i + 1, "\" }\n");
  }
  const std::string net = WriteTestFile("big.pbtxt", text);
  const std::string pb = dir + "/net.pb";
  const std::string dot = dir + "/net.dot";
  const std::string npy = dir + "/y.npy";
  ASSERT_TRUE(WriteStringToFile(pb, "old net").ok());
  ASSERT_TRUE(WriteStringToFile(dot, "old dot").ok());
  ASSERT_TRUE(WriteStringToFile(npy, "old npy").ok());
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<float>({4096}, std::vector<float>(4096, 0.5f))).ok());

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"convert", net, pb},
           {"dot", net, "-o", dot},
           {"run", net, "--input", "x0=" + x, "--output", "x1000=" + npy}}) {
    SCOPED_TRACE(args[0]);
    CliResult r = RunUnderFileSizeLimit(args, 8192);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(dir));
  }
  EXPECT_EQ(ReadTestFile(pb), "old net");
  EXPECT_EQ(ReadTestFile(dot), "old dot");
  EXPECT_EQ(ReadTestFile(npy), "old npy");
  EXPECT_THAT(DirEntries(dir), ::testing::ElementsAre("net.dot", "net.pb", "y.npy"));

  // Without the limit, each replaces its file.
  EXPECT_EQ(RunOpgraph({"convert", net, pb}).exit_code, 0);
  EXPECT_EQ(RunOpgraph({"dot", net, "-o", dot}).exit_code, 0);
  EXPECT_EQ(RunOpgraph({"run", net, "--input", "x0=" + x, "--output", "x1000=" + npy}).exit_code,
            0);
  EXPECT_NE(ReadTestFile(pb), "old net");
  EXPECT_THAT(ReadTestFile(dot), HasSubstr("digraph"));
  EXPECT_EQ(ReadTestFile(npy).size(), 128u + 4096 * 4);
  EXPECT_THAT(DirEntries(dir), ::testing::ElementsAre("net.dot", "net.pb", "y.npy"));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
