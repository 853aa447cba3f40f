// ONNX nodes -> opgraph operators. Each converter reads the attributes it
// understands (the caller refuses any other) and appends operators with
// Caffe2's semantics; where ONNX means something else under the same name,
// it maps only the cases where both agree and refuses the rest.
#include <cmath>
#include <functional>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "onnx_import/binary_nodes.h"
#include "onnx_import/import_context.h"
#include "onnx_import/shape_nodes.h"
#include "onnx_import/unary_nodes.h"

namespace opgraph {
namespace onnx_import {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;

using Converter = std::function<absl::Status(const NodeProto&, NodeAttrs&, ImportContext&)>;

// The node's input `i`, or "" when absent (ONNX marks a skipped optional
// input with an empty name).
std::string InputOr(const NodeProto& node, int i) {
  return i < node.input_size() ? node.input(i) : std::string();
}

absl::Status CheckArity(const NodeProto& node, int min_in, int max_in, int min_out, int max_out) {
  if (node.input_size() < min_in || node.input_size() > max_in) {
    return absl::InvalidArgumentError(absl::StrCat("has ", node.input_size(), " inputs, expected ",
                                                   min_in, min_in == max_in ? "" : " to ",
                                                   min_in == max_in ? "" : absl::StrCat(max_in)));
  }
  if (node.output_size() < min_out || node.output_size() > max_out) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has ", node.output_size(), " outputs, expected ", min_out,
        min_out == max_out ? "" : " to ", min_out == max_out ? "" : absl::StrCat(max_out)));
  }
  for (int i = 0; i < min_in; ++i) {
    if (node.input(i).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("required input ", i, " has no name"));
    }
  }
  if (node.output(0).empty()) return absl::InvalidArgumentError("output 0 has no name");
  return absl::OkStatus();
}

// Y = X for Identity and inference-mode Dropout.
absl::Status ConvertCopy(const NodeProto& node, ImportContext& ctx) {
  ctx.AddOp("Copy", {node.input(0)}, {node.output(0)}, node.name(), ctx.Rank(node.input(0)));
  return absl::OkStatus();
}

absl::Status ConvertIdentity(const NodeProto& node, NodeAttrs& /*attrs*/, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1, 1));
  return ConvertCopy(node, ctx);
}

absl::Status ConvertDropout(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  // Opset 7-11: ratio is an attribute; 12 on: inputs ratio and training_mode.
  const bool inputs_form = ctx.opset() >= 12;
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 1, inputs_form ? 3 : 1, 1, 2));
  if (inputs_form) {
    OPGRAPH_RETURN_IF_ERROR(attrs.Int("seed", 0).status());
    const std::string training = InputOr(node, 2);
    if (!training.empty()) {
      const Tensor* t = ctx.Constant(training);
      if (t == nullptr || t->dtype() != DType::kBool || t->numel() != 1) {
        return absl::UnimplementedError(
            absl::StrCat("input training_mode '", training,
                         "' must be a constant false: opgraph runs Dropout for inference only"));
      }
      if (t->data<bool>()[0]) {
        return absl::UnimplementedError(
            "training_mode is true: opgraph runs Dropout for inference only");
      }
    }
  } else {
    OPGRAPH_RETURN_IF_ERROR(attrs.Float("ratio", 0.5f).status());
  }
  if (node.output_size() > 1 && !node.output(1).empty()) {
    return ConvertDropoutWithMask(node, ctx);
  }
  return ConvertCopy(node, ctx);
}

absl::Status ConvertSelu(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1, 1));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* alpha, attrs.Get("alpha", AttributeProto::FLOAT));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* gamma, attrs.Get("gamma", AttributeProto::FLOAT));
  // opgraph's Selu requires scale > 1 and a finite alpha >= 0.
  if (gamma != nullptr && !(gamma->f() > 1.0f)) {
    return absl::UnimplementedError(
        absl::StrCat("gamma = ", gamma->f(), " is not supported (opgraph's Selu needs gamma > 1)"));
  }
  if (alpha != nullptr && !(std::isfinite(alpha->f()) && alpha->f() >= 0.0f)) {
    return absl::UnimplementedError(absl::StrCat(
        "alpha = ", alpha->f(), " is not supported (opgraph's Selu needs a finite alpha >= 0)"));
  }
  OperatorDef* op =
      ctx.AddOp("Selu", {node.input(0)}, {node.output(0)}, node.name(), ctx.Rank(node.input(0)));
  // Absent attributes keep opgraph's defaults: the exact SELU constants, of
  // which ONNX's defaults are the float32 roundings.
  if (alpha != nullptr) AddFloatArg(op, "alpha", alpha->f());
  if (gamma != nullptr) AddFloatArg(op, "scale", gamma->f());
  return absl::OkStatus();
}

// An element-wise node without attributes whose opgraph operator has the
// same name and meaning (Relu, Sigmoid, Tanh).
absl::Status ConvertSameNameUnary(const NodeProto& node, NodeAttrs& /*attrs*/, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1, 1));
  ctx.AddOp(node.op_type(), {node.input(0)}, {node.output(0)}, node.name(),
            ctx.Rank(node.input(0)));
  return absl::OkStatus();
}

