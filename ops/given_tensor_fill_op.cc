// GivenTensor*Fill: a tensor whose values are given as arguments, as
// Caffe2's predictor exporters write initial weights.
//
//   GivenTensorFill                   values: floats -> float32
//   GivenTensorDoubleFill             values: floats -> float64 (Caffe2 also
//                                     reads the float field, so values are
//                                     float-precise)
//   GivenTensorIntFill                values: ints   -> int32 (each within int32)
//   GivenTensorInt64Fill              values: ints   -> int64
//   GivenTensorBoolFill               values: ints   -> bool (each 0 or 1)
//   GivenTensorByteStringToUInt8Fill  values: one string of bytes -> uint8
//                                     (mobile_exporter's encoding of a uint8
//                                     array; `dtype`, if given, is STRING)
//   GivenTensorStringFill             values: strings -> string (DType::
//                                     kString; `dtype` is ignored, as in
//                                     Caffe2)
//
// The shape comes from `shape`, input 0, or input 0's values
// (input_as_shape), followed by `extra_shape` (ops/fill_util.h); its element
// count must equal the number of values. `dtype`, as in Caffe2, overrides
// the numeric operators' element type (FLOAT, DOUBLE, INT32, INT64 or BOOL), and
// the values are then read from the field of that type (floats for FLOAT
// and DOUBLE, ints for the others). Every check runs when the net is
// created.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/fill_util.h"

namespace opgraph {
namespace {

bool IsFloatType(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

// Checks one given int value for the element type `t`: InvalidArgument
// naming its index when it does not fit.
absl::Status CheckIntValue(DType t, int64_t v, int index) {
  if (t == DType::kInt32 &&
      (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'values'[", index, "] = ", v, " does not fit in int32"));
  }
  if (t == DType::kBool && v != 0 && v != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'values'[", index, "] = ", v, " is not a bool (0 or 1)"));
  }
  return absl::OkStatus();
}

// The element type: `dtype` when given, else the operator's own.
absl::StatusOr<DType> GivenType(const OperatorDef& def, DType own) {
  const Argument* dtype = FindArgument(def, "dtype");
  if (dtype == nullptr) return own;
  absl::StatusOr<DType> t = DTypeArgument(*dtype);
  if (!t.ok()) return t.status();
  if (*t == DType::kUint8) {
    return absl::InvalidArgumentError(
        "argument 'dtype' gives uint8, which GivenTensor*Fill does not make (Caffe2 neither); "
        "use GivenTensorByteStringToUInt8Fill");
  }
  return t;
}

// Checks the shape source, the values and their count; returns the
// output type.
absl::StatusOr<TensorType> CheckGivenFill(DType own, const OperatorDef& def,
                                          absl::Span<const TensorType> inputs,
                                          absl::Span<const Tensor* const> values) {
  TensorType out;
  absl::StatusOr<DType> t = GivenType(def, own);
  if (!t.ok()) return t.status();
  out.dtype = *t;
  absl::StatusOr<std::vector<int64_t>> dims = FillDims(def, inputs, values);
  if (!dims.ok()) return dims.status();
  out.dims = *std::move(dims);
  absl::StatusOr<int64_t> n = CheckedNumElements(out.dims, out.dtype);
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat("argument 'shape' ", DimsToString(out.dims),
                                                        ": ", n.status().message()));
  }
  const Argument* given = FindArgument(def, "values");
  // Verify has already required it; this keeps a direct caller safe.
  if (given == nullptr) return absl::InvalidArgumentError("argument 'values' is required");
  int64_t count = 0;
  if (IsFloatType(out.dtype)) {
    if (given->ints_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat("argument 'values' must be floats for ",
                                                     DTypeName(out.dtype), ", got ints"));
    }
    count = given->floats_size();
  } else {
    if (given->floats_size() > 0) {
      return absl::InvalidArgumentError(absl::StrCat("argument 'values' must be ints for ",
                                                     DTypeName(out.dtype), ", got floats"));
    }
    for (int i = 0; i < given->ints_size(); ++i) {
      absl::Status s = CheckIntValue(out.dtype, given->ints(i), i);
      if (!s.ok()) return s;
    }
    count = given->ints_size();
  }
  if (count != *n) {
    return absl::InvalidArgumentError(absl::StrCat("the output shape ", DimsToString(out.dims),
                                                   " (argument 'shape') holds ", *n,
                                                   " elements but argument 'values' has ", count));
  }
  return out;
}

template <DType kOwn>
absl::StatusOr<std::vector<TensorType>> InferGiven(const OperatorDef& def,
                                                   absl::Span<const TensorType> inputs,
                                                   absl::Span<const Tensor* const> values) {
  absl::StatusOr<TensorType> t = CheckGivenFill(kOwn, def, inputs, values);
  if (!t.ok()) return t.status();
  return std::vector<TensorType>{*t};
}

class GivenTensorFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    const Argument* given = FindArgument(def(), "values");
    floats_.assign(given->floats().begin(), given->floats().end());
    ints_.assign(given->ints().begin(), given->ints().end());
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchDType<float, double, int32_t, int64_t, bool>(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = Output(0)->template mutable_data<T>();
      if constexpr (std::is_floating_point_v<T>) {
        for (size_t i = 0; i < floats_.size(); ++i) out[i] = static_cast<T>(floats_[i]);
      } else {
        for (size_t i = 0; i < ints_.size(); ++i) out[i] = static_cast<T>(ints_[i]);
      }
      return absl::OkStatus();
    });
  }

 private:
  DType dtype_ = DType::kUndefined;
  std::vector<float> floats_;  // checked in inference
  std::vector<int64_t> ints_;
};

