// Failures lose nothing: a net that fails at operator k leaves every blob
// that operators 0..k-1 did not write exactly as it was (compared byte by
// byte), and the workspace stays usable; a failed net creation changes
// nothing at all. (A failed plugin load leaving the registry as it was is
// proved by tests/plugins/plugin_test.cc, ExpectLoadFails.)
#include <map>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::MakeOp;
using testing::MakeTensor;
using testing::ToVector;

// Every blob: name, whether written, type, and bytes.
struct BlobState {
  bool initialized = false;
  TensorType type;
  std::string bytes;
  bool operator==(const BlobState& o) const {
    return initialized == o.initialized && type == o.type && bytes == o.bytes;
  }
};
using WorkspaceState = std::map<std::string, BlobState>;

WorkspaceState State(const Workspace& ws) {
  WorkspaceState out;
  for (const std::string& name : ws.Blobs()) {
    const Tensor* t = ws.GetBlob(name);
    BlobState s;
    s.initialized = t->initialized();
    if (s.initialized) {
      s.type = t->type();
      s.bytes.assign(static_cast<const char*>(t->raw_data()), t->nbytes());
    }
    out[name] = s;
  }
  return out;
}

// `state` without the given blobs.
WorkspaceState Without(WorkspaceState state, const std::vector<std::string>& names) {
  for (const std::string& n : names) state.erase(n);
  return state;
}

class NothingLostTest : public ::testing::Test {};

// Outputs are allocated when the net is created (and when it is prepared
// again), never by an operator halfway through a run: a shape beyond the
// workspace's tensor limit, or storage beyond its memory budget, fails
// creation, or the run before its first operator, and changes no blob.
TEST_F(NothingLostTest, AllocationFailureHappensBeforeAnyOperatorRuns) {
  NetDef def;
  def.set_name("k_fails");
  *def.add_op() = MakeOp("Copy", {"X"}, {"A"});
  *def.add_op() = MakeOp("Selu", {"A"}, {"B"});
  *def.add_op() = MakeOp("ConstantFill", {}, {"C"},
                         {testing::IntsArg("shape", {1024}), testing::FloatArg("value", 2)});
  *def.add_op() = MakeOp("Copy", {"C"}, {"D"});
  // Blobs that operators 2 and 3 write, holding older values, and one no
  // operator touches (4 KiB, freed below).
  auto feed = [](Workspace& ws) {
    ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({4}, {-1, 0, 1, 2})).ok());
    ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({3}, {7, 8, 9})).ok());
    ASSERT_TRUE(ws.FeedBlob("D", MakeTensor<int32_t>({2}, {5, 6})).ok());
    ASSERT_TRUE(ws.FeedBlob("U", MakeTensor<double>({512}, std::vector<double>(512, 3.5))).ok());
  };

  // Operator #2, made to fill 1025 floats, needs 4100 bytes, over a tensor
  // limit of 4096; operators #0 and #1 need 16 bytes.
  {
    WorkspaceOptions options;
    options.tensor.max_bytes = 4096;
    Workspace ws(options);
    feed(ws);
    NetDef bigger = def;
    bigger.mutable_op(2)->mutable_arg(0)->set_ints(0, 1025);
    const WorkspaceState before = State(ws);
    absl::StatusOr<Net*> refused = ws.CreateNet(bigger);
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
    EXPECT_NE(std::string(refused.status().message()).find("operator #2 ConstantFill"),
              std::string::npos)
        << refused.status();
    EXPECT_EQ(State(ws), before);
    EXPECT_FALSE(ws.HasBlob("A"));
  }

  // Under a memory budget of 16000 bytes: the fed blobs take 4132 bytes and
  // the net's outputs 8204 more, which fit. Growing X to 512 floats (2032
  // bytes more) fits too, but then A and B need 4064 more: the next run
  // fails while preparing, before operator #0.
  WorkspaceOptions options;
  options.memory_budget_bytes = 16000;
  Workspace ws(options);
  feed(ws);
  EXPECT_EQ(ws.UsedBytes(), 4132);
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(ws.UsedBytes(), 12336);
  ASSERT_TRUE((*net)->Run().ok());
  const WorkspaceState after_first = State(ws);
  ASSERT_TRUE(
      ws.FeedBlob("X", MakeTensor<float>(std::vector<int64_t>{512}, std::vector<float>(512, 1.0f)))
          .ok());
  absl::Status s = (*net)->Run();
  ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(std::string(s.message()).find("memory budget is 16000 bytes"), std::string::npos) << s;
  EXPECT_EQ(Without(State(ws), {"X"}), Without(after_first, {"X"}));

  // With U gone, the next run fits and computes everything.
  ASSERT_TRUE(ws.RemoveBlob("U").ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("D")->numel(), 1024);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("D")), std::vector<float>(1024, 2.0f));
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("A")), std::vector<float>(512, 1.0f));
  EXPECT_LE(ws.UsedBytes(), 16000);
}

