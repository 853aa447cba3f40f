// `opgraph run` on a plugin whose kernel throws: exit code 1 and a message
// naming the net, the operator and what(), never a signal.
#include <string>

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
                       " arg { name: \"at\" i: " + std::to_string(at) + " } }\n"
                       "external_input: \"X\"\nexternal_output: \"Y\"\n");
}

CliResult RunThrowNet(int at) {
  const std::string x = TestPath("x.npy");
  EXPECT_TRUE(WriteNpy(x, MakeTensor<float>({2}, {1, 2})).ok());
  return RunOpgraph({"run", ThrowNet(at), "--plugin", OPGRAPH_TEST_PLUGIN_THROWING, "--input",
                     "X=" + x});
}

TEST(CliExceptionsTest, KernelThrowingWhileRunning) {
  CliResult r = RunThrowNet(0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("net 'boom' operator #0 PluginThrow 'thrower'"),
                           HasSubstr("RunOnDevice threw std::runtime_error: "
                                     "PluginThrow kernel exploded")));
  EXPECT_EQ(r.out, "");
}

TEST(CliExceptionsTest, KernelThrowingInItsConstructor) {
  CliResult r = RunThrowNet(1);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("operator #0 PluginThrow"),
                           HasSubstr("PluginThrow constructor refused to build")));
}

TEST(CliExceptionsTest, KernelThrowingBadAlloc) {
  CliResult r = RunThrowNet(2);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("operator #0 PluginThrow"),
                           HasSubstr("ran out of memory"), HasSubstr("std::bad_alloc")));
}

TEST(CliExceptionsTest, KernelThatDoesNotThrowRuns) {
  CliResult r = RunThrowNet(3);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Y: float32[2]"));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
