// ONNX's broadcasting binary nodes (binary_nodes.cc).
#ifndef OPGRAPH_ONNX_IMPORT_BINARY_NODES_H_
#define OPGRAPH_ONNX_IMPORT_BINARY_NODES_H_

#include "absl/status/status.h"
#include "onnx_import/import_context.h"

namespace opgraph {
namespace onnx_import {

// Add, Sub, Mul, Div (opset 7 on: numpy broadcasting, no attributes) to
// opgraph's operators of the same name with broadcast = 0.
absl::Status ConvertBinaryArithmetic(const onnx::NodeProto& node, NodeAttrs& attrs,
                                     ImportContext& ctx);

// MatMul (opset 1 on: numpy's matmul) to BatchMatMul with broadcast = 1 and
// dot_as_scalar = 1.
absl::Status ConvertMatMul(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);

}  // namespace onnx_import
}  // namespace opgraph

#endif  // OPGRAPH_ONNX_IMPORT_BINARY_NODES_H_