TEST_F(NothingLostTest, DataErrorAtOperatorKKeepsBlobsItDidNotWrite) {
  // A label out of range is only visible at run time, inside the kernel.
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, {0, 2})).ok());
  NetDef def;
  def.set_name("labels");
  *def.add_op() = MakeOp("Selu", {"X"}, {"Y"});
  *def.add_op() = MakeOp("SoftmaxWithLoss", {"Y", "labels"}, {"P", "loss"});
  *def.add_op() = MakeOp("Copy", {"loss"}, {"loss_copy"});
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  const std::vector<float> good_loss = ToVector<float>(*ws.GetBlob("loss_copy"));

  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, {0, 3})).ok());
  const WorkspaceState before = State(ws);
  absl::Status s = (*net)->Run();
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(std::string(s.message()).find("operator #1 SoftmaxWithLoss"), std::string::npos);
  // Operator #1 may have written its own outputs; nothing else changed.
  EXPECT_EQ(Without(State(ws), {"Y", "P", "loss"}), Without(before, {"Y", "P", "loss"}));
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("loss_copy")), good_loss);

  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({2}, {0, 2})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("loss_copy")), good_loss);
}

TEST_F(NothingLostTest, InputShapeChangeFailingReinferenceChangesNothing) {
  testing::Rng rng(7);
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", testing::RandomTensor<float>({2, 3}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("W", testing::RandomTensor<float>({4, 3}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("b", testing::RandomTensor<float>({4}, rng, -1, 1)).ok());
  NetDef def;
  def.set_name("fc");
  *def.add_op() = MakeOp("FC", {"X", "W", "b"}, {"F"});
  *def.add_op() = MakeOp("Softmax", {"F"}, {"P"});
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  const Tensor good_x = testing::Copy(*ws.GetBlob("X"));
  const std::vector<float> good_p = ToVector<float>(*ws.GetBlob("P"));

  // X [2, 5] does not match W [4, 3]: inference fails before operator #0.
  ASSERT_TRUE(ws.FeedBlob("X", testing::RandomTensor<float>({2, 5}, rng, -1, 1)).ok());
  const WorkspaceState before = State(ws);
  absl::Status s = (*net)->Run();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("FC"), std::string::npos) << s;
  EXPECT_EQ(State(ws), before);

  // A float64 X is refused the same way.
  ASSERT_TRUE(ws.FeedBlob("X", testing::RandomTensor<double>({2, 3}, rng, -1, 1)).ok());
  const WorkspaceState before64 = State(ws);
  EXPECT_FALSE((*net)->Run().ok());
  EXPECT_EQ(State(ws), before64);

  ASSERT_TRUE(ws.FeedBlob("X", good_x).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("P")), good_p);
}

