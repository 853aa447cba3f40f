// `opgraph bench`: output structure, JSON validity, flags and error paths.
// Functional only: no assertion depends on how long anything takes.
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"
#include "tools/commands.h"

namespace opgraph {
namespace {

using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::TestPath;
using ::opgraph::testing::WriteTestFile;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out, err;
};

Result Cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  cli::CliIO io{out, err};
  const int code = cli::RunCli(args, io);
  return {code, out.str(), err.str()};
}

// A strict validator for the JSON subset the tool prints (RFC 8259 syntax,
// no extensions): true when `s` is exactly one JSON value.
class Json {
 public:
  explicit Json(const std::string& s) : s_(s) {}
  bool Valid() {
    Space();
    if (!Value()) return false;
    Space();
    return i_ == s_.size();
  }

 private:
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool Lit(const char* w) {
    const std::string word(w);
    if (s_.compare(i_, word.size(), word) != 0) return false;
    i_ += word.size();
    return true;
  }
  bool Value() {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Container('}', true);
    if (c == '[') return Container(']', false);
    if (c == '"') return String();
    if (c == 't') return Lit("true");
    if (c == 'f') return Lit("false");
    if (c == 'n') return Lit("null");
    return Number();
  }
  bool Container(char close, bool object) {
    ++i_;
    Space();
    if (i_ < s_.size() && s_[i_] == close) return ++i_, true;
    while (true) {
      Space();
      if (object) {
        if (!String()) return false;
        Space();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        Space();
      }
      if (!Value()) return false;
      Space();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == close) return ++i_, true;
      return false;
    }
  }
  bool String() {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    for (++i_; i_ < s_.size(); ++i_) {
      const unsigned char c = s_[i_];
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        if (s_[i_] == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_])))
              return false;
          }
        } else if (std::string("\"\\/bfnrt").find(s_[i_]) == std::string::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Digits() {
    const size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start;
  }
  bool Number() {
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!Digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!Digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!Digits()) return false;
    }
    return true;
  }
  const std::string& s_;
  size_t i_ = 0;
};

constexpr char kNet[] = R"pb(
  name: "small"
  external_input: "x"
  op { type: "Selu" input: "x" output: "h" name: "act" }
  op { type: "Selu" input: "h" output: "g" }
  op { type: "Softmax" input: "g" output: "y" name: "prob" }
  external_output: "y"
)pb";

class BenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = WriteTestFile("net.pbtxt", kNet);
    x_ = TestPath("x.npy");
    ASSERT_TRUE(WriteTensorFile(x_, MakeTensor<float>({2, 3}, {1, -2, 3, -4, 5, -6}), "x").ok());
  }
  std::string net_, x_;
};

TEST(JsonTest, CheckerAcceptsAndRejects) {
  EXPECT_TRUE(Json(R"({"a": [1, -2.5e3, "x\n", true, null], "b": {}})").Valid());
  EXPECT_FALSE(Json(R"({"a": [1, 2,]})").Valid());
  EXPECT_FALSE(Json(R"({"a" 1})").Valid());
  EXPECT_FALSE(Json(R"({"a": nan})").Valid());
  EXPECT_FALSE(Json(R"({"a": 1} x)").Valid());
}

TEST_F(BenchTest, TextOutputHasWholeNetAndPerOperatorTables) {
  // --no-optimize: the per-operator rows of the net as written.
  Result r =
      Cli({"bench", net_, "--input", "x=" + x_, "--iters", "3", "--per-op", "--no-optimize"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("net 'small' (" + net_ + "): 3 operators, 1 warmup, 3 iterations"));
  EXPECT_THAT(r.out, HasSubstr("whole net: mean "));
  EXPECT_THAT(r.out, HasSubstr("median "));
  EXPECT_THAT(r.out, HasSubstr("per operator (3 runs each):"));
  EXPECT_THAT(r.out, HasSubstr("per operator type:"));
  EXPECT_THAT(r.out, HasSubstr("sum of per-operator means:"));
  // One row per operator, in order, with its name; shares add up to 100%.
  const std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  std::vector<std::string> rows;
  double total_share = 0;
  for (const std::string& line : lines) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() == 7 && (f[0] == "0" || f[0] == "1" || f[0] == "2")) {
      rows.push_back(f[1] + "/" + f[2]);
      ASSERT_TRUE(absl::EndsWith(f[6], "%")) << line;
      total_share += std::stod(f[6].substr(0, f[6].size() - 1));
    }
  }
  EXPECT_THAT(rows, ::testing::ElementsAre("Selu/act", "Selu/-", "Softmax/prob"));
  EXPECT_NEAR(total_share, 100.0, 0.2);
  // The memory plan ran: h and g share one blob (Selu in place).
  EXPECT_THAT(r.out, HasSubstr("memory plan: 4 blobs -> 3"));
}

