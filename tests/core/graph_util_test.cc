#include "core/graph_util.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace opgraph {
namespace {

using ::opgraph::testing::IsOk;
using ::opgraph::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NetDef Parse(const std::string& text) {
  NetDef net;
  CHECK(google::protobuf::TextFormat::ParseFromString(text, &net)) << text;
  return net;
}

// #0 reads X twice; #2 overwrites A in place.
constexpr char kNet[] = R"(
op { type: "Sum" input: "X" input: "X" output: "A" }
op { type: "Copy" input: "A" output: "B" }
op { type: "Selu" input: "A" output: "A" }
op { type: "Copy" input: "Y" output: "C" }
external_output: "C"
)";

TEST(GraphUtilTest, ReadsWritesAndCounts) {
  const NetDef net = Parse(kNet);
  EXPECT_TRUE(Reads(net.op(0), "X"));
  EXPECT_FALSE(Reads(net.op(0), "A"));
  EXPECT_TRUE(Writes(net.op(0), "A"));
  EXPECT_FALSE(Writes(net.op(1), "A"));
  EXPECT_EQ(CountReads(net, "X"), 2);
  EXPECT_EQ(CountReads(net, "A"), 2);
  EXPECT_EQ(CountReads(net, "C"), 0);
}

TEST(GraphUtilTest, LastAccessBeforeAndWrittenBetween) {
  const NetDef net = Parse(kNet);
  EXPECT_EQ(LastAccessBefore(net, 3, "A"), 2);
  EXPECT_EQ(LastAccessBefore(net, 2, "A"), 1);
  EXPECT_EQ(LastAccessBefore(net, 1, "X"), 0);
  EXPECT_EQ(LastAccessBefore(net, 0, "X"), -1);
  EXPECT_EQ(LastAccessBefore(net, 4, "Y"), 3);
  EXPECT_TRUE(WrittenBetween(net, 1, 3, "A"));
  EXPECT_FALSE(WrittenBetween(net, 0, 2, "A"));  // #0 and #2 themselves do not count.
  EXPECT_FALSE(WrittenBetween(net, 0, 1, "A"));
}

TEST(GraphUtilTest, KeptBlobsAreProtectedAndExternalOutputs) {
  PassContext ctx;
  ctx.protected_blobs = {"B"};
  EXPECT_THAT(KeptBlobs(Parse(kNet), ctx), ElementsAre("B", "C"));
}

TEST(GraphUtilTest, InputTypesPerOpSeesEachOperatorsOwnInputs) {
  // A is [2, 3] when #1 reads it and [5] when #3 does.
  const NetDef net = Parse(R"(
op { type: "Copy" input: "X" output: "A" }
op { type: "Copy" input: "A" output: "B" }
op { type: "ConstantFill" output: "A" arg { name: "shape" ints: 5 } }
op { type: "Copy" input: "A" output: "C" }
)");
  TypeMap types = {{"X", TensorType{DType::kFloat32, {2, 3}}}};
  absl::StatusOr<std::vector<std::vector<TensorType>>> per_op = InputTypesPerOp(net, types);
  ASSERT_THAT(per_op, IsOk());
  ASSERT_EQ(per_op->size(), 4u);
  ASSERT_EQ((*per_op)[1].size(), 1u);
  EXPECT_EQ((*per_op)[1][0].dims, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE((*per_op)[2].empty());
  ASSERT_EQ((*per_op)[3].size(), 1u);
  EXPECT_EQ((*per_op)[3][0].dims, (std::vector<int64_t>{5}));
  EXPECT_THAT(InputTypesPerOp(net, {}), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'X'")));
}

}  // namespace
}  // namespace opgraph
