// Tests of ParallelFor and the thread-count settings (core/parallel.h), and
// that the operators using them give the same bits on 1 and 2 threads.
#include "core/parallel.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Copy;
using testing::IntArg;
using testing::MakeOp;
using testing::RandomTensor;
using testing::Rng;
using testing::TensorRefs;
using testing::ToVector;

struct Range {
  int64_t begin, end;
  std::thread::id thread;
  bool operator<(const Range& o) const { return begin < o.begin; }
};

std::vector<Range> Ranges(int threads, int64_t n, double cost, int64_t grain = 1) {
  std::mutex mu;
  std::vector<Range> r;
  ParallelFor(
      threads, n, cost,
      [&](int64_t b, int64_t e) {
        std::lock_guard<std::mutex> lock(mu);
        r.push_back({b, e, std::this_thread::get_id()});
      },
      grain);
  std::sort(r.begin(), r.end());
  return r;
}

TEST(ParallelForTest, SmallWorkRunsOnceOnTheCallingThread) {
  EXPECT_EQ(ParallelThreadCount(2, 1000, 1.0), 1);  // 1 us of work
  EXPECT_EQ(ParallelThreadCount(8, 10'000, 1.0), 1);
  EXPECT_EQ(ParallelThreadCount(2, 1 << 20, 0.0), 1);
  const std::vector<Range> r = Ranges(2, 1000, 1.0);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].begin, 0);
  EXPECT_EQ(r[0].end, 1000);
  EXPECT_EQ(r[0].thread, std::this_thread::get_id());
  EXPECT_TRUE(Ranges(2, 0, 1e9).empty());
}

TEST(ParallelForTest, OneThreadNeverSplits) {
  EXPECT_EQ(ParallelThreadCount(1, int64_t{1} << 40, 1e3), 1);
  EXPECT_EQ(Ranges(1, 1 << 20, 1e3).size(), 1u);
}

TEST(ParallelForTest, ThreadCountFollowsWork) {
  const int64_t n = 1'000'000;
  const double per_thread = kMinParallelWorkNs / n;
  EXPECT_EQ(ParallelThreadCount(4, n, 1.99 * per_thread), 1);
  EXPECT_EQ(ParallelThreadCount(4, n, 2.0 * per_thread), 2);
  EXPECT_EQ(ParallelThreadCount(4, n, 3.5 * per_thread), 3);
  EXPECT_EQ(ParallelThreadCount(4, n, 100 * per_thread), 4);
  EXPECT_EQ(ParallelThreadCount(1000, 3, 1e9), 3);  // never more ranges than items
}

TEST(ParallelForTest, RangesCoverEverythingOnceOnDistinctThreads) {
  for (int threads : {2, 3, 4}) {
    for (int64_t grain : {1, 16, 1000}) {
      SCOPED_TRACE(threads * 10000 + grain);
      const int64_t n = 100'003;
      const std::vector<Range> r = Ranges(threads, n, 1e6, grain);
      ASSERT_EQ(static_cast<int>(r.size()), threads);
      int64_t next = 0;
      std::set<std::thread::id> ids;
      for (const Range& x : r) {
        EXPECT_EQ(x.begin, next);
        EXPECT_LT(x.begin, x.end);
        if (x.end != n) {
          EXPECT_EQ(x.end % grain, 0);
        }
        next = x.end;
        ids.insert(x.thread);
      }
      EXPECT_EQ(next, n);
      EXPECT_EQ(static_cast<int>(ids.size()), threads);
    }
  }
  // A grain larger than the work leaves one range.
  EXPECT_EQ(Ranges(4, 100, 1e6, 1000).size(), 1u);
}

TEST(ParallelForTest, DefaultAndWorkspaceThreadCounts) {
  // The test runs without OPGRAPH_NUM_THREADS (ctest does not set it).
  ASSERT_EQ(std::getenv("OPGRAPH_NUM_THREADS"), nullptr);
  EXPECT_EQ(DefaultNumThreads(), 1);
  Workspace ws;
  EXPECT_EQ(ws.num_threads(), 1);
  SetDefaultNumThreads(3);
  EXPECT_EQ(DefaultNumThreads(), 3);
  EXPECT_EQ(ws.num_threads(), 3);
  ws.set_num_threads(2);
  EXPECT_EQ(ws.num_threads(), 2);
  ws.set_num_threads(100000);
  EXPECT_EQ(ws.num_threads(), kMaxThreads);
  ws.set_num_threads(0);
  EXPECT_EQ(ws.num_threads(), 3);
  SetDefaultNumThreads(-5);
  EXPECT_EQ(DefaultNumThreads(), 1);
}