// By default bench times the net `opgraph run` would run: the second Selu
// and the Softmax fused into one SeluSoftmax.
TEST_F(BenchTest, FusesLikeRunByDefaultAndTakesThreads) {
  Result r =
      Cli({"bench", net_, "--input", "x=" + x_, "--iters", "2", "--per-op", "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("): 2 operators"));
  EXPECT_THAT(r.out, HasSubstr("SeluSoftmax"));
  Result bad = Cli({"bench", net_, "--input", "x=" + x_, "--threads", "0"});
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("--threads"));
}

TEST_F(BenchTest, WithoutPerOpOnlyTheWholeNet) {
  Result r = Cli({"bench", net_, "--input", "x=" + x_, "--iters", "2", "--no-memory-plan"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("whole net: mean "));
  EXPECT_THAT(r.out, HasSubstr("memory plan: off"));
  EXPECT_THAT(r.out, Not(HasSubstr("per operator")));
}

TEST_F(BenchTest, JsonIsValidAndComplete) {
  Result r = Cli({"bench", net_, "--input", "x=" + x_, "--iters", "4", "--warmup", "0", "--per-op",
                  "--json", "--no-optimize"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Json(r.out).Valid()) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["net"], "small");
  EXPECT_EQ(j["file"], net_);
  EXPECT_EQ(j["operators"], 3);
  EXPECT_EQ(j["warmup"], 0);
  EXPECT_EQ(j["iterations"], 4);
  EXPECT_EQ(j["memory_plan"]["enabled"], true);
  EXPECT_EQ(j["memory_plan"]["blobs_before"], 4);
  EXPECT_EQ(j["memory_plan"]["blobs_after"], 3);
  EXPECT_GE(j["memory_plan"]["bytes_before"].get<int64_t>(),
            j["memory_plan"]["bytes_after"].get<int64_t>());
  EXPECT_EQ(j["optimize"]["enabled"], false);
  EXPECT_TRUE(j["optimize"]["passes_changed"].empty());
  for (const char* key : {"mean_us", "median_us", "min_us", "max_us"}) {
    ASSERT_TRUE(j["net_time"][key].is_number()) << key;
  }
  EXPECT_LE(j["net_time"]["min_us"].get<double>(), j["net_time"]["max_us"].get<double>());
  ASSERT_EQ(j["per_op"].size(), 3u);
  EXPECT_EQ(j["per_op"][2]["type"], "Softmax");
  EXPECT_EQ(j["per_op"][2]["name"], "prob");
  EXPECT_EQ(j["per_op"][2]["index"], 2);
  EXPECT_TRUE(j["per_op"][2]["outputs"].is_array());
  EXPECT_TRUE(j["per_op"][2]["time"]["median_us"].is_number());
  double shares = 0;
  for (const auto& op : j["per_op"]) shares += op["share"].get<double>();
  EXPECT_NEAR(shares, 1.0, 1e-9);
  ASSERT_EQ(j["per_type"].size(), 2u);
  EXPECT_EQ(j["per_type"][0]["type"], "Selu");
  EXPECT_EQ(j["per_type"][0]["count"], 2);
  EXPECT_TRUE(j["per_type"][0]["total_mean_us"].is_number());
  EXPECT_TRUE(j["sum_of_op_means_us"].is_number());

  Result plain = Cli({"bench", net_, "--input", "x=" + x_, "--iters", "1", "--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const nlohmann::json p = nlohmann::json::parse(plain.out);
  EXPECT_FALSE(p.contains("per_op"));
  EXPECT_FALSE(p.contains("per_type"));
  // Fused by default: the report says which pass changed the net.
  EXPECT_EQ(p["operators"], 2);
  EXPECT_EQ(p["optimize"]["passes_changed"], nlohmann::json::array({"FuseSeluSoftmax"}));
}

TEST_F(BenchTest, ProgressGoesToStderr) {
  Result r = Cli({"bench", net_, "--input", "x=" + x_, "--iters", "3", "--warmup", "2", "--per-op",
                  "--progress", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("opgraph bench: warmup, 1 of 8 runs done"));
  EXPECT_THAT(r.err, HasSubstr("opgraph bench: whole net, 5 of 8 runs done"));
  EXPECT_THAT(r.err, HasSubstr("opgraph bench: per operator, 8 of 8 runs done"));
  EXPECT_THAT(r.out, Not(HasSubstr("runs done")));
  // The default interval (1 s) stays quiet on a run this short... unless
  // the machine stalls for a second; then a line is still well-formed.
  Result quiet = Cli({"bench", net_, "--input", "x=" + x_, "--iters", "2"});
  ASSERT_EQ(quiet.code, 0);
  EXPECT_THAT(quiet.out, Not(HasSubstr("runs done")));
}

TEST_F(BenchTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"bench"},
           {"bench", net_, "--iters", "0"},
           {"bench", net_, "--iters", "ten"},
           {"bench", net_, "--warmup", "-1"},
           {"bench", net_, "--progress", "-2"},
           {"bench", net_, "--nope"},
           {"bench", net_, "--json=yes"},
           {"bench", net_, "--input", "=x"},
           {"bench", net_, "--input", "x=" + x_, "--input", "x=" + x_},
       }) {
    Result r = Cli(args);
    EXPECT_EQ(r.code, 2) << args.back() << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("opgraph bench: ")) << args.back();
    EXPECT_THAT(r.err, HasSubstr("--help")) << args.back();
  }
  Result r = Cli({"bench", net_, "--iters", "0"});
  EXPECT_THAT(r.err, HasSubstr("--iters wants an integer from 1"));
}

