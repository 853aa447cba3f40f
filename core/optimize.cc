#include "core/optimize.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/operator.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr char kFuseSeluSoftmax[] = "FuseSeluSoftmax";
// Softmax's default axis (ops/softmax_op.cc).
constexpr int64_t kSoftmaxDefaultAxis = 1;

// The input types of every operator, in order. InferNetTypes gives only the
// final type of each blob, which a later operator may have changed.
absl::StatusOr<std::vector<std::vector<TensorType>>> InputTypesPerOp(const NetDef& net,
                                                                     const TypeMap& inputs) {
  TypeMap types = inputs;
  std::vector<std::vector<TensorType>> per_op(net.op_size());
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    if (schema == nullptr) return absl::InternalError("schema vanished");
    for (const std::string& in : op.input()) per_op[i].push_back(types.at(in));
    absl::StatusOr<std::vector<TensorType>> out = schema->InferTensors(op, per_op[i]);
    if (!out.ok()) return out.status();
    for (int o = 0; o < op.output_size(); ++o) types[op.output(o)] = (*out)[o];
  }
  return per_op;
}

bool Reads(const OperatorDef& op, const std::string& blob) {
  for (const std::string& in : op.input()) {
    if (in == blob) return true;
  }
  return false;
}
bool Writes(const OperatorDef& op, const std::string& blob) {
  for (const std::string& out : op.output()) {
    if (out == blob) return true;
  }
  return false;
}

// The SeluSoftmax axis for a Softmax over `type`, or -1 when Softmax's
// flattened rows are not single-axis rows.
int FusedAxis(const OperatorDef& softmax, const TensorType& type) {
  const Argument* a = FindArgument(softmax, "axis");
  const int ndim = static_cast<int>(type.dims.size());
  absl::StatusOr<int> axis = CanonicalAxis(a != nullptr ? a->i() : kSoftmaxDefaultAxis, ndim);
  if (!axis.ok()) return -1;
  return DimsProduct(type.dims, *axis + 1, ndim) == 1 ? *axis : -1;
}

}  // namespace

absl::StatusOr<NetDef> FuseSeluSoftmax(const NetDef& net,
                                       const std::vector<std::string>& protected_blobs,
                                       const TypeMap& input_types,
                                       std::vector<Rewrite>* rewrites) {
  absl::StatusOr<TypeMap> checked = InferNetTypes(net, input_types);
  if (!checked.ok()) return checked.status();
  absl::StatusOr<std::vector<std::vector<TensorType>>> in_types =
      InputTypesPerOp(net, input_types);
  if (!in_types.ok()) return in_types.status();

  std::set<std::string> keep(protected_blobs.begin(), protected_blobs.end());
  keep.insert(net.external_output().begin(), net.external_output().end());
  // Input slots reading each blob, over the whole net.
  std::map<std::string, int> read_count;
  for (const OperatorDef& op : net.op()) {
    for (const std::string& in : op.input()) ++read_count[in];
  }

  std::map<int, int> selu_of;  // fused Softmax index -> its Selu index
  std::set<int> fused_selus;
  for (int j = 0; j < net.op_size(); ++j) {
    const OperatorDef& softmax = net.op(j);
    if (softmax.type() != "Softmax" || softmax.input_size() != 1) continue;
    const std::string& h = softmax.input(0);
    int i = j - 1;
    while (i >= 0 && !Reads(net.op(i), h) && !Writes(net.op(i), h)) --i;
    if (i < 0) continue;
    const OperatorDef& selu = net.op(i);
    if (selu.type() != "Selu" || selu.output(0) != h) continue;
    const std::string& x = selu.input(0);
    const std::string& y = softmax.output(0);
    // Readers of H: this Softmax, and the Selu itself when it runs in place.
    if (read_count[h] != 1 + (x == h ? 1 : 0)) continue;
    if (keep.count(h) > 0 || y == x) continue;
    bool x_rewritten = false;
    for (int k = i + 1; k < j && !x_rewritten; ++k) x_rewritten = Writes(net.op(k), x);
    if (x_rewritten) continue;
    if (FusedAxis(softmax, (*in_types)[j][0]) < 0) continue;
    if (!OpRegistry::Global().CreateOperator(selu).ok()) continue;
    selu_of[j] = i;
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
    fused->set_type("SeluSoftmax");
    if (!selu.name().empty() || !softmax.name().empty()) {
      fused->set_name(absl::StrCat(selu.name(), "+", softmax.name()));
    }
    fused->add_input(selu.input(0));
    fused->add_output(softmax.output(0));
    for (const Argument& a : selu.arg()) *fused->add_arg() = a;
    Argument* axis = fused->add_arg();
    axis->set_name("axis");
    axis->set_i(FusedAxis(softmax, (*in_types)[j][0]));
    if (softmax.has_device_option()) *fused->mutable_device_option() = softmax.device_option();
    if (softmax.has_engine()) fused->set_engine(softmax.engine());
    if (rewrites != nullptr) {
      const int k = out.op_size() - 1;
      rewrites->push_back(Rewrite{kFuseSeluSoftmax, {pair->second, j}, k,
                                  absl::StrCat("fused Selu #", pair->second, " + Softmax #", j,
                                               " into SeluSoftmax #", k)});
    }
  }
  // The rewrite must leave a valid net; anything else is a bug here.
  absl::StatusOr<TypeMap> after = InferNetTypes(out, input_types);
  if (!after.ok()) {
    return absl::InternalError(
        absl::StrCat("FuseSeluSoftmax produced an invalid net: ", after.status().message()));
  }
  return out;
}

std::vector<PassInfo> RegisteredPasses() {
  return {PassInfo{kFuseSeluSoftmax,
                   "Selu feeding only a Softmax over single-axis rows -> one SeluSoftmax",
                   true}};
}

std::vector<std::string> OptimizationPasses() {
  std::vector<std::string> names;
  for (const PassInfo& p : RegisteredPasses()) names.push_back(p.name);
  return names;
}

absl::StatusOr<OptimizeResult> OptimizeNet(const NetDef& net, const OptimizeOptions& options) {
  const std::vector<std::string> known = OptimizationPasses();
  for (const std::string& name : options.disabled_passes) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no graph pass named '", name,
                                                     "'; known passes: ",
                                                     absl::StrJoin(known, ", ")));
    }
  }
  OptimizeResult result;
  result.net = net;
  if (options.disabled_passes.count(kFuseSeluSoftmax) == 0) {
    const size_t before = result.rewrites.size();
    absl::StatusOr<NetDef> fused = FuseSeluSoftmax(result.net, options.protected_blobs,
                                                   options.input_types, &result.rewrites);
    if (!fused.ok()) return fused.status();
    result.net = *std::move(fused);
    result.passes_run.push_back(kFuseSeluSoftmax);
    if (result.rewrites.size() > before) result.passes_changed.push_back(kFuseSeluSoftmax);
  }
  return result;
}

}  // namespace opgraph