absl::Status ConvertSoftmax(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1, 1));
  const int rank = ctx.Rank(node.input(0));
  if (ctx.opset() < 13) {
    // Before opset 13 ONNX's Softmax is Caffe2's: rows are the dims before
    // `axis`, flattened from `axis` on.
    OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", 1));
    OperatorDef* op = ctx.AddOp("Softmax", {node.input(0)}, {node.output(0)}, node.name(), rank);
    AddIntArg(op, "axis", axis);
    return absl::OkStatus();
  }
  // From opset 13 it normalizes along the one dim `axis`: Caffe2's
  // flattened Softmax only when `axis` is the last dim (kept as Softmax, which
  // the Selu + Softmax fusion knows), else SoftmaxAlongAxis.
  OPGRAPH_ASSIGN_OR_RETURN(int64_t axis, attrs.Int("axis", -1));
  const bool last = axis == -1 || (rank > 0 && axis == rank - 1);
  OperatorDef* op = ctx.AddOp(last ? "Softmax" : "SoftmaxAlongAxis", {node.input(0)},
                              {node.output(0)}, node.name(), rank);
  AddIntArg(op, "axis", last ? -1 : axis);
  return absl::OkStatus();
}

absl::Status ConvertConstant(const NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  OPGRAPH_RETURN_IF_ERROR(CheckArity(node, 0, 0, 1, 1));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* value, attrs.Get("value", AttributeProto::TENSOR));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* vf,
                           attrs.Get("value_float", AttributeProto::FLOAT));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* vfs,
                           attrs.Get("value_floats", AttributeProto::FLOATS));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* vi, attrs.Get("value_int", AttributeProto::INT));
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* vis,
                           attrs.Get("value_ints", AttributeProto::INTS));
  const int given =
      (value != nullptr) + (vf != nullptr) + (vfs != nullptr) + (vi != nullptr) + (vis != nullptr);
  if (given != 1) {
    return absl::UnimplementedError(
        given == 0 ? "needs one of the attributes value, value_float, value_floats, value_int, "
                     "value_ints (sparse_value and strings are not supported)"
                   : "has more than one value attribute");
  }
  Tensor t;
  if (value != nullptr) {
    OPGRAPH_ASSIGN_OR_RETURN(t, TensorFromOnnx(value->t(), ctx.options().tensor_limits));
  } else if (vf != nullptr) {
    const float f = vf->f();
    OPGRAPH_ASSIGN_OR_RETURN(t, Tensor::FromVector<float>({}, absl::MakeConstSpan(&f, 1)));
  } else if (vfs != nullptr) {
    const std::vector<float> v(vfs->floats().begin(), vfs->floats().end());
    OPGRAPH_ASSIGN_OR_RETURN(
        t, Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, absl::MakeConstSpan(v)));
  } else if (vi != nullptr) {
    const int64_t i = vi->i();
    OPGRAPH_ASSIGN_OR_RETURN(t, Tensor::FromVector<int64_t>({}, absl::MakeConstSpan(&i, 1)));
  } else {
    const std::vector<int64_t> v(vis->ints().begin(), vis->ints().end());
    OPGRAPH_ASSIGN_OR_RETURN(
        t, Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, absl::MakeConstSpan(v)));
  }
  return ctx.AddConstant(node.output(0), std::move(t));
}

// The node's main registry: op_type -> first opset handled, converter.
const std::map<std::string, std::pair<int64_t, Converter>>& Converters() {
  static const auto* table = new std::map<std::string, std::pair<int64_t, Converter>>{
      {"Constant", {1, ConvertConstant}},
      {"Dropout", {7, ConvertDropout}},
      {"Gemm", {7, ConvertGemm}},
      {"Identity", {1, ConvertIdentity}},
      {"Relu", {6, ConvertSameNameUnary}},
      {"Sigmoid", {6, ConvertSameNameUnary}},
      {"Tanh", {6, ConvertSameNameUnary}},
      {"Selu", {6, ConvertSelu}},
      {"Softmax", {1, ConvertSoftmax}},
      {"Abs", {6, ConvertPlainUnary}},
      {"Elu", {6, ConvertElu}},
      {"Exp", {6, ConvertPlainUnary}},
      {"LeakyRelu", {6, ConvertLeakyRelu}},
      {"Log", {6, ConvertPlainUnary}},
      {"Neg", {6, ConvertPlainUnary}},
      {"Sqrt", {6, ConvertPlainUnary}},
      // binary_nodes.cc
      {"Add", {7, ConvertBinaryArithmetic}},
      {"Sub", {7, ConvertBinaryArithmetic}},
      {"Mul", {7, ConvertBinaryArithmetic}},
      {"Div", {7, ConvertBinaryArithmetic}},
      {"MatMul", {1, ConvertMatMul}},
      {"Flatten", {1, ConvertFlatten}},
      {"Reshape", {5, ConvertReshape}},
      {"Transpose", {1, ConvertTranspose}},
      {"Concat", {4, ConvertConcat}},
      {"Cast", {6, ConvertCast}},
      {"LogSoftmax", {1, ConvertLogSoftmax}},
  };
  return *table;
}

}  // namespace

absl::Status ConvertNode(const NodeProto& node, ImportContext& ctx) {
  auto it = Converters().find(node.op_type());
  if (it == Converters().end()) {
    return absl::UnimplementedError(absl::StrCat("operator ", node.op_type(),
                                                 " is not supported (docs/ONNX.md lists those "
                                                 "that are)"));
  }
  NodeAttrs attrs(node);
  OPGRAPH_RETURN_IF_ERROR(it->second.second(node, attrs, ctx));
  return attrs.CheckAllUsed();
}

const std::vector<SupportedOnnxOp>& SupportedOnnxOps() {
  static const auto* ops = [] {
    auto* v = new std::vector<SupportedOnnxOp>();
    for (const auto& [name, entry] : Converters()) v->push_back({name.c_str(), entry.first});
    return v;
  }();
  return *ops;
}

}  // namespace onnx_import
}  // namespace opgraph
