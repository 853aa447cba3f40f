#include "ops/export_init_net.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace opgraph {
namespace {

Argument* AddArg(OperatorDef* op, const char* name) {
  Argument* a = op->add_arg();
  a->set_name(name);
  return a;
}

template <typename T>
void CopyFloats(const Tensor& t, Argument* values) {
  const T* p = t.data<T>();
  values->mutable_floats()->Reserve(static_cast<int>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) values->add_floats(static_cast<float>(p[i]));
}

template <typename T>
void CopyInts(const Tensor& t, Argument* values) {
  const T* p = t.data<T>();
  values->mutable_ints()->Reserve(static_cast<int>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) values->add_ints(static_cast<int64_t>(p[i]));
}

}  // namespace

absl::StatusOr<OperatorDef> GivenTensorFillDef(const Tensor& tensor, const std::string& blob) {
  if (!tensor.initialized()) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob '", blob, "' holds no tensor (never written)"));
  }
  OperatorDef op;
  op.add_output(blob);
  Argument* shape = AddArg(&op, "shape");
  for (int64_t d : tensor.dims()) shape->add_ints(d);
  Argument* values = AddArg(&op, "values");
  switch (tensor.dtype()) {
    case DType::kFloat32:
      op.set_type("GivenTensorFill");
      CopyFloats<float>(tensor, values);
      break;
    case DType::kFloat64:
      op.set_type("GivenTensorDoubleFill");
      CopyFloats<double>(tensor, values);
      break;
    case DType::kInt32:
      op.set_type("GivenTensorIntFill");
      CopyInts<int32_t>(tensor, values);
      break;
    case DType::kInt64:
      op.set_type("GivenTensorInt64Fill");
      CopyInts<int64_t>(tensor, values);
      break;
    case DType::kBool:
      op.set_type("GivenTensorBoolFill");
      CopyInts<bool>(tensor, values);
      break;
    case DType::kUint8: {
      // mobile_exporter's encoding: one string holding the bytes.
      op.set_type("GivenTensorByteStringToUInt8Fill");
      const char* p = reinterpret_cast<const char*>(tensor.data<uint8_t>());
      values->add_strings(std::string(p, p + tensor.numel()));
      break;
    }
    case DType::kString: {
      op.set_type("GivenTensorStringFill");
      const std::string* p = tensor.data<std::string>();
      values->mutable_strings()->Reserve(static_cast<int>(tensor.numel()));
      for (int64_t i = 0; i < tensor.numel(); ++i) values->add_strings(p[i]);
      break;
    }
    case DType::kUndefined:
      return absl::InvalidArgumentError(absl::StrCat("blob '", blob, "' holds no tensor"));
  }
  return op;
}

absl::StatusOr<NetDef> ExportInitNet(const Workspace& ws, const std::vector<std::string>& blobs,
                                     const std::string& net_name) {
  if (blobs.empty()) return absl::InvalidArgumentError("no blobs to export");
  NetDef net;
  net.set_name(net_name);
  std::set<std::string> seen;
  for (const std::string& name : blobs) {
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("blob '", name, "' is named twice"));
    }
    const Tensor* t = ws.GetBlob(name);
    if (t == nullptr) {
      return absl::NotFoundError(absl::StrCat("no blob '", name, "' in the workspace"));
    }
    if (!t->initialized()) {
      return absl::FailedPreconditionError(
          absl::StrCat("blob '", name, "' was created but never written"));
    }
    absl::StatusOr<OperatorDef> op = GivenTensorFillDef(*t, name);
    if (!op.ok()) return op.status();
    *net.add_op() = *std::move(op);
    net.add_external_output(name);
  }
  return net;
}

}  // namespace opgraph
