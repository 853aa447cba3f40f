// The CLI helpers in-process: flag parsing, tensor printing, small utilities.
#include "tools/cli_common.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "google/protobuf/text_format.h"
#include "tests/test_util.h"

namespace opgraph {
namespace cli {
namespace {

using ::opgraph::testing::MakeTensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<FlagSpec> kFlags = {
    {"init", 0, FlagSpec::Kind::kValue, "FILE", ""},
    {"input", 0, FlagSpec::Kind::kRepeated, "NAME=FILE", ""},
    {"json", 0, FlagSpec::Kind::kBool, "", ""},
    {"output", 'o', FlagSpec::Kind::kValue, "FILE", ""},
};

TEST(ParseArgsTest, FormsOfFlags) {
  absl::StatusOr<ParsedArgs> a =
      ParseArgs(kFlags, {"net.pb", "--init=i.pb", "--input", "X=x.npy", "--input=Y=y.npy", "-o",
                         "out.svg", "--json", "--", "--not-a-flag"});
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->positional(), ElementsAre("net.pb", "--not-a-flag"));
  EXPECT_EQ(a->Get("init"), "i.pb");
  EXPECT_THAT(a->GetAll("input"), ElementsAre("X=x.npy", "Y=y.npy"));
  EXPECT_EQ(a->Get("output"), "out.svg");
  EXPECT_TRUE(a->GetBool("json"));
  EXPECT_FALSE(a->Has("help"));
  EXPECT_EQ(a->Get("missing", "fallback"), "fallback");
  // -o=FILE and --output FILE are the same flag; "-" alone is positional.
  absl::StatusOr<ParsedArgs> b = ParseArgs(kFlags, {"-o=x.dot", "-"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Get("output"), "x.dot");
  EXPECT_THAT(b->positional(), ElementsAre("-"));
  absl::StatusOr<ParsedArgs> h = ParseArgs(kFlags, {"-h"});
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->GetBool("help"));
}

TEST(ParseArgsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--nope"}, "unknown flag --nope"},
           {{"-x"}, "unknown flag -x"},
           {{"--init"}, "flag --init needs a value (FILE)"},
           {{"--init", "a", "--init=b"}, "flag --init is given more than once"},
           {{"--json=true"}, "flag --json takes no value"},
       }) {
    absl::StatusOr<ParsedArgs> a = ParseArgs(kFlags, c.args);
    ASSERT_FALSE(a.ok()) << c.message;
    EXPECT_TRUE(IsUsageError(a.status()));
    EXPECT_THAT(a.status().message(), HasSubstr(c.message));
  }
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("not usage")));
}

TEST(SplitNameValueTest, Cases) {
  absl::StatusOr<std::pair<std::string, std::string>> ok = SplitNameValue("X=a=b.npy", "--input");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "X");
  EXPECT_EQ(ok->second, "a=b.npy");
  for (const char* bad : {"X", "=a", "X=", ""}) {
    absl::StatusOr<std::pair<std::string, std::string>> r = SplitNameValue(bad, "--input");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(IsUsageError(r.status()));
  }
}

TEST(FormatTensorTest, DtypesAndShapes) {
  EXPECT_EQ(FormatTensor("s", MakeTensor<float>({}, {0.1f})), "s: float32[]\n0.100000001\n");
  EXPECT_EQ(FormatTensor("e", MakeTensor<float>({0}, {})), "e: float32[0]\n[]\n");
  EXPECT_EQ(FormatTensor("e2", MakeTensor<double>({2, 0}, {})), "e2: float64[2, 0]\n[[],\n []]\n");
  EXPECT_EQ(FormatTensor("i", MakeTensor<int64_t>({3}, {-9000000000LL, 0, 7})),
            "i: int64[3]\n[-9000000000,           0,           7]\n");
  EXPECT_EQ(FormatTensor("u", MakeTensor<uint8_t>({2}, {255, 3})), "u: uint8[2]\n[255,   3]\n");
  Tensor b;
  ASSERT_TRUE(b.Resize(DType::kBool, {2}).ok());
  b.mutable_data<bool>()[0] = true;
  b.mutable_data<bool>()[1] = false;
  EXPECT_EQ(FormatTensor("b", b), "b: bool[2]\n[ True, False]\n");
  // Rank 3: a blank line between the 2-D blocks, as numpy prints.
  EXPECT_EQ(FormatTensor("t", MakeTensor<int32_t>({2, 1, 2}, {1, 2, 3, 4})),
            "t: int32[2, 1, 2]\n[[[1, 2]],\n\n [[3, 4]]]\n");
  // Non-finite values.
  EXPECT_EQ(FormatTensor("n", MakeTensor<float>({3}, {NAN, INFINITY, -INFINITY})),
            "n: float32[3]\n[ nan,  inf, -inf]\n");
}

TEST(FormatTensorTest, Elision) {
  std::vector<float> v(2000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  EXPECT_EQ(FormatTensor("v", MakeTensor<float>({2000}, v)),
            "v: float32[2000]\n[   0,    1,    2, ..., 1997, 1998, 1999]\n");
  // Under the threshold nothing is elided; a small threshold elides.
  const Tensor small = MakeTensor<float>({8}, {0, 1, 2, 3, 4, 5, 6, 7});
  EXPECT_EQ(FormatTensor("w", small), "w: float32[8]\n[0, 1, 2, 3, 4, 5, 6, 7]\n");
  PrintOptions o;
  o.threshold = 4;
  o.edge_items = 2;
  EXPECT_EQ(FormatTensor("w", small, o), "w: float32[8]\n[0, 1, ..., 6, 7]\n");
}

TEST(NetReadsTest, ExternalInputsThenReadBeforeWritten) {
  NetDef net;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"(
    op { type: "Selu" input: "A" output: "B" }
    op { type: "Sum" input: "B" input: "C" input: "A" output: "D" }
    external_input: "W"
  )", &net));
  EXPECT_THAT(NetReads(net), ElementsAre("W", "A", "C"));
  EXPECT_THAT(DescribeFirstReader(net, "C"), HasSubstr("read by operator #1 Sum as input 1"));
  EXPECT_THAT(DescribeFirstReader(net, "W"), HasSubstr("not read by any operator"));
}

TEST(ExtensionTest, Cases) {
  EXPECT_EQ(Extension("a/b.NPY"), ".npy");
  EXPECT_EQ(Extension("a.b/c"), "");
  EXPECT_EQ(Extension("net.pbtxt"), ".pbtxt");
  EXPECT_EQ(Extension("noext"), "");
}

}  // namespace
}  // namespace cli
}  // namespace opgraph
