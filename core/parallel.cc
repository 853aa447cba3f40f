#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "glog/logging.h"

namespace opgraph {
namespace {

// The threshold kMinParallelWorkNs (parallel.h) comes from measurements on
// the project's machine kind (2 vCPUs of a Zen 5 VM, g++ 12, libgomp), taken
// with a throwaway program that splits the SIMD kernels over an OpenMP
// `parallel for` exactly as ParallelFor does, inputs in cache, medians of 201
// runs, while other builds kept the load average at 4-6:
//   - an empty `omp parallel` region with 2 threads: 2.9 us;
//   - Softmax float32 [N, 1000], 1 thread vs 2: N=16 3.9 vs 5.2 us (0.75x),
//     N=64 15.5 vs 11.1 us (1.4x), N=256 66 vs 37 us (1.8x), N=1024 268 vs
//     143 us (1.9x);
//   - Selu float32, 32K-256K elements (4-34 us): 2 threads no faster
//     (0.6-0.98x; both threads wait on the same cache bandwidth); float64
//     256K: 102 vs 54 us (1.9x); float32 2M: 542 vs 305 us (1.8x);
//   - under that load about half of the 2-thread medians were 8-16 ms: the
//     second thread waited a whole scheduler slice for a free CPU.
// Work that scales breaks even near 10 us; below ~100 us the gain is at
// most a few tens of microseconds and a descheduled thread costs
// milliseconds. So ParallelFor splits only when each thread gets at least
// 50 us of single-thread work, and the process default stays 1 thread.
int ClampThreads(int64_t n) { return static_cast<int>(std::clamp<int64_t>(n, 1, kMaxThreads)); }

int ThreadsFromEnvironment() {
  const char* env = std::getenv("OPGRAPH_NUM_THREADS");
  if (env == nullptr || *env == '\0') return 1;
  int64_t n = 0;
  if (!absl::SimpleAtoi(env, &n) || n < 1) {
    LOG(WARNING) << "OPGRAPH_NUM_THREADS='" << env << "' is not an integer >= 1; using 1 thread";
    return 1;
  }
  return ClampThreads(n);
}

// 0 until first read.
std::atomic<int> g_default_threads{0};
std::atomic<int64_t> g_splits{0};

}  // namespace

int DefaultNumThreads() {
  int n = g_default_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  int expected = 0;
  n = ThreadsFromEnvironment();
  // A concurrent SetDefaultNumThreads wins over the environment.
  if (!g_default_threads.compare_exchange_strong(expected, n, std::memory_order_relaxed)) {
    return expected;
  }
  return n;
}

void SetDefaultNumThreads(int n) {
  g_default_threads.store(ClampThreads(n), std::memory_order_relaxed);
}

int ParallelThreadCount(int max_threads, int64_t n_items, double cost_per_item_ns) {
  if (max_threads <= 1 || n_items <= 1 || !(cost_per_item_ns > 0)) return 1;
  const double work = static_cast<double>(n_items) * cost_per_item_ns;
  if (!(work >= 2 * kMinParallelWorkNs)) return 1;
  const double by_work = work / kMinParallelWorkNs;  // >= 2 here
  int64_t t = std::min<int64_t>(ClampThreads(max_threads), n_items);
  if (by_work < static_cast<double>(t)) t = static_cast<int64_t>(by_work);
  return static_cast<int>(std::max<int64_t>(t, 2));
}

void ParallelFor(int max_threads, int64_t n_items, double cost_per_item_ns,
                 absl::FunctionRef<void(int64_t, int64_t)> fn, int64_t grain) {
  if (n_items <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t chunks = n_items / grain + (n_items % grain != 0);
  const int64_t t =
      std::min<int64_t>(ParallelThreadCount(max_threads, n_items, cost_per_item_ns), chunks);
  if (t <= 1) {
    fn(0, n_items);
    return;
  }
  g_splits.fetch_add(1, std::memory_order_relaxed);
  // Range k covers chunks [chunks * k / t, chunks * (k + 1) / t): non-empty
  // since t <= chunks. A loop over ranges rather than one range per thread
  // id, so every range runs even if OpenMP grants fewer threads (nesting,
  // OMP_THREAD_LIMIT).
#pragma omp parallel for num_threads(static_cast <int>(t)) schedule(static, 1)
  for (int64_t k = 0; k < t; ++k) {
    const int64_t begin = chunks * k / t * grain;
    const int64_t end = std::min(n_items, chunks * (k + 1) / t * grain);
    fn(begin, end);
  }
}

int64_t ParallelSplitCount() { return g_splits.load(std::memory_order_relaxed); }

}  // namespace opgraph
