#include "core/tensor_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "core/tensor_io_internal.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/text_format.h"

// Raw data in both formats is little-endian; copying it with memcpy is only
// right on a little-endian host, which is all opgraph targets.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "opgraph assumes a little-endian host");

namespace opgraph {
namespace {

// ---------------------------------------------------------------------------
// TensorProto
// ---------------------------------------------------------------------------

std::string ProtoTypeName(int data_type) {
  if (TensorProto_DataType_IsValid(data_type)) {
    return TensorProto_DataType_Name(static_cast<TensorProto_DataType>(data_type));
  }
  return absl::StrCat("<unknown ", data_type, ">");
}

// One of the value-carrying fields of a TensorProto, as found in a message.
struct ValueField {
  const char* name;
  bool is_bytes;  // raw_data / byte_data: a byte string, not repeated values
  size_t size;    // values, or bytes when is_bytes
};

std::vector<ValueField> PresentValueFields(const TensorProto& p) {
  std::vector<ValueField> fields;
  if (p.float_data_size() > 0) fields.push_back({"float_data", false, size_t(p.float_data_size())});
  if (p.double_data_size() > 0)
    fields.push_back({"double_data", false, size_t(p.double_data_size())});
  if (p.int32_data_size() > 0) fields.push_back({"int32_data", false, size_t(p.int32_data_size())});
  if (p.int64_data_size() > 0) fields.push_back({"int64_data", false, size_t(p.int64_data_size())});
  if (p.string_data_size() > 0)
    fields.push_back({"string_data", false, size_t(p.string_data_size())});
  if (p.has_byte_data()) fields.push_back({"byte_data", true, p.byte_data().size()});
  if (p.has_raw_data()) fields.push_back({"raw_data", true, p.raw_data().size()});
  return fields;
}

// The fields that may carry values of `dtype` (Caffe2's conventions; see
// the header).
std::vector<std::string> AllowedValueFields(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return {"float_data", "raw_data"};
    case DType::kFloat64:
      return {"double_data", "raw_data"};
    case DType::kInt32:
      return {"int32_data", "raw_data"};
    case DType::kInt64:
      return {"int64_data", "byte_data", "raw_data"};
    case DType::kBool:
    case DType::kUint8:
      return {"int32_data", "byte_data", "raw_data"};
    case DType::kString:
      return {"string_data"};
    case DType::kUndefined:
      break;
  }
  return {};
}

}  // namespace

namespace internal {

absl::Status CheckByteValues(const uint8_t* p, size_t n, DType dtype, const std::string& label) {
  if (dtype != DType::kBool) return absl::OkStatus();
  for (size_t i = 0; i < n; ++i) {
    if (p[i] > 1) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": bool element ", i, " is the byte ",
                                                     int{p[i]}, "; only 0 and 1 are valid"));
    }
  }
  return absl::OkStatus();
}

}  // namespace internal

namespace {

absl::Status Invalid(const std::string& label, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(label, ": ", what));
}

// The dtype of `p`, refusing unknown and unsupported data types and segments.
absl::StatusOr<DType> ProtoDType(const TensorProto& p, const std::string& label) {
  // An enum value this proto does not know lands in the unknown fields and
  // leaves data_type at its default (FLOAT); treating it as FLOAT would be
  // silently wrong.
  const auto& unknown = p.GetReflection()->GetUnknownFields(p);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (unknown.field(i).number() == TensorProto::kDataTypeFieldNumber) {
      return Invalid(label, absl::StrCat("data_type ", unknown.field(i).varint(),
                                         " is not a TensorProto.DataType value"));
    }
  }
  absl::StatusOr<DType> dtype = DTypeFromProto(p.data_type());
  if (!dtype.ok()) {
    return Invalid(label,
                   absl::StrCat("unsupported data_type ", ProtoTypeName(p.data_type()),
                                " (supported: FLOAT, DOUBLE, INT32, INT64, BOOL, UINT8, STRING)"));
  }
  if (p.has_segment()) {
    return Invalid(label, "segment (a chunk of a larger tensor) is not supported");
  }
  return *dtype;
}