TEST_F(BenchTest, FailuresExitOneAndSayWhat) {
  Result missing_file = Cli({"bench", TestPath("absent.pbtxt")});
  EXPECT_EQ(missing_file.code, 1);
  EXPECT_THAT(missing_file.err, HasSubstr("absent.pbtxt"));

  Result missing_input = Cli({"bench", net_});
  EXPECT_EQ(missing_input.code, 1);
  EXPECT_THAT(missing_input.err, HasSubstr("x: "));
  EXPECT_THAT(missing_input.err, HasSubstr("--input NAME=FILE"));

  Result unread = Cli({"bench", net_, "--input", "x=" + x_, "--input", "z=" + x_});
  EXPECT_EQ(unread.code, 1);
  EXPECT_THAT(unread.err, HasSubstr("does not read a blob named 'z'"));

  // Softmax of a rank-0 tensor fails shape inference at net creation.
  const std::string scalar = TestPath("s.npy");
  ASSERT_TRUE(WriteTensorFile(scalar, MakeTensor<float>({}, {1}), "x").ok());
  Result bad = Cli({"bench", net_, "--input", "x=" + scalar});
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, HasSubstr("Softmax"));
}

TEST(BenchHelpTest, ListedAndDocumented) {
  Result main_help = Cli({"--help"});
  EXPECT_THAT(main_help.out, HasSubstr("  bench "));
  Result help = Cli({"bench", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* flag : {"--init INIT_NET", "--input NAME=FILE", "--warmup N", "--iters N",
                           "--per-op", "--json", "--no-memory-plan", "--progress SECONDS"}) {
    EXPECT_THAT(help.out, HasSubstr(flag));
  }
}

TEST_F(BenchTest, TheBinaryRunsIt) {
  testing::CliResult r =
      testing::RunOpgraph({"bench", net_, "--input", "x=" + x_, "--iters", "2", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Json(r.out).Valid()) << r.out;
}

}  // namespace
}  // namespace opgraph

namespace opgraph {
namespace {

// `opgraph run` plans memory by default; what it prints is unchanged, and
// an intermediate asked for with --output keeps its value.
TEST_F(BenchTest, RunPlansMemoryButPrintsTheSameBlobs) {
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {}, {"--output", "h=-", "--output", "y=-"}, {"--output", "g=-"}}) {
    std::vector<std::string> planned = {"run", net_, "--input", "x=" + x_};
    planned.insert(planned.end(), extra.begin(), extra.end());
    std::vector<std::string> plain = planned;
    plain.push_back("--no-memory-plan");
    Result a = Cli(planned), b = Cli(plain);
    ASSERT_EQ(a.code, 0) << a.err;
    ASSERT_EQ(b.code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_FALSE(a.out.empty());
  }
  Result help = Cli({"run", "--help"});
  EXPECT_THAT(help.out, HasSubstr("--no-memory-plan"));
}

}  // namespace
}  // namespace opgraph
