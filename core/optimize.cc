#include "core/optimize.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"
#include "google/protobuf/util/message_differencer.h"

namespace opgraph {

std::vector<PassInfo> RegisteredPasses() {
  std::vector<PassInfo> out;
  for (const GraphPass& p : OpRegistry::Global().Passes()) {
    out.push_back(
        PassInfo{p.name(), p.description(), p.enabled_by_default(), p.order(), p.source()});
  }
  return out;
}

std::vector<std::string> OptimizationPasses() {
  std::vector<std::string> names;
  for (const PassInfo& p : RegisteredPasses()) names.push_back(p.name);
  return names;
}

absl::StatusOr<OptimizeResult> OptimizeNet(const NetDef& net, const OptimizeOptions& options) {
  // One snapshot: a plugin loaded meanwhile does not join halfway.
  const std::vector<GraphPass> passes = OpRegistry::Global().Passes();
  std::vector<std::string> known;
  for (const GraphPass& p : passes) known.push_back(p.name());
  for (const std::string& name : options.disabled_passes) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no graph pass named '", name, "'; known passes: ", absl::StrJoin(known, ", ")));
    }
  }
  PassContext ctx;
  ctx.input_types = options.input_types;
  ctx.constants = options.constants;
  ctx.protected_blobs.insert(options.protected_blobs.begin(), options.protected_blobs.end());

  OptimizeResult result;
  result.net = net;
  for (const GraphPass& pass : passes) {
    if (!pass.enabled_by_default() || options.disabled_passes.count(pass.name()) > 0) continue;
    const size_t before = result.rewrites.size();
    absl::StatusOr<NetDef> out = pass.function()(result.net, ctx, &result.rewrites);
    if (!out.ok()) {
      return absl::Status(out.status().code(),
                          absl::StrCat("graph pass ", pass.name(), ": ", out.status().message()));
    }
    const bool changed = result.rewrites.size() > before ||
                         !google::protobuf::util::MessageDifferencer::Equals(*out, result.net);
    if (changed) {
      absl::StatusOr<NetTypes> checked =
          InferNetTypesPerOp(*out, options.input_types, options.constants);
      if (!checked.ok()) {
        return absl::InternalError(
            absl::StrCat("graph pass ", pass.name(), " (", pass.source(),
                         ") produced an invalid net: ", checked.status().message()));
      }
    }
    for (size_t r = before; r < result.rewrites.size(); ++r) {
      if (result.rewrites[r].pass.empty()) result.rewrites[r].pass = pass.name();
    }
    result.net = *std::move(out);
    result.passes_run.push_back(pass.name());
    if (changed) result.passes_changed.push_back(pass.name());
  }
  return result;
}

}  // namespace opgraph