absl::StatusOr<std::vector<TensorType>> InferByteString(const OperatorDef& def,
                                                        absl::Span<const TensorType> inputs,
                                                        absl::Span<const Tensor* const> values) {
  if (const Argument* dtype = FindArgument(def, "dtype")) {
    if (dtype->i() != TensorProto::STRING) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'dtype' is ", dtype->i(),
                       "; GivenTensorByteStringToUInt8Fill takes only STRING (4), as in Caffe2"));
    }
  }
  TensorType out;
  out.dtype = DType::kUint8;
  absl::StatusOr<std::vector<int64_t>> dims = FillDims(def, inputs, values);
  if (!dims.ok()) return dims.status();
  out.dims = *std::move(dims);
  absl::StatusOr<int64_t> n = CheckedNumElements(out.dims, out.dtype);
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat("argument 'shape' ", DimsToString(out.dims),
                                                        ": ", n.status().message()));
  }
  const Argument* given = FindArgument(def, "values");
  if (given == nullptr || given->strings_size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'values' must hold exactly one string (the bytes), got ",
                     given == nullptr ? 0 : given->strings_size()));
  }
  if (static_cast<int64_t>(given->strings(0).size()) != *n) {
    return absl::InvalidArgumentError(
        absl::StrCat("the output shape ", DimsToString(out.dims), " holds ", *n,
                     " elements but the byte string has ", given->strings(0).size(), " bytes"));
  }
  return std::vector<TensorType>{out};
}

class GivenTensorByteStringToUInt8FillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const std::string& bytes = FindArgument(def(), "values")->strings(0);
    if (!bytes.empty()) std::memcpy(Output(0)->mutable_data<uint8_t>(), bytes.data(), bytes.size());
    return absl::OkStatus();
  }
};

absl::StatusOr<std::vector<TensorType>> InferStringFill(const OperatorDef& def,
                                                        absl::Span<const TensorType> inputs,
                                                        absl::Span<const Tensor* const> values) {
  TensorType out;
  out.dtype = DType::kString;
  absl::StatusOr<std::vector<int64_t>> dims = FillDims(def, inputs, values);
  if (!dims.ok()) return dims.status();
  out.dims = *std::move(dims);
  absl::StatusOr<int64_t> n = CheckedNumElements(out.dims, out.dtype);
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat("argument 'shape' ", DimsToString(out.dims),
                                                        ": ", n.status().message()));
  }
  const Argument* given = FindArgument(def, "values");
  if (given == nullptr) return absl::InvalidArgumentError("argument 'values' is required");
  if (given->floats_size() > 0 || given->ints_size() > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'values' must be strings for GivenTensorStringFill, got ",
                     given->floats_size() > 0 ? "floats" : "ints"));
  }
  if (given->strings_size() != *n) {
    return absl::InvalidArgumentError(
        absl::StrCat("the output shape ", DimsToString(out.dims), " holds ", *n,
                     " elements but argument 'values' has ", given->strings_size(), " strings"));
  }
  // The element array and the strings' bytes together are one allocation
  // for the limits (TensorLimits::max_bytes).
  uint64_t bytes = static_cast<uint64_t>(*n) * DTypeSize(DType::kString);
  for (const std::string& v : given->strings()) bytes += v.size();
  const TensorLimits limits;
  if (bytes > static_cast<uint64_t>(limits.max_bytes)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("argument 'values' needs ", bytes, " bytes, over the allocation limit of ",
                     limits.max_bytes, " bytes (TensorLimits::max_bytes)"));
  }
  return std::vector<TensorType>{out};
}

