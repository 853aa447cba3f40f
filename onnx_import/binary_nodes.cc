// ONNX Add, Sub, Mul, Div and MatMul.
//
// Add, Sub, Mul and Div -> opgraph's broadcasting operators of the
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

namespace {

absl::Status CheckTwoInOneOut(const onnx::NodeProto& node) {
  if (node.input_size() != 2 || node.input(0).empty() || node.input(1).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.input_size(), " inputs, expected 2 named inputs"));
  }
  if (node.output_size() != 1 || node.output(0).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.output_size(), " outputs, expected 1 named output"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ConvertBinaryArithmetic(const onnx::NodeProto& node, NodeAttrs& /*attrs*/,
                                     ImportContext& ctx) {
  absl::Status s = CheckTwoInOneOut(node);
  if (!s.ok()) return s;
  const int ra = ctx.Rank(node.input(0)), rb = ctx.Rank(node.input(1));
  const int rank = ra < 0 || rb < 0 ? -1 : std::max(ra, rb);
  ctx.AddOp(node.op_type(), {node.input(0), node.input(1)}, {node.output(0)}, node.name(), rank);
  return absl::OkStatus();
}

// MatMul is numpy's matmul at every version (1, 9, 13 only add types):
// opgraph's BatchMatMul with broadcast = 1, and a 0-D result for two
// vectors as numpy gives (Caffe2's BatchMatMul gives [1]).
absl::Status ConvertMatMul(const onnx::NodeProto& node, NodeAttrs& /*attrs*/, ImportContext& ctx) {
  absl::Status s = CheckTwoInOneOut(node);
  if (!s.ok()) return s;
  const int ra = ctx.Rank(node.input(0)), rb = ctx.Rank(node.input(1));
  int rank = -1;
  if (ra >= 1 && rb >= 1) {
    if (ra == 1 && rb == 1) {
      rank = 0;
    } else if (ra == 1 || rb == 1) {
      rank = std::max(ra, rb) - 1;
    } else {
      rank = std::max(ra, rb);
    }
  }
  OperatorDef* op =
      ctx.AddOp("BatchMatMul", {node.input(0), node.input(1)}, {node.output(0)}, node.name(), rank);
  AddIntArg(op, "broadcast", 1);
  AddIntArg(op, "dot_as_scalar", 1);
  return absl::OkStatus();
}

}  // namespace onnx_import
}  // namespace opgraph
