// Graph optimization passes: rewrite a NetDef into one that computes the
// same observable blobs with fewer or cheaper operators.
//
// A pass never changes what the blobs the caller cares about hold after a
// run: the net's external outputs and the `protected_blobs` the caller
// names. Intermediate blobs that no one else reads may disappear. Passes
// need the types and shapes of the blobs the net reads (`input_types`,
// e.g. Workspace::BlobTypes()) to prove a rewrite legal.
//
// Thread safety: the functions here only read the (synchronized) operator
// registry and may run concurrently.
#ifndef OPGRAPH_CORE_OPTIMIZE_H_
#define OPGRAPH_CORE_OPTIMIZE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// One rewrite a pass made.
struct Rewrite {
  std::string pass;              // "FuseSeluSoftmax"
  std::vector<int> original_ops; // indices in the net the pass was given
  int new_op = -1;               // index of the replacement in the pass's result
  // "fused Selu #0 + Softmax #1 into SeluSoftmax #0"
  std::string description;
};

// Replaces each Selu whose output feeds only a Softmax by one SeluSoftmax
// (at the Softmax's position, with the Selu's alpha and scale, the Softmax's
// output, name "<selu name>+<softmax name>" when either has one, and the
// Softmax's device option and engine). A pair (Selu #i: X -> H, Softmax #j:
// H -> Y) is fused only when all of these hold:
//   - #j is the first operator after #i that reads or writes H, and no
//     other operator in the net reads H;
//   - H is not an external output and not in `protected_blobs`;
//   - no operator between #i and #j writes X, and Y != X;
//   - the Softmax's rows are single-axis softmaxes: with a its canonical
//     axis over the rank of H, every dim after a is 1 (a is the last dim,
//     or only 1s follow). SeluSoftmax then gets axis = a;
//   - the Selu's arguments are valid (its Init() accepts them), so a bad
//     argument is reported against the Selu, unfused.
// A Selu running in place (X == H) qualifies like any other; blob X then
// keeps its value from before the Selu. The result is bit for bit what the
// unfused net computes for every blob other than the removed H values.
// `rewrites`, when not null, receives one entry per fusion.
// Errors: those of InferNetTypes(net, input_types) (the pass needs every
// shape); the input net is never modified.
absl::StatusOr<NetDef> FuseSeluSoftmax(const NetDef& net,
                                       const std::vector<std::string>& protected_blobs,
                                       const TypeMap& input_types,
                                       std::vector<Rewrite>* rewrites = nullptr);

struct OptimizeOptions {
  // Blobs whose final values must be kept, besides external outputs.
  std::vector<std::string> protected_blobs;
  // Types of the blobs the net reads.
  TypeMap input_types;
  // Passes not to run, by name (`opgraph --disable-pass`). A name that no
  // pass has is an InvalidArgument error listing the known passes.
  std::set<std::string> disabled_passes;
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
};

// Every pass OptimizeNet knows, in the order it applies them.
std::vector<PassInfo> RegisteredPasses();
// Their names, in the same order.
std::vector<std::string> OptimizationPasses();

// Applies the passes enabled by default and not in
// options.disabled_passes, in order. Errors: InvalidArgument for an unknown
// name in disabled_passes; otherwise the first pass's error (see each pass).
// `net` is never modified.
absl::StatusOr<OptimizeResult> OptimizeNet(const NetDef& net, const OptimizeOptions& options);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_OPTIMIZE_H_