// The one value field of `p` (nullptr when none), checked against the dtype
// and against `numel`.
absl::StatusOr<const ValueField*> CheckValueField(const TensorProto& p,
                                                  const std::vector<ValueField>& fields,
                                                  DType dtype, int64_t numel,
                                                  const std::string& label) {
  if (fields.size() > 1) {
    return Invalid(label, absl::StrCat("values are given in both ", fields[0].name, " and ",
                                       fields[1].name, "; use one field"));
  }
  const ValueField* field = fields.empty() ? nullptr : &fields[0];
  const std::string type_name = ProtoTypeName(p.data_type());
  if (field != nullptr) {
    const std::vector<std::string> allowed = AllowedValueFields(dtype);
    bool ok = false;
    for (const std::string& a : allowed) ok = ok || a == field->name;
    if (!ok) {
      return Invalid(label, absl::StrCat("data_type ", type_name, " carries its values in ",
                                         absl::StrJoin(allowed, " or "), ", not in ", field->name));
    }
  }
  const size_t elem = DTypeSize(dtype);
  size_t count = 0;
  if (field != nullptr && field->is_bytes) {
    if (field->size % elem != 0) {
      return Invalid(
          label, absl::StrCat(field->name, " has ", field->size, " bytes, not a multiple of ", elem,
                              " (the size of one ", type_name, " element)"));
    }
    count = field->size / elem;
  } else if (field != nullptr) {
    count = field->size;
  }
  if (count != static_cast<size_t>(numel)) {
    return Invalid(
        label, absl::StrCat("dims ", DimsToString(p.dims()), " hold ", numel, " elements but ",
                            field == nullptr ? "no value field" : field->name, " carries ", count,
                            " values"));
  }
  return field;
}

// Copies the values of the typed field (not bytes) of `p` into `t`.
absl::Status CopyTypedValues(const TensorProto& p, const std::string& label, Tensor* t) {
  const DType dtype = t->dtype();
  const size_t count = static_cast<size_t>(t->numel());
  if (dtype == DType::kString) {
    std::string* dst = t->mutable_data<std::string>();
    for (size_t i = 0; i < count; ++i) dst[i] = p.string_data(static_cast<int>(i));
    return absl::OkStatus();
  }
  const size_t bytes = count * DTypeSize(dtype);
  void* out = t->raw_mutable_data();
  switch (dtype) {
    case DType::kFloat32:
      std::memcpy(out, p.float_data().data(), bytes);
      break;
    case DType::kFloat64:
      std::memcpy(out, p.double_data().data(), bytes);
      break;
    case DType::kInt32:
      std::memcpy(out, p.int32_data().data(), bytes);
      break;
    case DType::kInt64:
      std::memcpy(out, p.int64_data().data(), bytes);
      break;
    case DType::kBool:
    case DType::kUint8: {
      const int32_t max = dtype == DType::kBool ? 1 : 255;
      uint8_t* dst = static_cast<uint8_t*>(out);
      for (size_t i = 0; i < count; ++i) {
        const int32_t v = p.int32_data(static_cast<int>(i));
        if (v < 0 || v > max) {
          return Invalid(label, absl::StrCat(ProtoTypeName(p.data_type()), " element ", i, " is ",
                                             v, " in int32_data; ",
                                             dtype == DType::kBool ? "only 0 and 1 are valid"
                                                                   : "valid values are 0..255"));
        }
        dst[i] = static_cast<uint8_t>(v);
      }
      break;
    }
    case DType::kString:  // copied above
    case DType::kUndefined:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Tensor> TensorFromProto(const TensorProto& p, const TensorLimits& limits) {
  const std::string label =
      p.name().empty() ? std::string("unnamed tensor") : absl::StrCat("tensor '", p.name(), "'");
  OPGRAPH_ASSIGN_OR_RETURN(const DType dtype, ProtoDType(p, label));
  const std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  absl::StatusOr<int64_t> numel = CheckedNumElements(dims, dtype, limits);
  if (!numel.ok()) {
    return absl::Status(numel.status().code(),
                        absl::StrCat(label, ": dims: ", numel.status().message()));
  }
  const std::vector<ValueField> fields = PresentValueFields(p);
  OPGRAPH_ASSIGN_OR_RETURN(const ValueField* field,
                           CheckValueField(p, fields, dtype, *numel, label));
  if (dtype == DType::kString) {
    // The element array and the strings' bytes count together against
    // the allocation limit.
    uint64_t bytes = static_cast<uint64_t>(*numel) * DTypeSize(dtype);
    for (const std::string& v : p.string_data()) bytes += v.size();
    if (bytes > static_cast<uint64_t>(limits.max_bytes)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          label, ": ", *numel, " strings need ", bytes, " bytes, over the allocation limit of ",
          limits.max_bytes, " bytes (TensorLimits::max_bytes)"));
    }
  }
  Tensor t;
  OPGRAPH_RETURN_IF_ERROR(t.Resize(dtype, dims, limits));
  if (*numel == 0) return t;
  if (field->is_bytes) {
    const std::string& bytes =
        field->name == std::string("raw_data") ? p.raw_data() : p.byte_data();
    OPGRAPH_RETURN_IF_ERROR(internal::CheckByteValues(
        reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), dtype, label));
    std::memcpy(t.raw_mutable_data(), bytes.data(), bytes.size());
    return t;
  }
  OPGRAPH_RETURN_IF_ERROR(CopyTypedValues(p, label, &t));
  return t;
}

