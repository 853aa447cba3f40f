// Helpers for graph passes (core/graph_pass.h): the questions every fusion
// asks about a NetDef, with no knowledge of any particular operator.
//
// Operator indices are positions in net.op(). Thread safety: all functions
// only read their arguments and the (synchronized) operator registry.
#ifndef OPGRAPH_CORE_GRAPH_UTIL_H_
#define OPGRAPH_CORE_GRAPH_UTIL_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/graph_pass.h"
#include "core/net.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The input types of every operator, in order: result[i][k] is the type of
// net.op(i).input(k) when operator i runs. (InferNetTypes gives only each
// blob's final type, which a later operator may have changed.) Errors:
// those of InferNetTypesPerOp(net, inputs, constants).
absl::StatusOr<std::vector<std::vector<TensorType>>> InputTypesPerOp(
    const NetDef& net, const TypeMap& inputs, const ConstantLookup& constants = nullptr);

// Whether `op` lists `blob` among its inputs / outputs.
bool Reads(const OperatorDef& op, absl::string_view blob);
bool Writes(const OperatorDef& op, absl::string_view blob);

// Input slots, over the whole net, that read `blob` (an operator reading it
// twice counts twice).
//
// CountReads, LastAccessBefore and WrittenBetween walk the net on every
// call; a pass that asks for every operator should build a BlobAccessIndex
// once instead, which answers the same questions in logarithmic time.
int CountReads(const NetDef& net, absl::string_view blob);

// The index of the last operator before `index` that reads or writes
// `blob`, or -1 when none does.
int LastAccessBefore(const NetDef& net, int index, absl::string_view blob);

// Whether an operator strictly between `first` and `last` writes `blob`.
bool WrittenBetween(const NetDef& net, int first, int last, absl::string_view blob);

// Who reads and writes each blob of a net, built in one pass over it. The
// answers equal those of the free functions above for the net it was built
// from; it refers to no part of the net afterwards.
class BlobAccessIndex {
 public:
  explicit BlobAccessIndex(const NetDef& net);
  int CountReads(absl::string_view blob) const;
  int LastAccessBefore(int index, absl::string_view blob) const;
  bool WrittenBetween(int first, int last, absl::string_view blob) const;

 private:
  struct Accesses {
    std::vector<int> ops;      // Operators reading or writing it, ascending, once each.
    std::vector<int> writers;  // Operators writing it, ascending, once each.
    int reads = 0;             // Input slots reading it.
  };
  const Accesses* Find(absl::string_view blob) const;

  std::map<std::string, Accesses, std::less<>> blobs_;
};

// The blobs whose final values a pass must keep: ctx.protected_blobs and
// the net's external outputs.
std::set<std::string> KeptBlobs(const NetDef& net, const PassContext& ctx);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_GRAPH_UTIL_H_
