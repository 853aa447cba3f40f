// Converters of ONNX's element-wise unary nodes (unary_nodes.cc): LeakyRelu,
// Elu, Exp, Log, Sqrt, Neg and Abs, to opgraph operators of the same
// meaning (Neg -> Negative, Caffe2's name). Each appends one operator to
// `ctx`'s predict net, or returns InvalidArgument for a wrong arity and
// Unimplemented for an attribute value opgraph does not support.
#ifndef OPGRAPH_ONNX_IMPORT_UNARY_NODES_H_
#define OPGRAPH_ONNX_IMPORT_UNARY_NODES_H_

#include "absl/status/status.h"
#include "onnx_import/import_context.h"

namespace opgraph {
namespace onnx_import {

absl::Status ConvertLeakyRelu(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertElu(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
// Exp, Log, Sqrt, Abs (same names) and Neg (-> Negative); no attributes.
absl::Status ConvertPlainUnary(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);

}  // namespace onnx_import
}  // namespace opgraph

#endif  // OPGRAPH_ONNX_IMPORT_UNARY_NODES_H_
