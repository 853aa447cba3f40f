#include "tools/session.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/net_io.h"
#include "core/optimize.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"
#include "tools/cli_common.h"
#include "tools/model_file.h"

namespace opgraph {
namespace cli {
namespace {

using NameValue = std::pair<std::string, std::string>;

constexpr DType kDtypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                             DType::kInt64,   DType::kBool,    DType::kUint8};

absl::Status WithContext(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

// "NAME=VALUE" pairs with distinct names.
absl::StatusOr<std::vector<NameValue>> ParseNameValues(const std::vector<std::string>& values,
                                                       const std::string& flag) {
  std::vector<NameValue> out;
  for (const std::string& v : values) {
    OPGRAPH_ASSIGN_OR_RETURN(NameValue nv, SplitNameValue(v, flag));
    for (const NameValue& seen : out) {
      if (seen.first == nv.first) {
        return UsageError(absl::StrCat(flag, " names blob '", nv.first, "' more than once"));
      }
    }
    out.push_back(std::move(nv));
  }
  return out;
}

// "NAME=D0,D1,...[:dtype]"; "NAME=:dtype" is a scalar.
absl::StatusOr<std::pair<std::string, TensorType>> ParseInputShape(const std::string& text) {
  const std::string flag = "--input-shape";
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return UsageError(absl::StrCat(flag, " '", text, "': expected NAME=D0,D1,...[:dtype], e.g. ",
                                   flag, " X=2,4:float32"));
  }
  const std::string name = text.substr(0, eq);
  std::string spec = text.substr(eq + 1);
  TensorType type{DType::kFloat32, {}};
  const size_t colon = spec.find(':');
  if (colon != std::string::npos) {
    const std::string dtype = spec.substr(colon + 1);
    type.dtype = DType::kUndefined;
    for (DType d : kDtypes) {
      if (dtype == DTypeName(d)) type.dtype = d;
    }
    if (type.dtype == DType::kUndefined) {
      return UsageError(absl::StrCat(flag, " ", name, ": unknown dtype '", dtype,
                                     "' (float32, float64, int32, int64, bool, uint8)"));
    }
    spec = spec.substr(0, colon);
  }
  if (!spec.empty()) {
    for (absl::string_view d : absl::StrSplit(spec, ',')) {
      int64_t v;
      if (!absl::SimpleAtoi(d, &v) || v < 0) {
        return UsageError(
            absl::StrCat(flag, " ", name, ": '", d, "' is not a non-negative dimension"));
      }
      type.dims.push_back(v);
    }
  }
  // The limits a real tensor of this type would meet (core/tensor.h).
  absl::StatusOr<int64_t> numel = CheckedNumElements(type.dims, type.dtype, TensorLimits());
  if (!numel.ok()) {
    return absl::Status(numel.status().code(),
                        absl::StrCat(flag, " ", name, ": ", numel.status().message()));
  }
  return std::make_pair(name, type);
}

absl::StatusOr<TypeMap> ParseInputShapes(const std::vector<std::string>& values) {
  TypeMap out;
  for (const std::string& s : values) {
    OPGRAPH_ASSIGN_OR_RETURN(auto named, ParseInputShape(s));
    if (!out.emplace(named.first, named.second).second) {
      return UsageError(
          absl::StrCat("--input-shape names blob '", named.first, "' more than once"));
    }
  }
  return out;
}

// A name given to `flag` that the net never reads is most likely a typo.
absl::Status CheckRead(const std::vector<std::string>& reads, const NetDef& net,
                       const std::string& path, const std::string& flag_and_value,
                       const std::string& name) {
  if (std::find(reads.begin(), reads.end(), name) != reads.end()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      flag_and_value, ": ", NetLabel(net, path), " does not read a blob named '", name,
      "' (it reads: ", reads.empty() ? std::string("nothing") : JoinBounded(reads), ")"));
}

}  // namespace

absl::Status LoadPlugins(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    OPGRAPH_RETURN_IF_ERROR(WithContext(LoadPlugin(path), absl::StrCat("--plugin ", path)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::set<std::string>> ParseDisabledPasses(const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const PassInfo& p : RegisteredPasses()) known.push_back(p.name);
  std::set<std::string> out;
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return UsageError(absl::StrCat("--disable-pass ", name, ": no such pass (known passes: ",
                                     absl::StrJoin(known, ", "), ")"));
    }
    out.insert(name);
  }
  return out;
}

std::string NetLabel(const NetDef& net, const std::string& path) {
  return net.name().empty() ? absl::StrCat("net ", path)
                            : absl::StrCat("net '", net.name(), "' (", path, ")");
}

absl::StatusOr<ModelFile> ReadCliModel(const std::string& path) {
  OPGRAPH_ASSIGN_OR_RETURN(ModelFile model, ReadModelFile(path));
  if (!model.onnx && model.net.op_size() == 0) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    return absl::InvalidArgumentError(absl::StrCat(
        path, ec ? std::string() : absl::StrCat(" (", size, size == 1 ? " byte" : " bytes", ")"),
        " parses as an empty net: no operators; is it a net file?"));
  }
  return model;
}

