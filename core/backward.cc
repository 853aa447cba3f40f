#include "core/backward.h"

#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/gradient.h"
#include "core/registry.h"

namespace opgraph {
namespace {

// One value of a blob: the blob's name and how many writes preceded it
// (0 = the value the net reads before writing it).
using Value = std::pair<std::string, int>;

std::string NetLabel(const NetDef& net) {
  return net.name().empty() ? std::string("net <unnamed>") : absl::StrCat("net '", net.name(), "'");
}

std::string OpLabel(const NetDef& net, int i) {
  const OperatorDef& op = net.op(i);
  return absl::StrCat(NetLabel(net), " operator #", i, " ", op.type(),
                      op.name().empty() ? "" : " '" + op.name() + "'");
}

// Renames output `slot` of ops[j] to `to`, and every later read of the old
// name within `ops` (a multi-operator gradient may reuse what it wrote).
void RenameOutput(std::vector<OperatorDef>* ops, size_t j, int slot, const std::string& to) {
  const std::string from = (*ops)[j].output(slot);
  (*ops)[j].set_output(slot, to);
  for (size_t q = j + 1; q < ops->size(); ++q) {
    for (int k = 0; k < (*ops)[q].input_size(); ++k) {
      if ((*ops)[q].input(k) == from) (*ops)[q].set_input(k, to);
    }
  }
}

class BackwardBuilder {
 public:
  explicit BackwardBuilder(const NetDef& net) : net_(net) {}

  absl::StatusOr<GradientNetInfo> Build(const std::vector<std::string>& losses);
  std::vector<OperatorDef>& ops() { return ops_; }

 private:
  void NumberValues();
  void MarkRelevant(const std::vector<std::string>& losses);
  // The gradient of `v`: "" when nothing reaches it, the single part, or
  // the sum of the parts (emitted now, by the operator with the
  // GradientAccumulation role).
  absl::StatusOr<std::string> Accumulate(const Value& v);
  std::string SplitName(const std::string& blob) {
    return absl::StrCat(blob, "_grad_autosplit_", split_counter_[blob]++);
  }
  absl::Status Differentiate(int i);
  absl::Status CheckForwardReads(int i, const GradientOpsMeta& meta,
                                 const std::vector<std::string>& g_out) const;

