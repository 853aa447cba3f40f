// The memory planner: in-place rewrites, buffer sharing, pinned blobs, and
// that a planned net computes bit for bit what the unplanned one does.
#include "core/memory_plan.h"

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {

// A test-only operator whose argument holds a nested net.
class NestedNetOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    std::memcpy(Output(0)->raw_mutable_data(), Input(0).raw_data(), Input(0).nbytes());
    return absl::OkStatus();
  }
};
OPERATOR_SCHEMA(TestNestedNet)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .Arg("body", ArgKind::kNet, "A net the planner cannot see into.")
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestNestedNet, NestedNetOp);

namespace {

using testing::MakeOp;
using testing::RandomTensor;
using testing::Rng;

constexpr int64_t k64MiBFloats = int64_t{16} << 20;

// x -> t1 -> ... -> t(n-1) -> y, all Selu.
NetDef SeluChain(int n) {
  NetDef net;
  net.set_name("chain");
  net.add_external_input("x");
  for (int i = 0; i < n; ++i) {
    *net.add_op() = MakeOp("Selu", {i == 0 ? "x" : absl::StrCat("t", i)},
                           {i == n - 1 ? "y" : absl::StrCat("t", i + 1)});
  }
  net.add_external_output("y");
  return net;
}

// Runs `net` in a fresh workspace holding `feeds` and returns the workspace.
std::unique_ptr<Workspace> RunIn(const NetDef& net,
                                 const std::vector<std::pair<std::string, TensorRef>>& feeds) {
  auto ws = std::make_unique<Workspace>();
  for (const auto& [name, t] : feeds) CHECK(ws->FeedBlob(name, t.get()).ok());
  absl::Status s = ws->RunNetOnce(net);
  CHECK(s.ok()) << s;
  return ws;
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

// Plans `net` for `feeds`, runs both versions, and checks that every
// external output is bit-identical. Returns the plan.
MemoryPlan PlanAndCompare(const NetDef& net,
                          const std::vector<std::pair<std::string, TensorRef>>& feeds,
                          const MemoryPlanOptions& options = {}) {
  TypeMap types;
  for (const auto& [name, t] : feeds) types[name] = t->type();
  absl::StatusOr<MemoryPlan> plan = PlanMemory(net, types, options);
  CHECK(plan.ok()) << plan.status();
  std::unique_ptr<Workspace> plain = RunIn(net, feeds);
  std::unique_ptr<Workspace> planned = RunIn(plan->net, feeds);
  for (const std::string& out : net.external_output()) {
    absl::StatusOr<Tensor> a = plain->FetchBlob(out);
    absl::StatusOr<Tensor> b = planned->FetchBlob(out);
    EXPECT_TRUE(a.ok() && b.ok()) << out;
    if (a.ok() && b.ok()) {
      EXPECT_TRUE(SameBits(*a, *b)) << out;
    }
  }
  for (const auto& [name, t] : feeds) {
    EXPECT_TRUE(SameBits(*planned->GetBlob(name), t.get())) << "input " << name << " changed";
  }
  return *std::move(plan);
}

TEST(MemoryPlanTest, SmallSeluChainRunsInPlaceAndMatchesBitForBit) {
  Rng rng(1);
  const NetDef net = SeluChain(100);
  MemoryPlan plan = PlanAndCompare(net, {{"x", RandomTensor<float>({4096}, rng, -3, 3)}});
  EXPECT_EQ(plan.report.inplace_outputs, 98);
  EXPECT_EQ(plan.report.blobs_before, 101);
  EXPECT_EQ(plan.report.blobs_after, 3);
  EXPECT_EQ(plan.report.bytes_before, 101 * 4096 * 4);
  EXPECT_EQ(plan.report.bytes_after, 3 * 4096 * 4);
  // Operators, their order and their types are unchanged.
  ASSERT_EQ(plan.net.op_size(), 100);
  EXPECT_EQ(plan.net.op(0).input(0), "x");
  EXPECT_EQ(plan.net.op(99).output(0), "y");
  for (int i = 1; i < 99; ++i) {
    EXPECT_EQ(plan.net.op(i).input(0), plan.net.op(i).output(0)) << "operator " << i;
  }
  EXPECT_NE(plan.report.ToString().find("101 blobs -> 3"), std::string::npos)
      << plan.report.ToString();
}

TEST(MemoryPlanTest, SeluChainOn64MiBPeaksAtThreeBuffers) {
  Rng rng(2);
  Tensor x = RandomTensor<float>({k64MiBFloats}, rng, -3, 3);
  const NetDef net = SeluChain(100);
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", x).ok());
  absl::StatusOr<MemoryPlan> plan = PlanMemory(net, ws.BlobTypes());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(ws.RunNetOnce(plan->net).ok());
  // Peak: every buffer the run left in the workspace.
  int64_t capacity = 0;
  int big = 0;
  for (const std::string& name : ws.Blobs()) {
    capacity += static_cast<int64_t>(ws.GetBlob(name)->capacity());
    if (ws.GetBlob(name)->capacity() >= static_cast<size_t>(k64MiBFloats * 4)) ++big;
  }
  EXPECT_LE(big, 3);
  EXPECT_LE(capacity, 3 * k64MiBFloats * 4);

  // The unplanned net writes every Selu to a fresh blob; the same kernel
  // applied out of place 100 times, alternating two blobs, computes exactly
  // what it would, without 6.4 GiB of intermediates.
  Workspace ref;
  ASSERT_TRUE(ref.FeedBlob("x", x).ok());
  NetDef first, ab, ba;
  *first.add_op() = MakeOp("Selu", {"x"}, {"a"});
  *ab.add_op() = MakeOp("Selu", {"a"}, {"b"});
  *ba.add_op() = MakeOp("Selu", {"b"}, {"a"});
  ASSERT_TRUE(ref.RunNetOnce(first).ok());
  for (int i = 1; i < 100; ++i) ASSERT_TRUE(ref.RunNetOnce(i % 2 ? ab : ba).ok());
  // 99 more runs after the first: the last wrote b.
  EXPECT_TRUE(SameBits(*ws.GetBlob("y"), *ref.GetBlob("b")));
  EXPECT_TRUE(SameBits(*ws.GetBlob("x"), x));
}

TEST(MemoryPlanTest, DiamondKeepsTheSharedInputUntilItsLastReader) {
  // a feeds both b = Selu(a) and c = Softmax(a): b must not overwrite a.
  NetDef net;
  net.set_name("diamond");
  net.add_external_input("x");
  *net.add_op() = MakeOp("Selu", {"x"}, {"a"});
  *net.add_op() = MakeOp("Selu", {"a"}, {"b"});
  *net.add_op() = MakeOp("Softmax", {"a"}, {"c"});
  *net.add_op() = MakeOp("Sum", {"b", "c"}, {"d"});
  *net.add_op() = MakeOp("Selu", {"d"}, {"e"});
  net.add_external_output("e");
  Rng rng(3);
  MemoryPlan plan = PlanAndCompare(net, {{"x", RandomTensor<float>({8, 33}, rng, -3, 3)}});
  EXPECT_NE(plan.net.op(1).output(0), plan.net.op(1).input(0));
  EXPECT_NE(plan.net.op(2).output(0), plan.net.op(2).input(0));
  // Sum writes into b, dead after it.
  EXPECT_EQ(plan.net.op(3).output(0), plan.net.op(3).input(0));
  EXPECT_EQ(plan.report.inplace_outputs, 1);
  EXPECT_EQ(plan.report.blobs_after, plan.report.blobs_before - 1);
}

TEST(MemoryPlanTest, DeadIntermediatesShareBuffersWhenInPlaceIsNotAllowed) {
  // Softmax does not run in place; s3 can reuse s1's blob, s4 s2's.
  NetDef net;
  net.set_name("softmaxes");
  net.add_external_input("x");
  *net.add_op() = MakeOp("Softmax", {"x"}, {"s1"});
  *net.add_op() = MakeOp("Softmax", {"s1"}, {"s2"});
  *net.add_op() = MakeOp("Softmax", {"s2"}, {"s3"});
  *net.add_op() = MakeOp("Softmax", {"s3"}, {"s4"});
  *net.add_op() = MakeOp("Softmax", {"s4"}, {"y"});
  net.add_external_output("y");
  Rng rng(4);
  MemoryPlan plan = PlanAndCompare(net, {{"x", RandomTensor<float>({4, 50}, rng, -5, 5)}});
  EXPECT_EQ(plan.report.inplace_outputs, 0);
  EXPECT_EQ(plan.report.shared_outputs, 2);
  EXPECT_EQ(plan.net.op(2).output(0), "s1");
  EXPECT_EQ(plan.net.op(3).output(0), "s2");
  EXPECT_EQ(plan.report.blobs_after, 4);  // x, s1, s2, y.
  for (const OperatorDef& op : plan.net.op()) EXPECT_NE(op.input(0), op.output(0));

  // Different sizes never share.
  NetDef mixed;
  mixed.add_external_input("x");
  *mixed.add_op() = MakeOp("Softmax", {"x"}, {"s1"});
  *mixed.add_op() = MakeOp("Softmax", {"s1"}, {"s2"});
  *mixed.add_op() = MakeOp("Softmax", {"z"}, {"s3"});
  mixed.add_external_input("z");
  mixed.add_external_output("s2");
  mixed.add_external_output("s3");
  plan = PlanAndCompare(mixed, {{"x", RandomTensor<float>({4, 50}, rng, -5, 5)},
                                {"z", RandomTensor<float>({4, 51}, rng, -5, 5)}});
  EXPECT_EQ(plan.report.shared_outputs, 0);
}

TEST(MemoryPlanTest, PinnedBlobsKeepNamesAndContents) {
  // h is read by a later operator and also an external output.
  NetDef net;
  net.set_name("pinned");
  net.add_external_input("x");
  *net.add_op() = MakeOp("Selu", {"x"}, {"h"});
  *net.add_op() = MakeOp("Selu", {"h"}, {"g"});
  *net.add_op() = MakeOp("Selu", {"g"}, {"y"});
  net.add_external_output("h");
  net.add_external_output("y");
  Rng rng(5);
  MemoryPlan plan = PlanAndCompare(net, {{"x", RandomTensor<float>({100}, rng, -3, 3)}});
  EXPECT_EQ(plan.net.op(0).output(0), "h");
  EXPECT_EQ(plan.net.op(1).input(0), "h");
  EXPECT_NE(plan.net.op(1).output(0), "h");  // Would clobber an output.
  EXPECT_EQ(plan.net.op(2).output(0), "y");
  // x is an external input: Selu(x) never runs in place on it.
  EXPECT_NE(plan.net.op(0).output(0), "x");

  // The same through protected_blobs, without external_output.
  NetDef bare = net;
  bare.clear_external_output();
  MemoryPlanOptions options;
  options.protected_blobs = {"g"};
  TypeMap types = {{"x", TensorType{DType::kFloat32, {100}}}};
  absl::StatusOr<MemoryPlan> p = PlanMemory(bare, types, options);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->net.op(1).output(0), "g");
  EXPECT_EQ(p->net.op(2).input(0), "g");
  EXPECT_NE(p->net.op(2).output(0), "g");

  // A blob already in the workspace that the net overwrites keeps its name.
  types["h"] = TensorType{DType::kFloat32, {100}};
  p = PlanMemory(bare, types);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->net.op(0).output(0), "h");
  EXPECT_NE(p->net.op(1).output(0), "h");
}

