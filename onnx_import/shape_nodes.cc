// ONNX shape nodes -> opgraph operators (shape_nodes.h). Where ONNX and
// Caffe2 differ under one name, the mapping is explicit here:
//   Reshape: ONNX has one output and the shape as an input; Caffe2's
//     Reshape also writes old_shape, to which the import gives a fresh name.
//     A constant shape becomes the `shape` argument. allowzero = 1 (a 0 is
//     a zero dim, not a copy) is refused where a 0 could occur.
//   Concat: ONNX has one output; Caffe2's split_info gets a fresh name.
//   Transpose: ONNX's perm is Caffe2's axes.
//   Cast: ONNX's `to` is an onnx.TensorProto.DataType, Caffe2's a
//     caffe2.TensorProto.DataType; the numbers differ and are translated.
//   LogSoftmax: before opset 13 the rows are flattened from axis on
//     (LogSoftmax), from 13 one axis (LogSoftmaxAlongAxis, or LogSoftmax
//     when the axis is the last dim).
#include "onnx_import/shape_nodes.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace opgraph {
namespace onnx_import {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;

absl::Status CheckCounts(const NodeProto& node, int min_in, int max_in, int max_out) {
  if (node.input_size() < min_in || node.input_size() > max_in) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.input_size(), " inputs, expected ", min_in, " to ", max_in));
  }
  if (node.output_size() < 1 || node.output_size() > max_out) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.output_size(), " outputs, expected 1 to ", max_out));
  }
  for (int i = 0; i < min_in; ++i) {
    if (node.input(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("required input ", i, " has no name"));
    }
  }
  if (node.output(0).empty()) return absl::InvalidArgumentError("output 0 has no name");
  return absl::OkStatus();
}

void AddIntsArg(OperatorDef* op, const std::string& name, const std::vector<int64_t>& v) {
  Argument* a = op->add_arg();
  a->set_name(name);
  for (int64_t x : v) a->add_ints(x);
}

}  // namespace

absl::Status ConvertFlatten(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 1, 1, 1));
  OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", 1));
  OperatorDef* op = ctx.AddOp("Flatten", {node.input(0)}, {node.output(0)}, node.name(), 2);
  AddIntArg(op, "axis", axis);
  return absl::OkStatus();
}

absl::Status ConvertReshape(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 2, 2, 1));
  int64_t allowzero = 0;
  if (ctx.opset() >= 14) {
    OPGRAPH_ASSIGN_OR_RETURN(allowzero, attrs.Int("allowzero", 0));
  }
  const std::string& shape_name = node.input(1);
  const Tensor* shape = ctx.Constant(shape_name);
  std::vector<int64_t> dims;
  if (shape != nullptr) {
    if (shape->ndim() != 1 || shape->dtype() != DType::kInt64) {
      return absl::InvalidArgumentError(absl::StrCat("input shape '", shape_name,
                                                     "' must be a 1-D int64 tensor, got ",
                                                     shape->type().ToString()));
    }
    dims.assign(shape->data<int64_t>(), shape->data<int64_t>() + shape->numel());
    if (allowzero != 0) {
      for (int64_t d : dims) {
        if (d == 0) {
          return absl::UnimplementedError(
              "allowzero = 1 with a 0 in the shape (a zero-sized dim) is not supported: "
              "opgraph's Reshape copies the input dim for a 0, as Caffe2's");
        }
      }
    }
  } else if (allowzero != 0) {
    return absl::UnimplementedError(absl::StrCat(
        "allowzero = 1 with a shape computed at run time ('", shape_name,
        "') is not supported: opgraph's Reshape copies the input dim for a 0, as Caffe2's"));
  }
  const std::string old_shape = ctx.FreshName(node.output(0) + "_old_shape");
  std::vector<std::string> inputs = {node.input(0)};
  if (shape == nullptr) inputs.push_back(shape_name);
  OperatorDef* op = ctx.AddOp("Reshape", inputs, {node.output(0), old_shape}, node.name(),
                              shape != nullptr ? static_cast<int>(dims.size()) : -1);
  if (shape != nullptr) AddIntsArg(op, "shape", dims);
  ctx.Define(old_shape, 1);
  return absl::OkStatus();
}

