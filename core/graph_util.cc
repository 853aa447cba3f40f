#include "core/graph_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/registry.h"

namespace opgraph {

absl::StatusOr<std::vector<std::vector<TensorType>>> InputTypesPerOp(
    const NetDef& net, const TypeMap& inputs, const ConstantLookup& constants) {
  absl::StatusOr<NetTypes> types = InferNetTypesPerOp(net, inputs, constants);
  if (!types.ok()) return types.status();
  return std::move(types->op_inputs);
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
