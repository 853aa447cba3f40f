// Graph optimization: run the registered graph passes (core/graph_pass.h)
// over a NetDef, giving one that computes the same observable blobs with
// fewer or cheaper operators.
//
// A pass never changes what the blobs the caller cares about hold after a
// run: the net's external outputs and the `protected_blobs` the caller
// names. Intermediate blobs that no one else reads may disappear. Passes
// need the types and shapes of the blobs the net reads (`input_types`,
// e.g. Workspace::BlobTypes()) to prove a rewrite legal.
//
// core/ knows no pass: each one is registered next to the operators it
// rewrites (e.g. ops/selu_softmax_fusion.cc) or by a plugin.
//
// Thread safety: the functions here only read the (synchronized) operator
// registry and may run concurrently.
#ifndef OPGRAPH_CORE_OPTIMIZE_H_
#define OPGRAPH_CORE_OPTIMIZE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph_pass.h"  // Rewrite, PassContext, GraphPass.
#include "core/net.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

struct OptimizeOptions {
  // Blobs whose final values must be kept, besides external outputs.
  std::vector<std::string> protected_blobs;
  // Types of the blobs the net reads.
  TypeMap input_types;
  // Passes not to run, by name (`opgraph --disable-pass`). A name that no
  // pass has is an InvalidArgument error listing the known passes.
  std::set<std::string> disabled_passes;
  // Values of constant inputs for value-dependent inference
  // (PassContext::constants); nullptr: none known.
  ConstantLookup constants;
};

struct OptimizeResult {
  NetDef net;
  std::vector<std::string> passes_run;      // in order, e.g. {"FuseSeluSoftmax"}
  std::vector<std::string> passes_changed;  // the subset of passes_run that rewrote the net
  std::vector<Rewrite> rewrites;            // every rewrite, in pass order
};

// A pass OptimizeNet may run.
struct PassInfo {
  std::string name;         // "FuseSeluSoftmax"
  std::string description;  // one line, for `opgraph inspect` and docs
  bool enabled_by_default = true;
  int order = 0;       // lower runs first; ties by name
  std::string source;  // "built-in" or the plugin's path
};

// Every registered pass, in the order OptimizeNet applies them.
std::vector<PassInfo> RegisteredPasses();
// Their names, in the same order.
std::vector<std::string> OptimizationPasses();

// Applies the registered passes that are enabled by default and not in
// options.disabled_passes, in order, each to the previous one's result.
// A pass counts as changed (passes_changed) when it reported a rewrite or
// its result differs from its input. Rewrites a pass leaves without a pass
// name get its name.
// Errors: InvalidArgument for an unknown name in disabled_passes (listing
// the known ones); the first failing pass's error, with the same code and
// the pass named; Internal when a pass returns a net that fails type
// inference (a bug in that pass). `net` is never modified.
absl::StatusOr<OptimizeResult> OptimizeNet(const NetDef& net, const OptimizeOptions& options);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_OPTIMIZE_H_
