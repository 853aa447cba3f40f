#include "onnx_import/import_context.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace opgraph {
namespace onnx_import {
namespace {

using onnx::AttributeProto;
using onnx::TensorProto;

const char* OnnxTypeName(int32_t t) {
  switch (t) {
    case TensorProto::FLOAT:
      return "FLOAT";
    case TensorProto::UINT8:
      return "UINT8";
    case TensorProto::INT8:
      return "INT8";
    case TensorProto::UINT16:
      return "UINT16";
    case TensorProto::INT16:
      return "INT16";
    case TensorProto::INT32:
      return "INT32";
    case TensorProto::INT64:
      return "INT64";
    case TensorProto::STRING:
      return "STRING";
    case TensorProto::BOOL:
      return "BOOL";
    case TensorProto::FLOAT16:
      return "FLOAT16";
    case TensorProto::DOUBLE:
      return "DOUBLE";
    case TensorProto::UINT32:
      return "UINT32";
    case TensorProto::UINT64:
      return "UINT64";
    case TensorProto::COMPLEX64:
      return "COMPLEX64";
    case TensorProto::COMPLEX128:
      return "COMPLEX128";
    case TensorProto::BFLOAT16:
      return "BFLOAT16";
    default:
      return "UNDEFINED";
  }
}

std::string TensorLabel(const TensorProto& proto) {
  return proto.name().empty() ? std::string("tensor") : absl::StrCat("tensor '", proto.name(), "'");
}

absl::Status CountMismatch(const TensorProto& proto, const char* field, int64_t have,
                           int64_t want) {
  return absl::InvalidArgumentError(absl::StrCat(TensorLabel(proto), ": ", field, " holds ", have,
                                                 " values but dims ", DimsToString(proto.dims()),
                                                 " need ", want));
}

// Copies `n` values of T from the typed field `src` (of element type S),
// refusing values T cannot hold.
template <typename T, typename Field>
absl::Status CopyTyped(const TensorProto& proto, const char* field_name, const Field& src,
                       int64_t n, Tensor* out) {
  if (static_cast<int64_t>(src.size()) != n) {
    return CountMismatch(proto, field_name, src.size(), n);
  }
  T* dst = out->mutable_data<T>();
  for (int64_t i = 0; i < n; ++i) {
    const auto v = src.Get(static_cast<int>(i));
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
        return absl::InvalidArgumentError(absl::StrCat(TensorLabel(proto), ": value ", v, " at ", i,
                                                       " of ", field_name, " does not fit ",
                                                       DTypeName(out->dtype())));
      }
    }
    dst[i] = static_cast<T>(v);
  }
  return absl::OkStatus();
}

}  // namespace

DType DTypeFromOnnx(int32_t onnx_type) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return DType::kFloat32;
    case TensorProto::DOUBLE:
      return DType::kFloat64;
    case TensorProto::INT32:
      return DType::kInt32;
    case TensorProto::INT64:
      return DType::kInt64;
    case TensorProto::BOOL:
      return DType::kBool;
    case TensorProto::UINT8:
      return DType::kUint8;
    default:
      return DType::kUndefined;
  }
}

absl::StatusOr<Tensor> TensorFromOnnx(const TensorProto& proto, const TensorLimits& limits) {
  const DType dtype = DTypeFromOnnx(proto.data_type());
  if (dtype == DType::kUndefined) {
    return absl::UnimplementedError(absl::StrCat(
        TensorLabel(proto), ": data type ", OnnxTypeName(proto.data_type()), " (",
        proto.data_type(), ") is not supported (float, double, int32, int64, bool, uint8 are)"));
  }
  if (proto.data_location() == TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    return absl::UnimplementedError(
        absl::StrCat(TensorLabel(proto), ": external data is not supported"));
  }
  if (proto.has_segment()) {
    return absl::UnimplementedError(
        absl::StrCat(TensorLabel(proto), ": segmented tensors are not supported"));
  }
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  absl::StatusOr<int64_t> n = CheckedNumElements(dims, dtype, limits);
  if (!n.ok())
    return absl::Status(n.status().code(),
                        absl::StrCat(TensorLabel(proto), ": ", n.status().message()));
  Tensor t;
  OPGRAPH_RETURN_IF_ERROR(t.Resize(dtype, dims, limits));
  if (proto.has_raw_data()) {
    const int64_t want = *n * static_cast<int64_t>(DTypeSize(dtype));
    if (static_cast<int64_t>(proto.raw_data().size()) != want) {
      return absl::InvalidArgumentError(absl::StrCat(
          TensorLabel(proto), ": raw_data holds ", proto.raw_data().size(), " bytes but dims ",
          DimsToString(dims), " of ", DTypeName(dtype), " need ", want));
    }
    // ONNX raw data is little-endian, as is every target opgraph builds for.
    if (want > 0) std::memcpy(t.raw_mutable_data(), proto.raw_data().data(), want);
    if (dtype == DType::kBool) {
      uint8_t* b = static_cast<uint8_t*>(t.raw_mutable_data());
      for (int64_t i = 0; i < *n; ++i) {
        if (b[i] > 1) {
          return absl::InvalidArgumentError(absl::StrCat(TensorLabel(proto), ": raw_data byte ", i,
                                                         " is ", static_cast<int>(b[i]),
                                                         ", not a bool (0 or 1)"));
        }
      }
    }
    return t;
  }
  switch (dtype) {
    case DType::kFloat32:
      OPGRAPH_RETURN_IF_ERROR(CopyTyped<float>(proto, "float_data", proto.float_data(), *n, &t));
      break;
    case DType::kFloat64:
      OPGRAPH_RETURN_IF_ERROR(CopyTyped<double>(proto, "double_data", proto.double_data(), *n, &t));
      break;
    case DType::kInt32:
      OPGRAPH_RETURN_IF_ERROR(CopyTyped<int32_t>(proto, "int32_data", proto.int32_data(), *n, &t));
      break;
    case DType::kInt64:
      OPGRAPH_RETURN_IF_ERROR(CopyTyped<int64_t>(proto, "int64_data", proto.int64_data(), *n, &t));
      break;
    case DType::kUint8:
      OPGRAPH_RETURN_IF_ERROR(CopyTyped<uint8_t>(proto, "int32_data", proto.int32_data(), *n, &t));
      break;
    case DType::kBool: {
      if (proto.int32_data_size() != *n) {
        return CountMismatch(proto, "int32_data", proto.int32_data_size(), *n);
      }
      bool* dst = t.mutable_data<bool>();
      for (int64_t i = 0; i < *n; ++i) {
        const int32_t v = proto.int32_data(static_cast<int>(i));
        if (v != 0 && v != 1) {
          return absl::InvalidArgumentError(absl::StrCat(TensorLabel(proto), ": int32_data value ",
                                                         v, " at ", i, " is not a bool (0 or 1)"));
        }
        dst[i] = v != 0;
      }
      break;
    }
    default:
      break;
  }
  return t;
}

