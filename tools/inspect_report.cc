#include "tools/inspect_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace opgraph {
namespace cli {
namespace {

// Keys in the order they are inserted, as docs/CLI.md lists them.
using json = nlohmann::ordered_json;

// "  #0 Selu 'name': X -> H  alpha=1.5\n", then the error when there is one.
std::string OpText(const InspectOp& op) {
  std::string s = absl::StrCat(
      "  #", op.index, " ", op.type, op.name.empty() ? "" : absl::StrCat(" '", op.name, "'"), ": ",
      absl::StrJoin(op.inputs, ", "), " -> ", absl::StrJoin(op.outputs, ", "),
      op.args.empty() ? "" : absl::StrCat("  ", absl::StrJoin(op.args, " ")), "\n");
  if (!op.error.empty()) absl::StrAppend(&s, "     error: ", op.error, "\n");
  return s;
}

std::string BlobNotes(const InspectBlob& b) {
  std::vector<std::string> notes;
  if (b.input) {
    notes.push_back(b.external_input ? "external input" : "input");
    if (!b.origin.empty()) notes.push_back(b.origin);
  }
  if (!b.writers.empty()) {
    std::vector<std::string> w;
    for (int i : b.writers) w.push_back(absl::StrCat("#", i));
    notes.push_back(
        absl::StrCat(b.input ? "rewritten by " : "written by ", absl::StrJoin(w, ", ")));
  }
  if (b.external_output) notes.push_back("external output");
  return absl::StrJoin(notes, "; ");
}

std::string OptimizedText(const InspectOptimized& o) {
  switch (o.state) {
    case InspectOptimized::State::kOff:
      return "after optimization: off (--no-optimize)\n";
    case InspectOptimized::State::kUnknownShapes:
      return "after optimization: not computed (unknown input shapes)\n";
    case InspectOptimized::State::kInvalid:
      return "after optimization: not computed (the net does not check)\n";
    case InspectOptimized::State::kComputed:
      break;
  }
  const size_t n = o.ops.size();
  std::string text =
      absl::StrCat("after optimization: ", n, n == 1 ? " operator" : " operators", " (",
                   o.rewrites.empty() ? "unchanged" : absl::StrJoin(o.rewrites, "; "), ")\n");
  if (!o.rewrites.empty()) {
    for (const InspectOp& op : o.ops) absl::StrAppend(&text, OpText(op));
  }
  absl::StrAppend(&text, "passes that changed the net: ",
                  o.passes_changed.empty() ? "none" : absl::StrJoin(o.passes_changed, ", "));
  if (!o.disabled_passes.empty()) {
    absl::StrAppend(&text, " (disabled: ", absl::StrJoin(o.disabled_passes, ", "), ")");
  }
  return text + "\n";
}

json OpJson(const InspectOp& op) {
  json j = {{"index", op.index},   {"type", op.type},       {"name", op.name},
            {"inputs", op.inputs}, {"outputs", op.outputs}, {"args", op.args}};
  if (!op.error.empty()) j["error"] = op.error;
  return j;
}

json BlobJson(const InspectBlob& b) {
  json j = {{"name", b.name}};
  if (b.known) {
    j["type"] = b.type.ToString();
    j["dtype"] = DTypeName(b.type.dtype);
    j["dims"] = b.type.dims;
  } else {
    j["type"] = nullptr;
  }
  j["input"] = b.input;
  j["external_input"] = b.external_input;
  j["external_output"] = b.external_output;
  j["origin"] = b.origin.empty() ? json(nullptr) : json(b.origin);
  j["writers"] = b.writers;
  return j;
}

json OptimizedJson(const InspectOptimized& o) {
  static const char* const kStates[] = {"computed", "off", "unknown input shapes", "invalid net"};
  json j = {{"state", kStates[static_cast<int>(o.state)]}};
  if (o.state != InspectOptimized::State::kComputed) return j;
  json ops = json::array();
  for (const InspectOp& op : o.ops) ops.push_back(OpJson(op));
  j["operators"] = std::move(ops);
  j["rewrites"] = o.rewrites;
  j["passes_changed"] = o.passes_changed;
  j["disabled_passes"] = o.disabled_passes;
  return j;
}

}  // namespace

void WriteInspectText(const InspectReport& r, std::ostream& out) {
  out << "net " << (r.net_name.empty() ? "(unnamed)" : absl::StrCat("'", r.net_name, "'")) << " ("
      << r.file << "): " << r.ops.size() << " operators, type " << r.net_type << "\n";
  out << "external inputs:  "
      << (r.external_inputs.empty() ? "none" : absl::StrJoin(r.external_inputs, ", "))
      << "\nexternal outputs: "
      << (r.external_outputs.empty() ? "none" : absl::StrJoin(r.external_outputs, ", "))
      << "\n\noperators:\n";
  for (const InspectOp& op : r.ops) out << OpText(op);
  out << "\nblobs:\n";
  size_t width = 4;
  for (const InspectBlob& b : r.blobs) width = std::max(width, b.name.size());
  for (const InspectBlob& b : r.blobs) {
    const std::string type = b.known ? b.type.ToString() : "unknown";
    out << "  " << b.name << std::string(width + 2 - b.name.size(), ' ') << type
        << std::string(type.size() < 18 ? 18 - type.size() : 1, ' ') << BlobNotes(b) << "\n";
  }
  out << "\nin place: " << (r.in_place.empty() ? "none" : "") << "\n";
  for (const InspectInPlace& p : r.in_place) {
    out << "  #" << p.op << " " << p.type << ": output " << p.output << " overwrites input "
        << p.input << " (" << p.blob << ")\n";
  }
  if (r.errors.empty()) out << "\n" << OptimizedText(r.optimized);
  if (!r.unknown_inputs.empty()) {
    out << "\nunknown input shapes: " << absl::StrJoin(r.unknown_inputs, ", ")
        << "\n  (give them with --init INIT_NET or --input-shape NAME=D0,D1,...[:dtype])\n";
  }
}

void WriteInspectJson(const InspectReport& r, std::ostream& out) {
  json ops = json::array();
  for (const InspectOp& op : r.ops) ops.push_back(OpJson(op));
  json blobs = json::array();
  for (const InspectBlob& b : r.blobs) blobs.push_back(BlobJson(b));
  json in_place = json::array();
  for (const InspectInPlace& p : r.in_place) {
    in_place.push_back({{"operator", p.op},
                        {"type", p.type},
                        {"output", p.output},
                        {"input", p.input},
                        {"blob", p.blob}});
  }
  json j = {{"net", r.net_name},
            {"file", r.file},
            {"type", r.net_type},
            {"external_inputs", r.external_inputs},
            {"external_outputs", r.external_outputs},
            {"operators", std::move(ops)},
            {"blobs", std::move(blobs)},
            {"in_place", std::move(in_place)},
            {"errors", r.errors},
            {"unknown_inputs", r.unknown_inputs}};
  if (r.errors.empty()) j["optimized"] = OptimizedJson(r.optimized);
  // Paths and names need not be UTF-8; invalid bytes become U+FFFD.
  out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace cli
}  // namespace opgraph
