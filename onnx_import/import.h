// Importing ONNX models: an ONNX ModelProto becomes a Caffe2-style NetDef
// pair that opgraph runs like any other (docs/ONNX.md).
//
//   init_net     one GivenTensor*Fill operator per constant the predict net
//                reads (graph initializers, Constant nodes, weights the
//                import derived from them, such as a transposed Gemm B);
//                run it once in a workspace, and the predict net treats
//                those blobs as constant weights (Prepare packs FC weights
//                once).
//   predict_net  the graph's nodes as opgraph operators, in the graph's
//                order. external_input lists the graph inputs that are not
//                initializers, in graph order, then the constants it reads;
//                external_output lists the graph outputs.
//
// Blobs keep their ONNX names; names the import makes up end in "__onnx"
// plus a number and never collide with a name of the graph.
//
// The import is all or nothing: on any error nothing is returned. Errors:
//   InvalidArgument   the bytes are not an ONNX model, or the model is
//                     malformed (a tensor whose data does not match its
//                     dims, a node reading a blob no earlier node, input or
//                     initializer gives, ...);
//   Unimplemented     the model needs what opgraph does not support: a
//                     default-domain opset outside [kMinOnnxOpset,
//                     kMaxOnnxOpset], a node of another domain, an operator,
//                     attribute or attribute value it does not map, a data
//                     type it has no tensor for, external tensor data;
//   ResourceExhausted over a limit of OnnxImportOptions.
// A node's error reads
//   node #I 'NAME' (op_type T, domain 'D', opset N): <why>
//
// Thread safety: the functions keep no state and may run concurrently.
#ifndef OPGRAPH_ONNX_IMPORT_IMPORT_H_
#define OPGRAPH_ONNX_IMPORT_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The default-domain ("" or "ai.onnx") opsets the import accepts.
inline constexpr int64_t kMinOnnxOpset = 7;
inline constexpr int64_t kMaxOnnxOpset = 17;

struct OnnxImportOptions {
  // Largest model, in bytes.
  int64_t max_model_bytes = int64_t{1} << 30;
  // Message nesting while parsing (a model nests graphs inside attributes).
  int max_recursion_depth = 64;
  // Nodes in the graph.
  int64_t max_nodes = 1'000'000;
  // Applied to every initializer and Constant value.
  TensorLimits tensor_limits;
};

// A graph input or output as the model declares it.
struct OnnxValueInfo {
  std::string name;
  // kUndefined when the model gives no type or one opgraph has no tensor for.
  DType dtype = DType::kUndefined;
  // False when the model gives no shape; then `dims` is empty.
  bool has_shape = false;
  // -1 for a dimension without a fixed size (a dim_param or nothing).
  std::vector<int64_t> dims;
};

struct ImportedModel {
  NetDef init_net;
  NetDef predict_net;
  // The graph inputs the caller feeds (those without an initializer).
  std::vector<OnnxValueInfo> inputs;
  std::vector<OnnxValueInfo> outputs;
  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
};

// Imports a serialized ModelProto. The nets are named after the graph
// ("<graph>" and "<graph>_init"; "onnx" when it has no name).
absl::StatusOr<ImportedModel> ImportOnnxModel(const std::string& bytes,
                                              const OnnxImportOptions& options = {});

// True when `bytes` read as an ONNX ModelProto at the top level: well-formed
// protobuf fields with ir_version (field 1, an integer) and a graph (field
// 7) present. It reads only the top-level fields, so it is cheap on large
// models; a Caffe2 NetDef, whose field 1 is a string, and text files are
// not taken for ONNX. ImportOnnxModel still checks everything.
bool LooksLikeOnnxModel(const std::string& bytes);

}  // namespace opgraph

#endif  // OPGRAPH_ONNX_IMPORT_IMPORT_H_