TensorProto TensorToProto(const Tensor& t, const std::string& name) {
  CHECK(t.initialized()) << "TensorToProto of an uninitialized tensor";
  TensorProto p;
  p.set_name(name);
  p.set_data_type(static_cast<TensorProto_DataType>(t.dtype()));
  for (int64_t d : t.dims()) p.add_dims(d);
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::kFloat32:
      p.mutable_float_data()->Add(t.data<float>(), t.data<float>() + n);
      break;
    case DType::kFloat64:
      p.mutable_double_data()->Add(t.data<double>(), t.data<double>() + n);
      break;
    case DType::kInt32:
      p.mutable_int32_data()->Add(t.data<int32_t>(), t.data<int32_t>() + n);
      break;
    case DType::kInt64:
      p.mutable_int64_data()->Add(t.data<int64_t>(), t.data<int64_t>() + n);
      break;
    case DType::kBool:
    case DType::kUint8: {
      const uint8_t* v = static_cast<const uint8_t*>(t.raw_data());
      p.mutable_int32_data()->Reserve(static_cast<int>(n));
      for (int64_t i = 0; i < n; ++i) p.add_int32_data(v[i]);
      break;
    }
    case DType::kString: {
      const std::string* v = t.data<std::string>();
      p.mutable_string_data()->Reserve(static_cast<int>(n));
      for (int64_t i = 0; i < n; ++i) p.add_string_data(v[i]);
      break;
    }
    case DType::kUndefined:
      break;
  }
  return p;
}

namespace {

// Parses `bytes` as `msg`, binary or (text_only) text, and says whether
// every field was declared.
bool ParsesCleanly(const std::string& bytes, bool text_only, google::protobuf::Message* msg) {
  msg->Clear();
  const bool parsed = text_only ? google::protobuf::TextFormat::ParseFromString(bytes, msg)
                                : msg->ParseFromString(bytes);
  return parsed && UnknownFields(*msg).empty();
}

absl::StatusOr<NamedTensor> FromProto(const TensorProto& proto, std::string name,
                                      const std::string& path, const TensorLimits& limits) {
  absl::StatusOr<Tensor> t = TensorFromProto(proto, limits);
  if (!t.ok()) {
    return absl::Status(t.status().code(),
                        absl::StrCat(path, name.empty() ? "" : absl::StrCat(" tensor '", name, "'"),
                                     ": ", t.status().message()));
  }
  return NamedTensor{std::move(name), *std::move(t)};
}

}  // namespace

