#include "core/net.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"
#include "core/workspace.h"

namespace opgraph {
namespace {

std::string NetLabel(const NetDef& net) {
  return net.name().empty() ? std::string("net <unnamed>")
                            : absl::StrCat("net '", net.name(), "'");
}

}  // namespace

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
                      op.name().empty() ? "" : " '" + op.name() + "'", " (inputs: ",
                      ins.empty() ? "none" : absl::StrJoin(ins, ", "), ")");
}

NetLimits& GetNetLimits() {
  static NetLimits* limits = new NetLimits();
  return *limits;
}

absl::Status CheckNetLimits(const NetDef& net) {
  const NetLimits& limits = GetNetLimits();
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
          NetLabel(net), " nests nets inside arguments ", depth,
          " levels deep, over the limit of ", limits.max_nesting_depth,
          " (NetLimits::max_nesting_depth)"));
    }
    ops += n->op_size();
    if (ops > limits.max_ops) {
      return absl::ResourceExhaustedError(absl::StrCat(
          NetLabel(net), " has more than ", limits.max_ops,
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

absl::StatusOr<TypeMap> InferNetTypes(const NetDef& net, const TypeMap& inputs) {
  absl::Status limits = CheckNetLimits(net);
  if (!limits.ok()) return limits;
  TypeMap types = inputs;
  const std::set<std::string> external(net.external_input().begin(),
                                       net.external_input().end());
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
    std::vector<TensorType> in_types;
    for (const std::string& in : op.input()) {
      auto it = types.find(in);
      if (it == types.end()) {
        return fail(absl::NotFoundError(absl::StrCat(
            "input blob '", in, "' ",
            external.count(in) ? "is declared in external_input but is not in the workspace"
                               : "is neither in the workspace nor written by an earlier "
                                 "operator")));
      }
      in_types.push_back(it->second);
    }
    absl::StatusOr<std::vector<TensorType>> out = schema->InferTensors(op, in_types);
    if (!out.ok()) return fail(out.status());
    for (int o = 0; o < op.output_size(); ++o) {
      absl::StatusOr<int64_t> n = CheckedNumElements((*out)[o].dims, (*out)[o].dtype);
      if (!n.ok()) {
        return fail(absl::Status(n.status().code(),
                                 absl::StrCat("output '", op.output(o), "': ",
                                              n.status().message())));
      }
      types[op.output(o)] = (*out)[o];
    }
  }
  return types;
}

absl::Status Net::CheckInputTypes() {
  bool changed = false;
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    const Tensor* t = input_tensors_[i];
    if (!t->initialized()) {
      return absl::FailedPreconditionError(absl::StrCat(
          NetLabel(def_), ": input blob '", input_names_[i], "' holds no tensor"));
    }
    if (t->dtype() != input_types_[i].dtype || t->dims() != input_types_[i].dims) {
      changed = true;
    }
  }
  if (!changed) return absl::OkStatus();
  TypeMap inputs;
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    inputs[input_names_[i]] = input_tensors_[i]->type();
  }
  absl::StatusOr<TypeMap> types = InferNetTypes(def_, inputs);
  if (!types.ok()) return types.status();
  for (size_t i = 0; i < input_tensors_.size(); ++i) {
    input_types_[i] = input_tensors_[i]->type();
  }
  types_ = std::move(*types);
  return absl::OkStatus();
}

absl::Status Net::Run() {
  absl::Status s = CheckInputTypes();
  if (!s.ok()) return s;
  for (size_t i = 0; i < ops_.size(); ++i) {
    s = ops_[i]->RunOnDevice();
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(DescribeOperator(def_, static_cast<int>(i), types_),
                                                 " failed: ", s.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace opgraph
