// ConstantFill: a tensor of one value, for initializing parameters and
// seeding gradients. The shape comes from `shape`, input 0 or input 0's
// values (ops/fill_util.h).
//
// The output type follows Caffe2's ConstantFill:
//   - `dtype` (a TensorProto.DataType value) when given;
//   - else the type of `value`: given as an int (`i`, what Caffe2 Python
//     writes for a Python int) it is int64, given as a float (`f`) float32;
//   - else float32.
// One difference: with no dtype and a float64 input (a shape source, not
// input_as_shape), a float or absent value makes float64, so that a float64
// loss is seeded with a float64 gradient (Caffe2 has no float64 losses and
// would make float32).
//
// `value` is converted to the output type exactly or not at all: a
// fractional, NaN, infinite or out-of-range value for an integer type, a
// value other than 0 or 1 for bool, and an int that float32/float64 cannot
// hold exactly are errors when the net is created.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/fill_util.h"

namespace opgraph {
namespace {

const std::set<DType> kConstantTypes = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                        DType::kInt64,   DType::kBool,    DType::kUint8};

absl::StatusOr<DType> ConstantFillType(const OperatorDef& def,
                                       absl::Span<const TensorType> inputs) {
  DType t = DType::kFloat32;
  const Argument* value = FindArgument(def, "value");
  const Argument* as_shape = FindArgument(def, "input_as_shape");
  if (const Argument* dtype = FindArgument(def, "dtype")) {
    absl::StatusOr<DType> given = DTypeArgument(*dtype);
    if (!given.ok()) return given.status();
    t = *given;
  } else if (value != nullptr && value->has_i()) {
    t = DType::kInt64;
  } else if (!inputs.empty() && inputs[0].dtype == DType::kFloat64 &&
             (as_shape == nullptr || as_shape->i() == 0)) {
    t = DType::kFloat64;
  }
  if (!kConstantTypes.count(t)) {
    std::vector<std::string> names;
    for (DType k : kConstantTypes) names.push_back(DTypeName(k));
    return absl::InvalidArgumentError(absl::StrCat(
        "argument 'dtype' gives ", DTypeName(t), "; expected one of ", absl::StrJoin(names, ", ")));
  }
  return t;
}

// The value of `value` (absent: 0) for an output of type `t`, as a double
// for float types and an int64 for the others. InvalidArgument when the
// conversion is not exact.
absl::Status ConvertValue(const Argument* value, DType t, double* f, int64_t* i) {
  *f = 0;
  *i = 0;
  if (value == nullptr) return absl::OkStatus();
  const bool is_float_type = t == DType::kFloat32 || t == DType::kFloat64;
  if (is_float_type) {
    if (value->has_f()) {
      *f = value->f();
      if (!std::isfinite(*f)) {
        return absl::InvalidArgumentError(
            absl::StrCat("argument 'value' must be finite, got ", *f));
      }
      return absl::OkStatus();
    }
    const int64_t v = value->i();
    const long double exact = static_cast<long double>(v);
    const bool fits = t == DType::kFloat32
                          ? static_cast<long double>(static_cast<float>(v)) == exact
                          : static_cast<long double>(static_cast<double>(v)) == exact;
    if (!fits) {
      return absl::InvalidArgumentError(absl::StrCat("argument 'value' = ", v, " is not exactly ",
                                                     "representable as ", DTypeName(t)));
    }
    *f = static_cast<double>(v);
    return absl::OkStatus();
  }
  int64_t v = 0;
  if (value->has_f()) {
    const double d = value->f();
    // 2^63 is exact in a double; every double below it converts exactly.
    if (!std::isfinite(d) || std::trunc(d) != d || d < -0x1p63 || d >= 0x1p63) {
      return absl::InvalidArgumentError(absl::StrCat("argument 'value' = ", d,
                                                     " cannot be converted to ", DTypeName(t),
                                                     ": it must be a finite whole number"));
    }
    v = static_cast<int64_t>(d);
  } else {
    v = value->i();
  }
  int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  if (t == DType::kInt32) {
    lo = std::numeric_limits<int32_t>::min();
    hi = std::numeric_limits<int32_t>::max();
  } else if (t == DType::kUint8) {
    lo = 0;
    hi = 255;
  } else if (t == DType::kBool) {
    lo = 0;
    hi = 1;
  }
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(
        "argument 'value' = ", v, " is out of range for ", DTypeName(t), " [", lo, ", ", hi, "]"));
  }
  *i = v;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TensorType>> InferConstantFill(const OperatorDef& def,
                                                          absl::Span<const TensorType> inputs,
                                                          absl::Span<const Tensor* const> values) {
  TensorType out;
  absl::StatusOr<std::vector<int64_t>> dims = FillDims(def, inputs, values);
  if (!dims.ok()) return dims.status();
  out.dims = *std::move(dims);
  absl::StatusOr<DType> t = ConstantFillType(def, inputs);
  if (!t.ok()) return t.status();
  out.dtype = *t;
  double f = 0;
  int64_t i = 0;
  absl::Status s = ConvertValue(FindArgument(def, "value"), out.dtype, &f, &i);
  if (!s.ok()) return s;
  return std::vector<TensorType>{out};
}

class ConstantFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    return ConvertValue(FindArgument(def(), "value"), dtype_, &fvalue_, &ivalue_);
  }

  absl::Status RunOnDevice() override {
    return DispatchDType<float, double, int32_t, int64_t, bool, uint8_t>(
        dtype_, [&](auto tag) { return Fill<typename decltype(tag)::type>(Output(0)); });
  }

 private:
  template <typename T>
  absl::Status Fill(Tensor* y) {
    T v;
    if constexpr (std::is_floating_point_v<T>) {
      v = static_cast<T>(fvalue_);
    } else {
      v = static_cast<T>(ivalue_);
    }
    T* p = y->mutable_data<T>();
    for (int64_t i = 0; i < y->numel(); ++i) p[i] = v;
    return absl::OkStatus();
  }
  double fvalue_ = 0;
  int64_t ivalue_ = 0;
  DType dtype_ = DType::kUndefined;
};

}  // namespace

OPERATOR_SCHEMA(ConstantFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .Apply(FillShapeArguments)
    .Arg("value", ArgKind::kNumber,
         "The value of every element, given as a float or an int; converted "
         "to dtype exactly (default 0).")
    .Arg("dtype", ArgKind::kInt,
         "TensorProto.DataType of the output: FLOAT, DOUBLE, INT32, INT64, "
         "BOOL or UINT8. Default: INT64 for an int value, else FLOAT "
         "(DOUBLE for a float64 input).")
    .ValueDependentInference(InferConstantFill)
    .Input(0, "like",
           "Optional: the tensor whose shape (or, with input_as_shape, values) "
           "gives the output shape.")
    .Output(0, "Y", "The filled tensor.")
    .SetDoc("Y = value everywhere (Caffe2 ConstantFill type rules).");

REGISTER_CPU_OPERATOR(ConstantFill, ConstantFillOp);
NO_GRADIENT(ConstantFill);
// AddGradientOperators (core/backward.cc) seeds loss gradients with
// ConstantFill(L, value=1).
REGISTER_OP_ROLE(GradientSeed, ConstantFill);

}  // namespace opgraph
