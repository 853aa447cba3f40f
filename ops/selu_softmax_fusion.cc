// The FuseSeluSoftmax graph pass: Selu followed by Softmax -> SeluSoftmax
// (ops/selu_softmax_op.cc), when the result is provably identical.
//
// Each Selu whose output feeds only a Softmax is replaced by one
// SeluSoftmax (at the Softmax's position, with the Selu's alpha and scale,
// the Softmax's output, name "<selu name>+<softmax name>" when either has
// one, and the Softmax's device option and engine). A pair (Selu #i:
// X -> H, Softmax #j: H -> Y) is fused only when all of these hold:
//   - #j is the first operator after #i that reads or writes H, and no
//     other operator in the net reads H;
//   - H is not an external output and not in ctx.protected_blobs;
//   - no operator between #i and #j writes X, and Y != X;
//   - the Softmax's rows are single-axis softmaxes: with a its canonical
//     axis over the rank of H, every dim after a is 1 (a is the last dim,
//     or only 1s follow). SeluSoftmax then gets axis = a;
//   - the Selu's arguments are valid (its Init() accepts them), so a bad
//     argument is reported against the Selu, unfused.
// A Selu running in place (X == H) qualifies like any other; blob X then
// keeps its value from before the Selu. The result is bit for bit what the
// unfused net computes for every blob other than the removed H values.
// Errors: those of InferNetTypesPerOp(net, ctx.input_types, ctx.constants), since the pass
// needs every shape.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/graph_util.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr char kPassName[] = "FuseSeluSoftmax";
constexpr char kSelu[] = "Selu";
constexpr char kSoftmax[] = "Softmax";
constexpr char kSeluSoftmax[] = "SeluSoftmax";

// Softmax's default axis, from its schema.
absl::StatusOr<int64_t> SoftmaxDefaultAxis() {
  const OpSchema* schema = OpRegistry::Global().FindSchema(kSoftmax);
  const ArgSpec* axis = schema == nullptr ? nullptr : schema->FindArg("axis");
  if (axis == nullptr || !axis->has_default) {
    return absl::InternalError("Softmax's schema has no default for argument 'axis'");
  }
  return axis->default_value.i();
}

// The SeluSoftmax axis for a Softmax over `type`, or -1 when Softmax's
// flattened rows are not single-axis rows.
int FusedAxis(const OperatorDef& softmax, const TensorType& type, int64_t default_axis) {
  const Argument* a = FindArgument(softmax, "axis");
  const int ndim = static_cast<int>(type.dims.size());
  absl::StatusOr<int> axis = CanonicalAxis(a != nullptr ? a->i() : default_axis, ndim);
  if (!axis.ok()) return -1;
  return DimsProduct(type.dims, *axis + 1, ndim) == 1 ? *axis : -1;
}

absl::StatusOr<NetDef> FuseSeluSoftmax(const NetDef& net, const PassContext& ctx,
                                       std::vector<Rewrite>* rewrites) {
  absl::StatusOr<std::vector<std::vector<TensorType>>> in_types =
      InputTypesPerOp(net, ctx.input_types, ctx.constants);
  if (!in_types.ok()) return in_types.status();
  absl::StatusOr<int64_t> default_axis = SoftmaxDefaultAxis();
  if (!default_axis.ok()) return default_axis.status();
  const std::set<std::string> keep = KeptBlobs(net, ctx);
  // One index instead of a walk over the net per Softmax: the pass stays
  // linear (times a log) in the number of operators.
  const BlobAccessIndex access(net);

  std::map<int, int> selu_of;  // fused Softmax index -> its Selu index
  std::map<int, int> axis_of;  // fused Softmax index -> SeluSoftmax axis
  std::set<int> fused_selus;
  for (int j = 0; j < net.op_size(); ++j) {
    const OperatorDef& softmax = net.op(j);
    if (softmax.type() != kSoftmax || softmax.input_size() != 1) continue;
    const std::string& h = softmax.input(0);
    const int i = access.LastAccessBefore(j, h);
    if (i < 0) continue;
    const OperatorDef& selu = net.op(i);
    if (selu.type() != kSelu || selu.output(0) != h) continue;
    const std::string& x = selu.input(0);
    const std::string& y = softmax.output(0);
    // Readers of H: this Softmax, and the Selu itself when it runs in place.
    if (access.CountReads(h) != 1 + (x == h ? 1 : 0)) continue;
    if (keep.count(h) > 0 || y == x) continue;
    if (access.WrittenBetween(i, j, x)) continue;
    const int axis = FusedAxis(softmax, (*in_types)[j][0], *default_axis);
    if (axis < 0) continue;
    if (!OpRegistry::Global().CreateOperator(selu).ok()) continue;
    selu_of[j] = i;
    axis_of[j] = axis;
    fused_selus.insert(i);
  }

  NetDef out = net;
  out.clear_op();
  for (int j = 0; j < net.op_size(); ++j) {
    if (fused_selus.count(j) > 0) continue;
    auto pair = selu_of.find(j);
    if (pair == selu_of.end()) {
      *out.add_op() = net.op(j);
      continue;
    }
    const OperatorDef& selu = net.op(pair->second);
    const OperatorDef& softmax = net.op(j);
    OperatorDef* fused = out.add_op();
    fused->set_type(kSeluSoftmax);
    if (!selu.name().empty() || !softmax.name().empty()) {
      fused->set_name(absl::StrCat(selu.name(), "+", softmax.name()));
    }
    fused->add_input(selu.input(0));
    fused->add_output(softmax.output(0));
    for (const Argument& a : selu.arg()) *fused->add_arg() = a;
    Argument* axis = fused->add_arg();
    axis->set_name("axis");
    axis->set_i(axis_of[j]);
    if (softmax.has_device_option()) *fused->mutable_device_option() = softmax.device_option();
    if (softmax.has_engine()) fused->set_engine(softmax.engine());
    if (rewrites != nullptr) {
      const int k = out.op_size() - 1;
      rewrites->push_back(Rewrite{
          kPassName,
          {pair->second, j},
          k,
          absl::StrCat("fused Selu #", pair->second, " + Softmax #", j, " into SeluSoftmax #", k)});
    }
  }
  return out;
}

}  // namespace

REGISTER_GRAPH_PASS(FuseSeluSoftmax)
    .Description("Selu feeding only a Softmax over single-axis rows -> one SeluSoftmax")
    .Order(100)
    .Function(FuseSeluSoftmax);

}  // namespace opgraph