  const NetDef& net_;
  std::vector<std::vector<int>> in_ver_, out_ver_;
  std::map<std::string, int> final_ver_;
  std::map<Value, int> writer_;  // value -> index of the op that wrote it
  std::set<std::string> forward_blobs_;
  std::vector<bool> relevant_op_;
  std::map<Value, int> consumers_;  // reads of a value by relevant ops, + 1 per loss seed
  std::map<Value, std::vector<std::string>> parts_;
  std::map<std::string, int> split_counter_;
  std::vector<OperatorDef> ops_;
  GradientNetInfo info_;
};

void BackwardBuilder::NumberValues() {
  const int n = net_.op_size();
  in_ver_.assign(n, {});
  out_ver_.assign(n, {});
  for (int i = 0; i < n; ++i) {
    const OperatorDef& op = net_.op(i);
    for (const std::string& in : op.input()) {
      in_ver_[i].push_back(final_ver_[in]);
      forward_blobs_.insert(in);
    }
    for (const std::string& out : op.output()) {
      const int v = ++final_ver_[out];
      out_ver_[i].push_back(v);
      writer_[{out, v}] = i;
      forward_blobs_.insert(out);
    }
  }
}

void BackwardBuilder::MarkRelevant(const std::vector<std::string>& losses) {
  std::set<Value> needed;
  for (const std::string& l : losses) {
    needed.insert({l, final_ver_[l]});
    ++consumers_[{l, final_ver_[l]}];
  }
  relevant_op_.assign(net_.op_size(), false);
  for (int i = net_.op_size() - 1; i >= 0; --i) {
    const OperatorDef& op = net_.op(i);
    for (int k = 0; k < op.output_size() && !relevant_op_[i]; ++k) {
      relevant_op_[i] = needed.count({op.output(k), out_ver_[i][k]}) > 0;
    }
    if (!relevant_op_[i]) continue;
    // An operator that reads a value in several slots counts once: its
    // gradient maker returns one total gradient per input blob.
    std::set<Value> read;
    for (int k = 0; k < op.input_size(); ++k) read.insert({op.input(k), in_ver_[i][k]});
    for (const Value& v : read) {
      needed.insert(v);
      ++consumers_[v];
    }
  }
}

absl::StatusOr<std::string> BackwardBuilder::Accumulate(const Value& v) {
  auto it = parts_.find(v);
  if (it == parts_.end() || it->second.empty()) return std::string();
  std::string name = it->second[0];
  if (it->second.size() > 1) {
    absl::StatusOr<std::string> type =
        OpRegistry::Global().TypeForRole(OpRole::kGradientAccumulation);
    if (!type.ok()) {
      return absl::Status(type.status().code(),
                          absl::StrCat("cannot add the gradients of blob '", v.first, "' in ",
                                       NetLabel(net_), ": ", type.status().message()));
    }
    name = v.first + "_grad";
    OperatorDef sum;
    sum.set_type(*type);
    for (const std::string& p : it->second) sum.add_input(p);
    sum.add_output(name);
    sum.set_is_gradient_op(true);
    ops_.push_back(std::move(sum));
  }
  info_.gradient_of[v.first] = name;
  parts_.erase(it);
  return name;
}

absl::Status BackwardBuilder::CheckForwardReads(int i, const GradientOpsMeta& meta,
                                                const std::vector<std::string>& g_out) const {
  const OperatorDef& op = net_.op(i);
  const std::vector<OperatorDef>& gops = meta.ops;
  const std::set<std::string> grads(g_out.begin(), g_out.end());
  for (const OperatorDef& g : gops) {
    for (const std::string& name : g.input()) {
      if (grads.count(name)) continue;
      // An input the operator overwrote in place: the blob holds the
      // operator's output when the gradient runs, never the input the maker
      // asked for (I(k)).
      for (int k = 0; k < op.input_size(); ++k) {
        if (op.input(k) != name || !meta.reads_input[k]) continue;
        for (int o = 0; o < op.output_size(); ++o) {
          if (op.output(o) != name) continue;
          return absl::FailedPreconditionError(
              absl::StrCat("cannot differentiate ", OpLabel(net_, i),
                           ": it runs in place on blob '", name, "' (input ", k, " and output ", o,
                           "), and its gradient ", g.type(), " reads input ", k, " '", name,
                           "' as the operator saw it, which the operator overwrote; write output ",
                           o, " to a new blob"));
        }
      }
      int needed = -1;
      for (int k = 0; k < op.output_size(); ++k) {
        if (op.output(k) == name) needed = out_ver_[i][k];
      }
      for (int k = 0; k < op.input_size() && needed < 0; ++k) {
        if (op.input(k) == name) needed = in_ver_[i][k];
      }
      if (needed < 0) continue;  // not a blob of the forward operator
      const int last = final_ver_.at(name);
      if (last != needed) {
        const int overwriter = writer_.at({name, needed + 1});
        return absl::FailedPreconditionError(
            absl::StrCat("cannot differentiate ", OpLabel(net_, i), ": its gradient ", g.type(),
                         " reads blob '", name, "' as this operator saw it, but ",
                         OpLabel(net_, overwriter), " overwrites '", name,
                         "' later, so the backward pass would read the wrong "
                         "value; write that operator's output to a new blob"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status BackwardBuilder::Differentiate(int i) {
  const OperatorDef& op = net_.op(i);
  std::vector<std::string> g_out(op.output_size());
  bool any = false;
  for (int k = 0; k < op.output_size(); ++k) {
    absl::StatusOr<std::string> g = Accumulate({op.output(k), out_ver_[i][k]});
    if (!g.ok()) return g.status();
    g_out[k] = *std::move(g);
    any = any || !g_out[k].empty();
  }
  if (!any) return absl::OkStatus();
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(op, g_out);
  if (!meta.ok()) {
    return absl::Status(
        meta.status().code(),
        absl::StrCat("cannot differentiate ", OpLabel(net_, i),
                     ", which lies on a path to the loss: ", meta.status().message()));
  }
  std::vector<OperatorDef>& gops = meta->ops;
  absl::Status s = CheckForwardReads(i, *meta, g_out);
  if (!s.ok()) return s;

  // Give each input gradient its final name and file it under the value
  // the forward operator read.
  std::set<std::pair<size_t, int>> claimed;
  std::set<Value> filed;
  for (int k = 0; k < op.input_size(); ++k) {
    const std::string& produced = meta->g_input[k];
    if (produced.empty()) continue;
    const Value v{op.input(k), in_ver_[i][k]};
    // A blob read in several slots has one gradient blob, the total.
    if (!filed.insert(v).second) continue;
    std::string name = produced;
    for (size_t j = 0; j < gops.size(); ++j) {
      bool done = false;
      for (int o = 0; o < gops[j].output_size() && !done; ++o) {
        if (gops[j].output(o) != produced || claimed.count({j, o})) continue;
        claimed.insert({j, o});
        done = true;
        // An output that overwrites one of its own operator's inputs is
        // only safe where that operator's schema allows it.
        bool bad_inplace = false;
        const OpSchema* schema = OpRegistry::Global().FindSchema(gops[j].type());
        for (int q = 0; q < gops[j].input_size(); ++q) {
          if (gops[j].input(q) == produced &&
              (schema == nullptr || !schema->IsInplaceAllowed(q, o))) {
            bad_inplace = true;
          }
        }
        if (consumers_[v] > 1 || bad_inplace) {
          name = SplitName(v.first);
          RenameOutput(&gops, j, o, name);
        }
      }
      if (done) break;
    }
    parts_[v].push_back(name);
  }
  for (const OperatorDef& g : gops) {
    for (const std::string& out : g.output()) {
      if (forward_blobs_.count(out)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot differentiate ", OpLabel(net_, i), ": its gradient ", g.type(),
            " would write blob '", out, "', which the forward net also uses; rename that blob"));
      }
    }
    ops_.push_back(g);
  }
  return absl::OkStatus();
}

absl::StatusOr<GradientNetInfo> BackwardBuilder::Build(const std::vector<std::string>& losses) {
  info_.num_forward_ops = net_.op_size();
  if (losses.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AddGradientOperators on ", NetLabel(net_), ": no loss blob given"));
  }
  NumberValues();
  std::set<std::string> seen;
  for (const std::string& l : losses) {
    if (!seen.insert(l).second) {
      return absl::InvalidArgumentError(absl::StrCat("AddGradientOperators on ", NetLabel(net_),
                                                     ": loss blob '", l, "' is given twice"));
    }
    auto it = final_ver_.find(l);
    if (it == final_ver_.end() || it->second == 0) {
      return absl::InvalidArgumentError(absl::StrCat("AddGradientOperators on ", NetLabel(net_),
                                                     ": loss blob '", l,
                                                     "' is not written by any operator"));
    }
  }
  MarkRelevant(losses);
  absl::StatusOr<std::string> seed_type = OpRegistry::Global().TypeForRole(OpRole::kGradientSeed);
  if (!seed_type.ok()) {
    return absl::Status(
        seed_type.status().code(),
        absl::StrCat("AddGradientOperators on ", NetLabel(net_),
                     ": cannot seed the loss gradients: ", seed_type.status().message()));
  }
  for (const std::string& l : losses) {
    const Value v{l, final_ver_[l]};
    const std::string name = consumers_[v] > 1 ? SplitName(l) : l + "_grad";
    if (forward_blobs_.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("AddGradientOperators on ", NetLabel(net_), ": the gradient of loss '", l,
                       "' would be named '", name, "', which the forward net already uses"));
    }
    OperatorDef seed;
    seed.set_type(*seed_type);
    seed.add_input(l);
    seed.add_output(name);
    Argument* value = seed.add_arg();
    value->set_name("value");
    value->set_f(1.0f);
    seed.set_is_gradient_op(true);
    ops_.push_back(std::move(seed));
    parts_[v].push_back(name);
  }
  for (int i = net_.op_size() - 1; i >= 0; --i) {
    if (!relevant_op_[i]) continue;
    absl::Status s = Differentiate(i);
    if (!s.ok()) return s;
  }
  // What is left are gradients of values the net reads before writing.
  std::vector<Value> inputs;
  for (const auto& [v, parts] : parts_) inputs.push_back(v);
  for (const Value& v : inputs) {
    absl::StatusOr<std::string> g = Accumulate(v);
    if (!g.ok()) return g.status();
  }
  return info_;
}

}  // namespace

absl::StatusOr<GradientNetInfo> AddGradientOperators(NetDef* net,
                                                     const std::vector<std::string>& loss_blobs) {
  BackwardBuilder builder(*net);
  absl::StatusOr<GradientNetInfo> info = builder.Build(loss_blobs);
  if (!info.ok()) return info.status();
  for (OperatorDef& op : builder.ops()) *net->add_op() = std::move(op);
  return info;
}

}  // namespace opgraph
