// Reverse-mode differentiation of a whole net: appends to a NetDef the
// operators that compute the gradient of one or more losses with respect to
// every blob the losses depend on.
#ifndef OPGRAPH_CORE_BACKWARD_H_
#define OPGRAPH_CORE_BACKWARD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

struct GradientNetInfo {
  // Blob -> the blob that holds d(sum of losses)/d(blob) once the net has
  // run. Only blobs with a path to a loss appear. For a blob written more
  // than once (in-place operators), the gradient of the first value the net
  // gives it (or reads, for a net input): for a parameter, the gradient of
  // the parameter itself.
  std::map<std::string, std::string> gradient_of;
  // Operators net had before the call; the backward operators follow them.
  int num_forward_ops = 0;
};

// Appends the backward pass of `net` for `loss_blobs` to `net`:
//   - each loss L is seeded with ones by the operator with the GradientSeed
//     role (OpRole in core/registry.h; built in: ConstantFill(L, value=1))
//     -> L_grad, of L's shape and dtype;
//   - operators are visited last to first; one whose outputs receive no
//     gradient has no path to a loss and is skipped, and so are its inputs;
//   - each visited operator's registered gradient maker (GetGradientDefs in
//     core/gradient.h) is given the gradients of its outputs ("" for an
//     output that receives none); an operator registered with NO_GRADIENT
//     passes nothing on (its inputs get no gradient through it);
//   - a blob value read by several operators (or by one operator twice)
//     receives one partial gradient from each, named
//     <blob>_grad_autosplit_<k>, and the operator with the
//     GradientAccumulation role (built in: Sum) adds them into <blob>_grad
//     before it is used (Caffe2's autosplit);
//   - blobs are versioned: every write creates a new value, so an operator
//     run in place (y = Selu(y)) maps the gradient of the new value to the
//     gradient of the old one, and partial gradients of different values
//     are never mixed.
// Every added operator has is_gradient_op set. The gradient of blob b is
// named b_grad unless it is accumulated from parts as above.
//
// On error `net` is unchanged. Errors:
//   InvalidArgument: no loss given, a loss given twice, a loss not written
//     by any operator of the net, or a gradient blob name that is also a
//     forward blob of the net;
//   NotFound: an operator on a path to a loss has no registered gradient
//     (the message names the operator's index, type and name);
//   FailedPrecondition: no operator has a role the pass needs (the message
//     names the role); an operator on a path to a loss is registered with
//     SHOULD_NOT_DO_GRADIENT, or its gradient reads a forward blob that a
//     later operator overwrites (the gradient would see the wrong value;
//     the message names both operators and the blob);
//   other codes: a gradient maker rejected its operator (its message).
// Thread safety: reads the global operator registry; otherwise only `net`.
absl::StatusOr<GradientNetInfo> AddGradientOperators(NetDef* net,
                                                     const std::vector<std::string>& loss_blobs);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_BACKWARD_H_
