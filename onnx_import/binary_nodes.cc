// ONNX Add, Sub, Mul and Div -> opgraph's broadcasting operators of the
// same name (ops/binary_ops.cc). From opset 7 ONNX broadcasts as numpy
// does, which is what those operators do without `broadcast` = 1; the later
// versions (13, 14) only add element types. Types opgraph's operators do
// not take (the 8- and 16-bit integers, unsigned types, float16, bfloat16)
// are refused when the net is prepared, naming the operator and type.
#include "onnx_import/binary_nodes.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace opgraph {
namespace onnx_import {

absl::Status ConvertBinaryArithmetic(const onnx::NodeProto& node, NodeAttrs& /*attrs*/,
                                     ImportContext& ctx) {
  if (node.input_size() != 2 || node.input(0).empty() || node.input(1).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.input_size(), " inputs, expected 2 named inputs"));
  }
  if (node.output_size() != 1 || node.output(0).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.output_size(), " outputs, expected 1 named output"));
  }
  const int ra = ctx.Rank(node.input(0)), rb = ctx.Rank(node.input(1));
  const int rank = ra < 0 || rb < 0 ? -1 : std::max(ra, rb);
  ctx.AddOp(node.op_type(), {node.input(0), node.input(1)}, {node.output(0)}, node.name(), rank);
  return absl::OkStatus();
}

}  // namespace onnx_import
}  // namespace opgraph
