#include "core/graph_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/registry.h"

namespace opgraph {

absl::StatusOr<std::vector<std::vector<TensorType>>> InputTypesPerOp(const NetDef& net,
                                                                     const TypeMap& inputs) {
  // InferNetTypes reports a missing blob or a bad operator with the net's
  // context; after it succeeds, the walk below cannot fail.
  absl::StatusOr<TypeMap> checked = InferNetTypes(net, inputs);
  if (!checked.ok()) return checked.status();
  TypeMap types = inputs;
  std::vector<std::vector<TensorType>> per_op(net.op_size());
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    if (schema == nullptr) {
      return absl::InternalError(absl::StrCat("schema of '", op.type(), "' vanished"));
    }
    for (const std::string& in : op.input()) {
      auto it = types.find(in);
      if (it == types.end()) {
        return absl::InternalError(absl::StrCat("blob '", in, "' vanished after inference"));
      }
      per_op[i].push_back(it->second);
    }
    absl::StatusOr<std::vector<TensorType>> out = schema->InferTensors(op, per_op[i]);
    if (!out.ok()) return out.status();
    for (int o = 0; o < op.output_size(); ++o) types[op.output(o)] = (*out)[o];
  }
  return per_op;
}

bool Reads(const OperatorDef& op, absl::string_view blob) {
  for (const std::string& in : op.input()) {
    if (in == blob) return true;
  }
  return false;
}

bool Writes(const OperatorDef& op, absl::string_view blob) {
  for (const std::string& out : op.output()) {
    if (out == blob) return true;
  }
  return false;
}

int CountReads(const NetDef& net, absl::string_view blob) {
  int n = 0;
  for (const OperatorDef& op : net.op()) {
    for (const std::string& in : op.input()) n += in == blob ? 1 : 0;
  }
  return n;
}

int LastAccessBefore(const NetDef& net, int index, absl::string_view blob) {
  for (int i = index - 1; i >= 0; --i) {
    if (Reads(net.op(i), blob) || Writes(net.op(i), blob)) return i;
  }
  return -1;
}

bool WrittenBetween(const NetDef& net, int first, int last, absl::string_view blob) {
  for (int k = first + 1; k < last; ++k) {
    if (Writes(net.op(k), blob)) return true;
  }
  return false;
}

BlobAccessIndex::BlobAccessIndex(const NetDef& net) {
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    for (const std::string& in : op.input()) {
      Accesses& a = blobs_[in];
      ++a.reads;
      if (a.ops.empty() || a.ops.back() != i) a.ops.push_back(i);
    }
    for (const std::string& out : op.output()) {
      Accesses& a = blobs_[out];
      if (a.ops.empty() || a.ops.back() != i) a.ops.push_back(i);
      if (a.writers.empty() || a.writers.back() != i) a.writers.push_back(i);
    }
  }
}

const BlobAccessIndex::Accesses* BlobAccessIndex::Find(absl::string_view blob) const {
  auto it = blobs_.find(blob);
  return it == blobs_.end() ? nullptr : &it->second;
}

int BlobAccessIndex::CountReads(absl::string_view blob) const {
  const Accesses* a = Find(blob);
  return a == nullptr ? 0 : a->reads;
}

int BlobAccessIndex::LastAccessBefore(int index, absl::string_view blob) const {
  const Accesses* a = Find(blob);
  if (a == nullptr) return -1;
  auto it = std::lower_bound(a->ops.begin(), a->ops.end(), index);
  return it == a->ops.begin() ? -1 : *(it - 1);
}

bool BlobAccessIndex::WrittenBetween(int first, int last, absl::string_view blob) const {
  const Accesses* a = Find(blob);
  if (a == nullptr) return false;
  auto it = std::upper_bound(a->writers.begin(), a->writers.end(), first);
  return it != a->writers.end() && *it < last;
}

std::set<std::string> KeptBlobs(const NetDef& net, const PassContext& ctx) {
  std::set<std::string> keep = ctx.protected_blobs;
  keep.insert(net.external_output().begin(), net.external_output().end());
  return keep;
}

}  // namespace opgraph
