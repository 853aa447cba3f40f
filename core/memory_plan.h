// Memory planning: rewrites a NetDef so that it needs fewer buffers, in the
// manner of Caffe2's memonger.
//
// Two rewrites, both pure renamings of blobs (operators, their order and
// arguments are unchanged):
//   1. In place: an operator whose schema allows output `o` to share input
//      `i` (AllowInplace) writes `o` into the blob of input `i` when that
//      input is dead afterwards: no later operator reads it, it is not
//      pinned (see below), and the operator reads that blob through no other
//      input.
//   2. Sharing: an intermediate output takes over the blob of an earlier
//      intermediate that is dead by then (its last reader has run) and holds
//      the same dtype and element count, as inferred by InferNetTypes.
//
// Pinned blobs keep their names and contents exactly as without planning:
// external_input, external_output, every blob already present (the `inputs`
// type map, i.e. the workspace contents), and MemoryPlanOptions::
// protected_blobs. Every other blob the net writes is an intermediate whose
// value after the run is unspecified once planned (it may hold another
// intermediate's data, or not exist). A net with nested nets in arguments is
// returned unchanged (its sub-nets name blobs the planner cannot follow).
// Operators that reach blobs through the workspace by name rather than
// through their inputs and outputs are not supported; no built-in one does.
//
// Thread safety: PlanMemory reads the operator registry (synchronized) and
// otherwise only its arguments; calls may run concurrently.
#ifndef OPGRAPH_CORE_MEMORY_PLAN_H_
#define OPGRAPH_CORE_MEMORY_PLAN_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "core/net.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

struct MemoryPlanOptions {
  // Blobs to keep by name and content, besides external inputs/outputs and
  // the blobs in `inputs` (for example blobs a caller fetches afterwards).
  std::set<std::string> protected_blobs;
  bool inplace = true;  // Rewrite 1 above.
  bool share = true;    // Rewrite 2 above.
  // Values of constant inputs for value-dependent inference; nullptr: none.
  ConstantLookup constants;
};

struct MemoryPlanReport {
  // Distinct blobs the net reads or writes, and the bytes they hold after a
  // run (each blob at the largest inferred size it takes), before and after
  // planning. Pinned blobs count in both.
  int64_t blobs_before = 0;
  int64_t blobs_after = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
  // Operator outputs redirected into one of the operator's inputs.
  int inplace_outputs = 0;
  // Operator outputs redirected into an earlier, dead intermediate's blob.
  int shared_outputs = 0;
  // Why nothing was changed, when planning was skipped; else empty.
  std::string skipped;

  // "memory plan: 102 blobs -> 3, 6.4 GiB -> 192 MiB (99 outputs in place,
  // 0 shared)".
  std::string ToString() const;
};

struct MemoryPlan {
  NetDef net;
  MemoryPlanReport report;
};

// Plans `net` for a workspace whose blobs have the types in `inputs` (as
// for InferNetTypes). Returns the errors of InferNetTypes unchanged (the
// net would not run either); otherwise the rewritten net and its report.
// The rewritten net computes bit for bit the same pinned blobs.
absl::StatusOr<MemoryPlan> PlanMemory(const NetDef& net, const TypeMap& inputs,
                                      const MemoryPlanOptions& options = {});

}  // namespace opgraph

#endif  // OPGRAPH_CORE_MEMORY_PLAN_H_