absl::StatusOr<std::vector<NamedTensor>> ReadTensorsFile(const std::string& path,
                                                         const ProtoLimits& proto_limits,
                                                         const TensorLimits& tensor_limits) {
  std::vector<NamedTensor> out;
  if (IsNpyPath(path)) {
    OPGRAPH_ASSIGN_OR_RETURN(Tensor t, ReadNpy(path, tensor_limits));
    out.push_back(NamedTensor{"", std::move(t)});
    return out;
  }
  OPGRAPH_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path, proto_limits));
  const bool text_only = IsTextProtoPath(path);
  // A text TensorProto is read first: its field names are unambiguous, and
  // it is what opgraph itself writes.
  if (text_only) {
    TensorProto single;
    if (ParsesCleanly(bytes, true, &single)) {
      OPGRAPH_ASSIGN_OR_RETURN(NamedTensor t,
                               FromProto(single, single.name(), path, tensor_limits));
      out.push_back(std::move(t));
      return out;
    }
  }
  BlobProto blob;
  // Caffe2 always writes the type ("Tensor" for a tensor); requiring it
  // keeps a TensorProto (whose field 2 is a number) from reading as a blob.
  if (ParsesCleanly(bytes, text_only, &blob) && blob.has_type()) {
    if (blob.type() != "Tensor" || !blob.has_tensor()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a BlobProto of type '", blob.type(),
                       "', not a tensor; opgraph reads tensor blobs only"));
    }
    std::string name = blob.name().empty() ? blob.tensor().name() : blob.name();
    OPGRAPH_ASSIGN_OR_RETURN(NamedTensor t,
                             FromProto(blob.tensor(), std::move(name), path, tensor_limits));
    out.push_back(std::move(t));
    return out;
  }
  TensorProtos many;
  if (ParsesCleanly(bytes, text_only, &many) && many.protos_size() > 0) {
    for (int i = 0; i < many.protos_size(); ++i) {
      const TensorProto& p = many.protos(i);
      if (p.name().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": TensorProtos entry ", i, " has no name, so it cannot be fed to a blob"));
      }
      for (const NamedTensor& seen : out) {
        if (seen.name == p.name()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": TensorProtos names tensor '", p.name(), "' more than once"));
        }
      }
      OPGRAPH_ASSIGN_OR_RETURN(NamedTensor t, FromProto(p, p.name(), path, tensor_limits));
      out.push_back(std::move(t));
    }
    return out;
  }
  // Otherwise a TensorProto, with the parser's own errors.
  TensorProto proto;
  OPGRAPH_RETURN_IF_ERROR(ParseProto(bytes, path, text_only, &proto, proto_limits));
  std::string().swap(bytes);
  OPGRAPH_ASSIGN_OR_RETURN(NamedTensor t, FromProto(proto, proto.name(), path, tensor_limits));
  out.push_back(std::move(t));
  return out;
}

absl::StatusOr<Tensor> ReadTensorFile(const std::string& path, const ProtoLimits& proto_limits,
                                      const TensorLimits& tensor_limits) {
  OPGRAPH_ASSIGN_OR_RETURN(std::vector<NamedTensor> all,
                           ReadTensorsFile(path, proto_limits, tensor_limits));
  if (all.size() != 1) {
    std::vector<std::string> names;
    for (const NamedTensor& t : all) names.push_back(t.name);
    return absl::InvalidArgumentError(absl::StrCat(path, ": holds ", all.size(), " tensors (",
                                                   absl::StrJoin(names, ", "), "); expected one"));
  }
  return std::move(all[0].tensor);
}

