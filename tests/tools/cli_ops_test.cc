// `opgraph ops`: the text, JSON and Markdown catalog.
#include <cctype>
#include <string>

#include "core/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/cli_test_util.h"
#include "tools/cli_common.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;

// A strict JSON checker (RFC 8259 grammar, no extensions), so that the test
// fails on a missing comma or an unescaped control character.
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool Valid() {
    Space();
    if (!Value()) return false;
    Space();
    return i_ == s_.size();
  }
  size_t pos() const { return i_; }

 private:
  void Space() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Lit(const char* w) {
    const std::string word(w);
    if (s_.compare(i_, word.size(), word) != 0) return false;
    i_ += word.size();
    return true;
  }
  bool String() {
    if (s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const unsigned char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_])))
              return false;
          }
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    const size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > start;
  }
  bool Value() {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') return String();
    if (c == '{') return Container('}', true);
    if (c == '[') return Container(']', false);
    if (c == 't') return Lit("true");
    if (c == 'f') return Lit("false");
    if (c == 'n') return Lit("null");
    return Number();
  }
  bool Container(char close, bool object) {
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == close) {
      ++i_;
      return true;
    }
    while (true) {
      Space();
      if (object) {
        if (i_ >= s_.size() || !String()) return false;
        Space();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        Space();
      }
      if (!Value()) return false;
      Space();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == close) {
        ++i_;
        return true;
      }
      if (s_[i_] != ',') return false;
      ++i_;
    }
  }
  const std::string& s_;
  size_t i_ = 0;
};

TEST(JsonCheckerTest, AcceptsAndRejects) {
  EXPECT_TRUE(JsonChecker(R"({"a": [1, -2.5e3, "x\n\u00e9", true, null], "b": {}})").Valid());
  EXPECT_FALSE(JsonChecker(R"({"a": [1, 2,]})").Valid());
  EXPECT_FALSE(JsonChecker("{\"a\": \"tab\there\"}").Valid());
  EXPECT_FALSE(JsonChecker(R"({"a" 1})").Valid());
  EXPECT_FALSE(JsonChecker(R"({"a": 01})").Valid());
}

TEST(CliOpsTest, JsonQuoteEscapes) {
  EXPECT_EQ(cli::JsonQuote("a\"b\\c\nd\te\x01"), R"("a\"b\\c\nd\te\u0001")");
  EXPECT_TRUE(JsonChecker(cli::JsonQuote(std::string("\x1f\x7f\"\\\b\f\r", 7))).Valid());
}

TEST(CliOpsTest, ListsEveryRegisteredOperator) {
  CliResult r = RunOpgraph({"ops"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> types = OpRegistry::Global().Types();
  ASSERT_FALSE(types.empty());
  for (const std::string& t : types) {
    EXPECT_THAT("\n" + r.out, HasSubstr("\n" + t + " ")) << t;
  }
  EXPECT_THAT(r.out, HasSubstr(std::to_string(types.size()) + " operators."));
  // The first line is an operator (the list is sorted).
  EXPECT_EQ(r.out.compare(0, types[0].size() + 1, types[0] + " "), 0);
}

TEST(CliOpsTest, OneOperatorInFull) {
  CliResult r = RunOpgraph({"ops", "Selu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Selu\n  Y = scale * X"));
  EXPECT_THAT(r.out, HasSubstr("source: built-in (ops/selu_op.cc:"));
  EXPECT_THAT(r.out, HasSubstr("gradient: registered"));
  EXPECT_THAT(r.out, HasSubstr("inputs (1):\n    0 X: "));
  EXPECT_THAT(r.out, HasSubstr("dtypes: float32, float64"));
  EXPECT_THAT(r.out, HasSubstr("in-place: output 0 may share the blob of input 0\n"));
  // float(1.6732632423543772) printed with %.9g.
  EXPECT_THAT(r.out, HasSubstr("alpha (float, default 1.67326319): "));
  // A required argument and a forbidden gradient.
  CliResult fill = RunOpgraph({"ops", "GivenTensorFill"});
  ASSERT_EQ(fill.exit_code, 0) << fill.err;
  EXPECT_THAT(fill.out, HasSubstr("values (floats or ints, required)"));
  EXPECT_THAT(fill.out, HasSubstr("gradient: no gradient"));
  CliResult grad = RunOpgraph({"ops", "SeluGradient"});
  EXPECT_THAT(grad.out, HasSubstr("gradient: forbidden"));
}

TEST(CliOpsTest, UnknownOperatorFails) {
  CliResult r = RunOpgraph({"ops", "Nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("unknown operator 'Nope'; registered operators: "));
  EXPECT_THAT(r.err, HasSubstr("Selu"));
}

TEST(CliOpsTest, JsonIsValidAndComplete) {
  CliResult r = RunOpgraph({"ops", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  JsonChecker checker(r.out);
  EXPECT_TRUE(checker.Valid()) << "invalid JSON near offset " << checker.pos() << ":\n"
                               << r.out.substr(checker.pos() > 80 ? checker.pos() - 80 : 0, 160);
  for (const std::string& t : OpRegistry::Global().Types()) {
    EXPECT_THAT(r.out, HasSubstr("{\"type\": \"" + t + "\"")) << t;
  }
  CliResult one = RunOpgraph({"ops", "Selu", "--json"});
  ASSERT_EQ(one.exit_code, 0);
  EXPECT_TRUE(JsonChecker(one.out).Valid()) << one.out;
  EXPECT_THAT(one.out, HasSubstr("\"allow_inplace\": [[0, 0]]"));
  EXPECT_THAT(one.out, HasSubstr("\"enforce_inplace\": []"));
  EXPECT_THAT(one.out, HasSubstr("\"allowed_types\": [\"float32\", \"float64\"]"));
  EXPECT_THAT(one.out, HasSubstr("{\"name\": \"alpha\", \"kind\": \"float\", \"required\": false, "
                                 "\"default\": 1.67326319"));
  EXPECT_THAT(one.out, HasSubstr("\"gradient\": \"registered\""));
  EXPECT_THAT(one.out, HasSubstr("\"source\": \"built-in\""));
  EXPECT_THAT(one.out, HasSubstr("\"inputs\": {\"arity\": \"1\", \"list\": [{\"index\": 0, "
                                 "\"name\": \"X\""));
}

TEST(CliOpsTest, MarkdownHasTableAndSections) {
  CliResult r = RunOpgraph({"ops", "--markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("# Operator catalog\n", 0), 0u);
  EXPECT_THAT(r.out, HasSubstr("| [Selu](#selu) | 1 | 1 | registered | "));
  EXPECT_THAT(r.out, HasSubstr("\n## Selu\n"));
  EXPECT_THAT(r.out, HasSubstr("| alpha | float | 1.67326319 | "));
  // Markdown does not depend on line numbers, so edits above a schema do not
  // make docs/OPERATORS.md stale.
  EXPECT_THAT(r.out, HasSubstr("Defined in `ops/selu_op.cc` (built-in)."));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
