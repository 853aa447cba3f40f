// Random fills: GaussianFill, UniformFill, XavierFill and MSRAFill, with
// Caffe2's arguments and shape rules (ops/fill_util.h) and opgraph's
// reproducible SplitMix64 generator.
//
//   GaussianFill  Y ~ Normal(mean, std^2)
//   UniformFill   Y ~ Uniform[min, max); min and max are arguments, or
//                 inputs 1 and 2 (one-element tensors of Y's type, read
//                 when the net runs) with input 0 giving the shape
//   XavierFill    Y ~ Uniform[-s, s), s = sqrt(3 / fan_in),
//                 fan_in = numel / dims[0]          (Caffe2 filler_op.h)
//   MSRAFill      Y ~ Normal(0, s^2), s = sqrt(2 / fan_out),
//                 fan_out = numel / dims[1]         (Caffe2 filler_op.h)
//
// Caffe2's CPU kernels exist for float32 only. opgraph also makes float64
// when `dtype` is DOUBLE, or when the shape comes from a float64 input, so
// that float64 nets (gradient checks in double precision) can be
// initialized; a Caffe2 net never asks for it, so its nets get float32.
//
// Caffe2 refuses min >= max given as arguments; so does opgraph. With min
// and max as inputs, Caffe2 returns a tensor with dims[0] = 0 when
// min > max; opgraph's output shapes are fixed when the net is created, so
// the run fails instead, saying so.
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/fill_util.h"

namespace opgraph {
namespace {

enum class Kind { kGaussian, kUniform, kXavier, kMsra };

absl::StatusOr<std::vector<TensorType>> InferRandomFill(Kind kind, const OperatorDef& def,
                                                        absl::Span<const TensorType> inputs,
                                                        absl::Span<const Tensor* const> values) {
  TensorType out;
  out.dtype = DType::kFloat32;
  if (const Argument* dtype = FindArgument(def, "dtype")) {
    absl::StatusOr<DType> t = DTypeArgument(*dtype);
    if (!t.ok()) return t.status();
    out.dtype = *t;
  } else if (!inputs.empty() && inputs[0].dtype == DType::kFloat64) {
    const Argument* as_shape = FindArgument(def, "input_as_shape");
    if (as_shape == nullptr || as_shape->i() == 0) out.dtype = DType::kFloat64;
  }
  if (out.dtype != DType::kFloat32 && out.dtype != DType::kFloat64) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'dtype' gives ", DTypeName(out.dtype),
                                                   "; expected one of float32, float64"));
  }
  absl::StatusOr<std::vector<int64_t>> dims = FillDims(def, inputs, values);
  if (!dims.ok()) return dims.status();
  out.dims = *std::move(dims);
  if (kind == Kind::kXavier && out.dims.empty()) {
    return absl::InvalidArgumentError(
        "XavierFill needs an output of rank >= 1 (fan_in is "
        "numel / dims[0])");
  }
  if (kind == Kind::kMsra && out.dims.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("MSRAFill needs an output of rank >= 2 (fan_out is numel / dims[1]), got ",
                     DimsToString(out.dims)));
  }
  if (inputs.size() == 3) {
    if (FindArgument(def, "min") != nullptr || FindArgument(def, "max") != nullptr) {
      return absl::InvalidArgumentError(
          "min and max are given both as arguments and as inputs 1 and 2; give one of them");
    }
    for (int i = 1; i <= 2; ++i) {
      const TensorType& t = inputs[i];
      int64_t n = 1;
      for (int64_t d : t.dims) n *= d;
      if (t.dtype != out.dtype || n != 1) {
        return absl::InvalidArgumentError(absl::StrCat("input ", i, " (", i == 1 ? "min" : "max",
                                                       ") must hold one ", DTypeName(out.dtype),
                                                       " element, got ", t.ToString()));
      }
    }
  }
  return std::vector<TensorType>{out};
}

template <Kind kKind>
absl::StatusOr<std::vector<TensorType>> Infer(const OperatorDef& def,
                                              absl::Span<const TensorType> inputs,
                                              absl::Span<const Tensor* const> values) {
  return InferRandomFill(kKind, def, inputs, values);
}

