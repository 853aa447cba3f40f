// core/ must not name any particular operator: fusions live beside their
// operators (graph passes), and core asks the registry for operators by
// role. This test reads the sources of core/ and fails on any string
// literal that equals a registered operator type.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace opgraph {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::FieldsAre;
using ::testing::IsEmpty;

struct Literal {
  int line;
  std::string text;  // Between the quotes, escapes left as written.
};

// The string literals of C++ source `src` with their line numbers. Comments,
// character literals and raw strings are understood; a raw string's
// contents are returned as one literal.
std::vector<Literal> StringLiterals(const std::string& src) {
  std::vector<Literal> out;
  int line = 1;
  size_t i = 0;
  const size_t n = src.size();
  auto advance = [&](size_t to) {
    for (; i < to && i < n; ++i) line += src[i] == '\n' ? 1 : 0;
  };
  while (i < n) {
    const char c = src[i];
    if (c == '/' && i + 1 < n && src[i + 1] == '/') {
      const size_t end = src.find('\n', i);
      advance(end == std::string::npos ? n : end);
    } else if (c == '/' && i + 1 < n && src[i + 1] == '*') {
      const size_t end = src.find("*/", i + 2);
      advance(end == std::string::npos ? n : end + 2);
    } else if (c == 'R' && i + 1 < n && src[i + 1] == '"' &&
               (i == 0 ||
                !(std::isalnum(static_cast<unsigned char>(src[i - 1])) || src[i - 1] == '_'))) {
      const size_t open = src.find('(', i + 2);
      if (open == std::string::npos) break;
      const std::string close = ")" + src.substr(i + 2, open - i - 2) + "\"";
      const size_t end = src.find(close, open + 1);
      const size_t stop = end == std::string::npos ? n : end;
      out.push_back({line, src.substr(open + 1, stop - open - 1)});
      advance(stop == n ? n : stop + close.size());
    } else if (c == '"' || c == '\'') {
      size_t j = i + 1;
      while (j < n && src[j] != c && src[j] != '\n') j += src[j] == '\\' ? 2 : 1;
      if (c == '"') out.push_back({line, src.substr(i + 1, j - i - 1)});
      advance(j + 1);
    } else {
      advance(i + 1);
    }
  }
  return out;
}

TEST(CoreNamesNoOperatorTest, ScannerFindsLiteralsOutsideComments) {
  const std::string src =
      "// \"Commented\"\n"
      "x = \"Sum\"; c = '\"'; /* \"Block\"\n \"Comment\" */\n"
      "y = \"a\\\"b\"; z = R\"x(Raw\"Text)x\"; w = \"Last\";\n";
  EXPECT_THAT(StringLiterals(src), ElementsAre(FieldsAre(2, "Sum"), FieldsAre(4, "a\\\"b"),
                                               FieldsAre(4, "Raw\"Text"), FieldsAre(4, "Last")));
}

TEST(CoreNamesNoOperatorTest, NoCoreSourceNamesARegisteredOperator) {
  const char* root = std::getenv("OPGRAPH_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "ctest sets OPGRAPH_SOURCE_DIR to the source tree";
  const std::vector<std::string> types = OpRegistry::Global().Types();
  ASSERT_FALSE(types.empty());
  const std::set<std::string> type_set(types.begin(), types.end());

  int files = 0;
  std::vector<std::string> found;
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(root) / "core")) {
    const std::string ext = e.path().extension().string();
    if (ext != ".cc" && ext != ".h") continue;
    std::ifstream in(e.path());
    ASSERT_TRUE(in) << e.path();
    std::stringstream text;
    text << in.rdbuf();
    ++files;
    for (const Literal& lit : StringLiterals(text.str())) {
      if (type_set.count(lit.text) > 0) {
        found.push_back("core/" + e.path().filename().string() + ":" + std::to_string(lit.line) +
                        ": \"" + lit.text + "\"");
      }
    }
  }
  EXPECT_GT(files, 10);
  EXPECT_THAT(found, IsEmpty())
      << "core/ names operator types; move the code next to the operator (a graph pass, "
         "an OpRole) instead";
}

}  // namespace
}  // namespace opgraph
