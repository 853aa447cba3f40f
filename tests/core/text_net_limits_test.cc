// The operator limit for text nets holds before parsing: ReadNetFile counts
// the top-level `op` fields of text (a .pbtxt name, or a .pb file that is
// not binary) with a scan that skips strings, comments and nested messages,
// and refuses a net over NetLimits::max_ops without parsing it. Nested
// nets (operators inside arguments) are counted after parsing, by
// CheckNetLimits.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace opgraph {
namespace {

using ::testing::HasSubstr;

std::string TextNet(int ops) {
  std::string text = "name: \"many\"  # op op op in a comment\n";
  for (int i = 0; i < ops; ++i) {
    absl::StrAppend(&text, "op { type: \"Copy\" name: \"op { op\" input: \"x", i, "\" output: \"y",
                    i, "\" }\n");
  }
  absl::StrAppend(&text, "external_input: \"op\"\n");
  return text;
}

std::string WriteNet(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/text_net_limits_" + name;
  EXPECT_TRUE(WriteStringToFile(path, text).ok());
  return path;
}

TEST(TextNetLimitsTest, OperatorLimitIsAppliedBeforeParsing) {
  NetLimits limits;
  limits.max_ops = 100;
  for (const std::string ext : {".pbtxt", ".pb"}) {
    SCOPED_TRACE(ext);
    absl::StatusOr<NetDef> net = ReadNetFile(WriteNet("at" + ext, TextNet(100)), {}, limits);
    ASSERT_TRUE(net.ok()) << net.status();
    EXPECT_EQ(net->op_size(), 100);
    net = ReadNetFile(WriteNet("over" + ext, TextNet(101)), {}, limits);
    EXPECT_EQ(net.status().code(), absl::StatusCode::kResourceExhausted) << net.status();
    EXPECT_THAT(std::string(net.status().message()),
                HasSubstr("more than 100 operators, over the limit NetLimits::max_ops (found "
                          "while reading, before parsing)"));
  }
}

// The scan stops at max_ops + 1: a text net of far more operators than the
// limit, which could not even be parsed (a syntax error at its end), is
// refused for its size, not parsed.
TEST(TextNetLimitsTest, OversizedTextNetIsNeverParsed) {
  NetLimits limits;
  limits.max_ops = 1000;
  const std::string path = WriteNet("huge.pbtxt", TextNet(200000) + "op { this does not parse");
  absl::StatusOr<NetDef> net = ReadNetFile(path, {}, limits);
  EXPECT_EQ(net.status().code(), absl::StatusCode::kResourceExhausted) << net.status();
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("before parsing"));
}

// Operators of nets nested in arguments are not top-level: the scan leaves
// them to CheckNetLimits, which still refuses the total after parsing.
TEST(TextNetLimitsTest, NestedOperatorsAreCountedAfterParsing) {
  NetLimits limits;
  limits.max_ops = 3;
  std::string text = "op { type: \"Copy\" input: \"a\" output: \"b\" arg { name: \"body\" n {";
  for (int i = 0; i < 3; ++i) absl::StrAppend(&text, " op { type: \"Copy\" }");
  absl::StrAppend(&text, " } } }\n");
  absl::StatusOr<NetDef> net = ReadNetFile(WriteNet("nested.pbtxt", text), {}, limits);
  EXPECT_EQ(net.status().code(), absl::StatusCode::kResourceExhausted) << net.status();
  EXPECT_THAT(std::string(net.status().message()), HasSubstr("NetLimits::max_ops"));
  EXPECT_THAT(std::string(net.status().message()), ::testing::Not(HasSubstr("before parsing")));
}

}  // namespace
}  // namespace opgraph
