// GivenTensor*Fill: a tensor whose shape and values are given as arguments.
//
//   GivenTensorFill        values: floats -> float32
//   GivenTensorDoubleFill  values: floats -> float64 (Caffe2 also reads the
//                          float field, so values are float-precise)
//   GivenTensorIntFill     values: ints   -> int32 (each must fit in int32)
//   GivenTensorInt64Fill   values: ints   -> int64
//   GivenTensorBoolFill    values: ints   -> bool (each must be 0 or 1)
//
// No inputs. `shape` and `values` are required, and the element count of
// `shape` must equal the number of values. Every check runs in shape
// inference, so a bad fill is rejected when the net is created. Unlike
// Caffe2, there is no input_as_shape, extra_shape or dtype argument.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/registry.h"

namespace opgraph {
namespace {

template <typename T>
struct FillTraits;
template <>
struct FillTraits<float> {
  static constexpr ArgKind kValuesKind = ArgKind::kFloats;
};
template <>
struct FillTraits<double> {
  static constexpr ArgKind kValuesKind = ArgKind::kFloats;
};
template <>
struct FillTraits<int32_t> {
  static constexpr ArgKind kValuesKind = ArgKind::kInts;
};
template <>
struct FillTraits<int64_t> {
  static constexpr ArgKind kValuesKind = ArgKind::kInts;
};
template <>
struct FillTraits<bool> {
  static constexpr ArgKind kValuesKind = ArgKind::kInts;
};

// Checks one given int value for the target type: InvalidArgument naming its
// index when it does not fit.
template <typename T>
absl::Status CheckIntValue(int64_t v, int index) {
  if constexpr (std::is_same_v<T, int32_t>) {
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'values'[", index, "] = ", v, " does not fit in int32"));
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v != 0 && v != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'values'[", index, "] = ", v, " is not a bool (0 or 1)"));
    }
  }
  return absl::OkStatus();
}

// Reads `shape` and `values` of `def` and checks them against each other.
// On success fills *dims and *values (converted to T).
template <typename T>
absl::Status ReadFill(const OperatorDef& def, std::vector<int64_t>* dims, std::vector<T>* values) {
  const Argument* shape = FindArgument(def, "shape");
  const Argument* given = FindArgument(def, "values");
  // Verify has already required both; this keeps a direct caller safe.
  if (shape == nullptr || given == nullptr) {
    return absl::InvalidArgumentError("arguments 'shape' and 'values' are required");
  }
  dims->assign(shape->ints().begin(), shape->ints().end());
  absl::StatusOr<int64_t> n = CheckedNumElements(*dims, DTypeOf<T>::value);
  if (!n.ok()) {
    return absl::Status(n.status().code(), absl::StrCat("argument 'shape' ", DimsToString(*dims),
                                                        ": ", n.status().message()));
  }
  values->clear();
  if constexpr (FillTraits<T>::kValuesKind == ArgKind::kFloats) {
    for (float v : given->floats()) values->push_back(static_cast<T>(v));
  } else {
    for (int i = 0; i < given->ints_size(); ++i) {
      absl::Status s = CheckIntValue<T>(given->ints(i), i);
      if (!s.ok()) return s;
      values->push_back(static_cast<T>(given->ints(i)));
    }
  }
  if (static_cast<int64_t>(values->size()) != *n) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'shape' ", DimsToString(*dims), " holds ", *n,
                     " elements but argument 'values' has ", values->size()));
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<std::vector<TensorType>> InferFill(const OperatorDef& def,
                                                  absl::Span<const TensorType>) {
  TensorType out;
  out.dtype = DTypeOf<T>::value;
  std::vector<T> values;
  absl::Status s = ReadFill<T>(def, &out.dims, &values);
  if (!s.ok()) return s;
  return std::vector<TensorType>{out};
}

template <typename T>
class GivenTensorFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kOutputY = 0;

  absl::Status Init() override { return ReadFill<T>(def(), &dims_, &values_); }

  absl::Status RunOnDevice() override {
    Fill(Output(kOutputY)->template mutable_data<T>());
    return absl::OkStatus();
  }

 private:
  void Fill(T* out) const {
    for (size_t i = 0; i < values_.size(); ++i) out[i] = values_[i];
  }

  std::vector<int64_t> dims_;
  std::vector<T> values_;  // converted and checked once, in Init
};

constexpr char kShapeDoc[] = "Dims of the output; their product must equal the number of values.";

}  // namespace

#define OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(name, T, what)                                  \
  OPERATOR_SCHEMA(name)                                                                   \
      .NumInputs(0)                                                                       \
      .NumOutputs(1)                                                                      \
      .TensorInference(InferFill<T>)                                                      \
      .RequiredArg("shape", ArgKind::kInts, kShapeDoc)                                    \
      .RequiredArg("values", FillTraits<T>::kValuesKind, "The values, in C order, " what) \
      .Output(0, "Y", "The filled tensor.")                                               \
      .SetDoc("A tensor of the given shape holding the given values, " what)

OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorFill, float, "as float32.");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorDoubleFill, double,
                                  "as float64 (given as floats, as in Caffe2).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorIntFill, int32_t,
                                  "as int32 (given as ints, each within int32).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorInt64Fill, int64_t, "as int64 (given as ints).");
OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_(GivenTensorBoolFill, bool,
                                  "as bool (given as ints, each 0 or 1).");
#undef OPGRAPH_GIVEN_TENSOR_FILL_SCHEMA_

REGISTER_CPU_OPERATOR(GivenTensorFill, GivenTensorFillOp<float>);
REGISTER_CPU_OPERATOR(GivenTensorDoubleFill, GivenTensorFillOp<double>);
REGISTER_CPU_OPERATOR(GivenTensorIntFill, GivenTensorFillOp<int32_t>);
REGISTER_CPU_OPERATOR(GivenTensorInt64Fill, GivenTensorFillOp<int64_t>);
REGISTER_CPU_OPERATOR(GivenTensorBoolFill, GivenTensorFillOp<bool>);
NO_GRADIENT(GivenTensorFill);
NO_GRADIENT(GivenTensorDoubleFill);
NO_GRADIENT(GivenTensorIntFill);
NO_GRADIENT(GivenTensorInt64Fill);
NO_GRADIENT(GivenTensorBoolFill);

}  // namespace opgraph