// Net definitions that fail creation at different stages, each after
// operators that would have created output blobs.
std::vector<std::pair<std::string, NetDef>> BadNets() {
  std::vector<std::pair<std::string, NetDef>> out;
  auto base = [] {
    NetDef def;
    def.set_name("bad");
    *def.add_op() = MakeOp("Copy", {"X"}, {"new1"});
    *def.add_op() = MakeOp("Selu", {"new1"}, {"X"});  // Would overwrite X.
    return def;
  };
  NetDef d = base();
  *d.add_op() = MakeOp("NoSuchOp", {"X"}, {"new2"});
  out.push_back({"unknown type", d});
  d = base();
  *d.add_op() = MakeOp("Selu", {"X"}, {"new2"}, {testing::FloatArg("scale", 0.5f)});
  out.push_back({"bad argument value", d});
  d = base();
  *d.add_op() = MakeOp("Selu", {"X"}, {"new2"}, {testing::FloatArg("no_such_arg", 1)});
  out.push_back({"undeclared argument", d});
  d = base();
  *d.add_op() = MakeOp("Sum", {"X", "absent"}, {"new2"});
  out.push_back({"missing input", d});
  d = base();
  *d.add_op() = MakeOp("Sum", {"X", "I"}, {"new2"});
  out.push_back({"type mismatch", d});
  d = base();
  *d.add_op() = MakeOp("Selu", {"X", "X"}, {"new2"});
  out.push_back({"arity", d});
  d = base();
  *d.add_op() = MakeOp("ConstantFill", {}, {"new2"},
                       {testing::IntsArg("shape", {int64_t{1} << 40, int64_t{1} << 10})});
  out.push_back({"allocation limit", d});
  d = base();
  d.set_type("no_such_executor");
  out.push_back({"net type", d});
  d = base();
  d.mutable_op(1)->mutable_device_option()->set_device_type(1);
  out.push_back({"device", d});
  return out;
}

TEST_F(NothingLostTest, FailedNetCreationChangesNothing) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, -1})).ok());
  ASSERT_TRUE(ws.FeedBlob("I", MakeTensor<int32_t>({2}, {1, 2})).ok());
  ws.CreateBlob("empty");  // Created, never written.
  NetDef good;
  good.set_name("bad");  // The failing definitions reuse this name.
  *good.add_op() = MakeOp("Selu", {"X"}, {"Y"});
  absl::StatusOr<Net*> existing = ws.CreateNet(good);
  ASSERT_TRUE(existing.ok());
  ASSERT_TRUE((*existing)->Run().ok());

  for (const auto& [what, def] : BadNets()) {
    SCOPED_TRACE(what);
    const WorkspaceState before = State(ws);
    const std::vector<std::string> nets = ws.Nets();
    for (bool overwrite : {false, true}) {
      absl::StatusOr<Net*> net = ws.CreateNet(def, overwrite);
      EXPECT_FALSE(net.ok());
      EXPECT_FALSE(net.status().message().empty());
      EXPECT_EQ(State(ws), before);
      EXPECT_EQ(ws.Nets(), nets);
      // The existing net of that name was not replaced and still runs.
      EXPECT_EQ(ws.GetNet("bad"), *existing);
    }
    EXPECT_FALSE(ws.RunNetOnce(def).ok());
    EXPECT_EQ(State(ws), before);
    EXPECT_TRUE((*existing)->Run().ok());
  }
}

TEST_F(NothingLostTest, RunNetOnceFailureLeavesNoNetAndKeepsBlobs) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({1, 2}, {1, -1})).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", MakeTensor<int32_t>({1}, {5})).ok());  // Out of range.
  ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({1}, {4})).ok());
  NetDef def;
  def.set_name("once");
  *def.add_op() = MakeOp("SoftmaxWithLoss", {"X", "labels"}, {"P", "loss"});
  *def.add_op() = MakeOp("ConstantFill", {}, {"C"}, {testing::IntsArg("shape", {8})});
  const WorkspaceState before = State(ws);
  absl::Status s = ws.RunNetOnce(def);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(ws.Nets().empty());
  EXPECT_EQ(Without(State(ws), {"P", "loss"}), Without(before, {"P", "loss"}));
}

}  // namespace
}  // namespace opgraph
