// Selu's arguments, shared by the operators that apply selu (Selu,
// SeluGradient, SeluSoftmax, SeluSoftmaxGradient) so that all of them
// accept exactly the same values.
#ifndef OPGRAPH_OPS_SELU_ARGS_H_
#define OPGRAPH_OPS_SELU_ARGS_H_

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/operator.h"

namespace opgraph {

// The constants that make selu self-normalizing.
constexpr double kSeluDefaultAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluDefaultScale = 1.0507009873554804934193349852946;

// Reads `alpha` and `scale` of `op`. An absent argument takes the exact
// constant, not its float rounding, so float64 tensors get the
// full-precision default. InvalidArgument, naming the argument, unless
// scale is finite and > 1 and alpha is finite and >= 0 (NaN and infinities
// are refused): the gradients tell the two branches apart by the sign of
// the output, which needs the negative branch to stay <= 0.
inline absl::Status ReadSeluArgs(const OperatorBase& op, double* alpha, double* scale) {
  *alpha = op.HasArgument("alpha") ? op.Arg<float>("alpha") : kSeluDefaultAlpha;
  *scale = op.HasArgument("scale") ? op.Arg<float>("scale") : kSeluDefaultScale;
  if (!std::isfinite(*scale) || !(*scale > 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'scale' must be greater than 1 and finite, got ", *scale));
  }
  if (!std::isfinite(*alpha) || *alpha < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'alpha' must be finite and >= 0, got ", *alpha));
  }
  return absl::OkStatus();
}

}  // namespace opgraph

#endif  // OPGRAPH_OPS_SELU_ARGS_H_
