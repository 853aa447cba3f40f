// OpSchema: the single statement of what an operator accepts.
//
// A schema gives the operator's arity, which outputs may or must share a
// blob with an input, every argument it takes (name, kind, default, whether
// required), names and docs of its inputs and outputs, and how to infer the
// output types and shapes from the inputs. The executor, the shape inference
// pass, the command-line catalog and docs/OPERATORS.md all read it.
//
// Schemas are built once at registration and are immutable afterwards, so
// concurrent const use is safe.
#ifndef OPGRAPH_CORE_OP_SCHEMA_H_
#define OPGRAPH_CORE_OP_SCHEMA_H_

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// Which field of an Argument carries the value. kNumber is a scalar given
// as either `f` or `i`, kNumbers a list given as either `floats` or `ints`
// (Caffe2 Python writes a Python int as `i` and a float as `f`, so an
// argument such as ConstantFill's `value` arrives in either field).
enum class ArgKind {
  kFloat,
  kInt,
  kString,
  kFloats,
  kInts,
  kStrings,
  kNet,
  kTensor,
  kNumber,
  kNumbers
};
const char* ArgKindName(ArgKind kind);
// True when `arg` carries exactly a value of `kind` and no other field.
bool ArgumentHasKind(const Argument& arg, ArgKind kind);

struct ArgSpec {
  std::string name;
  ArgKind kind = ArgKind::kFloat;
  bool required = false;
  // The default, as an Argument with the matching field set; unset when
  // `required` or when the argument has no default (absent means "not given").
  bool has_default = false;
  Argument default_value;
  std::string doc;
};

struct IoSpec {
  std::string name;
  std::string doc;
};

// Infers output types from the operator definition and its input types.
// Returns one TensorType per output, or an error saying what is wrong.
using TensorInferenceFunction = std::function<absl::StatusOr<std::vector<TensorType>>(
    const OperatorDef& def, absl::Span<const TensorType> inputs)>;

// Inference for operators whose output shapes depend on input values (a
// shape given as a tensor). `values[i]` is input i's tensor when its value
// is constant across runs of the net (a blob the net reads but never
// writes: an initializer or init-net blob), else nullptr. The net infers
// again, and re-prepares, whenever such a value is rewritten.
using ValueInferenceFunction = std::function<absl::StatusOr<std::vector<TensorType>>(
    const OperatorDef& def, absl::Span<const TensorType> inputs,
    absl::Span<const Tensor* const> values)>;

class OpSchema {
 public:
  OpSchema() = default;
  OpSchema(std::string type, std::string file, int line);

  // Arity. The default is exactly one input and one output.
  OpSchema& NumInputs(int n);
  OpSchema& NumInputs(int min, int max);
  OpSchema& NumInputs(std::set<int> allowed);
  OpSchema& NumOutputs(int n);
  OpSchema& NumOutputs(int min, int max);
  OpSchema& NumOutputs(std::set<int> allowed);

  // Output `out` may name the same blob as input `in` (AllowInplace) or must
  // (EnforceInplace). Any other shared blob between input and output is
  // rejected by Verify.
  OpSchema& AllowInplace(std::set<std::pair<int, int>> in_out);
  OpSchema& EnforceInplace(std::set<std::pair<int, int>> in_out);

  // Arguments. An argument that the schema does not declare is rejected by
  // Verify, as is one whose value is of another kind.
  OpSchema& Arg(std::string name, ArgKind kind, std::string doc);
  OpSchema& Arg(std::string name, float default_value, std::string doc);
  OpSchema& Arg(std::string name, int64_t default_value, std::string doc);
  OpSchema& Arg(std::string name, int default_value, std::string doc) {
    return Arg(std::move(name), static_cast<int64_t>(default_value), std::move(doc));
  }
  OpSchema& Arg(std::string name, std::string default_value, std::string doc);
  OpSchema& RequiredArg(std::string name, ArgKind kind, std::string doc);

  OpSchema& Input(int index, std::string name, std::string doc);
  OpSchema& Output(int index, std::string name, std::string doc);
  OpSchema& SetDoc(std::string doc);
  // Runs `add(*this)`: declarations shared by a family of schemas (the fill
  // operators' shape arguments) written once.
  OpSchema& Apply(void (*add)(OpSchema&)) {
    add(*this);
    return *this;
  }

