// Converters of ONNX's shape nodes (shape_nodes.cc): Flatten, Reshape,
// Transpose, Concat, Cast, LogSoftmax, and Dropout with a mask output. Each
// has the signature of the table in nodes.cc: it reads the attributes it
// understands (the caller refuses the rest) and appends opgraph operators
// with Caffe2's semantics, mapping where ONNX means something else.
#ifndef OPGRAPH_ONNX_IMPORT_SHAPE_NODES_H_
#define OPGRAPH_ONNX_IMPORT_SHAPE_NODES_H_

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"
#include "onnx_import/import_context.h"

namespace opgraph {
namespace onnx_import {

absl::Status ConvertFlatten(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertReshape(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertTranspose(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertConcat(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertCast(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
absl::Status ConvertLogSoftmax(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);
// Dropout whose mask output is named (the caller has read the attributes
// and refused training): Caffe2's Dropout with is_test = 1, whose mask is
// all true. Before opset 10 ONNX's mask has the input's type, not bool:
// refused.
absl::Status ConvertDropoutWithMask(const onnx::NodeProto& node, ImportContext& ctx);

}  // namespace onnx_import
}  // namespace opgraph

#endif  // OPGRAPH_ONNX_IMPORT_SHAPE_NODES_H_
