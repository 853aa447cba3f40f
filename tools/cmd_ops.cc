// opgraph ops [NAME] [--json | --markdown]
//
// The operator catalog, read from the registered schemas. docs/OPERATORS.md
// is `opgraph ops --markdown`.
#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/registry.h"
#include "core/status_macros.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

struct OpInfo {
  std::string type;
  const OpSchema* schema;
  std::string source;
  std::string file;  // Relative to the source tree when it lies inside it.
  bool kernel;
  std::string gradient;  // "registered", "none", "no gradient", "forbidden"
};

// Schemas record __FILE__, which may be absolute or (under ccache's
// base_dir) relative to the build directory; built-in operators are shown
// as "ops/<file>" either way, so that docs/OPERATORS.md does not depend on
// where the tree was built.
std::string RelativeFile(const std::string& file) {
#ifdef OPGRAPH_SOURCE_ROOT
  const std::string root = OPGRAPH_SOURCE_ROOT;
  if (absl::StartsWith(file, root)) return file.substr(root.size());
#endif
  const size_t ops = file.rfind("/ops/");
  if (ops != std::string::npos) return file.substr(ops + 1);
  return file;
}

OpInfo Describe(const std::string& type) {
  const OpRegistry& reg = OpRegistry::Global();
  OpInfo info{type, reg.FindSchema(type), reg.SourceOf(type), "", reg.HasKernel(type), "none"};
  info.file = RelativeFile(info.schema->file());
  auto grad = reg.FindGradient(type);
  if (grad.ok()) {
    switch (grad->first) {
      case GradientKind::kMaker:
        info.gradient = "registered";
        break;
      case GradientKind::kNoGradient:
        info.gradient = "no gradient";
        break;
      case GradientKind::kForbidden:
        info.gradient = "forbidden";
        break;
    }
  }
  return info;
}

std::string FloatText(double v) { return absl::StrFormat("%.9g", v); }

// The default value of an argument as text (JSON-compatible when `json`).
std::string DefaultText(const ArgSpec& a, bool json) {
  if (a.required) return json ? "null" : "required";
  if (!a.has_default) return json ? "null" : "none";
  const Argument& d = a.default_value;
  auto number = [&](double v) {
    return json && !std::isfinite(v) ? JsonQuote(FloatText(v)) : FloatText(v);
  };
  auto str = [&](const std::string& s) {
    return json ? JsonQuote(s) : absl::StrCat("\"", s, "\"");
  };
  switch (a.kind) {
    case ArgKind::kFloat:
      return number(d.f());
    case ArgKind::kInt:
      return absl::StrCat(d.i());
    case ArgKind::kString:
      return str(d.s());
    case ArgKind::kFloats: {
      std::vector<std::string> v;
      for (float f : d.floats()) v.push_back(number(f));
      return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
    }
    case ArgKind::kInts:
      return absl::StrCat("[", absl::StrJoin(d.ints(), ", "), "]");
    case ArgKind::kStrings: {
      std::vector<std::string> v;
      for (const std::string& s : d.strings()) v.push_back(str(s));
      return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
    }
    case ArgKind::kNet:
      return json ? JsonQuote("<net>") : "<net>";
    case ArgKind::kTensor:
      return json ? JsonQuote("<tensor>") : "<tensor>";
    case ArgKind::kNumber:
      return d.has_i() ? absl::StrCat(d.i()) : number(d.f());
    case ArgKind::kNumbers:
      return "[]";
  }
  return "";
}

std::string Pairs(const std::set<std::pair<int, int>>& pairs, const char* verb) {
  std::vector<std::string> v;
  for (const auto& [in, out] : pairs) {
    v.push_back(absl::StrCat("output ", out, " ", verb, " input ", in));
  }
  return absl::StrJoin(v, "; ");
}