  // Every output has the type and shape of input 0.
  OpSchema& IdenticalTypeAndShape();
  // Every output has the type and shape of input `index`.
  OpSchema& IdenticalTypeAndShapeOfInput(int index);
  // Checks run on the inputs before the inference function: all inputs have
  // the same dtype and dims.
  OpSchema& InputsHaveSameTypeAndShape();
  // Restricts input 0 (and with InputsHaveSameTypeAndShape, all inputs) to
  // these dtypes.
  OpSchema& AllowedTypes(std::set<DType> types);
  // Declares that the operator takes and makes string tensors (DType::
  // kString). Without it, InferTensors refuses a string input or output
  // before any inference or kernel code sees one.
  OpSchema& AcceptsStrings();
  bool accepts_strings() const { return accepts_strings_; }
  OpSchema& TensorInference(TensorInferenceFunction fn);
  // Declares that output shapes depend on the values of some inputs, and
  // how to infer them from those values (see ValueInferenceFunction). Such
  // an operator's inputs must be constant where the function needs a value;
  // when one is not, the function returns InvalidArgument saying which
  // input must be constant. Replaces TensorInference.
  OpSchema& ValueDependentInference(ValueInferenceFunction fn);
  bool value_dependent() const { return static_cast<bool>(value_inference_); }

  // Checks arity, in-place pairs and arguments of `def` against the schema.
  // An argument is known when the schema declares it or when it is one of
  // FrameworkArgs(). InvalidArgument naming the operator and what is wrong;
  // an unknown argument's message suggests the closest known name when one
  // is within a small edit distance ("did you mean 'axis'?").
  absl::Status Verify(const OperatorDef& def) const;

  // Names of the arguments of `def` that are neither declared by the schema
  // nor framework-wide, in order of appearance (each name once).
  std::vector<std::string> UnknownArguments(const OperatorDef& def) const;

  // Arguments that Caffe2 Python's brew arg_scope and model helpers write on
  // every operator of a model (`order`, `use_cudnn`,
  // `cudnn_exhaustive_search`, `ws_nbytes_limit`, `exhaustive_search`).
  // Every operator accepts them; a schema that declares one of them itself
  // (because it reads it) overrides the framework entry. They select GPU
  // engines in Caffe2 and change nothing on the CPU, except that `order`
  // must be "NCHW" or "NHWC" wherever it appears.
  static const std::vector<ArgSpec>& FrameworkArgs();
  // The schema's own argument named `name`, else the framework-wide one,
  // else nullptr.
  const ArgSpec* FindArgOrFramework(absl::string_view name) const;

  // Verify-independent: infers output types from input types, applying the
  // input checks declared above. InvalidArgument naming the problem.
  // `values` (see ValueInferenceFunction) is read only by value-dependent
  // schemas; empty means no input value is known.
  absl::StatusOr<std::vector<TensorType>> InferTensors(
      const OperatorDef& def, absl::Span<const TensorType> inputs,
      absl::Span<const Tensor* const> values = {}) const;

  bool IsInplaceAllowed(int in, int out) const;
  bool IsInplaceEnforced(int in, int out) const;
  bool InputCountAllowed(int n) const;
  bool OutputCountAllowed(int n) const;
  const ArgSpec* FindArg(absl::string_view name) const;

  const std::string& type() const { return type_; }
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& doc() const { return doc_; }
  const std::vector<ArgSpec>& args() const { return args_; }
  const std::vector<IoSpec>& inputs() const { return inputs_; }
  const std::vector<IoSpec>& outputs() const { return outputs_; }
  const std::set<std::pair<int, int>>& allowed_inplace() const { return allow_inplace_; }
  const std::set<std::pair<int, int>>& enforced_inplace() const { return enforce_inplace_; }
  const std::set<DType>& allowed_types() const { return allowed_types_; }
  // "1", "1-3", "{1, 3}" or "1+" (no upper bound).
  std::string InputArityString() const;
  std::string OutputArityString() const;

 private:
  struct Arity {
    int min = 1;
    int max = 1;
    std::set<int> allowed;  // When non-empty, overrides min/max.
    bool Allows(int n) const;
    std::string ToString() const;
  };
  OpSchema& AddArg(ArgSpec spec);

  std::string type_;
  std::string file_;
  int line_ = 0;
  std::string doc_;
  Arity in_arity_;
  Arity out_arity_;
  std::set<std::pair<int, int>> allow_inplace_;
  std::set<std::pair<int, int>> enforce_inplace_;
  std::vector<ArgSpec> args_;
  std::vector<IoSpec> inputs_;
  std::vector<IoSpec> outputs_;
  bool same_inputs_ = false;
  bool accepts_strings_ = false;
  std::set<DType> allowed_types_;
  TensorInferenceFunction inference_;
  ValueInferenceFunction value_inference_;
};

// Finds an argument of `def` by name, or nullptr.
const Argument* FindArgument(const OperatorDef& def, absl::string_view name);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_OP_SCHEMA_H_
