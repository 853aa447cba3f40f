// docs/OPERATORS.md must be exactly what `opgraph ops --markdown` prints
// for the operators built into the library.
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

TEST(OperatorsDocTest, MatchesGeneratedCatalog) {
  CliResult r = RunOpgraph({"ops", "--markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<std::string> doc = ReadFileToString(SourcePath("docs/OPERATORS.md"));
  const std::string regenerate =
      "docs/OPERATORS.md is out of date. Regenerate it from the repository root with:\n"
      "  build/tools/opgraph ops --markdown > docs/OPERATORS.md\n"
      "(use your build directory's tools/opgraph).";
  ASSERT_TRUE(doc.ok()) << doc.status() << "\n" << regenerate;
  if (*doc == r.out) return;
  // Point at the first differing line.
  const std::vector<std::string> want = absl::StrSplit(r.out, '\n');
  const std::vector<std::string> have = absl::StrSplit(*doc, '\n');
  size_t i = 0;
  while (i < want.size() && i < have.size() && want[i] == have[i]) ++i;
  ADD_FAILURE() << regenerate << "\nFirst difference at line " << i + 1
                << ":\n  file:      " << (i < have.size() ? have[i] : "<end of file>")
                << "\n  generated: " << (i < want.size() ? want[i] : "<end of output>");
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
