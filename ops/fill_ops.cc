// ConstantFill, GaussianFill and UniformFill: tensors made from arguments,
// for initializing parameters and seeding gradients.
//
// The output shape comes either from the `shape` argument or, with one
// input, from that input's shape ("shape like", Caffe2's input_as_shape=0),
// followed by `extra_shape`. The dtype comes from the `dtype` argument
// (a TensorProto.DataType value); when it is absent it is the input's dtype
// if there is an input, else float32. (Caffe2 always defaults to float; taking
// the input's dtype lets a float64 loss be seeded with a float64 gradient.)
//
// Random fills are reproducible on every platform: the generator is
// SplitMix64 (Steele, Lea and Flood 2014), uniforms take its top 53 bits,
// and normals come from the Box-Muller transform of two uniforms, using
// both the cosine and the sine branch. The generator is re-seeded on every
// run, so running a fill twice gives the same tensor. The seed is the
// `seed` argument; when absent it is the FNV-1a hash of the output blob's
// name, so that two fills in one net never produce the same values by
// accident. LeCun-normal initialization of a weight [M, K] is
// GaussianFill(shape=[M, K], mean=0, std=sqrt(1/K)).
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

// The output type of a fill, from its arguments and optional input.
absl::StatusOr<TensorType> FillOutputType(const OperatorDef& def,
                                          absl::Span<const TensorType> inputs,
                                          const std::set<DType>& allowed) {
  TensorType out;
  const Argument* shape = FindArgument(def, "shape");
  if (!inputs.empty()) {
    if (shape != nullptr) {
      return absl::InvalidArgumentError(
          "give either the 'shape' argument or an input to copy the shape from, not both");
    }
    out.dims = inputs[0].dims;
  } else if (shape != nullptr) {
    out.dims.assign(shape->ints().begin(), shape->ints().end());
  }
  if (const Argument* extra = FindArgument(def, "extra_shape")) {
    out.dims.insert(out.dims.end(), extra->ints().begin(), extra->ints().end());
  }
  for (size_t i = 0; i < out.dims.size(); ++i) {
    if (out.dims[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("output dim ", i, " is negative: ", DimsToString(out.dims)));
    }
  }
  if (const Argument* dtype = FindArgument(def, "dtype")) {
    absl::StatusOr<DType> t = DTypeFromProto(static_cast<int32_t>(dtype->i()));
    if (!t.ok()) return t.status();
    out.dtype = *t;
  } else if (!inputs.empty() && allowed.count(inputs[0].dtype)) {
    out.dtype = inputs[0].dtype;
  } else {
    out.dtype = DType::kFloat32;
  }
  if (!allowed.count(out.dtype)) {
    std::vector<std::string> names;
    for (DType t : allowed) names.push_back(DTypeName(t));
    return absl::InvalidArgumentError(absl::StrCat("argument 'dtype' gives ", DTypeName(out.dtype),
                                                   "; expected one of ",
                                                   absl::StrJoin(names, ", ")));
  }
  return out;
}

const std::set<DType> kConstantTypes = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                        DType::kInt64, DType::kBool};
const std::set<DType> kRandomTypes = {DType::kFloat32, DType::kFloat64};

TensorInferenceFunction FillInference(const std::set<DType>* allowed) {
  return [allowed](const OperatorDef& def,
                   absl::Span<const TensorType> inputs) -> absl::StatusOr<std::vector<TensorType>> {
    absl::StatusOr<TensorType> t = FillOutputType(def, inputs, *allowed);
    if (!t.ok()) return t.status();
    return std::vector<TensorType>{*t};
  };
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

uint64_t SeedOf(const OperatorBase& op) {
  if (op.HasArgument("seed")) return static_cast<uint64_t>(op.Arg<int64_t>("seed"));
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  for (unsigned char c : op.def().output(0)) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

class ConstantFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    value_ = Arg<float>("value");
    if (!std::isfinite(value_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'value' must be finite, got ", value_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchDType<float, double, int32_t, int64_t, bool>(
        dtype_, [&](auto tag) { return Fill<typename decltype(tag)::type>(Output(0)); });
  }

 private:
  template <typename T>
  absl::Status Fill(Tensor* y) {
    const T v = static_cast<T>(value_);
    T* p = y->mutable_data<T>();
    for (int64_t i = 0; i < y->numel(); ++i) p[i] = v;
    return absl::OkStatus();
  }
  float value_ = 0.f;
  DType dtype_ = DType::kUndefined;
};

class GaussianFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    mean_ = Arg<float>("mean");
    std_ = Arg<float>("std");
    if (!std::isfinite(mean_) || !std::isfinite(std_) || std_ < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("arguments 'mean' and 'std' must be finite and std >= 0, got mean ", mean_,
                       " std ", std_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Fill<typename decltype(tag)::type>(Output(0)); });
  }

 private:
  template <typename T>
  absl::Status Fill(Tensor* y) {
    SplitMix64 rng(SeedOf(*this));
    T* p = y->mutable_data<T>();
    const int64_t n = y->numel();
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    for (int64_t i = 0; i < n; i += 2) {
      // 1 - U lies in (0, 1], so the logarithm is finite.
      const double r = std::sqrt(-2.0 * std::log(1.0 - rng.Uniform()));
      const double theta = kTwoPi * rng.Uniform();
      p[i] = static_cast<T>(mean_ + std_ * r * std::cos(theta));
      if (i + 1 < n) p[i + 1] = static_cast<T>(mean_ + std_ * r * std::sin(theta));
    }
    return absl::OkStatus();
  }
  double mean_ = 0;
  double std_ = 1;
  DType dtype_ = DType::kUndefined;
};

class UniformFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    min_ = Arg<float>("min");
    max_ = Arg<float>("max");
    if (!std::isfinite(min_) || !std::isfinite(max_) || !(min_ <= max_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("arguments 'min' and 'max' must be finite with min <= max, got min ", min_,
                       " max ", max_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Fill<typename decltype(tag)::type>(Output(0)); });
  }

 private:
  template <typename T>
  absl::Status Fill(Tensor* y) {
    SplitMix64 rng(SeedOf(*this));
    T* p = y->mutable_data<T>();
    for (int64_t i = 0; i < y->numel(); ++i) {
      p[i] = static_cast<T>(min_ + (max_ - min_) * rng.Uniform());
    }
    return absl::OkStatus();
  }
  double min_ = 0;
  double max_ = 1;
  DType dtype_ = DType::kUndefined;
};

constexpr char kShapeDoc[] = "Output shape; not allowed together with an input.";
constexpr char kExtraShapeDoc[] = "Dims appended to the shape (from 'shape' or the input).";
constexpr char kDtypeDoc[] =
    "TensorProto.DataType of the output; default: the input's dtype, else FLOAT.";
constexpr char kSeedDoc[] =
    "Seed of the SplitMix64 generator; default: a hash of the output blob's name.";
constexpr char kInputDoc[] = "Optional: a tensor whose shape the output takes.";

}  // namespace

OPERATOR_SCHEMA(ConstantFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Arg("value", 0.0f, "The value of every element (converted to dtype).")
    .Arg("shape", ArgKind::kInts, kShapeDoc)
    .Arg("extra_shape", ArgKind::kInts, kExtraShapeDoc)
    .Arg("dtype", ArgKind::kInt, kDtypeDoc)
    .TensorInference(FillInference(&kConstantTypes))
    .Input(0, "like", kInputDoc)
    .Output(0, "Y", "The filled tensor.")
    .SetDoc("Y = value everywhere. Types: float32, float64, int32, int64, bool.");

OPERATOR_SCHEMA(GaussianFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Arg("mean", 0.0f, "Mean of the normal distribution.")
    .Arg("std", 1.0f, "Standard deviation, >= 0.")
    .Arg("shape", ArgKind::kInts, kShapeDoc)
    .Arg("extra_shape", ArgKind::kInts, kExtraShapeDoc)
    .Arg("dtype", ArgKind::kInt, kDtypeDoc)
    .Arg("seed", ArgKind::kInt, kSeedDoc)
    .TensorInference(FillInference(&kRandomTypes))
    .Input(0, "like", kInputDoc)
    .Output(0, "Y", "The filled tensor, float32 or float64.")
    .SetDoc("Y ~ Normal(mean, std^2), SplitMix64 + Box-Muller; reproducible for a seed.");

OPERATOR_SCHEMA(UniformFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Arg("min", 0.0f, "Lower bound (inclusive).")
    .Arg("max", 1.0f, "Upper bound (exclusive); >= min.")
    .Arg("shape", ArgKind::kInts, kShapeDoc)
    .Arg("extra_shape", ArgKind::kInts, kExtraShapeDoc)
    .Arg("dtype", ArgKind::kInt, kDtypeDoc)
    .Arg("seed", ArgKind::kInt, kSeedDoc)
    .TensorInference(FillInference(&kRandomTypes))
    .Input(0, "like", kInputDoc)
    .Output(0, "Y", "The filled tensor, float32 or float64.")
    .SetDoc("Y ~ Uniform[min, max), SplitMix64; reproducible for a seed.");

REGISTER_CPU_OPERATOR(ConstantFill, ConstantFillOp);
REGISTER_CPU_OPERATOR(GaussianFill, GaussianFillOp);
REGISTER_CPU_OPERATOR(UniformFill, UniformFillOp);
NO_GRADIENT(ConstantFill);
NO_GRADIENT(GaussianFill);
NO_GRADIENT(UniformFill);
// AddGradientOperators (core/backward.cc) seeds loss gradients with
// ConstantFill(L, value=1).
REGISTER_OP_ROLE(GradientSeed, ConstantFill);

}  // namespace opgraph