// Removes from `net` every argument its operator's schema does not know,
// appending one line per changed operator to *warnings. Operators of an
// unknown type are left for net creation to refuse.
void DropUnknownArguments(NetDef* net, const std::string& path,
                          std::vector<std::string>* warnings) {
  for (int i = 0; i < net->op_size(); ++i) {
    OperatorDef* op = net->mutable_op(i);
    const OpSchema* schema = OpRegistry::Global().FindSchema(op->type());
    if (schema == nullptr) continue;
    const std::vector<std::string> unknown = schema->UnknownArguments(*op);
    if (unknown.empty()) continue;
    auto* args = op->mutable_arg();
    args->erase(std::remove_if(args->begin(), args->end(),
                               [&](const Argument& a) {
                                 return std::find(unknown.begin(), unknown.end(), a.name()) !=
                                        unknown.end();
                               }),
                args->end());
    warnings->push_back(absl::StrCat(path, " operator #", i, " ", op->type(), ": dropped '",
                                     absl::StrJoin(unknown, "', '"), "'"));
  }
}

absl::StatusOr<std::unique_ptr<Session>> Session::Load(const SessionOptions& options) {
  // Usage errors first, before anything is loaded or read.
  // --input FILE (no '='): every tensor of the file under its own name.
  std::vector<std::string> named_inputs;
  for (const std::string& v : options.inputs) {
    if (v.find('=') != std::string::npos || v.empty()) named_inputs.push_back(v);
  }
  OPGRAPH_ASSIGN_OR_RETURN(std::vector<NameValue> inputs, ParseNameValues(named_inputs, "--input"));
  for (const std::string& v : options.inputs) {
    if (v.find('=') == std::string::npos && !v.empty()) inputs.emplace_back("", v);
  }
  OPGRAPH_ASSIGN_OR_RETURN(TypeMap declared, ParseInputShapes(options.input_shapes));
  int from_stdin = 0;
  for (const NameValue& nv : inputs) from_stdin += nv.second == "-" ? 1 : 0;
  if (from_stdin > 1) {
    return UsageError("--input NAME=- reads standard input; only one --input may use it");
  }
  OPGRAPH_RETURN_IF_ERROR(LoadPlugins(options.plugins));

  std::unique_ptr<Session> s(new Session());
  s->net_path_ = options.net_path;
  // NET is a NetDef or an ONNX model (whose constants its own init net fills).
  OPGRAPH_ASSIGN_OR_RETURN(ModelFile model, ReadCliModel(options.net_path));
  s->net_ = std::move(model.net);
  if (options.lenient_args) DropUnknownArguments(&s->net_, options.net_path, &s->warnings_);
  s->reads_ = NetReads(s->net_);
  WorkspaceOptions wo;
  wo.num_threads = options.threads;
  if (options.memory_budget > 0) wo.memory_budget_bytes = options.memory_budget;
  s->ws_ = std::make_unique<Workspace>(wo);
  for (const auto& [name, type] : declared) {
    OPGRAPH_RETURN_IF_ERROR(
        CheckRead(s->reads_, s->net_, s->net_path_, "--input-shape " + name, name));
  }
  if (model.onnx) {
    OPGRAPH_RETURN_IF_ERROR(
        WithContext(s->ws_->RunNetOnce(model.init),
                    absl::StrCat(options.net_path, ": filling the ONNX model's constants")));
    for (const std::string& blob : s->ws_->Blobs()) s->origin_[blob] = "from the ONNX model";
  }
  if (!options.init_path.empty()) {
    OPGRAPH_ASSIGN_OR_RETURN(NetDef init, ReadNetFile(options.init_path));
    if (options.lenient_args) DropUnknownArguments(&init, options.init_path, &s->warnings_);
    OPGRAPH_RETURN_IF_ERROR(WithContext(s->ws_->RunNetOnce(init),
                                        absl::StrCat("init ", NetLabel(init, options.init_path))));
    for (const std::string& blob : s->ws_->Blobs()) s->origin_[blob] = "from --init";
  }
  OPGRAPH_RETURN_IF_ERROR(s->ReadInputs(inputs));
  s->declared_ = std::move(declared);
  for (const auto& [name, type] : s->declared_) s->origin_[name] = "from --input-shape";
  return s;
}

