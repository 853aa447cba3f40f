// A workspace's total memory budget (WorkspaceOptions::memory_budget_bytes)
// is checked before anything is allocated: at net creation, when a net
// prepares again, and in FeedBlob. Tensors each under the per-tensor limit
// cannot add up past it.
#include <string>
#include <vector>

#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::opgraph::testing::FloatArg;
using ::opgraph::testing::IntsArg;
using ::opgraph::testing::MakeOp;
using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// `n` ConstantFills of `floats` floats each, into F0, F1, ...
NetDef Fills(int n, int64_t floats) {
  NetDef net;
  net.set_name("fills");
  for (int i = 0; i < n; ++i) {
    *net.add_op() = MakeOp("ConstantFill", {}, {"F" + std::to_string(i)},
                           {IntsArg("shape", {floats}), FloatArg("value", 1)});
  }
  return net;
}

WorkspaceOptions Budget(int64_t bytes) {
  WorkspaceOptions o;
  o.memory_budget_bytes = bytes;
  return o;
}

TEST(MemoryBudgetTest, DefaultIsThreeQuartersOfPhysicalMemory) {
  const int64_t budget = DefaultMemoryBudgetBytes();
  EXPECT_GT(budget, int64_t{64} << 20);
  EXPECT_EQ(Workspace().options().memory_budget_bytes, budget);
}

TEST(MemoryBudgetTest, NetCreationOverTheBudgetAllocatesNothing) {
  Workspace ws(Budget(int64_t{1} << 20));  // 1 MiB
  // Two fills of 512 KiB fit exactly; a third does not.
  ASSERT_TRUE(ws.CreateNet(Fills(2, 128 << 10)).ok());
  EXPECT_EQ(ws.UsedBytes(), int64_t{1} << 20);
  ASSERT_TRUE(ws.DeleteNet("fills").ok());
  Workspace fresh(Budget(int64_t{1} << 20));
  absl::StatusOr<Net*> net = fresh.CreateNet(Fills(3, 128 << 10));
  EXPECT_THAT(net.status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("net 'fills'"), HasSubstr("needs 1572864 more bytes"),
                             HasSubstr("memory budget is 1048576 bytes"),
                             HasSubstr("WorkspaceOptions::memory_budget_bytes"))));
  EXPECT_TRUE(fresh.Blobs().empty());
  EXPECT_EQ(fresh.UsedBytes(), 0);
}

// Three fills of 15 GiB, each under the 16 GiB per-tensor limit, under a
// 32 GiB budget: refused before any of the 45 GiB is allocated.
TEST(MemoryBudgetTest, TensorsUnderThePerTensorLimitCannotAddUpPastTheBudget) {
  Workspace ws(Budget(int64_t{32} << 30));
  const int64_t floats = (int64_t{15} << 30) / 4;
  absl::StatusOr<Net*> net = ws.CreateNet(Fills(3, floats));
  EXPECT_THAT(net.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                     HasSubstr("memory budget is 34359738368 bytes")));
  EXPECT_TRUE(ws.Blobs().empty());
}

TEST(MemoryBudgetTest, FeedBlobCountsTheReplacedBlobAsFreed) {
  Workspace ws(Budget(4096));
  const std::vector<float> k512(512, 1.0f);  // 2 KiB
  ASSERT_TRUE(ws.FeedBlob("A", MakeTensor<float>({512}, k512)).ok());
  ASSERT_TRUE(ws.FeedBlob("B", MakeTensor<float>({512}, k512)).ok());
  EXPECT_EQ(ws.UsedBytes(), 4096);
  // Replacing A with a tensor of the same size fits; a third blob does not.
  ASSERT_TRUE(ws.FeedBlob("A", MakeTensor<float>({512}, k512)).ok());
  absl::Status s = ws.FeedBlob("C", MakeTensor<float>({1}, {1}));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          AllOf(HasSubstr("feeding blob 'C'"), HasSubstr("budget is 4096"))));
  EXPECT_FALSE(ws.HasBlob("C"));
  // The copying FeedBlob refuses before it copies.
  const Tensor big = MakeTensor<float>({1024}, std::vector<float>(1024, 2.0f));
  s = ws.FeedBlob("A", big);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ws.GetBlob("A")->numel(), 512);
  // Removing a blob frees its share.
  ASSERT_TRUE(ws.RemoveBlob("B").ok());
  EXPECT_TRUE(ws.FeedBlob("C", MakeTensor<float>({1}, {1})).ok());
}

// A net that grows when its input grows prepares again before its next run;
// over the budget, that run fails before any operator and changes nothing.
TEST(MemoryBudgetTest, PreparingAgainChecksTheBudget) {
  Workspace ws(Budget(8192));
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({4}, {1, 2, 3, 4})).ok());
  NetDef def;
  def.set_name("grow");
  *def.add_op() = MakeOp("Copy", {"X"}, {"Y"});
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  // X of 6 KiB fits (6 KiB + 16 bytes of Y); Y would need 6 KiB more.
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({1536}, std::vector<float>(1536, 5.0f))).ok());
  absl::Status s = (*net)->Run();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                          AllOf(HasSubstr("net 'grow'"), HasSubstr("budget is 8192"))));
  EXPECT_EQ(ws.GetBlob("Y")->numel(), 4);
  // Smaller again, it runs.
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({8}, std::vector<float>(8, 6.0f))).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("Y")->numel(), 8);
}

}  // namespace
}  // namespace opgraph
