#include "core/net.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/exceptions.h"
#include "core/registry.h"
#include "core/workspace.h"

namespace opgraph {
namespace {

std::string NetLabel(const NetDef& net) {
  return net.name().empty() ? std::string("net <unnamed>") : absl::StrCat("net '", net.name(), "'");
}

// Every blob that operators first..end read and nobody wrote before (in
// `known` or by an earlier operator from `first` on), in order of first
// read: "; the net reads N blobs that are missing: a, b, ... (and M more)".
// One pass, so a net with many missing inputs costs linear time, and the
// text stays short however many there are.
std::string MissingInputsSummary(const NetDef& net, int first, const TypeMap& known) {
  constexpr size_t kMaxListed = 16;
  std::set<std::string> written;
  std::set<std::string> missing;
  std::vector<const std::string*> listed;
  for (int i = first; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    for (const std::string& in : op.input()) {
      if (known.count(in) > 0 || written.count(in) > 0) continue;
      if (missing.insert(in).second && listed.size() < kMaxListed) listed.push_back(&in);
    }
    written.insert(op.output().begin(), op.output().end());
  }
  if (missing.size() <= 1) return "";
  std::string out = absl::StrCat("; the net reads ", missing.size(), " blobs that are missing: ");
  for (size_t k = 0; k < listed.size(); ++k) {
    absl::StrAppend(&out, k > 0 ? ", " : "", *listed[k]);
  }
  if (missing.size() > listed.size()) {
    absl::StrAppend(&out, " (and ", missing.size() - listed.size(), " more)");
  }
  return out;
}

}  // namespace

ConstantLookup MakeConstantLookup(const Workspace& ws, const NetDef& net) {
  auto written = std::make_shared<std::set<std::string>>();
  for (const OperatorDef& op : net.op()) written->insert(op.output().begin(), op.output().end());
  return [&ws, written](const std::string& blob) -> const Tensor* {
    if (written->count(blob) > 0) return nullptr;
    const Tensor* t = ws.GetBlob(blob);
    return t != nullptr && t->initialized() ? t : nullptr;
  };
}

std::vector<size_t> WrittenBytes(const NetDef& net, const NetTypes& types,
                                 const std::vector<std::string>& written) {
  std::map<std::string, size_t> index;
  for (size_t w = 0; w < written.size(); ++w) index[written[w]] = w;
  std::vector<size_t> bytes(written.size(), 0);
  for (int i = 0; i < net.op_size(); ++i) {
    for (int o = 0; o < net.op(i).output_size(); ++o) {
      // String elements are objects, made when the operator's output is
      // typed (Tensor::SetTypeWithinCapacity); they need no byte storage.
      if (types.op_outputs[i][o].dtype == DType::kString) continue;
      const size_t need = static_cast<size_t>(types.op_output_numel[i][o]) *
                          DTypeSize(types.op_outputs[i][o].dtype);
      size_t& b = bytes[index.at(net.op(i).output(o))];
      b = std::max(b, need);
    }
  }
  return bytes;
}

std::string DescribeOperator(const NetDef& net, int index, const TypeMap& types) {
  const OperatorDef& op = net.op(index);
  // An operator may list any number of inputs; the message names the first
  // few, so that an error about a hostile net stays short.
  constexpr int kMaxListed = 16;
  std::vector<std::string> ins;
  for (const std::string& in : op.input()) {
    if (static_cast<int>(ins.size()) == kMaxListed) {
      ins.push_back(absl::StrCat("... ", op.input_size() - kMaxListed, " more"));
      break;
    }
    auto it = types.find(in);
    ins.push_back(absl::StrCat(in, " ", it == types.end() ? "<unknown>" : it->second.ToString()));
  }
  return absl::StrCat(NetLabel(net), " operator #", index, " ", op.type(),
                      op.name().empty() ? "" : " '" + op.name() + "'",
                      " (inputs: ", ins.empty() ? "none" : absl::StrJoin(ins, ", "), ")");
}

absl::Status CheckNetLimits(const NetDef& net, const NetLimits& limits) {
  // An explicit stack, so a deeply nested net cannot overflow the C++ stack
  // before the depth check sees it.
  std::vector<std::pair<const NetDef*, int>> pending = {{&net, 0}};
  int64_t ops = 0;
  while (!pending.empty()) {
    // Not a structured binding: clang 14 cannot capture one in the lambda.
    const NetDef* n = pending.back().first;
    const int depth = pending.back().second;
    pending.pop_back();
    if (depth > limits.max_nesting_depth) {
      return absl::InvalidArgumentError(absl::StrCat(
          NetLabel(net), " nests nets inside arguments ", depth, " levels deep, over the limit of ",
          limits.max_nesting_depth, " (NetLimits::max_nesting_depth)"));
    }
    ops += n->op_size();
    if (ops > limits.max_ops) {
      return absl::ResourceExhaustedError(
          absl::StrCat(NetLabel(net), " has more than ", limits.max_ops,
                       " operators (counting nested nets), over the limit NetLimits::max_ops"));
    }
    auto push_args = [&](const google::protobuf::RepeatedPtrField<Argument>& args) {
      for (const Argument& a : args) {
        if (a.has_n()) pending.push_back({&a.n(), depth + 1});
        for (const NetDef& sub : a.nets()) pending.push_back({&sub, depth + 1});
      }
    };
    push_args(n->arg());
    for (const OperatorDef& op : n->op()) push_args(op.arg());
  }
  return absl::OkStatus();
}

absl::StatusOr<NetTypes> InferNetTypesPerOp(const NetDef& net, const TypeMap& inputs,
                                            const ConstantLookup& constants,
                                            const TensorLimits& tensor_limits,
                                            const NetLimits& net_limits) {
  absl::Status limits = CheckNetLimits(net, net_limits);
  if (!limits.ok()) return limits;
  NetTypes result;
  result.blobs = inputs;
  TypeMap& types = result.blobs;
  result.op_inputs.resize(net.op_size());
  result.op_outputs.resize(net.op_size());
  result.op_output_numel.resize(net.op_size());
  const std::set<std::string> external(net.external_input().begin(), net.external_input().end());
  std::set<std::string> written;
  if (constants) {
    for (const OperatorDef& op : net.op()) written.insert(op.output().begin(), op.output().end());
  }
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    auto fail = [&](const absl::Status& s) {
      return absl::Status(s.code(),
                          absl::StrCat(DescribeOperator(net, i, types), ": ", s.message()));
    };
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    if (schema == nullptr) {
      return fail(absl::NotFoundError(absl::StrCat("unknown operator type '", op.type(), "'")));
    }
    absl::Status s = schema->Verify(op);
    if (!s.ok()) return fail(s);
    std::vector<TensorType>& in_types = result.op_inputs[i];
    std::vector<const Tensor*> values;
    for (const std::string& in : op.input()) {
      auto it = types.find(in);
      if (it == types.end()) {
        return fail(absl::NotFoundError(absl::StrCat(
            "input blob '", in, "' ",
            external.count(in) ? "is declared in external_input but is not in the workspace"
                               : "is neither in the workspace nor written by an earlier "
                                 "operator",
            MissingInputsSummary(net, i, types))));
      }
      in_types.push_back(it->second);
      if (schema->value_dependent()) {
        values.push_back(constants && written.count(in) == 0 ? constants(in) : nullptr);
      }
    }
    absl::StatusOr<std::vector<TensorType>> out;
    s = CallCatching("shape inference", [&] {
      out = schema->InferTensors(op, in_types, values);
      return absl::OkStatus();
    });
    if (!s.ok()) return fail(s);
    if (!out.ok()) return fail(out.status());
    for (int o = 0; o < op.output_size(); ++o) {
      absl::StatusOr<int64_t> n =
          CheckedNumElements((*out)[o].dims, (*out)[o].dtype, tensor_limits);
      if (!n.ok()) {
        return fail(absl::Status(n.status().code(), absl::StrCat("output '", op.output(o),
                                                                 "': ", n.status().message())));
      }
      types[op.output(o)] = (*out)[o];
      result.op_output_numel[i].push_back(*n);
    }
    result.op_outputs[i] = std::move(*out);
  }
  return result;
}

