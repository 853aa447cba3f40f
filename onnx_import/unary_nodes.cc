// ONNX's element-wise unary nodes -> opgraph operators. ONNX and Caffe2
// agree on every formula here (LeakyRelu: alpha * x below 0; Elu: alpha *
// (exp(x) - 1) below 0); the opset 6 and 13 versions differ only in the
// types they allow, and opgraph's operators take float32 and float64
// (other types are refused when the net is created).
#include "onnx_import/unary_nodes.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace opgraph {
namespace onnx_import {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;

absl::Status CheckOneInOneOut(const NodeProto& node) {
  if (node.input_size() != 1 || node.input(0).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.input_size(), " inputs, expected 1 (named)"));
  }
  if (node.output_size() != 1 || node.output(0).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", node.output_size(), " outputs, expected 1 (named)"));
  }
  return absl::OkStatus();
}

// LeakyRelu and Elu: an optional float `alpha`; opgraph needs it finite and
// >= 0 (its gradients tell the branches apart by the sign of the output).
// An absent alpha is written out with ONNX's default, which is also
// Caffe2's.
absl::Status ConvertWithAlpha(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx,
                              const std::string& type, float default_alpha) {
  OPGRAPH_RETURN_IF_ERROR(CheckOneInOneOut(node));
  OPGRAPH_ASSIGN_OR_RETURN(float alpha, attrs.Float("alpha", default_alpha));
  if (!std::isfinite(alpha) || alpha < 0) {
    return absl::UnimplementedError(absl::StrCat("alpha = ", alpha, " is not supported (opgraph's ",
                                                 type, " needs a finite alpha >= 0)"));
  }
  OperatorDef* op =
      ctx.AddOp(type, {node.input(0)}, {node.output(0)}, node.name(), ctx.Rank(node.input(0)));
  AddFloatArg(op, "alpha", alpha);
  return absl::OkStatus();
}

}  // namespace

absl::Status ConvertLeakyRelu(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  return ConvertWithAlpha(node, attrs, ctx, "LeakyRelu", 0.01f);
}

absl::Status ConvertElu(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  return ConvertWithAlpha(node, attrs, ctx, "Elu", 1.0f);
}

absl::Status ConvertPlainUnary(const NodeProto& node, NodeAttrs& /*attrs*/, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckOneInOneOut(node));
  const std::string type = node.op_type() == "Neg" ? "Negative" : node.op_type();
  ctx.AddOp(type, {node.input(0)}, {node.output(0)}, node.name(), ctx.Rank(node.input(0)));
  return absl::OkStatus();
}

}  // namespace onnx_import
}  // namespace opgraph