TEST(MemoryPlanTest, BlobWrittenTwiceAndExistingInPlaceOperators) {
  NetDef net;
  net.set_name("rewrite");
  net.add_external_input("x");
  *net.add_op() = MakeOp("Selu", {"x"}, {"t"});
  *net.add_op() = MakeOp("Softmax", {"t"}, {"u"});
  *net.add_op() = MakeOp("Selu", {"u"}, {"t"});  // t again.
  *net.add_op() = MakeOp("Selu", {"t"}, {"t"});  // Already in place.
  *net.add_op() = MakeOp("Softmax", {"t"}, {"v"});
  *net.add_op() = MakeOp("Sum", {"v", "t"}, {"y"});
  net.add_external_output("y");
  Rng rng(6);
  MemoryPlan plan = PlanAndCompare(net, {{"x", RandomTensor<float>({3, 7}, rng, -3, 3)}});
  EXPECT_EQ(plan.net.op(3).input(0), plan.net.op(3).output(0));
  // Every operator still verifies: no output shares an input's blob unless
  // its schema allows that pair.
  for (const OperatorDef& op : plan.net.op()) {
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    EXPECT_TRUE(schema->Verify(op).ok()) << op.DebugString();
  }
}

TEST(MemoryPlanTest, OptionsOffLeaveTheNetAlone) {
  const NetDef net = SeluChain(5);
  MemoryPlanOptions options;
  options.inplace = false;
  options.share = false;
  absl::StatusOr<MemoryPlan> plan =
      PlanMemory(net, {{"x", TensorType{DType::kFloat32, {10}}}}, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->net.SerializeAsString(), net.SerializeAsString());
  EXPECT_EQ(plan->report.bytes_after, plan->report.bytes_before);

  // With sharing only, the chain alternates two buffers instead of in place.
  options.share = true;
  plan = PlanMemory(net, {{"x", TensorType{DType::kFloat32, {10}}}}, options);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->report.inplace_outputs, 0);
  EXPECT_EQ(plan->report.blobs_after, 4);  // x, t1, t2, y.
}

TEST(MemoryPlanTest, NestedNetsAreLeftUnchanged) {
  NetDef net = SeluChain(3);
  OperatorDef* op = net.add_op();
  *op = MakeOp("TestNestedNet", {"y"}, {"z"});
  Argument* body = op->add_arg();
  body->set_name("body");
  *body->mutable_n() = SeluChain(1);
  absl::StatusOr<MemoryPlan> plan = PlanMemory(net, {{"x", TensorType{DType::kFloat32, {10}}}});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->net.SerializeAsString(), net.SerializeAsString());
  EXPECT_FALSE(plan->report.skipped.empty());
  EXPECT_NE(plan->report.ToString().find("skipped"), std::string::npos);
}

TEST(MemoryPlanTest, ErrorsAreThoseOfShapeInference) {
  const NetDef net = SeluChain(3);
  absl::StatusOr<MemoryPlan> plan = PlanMemory(net, {});
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(plan.status().message().find("'x'"), std::string::npos) << plan.status();
}

}  // namespace
}  // namespace opgraph
