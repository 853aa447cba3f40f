// The CLI helpers in-process: usage errors, tensor printing, small utilities.
// Flag parsing is tested through RunCli in cli_flags_test.cc.
#include "tools/cli_common.h"

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace cli {
namespace {

using ::opgraph::testing::MakeTensor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(UsageErrorTest, MarksOnlyUsageErrors) {
  EXPECT_TRUE(IsUsageError(UsageError("bad flag")));
  EXPECT_EQ(UsageError("bad flag").message(), "bad flag");
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("not usage")));
}

TEST(ParseThreadsTest, RangeAndSyntax) {
  absl::StatusOr<int> two = ParseThreads("2");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*two, 2);
  for (const char* bad : {"0", "-1", "two", "", "100000"}) {
    absl::StatusOr<int> r = ParseThreads(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(IsUsageError(r.status())) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--threads")) << bad;
  }
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

// A zero-element tensor with a huge dimension prints a few empty rows
// around "...", at once (a list of its 2^40 indices would never finish).
TEST(FormatTensorTest, ZeroElementsWithAHugeDimension) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {1, int64_t{1} << 40, 0}).ok());
  EXPECT_EQ(FormatTensor("z", t),
            "z: float32[1, 1099511627776, 0]\n[[[],\n  [],\n  [],\n  ...,\n  [],\n  [],\n  "
            "[]]]\n");
}

// Length-2 axes nested 30 deep: 2^30 elements, of which a bounded number
// is shown; deep axes show their first entry and "...".
TEST(FormatTensorTest, DeeplyNestedShortAxesAreElided) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kBool, std::vector<int64_t>(30, 2)).ok());
  // Only the elements printed are touched; zero the first pages for them.
  std::memset(t.raw_mutable_data(), 0, 1 << 16);
  std::ostringstream out;
  PrintTensor(out, "b", t);
  const std::string text = out.str();
  // Bounded by the values shown times the rank squared (each elided axis
  // adds a line break per axis below it), never by the 2^30 elements.
  EXPECT_LT(text.size(), size_t{6000} * 30 * 30);
  EXPECT_THAT(text, HasSubstr("..."));
  const size_t values = [&] {
    size_t n = 0;
    for (size_t p = text.find("False"); p != std::string::npos; p = text.find("False", p + 1)) {
      ++n;
    }
    return n;
  }();
  EXPECT_GT(values, 1000u);
  EXPECT_LE(values, 6000u);
  // Every axis is opened: the values start after 30 brackets.
  EXPECT_NE(text.find("\n" + std::string(30, '[') + "False"), std::string::npos);
}

TEST(FormatTensorTest, ShortAxesAreElidedOnceTheShownCountIsLarge) {
  // 2^12 = 4096 elements over the threshold; with threshold 8 and 1 edge
  // item, at most 16 entries multiply before inner axes show one.
  std::vector<float> v(4096);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  PrintOptions o;
  o.threshold = 8;
  o.edge_items = 1;
  const std::string text = FormatTensor("f", MakeTensor<float>(std::vector<int64_t>(12, 2), v), o);
  // 16 values: the first entry of the 8 inner axes under each of the 16
  // combinations of the 4 outer ones (0, 256, ..., 3840).
  EXPECT_THAT(text, HasSubstr("[[[[[[[[3840, ...],"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("4095")));
  EXPECT_LT(text.size(), 3000u);
}

TEST(JoinBoundedTest, ListsSixteenAndCounts) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("n" + std::to_string(i));
  EXPECT_EQ(JoinBounded({"a", "b"}), "a, b");
  const std::string joined = JoinBounded(names);
  EXPECT_THAT(joined, HasSubstr("n15 (and 4 more)"));
  EXPECT_THAT(joined, ::testing::Not(HasSubstr("n16")));
}

TEST(NetReadsTest, DuplicateExternalInputsCountOnce) {
  NetDef net;
  for (int i = 0; i < 1000; ++i) net.add_external_input("X");
  net.add_external_input("Y");
  EXPECT_THAT(NetReads(net), ElementsAre("X", "Y"));
}

TEST(NetReadsTest, ExternalInputsThenReadBeforeWritten) {
  NetDef net;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"(
    op { type: "Selu" input: "A" output: "B" }
    op { type: "Sum" input: "B" input: "C" input: "A" output: "D" }
    external_input: "W"
  )",
                                                            &net));
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