// Runs `op` on `inputs` in a workspace with `threads` threads.
std::vector<Tensor> RunWithThreads(const OperatorDef& op, const TensorRefs& inputs, int threads) {
  Workspace ws;
  ws.set_num_threads(threads);
  for (int i = 0; i < op.input_size(); ++i) CHECK(ws.FeedBlob(op.input(i), inputs[i].get()).ok());
  NetDef net;
  *net.add_op() = op;
  absl::Status s = ws.RunNetOnce(net);
  CHECK(s.ok()) << s;
  std::vector<Tensor> out;
  for (const std::string& name : op.output()) out.push_back(Copy(*ws.GetBlob(name)));
  return out;
}

template <typename T>
void ExpectSameBits(const OperatorDef& op, const TensorRefs& inputs, bool splits = true) {
  SCOPED_TRACE(op.type());
  const int64_t before = ParallelSplitCount();
  const std::vector<T> one = ToVector<T>(RunWithThreads(op, inputs, 1)[0]);
  EXPECT_EQ(ParallelSplitCount(), before);
  const std::vector<T> two = ToVector<T>(RunWithThreads(op, inputs, 2)[0]);
  EXPECT_EQ(ParallelSplitCount(), before + (splits ? 1 : 0));  // did the 2-thread run split?
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    // Bit equality, NaN included.
    ASSERT_EQ(std::memcmp(&one[i], &two[i], sizeof(T)), 0) << i;
  }
}

template <typename T>
void CheckOperators() {
  Rng rng(77);
  // Big enough for every operator to split over 2 threads: ~1.5M elements.
  const std::vector<int64_t> dims = {750, 2001};
  const Tensor x = RandomTensor<T>(dims, rng, -5, 5);
  const Tensor dy = RandomTensor<T>(dims, rng, -1, 1);
  ASSERT_GE(ParallelThreadCount(2, x.numel(), 0.15), 2);
  ASSERT_GE(ParallelThreadCount(2, 750, 0.17 * 2001), 2);
  const Tensor y_selu = std::move(RunWithThreads(MakeOp("Selu", {"X"}, {"Y"}), {x}, 1)[0]);
  const Tensor y_sm = std::move(RunWithThreads(MakeOp("Softmax", {"X"}, {"Y"}), {x}, 1)[0]);
  ExpectSameBits<T>(MakeOp("Selu", {"X"}, {"Y"}), {x});
  ExpectSameBits<T>(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}), {y_selu, dy});
  ExpectSameBits<T>(MakeOp("Softmax", {"X"}, {"Y"}), {x});
  ExpectSameBits<T>(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}), {y_sm, dy});
  // SeluSoftmax splits over the dims before its axis only: axis 0 has one
  // such "row" and stays on one thread.
  for (int64_t axis : {0, 1}) {
    const OperatorDef fwd = MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis)});
    ExpectSameBits<T>(fwd, {x}, axis == 1);
    const Tensor y = std::move(RunWithThreads(fwd, {x}, 1)[0]);
    ExpectSameBits<T>(
        MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dX"}, {IntArg("axis", axis)}), {y, dy, x},
        axis == 1);
  }
}

TEST(ParallelOpsTest, OneAndTwoThreadsGiveIdenticalBitsFloat) { CheckOperators<float>(); }
TEST(ParallelOpsTest, OneAndTwoThreadsGiveIdenticalBitsDouble) { CheckOperators<double>(); }

// With 2 threads allowed, small tensors still run on the calling thread.
TEST(ParallelOpsTest, SmallTensorsTakeTheSingleThreadPath) {
  Rng rng(78);
  const Tensor x = RandomTensor<float>({64, 1000}, rng, -5, 5);  // ~20 us per op
  const Tensor dy = RandomTensor<float>({64, 1000}, rng, -1, 1);
  const int64_t before = ParallelSplitCount();
  for (const OperatorDef& op :
       {MakeOp("Selu", {"X"}, {"Y"}), MakeOp("Softmax", {"X"}, {"Y"}),
        MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", 1)}),
        MakeOp("SeluGradient", {"X", "dY"}, {"dX"}), MakeOp("SoftmaxGradient", {"X", "dY"}, {"dX"}),
        MakeOp("SeluSoftmaxGradient", {"X", "dY", "Z"}, {"dX"}, {IntArg("axis", 1)})}) {
    TensorRefs inputs = {x, dy, x};
    inputs.resize(op.input_size(), TensorRef(x));
    RunWithThreads(op, inputs, 2);
  }
  EXPECT_EQ(ParallelSplitCount(), before);
}

}  // namespace
}  // namespace opgraph
