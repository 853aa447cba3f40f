// opgraph inspect NET [--init INIT_NET] [--input-shape NAME=D0,D1,...[:dtype]]...
//
// Shows a net's operators, its blobs with inferred types and shapes, its
// external inputs and outputs, and which operators run in place.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/net_io.h"
#include "core/optimize.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "core/workspace.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace opgraph {
namespace cli {
namespace {

constexpr DType kDtypes[] = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                             DType::kInt64,   DType::kBool,    DType::kUint8};

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
        return UsageError(absl::StrCat(flag, " ", name, ": '", d,
                                       "' is not a non-negative dimension"));
      }
      type.dims.push_back(v);
    }
  }
  return std::make_pair(name, type);
}

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

// "  #0 Selu 'name': X -> H  alpha=1.5\n".
std::string OpLine(int i, const OperatorDef& op) {
  std::vector<std::string> arg_texts;
  for (const Argument& a : op.arg()) arg_texts.push_back(ArgText(a));
  return absl::StrCat("  #", i, " ", op.type(),
                      op.name().empty() ? "" : absl::StrCat(" '", op.name(), "'"), ": ",
                      absl::StrJoin(op.input(), ", "), " -> ", absl::StrJoin(op.output(), ", "),
                      arg_texts.empty() ? "" : absl::StrCat("  ", absl::StrJoin(arg_texts, " ")),
                      "\n");
}

// The net as `opgraph run` would run it after core/optimize.h's passes
// (external outputs protected), or why that cannot be shown.
std::string OptimizedText(const NetDef& net, const std::vector<std::string>& reads,
                          const std::map<std::string, std::pair<TensorType, std::string>>& start) {
  OptimizeOptions options;
  for (const std::string& name : reads) {
    auto it = start.find(name);
    if (it == start.end()) return "after optimization: not computed (unknown input shapes)\n";
    options.input_types[name] = it->second.first;
  }
  options.protected_blobs.assign(net.external_output().begin(), net.external_output().end());
  absl::StatusOr<OptimizeResult> r = OptimizeNet(net, options);
  if (!r.ok()) return "after optimization: not computed (the net does not check)\n";
  const int n = r->net.op_size();
  std::vector<std::string> what;
  for (const Rewrite& w : r->rewrites) what.push_back(w.description);
  std::string text = absl::StrCat("after optimization: ", n, n == 1 ? " operator" : " operators",
                                  " (", what.empty() ? "unchanged" : absl::StrJoin(what, "; "),
                                  ")\n");
  if (!what.empty()) {
    for (int i = 0; i < n; ++i) absl::StrAppend(&text, OpLine(i, r->net.op(i)));
  }
  return text;
}

struct BlobInfo {
  bool known = false;
  TensorType type;
  std::string origin;  // Where an input's type came from.
  std::vector<int> writers;
  bool external_input = false;
  bool external_output = false;
};

