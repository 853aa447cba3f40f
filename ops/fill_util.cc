#include "ops/fill_util.h"

#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace opgraph {
namespace {

constexpr char kShapeDoc[] = "Output shape; not allowed together with an input.";
constexpr char kExtraShapeDoc[] =
    "Dims appended to the shape taken from input 0 (needs an input, as in Caffe2).";
constexpr char kInputAsShapeDoc[] =
    "1: input 0 is a constant 1-D int64 tensor whose values are the output dims; 0: the "
    "output takes input 0's dims.";

}  // namespace

absl::StatusOr<std::vector<int64_t>> FillDims(const OperatorDef& def,
                                              absl::Span<const TensorType> inputs,
                                              absl::Span<const Tensor* const> values) {
  const Argument* shape = FindArgument(def, "shape");
  const Argument* extra = FindArgument(def, "extra_shape");
  const Argument* as_shape = FindArgument(def, "input_as_shape");
  const bool input_as_shape = as_shape != nullptr && as_shape->i() != 0;
  std::vector<int64_t> dims;
  std::string source = "argument 'shape'";
  if (inputs.empty()) {
    if (extra != nullptr) {
      return absl::InvalidArgumentError(
          "argument 'extra_shape' needs an input to extend (Caffe2 refuses it too); put the "
          "dims in 'shape'");
    }
    if (input_as_shape) {
      return absl::InvalidArgumentError("argument 'input_as_shape' is 1 but there is no input");
    }
    if (shape != nullptr) dims.assign(shape->ints().begin(), shape->ints().end());
  } else {
    if (shape != nullptr) {
      return absl::InvalidArgumentError(
          "give either the 'shape' argument or an input to take the shape from, not both");
    }
    if (input_as_shape) {
      const TensorType& t = inputs[0];
      if (t.dtype != DType::kInt64 || t.dims.size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "with input_as_shape=1, input 0 must be a 1-D int64 tensor, got ", t.ToString()));
      }
      const Tensor* v = values.empty() ? nullptr : values[0];
      if (v == nullptr) {
        return absl::InvalidArgumentError(
            "with input_as_shape=1, input 0 must be constant (fed, or made by an init net, and "
            "not written by this net): the output shape is fixed when the net is created");
      }
      const int64_t* p = v->data<int64_t>();
      dims.assign(p, p + v->numel());
      source = "the values of input 0";
    } else {
      dims = inputs[0].dims;
      source = "input 0";
    }
    if (extra != nullptr) source += " and argument 'extra_shape'";
    if (extra != nullptr) dims.insert(dims.end(), extra->ints().begin(), extra->ints().end());
  }
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output dim ", i, " is negative: ", DimsToString(dims), " (from ", source, ")"));
    }
  }
  return dims;
}

absl::StatusOr<DType> DTypeArgument(const Argument& a) {
  const int64_t v = a.i();
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max() ||
      !TensorProto::DataType_IsValid(static_cast<int>(v))) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", a.name(), "' is ", v, ", which is not a TensorProto.DataType"));
  }
  absl::StatusOr<DType> t = DTypeFromProto(static_cast<int32_t>(v));
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", a.name(), "': ", t.status().message()));
  }
  if (*t == DType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument '", a.name(),
                     "' is STRING (4); this operator makes numbers, and only "
                     "GivenTensorStringFill makes strings"));
  }
  return t;
}

void FillShapeArguments(OpSchema& schema) {
  schema.Arg("shape", ArgKind::kInts, kShapeDoc)
      .Arg("extra_shape", ArgKind::kInts, kExtraShapeDoc)
      .Arg("input_as_shape", 0, kInputAsShapeDoc);
}

uint64_t FillSeed(const OperatorDef& def) {
  if (const Argument* seed = FindArgument(def, "seed")) return static_cast<uint64_t>(seed->i());
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  for (unsigned char c : def.output(0)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  if (def.has_device_option() && def.device_option().has_random_seed()) {
    // One draw of a generator seeded with random_seed + 1, so that seed 0
    // also changes the stream.
    SplitMix64 mix(uint64_t{def.device_option().random_seed()} + 1);
    h ^= mix.Next();
  }
  return h;
}

}  // namespace opgraph