absl::Status Session::ReadInputs(const std::vector<NameValue>& inputs) {
  for (const auto& [name, file] : inputs) {
    if (!name.empty()) {
      OPGRAPH_RETURN_IF_ERROR(
          CheckRead(reads_, net_, net_path_, absl::StrCat("--input ", name, "=", file), name));
    }
    const std::string context = name.empty() ? "--input " + file : "--input " + name;
    absl::StatusOr<std::vector<NamedTensor>> all;
    if (file == "-") {
      // Standard input, read as a stream in .npy format.
      absl::StatusOr<Tensor> t = ReadNpy("/dev/stdin");
      if (!t.ok()) return WithContext(t.status(), context);
      all.emplace();
      all->push_back(NamedTensor{"", *std::move(t)});
    } else {
      all = ReadTensorsFile(file);
    }
    if (!all.ok()) return WithContext(all.status(), context);
    std::vector<NamedTensor> feed;
    if (name.empty()) {
      // Every tensor under its own name.
      for (NamedTensor& t : *all) {
        if (t.name.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              context, ": the file gives its tensor no name; use --input NAME=", file));
        }
        feed.push_back(std::move(t));
      }
    } else if (all->size() == 1) {
      feed.push_back(NamedTensor{name, std::move((*all)[0].tensor)});
    } else {
      // A file of several tensors: the one of that name.
      std::vector<std::string> names;
      for (NamedTensor& t : *all) {
        names.push_back(t.name);
        if (t.name == name) feed.push_back(NamedTensor{name, std::move(t.tensor)});
      }
      if (feed.empty()) {
        return absl::NotFoundError(absl::StrCat(context, ": ", file, " holds no tensor named '",
                                                name, "' (it holds: ", JoinBounded(names), ")"));
      }
    }
    for (NamedTensor& t : feed) {
      OPGRAPH_RETURN_IF_ERROR(WithContext(ws_->FeedBlob(t.name, std::move(t.tensor)), context));
      origin_[t.name] = "from --input";
    }
  }
  return absl::OkStatus();
}

TypeMap Session::StartTypes() const {
  TypeMap types = ws_->BlobTypes();
  for (const auto& [name, type] : declared_) types[name] = type;
  return types;
}

std::string Session::Origin(const std::string& blob) const {
  auto it = origin_.find(blob);
  return it == origin_.end() ? "" : it->second;
}

absl::Status Session::CheckInputsPresent() const {
  std::vector<std::string> missing;
  for (const std::string& name : reads_) {
    const Tensor* t = ws_->GetBlob(name);
    if (t == nullptr || !t->initialized()) missing.push_back(name);
  }
  if (missing.empty()) return absl::OkStatus();
  std::string msg = absl::StrCat(NetLabel(net_, net_path_), " reads ", missing.size(),
                                 missing.size() == 1 ? " blob" : " blobs",
                                 " that no --init net produced and no --input gave:");
  // Each description walks the net, so only the first few are described.
  for (size_t i = 0; i < missing.size() && i < kMaxListedNames; ++i) {
    absl::StrAppend(&msg, "\n  ", missing[i], ": ", DescribeFirstReader(net_, missing[i]));
  }
  if (missing.size() > kMaxListedNames) {
    absl::StrAppend(&msg, "\n  ... and ", missing.size() - kMaxListedNames, " more");
  }
  absl::StrAppend(&msg,
                  "\nGive each with --input NAME=FILE (.npy, or .pb/.pbtxt TensorProto), "
                  "or produce it in the --init net.");
  return absl::FailedPreconditionError(msg);
}

absl::StatusOr<Net*> Session::CreateNet(const RewriteOptions& options, RewriteReport* report) {
  *report = RewriteReport();
  const std::string label = absl::StrCat("running ", net_path_);
  const TypeMap types = StartTypes();
  NetDef net = net_;
  absl::Status pass_error;
  if (options.optimize) {
    OptimizeOptions o;
    o.input_types = types;
    o.protected_blobs = options.keep;
    o.disabled_passes = options.disabled_passes;
    o.constants = MakeConstantLookup(*ws_, net);
    absl::StatusOr<OptimizeResult> r = OptimizeNet(net, o);
    if (r.ok()) {
      net = std::move(r->net);
      report->passes_changed = r->passes_changed;
      for (const Rewrite& w : r->rewrites) report->rewrites.push_back(w.description);
    } else {
      pass_error = WithContext(r.status(), absl::StrCat("optimizing ", net_path_));
    }
  }
  if (options.plan_memory && pass_error.ok()) {
    MemoryPlanOptions o;
    o.protected_blobs.insert(options.keep.begin(), options.keep.end());
    o.constants = MakeConstantLookup(*ws_, net);
    absl::StatusOr<MemoryPlan> plan = PlanMemory(net, types, o);
    if (plan.ok()) {
      net = std::move(plan->net);
      report->memory_planned = true;
      report->memory_plan = plan->report;
    } else {
      pass_error = WithContext(plan.status(), absl::StrCat("planning memory for ", net_path_));
    }
  }
  if (!pass_error.ok()) net = net_;
  absl::StatusOr<Net*> created = ws_->CreateNet(net, /*overwrite=*/true);
  if (!created.ok()) return WithContext(created.status(), label);
  // The rewrites failed on a net that is valid as written: a bug in a pass,
  // which must not pass silently as an unoptimized run.
  if (!pass_error.ok()) return pass_error;
  return created;
}

}  // namespace cli
}  // namespace opgraph
