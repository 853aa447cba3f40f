// Softmax and SoftmaxGradient, with Caffe2's semantics.
//
// The input is seen as a matrix [N, D]: N is the product of the dims before
// `axis`, D the product of the dims from `axis` on. Each row becomes
//
//   y_j  = exp(x_j - max_k x_k) / sum_k exp(x_k - max_k x_k)
//   dx_j = y_j * (dy_j - sum_k y_k * dy_k)          (the gradient)
//
// N or D of zero is valid and gives an empty output of the input's shape.
//
// Special values follow what PyTorch's torch.softmax returns (which is what
// the formula above gives in IEEE arithmetic), row by row:
//   - any NaN in a row            -> the whole row is NaN;
//   - any +inf in a row           -> the whole row is NaN (inf - inf);
//   - a row of only -inf          -> the whole row is NaN (-inf - -inf);
//   - -inf among finite values    -> exactly 0 there, the rest as usual.
// Large finite values (1e30) are fine: subtracting the maximum keeps every
// exponent <= 0.
//
// The rows are computed by the SIMD kernels of ops/kernels/
// activation_kernels.h, whose header states their error bounds, and split
// over the workspace's threads (core/parallel.h) by whole rows, so results
// do not depend on the thread count.
#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace {

constexpr int64_t kDefaultAxis = 1;

// Single-thread cost per element, for ParallelFor: about what the kernels
// take per float32 element on the project's machine (forward 0.15-0.2 ns on
// [1024, 1000], gradient about 0.3 ns), doubled for float64.
constexpr double kSoftmaxNsPerElement = 0.17;
constexpr double kSoftmaxGradientNsPerElement = 0.3;

// N and D for a tensor of `type` split at `axis` (inference validated it).
void RowsAndCols(const TensorType& type, int64_t axis, int64_t* n, int64_t* d) {
  const int ndim = static_cast<int>(type.dims.size());
  const int a = static_cast<int>(axis < 0 ? axis + ndim : axis);
  *n = DimsProduct(type.dims, 0, a);
  *d = DimsProduct(type.dims, a, ndim);
}

class SoftmaxOp final : public OperatorBase {
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
    RowsAndCols(ctx.input(kInputX), axis_, &n_, &d_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute(Input(kInputX).data<T>(), Output(kOutputY)->mutable_data<T>());
    });
  }

 private:
  template <typename T>
  void Compute(const T* x, T* y) const {
    const int64_t d = d_;
    if (d == 0) return;
    const double row_cost = kSoftmaxNsPerElement * static_cast<double>(d) * (sizeof(T) / 4);
    ParallelFor(NumThreads(), n_, row_cost, [&](int64_t begin, int64_t end) {
      kernels::Softmax(x + begin * d, y + begin * d, end - begin, d);
    });
  }

  int64_t axis_ = kDefaultAxis;
  DType dtype_ = DType::kUndefined;
  int64_t n_ = 0, d_ = 0;
};

class SoftmaxGradientOp final : public OperatorBase {
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
    RowsAndCols(ctx.input(kInputY), axis_, &n_, &d_);
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute(Input(kInputY).data<T>(), Input(kInputDY).data<T>(),
              Output(kOutputDX)->mutable_data<T>());
    });
  }

 private:
  template <typename T>
  void Compute(const T* y, const T* dy, T* dx) const {
    const int64_t d = d_;
    if (d == 0) return;
    const double row_cost = kSoftmaxGradientNsPerElement * static_cast<double>(d) * (sizeof(T) / 4);
    ParallelFor(NumThreads(), n_, row_cost, [&](int64_t begin, int64_t end) {
      kernels::SoftmaxGradient(y + begin * d, dy + begin * d, dx + begin * d, end - begin, d);
    });
  }

  int64_t axis_ = kDefaultAxis;
  DType dtype_ = DType::kUndefined;
  int64_t n_ = 0, d_ = 0;
};

class GetSoftmaxGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("SoftmaxGradient", "", {O(0), GO(0)}, {GI(0)});
  }
};

constexpr char kAxisDoc[] =
    "First dim of the softmax rows: dims before it are rows, dims from it on are "
    "flattened into one row. Negative counts from the end; must lie in [-rank, rank).";

}  // namespace

OPERATOR_SCHEMA(Softmax)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(AxisCheckedInference(kDefaultAxis, 0))
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "X", "Input tensor, float32 or float64, of rank > axis.")
    .Output(0, "Y", "softmax(X) along the flattened dims from axis on; same type and shape.")
    .SetDoc(
        "Y = exp(X - max) / sum(exp(X - max)) over each row of X seen as [N, D]. A row "
        "holding NaN or +inf, or only -inf, becomes NaN; -inf among finite values gives 0.");

OPERATOR_SCHEMA(SoftmaxGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{1, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .InputsHaveSameTypeAndShape()
    .TensorInference(AxisCheckedInference(kDefaultAxis, 1))
    .Arg("axis", kDefaultAxis, kAxisDoc)
    .Input(0, "Y", "Output of the forward Softmax.")
    .Input(1, "dY", "Gradient with respect to Y, same type and shape as Y.")
    .Output(0, "dX", "Gradient with respect to the forward input.")
    .SetDoc("dX = Y * (dY - sum(Y * dY)) over each row of Y seen as [N, D].");

REGISTER_CPU_OPERATOR(Softmax, SoftmaxOp);
REGISTER_CPU_OPERATOR(SoftmaxGradient, SoftmaxGradientOp);
REGISTER_GRADIENT(Softmax, GetSoftmaxGradient);
SHOULD_NOT_DO_GRADIENT(SoftmaxGradient);

}  // namespace opgraph
