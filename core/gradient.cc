#include "core/gradient.h"

#include "absl/strings/str_cat.h"
#include "core/registry.h"

namespace opgraph {

std::vector<OperatorDef> GradientMakerBase::SingleGradientDef(
    const std::string& type, const std::string& name, const std::vector<std::string>& inputs,
    const std::vector<std::string>& outputs, const std::vector<Argument>& args) {
  OperatorDef def;
  def.set_type(type);
  if (!name.empty()) def.set_name(name);
  for (const std::string& in : inputs) def.add_input(in);
  for (const std::string& out : outputs) def.add_output(out);
  for (const Argument& a : args) *def.add_arg() = a;
  return {def};
}

absl::StatusOr<GradientOpsMeta> GetGradientDefs(const OperatorDef& def,
                                                const std::vector<std::string>& g_output) {
  const std::string who =
      absl::StrCat("operator ", def.type(), def.name().empty() ? "" : " '" + def.name() + "'");
  std::vector<std::string> go = g_output;
  if (go.empty()) {
    for (const std::string& out : def.output()) go.push_back(out + "_grad");
  }
  if (static_cast<int>(go.size()) != def.output_size()) {
    return absl::InvalidArgumentError(absl::StrCat(who, " has ", def.output_size(), " outputs but ",
                                                   go.size(), " output gradients were given"));
  }
  absl::StatusOr<std::pair<GradientKind, GradientFactory>> found =
      OpRegistry::Global().FindGradient(def.type());
  if (!found.ok()) {
    return absl::NotFoundError(absl::StrCat(who, ": ", found.status().message()));
  }
  GradientOpsMeta meta;
  meta.g_input.assign(def.input_size(), "");
  meta.reads_input.assign(def.input_size(), false);
  meta.reads_output.assign(def.output_size(), false);
  switch (found->first) {
    case GradientKind::kNoGradient:
      return meta;
    case GradientKind::kForbidden:
      return absl::FailedPreconditionError(
          absl::StrCat(who, " must not be differentiated (SHOULD_NOT_DO_GRADIENT)"));
    case GradientKind::kMaker:
      break;
  }
  // Makers index inputs and outputs by position, trusting the schema's
  // arity; a definition read from a file must prove it first.
  if (const OpSchema* schema = OpRegistry::Global().FindSchema(def.type())) {
    absl::Status verified = schema->Verify(def);
    if (!verified.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot differentiate: ", verified.message()));
    }
  }
  std::unique_ptr<GradientMakerBase> maker = found->second(def, go);
  absl::StatusOr<std::vector<OperatorDef>> ops = maker->GetGradientDefs();
  if (!ops.ok()) {
    return absl::Status(ops.status().code(),
                        absl::StrCat(who, ": gradient: ", ops.status().message()));
  }
  for (OperatorDef& g : *ops) {
    if (maker->CopyArguments()) {
      for (const Argument& a : def.arg()) {
        if (FindArgument(g, a.name()) == nullptr) *g.add_arg() = a;
      }
    }
    if (def.has_device_option() && !g.has_device_option()) {
      *g.mutable_device_option() = def.device_option();
    }
    if (def.has_engine() && !g.has_engine()) g.set_engine(def.engine());
    g.set_is_gradient_op(true);
  }
  meta.ops = std::move(*ops);
  meta.g_input = maker->g_input();
  meta.reads_input = maker->reads_input();
  meta.reads_output = maker->reads_output();
  return meta;
}

}  // namespace opgraph