// Copies the strings into the output, which the net has sized. The values
// are read from the definition (checked by inference), not kept twice.
class GivenTensorStringFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Prepare(const PrepareContext&) override {
    values_ = &FindArgument(def(), "values")->strings();
    return absl::OkStatus();
  }
  absl::Status RunOnDevice() override {
    std::string* out = Output(0)->mutable_data<std::string>();
    for (int i = 0; i < values_->size(); ++i) out[i] = values_->Get(i);
    return absl::OkStatus();
  }

 private:
  const google::protobuf::RepeatedPtrField<std::string>* values_ = nullptr;
};

constexpr char kDtypeDoc[] =
    "TensorProto.DataType overriding the element type (FLOAT, DOUBLE, INT32, INT64, BOOL); the "
    "values are then read from floats (FLOAT, DOUBLE) or ints (the others).";

void GivenFillArguments(OpSchema& s) {
  s.NumInputs(0, 1)
      .NumOutputs(1)
      .AllowInplace({{0, 0}})
      .Apply(FillShapeArguments)
      .Input(0, "like",
             "Optional: the tensor whose shape (or, with input_as_shape, values) gives the "
             "output shape.")
      .Output(0, "Y", "The filled tensor.");
}

}  // namespace

#define OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(name, own, what)                       \
  OPERATOR_SCHEMA(name)                                                          \
      .Apply(GivenFillArguments)                                                 \
      .ValueDependentInference(InferGiven<own>)                                  \
      .RequiredArg("values", ArgKind::kNumbers, "The values, in C order, " what) \
      .Arg("dtype", ArgKind::kInt, kDtypeDoc)                                    \
      .SetDoc("A tensor of the given shape holding the given values, " what)

OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorFill, DType::kFloat32, "as float32 (floats).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorDoubleFill, DType::kFloat64,
                                  "as float64 (given as floats, as in Caffe2).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorIntFill, DType::kInt32,
                                  "as int32 (given as ints, each within int32).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorInt64Fill, DType::kInt64, "as int64 (ints).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorBoolFill, DType::kBool,
                                  "as bool (given as ints, each 0 or 1).");
#undef OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_

OPERATOR_SCHEMA(GivenTensorByteStringToUInt8Fill)
    .Apply(GivenFillArguments)
    .ValueDependentInference(InferByteString)
    .RequiredArg("values", ArgKind::kStrings,
                 "One string whose bytes are the uint8 values in C order.")
    .Arg("dtype", ArgKind::kInt, "Optional; must be STRING (4), as Caffe2 requires.")
    .SetDoc("A uint8 tensor from a byte string (Caffe2 mobile_exporter's uint8 encoding).");

OPERATOR_SCHEMA(GivenTensorStringFill)
    .Apply(GivenFillArguments)
    .AcceptsStrings()
    .ValueDependentInference(InferStringFill)
    .RequiredArg("values", ArgKind::kStrings,
                 "The strings (byte strings, any bytes), one per element in C order.")
    .Arg("dtype", ArgKind::kInt, "Ignored, as in Caffe2 (the output is always string).")
    .SetDoc(
        "A string tensor of the given shape holding the given byte strings (Caffe2 "
        "mobile_exporter's encoding of an object array). Only Copy and the writers of tensor "
        "files read string tensors; the numeric operators refuse them.");

REGISTER_CPU_OPERATOR(GivenTensorFill, GivenTensorFillOp);
REGISTER_CPU_OPERATOR(GivenTensorDoubleFill, GivenTensorFillOp);
REGISTER_CPU_OPERATOR(GivenTensorIntFill, GivenTensorFillOp);
REGISTER_CPU_OPERATOR(GivenTensorInt64Fill, GivenTensorFillOp);
REGISTER_CPU_OPERATOR(GivenTensorBoolFill, GivenTensorFillOp);
REGISTER_CPU_OPERATOR(GivenTensorByteStringToUInt8Fill, GivenTensorByteStringToUInt8FillOp);
REGISTER_CPU_OPERATOR(GivenTensorStringFill, GivenTensorStringFillOp);
NO_GRADIENT(GivenTensorFill);
NO_GRADIENT(GivenTensorDoubleFill);
NO_GRADIENT(GivenTensorIntFill);
NO_GRADIENT(GivenTensorInt64Fill);
NO_GRADIENT(GivenTensorBoolFill);
NO_GRADIENT(GivenTensorByteStringToUInt8Fill);
NO_GRADIENT(GivenTensorStringFill);

}  // namespace opgraph