// The in-place pairs of `s` as one phrase, or `none`.
std::string InplaceText(const OpSchema& s, const char* none) {
  std::vector<std::string> parts;
  for (const std::string& p : {Pairs(s.allowed_inplace(), "may share the blob of"),
                               Pairs(s.enforced_inplace(), "must share the blob of")}) {
    if (!p.empty()) parts.push_back(p);
  }
  return parts.empty() ? none : absl::StrJoin(parts, "; ");
}

std::string TypesText(const OpSchema& s) {
  std::vector<std::string> v;
  for (DType d : s.allowed_types()) v.push_back(DTypeName(d));
  return v.empty() ? "any" : absl::StrJoin(v, ", ");
}

std::string FirstSentence(const std::string& doc) {
  const size_t end = doc.find(". ");
  std::string s = end == std::string::npos ? doc : doc.substr(0, end + 1);
  return absl::StrReplaceAll(s, {{"\n", " "}});
}

// --- text -------------------------------------------------------------------

std::string TextSummary(const std::vector<OpInfo>& ops) {
  size_t width = 8;
  for (const OpInfo& op : ops) width = std::max(width, op.type.size());
  std::string out;
  for (const OpInfo& op : ops) {
    const std::string arity =
        absl::StrCat(op.schema->InputArityString(), " -> ", op.schema->OutputArityString());
    absl::StrAppend(&out, op.type, std::string(width + 2 - op.type.size(), ' '), arity,
                    std::string(arity.size() < 10 ? 10 - arity.size() : 1, ' '),
                    "gradient: ", op.gradient,
                    op.source == "built-in" ? "" : absl::StrCat("  [", op.source, "]"), "\n");
    if (!op.schema->doc().empty())
      absl::StrAppend(&out, "    ", FirstSentence(op.schema->doc()), "\n");
  }
  absl::StrAppend(&out, "\n", ops.size(), " operators. 'opgraph ops NAME' shows one in full.\n");
  return out;
}

std::string IoText(const std::vector<IoSpec>& ios) {
  std::string out;
  for (size_t i = 0; i < ios.size(); ++i) {
    absl::StrAppend(&out, "    ", i, " ", ios[i].name, ": ", ios[i].doc, "\n");
  }
  return out;
}

std::string TextDetail(const OpInfo& op) {
  const OpSchema& s = *op.schema;
  std::string out = absl::StrCat(op.type, "\n  ", s.doc(), "\n\n");
  absl::StrAppend(&out, "  source: ", op.source, " (", op.file, ":", s.line(), ")\n");
  absl::StrAppend(&out, "  CPU kernel: ", op.kernel ? "yes" : "no", "\n");
  absl::StrAppend(&out, "  gradient: ", op.gradient, "\n");
  absl::StrAppend(&out, "  inputs (", s.InputArityString(), "):\n", IoText(s.inputs()));
  absl::StrAppend(&out, "  outputs (", s.OutputArityString(), "):\n", IoText(s.outputs()));
  absl::StrAppend(&out, "  dtypes: ", TypesText(s), "\n");
  absl::StrAppend(&out, "  in-place: ", InplaceText(s, "none"), "\n");
  if (s.args().empty()) {
    absl::StrAppend(&out, "  arguments: none\n");
  } else {
    absl::StrAppend(&out, "  arguments:\n");
    for (const ArgSpec& a : s.args()) {
      absl::StrAppend(&out, "    ", a.name, " (", ArgKindName(a.kind), ", ",
                      a.required ? "required" : absl::StrCat("default ", DefaultText(a, false)),
                      "): ", a.doc, "\n");
    }
  }
  return out;
}

// --- JSON -------------------------------------------------------------------

std::string JsonIo(const std::vector<IoSpec>& ios, const std::string& arity) {
  std::vector<std::string> items;
  for (size_t i = 0; i < ios.size(); ++i) {
    items.push_back(absl::StrCat("{\"index\": ", i, ", \"name\": ", JsonQuote(ios[i].name),
                                 ", \"doc\": ", JsonQuote(ios[i].doc), "}"));
  }
  return absl::StrCat("{\"arity\": ", JsonQuote(arity), ", \"list\": [", absl::StrJoin(items, ", "),
                      "]}");
}

