// The contract of docs/SECURITY.md ("When operator k fails") for a net
// whose operator k fails while running, here SoftmaxWithLoss on a label
// outside [0, D), too large or negative:
//   - the blobs written by operators 0..k-1 hold what they wrote in this run;
//   - operator k's outputs have the type and shape inferred for them, and
//     unspecified values;
//   - every other blob (never written by 0..k, including blobs only later
//     operators write) keeps its type, shape and bytes;
//   - the net and workspace stay usable: a good run afterwards gives the
//     same results as before.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::AllOf;
using testing::FloatArg;
using ::testing::HasSubstr;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::ToVector;

struct BlobState {
  TensorType type;
  std::string bytes;
  bool operator==(const BlobState& o) const { return type == o.type && bytes == o.bytes; }
};

std::map<std::string, BlobState> State(const Workspace& ws) {
  std::map<std::string, BlobState> out;
  for (const std::string& name : ws.Blobs()) {
    const Tensor* t = ws.GetBlob(name);
    if (!t->initialized()) continue;
    out[name] = {t->type(), std::string(static_cast<const char*>(t->raw_data()), t->nbytes())};
  }
  return out;
}

class FailingOperatorTest : public ::testing::TestWithParam<std::vector<int32_t>> {};

TEST_P(FailingOperatorTest, SoftmaxWithLossOnABadLabelFollowsTheContract) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 3}, {0.5f, 1, 2, 3, 0.25f, 1})).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, {0, 2})).ok());
  ASSERT_TRUE(ws.FeedBlob("other", MakeTensor<float>({2}, {9, 8})).ok());
  NetDef def;
  def.set_name("train");
  *def.add_op() = MakeOp("Selu", {"X"}, {"Y"});                               // #0
  *def.add_op() = MakeOp("SoftmaxWithLoss", {"Y", "labels"}, {"P", "loss"});  // #1
  *def.add_op() = MakeOp("Copy", {"loss"}, {"loss_copy"});                    // #2
  *def.add_op() = MakeOp("ConstantFill", {}, {"later"},                       // #3
                         {IntsArg("shape", {3}), FloatArg("value", 7)});
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  const std::map<std::string, BlobState> good = State(ws);

  // New X (operator #0's input) and a bad label: operator #1 fails.
  const std::vector<float> x2 = {4, 0.75f, 1.5f, 2.5f, 3, 0.125f};
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 3}, x2)).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, GetParam())).ok());
  const std::map<std::string, BlobState> before = State(ws);
  absl::Status s = (*net)->Run();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  const int bad_row = GetParam()[0] == 0 ? 1 : 0;
  EXPECT_THAT(std::string(s.message()),
              AllOf(HasSubstr("net 'train' operator #1 SoftmaxWithLoss"),
                    HasSubstr(absl::StrCat("label of row ", bad_row, " is ", GetParam()[bad_row],
                                           "; expected 0 to 2"))));
  const std::map<std::string, BlobState> after = State(ws);

  // Operator #0 ran: Y = selu(x2) = scale * x2 for these positive values
  // (scale is Selu's default 1.0507009873554805, as float32).
  const float scale = 1.0507009873554805f;
  std::vector<float> y_want;
  for (float v : x2) y_want.push_back(scale * v);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("Y")), y_want);
  // Operator #1's outputs: inferred type and shape; values unspecified.
  EXPECT_EQ(after.at("P").type, (TensorType{DType::kFloat32, {2, 3}}));
  EXPECT_EQ(after.at("loss").type, good.at("loss").type);
  // Everything else: as before the run, byte for byte.
  for (const char* name : {"X", "labels", "other", "loss_copy", "later"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(after.at(name) == before.at(name));
  }
  EXPECT_EQ(after.size(), before.size());

  // Usable afterwards: the first inputs again give the first results.
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 3}, {0.5f, 1, 2, 3, 0.25f, 1})).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, {0, 2})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  const std::map<std::string, BlobState> again = State(ws);
  for (const char* name : {"Y", "P", "loss", "loss_copy", "later"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(again.at(name) == good.at(name));
  }
}

INSTANTIATE_TEST_SUITE_P(Labels, FailingOperatorTest,
                         ::testing::Values(std::vector<int32_t>{0, 3},     // == D
                                           std::vector<int32_t>{0, 100},   // > D
                                           std::vector<int32_t>{-1, 0}));  // negative

}  // namespace
}  // namespace opgraph
