#include "core/operator.h"

#include "absl/strings/str_cat.h"
#include "core/workspace.h"

namespace opgraph {

const Argument& OperatorBase::ArgOrDefault(absl::string_view name) const {
  if (const Argument* a = FindArgument(def_, name)) return *a;
  const ArgSpec* spec = schema_->FindArg(name);
  CHECK(spec != nullptr) << "operator " << def_.type() << " reads argument " << name
                         << " that its schema does not declare";
  CHECK(spec->has_default) << "operator " << def_.type() << " reads argument " << name
                           << " that is absent and has no default";
  return spec->default_value;
}

template <>
float OperatorBase::Arg<float>(absl::string_view name) const {
  return ArgOrDefault(name).f();
}
template <>
double OperatorBase::Arg<double>(absl::string_view name) const {
  return ArgOrDefault(name).f();
}
template <>
int64_t OperatorBase::Arg<int64_t>(absl::string_view name) const {
  return ArgOrDefault(name).i();
}
template <>
int OperatorBase::Arg<int>(absl::string_view name) const {
  return static_cast<int>(ArgOrDefault(name).i());
}
template <>
bool OperatorBase::Arg<bool>(absl::string_view name) const {
  return ArgOrDefault(name).i() != 0;
}
template <>
std::string OperatorBase::Arg<std::string>(absl::string_view name) const {
  return ArgOrDefault(name).s();
}

template <>
std::vector<float> OperatorBase::RepeatedArg<float>(absl::string_view name) const {
  const Argument* a = FindArgument(def_, name);
  if (a == nullptr) return {};
  return std::vector<float>(a->floats().begin(), a->floats().end());
}
template <>
std::vector<int64_t> OperatorBase::RepeatedArg<int64_t>(absl::string_view name) const {
  const Argument* a = FindArgument(def_, name);
  if (a == nullptr) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}
template <>
std::vector<std::string> OperatorBase::RepeatedArg<std::string>(absl::string_view name) const {
  const Argument* a = FindArgument(def_, name);
  if (a == nullptr) return {};
  return std::vector<std::string>(a->strings().begin(), a->strings().end());
}

absl::StatusOr<int> CanonicalAxis(int64_t axis, int ndim) {
  if (axis < -ndim || axis >= ndim) {
    return absl::InvalidArgumentError(absl::StrCat("axis ", axis,
                                                   " is out of range for a tensor of rank ", ndim,
                                                   " (allowed: ", -ndim, " to ", ndim - 1, ")"));
  }
  return static_cast<int>(axis < 0 ? axis + ndim : axis);
}

int OperatorBase::NumThreads() const { return ws_ != nullptr ? ws_->num_threads() : 1; }

TensorInferenceFunction AxisCheckedInference(int64_t default_axis, int like) {
  return [default_axis, like](
             const OperatorDef& def,
             absl::Span<const TensorType> in) -> absl::StatusOr<std::vector<TensorType>> {
    const Argument* a = FindArgument(def, "axis");
    const int64_t axis = a != nullptr ? a->i() : default_axis;
    absl::StatusOr<int> canonical = CanonicalAxis(axis, static_cast<int>(in[0].dims.size()));
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'axis': ", canonical.status().message()));
    }
    return std::vector<TensorType>(def.output_size(), in[like]);
  };
}

int64_t DimsProduct(absl::Span<const int64_t> dims, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= dims[i];
  return p;
}

}  // namespace opgraph