std::string JsonPairs(const std::set<std::pair<int, int>>& pairs) {
  std::vector<std::string> v;
  for (const auto& [in, out] : pairs) v.push_back(absl::StrCat("[", in, ", ", out, "]"));
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

std::string Json(const OpInfo& op) {
  const OpSchema& s = *op.schema;
  std::vector<std::string> types;
  for (DType d : s.allowed_types()) types.push_back(JsonQuote(DTypeName(d)));
  std::vector<std::string> args;
  for (const ArgSpec& a : s.args()) {
    args.push_back(absl::StrCat(
        "{\"name\": ", JsonQuote(a.name), ", \"kind\": ", JsonQuote(ArgKindName(a.kind)),
        ", \"required\": ", a.required ? "true" : "false", ", \"default\": ", DefaultText(a, true),
        ", \"doc\": ", JsonQuote(a.doc), "}"));
  }
  return absl::StrCat(
      "    {\"type\": ", JsonQuote(op.type), ",\n     \"doc\": ", JsonQuote(s.doc()),
      ",\n     \"source\": ", JsonQuote(op.source), ", \"file\": ", JsonQuote(op.file),
      ", \"line\": ", s.line(), ",\n     \"cpu_kernel\": ", op.kernel ? "true" : "false",
      ", \"gradient\": ", JsonQuote(op.gradient),
      ",\n     \"inputs\": ", JsonIo(s.inputs(), s.InputArityString()),
      ",\n     \"outputs\": ", JsonIo(s.outputs(), s.OutputArityString()),
      ",\n     \"allowed_types\": [", absl::StrJoin(types, ", "),
      "], \"allow_inplace\": ", JsonPairs(s.allowed_inplace()),
      ", \"enforce_inplace\": ", JsonPairs(s.enforced_inplace()), ",\n     \"args\": [",
      absl::StrJoin(args, ",\n              "), "]}");
}

// --- Markdown ---------------------------------------------------------------

std::string Cell(const std::string& s) {
  return absl::StrReplaceAll(s, {{"|", "\\|"}, {"\n", " "}});
}

std::string Anchor(const std::string& type) { return absl::AsciiStrToLower(type); }

std::string Markdown(const std::vector<OpInfo>& ops) {
  std::string out =
      "# Operator catalog\n\n"
      "Generated from the operator schemas by `opgraph ops --markdown > docs/OPERATORS.md`;\n"
      "do not edit by hand. `tests/tools/operators_doc_test.cc` fails when this file is out\n"
      "of date.\n\n";
  absl::StrAppend(&out,
                  "Every operator also takes these framework-wide arguments, which Caffe2 "
                  "Python's brew arg_scope writes on all operators (docs/CAFFE2.md):\n\n"
                  "| Name | Type | Description |\n|---|---|---|\n");
  for (const ArgSpec& a : OpSchema::FrameworkArgs()) {
    absl::StrAppend(&out, "| ", a.name, " | ", ArgKindName(a.kind), " | ", Cell(a.doc), " |\n");
  }
  absl::StrAppend(&out,
                  "\n| Operator | Inputs | Outputs | Gradient | Summary |\n"
                  "|---|---|---|---|---|\n");
  for (const OpInfo& op : ops) {
    absl::StrAppend(&out, "| [", op.type, "](#", Anchor(op.type), ") | ",
                    op.schema->InputArityString(), " | ", op.schema->OutputArityString(), " | ",
                    op.gradient, " | ", Cell(FirstSentence(op.schema->doc())), " |\n");
  }
  for (const OpInfo& op : ops) {
    const OpSchema& s = *op.schema;
    absl::StrAppend(&out, "\n## ", op.type, "\n\n", s.doc(), "\n\n");
    absl::StrAppend(&out, "Defined in `", op.file, "` (", op.source,
                    "). CPU kernel: ", op.kernel ? "yes" : "no", ". Gradient: ", op.gradient,
                    ".\n\n");
    absl::StrAppend(&out, "Element types: ", TypesText(s), ".\n\n");
    absl::StrAppend(&out, "In place: ", InplaceText(s, "no"), ".\n\n");
    for (int side = 0; side < 2; ++side) {
      const std::vector<IoSpec>& ios = side == 0 ? s.inputs() : s.outputs();
      absl::StrAppend(&out, side == 0 ? "**Inputs** (" : "**Outputs** (",
                      side == 0 ? s.InputArityString() : s.OutputArityString(), ")\n\n");
      if (ios.empty()) continue;
      absl::StrAppend(&out, "| # | Name | Description |\n|---|---|---|\n");
      for (size_t i = 0; i < ios.size(); ++i) {
        absl::StrAppend(&out, "| ", i, " | ", Cell(ios[i].name), " | ", Cell(ios[i].doc), " |\n");
      }
      out += "\n";
    }
    if (s.args().empty()) {
      absl::StrAppend(&out, "**Arguments**: none.\n");
      continue;
    }
    absl::StrAppend(&out,
                    "**Arguments**\n\n| Name | Kind | Default | Description |\n"
                    "|---|---|---|---|\n");
    for (const ArgSpec& a : s.args()) {
      absl::StrAppend(&out, "| ", a.name, " | ", ArgKindName(a.kind), " | ",
                      Cell(DefaultText(a, false)), " | ", Cell(a.doc), " |\n");
    }
  }
  return out;
}

struct OpsFlags {
  bool json = false, markdown = false;
};

absl::Status Ops(const OpsFlags& f, const Invocation& inv, CliIO& io) {
  const bool json = f.json;
  const bool markdown = f.markdown;
  if (json && markdown) return UsageError("--json and --markdown are exclusive");
  OPGRAPH_RETURN_IF_ERROR(LoadPlugins(inv.plugins));
  std::vector<std::string> types = OpRegistry::Global().Types();
  if (!inv.positional.empty()) {
    const std::string& name = inv.positional[0];
    if (OpRegistry::Global().FindSchema(name) == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "unknown operator '", name, "'; registered operators: ", absl::StrJoin(types, ", ")));
    }
    types = {name};
  }
  std::vector<OpInfo> ops;
  for (const std::string& t : types) ops.push_back(Describe(t));
  if (json) {
    std::vector<std::string> items;
    for (const OpInfo& op : ops) items.push_back(Json(op));
    io.out << "{\"operators\": [\n" << absl::StrJoin(items, ",\n") << "\n]}\n";
  } else if (markdown) {
    io.out << Markdown(ops);
  } else if (inv.positional.empty()) {
    io.out << TextSummary(ops);
  } else {
    io.out << TextDetail(ops[0]);
  }
  return absl::OkStatus();
}

}  // namespace

Command OpsCommand() {
  Command c;
  c.name = "ops";
  c.summary = "List the registered operators, or show one in full.";
  c.usage = "[NAME] [--json | --markdown]";
  c.description =
      "Without NAME, lists every registered operator with its arity and gradient status.\n"
      "With NAME, shows its schema in full: documentation, inputs and outputs, element\n"
      "types, in-place pairs, arguments with kind, default and documentation, where it is\n"
      "defined, and whether a gradient is registered.\n"
      "\n"
      "--json prints the same as one JSON document; --markdown prints the catalog that\n"
      "docs/OPERATORS.md holds (regenerate it with\n"
      "'opgraph ops --markdown > docs/OPERATORS.md').";
  c.min_positional = 0;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<OpsFlags>();
    AddBoolFlag(app, "--json", &f->json, "Print JSON.");
    AddBoolFlag(app, "--markdown", &f->markdown, "Print Markdown (docs/OPERATORS.md).");
    return [f](const Invocation& inv, CliIO& io) { return Ops(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
