// The executor's steady state: once a net has run, running it again
// allocates nothing (no heap allocation, no new tensor storage) and keeps
// every tensor's storage where it was. Functional, not timed: the cost per
// operator is measured by bench/dispatch_bench.cc.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

// Every operator new in the process (the shared library's included) comes
// here while counting is on. None is inlined: g++ 12 would otherwise see
// malloc/free pair up with new/delete and warn -Wmismatched-new-delete.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_allocations{0};
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void* operator new[](std::size_t n) { return operator new(n); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace opgraph {
namespace {

using testing::MakeOp;
using testing::MakeTensor;

// Heap allocations made by fn().
template <typename Fn>
int64_t CountAllocations(Fn fn) {
  g_allocations = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_allocations.load();
}

NetDef SeluChain(int n) {
  NetDef net;
  net.set_name("chain");
  net.add_external_input("t0");
  for (int i = 0; i < n; ++i) {
    *net.add_op() = MakeOp("Selu", {absl::StrCat("t", i)}, {absl::StrCat("t", i + 1)});
  }
  net.add_external_output(absl::StrCat("t", n));
  return net;
}

struct Snapshot {
  std::vector<const void*> data;
  std::vector<size_t> capacity;
};

Snapshot Take(const Workspace& ws) {
  Snapshot s;
  for (const std::string& name : ws.Blobs()) {
    s.data.push_back(ws.GetBlob(name)->raw_data());
    s.capacity.push_back(ws.GetBlob(name)->capacity());
  }
  return s;
}

TEST(DispatchTest, CountingSeesAllocations) {
  // The counter works: otherwise the zero below would prove nothing.
  EXPECT_GE(CountAllocations([] {
              std::vector<int> v(10);
              (void)v;
            }),
            1);
  EXPECT_GE(CountAllocations([] {
              Workspace ws;
              ws.CreateBlob("a");
            }),
            1);
}

TEST(DispatchTest, SecondRunOfAThousandSeluChainAllocatesNothing) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("t0", MakeTensor<float>({1}, {-0.5f})).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(SeluChain(1000));
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  const Snapshot before = Take(ws);
  const float first = ws.GetBlob("t1000")->data<float>()[0];
  absl::Status status;
  EXPECT_EQ(CountAllocations([&] { status = (*net)->Run(); }), 0);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(CountAllocations([&] {
              for (int i = 0; i < 10; ++i) status = (*net)->Run();
            }),
            0);
  ASSERT_TRUE(status.ok()) << status;
  const Snapshot after = Take(ws);
  EXPECT_EQ(before.data, after.data);
  EXPECT_EQ(before.capacity, after.capacity);
  EXPECT_EQ(ws.GetBlob("t1000")->data<float>()[0], first);
  EXPECT_EQ(ws.GetBlob("t1000")->dims(), std::vector<int64_t>{1});
}

TEST(DispatchTest, SameShapeResizeKeepsStorageAndChangedShapeStillResizes) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {4, 5}).ok());
  const void* p = t.raw_data();
  const std::vector<int64_t> dims = {4, 5};
  EXPECT_EQ(CountAllocations([&] { ASSERT_TRUE(t.Resize(DType::kFloat32, dims).ok()); }), 0);
  EXPECT_EQ(t.raw_data(), p);
  // A different shape of the same size or smaller reuses storage but takes
  // the new dims; another dtype takes the new dtype.
  ASSERT_TRUE(t.Resize(DType::kFloat32, {20}).ok());
  EXPECT_EQ(t.dims(), std::vector<int64_t>{20});
  EXPECT_EQ(t.raw_data(), p);
  ASSERT_TRUE(t.Resize(DType::kInt32, {20}).ok());
  EXPECT_EQ(t.dtype(), DType::kInt32);
  ASSERT_TRUE(t.Resize(DType::kInt32, {2, 10}).ok());
  EXPECT_EQ(t.numel(), 20);
  // Bad requests still fail when the shape matches nothing held.
  EXPECT_FALSE(t.Resize(DType::kUndefined, {2, 10}).ok());
  EXPECT_EQ(t.dtype(), DType::kInt32);
  // A moved-from tensor has no storage: the early-out must not trust it.
  Tensor u = std::move(t);
  ASSERT_TRUE(t.Resize(DType::kInt32, {2, 10}).ok());  // NOLINT: reuse after move.
  EXPECT_NE(t.raw_data(), nullptr);
  EXPECT_EQ(t.numel(), 20);
}

TEST(DispatchTest, NewInputShapeIsStillNoticedAfterWarmRuns) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("t0", MakeTensor<float>({1}, {1.0f})).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(SeluChain(3));
  ASSERT_TRUE(net.ok());
  ASSERT_TRUE((*net)->Run().ok());
  ASSERT_TRUE((*net)->Run().ok());
  ASSERT_TRUE(ws.FeedBlob("t0", MakeTensor<float>({2}, {1.0f, -1.0f})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("t3")->dims(), std::vector<int64_t>{2});
  EXPECT_LT(ws.GetBlob("t3")->data<float>()[1], 0.0f);
}

}  // namespace
}  // namespace opgraph
