// Net: a validated, runnable NetDef bound to one Workspace.
//
// Nets are made by Workspace::CreateNet, which checks everything that can
// be checked before running (see there). Run() executes the operators in
// order ("simple" semantics; the Caffe2 types "dag", "async_dag",
// "async_scheduling" and "async_simple" are accepted and run the same way,
// since a NetDef lists its operators in a valid order).
//
// Thread safety: a Net and its Workspace are used by one thread at a time.
// Different workspaces, each with its own nets, may run concurrently.
#ifndef OPGRAPH_CORE_NET_H_
#define OPGRAPH_CORE_NET_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/operator.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

class Workspace;

// Blob name -> type and shape.
using TypeMap = std::map<std::string, TensorType>;

// Limits on the nets opgraph accepts; see docs/SECURITY.md. Like
// TensorLimits, a plain value: a workspace holds its own
// (WorkspaceOptions), and a default-constructed one holds the defaults.
struct NetLimits {
  // Operators in a net, counting those of nets nested in its arguments.
  int64_t max_ops = 1'000'000;
  // Nets nested inside arguments (Argument.n, Argument.nets) below the top
  // net. Parsing a file already stops at ProtoLimits::max_recursion_depth
  // message levels (3 per net level); this bounds nets built in memory too.
  int max_nesting_depth = 32;
};

// Checks `net` against `limits`, walking nested nets iteratively:
// ResourceExhausted naming NetLimits::max_ops when there are too many
// operators, InvalidArgument naming NetLimits::max_nesting_depth when nets
// nest too deeply. InferNetTypes (and so Workspace::CreateNet) calls it
// first. Safe to call concurrently.
absl::Status CheckNetLimits(const NetDef& net, const NetLimits& limits = {});

// Infers the type and shape of every blob that `net` writes, from the types
// of the blobs it reads (`inputs`: workspace contents or declared shapes).
// The result holds `inputs` plus every output. Checks, in operator order:
// the type is registered, the schema verifies, every input is known, the
// schema's inference succeeds and every output is within `tensor_limits`.
// `net_limits` is checked first (CheckNetLimits). Errors name the net, the
// operator's index, type and name, and its input blobs with their types.
// When inputs are missing, the error names the first operator that reads
// one, and lists at most 16 of the missing blobs with how many more.
absl::StatusOr<TypeMap> InferNetTypes(const NetDef& net, const TypeMap& inputs,
                                      const TensorLimits& tensor_limits = {},
                                      const NetLimits& net_limits = {});

// The value of a blob that stays constant across runs of a net (see
// PrepareContext::ConstantInput), or nullptr when it is not constant or
// not known.
using ConstantLookup = std::function<const Tensor*(const std::string& blob)>;

// The result of inference with per-operator detail: an operator sees the
// type a blob has when it runs, which a later operator may change.
struct NetTypes {
  TypeMap blobs;  // `inputs` plus the last type of every blob written
  std::vector<std::vector<TensorType>> op_inputs;
  std::vector<std::vector<TensorType>> op_outputs;
  std::vector<std::vector<int64_t>> op_output_numel;
};

// InferNetTypes with per-operator types. `constants`, when set, is asked
// for the values of blobs the net reads but never writes, for operators
// whose schema is value-dependent.
absl::StatusOr<NetTypes> InferNetTypesPerOp(const NetDef& net, const TypeMap& inputs,
                                            const ConstantLookup& constants = nullptr,
                                            const TensorLimits& tensor_limits = {},
                                            const NetLimits& net_limits = {});

// A ConstantLookup over the blobs of `ws` that `net` reads and never
// writes. It refers to `ws`, which must outlive it.
ConstantLookup MakeConstantLookup(const Workspace& ws, const NetDef& net);

// The bytes each blob in `written` needs: the largest output any operator
// of `net` writes into it, as inferred in `types`.
std::vector<size_t> WrittenBytes(const NetDef& net, const NetTypes& types,
                                 const std::vector<std::string>& written);

// "net 'name' operator #3 Softmax 'sm' (inputs: x float32[2, 3])".
std::string DescribeOperator(const NetDef& net, int index, const TypeMap& types);

class Net {
 public:
  // Runs every operator in order. Before the first operator, it prepares
  // the net again when needed: when the types of the blobs the net reads
  // changed since the last run (inference runs again), when a constant
  // input that an operator's Prepare read was rewritten, or when a blob the
  // net writes was replaced by a smaller one. Preparing again can fail
  // (inference, an operator's Prepare, allocation); then no operator runs
  // and the error is returned. On an operator's failure, returns its status
  // (same code) with the operator's context; the blobs that operator did
  // not write are untouched, and the net can run again.
  absl::Status Run();

  const NetDef& def() const { return def_; }
  const std::string& name() const { return def_.name(); }
  int num_ops() const { return static_cast<int>(ops_.size()); }
  OperatorBase* op(int i) const { return ops_[i].get(); }
  // Blobs read by the net before any of its operators writes them.
  const std::vector<std::string>& inputs() const { return input_names_; }
  // Every blob the net reads or writes.
  const std::vector<std::string>& blobs() const { return blob_names_; }
  // How many times the operators were prepared (1 after creation); for
  // tests and diagnostics.
  int64_t prepare_count() const { return prepare_count_; }

 private:
  friend class Workspace;
  Net() = default;

  // Per operator: the inferred types it runs with, and the constant inputs
  // its Prepare read, with their versions then.
  struct OpState {
    // Per input: the blob's tensor when it is constant across runs.
    std::vector<const Tensor*> constant_inputs;
    std::vector<const TensorType*> out_types;  // into types_.op_outputs
    std::vector<int64_t> out_numel;
    std::vector<std::pair<const Tensor*, uint64_t>> watched;
  };
  // A blob the net writes, and the bytes its largest writer needs.
  struct Written {
    Tensor* tensor;
    size_t bytes;
  };

  absl::Status CheckNeedsPrepare(bool* needed);
  // Infers from the current input types, prepares every operator and grows
  // written blobs. On error the net stays unprepared.
  absl::Status Reprepare();
  absl::Status PrepareOps(const NetTypes& types);
  // Points states_ at types_.
  void BindTypes();

  NetDef def_;
  Workspace* ws_ = nullptr;
  std::vector<std::unique_ptr<OperatorBase>> ops_;
  std::vector<OpState> states_;
  std::vector<Written> written_;
  std::vector<std::string> written_names_;  // parallel to written_
  std::vector<std::string> input_names_;
  std::vector<const Tensor*> input_tensors_;
  std::vector<TensorType> input_types_;  // As of the last successful check.
  std::vector<std::string> blob_names_;
  NetTypes types_;  // Inferred at the last check.
  bool prepared_ = false;
  uint64_t workspace_generation_ = 0;  // Workspace::generation() when checked.
  int64_t prepare_count_ = 0;
};

}  // namespace opgraph

#endif  // OPGRAPH_CORE_NET_H_
