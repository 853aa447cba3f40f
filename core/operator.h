// OperatorBase: what every kernel derives from.
//
// Life cycle, driven by Net (core/net.h). At net creation:
//   1. The registry constructs the operator from its OperatorDef and schema.
//      Constructors must not fail and must not touch any workspace.
//   2. Init() reads and validates argument values; an error here stops net
//      creation before anything in the workspace changes.
//   3. Prepare(ctx) receives the input and output types that the schema's
//      shape inference gave (the one source of shape truth) and does every
//      shape-dependent piece of work: dimension products, canonical axes,
//      choosing a kernel variant, packing constant weights. It is called
//      again before a run whenever the types of the net's inputs changed or
//      a constant input it read was rewritten.
//   4. The net allocates every output from the inferred types (except for
//      operators whose schema says OutputsDependOnInputValues(), which
//      resize their outputs themselves) and binds inputs and outputs.
// At every run:
//   5. RunOnDevice() only reads inputs and writes outputs: the output
//      tensors already have their inferred type and enough storage. Built-in
//      operators never allocate here, so a run cannot fail halfway for lack
//      of memory.
//
// An operator is used by one thread at a time.
#ifndef OPGRAPH_CORE_OPERATOR_H_
#define OPGRAPH_CORE_OPERATOR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/op_schema.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

class Workspace;

// What Prepare sees: the inferred types of the operator's inputs and
// outputs, and the values of inputs that stay constant across runs.
class PrepareContext {
 public:
  PrepareContext(std::vector<TensorType> inputs, std::vector<TensorType> outputs,
                 std::vector<const Tensor*> constants)
      : inputs_(std::move(inputs)),
        outputs_(std::move(outputs)),
        constants_(std::move(constants)),
        watched_(inputs_.size(), false) {}

  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  const TensorType& input(int i) const { return inputs_[i]; }
  const TensorType& output(int i) const { return outputs_[i]; }
  const std::vector<TensorType>& inputs() const { return inputs_; }
  const std::vector<TensorType>& outputs() const { return outputs_; }

  // The tensor of input `i` when its value is constant across runs of the
  // net (a blob the net reads but never writes, such as weights fed once or
  // made by an init net), else nullptr. Asking marks the input as watched:
  // when that blob is rewritten (fed again, or written by another net), the
  // net prepares again before its next run, so state derived from the
  // value (packed weights) never goes stale. The pointer is valid during
  // Prepare only.
  const Tensor* ConstantInput(int i) const {
    if (constants_[i] == nullptr) return nullptr;
    watched_[i] = true;
    return constants_[i];
  }
  bool watched(int i) const { return watched_[i]; }

 private:
  std::vector<TensorType> inputs_;
  std::vector<TensorType> outputs_;
  std::vector<const Tensor*> constants_;
  mutable std::vector<bool> watched_;
};

class OperatorBase {
 public:
  OperatorBase(const OperatorDef& def, const OpSchema& schema) : def_(def), schema_(&schema) {}
  virtual ~OperatorBase() = default;
  OperatorBase(const OperatorBase&) = delete;
  OperatorBase& operator=(const OperatorBase&) = delete;

  // Reads and checks argument values. Returns InvalidArgument naming the
  // argument on a bad value. The default accepts everything.
  virtual absl::Status Init() { return absl::OkStatus(); }

  // Shape-dependent work (see the life cycle above). The types in `ctx` are
  // final for the runs until the next Prepare. A non-OK status stops net
  // creation (or the run that re-prepared) with the operator's context. The
  // default does nothing.
  virtual absl::Status Prepare(const PrepareContext& ctx) {
    (void)ctx;
    return absl::OkStatus();
  }

  // Computes the outputs from the inputs, whose tensors have the types
  // Prepare saw. Returns a non-OK status only for what the checks before
  // running could not rule out (a value-dependent condition); the net adds
  // the operator's context.
  virtual absl::Status RunOnDevice() = 0;

  // Called by Net when it binds the operator, before the first run.
  void Bind(std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs, Workspace* ws) {
    inputs_ = std::move(inputs);
    outputs_ = std::move(outputs);
    ws_ = ws;
  }

  const Tensor& Input(int i) const { return *inputs_[i]; }
  Tensor* Output(int i) { return outputs_[i]; }
  int InputSize() const { return static_cast<int>(inputs_.size()); }
  int OutputSize() const { return static_cast<int>(outputs_.size()); }
  // True when input `in` and output `out` are the same blob.
  bool IsInplace(int in, int out) const { return inputs_[in] == outputs_[out]; }

  const OperatorDef& def() const { return def_; }
  const OpSchema& schema() const { return *schema_; }
  const std::string& type() const { return def_.type(); }
  Workspace* workspace() const { return ws_; }
  // Threads this operator may split its work over: its workspace's
  // num_threads(), or 1 before Bind().
  int NumThreads() const;

  // The argument `name` from the definition, else the schema's default.
  // T is float, double, int, int64_t, bool or std::string. Asking for an
  // argument the schema does not declare, or one that is absent with no
  // default, is a programmer error (CHECK): Verify rules out the rest.
  template <typename T>
  T Arg(absl::string_view name) const;
  // A repeated argument (floats, ints, strings); empty when absent.
  template <typename T>
  std::vector<T> RepeatedArg(absl::string_view name) const;
  bool HasArgument(absl::string_view name) const { return FindArgument(def_, name) != nullptr; }

 private:
  const Argument& ArgOrDefault(absl::string_view name) const;

  OperatorDef def_;
  const OpSchema* schema_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
  Workspace* ws_ = nullptr;
};

template <>
float OperatorBase::Arg<float>(absl::string_view name) const;
template <>
double OperatorBase::Arg<double>(absl::string_view name) const;
template <>
int64_t OperatorBase::Arg<int64_t>(absl::string_view name) const;
template <>
int OperatorBase::Arg<int>(absl::string_view name) const;
template <>
bool OperatorBase::Arg<bool>(absl::string_view name) const;
template <>
std::string OperatorBase::Arg<std::string>(absl::string_view name) const;
template <>
std::vector<float> OperatorBase::RepeatedArg<float>(absl::string_view name) const;
template <>
std::vector<int64_t> OperatorBase::RepeatedArg<int64_t>(absl::string_view name) const;
template <>
std::vector<std::string> OperatorBase::RepeatedArg<std::string>(absl::string_view name) const;

// Normalizes an axis argument against a rank: a negative axis counts from
// the end. InvalidArgument when it falls outside [-ndim, ndim).
absl::StatusOr<int> CanonicalAxis(int64_t axis, int ndim);

// Inference for operators with an integer `axis` argument (absent: the
// default): InvalidArgument naming the argument when the axis falls outside
// [-rank, rank) of input 0; every output has the type and shape of input
// `like`.
TensorInferenceFunction AxisCheckedInference(int64_t default_axis, int like);

// Product of dims[begin, end).
int64_t DimsProduct(absl::Span<const int64_t> dims, int begin, int end);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_OPERATOR_H_