template <Kind kKind>
class RandomFillOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    if constexpr (kKind == Kind::kGaussian) {
      a_ = Arg<float>("mean");
      b_ = Arg<float>("std");
      if (!std::isfinite(a_) || !std::isfinite(b_) || b_ < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "arguments 'mean' and 'std' must be finite and std >= 0, got mean ", a_, " std ", b_));
      }
    } else if constexpr (kKind == Kind::kUniform) {
      a_ = Arg<float>("min");
      b_ = Arg<float>("max");
      if (def().input_size() != 3 && (!std::isfinite(a_) || !std::isfinite(b_) || !(a_ < b_))) {
        return absl::InvalidArgumentError(
            absl::StrCat("arguments 'min' and 'max' must be finite with min < max (as Caffe2 "
                         "requires), got min ",
                         a_, " max ", b_));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.output(0).dtype;
    const std::vector<int64_t>& dims = ctx.output(0).dims;
    int64_t numel = 1;
    for (int64_t d : dims) numel *= d;
    // An empty output draws nothing, so its scale is never used.
    if (kKind == Kind::kXavier && numel > 0) {
      a_ = std::sqrt(3.0 / static_cast<double>(numel / dims[0]));
    } else if (kKind == Kind::kMsra && numel > 0) {
      b_ = std::sqrt(2.0 / static_cast<double>(numel / dims[1]));
    }
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Fill<typename decltype(tag)::type>(Output(0)); });
  }

 private:
  template <typename T>
  absl::Status Fill(Tensor* y) {
    SplitMix64 rng(FillSeed(def()));
    T* p = y->template mutable_data<T>();
    const int64_t n = y->numel();
    if constexpr (kKind == Kind::kGaussian) {
      DrawGaussian(rng, a_, b_, p, n);
    } else if constexpr (kKind == Kind::kUniform) {
      double lo = a_, hi = b_;
      if (def().input_size() == 3) {
        lo = static_cast<double>(Input(1).template data<T>()[0]);
        hi = static_cast<double>(Input(2).template data<T>()[0]);
        if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) {
          return absl::InvalidArgumentError(absl::StrCat(
              "inputs min (", lo, ") and max (", hi,
              ") must be finite with min <= max (Caffe2 would return an empty tensor for "
              "min > max; opgraph's output shape is fixed when the net is created)"));
        }
      }
      DrawUniform(rng, lo, hi, p, n);
    } else if constexpr (kKind == Kind::kXavier) {
      DrawUniform(rng, -a_, a_, p, n);
    } else {
      DrawGaussian(rng, 0.0, b_, p, n);
    }
    return absl::OkStatus();
  }
  double a_ = 0;  // mean, min or Xavier's scale
  double b_ = 1;  // std, max or MSRA's std
  DType dtype_ = DType::kUndefined;
};

constexpr char kDtypeDoc[] =
    "TensorProto.DataType of the output, FLOAT or DOUBLE; default FLOAT (DOUBLE when input 0 "
    "is float64).";
constexpr char kSeedDoc[] =
    "Seed of the SplitMix64 generator; default: from device_option.random_seed and the output "
    "blob's name (ops/fill_util.h).";
constexpr char kInputDoc[] =
    "Optional: the tensor whose shape (or, with input_as_shape, values) gives the output shape.";

void RandomFillArguments(OpSchema& s) {
  s.Apply(FillShapeArguments)
      .Arg("dtype", ArgKind::kInt, kDtypeDoc)
      .Arg("seed", ArgKind::kInt, kSeedDoc)
      .Input(0, "like", kInputDoc)
      .AllowInplace({{0, 0}});
}

}  // namespace

OPERATOR_SCHEMA(GaussianFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Apply(RandomFillArguments)
    .Arg("mean", 0.0f, "Mean of the normal distribution.")
    .Arg("std", 1.0f, "Standard deviation, >= 0.")
    .ValueDependentInference(Infer<Kind::kGaussian>)
    .Output(0, "Y", "The filled tensor, float32 or float64.")
    .SetDoc("Y ~ Normal(mean, std^2), SplitMix64 + Box-Muller; reproducible for a seed.");

OPERATOR_SCHEMA(UniformFill)
    .NumInputs({0, 1, 3})
    .NumOutputs(1)
    .Apply(RandomFillArguments)
    .Arg("min", 0.0f, "Lower bound (inclusive); not with inputs 1 and 2.")
    .Arg("max", 1.0f, "Upper bound (exclusive); > min; not with inputs 1 and 2.")
    .ValueDependentInference(Infer<Kind::kUniform>)
    .Input(1, "min", "Optional, with input 2: one-element lower bound, read at run time.")
    .Input(2, "max", "Optional, with input 1: one-element upper bound (>= min).")
    .Output(0, "Y", "The filled tensor, float32 or float64.")
    .SetDoc("Y ~ Uniform[min, max), SplitMix64; reproducible for a seed.");

OPERATOR_SCHEMA(XavierFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Apply(RandomFillArguments)
    .ValueDependentInference(Infer<Kind::kXavier>)
    .Output(0, "Y", "The filled tensor, rank >= 1.")
    .SetDoc(
        "Y ~ Uniform[-s, s), s = sqrt(3 / fan_in), fan_in = numel / dims[0] (Caffe2 XavierFill, "
        "brew.fc's default weight initializer).");

OPERATOR_SCHEMA(MSRAFill)
    .NumInputs(0, 1)
    .NumOutputs(1)
    .Apply(RandomFillArguments)
    .ValueDependentInference(Infer<Kind::kMsra>)
    .Output(0, "Y", "The filled tensor, rank >= 2.")
    .SetDoc(
        "Y ~ Normal(0, s^2), s = sqrt(2 / fan_out), fan_out = numel / dims[1] (Caffe2 "
        "MSRAFill).");

REGISTER_CPU_OPERATOR(GaussianFill, RandomFillOp<Kind::kGaussian>);
REGISTER_CPU_OPERATOR(UniformFill, RandomFillOp<Kind::kUniform>);
REGISTER_CPU_OPERATOR(XavierFill, RandomFillOp<Kind::kXavier>);
REGISTER_CPU_OPERATOR(MSRAFill, RandomFillOp<Kind::kMsra>);
NO_GRADIENT(GaussianFill);
NO_GRADIENT(UniformFill);
NO_GRADIENT(XavierFill);
NO_GRADIENT(MSRAFill);

}  // namespace opgraph
