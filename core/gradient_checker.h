// Gradient checker: compares an operator's registered gradient with central
// finite differences.
//
// For an operator definition and input tensors, the checker forms the
// scalar L = sum over the checked outputs k and their elements e of
// w[k][e] * Y_k[e], with fixed pseudo-random weights w in [-1, 1). It then
//   - runs the operator and its gradient operators (GetGradientDefs, fed
//     dL/dY_k = w[k]) in a Workspace: the analytic dL/dX_i;
//   - for every element of every checked input, runs the operator with that
//     element moved by +step and -step: the numeric
//     (L(x + step) - L(x - step)) / (2 step).
// By default both run in float64: float32 inputs are converted, provided the
// operator accepts float64 inputs; otherwise the inputs keep their type and
// the step and tolerances are those for float32.
//
// Plugin authors: call CheckGradient on each operator that registers a
// gradient (see docs/TRAINING.md). Keep inputs away from kinks (|x| not
// within a few steps of a point where the function is not differentiable).
// The float64 attempt relies on the schema to refuse types the kernel does
// not handle (AllowedTypes or the inference function): a kernel handed a
// dtype it does not expect fails Tensor::data<T>()'s CHECK.
#ifndef OPGRAPH_CORE_GRADIENT_CHECKER_H_
#define OPGRAPH_CORE_GRADIENT_CHECKER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

struct GradientCheckOptions {
  // Indices of the inputs to check; empty: every float32/float64 input.
  std::vector<int> inputs;
  // Indices of the outputs that make up L; empty: every float output.
  // Outputs left out get no gradient ("" in GetGradientDefs).
  std::vector<int> outputs;
  // Convert float32 inputs to float64 when the operator accepts them.
  bool use_float64 = true;
  // Finite-difference step; 0 picks 1e-5 in float64 and 1e-2 in float32.
  double step = 0;
  // Seed of the weights w (SplitMix64).
  uint64_t seed = 0x5eed;
};

struct InputGradientCheck {
  int input = 0;             // index among the operator's inputs
  std::string blob;          // its name
  bool has_gradient = true;  // false: the gradient maker gives this input none (analytic = 0)
  std::vector<double> analytic;
  std::vector<double> numeric;
  double max_abs_error = 0;  // max_e |analytic - numeric|
  // max_e |analytic - numeric| / max(|analytic|, |numeric|, 1e-8)
  double max_rel_error = 0;
  int64_t worst_index = -1;  // element with the largest absolute error
};

struct GradientCheckResult {
  DType compute_dtype = DType::kUndefined;  // the type the operator ran in
  double step = 0;
  std::vector<InputGradientCheck> inputs;
  // "input 0 'x': max abs error 1e-9, max rel error 2e-8; ..."
  std::string Summary() const;
};

// Runs the check. `inputs` are the operator's input tensors, in order (as
// many as def has inputs). The operator must not read one blob twice.
// Errors: InvalidArgument for a wrong tensor count, a repeated input blob,
// an index out of range, a non-float input asked to be checked, or a
// gradient whose type or shape differs from its input's; the status of
// GetGradientDefs (NotFound, FailedPrecondition, ...) when the operator has
// no usable gradient; the status of net creation or running otherwise.
// Thread safety: uses only its own workspaces; may run concurrently.
absl::StatusOr<GradientCheckResult> CheckGradient(const OperatorDef& def,
                                                  const std::vector<TensorRef>& inputs,
                                                  const GradientCheckOptions& options = {});

// OK when every checked element satisfies
//   |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|);
// otherwise InvalidArgument naming the input, the element and both values.
// Negative atol/rtol pick defaults by result.compute_dtype: 1e-6 and 1e-5
// for float64, 1e-2 and 1e-2 for float32.
absl::Status GradientWithinTolerance(const GradientCheckResult& result, double atol = -1,
                                     double rtol = -1);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_GRADIENT_CHECKER_H_
