// SeluSoftmax and SeluSoftmaxGradient: softmax(selu(x)) along one axis, in
// one pass over memory.
//
//   h  = selu(x)          (as the Selu operator, same alpha and scale)
//   y  = exp(h - max h) / sum exp(h - max h)   along `axis`
//   g  = y * (dy - sum y * dy)                  along `axis`
//   dx = g * selu'(x),    selu'(x) = scale if x > 0 else scale * alpha * exp(x)
//
// `axis` is one dimension; every other dimension is independent, as in
// torch.softmax(selu(x), dim=axis). This differs from Caffe2's Softmax,
// which flattens every dim from its axis on into one row: the two agree
// when the axis is the last dim, or every dim after it is 1 (the condition
// under which ops/selu_softmax_fusion.cc fuses Selu followed by Softmax
// into this operator). The result is bit for bit what Selu followed by such a
// Softmax gives (kernels::SeluSoftmaxStrided).
//
// Special values per softmax row are those of Softmax applied to selu(x):
// a NaN or +inf in x makes the row NaN; -inf in x gives selu = -scale *
// alpha, an ordinary finite value.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"
#include "ops/selu_args.h"

namespace opgraph {
namespace {

constexpr int64_t kDefaultAxis = 0;

// Single-thread cost per float32 element, for ParallelFor (about what the
// fused kernels take on the project's machine: forward 0.28-0.32 ns on
// [1024, 1000]), doubled for float64.
constexpr double kForwardNsPerElement = 0.3;
constexpr double kGradientNsPerElement = 0.4;

// [outer, d, inner] of `dims` around `axis` (validated by inference).
struct Split {
  int64_t outer, d, inner;
};
Split SplitAt(const TensorType& type, int64_t axis) {
  const std::vector<int64_t>& dims = type.dims;
  const int ndim = static_cast<int>(dims.size());
  const int a = static_cast<int>(axis < 0 ? axis + ndim : axis);
  return {DimsProduct(dims, 0, a), dims[a], DimsProduct(dims, a + 1, ndim)};
}

class SeluSoftmaxOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return ReadSeluArgs(*this, &alpha_, &scale_);
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputX).dtype;
    split_ = SplitAt(ctx.input(kInputX), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute(Input(kInputX).data<T>(), Output(kOutputY)->mutable_data<T>(), split_);
    });
  }

 private:
  // Split over `outer` only: the kernel's rows at one outer index are
  // interleaved in memory when inner > 1.
  template <typename T>
  void Compute(const T* x, T* y, Split s) const {
    const int64_t block = s.d * s.inner;
    const T alpha = static_cast<T>(alpha_);
    const T scale = static_cast<T>(scale_);
    const double cost = kForwardNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
    ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
      kernels::SeluSoftmaxStrided(x + begin * block, y + begin * block, end - begin, s.d, s.inner,
                                  alpha, scale);
    });
  }

  int64_t axis_ = kDefaultAxis;
  double alpha_ = kSeluDefaultAlpha;
  double scale_ = kSeluDefaultScale;
  DType dtype_ = DType::kUndefined;
  Split split_{0, 0, 0};
};

class SeluSoftmaxGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputY = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kInputX = 2;
  static constexpr int kOutputDX = 0;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return ReadSeluArgs(*this, &alpha_, &scale_);
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputY).dtype;
    split_ = SplitAt(ctx.input(kInputY), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute(Input(kInputY).data<T>(), Input(kInputDY).data<T>(), Input(kInputX).data<T>(),
              Output(kOutputDX)->mutable_data<T>(), split_);
    });
  }

 private:
  template <typename T>
  void Compute(const T* y, const T* dy, const T* x, T* dx, Split s) const {
    const int64_t block = s.d * s.inner;
    const T alpha = static_cast<T>(alpha_);
    const T scale = static_cast<T>(scale_);
    const double cost = kGradientNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
    ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
      const int64_t o = begin * block;
      kernels::SeluSoftmaxGradientStrided(y + o, dy + o, dx + o, end - begin, s.d, s.inner, x + o,
                                          alpha, scale);
    });
  }

  int64_t axis_ = kDefaultAxis;
  double alpha_ = kSeluDefaultAlpha;
  double scale_ = kSeluDefaultScale;
  DType dtype_ = DType::kUndefined;
  Split split_{0, 0, 0};
};

// The gradient reads the forward input as well as the output: selu' is not
// a function of softmax's output.
class GetSeluSoftmaxGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("SeluSoftmaxGradient", "", {O(0), GO(0), I(0)}, {GI(0)});
  }
};

constexpr char kAlphaDoc[] =
    "Coefficient of Selu's negative part, >= 0; the default makes the activation "
    "self-normalizing.";
constexpr char kScaleDoc[] = "Selu's overall scale; must be greater than 1.";
constexpr char kAxisDoc[] =
    "The one dimension the softmax runs along; the others are independent. Negative "
    "counts from the end; must lie in [-rank, rank).";

}  // namespace

OPERATOR_SCHEMA(SeluSoftmax)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(AxisCheckedInference(kDefaultAxis, 0))
    .Arg("alpha", static_cast<float>(kSeluDefaultAlpha), kAlphaDoc)
    .Arg("scale", static_cast<float>(kSeluDefaultScale), kScaleDoc)
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "X", "Input tensor, float32 or float64, of rank >= 1.")
    .Output(0, "Y", "softmax(selu(X)) along axis; same type and shape as X.")
    .SetDoc(
        "Y = softmax(selu(X)) along the single dimension axis (as torch.softmax(selu(X), "
        "dim=axis)), in one pass. Bit for bit equal to Selu followed by Softmax when axis is "
        "the last dim. A softmax row holding NaN or +inf becomes NaN.");

OPERATOR_SCHEMA(SeluSoftmaxGradient)
    .NumInputs(3)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .TensorInference(AxisCheckedInference(kDefaultAxis, 1))
    .Arg("alpha", static_cast<float>(kSeluDefaultAlpha), kAlphaDoc)
    .Arg("scale", static_cast<float>(kSeluDefaultScale), kScaleDoc)
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "Y", "Output of the forward SeluSoftmax.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Input(2, "X", "Input of the forward SeluSoftmax, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to X.")
    .SetDoc(
        "dX = Y * (dY - sum(Y * dY)) * selu'(X) along axis, selu'(X) = scale where X > 0, "
        "else scale * alpha * exp(X).");

REGISTER_CPU_OPERATOR(SeluSoftmax, SeluSoftmaxOp);
REGISTER_CPU_OPERATOR(SeluSoftmaxGradient, SeluSoftmaxGradientOp);
REGISTER_GRADIENT(SeluSoftmax, GetSeluSoftmaxGradient);
SHOULD_NOT_DO_GRADIENT(SeluSoftmaxGradient);

}  // namespace opgraph
