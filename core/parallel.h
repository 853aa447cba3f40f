// Intra-operator parallelism: splitting one kernel call over a few threads.
//
// An operator asks for `ParallelFor(threads, n, cost, fn)`: the items
// [0, n) are cut into at most `threads` contiguous ranges and fn(begin, end)
// runs once per range, each range on its own OpenMP thread. Work that is too
// small to repay the fork/join cost (a few microseconds on the machines
// opgraph is measured on) is never split: fn(0, n) then runs on the calling
// thread, with no OpenMP call at all.
//
// Thread counts: operators read Workspace::num_threads(), which is the
// workspace's own setting when one was made, else DefaultNumThreads().
//
// Thread safety: ParallelFor may be called from several threads at once
// (each call gets its own OpenMP team). fn must be safe to run concurrently
// on disjoint ranges. Set/DefaultNumThreads are atomic.
#ifndef OPGRAPH_CORE_PARALLEL_H_
#define OPGRAPH_CORE_PARALLEL_H_

#include <cstdint>

#include "absl/functional/function_ref.h"

namespace opgraph {

// Upper bound on any thread count opgraph uses; larger requests are clamped.
inline constexpr int kMaxThreads = 256;

// The process-wide default number of threads an operator may use: 1, unless
// the environment variable OPGRAPH_NUM_THREADS held an integer >= 1 when it
// was first read (other values are ignored with a warning), or
// SetDefaultNumThreads was called since.
int DefaultNumThreads();
// Sets the process default; n < 1 restores 1. Clamped to kMaxThreads.
void SetDefaultNumThreads(int n);

// Single-thread work (in nanoseconds) below which ParallelFor never splits,
// and the least work each thread must get when it does. See parallel.cc for
// the measurements behind the value.
inline constexpr double kMinParallelWorkNs = 50'000;

// The number of ranges ParallelFor(max_threads, n_items, cost_per_item_ns,
// ...) uses: 1 when n_items * cost_per_item_ns < 2 * kMinParallelWorkNs or
// max_threads <= 1, else min(max_threads, work / kMinParallelWorkNs,
// n_items) (and at least 2).
int ParallelThreadCount(int max_threads, int64_t n_items, double cost_per_item_ns);

// Runs fn over [0, n_items) in ParallelThreadCount(...) contiguous,
// non-empty, disjoint ranges that cover [0, n_items) in order. Every range
// boundary except n_items is a multiple of `grain` (>= 1; use it to keep
// each thread's output on its own cache lines). When one range is used,
// fn(0, n_items) runs on the calling thread. n_items <= 0: fn is not called.
// Returns when every range is done.
void ParallelFor(int max_threads, int64_t n_items, double cost_per_item_ns,
                 absl::FunctionRef<void(int64_t begin, int64_t end)> fn, int64_t grain = 1);

// How many ParallelFor calls in this process used more than one range.
// For tests that check which path an operator took.
int64_t ParallelSplitCount();

}  // namespace opgraph

#endif  // OPGRAPH_CORE_PARALLEL_H_
