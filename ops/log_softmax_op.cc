// LogSoftmax and LogSoftmaxAlongAxis, with their gradients: the logarithm
// of softmax, computed stably as
//
//   y  = x - max - log(sum exp(x - max))   over one row
//   dx = dy - exp(y) * sum(dy)              over the same row
//
// Rows are chosen as the two softmax operators choose them:
//   LogSoftmax (axis default 1), as Softmax (ops/softmax_op.cc) and ONNX's
//     LogSoftmax before opset 13: the dims before axis index the rows, the
//     dims from axis on are flattened into one row;
//   LogSoftmaxAlongAxis (axis default -1), as SoftmaxAlongAxis and ONNX's
//     LogSoftmax from opset 13: one row along the dim `axis`, every other
//     dim independent.
// The two agree when axis is the last dim. Both call the SIMD kernels of
// ops/kernels/log_softmax_kernels.h (error bounds and special values are
// stated there), split over threads by whole rows or [d, inner] blocks, so
// results do not depend on the thread count.
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "ops/kernels/log_softmax_kernels.h"

namespace opgraph {
namespace {

// Single-thread cost per float32 element for ParallelFor, about Softmax's;
// doubled for float64.
constexpr double kForwardNsPerElement = 0.17;
constexpr double kGradientNsPerElement = 0.3;

enum class Rows { kFlattened, kAlongAxis };

template <Rows kRows>
constexpr int64_t DefaultAxis() {
  return kRows == Rows::kFlattened ? 1 : -1;
}

struct Split {
  int64_t outer = 0, d = 0, inner = 0;
};

template <Rows kRows>
Split SplitAt(const TensorType& type, int64_t axis) {
  const std::vector<int64_t>& dims = type.dims;
  const int ndim = static_cast<int>(dims.size());
  const int a = static_cast<int>(axis < 0 ? axis + ndim : axis);
  if (kRows == Rows::kFlattened) return {DimsProduct(dims, 0, a), DimsProduct(dims, a, ndim), 1};
  return {DimsProduct(dims, 0, a), dims[a], DimsProduct(dims, a + 1, ndim)};
}

template <Rows kRows>
class LogSoftmaxOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    split_ = SplitAt<kRows>(ctx.input(0), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = Input(0).template data<T>();
      T* y = Output(0)->template mutable_data<T>();
      const Split s = split_;
      const int64_t block = s.d * s.inner;
      if (block == 0) return;
      const double cost = kForwardNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
      ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
        kernels::LogSoftmaxStrided(x + begin * block, y + begin * block, end - begin, s.d, s.inner);
      });
    });
  }

 private:
  int64_t axis_ = DefaultAxis<kRows>();
  DType dtype_ = DType::kUndefined;
  Split split_;
};

template <Rows kRows>
class LogSoftmaxGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override {
    axis_ = Arg<int64_t>("axis");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    split_ = SplitAt<kRows>(ctx.input(0), axis_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* y = Input(0).template data<T>();
      const T* dy = Input(1).template data<T>();
      T* dx = Output(0)->template mutable_data<T>();
      const Split s = split_;
      const int64_t block = s.d * s.inner;
      if (block == 0) return;
      const double cost = kGradientNsPerElement * static_cast<double>(block) * (sizeof(T) / 4);
      ParallelFor(NumThreads(), s.outer, cost, [&](int64_t begin, int64_t end) {
        const int64_t o = begin * block;
        kernels::LogSoftmaxGradientStrided(y + o, dy + o, dx + o, end - begin, s.d, s.inner);
      });
    });
  }

 private:
  int64_t axis_ = DefaultAxis<kRows>();
  DType dtype_ = DType::kUndefined;
  Split split_;
};

class GetLogSoftmaxGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("LogSoftmaxGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

class GetLogSoftmaxAlongAxisGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("LogSoftmaxAlongAxisGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

constexpr char kFlattenedAxisDoc[] =
    "Dims before axis index the rows; dims from axis on are flattened into one row. Negative "
    "counts from the end; must lie in [-rank, rank).";
constexpr char kAlongAxisDoc[] =
    "The one dim normalized over; every other dim is independent. Negative counts from the "
    "end; must lie in [-rank, rank).";

}  // namespace

OPERATOR_SCHEMA(LogSoftmax)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(AxisCheckedInference(DefaultAxis<Rows::kFlattened>(), 0))
    .Arg("axis", DefaultAxis<Rows::kFlattened>(), kFlattenedAxisDoc)
    .Input(0, "X", "Input tensor, float32 or float64, of rank > axis.")
    .Output(0, "Y", "log(softmax(X)) over the flattened rows; same type and shape.")
    .SetDoc(
        "Y = X - max - log(sum(exp(X - max))) over rows flattened from `axis` on, as Softmax "
        "(ONNX LogSoftmax before opset 13).");

OPERATOR_SCHEMA(LogSoftmaxGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .TensorInference(AxisCheckedInference(DefaultAxis<Rows::kFlattened>(), 1))
    .Arg("axis", DefaultAxis<Rows::kFlattened>(), kFlattenedAxisDoc)
    .Input(0, "Y", "Output of the forward LogSoftmax.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY - exp(Y) * sum(dY) over each flattened row.");

OPERATOR_SCHEMA(LogSoftmaxAlongAxis)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(AxisCheckedInference(DefaultAxis<Rows::kAlongAxis>(), 0))
    .Arg("axis", DefaultAxis<Rows::kAlongAxis>(), kAlongAxisDoc)
    .Input(0, "X", "Input tensor, float32 or float64, of rank > axis.")
    .Output(0, "Y", "log(softmax(X)) along axis; same type and shape.")
    .SetDoc(
        "Y = X - max - log(sum(exp(X - max))) along the one dim `axis` "
        "(torch.log_softmax(X, dim=axis), ONNX LogSoftmax from opset 13).");

OPERATOR_SCHEMA(LogSoftmaxAlongAxisGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .TensorInference(AxisCheckedInference(DefaultAxis<Rows::kAlongAxis>(), 1))
    .Arg("axis", DefaultAxis<Rows::kAlongAxis>(), kAlongAxisDoc)
    .Input(0, "Y", "Output of the forward LogSoftmaxAlongAxis.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = dY - exp(Y) * sum(dY) along the one dim `axis`.");

REGISTER_CPU_OPERATOR(LogSoftmax, LogSoftmaxOp<Rows::kFlattened>);
REGISTER_CPU_OPERATOR(LogSoftmaxGradient, LogSoftmaxGradientOp<Rows::kFlattened>);
REGISTER_CPU_OPERATOR(LogSoftmaxAlongAxis, LogSoftmaxOp<Rows::kAlongAxis>);
REGISTER_CPU_OPERATOR(LogSoftmaxAlongAxisGradient, LogSoftmaxGradientOp<Rows::kAlongAxis>);
REGISTER_GRADIENT(LogSoftmax, GetLogSoftmaxGradient);
REGISTER_GRADIENT(LogSoftmaxAlongAxis, GetLogSoftmaxAlongAxisGradient);
SHOULD_NOT_DO_GRADIENT(LogSoftmaxGradient);
SHOULD_NOT_DO_GRADIENT(LogSoftmaxAlongAxisGradient);

}  // namespace opgraph
