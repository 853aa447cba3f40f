// ScaledTanh and ScaledTanhGradient: an operator plugin built outside
// opgraph (see README.md next to this file).
//
//   y  = a * tanh(b * x)
//   dx = dy * b * (a - y * y / a)      (= dy * a * b * (1 - tanh(b x)^2))
//
// The gradient reads the forward output, not the input, so ScaledTanh may
// run in place. With a = 1.7159 and b = 2/3 this is LeCun's "scaled tanh".
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/plugin.h"

namespace scaled_tanh {
namespace {

using opgraph::DType;
using opgraph::OperatorBase;
using opgraph::OperatorDef;
using opgraph::Tensor;

constexpr float kDefaultA = 1.7159f;
constexpr float kDefaultB = 2.0f / 3.0f;

// Reads and checks a and b for ScaledTanh and ScaledTanhGradient alike.
absl::Status ReadArgs(const OperatorBase& op, double* a, double* b) {
  *a = op.Arg<float>("a");
  *b = op.Arg<float>("b");
  if (!std::isfinite(*a) || *a == 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'a' must be finite and non-zero, got ", *a));
  }
  if (!std::isfinite(*b)) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'b' must be finite, got ", *b));
  }
  return absl::OkStatus();
}

class ScaledTanhOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  // Argument values: checked once, when the net is created.
  absl::Status Init() override { return ReadArgs(*this, &a_, &b_); }

  // Shapes: the schema's inference has decided them; keep what the run
  // needs. The net has allocated Y already.
  absl::Status Prepare(const opgraph::PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputX).dtype;
    return absl::OkStatus();
  }

  // Only reads X and writes Y: no shape checks, no allocation.
  absl::Status RunOnDevice() override {
    return opgraph::DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Tensor& x = Input(kInputX);
      const T* in = x.data<T>();
      T* out = Output(kOutputY)->mutable_data<T>();
      const T a = static_cast<T>(a_), b = static_cast<T>(b_);
      for (int64_t i = 0, n = x.numel(); i < n; ++i) out[i] = a * std::tanh(b * in[i]);
    });
  }

 private:
  double a_ = kDefaultA;
  double b_ = kDefaultB;
  DType dtype_ = DType::kUndefined;
};

class ScaledTanhGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputY = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kOutputDX = 0;

  absl::Status Init() override { return ReadArgs(*this, &a_, &b_); }

  absl::Status Prepare(const opgraph::PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputY).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return opgraph::DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Tensor& y = Input(kInputY);
      const T* yv = y.data<T>();
      const T* g = Input(kInputDY).data<T>();
      T* out = Output(kOutputDX)->mutable_data<T>();
      const T a = static_cast<T>(a_), b = static_cast<T>(b_);
      const T inv_a = T(1) / a;
      // dx may alias dy (in place), so read g[i] before writing out[i].
      for (int64_t i = 0, n = y.numel(); i < n; ++i) {
        out[i] = g[i] * b * (a - yv[i] * yv[i] * inv_a);
      }
    });
  }

 private:
  double a_ = kDefaultA;
  double b_ = kDefaultB;
  DType dtype_ = DType::kUndefined;
};

class GetScaledTanhGradient final : public opgraph::GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ScaledTanhGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

constexpr char kADoc[] = "Output scale; finite and non-zero.";
constexpr char kBDoc[] = "Input scale; finite.";

}  // namespace

OPERATOR_SCHEMA(ScaledTanh)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .IdenticalTypeAndShape()
    .Arg("a", kDefaultA, kADoc)
    .Arg("b", kDefaultB, kBDoc)
    .Input(0, "X", "Input tensor, float32 or float64.")
    .Output(0, "Y", "a * tanh(b * X), same type and shape as X.")
    .SetDoc("Y = a * tanh(b * X), elementwise.");

OPERATOR_SCHEMA(ScaledTanhGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShapeOfInput(1)
    .Arg("a", kDefaultA, kADoc)
    .Arg("b", kDefaultB, kBDoc)
    .Input(0, "Y", "Output of the forward ScaledTanh.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY * b * (a - Y^2 / a).");

REGISTER_CPU_OPERATOR(ScaledTanh, ScaledTanhOp);
REGISTER_CPU_OPERATOR(ScaledTanhGradient, ScaledTanhGradientOp);
REGISTER_GRADIENT(ScaledTanh, GetScaledTanhGradient);
SHOULD_NOT_DO_GRADIENT(ScaledTanhGradient);

}  // namespace scaled_tanh

// Once per plugin: the entry point LoadPlugin() and `opgraph --plugin` call.
OPGRAPH_PLUGIN_ENTRY();