absl::StatusOr<TypeMap> InferNetTypes(const NetDef& net, const TypeMap& inputs,
                                      const TensorLimits& tensor_limits,
                                      const NetLimits& net_limits) {
  absl::StatusOr<NetTypes> types =
      InferNetTypesPerOp(net, inputs, nullptr, tensor_limits, net_limits);
  if (!types.ok()) return types.status();
  return std::move(types->blobs);
}

absl::Status Net::PrepareOps(const NetTypes& types) {
  for (size_t i = 0; i < ops_.size(); ++i) {
    OpState& state = states_[i];
    PrepareContext ctx(types.op_inputs[i], types.op_outputs[i], state.constant_inputs);
    absl::Status s = CallCatching("Prepare", [&] { return ops_[i]->Prepare(ctx); });
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(DescribeOperator(def_, static_cast<int>(i), types.blobs),
                                       ": prepare failed: ", s.message()));
    }
    state.watched.clear();
    // Value-dependent inference read every constant input's value.
    const bool inferred_from_values = ops_[i]->schema().value_dependent();
    for (int k = 0; k < ctx.num_inputs(); ++k) {
      if (ctx.watched(k) || (inferred_from_values && state.constant_inputs[k] != nullptr)) {
        state.watched.push_back({state.constant_inputs[k], state.constant_inputs[k]->version()});
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Net::CheckNeedsPrepare(bool* needed) {
  *needed = !prepared_;
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    const Tensor* t = input_tensors_[i];
    if (!t->initialized()) {
      return absl::FailedPreconditionError(
          absl::StrCat(NetLabel(def_), ": input blob '", input_names_[i], "' holds no tensor"));
    }
    if (t->dtype() != input_types_[i].dtype || t->dims() != input_types_[i].dims) {
      *needed = true;
    }
  }
  for (const OpState& state : states_) {
    for (const auto& [tensor, version] : state.watched) {
      if (tensor->version() != version) *needed = true;
    }
  }
  // A blob the net writes may have been replaced by a smaller tensor (fed
  // anew) since the last run; the workspace's generation says when to look.
  if (ws_->generation() != workspace_generation_) {
    for (const Written& w : written_) {
      if (w.tensor->capacity() < w.bytes) *needed = true;
    }
    workspace_generation_ = ws_->generation();
  }
  return absl::OkStatus();
}

absl::Status Net::Reprepare() {
  prepared_ = false;
  TypeMap inputs;
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    inputs[input_names_[i]] = input_tensors_[i]->type();
  }
  const WorkspaceOptions& options = ws_->options();
  absl::StatusOr<NetTypes> types =
      InferNetTypesPerOp(def_, inputs, MakeConstantLookup(*ws_, def_), options.tensor, options.net);
  if (!types.ok()) return types.status();
  absl::Status s = PrepareOps(*types);
  if (!s.ok()) return s;
  std::vector<size_t> bytes = WrittenBytes(def_, *types, written_names_);
  int64_t growth = 0;
  for (size_t w = 0; w < written_.size(); ++w) {
    const size_t have = written_[w].tensor->capacity();
    if (bytes[w] > have) growth += static_cast<int64_t>(bytes[w] - have);
  }
  s = ws_->CheckBudget(growth, absl::StrCat(NetLabel(def_), " (the blobs it writes)"));
  if (!s.ok()) return s;
  // The blobs grow below; count them again when next asked.
  ws_->used_bytes_stale_ = true;
  for (size_t w = 0; w < written_.size(); ++w) {
    written_[w].bytes = bytes[w];
    s = written_[w].tensor->Reserve(bytes[w]);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(NetLabel(def_), ": blob '", written_names_[w],
                                                 "': ", s.message()));
    }
  }
  types_ = *std::move(types);
  BindTypes();
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    input_types_[i] = input_tensors_[i]->type();
  }
  ++prepare_count_;
  prepared_ = true;
  return absl::OkStatus();
}

