// The DropUnreadOutputs graph pass: an operator stops writing trailing
// outputs that nothing reads, where its schema lets it run without them.
//
// The case it exists for: the backward net that AddGradientOperators (and
// `opgraph grad`) writes computes the gradient of every input on a path to
// the loss, including the data input X of the first FC. FCGradient's third
// output dX = dY W is then a whole GEMM whose result no operator reads; for
// the 784-512-512-10 MLP at batch 256 it is about a sixth of a training
// step's work. (PyTorch skips it because X does not require grad.)
//
// Operator #i's last output O is dropped, and then its new last output is
// considered, while all of these hold:
//   - the schema of #i allows one output fewer (OpSchema::OutputCountAllowed);
//     a schema that declares an output optional promises that the operator
//     computes its other outputs the same way without it (docs/PLUGINS.md);
//   - no operator of the net reads O, before or after #i (a net may run
//     repeatedly, so an earlier reader would see this run's value next run);
//   - O is not an external output and not in ctx.protected_blobs;
//   - O is not also an input of #i (an in-place output stays);
//   - O is not named by another output of #i.
// The other blobs are bit for bit what the unpruned net computes; O keeps
// whatever value it had before the run (it is an intermediate nobody reads).
// Errors: none; a net without such outputs comes back unchanged.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/graph_util.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr char kPassName[] = "DropUnreadOutputs";

bool CanDropLastOutput(const OperatorDef& op, const OpSchema& schema, const BlobAccessIndex& access,
                       const std::set<std::string>& keep) {
  const int n = op.output_size();
  if (n == 0 || !schema.OutputCountAllowed(n - 1)) return false;
  const std::string& o = op.output(n - 1);
  if (keep.count(o) > 0 || access.CountReads(o) > 0) return false;
  for (int k = 0; k + 1 < n; ++k) {
    if (op.output(k) == o) return false;
  }
  return !Reads(op, o);
}

absl::StatusOr<NetDef> DropUnreadOutputs(const NetDef& net, const PassContext& ctx,
                                         std::vector<Rewrite>* rewrites) {
  const std::set<std::string> keep = KeptBlobs(net, ctx);
  const BlobAccessIndex access(net);
  NetDef out = net;
  for (int i = 0; i < out.op_size(); ++i) {
    OperatorDef* op = out.mutable_op(i);
    const OpSchema* schema = OpRegistry::Global().FindSchema(op->type());
    if (schema == nullptr) continue;  // Unknown operators are reported by the net.
    std::vector<std::string> dropped;
    while (CanDropLastOutput(*op, *schema, access, keep)) {
      dropped.push_back(op->output(op->output_size() - 1));
      op->mutable_output()->RemoveLast();
    }
    if (dropped.empty() || rewrites == nullptr) continue;
    std::string names;
    for (auto it = dropped.rbegin(); it != dropped.rend(); ++it) {
      absl::StrAppend(&names, names.empty() ? "" : ", ", *it);
    }
    rewrites->push_back(Rewrite{
        kPassName,
        {i},
        i,
        absl::StrCat(op->type(), " #", i, " no longer writes ", names, " (no operator reads it)")});
  }
  return out;
}

}  // namespace

REGISTER_GRAPH_PASS(DropUnreadOutputs)
    .Description("an operator stops writing optional trailing outputs that nothing reads")
    .Order(200)
    .Function(DropUnreadOutputs);

}  // namespace opgraph
