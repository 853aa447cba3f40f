// SoftmaxAlongAxis and SoftmaxAlongAxisGradient: softmax along one axis,
// every other dim independent, as torch.softmax(x, dim=axis) and ONNX's
// Softmax from opset 13.
//
//   y  = exp(x - max) / sum exp(x - max)   along `axis`
//   dx = y * (dy - sum y * dy)              along `axis`
//
// Caffe2's Softmax (ops/softmax_op.cc) flattens every dim from its axis on
// into one row; the two agree only when `axis` is the last dim (or every
// dim after it is 1). This operator has its own name so that Softmax keeps
// Caffe2's meaning. Special values per row are those of Softmax; the rows
// are computed by kernels::SoftmaxStrided (ops/kernels/
// activation_kernels.h states the error bounds) and split over threads by
// whole [d, inner] blocks, so results do not depend on the thread count.
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace {

constexpr int64_t kDefaultAxis = -1;

// Single-thread cost per float32 element for ParallelFor, as Softmax's
// (ops/softmax_op.cc); doubled for float64.
constexpr double kForwardNsPerElement = 0.17;
constexpr double kGradientNsPerElement = 0.3;

// [outer, d, inner] of `type` around `axis` (inference validated the axis).
struct Split {
  int64_t outer = 0, d = 0, inner = 0;
};
Split SplitAt(const TensorType& type, int64_t axis) {
  const std::vector<int64_t>& dims = type.dims;
  const int ndim = static_cast<int>(dims.size());
  const int a = static_cast<int>(axis < 0 ? axis + ndim : axis);
  return {DimsProduct(dims, 0, a), dims[a], DimsProduct(dims, a + 1, ndim)};
}

class SoftmaxAlongAxisOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputX).dtype;
    split_ = SplitAt(ctx.input(kInputX), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = Input(kInputX).template data<T>();
      T* y = Output(kOutputY)->template mutable_data<T>();
      const Split s = split_;
      const int64_t block = s.d * s.inner;
      if (block == 0) return;
      const double cost = kForwardNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
      ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
        kernels::SoftmaxStrided(x + begin * block, y + begin * block, end - begin, s.d, s.inner);
      });
    });
  }

 private:
  int64_t axis_ = kDefaultAxis;
  DType dtype_ = DType::kUndefined;
  Split split_;
};

class SoftmaxAlongAxisGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputY = 0;
  static constexpr int kInputDY = 1;
  static constexpr int kOutputDX = 0;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputY).dtype;
    split_ = SplitAt(ctx.input(kInputY), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* y = Input(kInputY).template data<T>();
      const T* dy = Input(kInputDY).template data<T>();
      T* dx = Output(kOutputDX)->template mutable_data<T>();
      const Split s = split_;
      const int64_t block = s.d * s.inner;
      if (block == 0) return;
      const double cost = kGradientNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
      ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
        const int64_t o = begin * block;
        kernels::SoftmaxGradientStrided(y + o, dy + o, dx + o, end - begin, s.d, s.inner);
      });
    });
  }

 private:
  int64_t axis_ = kDefaultAxis;
  DType dtype_ = DType::kUndefined;
  Split split_;
};

class GetSoftmaxAlongAxisGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("SoftmaxAlongAxisGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

constexpr char kAxisDoc[] =
    "The one dim normalized over; every other dim is independent. Negative counts from the "
    "end; must lie in [-rank, rank).";

}  // namespace

OPERATOR_SCHEMA(SoftmaxAlongAxis)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(AxisCheckedInference(kDefaultAxis, 0))
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "X", "Input tensor, float32 or float64, of rank > axis.")
    .Output(0, "Y", "softmax(X) along axis; same type and shape.")
    .SetDoc(
        "Y = exp(X - max) / sum(exp(X - max)) along the one dim `axis` (torch.softmax(X, "
        "dim=axis), ONNX Softmax from opset 13); unlike Softmax, the dims after axis are not "
        "flattened into the row. Special values per row as Softmax.");

OPERATOR_SCHEMA(SoftmaxAlongAxisGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .TensorInference(AxisCheckedInference(kDefaultAxis, 1))
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "Y", "Output of the forward SoftmaxAlongAxis.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = Y * (dY - sum(Y * dY)) along the one dim `axis`.");

REGISTER_CPU_OPERATOR(SoftmaxAlongAxis, SoftmaxAlongAxisOp);
REGISTER_CPU_OPERATOR(SoftmaxAlongAxisGradient, SoftmaxAlongAxisGradientOp);
REGISTER_GRADIENT(SoftmaxAlongAxis, GetSoftmaxAlongAxisGradient);
SHOULD_NOT_DO_GRADIENT(SoftmaxAlongAxisGradient);

}  // namespace opgraph
