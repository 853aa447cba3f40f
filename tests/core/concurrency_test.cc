// The thread-safety contract (core/workspace.h, core/registry.h, ...):
// separate workspaces may be used concurrently; the operator registry they
// share may be read and extended concurrently; parsing and tensor I/O keep
// no state. Each test runs real work on several threads and checks the
// results against a single-threaded run. scripts/sanitize.sh builds this
// test with ThreadSanitizer.
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/gradient.h"
#include "core/net_io.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::MakeOp;

constexpr int kThreads = 4;

NetDef ClassifierNet() {
  NetDef def;
  def.set_name("classifier");
  *def.add_op() = MakeOp("FC", {"X", "W", "b"}, {"F"});
  *def.add_op() = MakeOp("Selu", {"F"}, {"H"});
  *def.add_op() = MakeOp("SoftmaxWithLoss", {"H", "labels"}, {"P", "loss"});
  *def.add_op() = MakeOp("Sum", {"P", "P"}, {"P2"});
  return def;
}

// Feeds inputs that depend on `seed` only.
void FeedClassifier(Workspace* ws, uint64_t seed) {
  testing::Rng rng(seed);
  CHECK(ws->FeedBlob("X", testing::RandomTensor<float>({8, 16}, rng, -1, 1)).ok());
  CHECK(ws->FeedBlob("W", testing::RandomTensor<float>({5, 16}, rng, -1, 1)).ok());
  CHECK(ws->FeedBlob("b", testing::RandomTensor<float>({5}, rng, -1, 1)).ok());
  std::vector<int32_t> labels(8);
  for (int32_t& l : labels) l = static_cast<int32_t>(rng.Next() % 5);
  CHECK(ws->FeedBlob("labels", testing::MakeTensor<int32_t>({8}, labels)).ok());
}

std::string Bytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.nbytes());
}

// Runs the classifier once on its own workspace: the P2 and loss bytes.
std::pair<std::string, std::string> ReferenceRun(uint64_t seed) {
  Workspace ws;
  FeedClassifier(&ws, seed);
  OPGRAPH_CHECK_OK(ws.RunNetOnce(ClassifierNet()));
  return {Bytes(*ws.GetBlob("P2")), Bytes(*ws.GetBlob("loss"))};
}

TEST(ConcurrencyTest, EachThreadRunsItsOwnNetOnItsOwnWorkspace) {
  std::vector<std::pair<std::string, std::string>> expected;
  for (int t = 0; t < kThreads; ++t) expected.push_back(ReferenceRun(100 + t));
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Workspace ws;
      FeedClassifier(&ws, 100 + t);
      absl::StatusOr<Net*> net = ws.CreateNet(ClassifierNet());
      if (!net.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < 1000; ++i) {
        if (!(*net)->Run().ok()) ++failures;
        if (Bytes(*ws.GetBlob("P2")) != expected[t].first ||
            Bytes(*ws.GetBlob("loss")) != expected[t].second) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

// What GetGradientDefs returns for each operator of `def`: the status code
// and the number of gradient operators.
std::vector<std::pair<absl::StatusCode, int>> GradientSummary(const NetDef& def) {
  std::vector<std::pair<absl::StatusCode, int>> out;
  for (const OperatorDef& op : def.op()) {
    absl::StatusOr<GradientOpsMeta> g = GetGradientDefs(op);
    out.push_back({g.status().code(), g.ok() ? static_cast<int>(g->ops.size()) : -1});
  }
  return out;
}

TEST(ConcurrencyTest, ThreadsCreateNetsAndReadTheRegistryConcurrently) {
  const auto gradients = GradientSummary(ClassifierNet());
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Workspace ws;
      FeedClassifier(&ws, t);
      NetDef bad = ClassifierNet();
      bad.set_name("bad");
      *bad.add_op() = MakeOp("NoSuchOperator", {"X"}, {"Z"});
      for (int i = 0; i < 100; ++i) {
        NetDef def = ClassifierNet();
        def.set_name(absl::StrCat("net", i % 3));
        absl::StatusOr<Net*> net = ws.CreateNet(def, /*overwrite=*/true);
        if (!net.ok() || !(*net)->Run().ok()) ++errors;
        if (ws.CreateNet(bad).ok()) ++errors;
        if (OpRegistry::Global().FindSchema("Softmax") == nullptr) ++errors;
        if (!OpRegistry::Global().HasKernel("FC")) ++errors;
        if (OpRegistry::Global().SourceOf("Selu") != "built-in") ++errors;
        if (OpRegistry::Global().Types().empty()) ++errors;
        if (GradientSummary(def) != gradients) ++errors;
        if (i % 3 == 2 && !ws.DeleteNet("net1").ok()) ++errors;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

class EchoOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    std::memcpy(Output(0)->raw_mutable_data(), Input(0).raw_data(), Input(0).nbytes());
    return absl::OkStatus();
  }
};

// New operator types registered while other threads create nets, as
// LoadPlugin does from any thread.
TEST(ConcurrencyTest, RegistrationsDuringNetCreation) {
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads - 1; ++t) {
    readers.emplace_back([&, t] {
      Workspace ws;
      FeedClassifier(&ws, t);
      while (!done.load()) {
        if (!ws.RunNetOnce(ClassifierNet()).ok()) ++errors;
        OpRegistry::Global().Types();
      }
    });
  }
  constexpr int kNewTypes = 50;
  for (int i = 0; i < kNewTypes; ++i) {
    const std::string type = absl::StrCat("ConcurrencyTestEcho", i);
    RegistrationBatch batch("concurrency_test");
    auto schema = std::make_unique<OpSchema>(type, __FILE__, __LINE__);
    schema->NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
    ASSERT_TRUE(batch.AddSchema(std::move(schema)).ok());
    ASSERT_TRUE(batch
                    .AddKernel(type,
                               [](const OperatorDef& def, const OpSchema& s) {
                                 return std::unique_ptr<OperatorBase>(new EchoOp(def, s));
                               })
                    .ok());
    ASSERT_TRUE(OpRegistry::Global().Apply(std::move(batch)).ok());
  }
  done = true;
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(errors.load(), 0);
  // Every new type works in a net.
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("a", testing::MakeTensor<float>({2}, {1, 2})).ok());
  NetDef def;
  for (int i = 0; i < kNewTypes; ++i) {
    *def.add_op() = MakeOp(absl::StrCat("ConcurrencyTestEcho", i), {"a"}, {"b"});
  }
  ASSERT_TRUE(ws.RunNetOnce(def).ok());
  EXPECT_EQ(testing::ToVector<float>(*ws.GetBlob("b")), (std::vector<float>{1, 2}));
}

TEST(ConcurrencyTest, ParsingAndTensorIoKeepNoState) {
  const std::string net_bytes = SerializeDeterministic(ClassifierNet());
  testing::Rng rng(3);
  const Tensor t = testing::RandomTensor<float>({3, 7}, rng, -5, 5);
  const std::string npy = SerializeNpy(t);
  const TensorProto proto = TensorToProto(t, "t");
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        NetDef net;
        if (!ParseProto(net_bytes, "net.pb", false, &net).ok() || net.op_size() != 4) ++errors;
        NetDef text;
        if (ParseProto("op { type: ", "bad.pbtxt", true, &text).ok()) ++errors;
        absl::StatusOr<Tensor> a = ParseNpy(npy, "t.npy");
        if (!a.ok() || Bytes(*a) != Bytes(t)) ++errors;
        absl::StatusOr<Tensor> b = TensorFromProto(proto);
        if (!b.ok() || Bytes(*b) != Bytes(t)) ++errors;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace opgraph
