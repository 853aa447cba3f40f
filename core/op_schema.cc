#include "core/op_schema.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace opgraph {
namespace {

std::string OpLabel(const OperatorDef& def) {
  if (def.name().empty()) return absl::StrCat("operator ", def.type());
  return absl::StrCat("operator ", def.type(), " '", def.name(), "'");
}

int CountSetFields(const Argument& a) {
  return a.has_f() + a.has_i() + a.has_s() + a.has_n() + a.has_t() + (a.floats_size() > 0) +
         (a.ints_size() > 0) + (a.strings_size() > 0) + (a.nets_size() > 0) +
         (a.tensors_size() > 0);
}

// What an argument carries, for error messages.
std::string DescribeArgument(const Argument& a) {
  std::vector<std::string> kinds;
  if (a.has_f()) kinds.push_back("float");
  if (a.has_i()) kinds.push_back("int");
  if (a.has_s()) kinds.push_back("string");
  if (a.has_n()) kinds.push_back("net");
  if (a.has_t()) kinds.push_back("tensor");
  if (a.floats_size() > 0) kinds.push_back("floats");
  if (a.ints_size() > 0) kinds.push_back("ints");
  if (a.strings_size() > 0) kinds.push_back("strings");
  if (a.nets_size() > 0) kinds.push_back("nets");
  if (a.tensors_size() > 0) kinds.push_back("tensors");
  if (kinds.empty()) return "no value";
  return absl::StrJoin(kinds, " and ");
}

// Levenshtein distance between two short names.
size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

ArgSpec FrameworkArg(std::string name, ArgKind kind, std::string doc) {
  ArgSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.doc = std::move(doc);
  return spec;
}

}  // namespace

const std::vector<ArgSpec>& OpSchema::FrameworkArgs() {
  static const std::vector<ArgSpec>* const kArgs = new std::vector<ArgSpec>{
      FrameworkArg("order", ArgKind::kString,
                   "Storage order, \"NCHW\" or \"NHWC\" (Caffe2 brew arg_scope). Operators "
                   "whose result does not depend on layout accept either and ignore it."),
      FrameworkArg("use_cudnn", ArgKind::kInt, "Caffe2 GPU engine choice; ignored on the CPU."),
      FrameworkArg("cudnn_exhaustive_search", ArgKind::kInt,
                   "Caffe2 cuDNN algorithm search; ignored on the CPU."),
      FrameworkArg("exhaustive_search", ArgKind::kInt,
                   "Caffe2 GPU algorithm search; ignored on the CPU."),
      FrameworkArg("ws_nbytes_limit", ArgKind::kInt,
                   "Caffe2 cuDNN workspace limit in bytes; ignored on the CPU."),
  };
  return *kArgs;
}

