// Dropout and DropoutGrad, Caffe2's DropoutOp.
//
// With is_test = 1 (inference) Y = X and the optional mask is all true.
// With is_test = 0 (training) each element is kept with probability
// 1 - ratio: Y = X * mask / (1 - ratio), the mask drawn from SplitMix64
// (ops/fill_util.h) seeded as the fill operators are (`seed`, else the
// device option's random_seed and the output name), advancing on every run,
// so a run sequence is the same on every platform but differs from
// Caffe2's. ratio = 0 keeps everything; ratio must lie in [0, 1).
//
// DropoutGrad(dY, mask) -> dX = dY * mask / (1 - ratio), or dY when
// is_test = 1.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/fill_util.h"

namespace opgraph {
namespace {

constexpr float kDefaultRatio = 0.5f;

absl::Status CheckRatio(float ratio) {
  if (!(ratio >= 0.0f && ratio < 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'ratio' = ", ratio, " must lie in [0, 1)"));
  }
  return absl::OkStatus();
}

class DropoutOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    ratio_ = Arg<float>("ratio");
    is_test_ = Arg<int64_t>("is_test") != 0;
    rng_state_ = FillSeed(def());
    return CheckRatio(ratio_);
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    bool* mask = OutputSize() > 1 ? Output(1)->template mutable_data<bool>() : nullptr;
    const int64_t n = x.numel();
    if (is_test_) {
      if (!IsInplace(0, 0) && x.nbytes() > 0) {
        std::memcpy(Output(0)->raw_mutable_data(), x.raw_data(), x.nbytes());
      }
      for (int64_t i = 0; mask != nullptr && i < n; ++i) mask[i] = true;
      return absl::OkStatus();
    }
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xp = x.template data<T>();
      T* y = Output(0)->template mutable_data<T>();
      const T scale = static_cast<T>(1.0 / (1.0 - static_cast<double>(ratio_)));
      SplitMix64 rng(rng_state_);
      for (int64_t i = 0; i < n; ++i) {
        const bool keep = rng.Uniform() >= static_cast<double>(ratio_);
        if (mask != nullptr) mask[i] = keep;
        y[i] = keep ? xp[i] * scale : T(0);
      }
      rng_state_ = rng.Next();  // the next run draws a fresh mask
    });
  }

 private:
  float ratio_ = kDefaultRatio;
  bool is_test_ = false;
  uint64_t rng_state_ = 0;
  DType dtype_ = DType::kUndefined;
};

class DropoutGradOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    ratio_ = Arg<float>("ratio");
    is_test_ = Arg<int64_t>("is_test") != 0;
    return CheckRatio(ratio_);
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* dy = Input(0).template data<T>();
      const bool* mask = Input(1).template data<bool>();
      T* dx = Output(0)->template mutable_data<T>();
      const int64_t n = Input(0).numel();
      const T scale = is_test_ ? T(1) : static_cast<T>(1.0 / (1.0 - static_cast<double>(ratio_)));
      for (int64_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : T(0);
    });
  }

 private:
  float ratio_ = kDefaultRatio;
  bool is_test_ = false;
  DType dtype_ = DType::kUndefined;
};

absl::StatusOr<std::vector<TensorType>> InferDropout(const OperatorDef& def,
                                                     absl::Span<const TensorType> in) {
  std::vector<TensorType> out = {in[0]};
  if (def.output_size() > 1) out.push_back({DType::kBool, in[0].dims});
  return out;
}

absl::StatusOr<std::vector<TensorType>> InferDropoutGrad(const OperatorDef& /*def*/,
                                                         absl::Span<const TensorType> in) {
  if (in[1].dtype != DType::kBool || in[1].dims != in[0].dims) {
    return absl::InvalidArgumentError(absl::StrCat("input 1 (mask, ", in[1].ToString(),
                                                   ") must be bool with the dims of dY (",
                                                   in[0].ToString(), ")"));
  }
  return std::vector<TensorType>{in[0]};
}

class GetDropoutGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (def().output_size() < 2) {
      return absl::InvalidArgumentError(
          "the gradient of Dropout needs its mask: give the operator a second output");
    }
    return SingleGradientDef("DropoutGrad", "", {GO(0), O(1)}, {GI(0)});
  }
};

constexpr char kRatioDoc[] = "Probability of dropping an element, in [0, 1).";
constexpr char kIsTestDoc[] = "1: inference (Y = X, mask all true); 0: training.";

}  // namespace

OPERATOR_SCHEMA(Dropout)
    .NumInputs(1)
    .NumOutputs(1, 2)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(InferDropout)
    .Arg("ratio", kDefaultRatio, kRatioDoc)
    .Arg("is_test", int64_t{0}, kIsTestDoc)
    .Arg("seed", ArgKind::kInt, "Seed of the mask generator (training only).")
    .Input(0, "data", "float32 or float64 tensor.")
    .Output(0, "output", "data with dropped elements zeroed and the rest scaled by 1/(1-ratio).")
    .Output(1, "mask", "Optional: bool, true where the element was kept.")
    .SetDoc("Caffe2 Dropout; with is_test = 1 the identity (ONNX Dropout for inference).");

OPERATOR_SCHEMA(DropoutGrad)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(InferDropoutGrad)
    .Arg("ratio", kDefaultRatio, kRatioDoc)
    .Arg("is_test", int64_t{0}, kIsTestDoc)
    .Arg("seed", ArgKind::kInt, "Ignored (the forward operator's).")
    .Input(0, "dY", "Gradient of Dropout's output.")
    .Input(1, "mask", "Dropout's mask output.")
    .Output(0, "dX", "dY * mask / (1 - ratio) (dY * mask when is_test = 1).")
    .SetDoc("Gradient of Dropout.");

REGISTER_CPU_OPERATOR(Dropout, DropoutOp);
REGISTER_CPU_OPERATOR(DropoutGrad, DropoutGradOp);
REGISTER_GRADIENT(Dropout, GetDropoutGradient);
SHOULD_NOT_DO_GRADIENT(DropoutGrad);

}  // namespace opgraph