NodeAttrs::NodeAttrs(const onnx::NodeProto& node) {
  for (const AttributeProto& a : node.attribute()) attrs_[a.name()] = &a;
}

bool NodeAttrs::Has(const std::string& name) const { return attrs_.count(name) > 0; }

absl::StatusOr<const AttributeProto*> NodeAttrs::Get(const std::string& name,
                                                     AttributeProto::AttributeType type) {
  auto it = attrs_.find(name);
  if (it == attrs_.end()) return nullptr;
  used_.insert(name);
  const AttributeProto* a = it->second;
  if (a->type() != type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attribute '", name, "' has type ", AttributeProto::AttributeType_Name(a->type()),
        ", expected ", AttributeProto::AttributeType_Name(type)));
  }
  return a;
}

absl::StatusOr<float> NodeAttrs::Float(const std::string& name, float default_value) {
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* a, Get(name, AttributeProto::FLOAT));
  return a == nullptr ? default_value : a->f();
}

absl::StatusOr<int64_t> NodeAttrs::Int(const std::string& name, int64_t default_value) {
  OPGRAPH_ASSIGN_OR_RETURN(const AttributeProto* a, Get(name, AttributeProto::INT));
  return a == nullptr ? default_value : a->i();
}

absl::Status NodeAttrs::CheckAllUsed() const {
  for (const auto& [name, attr] : attrs_) {
    if (used_.count(name) == 0) {
      return absl::UnimplementedError(absl::StrCat("attribute '", name, "' is not supported"));
    }
  }
  return absl::OkStatus();
}

ImportContext::ImportContext(int64_t opset, const OnnxImportOptions& options, NetDef* predict)
    : opset_(opset), options_(options), predict_(predict) {}

std::string ImportContext::FreshName(const std::string& base) {
  for (;;) {
    std::string name = absl::StrCat(base, "__onnx", next_fresh_++);
    if (names_.insert(name).second) return name;
  }
}

void ImportContext::Define(const std::string& name, int rank) {
  ranks_[name] = rank;
  names_.insert(name);
}

int ImportContext::Rank(const std::string& name) const {
  auto it = ranks_.find(name);
  return it == ranks_.end() ? -1 : it->second;
}

absl::Status ImportContext::AddConstant(const std::string& name, Tensor value) {
  Define(name, value.ndim());
  auto it = constants_.find(name);
  if (it == constants_.end()) constant_order_.push_back(name);
  constants_[name] = std::move(value);
  return absl::OkStatus();
}

const Tensor* ImportContext::Constant(const std::string& name) const {
  auto it = constants_.find(name);
  return it == constants_.end() ? nullptr : &it->second;
}

OperatorDef* ImportContext::AddOp(const std::string& type, const std::vector<std::string>& inputs,
                                  const std::vector<std::string>& outputs, const std::string& name,
                                  int rank) {
  OperatorDef* op = predict_->add_op();
  op->set_type(type);
  if (!name.empty()) op->set_name(name);
  for (const std::string& in : inputs) op->add_input(in);
  for (const std::string& out : outputs) {
    op->add_output(out);
    Define(out, rank);
  }
  return op;
}

void AddFloatArg(OperatorDef* op, const std::string& name, float value) {
  Argument* a = op->add_arg();
  a->set_name(name);
  a->set_f(value);
}

void AddIntArg(OperatorDef* op, const std::string& name, int64_t value) {
  Argument* a = op->add_arg();
  a->set_name(name);
  a->set_i(value);
}

}  // namespace onnx_import
}  // namespace opgraph
