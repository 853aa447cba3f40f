// Every pass over a net is linear (up to a log factor) in its size: a long
// chain goes through OptimizeNet, PlanMemory, CreateNet and Run in seconds,
// the memory planner names the buffers of a blob written many times without
// retrying every suffix, and a net with many missing inputs gets a short
// error in linear time. The bounds are generous (a loaded 2-core machine);
// the quadratic versions took hours at these sizes.
#include <chrono>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/memory_plan.h"
#include "core/optimize.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

// Time and memory bounds are for optimized, uninstrumented builds. Under a
// sanitizer (several times slower, with shadow memory) the same work runs
// and is checked, but the bounds are not asserted.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OPGRAPH_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OPGRAPH_TEST_SANITIZED 1
#endif
#endif
#ifdef OPGRAPH_TEST_SANITIZED
constexpr bool kBoundsApply = false;
#else
constexpr bool kBoundsApply = true;
#endif

using ::opgraph::testing::MakeOp;
using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Selu x<i> -> h<i>, Softmax h<i> -> x<i+1>: `pairs` pairs, each fusable.
NetDef SeluSoftmaxChain(int pairs) {
  NetDef net;
  net.set_name("chain");
  for (int i = 0; i < pairs; ++i) {
    *net.add_op() = MakeOp("Selu", {absl::StrCat("x", i)}, {absl::StrCat("h", i)});
    *net.add_op() = MakeOp("Softmax", {absl::StrCat("h", i)}, {absl::StrCat("x", i + 1)});
  }
  net.add_external_input("x0");
  net.add_external_output(absl::StrCat("x", pairs));
  return net;
}

// 200,000 operators through every pass, then created and run. Measured
// figures are in docs/SECURITY.md.
TEST(LinearPassesTest, LongSeluSoftmaxChainThroughEveryPass) {
  constexpr int kPairs = 100'000;
  const NetDef net = SeluSoftmaxChain(kPairs);
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x0", MakeTensor<float>({1, 4}, {-1, 0, 1, 2})).ok());
  const auto t0 = std::chrono::steady_clock::now();

  OptimizeOptions oo;
  oo.input_types = ws.BlobTypes();
  absl::StatusOr<OptimizeResult> optimized = OptimizeNet(net, oo);
  ASSERT_TRUE(optimized.ok()) << optimized.status();
  EXPECT_EQ(optimized->net.op_size(), kPairs);
  EXPECT_EQ(optimized->rewrites.size(), static_cast<size_t>(kPairs));
  const double t_optimize = SecondsSince(t0);

  absl::StatusOr<MemoryPlan> plan = PlanMemory(optimized->net, ws.BlobTypes());
  ASSERT_TRUE(plan.ok()) << plan.status();
  const double t_plan = SecondsSince(t0);

  absl::StatusOr<Net*> created = ws.CreateNet(plan->net);
  ASSERT_TRUE(created.ok()) << created.status();
  const double t_create = SecondsSince(t0);
  ASSERT_TRUE((*created)->Run().ok());
  const double total = SecondsSince(t0);
  const std::string out = absl::StrCat("x", kPairs);
  ASSERT_TRUE(ws.HasBlob(out));
  EXPECT_EQ(ws.GetBlob(out)->dims(), (std::vector<int64_t>{1, 4}));
  RecordProperty("seconds_optimize", std::to_string(t_optimize));
  RecordProperty("seconds_total", std::to_string(total));
  std::printf("optimize %.2f s, plan %.2f s, create %.2f s, run %.2f s (total %.2f s)\n",
              t_optimize, t_plan - t_optimize, t_create - t_plan, total - t_create, total);
  if (kBoundsApply) {
    EXPECT_LT(total, 60.0);
  }
}

// A blob written 100,000 times with neither in-place runs nor sharing: a
// new buffer each time, named <name>, <name>_mp1, <name>_mp2, ...
TEST(LinearPassesTest, MemoryPlannerNamesManyBuffersOfOneBlob) {
  constexpr int kOps = 100'000;
  NetDef net;
  *net.add_op() = MakeOp("Copy", {"in"}, {"a"});
  for (int i = 1; i < kOps; ++i) {
    *net.add_op() = i % 2 == 1 ? MakeOp("Selu", {"a"}, {"b"}) : MakeOp("Selu", {"b"}, {"a"});
  }
  net.add_external_input("in");
  TypeMap inputs;
  inputs["in"] = TensorType{DType::kFloat32, {2}};
  MemoryPlanOptions options;
  options.inplace = false;
  options.share = false;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<MemoryPlan> plan = PlanMemory(net, inputs, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  if (kBoundsApply) {
    EXPECT_LT(SecondsSince(t0), 60.0);
  }
  std::set<std::string> outputs;
  for (const OperatorDef& op : plan->net.op()) outputs.insert(op.output(0));
  EXPECT_EQ(outputs.size(), static_cast<size_t>(kOps));
  EXPECT_EQ(outputs.count("a_mp1"), 1u);
  EXPECT_EQ(outputs.count(absl::StrCat("a_mp", kOps / 2 - 1)), 1u);
}

// 100,000 operators each reading a blob nobody gave: one error, naming
// the first, listing 16 and counting the rest, quickly.
TEST(LinearPassesTest, ManyMissingInputsGiveAShortError) {
  constexpr int kOps = 100'000;
  NetDef net;
  net.set_name("needy");
  for (int i = 0; i < kOps; ++i) {
    *net.add_op() = MakeOp("Copy", {absl::StrCat("missing", i)}, {absl::StrCat("y", i)});
  }
  Workspace ws;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  if (kBoundsApply) {
    EXPECT_LT(SecondsSince(t0), 60.0);
  }
  EXPECT_THAT(created.status(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("operator #0 Copy"), HasSubstr("'missing0'"),
                             HasSubstr("the net reads 100000 blobs that are missing: "
                                       "missing0, missing1,"),
                             HasSubstr("missing15 (and 99984 more)"))));
  EXPECT_THAT(std::string(created.status().message()), ::testing::Not(HasSubstr("missing16")));
  EXPECT_LT(created.status().message().size(), 1000u);
}

}  // namespace
}  // namespace opgraph
