// Internals of the ONNX import (onnx_import/import.h): what the node
// converters share while one model is imported.
#ifndef OPGRAPH_ONNX_IMPORT_IMPORT_CONTEXT_H_
#define OPGRAPH_ONNX_IMPORT_IMPORT_CONTEXT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "onnx/onnx_pb.h"
#include "onnx_import/import.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace onnx_import {

// ONNX TensorProto -> Tensor, for float, double, int32, int64, bool and
// uint8, from raw_data (little-endian) or the typed field. InvalidArgument
// when the element count differs from the dims' product or a value does
// not fit the type; Unimplemented for other data types, external data and
// segments; the errors of CheckedNumElements over `limits`.
absl::StatusOr<Tensor> TensorFromOnnx(const onnx::TensorProto& proto, const TensorLimits& limits);

// ONNX TensorProto.DataType -> DType; kUndefined when opgraph has none.
DType DTypeFromOnnx(int32_t onnx_type);

// The attributes of one node. Each lookup marks the attribute used;
// CheckAllUsed then refuses any the converter did not ask for.
class NodeAttrs {
 public:
  explicit NodeAttrs(const onnx::NodeProto& node);

  bool Has(const std::string& name) const;
  absl::StatusOr<float> Float(const std::string& name, float default_value);
  absl::StatusOr<int64_t> Int(const std::string& name, int64_t default_value);
  // The attribute `name` of `type`; nullptr when absent.
  absl::StatusOr<const onnx::AttributeProto*> Get(const std::string& name,
                                                  onnx::AttributeProto::AttributeType type);
  // Unimplemented naming the first attribute no lookup asked for.
  absl::Status CheckAllUsed() const;

 private:
  std::map<std::string, const onnx::AttributeProto*> attrs_;
  std::set<std::string> used_;
};

class ImportContext {
 public:
  ImportContext(int64_t opset, const OnnxImportOptions& options, NetDef* predict);

  int64_t opset() const { return opset_; }
  const OnnxImportOptions& options() const { return options_; }

  // Reserves every name of the graph so that FreshName never reuses one.
  void ReserveName(const std::string& name) { names_.insert(name); }
  // "<base>__onnx<k>", unused so far.
  std::string FreshName(const std::string& base);

  // A blob is defined once a graph input, initializer or earlier node
  // gives it.
  void Define(const std::string& name, int rank);
  bool Defined(const std::string& name) const { return ranks_.count(name) > 0; }
  // The blob's rank when known, else -1.
  int Rank(const std::string& name) const;

  // Constants become fills of the init net (when the predict net reads
  // them). Defines the blob.
  absl::Status AddConstant(const std::string& name, Tensor value);
  // The constant value of `name`, or nullptr when it is not a constant.
  const Tensor* Constant(const std::string& name) const;
  const std::vector<std::string>& constant_order() const { return constant_order_; }

  // Appends an operator to the predict net; `outputs` are defined with
  // rank `rank` (-1: unknown).
  OperatorDef* AddOp(const std::string& type, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs, const std::string& name, int rank);

 private:
  int64_t opset_;
  const OnnxImportOptions& options_;
  NetDef* predict_;
  std::set<std::string> names_;
  std::map<std::string, int> ranks_;
  std::map<std::string, Tensor> constants_;
  std::vector<std::string> constant_order_;
  int64_t next_fresh_ = 0;
};

// Argument helpers.
void AddFloatArg(OperatorDef* op, const std::string& name, float value);
void AddIntArg(OperatorDef* op, const std::string& name, int64_t value);

// Converts one node into `ctx`'s predict net. The caller has checked the
// node's domain and that every input is defined. Unimplemented for an
// op_type without a converter.
absl::Status ConvertNode(const onnx::NodeProto& node, ImportContext& ctx);

// Gemm (gemm_node.cc): to FC, folding alpha, beta and transB into constant
// weights where they are not FC's.
absl::Status ConvertGemm(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx);

// The op_types ConvertNode maps, with the first opset of each that the
// import handles (docs/ONNX.md lists them).
struct SupportedOnnxOp {
  const char* op_type;
  int64_t since;
};
const std::vector<SupportedOnnxOp>& SupportedOnnxOps();

}  // namespace onnx_import
}  // namespace opgraph

#endif  // OPGRAPH_ONNX_IMPORT_IMPORT_CONTEXT_H_
