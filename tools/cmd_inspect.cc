// opgraph inspect NET [--init INIT_NET] [--input-shape NAME=D0,D1,...[:dtype]]...
//
// Shows a net's operators, its blobs with inferred types and shapes, its
// external inputs and outputs, which operators run in place, and the net
// after optimization. The findings go into an InspectReport
// (tools/inspect_report.h), written as text or JSON.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/exceptions.h"
#include "core/operator.h"
#include "core/optimize.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/inspect_report.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

struct InspectFlags {
  ValueFlag init;
  std::vector<std::string> inputs, input_shapes, disabled_passes;
  bool json = false, no_optimize = false;
};

std::string ArgText(const Argument& a) {
  auto f = [](float v) { return absl::StrFormat("%.9g", v); };
  std::string v;
  if (a.has_f()) {
    v = f(a.f());
  } else if (a.has_i()) {
    v = absl::StrCat(a.i());
  } else if (a.has_s()) {
    v = absl::StrCat("\"", a.s(), "\"");
  } else if (a.has_n()) {
    v = "<net>";
  } else if (a.has_t()) {
    v = "<tensor>";
  } else if (a.floats_size() > 0) {
    std::vector<std::string> items;
    // Long value lists (GivenTensorFill) are abbreviated.
    for (int i = 0; i < a.floats_size() && i < 8; ++i) items.push_back(f(a.floats(i)));
    if (a.floats_size() > 8) items.push_back(absl::StrCat("... (", a.floats_size(), " values)"));
    v = absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  } else if (a.ints_size() > 0) {
    std::vector<int64_t> items(a.ints().begin(), a.ints().begin() + std::min(a.ints_size(), 8));
    v = absl::StrCat("[", absl::StrJoin(items, ", "),
                     a.ints_size() > 8 ? absl::StrCat(", ... (", a.ints_size(), " values)") : "",
                     "]");
  } else if (a.strings_size() > 0) {
    v = absl::StrCat("[", a.strings_size(), " strings]");
  } else {
    v = "<empty>";
  }
  return absl::StrCat(a.name(), "=", v);
}

InspectOp DescribeOp(int i, const OperatorDef& op) {
  InspectOp o{i,
              op.type(),
              op.name(),
              {op.input().begin(), op.input().end()},
              {op.output().begin(), op.output().end()},
              {},
              ""};
  for (const Argument& a : op.arg()) o.args.push_back(ArgText(a));
  return o;
}

// Why operator `op` is invalid given its input types (unknown ones have
// known == false), or "" with `out` set to its output types (empty when an
// input type is unknown).
std::string CheckOp(const OperatorDef& op, const std::vector<const InspectBlob*>& ins,
                    std::vector<TensorType>* out) {
  const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
  if (schema == nullptr) return absl::StrCat("unknown operator type '", op.type(), "'");
  if (absl::Status s = schema->Verify(op); !s.ok()) return std::string(s.message());
  // The argument-value checks of the kernel's Init, as `run` meets them
  // when it creates the net. An operator with a schema but no CPU kernel
  // (NotFound) has none to run.
  absl::StatusOr<std::unique_ptr<OperatorBase>> created =
      absl::InternalError("operator creation did not run");
  absl::Status thrown = CallCatching("Init", [&] {
    created = OpRegistry::Global().CreateOperator(op);
    return absl::OkStatus();
  });
  if (!thrown.ok()) return std::string(thrown.message());
  if (!created.ok() && !absl::IsNotFound(created.status())) {
    return std::string(created.status().message());
  }
  std::vector<TensorType> in_types;
  for (const InspectBlob* b : ins) {
    if (!b->known) return "";
    in_types.push_back(b->type);
  }
  absl::StatusOr<std::vector<TensorType>> inferred = schema->InferTensors(op, in_types);
  if (!inferred.ok()) return std::string(inferred.status().message());
  *out = *std::move(inferred);
  return "";
}

// The operators, with types inferred as far as the known inputs allow, and
// every blob in order of first mention.
void AnalyzeNet(const Session& session, InspectReport& r) {
  const NetDef& net = session.net();
  const TypeMap start = session.StartTypes();
  std::map<std::string, size_t> index;
  auto blob = [&](const std::string& name) -> InspectBlob& {
    auto [it, inserted] = index.try_emplace(name, r.blobs.size());
    if (inserted) {
      InspectBlob b;
      b.name = name;
      auto s = start.find(name);
      if (s != start.end())
        b = {name, true, s->second, false, false, false, session.Origin(name), {}};
      r.blobs.push_back(std::move(b));
    }
    return r.blobs[it->second];
  };
  for (const std::string& in : net.external_input()) blob(in).external_input = true;
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    r.ops.push_back(DescribeOp(i, op));
    for (int o = 0; o < op.output_size(); ++o) {
      for (int k = 0; k < op.input_size(); ++k) {
        if (op.output(o) == op.input(k)) r.in_place.push_back({i, op.type(), o, k, op.input(k)});
      }
    }
    std::vector<const InspectBlob*> ins;
    for (const std::string& in : op.input()) blob(in);
    for (const std::string& in : op.input()) ins.push_back(&r.blobs[index[in]]);
    std::vector<TensorType> out_types;
    r.ops.back().error = CheckOp(op, ins, &out_types);
    if (!r.ops.back().error.empty()) {
      r.errors.push_back(absl::StrCat("operator #", i, " ", op.type(), ": ", r.ops.back().error));
    }
    for (int o = 0; o < op.output_size(); ++o) {
      InspectBlob& b = blob(op.output(o));
      b.writers.push_back(i);
      b.known = o < static_cast<int>(out_types.size());
      if (b.known) b.type = out_types[o];
    }
  }
  for (const std::string& out : net.external_output()) blob(out).external_output = true;
  const std::vector<std::string>& reads = session.reads();
  for (InspectBlob& b : r.blobs) {
    b.input = std::find(reads.begin(), reads.end(), b.name) != reads.end();
    if (!b.input) b.origin.clear();
    if (b.input && b.origin.empty()) r.unknown_inputs.push_back(b.name);
  }
}