bool IsNpyPath(const std::string& path) { return absl::EndsWithIgnoreCase(path, ".npy"); }

absl::StatusOr<int64_t> TensorProtoByteSize(const Tensor& t, const std::string& name) {
  using google::protobuf::io::CodedOutputStream;
  // Everything but the values, sized by protobuf itself.
  TensorProto head;
  head.set_name(name);
  head.set_data_type(static_cast<TensorProto_DataType>(t.dtype()));
  for (int64_t d : t.dims()) head.add_dims(d);
  int64_t size = static_cast<int64_t>(head.ByteSizeLong());
  // The values, in one packed field whose tag takes one byte: fixed width
  // for floats, varints otherwise (read from the values; linear in the
  // tensor).
  const int64_t n = t.numel();
  int64_t values = 0;
  switch (t.dtype()) {
    case DType::kFloat32:
      values = 4 * n;
      break;
    case DType::kFloat64:
      values = 8 * n;
      break;
    case DType::kInt32: {
      const int32_t* v = t.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) values += CodedOutputStream::VarintSize32SignExtended(v[i]);
      break;
    }
    case DType::kInt64: {
      const int64_t* v = t.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) values += CodedOutputStream::VarintSize64(uint64_t(v[i]));
      break;
    }
    case DType::kBool:
    case DType::kUint8: {
      const uint8_t* v = static_cast<const uint8_t*>(t.raw_data());
      for (int64_t i = 0; i < n; ++i) values += v[i] < 128 ? 1 : 2;
      break;
    }
    case DType::kString: {
      // Not packed: each string is its own field (one tag byte, its
      // length as a varint, its bytes).
      const std::string* v = t.data<std::string>();
      for (int64_t i = 0; i < n; ++i) {
        size +=
            1 + CodedOutputStream::VarintSize64(v[i].size()) + static_cast<int64_t>(v[i].size());
      }
      return size;
    }
    case DType::kUndefined:
      break;
  }
  if (n > 0) size += 1 + CodedOutputStream::VarintSize64(uint64_t(values)) + values;
  return size;
}

absl::Status CheckFitsTensorProto(const Tensor& t, const std::string& name) {
  constexpr int64_t kMaxMessageBytes = std::numeric_limits<int32_t>::max();
  // More elements than a repeated field can hold cannot fit either; this
  // also keeps the size sums above far from overflow.
  if (t.numel() <= kMaxMessageBytes) {
    OPGRAPH_ASSIGN_OR_RETURN(const int64_t bytes, TensorProtoByteSize(t, name));
    if (bytes <= kMaxMessageBytes) return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "tensor '", name, "' (", DTypeName(t.dtype()), DimsToString(t.dims()), ", ", t.nbytes(),
      " bytes) does not fit in a TensorProto: protobuf messages are limited to 2 GiB; "
      "write it as .npy instead"));
}

absl::StatusOr<std::string> SerializeTensorFile(const std::string& path, const Tensor& tensor,
                                                const std::string& name) {
  if (IsNpyPath(path)) {
    if (tensor.dtype() == DType::kString)
      return internal::NpyRefusesStrings(absl::StrCat(path, " (tensor '", name, "')"));
    return SerializeNpy(tensor);
  }
  absl::Status fits = CheckFitsTensorProto(tensor, name);
  if (!fits.ok()) return absl::Status(fits.code(), absl::StrCat(path, ": ", fits.message()));
  return SerializeProtoFile(path, TensorToProto(tensor, name));
}

absl::Status WriteTensorFile(const std::string& path, const Tensor& tensor,
                             const std::string& name) {
  OPGRAPH_ASSIGN_OR_RETURN(const std::string bytes, SerializeTensorFile(path, tensor, name));
  return WriteStringToFile(path, bytes);
}

}  // namespace opgraph