const ArgSpec* OpSchema::FindArgOrFramework(absl::string_view name) const {
  if (const ArgSpec* own = FindArg(name)) return own;
  for (const ArgSpec& a : FrameworkArgs()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::string> OpSchema::UnknownArguments(const OperatorDef& def) const {
  std::vector<std::string> out;
  for (const Argument& a : def.arg()) {
    if (FindArgOrFramework(a.name()) == nullptr &&
        std::find(out.begin(), out.end(), a.name()) == out.end()) {
      out.push_back(a.name());
    }
  }
  return out;
}

const char* ArgKindName(ArgKind kind) {
  switch (kind) {
    case ArgKind::kFloat:
      return "float";
    case ArgKind::kInt:
      return "int";
    case ArgKind::kString:
      return "string";
    case ArgKind::kFloats:
      return "floats";
    case ArgKind::kInts:
      return "ints";
    case ArgKind::kStrings:
      return "strings";
    case ArgKind::kNet:
      return "net";
    case ArgKind::kTensor:
      return "tensor";
    case ArgKind::kNumber:
      return "float or int";
    case ArgKind::kNumbers:
      return "floats or ints";
  }
  return "invalid";
}

bool ArgumentHasKind(const Argument& a, ArgKind kind) {
  const int set = CountSetFields(a);
  switch (kind) {
    case ArgKind::kFloat:
      return a.has_f() && set == 1;
    case ArgKind::kInt:
      return a.has_i() && set == 1;
    case ArgKind::kString:
      return a.has_s() && set == 1;
    case ArgKind::kNet:
      return a.has_n() && set == 1;
    case ArgKind::kTensor:
      return a.has_t() && set == 1;
    // A repeated field cannot say "present but empty", so an argument with
    // no value at all is an empty list of the declared kind.
    case ArgKind::kFloats:
      return set == 0 || (a.floats_size() > 0 && set == 1);
    case ArgKind::kInts:
      return set == 0 || (a.ints_size() > 0 && set == 1);
    case ArgKind::kStrings:
      return set == 0 || (a.strings_size() > 0 && set == 1);
    case ArgKind::kNumber:
      return (a.has_f() || a.has_i()) && set == 1;
    case ArgKind::kNumbers:
      return set == 0 || ((a.floats_size() > 0 || a.ints_size() > 0) && set == 1);
  }
  return false;
}

const Argument* FindArgument(const OperatorDef& def, absl::string_view name) {
  for (const Argument& a : def.arg()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

bool OpSchema::Arity::Allows(int n) const {
  if (!allowed.empty()) return allowed.count(n) > 0;
  return n >= min && n <= max;
}

std::string OpSchema::Arity::ToString() const {
  if (!allowed.empty()) return absl::StrCat("{", absl::StrJoin(allowed, ", "), "}");
  if (min == max) return absl::StrCat(min);
  if (max == INT32_MAX) return absl::StrCat(min, "+");
  return absl::StrCat(min, "-", max);
}

OpSchema::OpSchema(std::string type, std::string file, int line)
    : type_(std::move(type)), file_(std::move(file)), line_(line) {}

OpSchema& OpSchema::NumInputs(int n) { return NumInputs(n, n); }
OpSchema& OpSchema::NumInputs(int min, int max) {
  in_arity_ = Arity{min, max, {}};
  return *this;
}
OpSchema& OpSchema::NumInputs(std::set<int> allowed) {
  in_arity_ = Arity{0, 0, std::move(allowed)};
  return *this;
}
OpSchema& OpSchema::NumOutputs(int n) { return NumOutputs(n, n); }
OpSchema& OpSchema::NumOutputs(int min, int max) {
  out_arity_ = Arity{min, max, {}};
  return *this;
}
OpSchema& OpSchema::NumOutputs(std::set<int> allowed) {
  out_arity_ = Arity{0, 0, std::move(allowed)};
  return *this;
}

OpSchema& OpSchema::AllowInplace(std::set<std::pair<int, int>> in_out) {
  allow_inplace_.insert(in_out.begin(), in_out.end());
  return *this;
}
OpSchema& OpSchema::EnforceInplace(std::set<std::pair<int, int>> in_out) {
  enforce_inplace_.insert(in_out.begin(), in_out.end());
  return *this;
}

OpSchema& OpSchema::AddArg(ArgSpec spec) {
  CHECK(FindArg(spec.name) == nullptr)
      << "schema " << type_ << " declares argument " << spec.name << " twice";
  args_.push_back(std::move(spec));
  return *this;
}

OpSchema& OpSchema::Arg(std::string name, ArgKind kind, std::string doc) {
  ArgSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.doc = std::move(doc);
  return AddArg(std::move(spec));
}

OpSchema& OpSchema::Arg(std::string name, float default_value, std::string doc) {
  ArgSpec spec;
  spec.name = name;
  spec.kind = ArgKind::kFloat;
  spec.has_default = true;
  spec.default_value.set_name(name);
  spec.default_value.set_f(default_value);
  spec.doc = std::move(doc);
  return AddArg(std::move(spec));
}

OpSchema& OpSchema::Arg(std::string name, int64_t default_value, std::string doc) {
  ArgSpec spec;
  spec.name = name;
  spec.kind = ArgKind::kInt;
  spec.has_default = true;
  spec.default_value.set_name(name);
  spec.default_value.set_i(default_value);
  spec.doc = std::move(doc);
  return AddArg(std::move(spec));
}

OpSchema& OpSchema::Arg(std::string name, std::string default_value, std::string doc) {
  ArgSpec spec;
  spec.name = name;
  spec.kind = ArgKind::kString;
  spec.has_default = true;
  spec.default_value.set_name(name);
  spec.default_value.set_s(std::move(default_value));
  spec.doc = std::move(doc);
  return AddArg(std::move(spec));
}

OpSchema& OpSchema::RequiredArg(std::string name, ArgKind kind, std::string doc) {
  ArgSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.required = true;
  spec.doc = std::move(doc);
  return AddArg(std::move(spec));
}

OpSchema& OpSchema::Input(int index, std::string name, std::string doc) {
  if (static_cast<int>(inputs_.size()) <= index) inputs_.resize(index + 1);
  inputs_[index] = IoSpec{std::move(name), std::move(doc)};
  return *this;
}

OpSchema& OpSchema::Output(int index, std::string name, std::string doc) {
  if (static_cast<int>(outputs_.size()) <= index) outputs_.resize(index + 1);
  outputs_[index] = IoSpec{std::move(name), std::move(doc)};
  return *this;
}

OpSchema& OpSchema::SetDoc(std::string doc) {
  doc_ = std::move(doc);
  return *this;
}

OpSchema& OpSchema::IdenticalTypeAndShape() { return IdenticalTypeAndShapeOfInput(0); }

OpSchema& OpSchema::IdenticalTypeAndShapeOfInput(int index) {
  inference_ = [index](const OperatorDef& def,
                       absl::Span<const TensorType> in) -> absl::StatusOr<std::vector<TensorType>> {
    return std::vector<TensorType>(def.output_size(), in[index]);
  };
  return *this;
}

OpSchema& OpSchema::InputsHaveSameTypeAndShape() {
  same_inputs_ = true;
  return *this;
}

OpSchema& OpSchema::AllowedTypes(std::set<DType> types) {
  allowed_types_ = std::move(types);
  return *this;
}

OpSchema& OpSchema::AcceptsStrings() {
  accepts_strings_ = true;
  return *this;
}

OpSchema& OpSchema::TensorInference(TensorInferenceFunction fn) {
  inference_ = std::move(fn);
  return *this;
}

OpSchema& OpSchema::ValueDependentInference(ValueInferenceFunction fn) {
  value_inference_ = std::move(fn);
  inference_ = nullptr;
  return *this;
}

bool OpSchema::IsInplaceAllowed(int in, int out) const {
  return allow_inplace_.count({in, out}) > 0 || enforce_inplace_.count({in, out}) > 0;
}
bool OpSchema::IsInplaceEnforced(int in, int out) const {
  return enforce_inplace_.count({in, out}) > 0;
}
bool OpSchema::InputCountAllowed(int n) const { return in_arity_.Allows(n); }
bool OpSchema::OutputCountAllowed(int n) const { return out_arity_.Allows(n); }
std::string OpSchema::InputArityString() const { return in_arity_.ToString(); }
std::string OpSchema::OutputArityString() const { return out_arity_.ToString(); }

const ArgSpec* OpSchema::FindArg(absl::string_view name) const {
  for (const ArgSpec& a : args_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

absl::Status OpSchema::Verify(const OperatorDef& def) const {
  const std::string who = OpLabel(def);
  if (!in_arity_.Allows(def.input_size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " takes ", in_arity_.ToString(), " input(s), got ", def.input_size()));
  }
  if (!out_arity_.Allows(def.output_size())) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " takes ", out_arity_.ToString(), " output(s), got ", def.output_size()));
  }
  for (int i = 0; i < def.input_size(); ++i) {
    if (def.input(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": input ", i, " has an empty name"));
    }
  }
  for (int o = 0; o < def.output_size(); ++o) {
    if (def.output(o).empty()) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": output ", o, " has an empty name"));
    }
    for (int p = 0; p < o; ++p) {
      if (def.output(p) == def.output(o)) {
        return absl::InvalidArgumentError(absl::StrCat(who, ": outputs ", p, " and ", o,
                                                       " are the same blob '", def.output(o), "'"));
      }
    }
  }
  for (int i = 0; i < def.input_size(); ++i) {
    for (int o = 0; o < def.output_size(); ++o) {
      const bool same = def.input(i) == def.output(o);
      if (same && !IsInplaceAllowed(i, o)) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, " cannot run in place: input ", i, " and output ", o, " are both '",
                         def.input(i), "', which the schema does not allow"));
      }
      if (!same && IsInplaceEnforced(i, o)) {
        return absl::InvalidArgumentError(absl::StrCat(who, " must run in place: input ", i, " ('",
                                                       def.input(i), "') and output ", o, " ('",
                                                       def.output(o), "') must be the same blob"));
      }
    }
  }
  for (int k = 0; k < def.arg_size(); ++k) {
    const Argument& a = def.arg(k);
    const ArgSpec* spec = FindArgOrFramework(a.name());
    if (spec == nullptr) {
      std::vector<std::string> known;
      for (const ArgSpec& s : args_) known.push_back(s.name);
      // Suggest the closest declared name when it is a plausible typo: at
      // most two edits, and fewer edits than the name has characters.
      std::string suggestion;
      size_t best = 3;
      for (const ArgSpec& s : args_) {
        const size_t d = EditDistance(a.name(), s.name);
        if (d < best && d < a.name().size()) {
          best = d;
          suggestion = s.name;
        }
      }
      std::vector<std::string> framework;
      for (const ArgSpec& s : FrameworkArgs()) framework.push_back(s.name);
      return absl::InvalidArgumentError(
          absl::StrCat(who, " has no argument '", a.name(), "'",
                       suggestion.empty() ? "" : absl::StrCat("; did you mean '", suggestion, "'?"),
                       " (it takes: ", known.empty() ? "none" : absl::StrJoin(known, ", "),
                       "; every operator also takes ", absl::StrJoin(framework, ", "), ")"));
    }
    if (!ArgumentHasKind(a, spec->kind)) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": argument '", a.name(), "' must be a ",
                                                     ArgKindName(spec->kind), ", got ",
                                                     DescribeArgument(a)));
    }
    if (a.name() == "order" && a.s() != "NCHW" && a.s() != "NHWC") {
      return absl::InvalidArgumentError(absl::StrCat(who, ": argument 'order' is \"", a.s(),
                                                     "\"; expected \"NCHW\" or \"NHWC\""));
    }
    for (int j = 0; j < k; ++j) {
      if (def.arg(j).name() == a.name()) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": argument '", a.name(), "' is given twice"));
      }
    }
  }
  for (const ArgSpec& spec : args_) {
    if (spec.required && FindArgument(def, spec.name) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(who, " requires argument '", spec.name, "' (", ArgKindName(spec.kind), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TensorType>> OpSchema::InferTensors(
    const OperatorDef& def, absl::Span<const TensorType> inputs,
    absl::Span<const Tensor* const> values) const {
  const std::string who = OpLabel(def);
  if (!accepts_strings_) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].dtype != DType::kString) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          who, ": input ", i, " '", i < static_cast<size_t>(def.input_size()) ? def.input(i) : "",
          "' is ", inputs[i].ToString(), "; ", def.type(),
          " does not take string tensors (only Copy and GivenTensorStringFill do)"));
    }
  }
  if (!allowed_types_.empty()) {
    const size_t checked = same_inputs_ ? inputs.size() : std::min<size_t>(1, inputs.size());
    for (size_t i = 0; i < checked; ++i) {
      if (allowed_types_.count(inputs[i].dtype) == 0) {
        std::vector<std::string> names;
        for (DType t : allowed_types_) names.push_back(DTypeName(t));
        return absl::InvalidArgumentError(absl::StrCat(who, ": input ", i, " is ",
                                                       inputs[i].ToString(), ", expected one of ",
                                                       absl::StrJoin(names, ", ")));
      }
    }
  }
  if (same_inputs_) {
    for (size_t i = 1; i < inputs.size(); ++i) {
      if (inputs[i] != inputs[0]) {
        return absl::InvalidArgumentError(
            absl::StrCat(who, ": input ", i, " is ", inputs[i].ToString(), " but input 0 is ",
                         inputs[0].ToString(), "; they must have the same type and shape"));
      }
    }
  }
  if (!inference_ && !value_inference_) {
    return absl::UnimplementedError(
        absl::StrCat(who, ": the schema has no type and shape inference"));
  }
  absl::StatusOr<std::vector<TensorType>> out;
  if (value_inference_) {
    std::vector<const Tensor*> known(inputs.size(), nullptr);
    for (size_t i = 0; i < values.size() && i < known.size(); ++i) known[i] = values[i];
    out = value_inference_(def, inputs, known);
  } else {
    out = inference_(def, inputs);
  }
  if (!out.ok()) {
    return absl::Status(out.status().code(), absl::StrCat(who, ": ", out.status().message()));
  }
  if (static_cast<int>(out->size()) != def.output_size()) {
    return absl::InternalError(absl::StrCat(who, ": shape inference produced ", out->size(),
                                            " outputs for ", def.output_size()));
  }
  if (!accepts_strings_) {
    for (size_t o = 0; o < out->size(); ++o) {
      if ((*out)[o].dtype != DType::kString) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(who, ": output ", o, " '", def.output(static_cast<int>(o)), "' would be ",
                       (*out)[o].ToString(), "; ", def.type(),
                       " does not make string tensors (GivenTensorStringFill does)"));
    }
  }
  return out;
}

}  // namespace opgraph