void Net::BindTypes() {
  for (size_t i = 0; i < ops_.size(); ++i) {
    states_[i].out_types.clear();
    for (const TensorType& t : types_.op_outputs[i]) states_[i].out_types.push_back(&t);
    states_[i].out_numel = types_.op_output_numel[i];
  }
}

absl::Status Net::Run() {
  // Operators that size their outputs from input values resize them while
  // running; the workspace counts its bytes again when next asked.
  ws_->used_bytes_stale_ = true;
  bool needed = false;
  absl::Status s = CheckNeedsPrepare(&needed);
  if (!s.ok()) return s;
  if (needed) {
    s = Reprepare();
    if (!s.ok()) return s;
  }
  for (size_t i = 0; i < ops_.size(); ++i) {
    OperatorBase* op = ops_[i].get();
    const OpState& state = states_[i];
    // Blobs written by several operators may change type between them; the
    // storage was sized for the largest at preparation.
    for (size_t o = 0; o < state.out_types.size(); ++o) {
      Tensor* t = op->Output(static_cast<int>(o));
      const TensorType& want = *state.out_types[o];
      if (t->dtype() != want.dtype || t->dims() != want.dims) {
        if (!t->SetTypeWithinCapacity(want, state.out_numel[o])) {
          return absl::InternalError(
              absl::StrCat(DescribeOperator(def_, static_cast<int>(i), types_.blobs), ": output '",
                           op->def().output(o),
                           "' has less storage than prepared; was it replaced "
                           "behind the workspace's back?"));
        }
      }
    }
    s = CallCatching("RunOnDevice", [op] { return op->RunOnDevice(); });
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(DescribeOperator(def_, static_cast<int>(i), types_.blobs),
                                       " failed: ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace opgraph