absl::Status Inspect(const ParsedArgs& args, CliIO& io) {
  const std::string path = args.positional()[0];
  std::map<std::string, TensorType> given;
  for (const std::string& s : args.GetAll("input-shape")) {
    OPGRAPH_ASSIGN_OR_RETURN(auto named, ParseInputShape(s));
    given[named.first] = named.second;
  }
  OPGRAPH_ASSIGN_OR_RETURN(NetDef net, ReadNetFile(path));
  const std::vector<std::string> reads = NetReads(net);
  for (const auto& [name, type] : given) {
    if (std::find(reads.begin(), reads.end(), name) == reads.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--input-shape ", name, ": ", path, " does not read a blob named '", name,
          "' (it reads: ", reads.empty() ? std::string("nothing") : absl::StrJoin(reads, ", "),
          ")"));
    }
  }
  // Blob types the net starts with: what the init net leaves behind, then
  // --input-shape on top. Only blobs the net mentions are listed.
  std::map<std::string, std::pair<TensorType, std::string>> start;
  if (args.Has("init")) {
    const std::string init_path = args.Get("init");
    OPGRAPH_ASSIGN_OR_RETURN(NetDef init, ReadNetFile(init_path));
    Workspace scratch;
    absl::Status s = scratch.RunNetOnce(init);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("init net ", init_path, ": ", s.message()));
    }
    for (const auto& [name, type] : scratch.BlobTypes()) start[name] = {type, "from --init"};
  }
  for (const auto& [name, type] : given) start[name] = {type, "from --input-shape"};
  std::map<std::string, BlobInfo> blobs;
  std::vector<std::string> order;  // Blob names in order of first mention.
  auto blob = [&](const std::string& name) -> BlobInfo& {
    auto it = blobs.find(name);
    if (it == blobs.end()) {
      order.push_back(name);
      it = blobs.emplace(name, BlobInfo()).first;
      auto s = start.find(name);
      if (s != start.end()) {
        it->second.known = true;
        it->second.type = s->second.first;
        it->second.origin = s->second.second;
      }
    }
    return it->second;
  };
  for (const std::string& in : net.external_input()) blob(in).external_input = true;

  // Operators, with types inferred as far as the known inputs allow.
  std::string ops_text;
  std::vector<std::string> errors;
  std::vector<std::string> inplace;
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    absl::StrAppend(&ops_text, OpLine(i, op));
    for (int o = 0; o < op.output_size(); ++o) {
      for (int k = 0; k < op.input_size(); ++k) {
        if (op.output(o) == op.input(k)) {
          inplace.push_back(absl::StrCat("#", i, " ", op.type(), ": output ", o,
                                         " overwrites input ", k, " (", op.input(k), ")"));
        }
      }
    }
    std::vector<TensorType> in_types;
    bool all_known = true;
    for (const std::string& in : op.input()) {
      BlobInfo& b = blob(in);
      all_known = all_known && b.known;
      in_types.push_back(b.type);
    }
    std::vector<TensorType> out_types;
    std::string error;
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    if (schema == nullptr) {
      error = absl::StrCat("unknown operator type '", op.type(), "'");
    } else if (absl::Status s = schema->Verify(op); !s.ok()) {
      error = std::string(s.message());
    } else if (all_known) {
      absl::StatusOr<std::vector<TensorType>> inferred = schema->InferTensors(op, in_types);
      if (inferred.ok()) {
        out_types = *std::move(inferred);
      } else {
        error = std::string(inferred.status().message());
      }
    }
    if (!error.empty()) {
      absl::StrAppend(&ops_text, "     error: ", error, "\n");
      errors.push_back(absl::StrCat("operator #", i, " ", op.type(), ": ", error));
    }
    for (int o = 0; o < op.output_size(); ++o) {
      BlobInfo& b = blob(op.output(o));
      b.writers.push_back(i);
      b.known = o < static_cast<int>(out_types.size());
      if (b.known) b.type = out_types[o];
    }
  }
  for (const std::string& out : net.external_output()) blob(out).external_output = true;

  io.out << "net " << (net.name().empty() ? "(unnamed)" : absl::StrCat("'", net.name(), "'"))
         << " (" << path << "): " << net.op_size() << " operators, type "
         << (net.type().empty() ? "simple" : net.type()) << "\n";
  io.out << "external inputs:  "
         << (net.external_input_size() ? absl::StrJoin(net.external_input(), ", ") : "none")
         << "\nexternal outputs: "
         << (net.external_output_size() ? absl::StrJoin(net.external_output(), ", ") : "none")
         << "\n\noperators:\n"
         << ops_text << "\nblobs:\n";
  size_t width = 4;
  for (const std::string& name : order) width = std::max(width, name.size());
  std::vector<std::string> unknown_inputs;
  for (const std::string& name : order) {
    const BlobInfo& b = blobs[name];
    std::vector<std::string> notes;
    const bool is_input = std::find(reads.begin(), reads.end(), name) != reads.end();
    if (is_input) {
      notes.push_back(b.external_input ? "external input" : "input");
      if (!b.origin.empty()) {
        notes.push_back(b.origin);
      } else {
        unknown_inputs.push_back(name);
      }
    }
    if (!b.writers.empty()) {
      std::vector<std::string> w;
      for (int i : b.writers) w.push_back(absl::StrCat("#", i));
      notes.push_back(absl::StrCat(is_input ? "rewritten by " : "written by ",
                                   absl::StrJoin(w, ", ")));
    }
    if (b.external_output) notes.push_back("external output");
    const std::string type = b.known ? b.type.ToString() : "unknown";
    io.out << "  " << name << std::string(width + 2 - name.size(), ' ') << type
           << std::string(type.size() < 18 ? 18 - type.size() : 1, ' ')
           << absl::StrJoin(notes, "; ") << "\n";
  }
  io.out << "\nin place: " << (inplace.empty() ? "none" : "") << "\n";
  for (const std::string& s : inplace) io.out << "  " << s << "\n";
  if (errors.empty()) io.out << "\n" << OptimizedText(net, reads, start);
  if (!unknown_inputs.empty()) {
    io.out << "\nunknown input shapes: " << absl::StrJoin(unknown_inputs, ", ")
           << "\n  (give them with --init INIT_NET or --input-shape NAME=D0,D1,...[:dtype])\n";
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", errors.size(), errors.size() == 1 ? " operator is" : " operators are",
        " invalid:\n  ", absl::StrJoin(errors, "\n  ")));
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
      "into SeluSoftmax #k)\"), with the external outputs kept.";
  c.flags = {
      {"init", 0, FlagSpec::Kind::kValue, "INIT_NET", "Net whose results give input shapes."},
      {"input-shape", 0, FlagSpec::Kind::kRepeated, "NAME=D0,D1,...[:dtype]",
       "Declare the type and shape of input NAME."},
  };
  c.min_positional = 1;
  c.max_positional = 1;
  c.run = &Inspect;
  return c;
}

}  // namespace cli
}  // namespace opgraph