// The net as `opgraph run` would run it after core/optimize.h's passes
// (external outputs protected), or why that cannot be shown.
InspectOptimized Optimize(const Session& session, bool optimize,
                          const std::set<std::string>& disabled) {
  InspectOptimized o;
  o.disabled_passes.assign(disabled.begin(), disabled.end());
  if (!optimize) {
    o.state = InspectOptimized::State::kOff;
    return o;
  }
  OptimizeOptions options;
  options.disabled_passes = disabled;
  const TypeMap start = session.StartTypes();
  for (const std::string& name : session.reads()) {
    auto it = start.find(name);
    if (it == start.end()) {
      o.state = InspectOptimized::State::kUnknownShapes;
      return o;
    }
    options.input_types[name] = it->second;
  }
  const NetDef& net = session.net();
  options.protected_blobs.assign(net.external_output().begin(), net.external_output().end());
  absl::StatusOr<OptimizeResult> r = OptimizeNet(net, options);
  if (!r.ok()) {
    o.state = InspectOptimized::State::kInvalid;
    return o;
  }
  for (int i = 0; i < r->net.op_size(); ++i) o.ops.push_back(DescribeOp(i, r->net.op(i)));
  for (const Rewrite& w : r->rewrites) o.rewrites.push_back(w.description);
  o.passes_changed = r->passes_changed;
  return o;
}

absl::Status Inspect(const InspectFlags& f, const Invocation& inv, CliIO& io) {
  SessionOptions so{inv.positional[0], f.init.value, inv.plugins, f.inputs, f.input_shapes, 0};
  OPGRAPH_ASSIGN_OR_RETURN(const std::set<std::string> disabled,
                           ParseDisabledPasses(f.disabled_passes));
  OPGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Load(so));
  const NetDef& net = session->net();
  InspectReport r;
  r.net_name = net.name();
  r.file = session->net_path();
  r.net_type = net.type().empty() ? "simple" : net.type();
  // A name listed twice is reported once.
  std::set<std::string> listed;
  for (const std::string& in : net.external_input()) {
    if (listed.insert(in).second) r.external_inputs.push_back(in);
  }
  r.external_outputs.assign(net.external_output().begin(), net.external_output().end());
  AnalyzeNet(*session, r);
  if (r.errors.empty()) r.optimized = Optimize(*session, !f.no_optimize, disabled);
  if (f.json) {
    WriteInspectJson(r, io.out);
  } else {
    WriteInspectText(r, io.out);
  }
  if (!r.errors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        r.file, ": ", r.errors.size(), r.errors.size() == 1 ? " operator is" : " operators are",
        " invalid:\n  ", absl::StrJoin(r.errors, "\n  ")));
  }
  return absl::OkStatus();
}

}  // namespace

Command InspectCommand() {
  Command c;
  c.name = "inspect";
  c.summary = "Show a net's operators, blob shapes and types, and in-place operators.";
  c.usage = "NET [--init INIT_NET] [--input-shape NAME=D0,D1,...[:dtype]]...";
  c.description =
      "Lists NET's operators (index, type, name, inputs -> outputs, arguments), every blob\n"
      "with its type and shape as inferred from the operator schemas, the external inputs\n"
      "and outputs, and which operators write one of their inputs in place.\n"
      "\n"
      "Input shapes come from INIT_NET (run once in a scratch workspace) and from\n"
      "--input-shape (dtype defaults to float32; NAME=:dtype is a scalar); others are\n"
      "reported unknown, as is everything computed from them. Exits 1 when an operator is\n"
      "unknown, does not match its schema, or rejects its input types.\n"
      "\n"
      "When every input shape is known, the net is also shown as `opgraph run` runs it\n"
      "after optimization (\"after optimization: N operators (fused Selu #i + Softmax #j\n"
      "into SeluSoftmax #k)\"), with the external outputs kept, followed by the passes\n"
      "that changed it. --no-optimize and --disable-pass NAME turn passes off as for run.\n"
      "--json prints one JSON object instead of the listing.";
  c.min_positional = 1;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<InspectFlags>();
    AddValueFlag(app, "--init", &f->init, "INIT_NET", "Net whose results give input shapes.");
    AddRepeatedFlag(app, "--input", &f->inputs, "NAME=FILE",
                    "Read blob NAME from FILE (its type and shape are used).");
    AddRepeatedFlag(app, "--input-shape", &f->input_shapes, "NAME=D0,D1,...[:dtype]",
                    "Declare the type and shape of input NAME.");
    AddOptimizeFlags(app, &f->no_optimize, &f->disabled_passes);
    AddBoolFlag(app, "--json", &f->json, "Print JSON.");
    return [f](const Invocation& inv, CliIO& io) { return Inspect(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