absl::Status ConvertTranspose(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 1, 1, 1));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* perm, attrs.Get("perm", AttributeProto::INTS));
  OperatorDef* op = ctx.AddOp("Transpose", {node.input(0)}, {node.output(0)}, node.name(),
                              ctx.Rank(node.input(0)));
  if (perm != nullptr) {
    AddIntsArg(op, "axes", std::vector<int64_t>(perm->ints().begin(), perm->ints().end()));
  }
  return absl::OkStatus();
}

absl::Status ConvertConcat(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 1, 1 << 20, 1));
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " has no name"));
    }
  }
  if (!attrs.Has("axis")) return absl::InvalidArgumentError("the attribute axis is required");
  OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", 0));
  if (axis < 0 && ctx.opset() < 11) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis = ", axis, ": a negative axis needs opset 11 or later"));
  }
  const std::string split_info = ctx.FreshName(node.output(0) + "_split_info");
  std::vector<std::string> inputs(node.input().begin(), node.input().end());
  OperatorDef* op = ctx.AddOp("Concat", inputs, {node.output(0), split_info}, node.name(),
                              ctx.Rank(node.input(0)));
  AddIntArg(op, "axis", axis);
  ctx.Define(split_info, 1);
  return absl::OkStatus();
}

absl::Status ConvertCast(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 1, 1, 1));
  if (!attrs.Has("to")) return absl::InvalidArgumentError("the attribute to is required");
  OPGRAPH_ASSIGN_OR_RETURN(int64_t to, attrs.Int("to", 0));
  // onnx.TensorProto.DataType -> the DType, whose number is Caffe2's.
  const DType t =
      to >= 0 && to <= INT32_MAX ? DTypeFromOnnx(static_cast<int32_t>(to)) : DType::kUndefined;
  if (t == DType::kUndefined) {
    return absl::UnimplementedError(
        absl::StrCat("to = ", to,
                     " is not supported (float, double, int32, int64, bool and "
                     "uint8 are)"));
  }
  OperatorDef* op =
      ctx.AddOp("Cast", {node.input(0)}, {node.output(0)}, node.name(), ctx.Rank(node.input(0)));
  AddIntArg(op, "to", static_cast<int64_t>(t));
  return absl::OkStatus();
}

absl::Status ConvertLogSoftmax(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckCounts(node, 1, 1, 1));
  const int rank = ctx.Rank(node.input(0));
  if (ctx.opset() < 13) {
    OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", 1));
    OperatorDef* op = ctx.AddOp("LogSoftmax", {node.input(0)}, {node.output(0)}, node.name(), rank);
    AddIntArg(op, "axis", axis);
    return absl::OkStatus();
  }
  OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", -1));
  const bool last = axis == -1 || (rank > 0 && axis == rank - 1);
  OperatorDef* op = ctx.AddOp(last ? "LogSoftmax" : "LogSoftmaxAlongAxis", {node.input(0)},
                              {node.output(0)}, node.name(), rank);
  AddIntArg(op, "axis", last ? -1 : axis);
  return absl::OkStatus();
}

absl::Status ConvertDropoutWithMask(const NodeProto& node, ImportContext& ctx) {
  if (ctx.opset() < 10) {
    return absl::UnimplementedError(
        absl::StrCat("the mask output '", node.output(1),
                     "' has the input's type before opset 10; opgraph's Dropout mask is bool"));
  }
  OperatorDef* op = ctx.AddOp("Dropout", {node.input(0)}, {node.output(0), node.output(1)},
                              node.name(), ctx.Rank(node.input(0)));
  AddIntArg(op, "is_test", 1);
  return absl::OkStatus();
}

}  // namespace onnx_import
}  // namespace opgraph
