// `opgraph inspect` checks argument values and --input-shape as `run`
// does: an operator whose Init rejects its arguments fails inspect (exit 1,
// the Init message); an --input-shape beyond the tensor limits is refused.
// Empty flag values are usage errors.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(CliValuesTest, InspectRunsTheArgumentChecksOfRun) {
  const std::string fill = WriteTestFile(
      "fill.pbtxt",
      "name: \"u\"\nop { type: \"UniformFill\" output: \"Y\" arg { name: \"shape\" ints: 2 }"
      " arg { name: \"min\" f: 3 } arg { name: \"max\" f: 1 } }\n");
  CliResult run = RunOpgraph({"run", fill});
  CliResult inspect = RunOpgraph({"inspect", fill});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(inspect.exit_code, 1) << inspect.out << inspect.err;
  EXPECT_THAT(inspect.out + inspect.err,
              AllOf(HasSubstr("operator #0 UniformFill"), HasSubstr("min"), HasSubstr("max")));

  for (const char* arg : {"alpha: nan", "scale: inf", "alpha: -inf"}) {
    SCOPED_TRACE(arg);
    const std::string name = std::string(arg).substr(0, 5);
    const std::string selu = WriteTestFile(
        "selu.pbtxt", absl::StrCat("op { type: \"Selu\" input: \"X\" output: \"Y\" arg { name: \"",
                                   name, "\" f: ", std::string(arg).substr(7), " } }\n"));
    CliResult r = RunOpgraph({"inspect", selu, "--input-shape", "X=2,3"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out + r.err,
                AllOf(HasSubstr("argument '" + name + "' must be"), HasSubstr("finite")));
  }
}

TEST(CliValuesTest, InputShapeMeetsTheTensorLimits) {
  const std::string copy =
      WriteTestFile("copy.pbtxt", "op { type: \"Copy\" input: \"X\" output: \"W\" }\n");
  CliResult r = RunOpgraph({"inspect", copy, "--input-shape", "X=100000,100000,100000"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, AllOf(HasSubstr("--input-shape X"), HasSubstr("TensorLimits::max_bytes")));
  const std::vector<std::string> ones(40, "1");
  r = RunOpgraph({"inspect", copy, "--input-shape", "X=" + absl::StrJoin(ones, ",")});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, AllOf(HasSubstr("--input-shape X"), HasSubstr("TensorLimits::max_rank")));
  r = RunOpgraph({"inspect", copy, "--input-shape", "X=3037000500,3037000500,2"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.err, HasSubstr("overflows int64"));
  r = RunOpgraph({"inspect", copy, "--input-shape", "X=1024,1024"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliValuesTest, EmptyFlagValuesAreUsageErrors) {
  const std::string copy =
      WriteTestFile("copy.pbtxt", "op { type: \"Copy\" input: \"X\" output: \"W\" }\n");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"run", copy, "--init="},
                                             {"run", copy, "--plugin="},
                                             {"inspect", copy, "--plugin="},
                                             {"grad", copy, "--loss", "W", "-o="},
                                             {"grad", copy, "--loss", "W", "--output="}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    CliResult r = RunOpgraph(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("needs a value"));
  }
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
