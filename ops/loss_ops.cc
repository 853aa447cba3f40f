// SoftmaxWithLoss, SoftmaxWithLossGradient and Accuracy: the classification
// loss and metric of a training step, as Caffe2 defines them.
//
//   SoftmaxWithLoss(X [N, D], labels int32 [N] or [N, 1]) -> P [N, D], loss []
//     P[i, :] = softmax(X[i, :])
//     loss    = scale * mean_i( -log P[i, labels[i]] )
//   The loss is computed as logsumexp(X[i]) - X[i, label] with the row
//   maximum subtracted, so it stays finite where P underflows (Caffe2 clamps
//   P at 1e-20 instead; the values agree wherever P[label] > 1e-20).
//
//   SoftmaxWithLossGradient(X, labels, P, dloss) -> dX
//     dX[i, j] = dloss * scale / N * (P[i, j] - [j == labels[i]])
//
//   Accuracy(P [N, D], labels int32 [N]) -> float32 []: the fraction of rows
//   whose label is among the top_k scores. A class ties with the label's
//   score counts as ranking above it when its index is lower (Caffe2's rule).
//
// A label outside [0, D) is an InvalidArgument error at run time, naming the
// row and the value; labels are data, so no earlier check can see them.
#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

// Checks X [N, D] and labels [N] or [N, 1]; returns N and D.
absl::Status CheckLogitsAndLabels(const TensorType& x, const TensorType& labels, int64_t* n,
                                  int64_t* d) {
  if (x.dims.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("X is ", x.ToString(), "; expected a matrix [N, D]"));
  }
  *n = x.dims[0];
  *d = x.dims[1];
  const bool shape_ok = (labels.dims.size() == 1 && labels.dims[0] == *n) ||
                        (labels.dims.size() == 2 && labels.dims[0] == *n && labels.dims[1] == 1);
  if (labels.dtype != DType::kInt32 || !shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels are ", labels.ToString(), "; expected int32[", *n, "] or int32[", *n, ", 1]"));
  }
  if (*d < 1)
    return absl::InvalidArgumentError(absl::StrCat("X ", x.ToString(), " has no classes"));
  return absl::OkStatus();
}

absl::Status CheckLabel(int64_t row, int32_t label, int64_t d) {
  if (label < 0 || label >= d) {
    return absl::InvalidArgumentError(
        absl::StrCat("label of row ", row, " is ", label, "; expected 0 to ", d - 1));
  }
  return absl::OkStatus();
}

class SoftmaxWithLossOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override {
    scale_ = Arg<float>("scale");
    if (!std::isfinite(scale_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'scale' must be finite, got ", scale_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return CheckLogitsAndLabels(ctx.input(0), ctx.input(1), &n_, &d_);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Compute<typename decltype(tag)::type>(n_, d_); });
  }

 private:
  template <typename T>
  absl::Status Compute(int64_t n, int64_t d) {
    const T* x = Input(0).template data<T>();
    const int32_t* labels = Input(1).template data<int32_t>();
    T* p = Output(0)->template mutable_data<T>();
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      absl::Status s = CheckLabel(i, labels[i], d);
      if (!s.ok()) return s;
      const T* xr = x + i * d;
      T* pr = p + i * d;
      const T mx = *std::max_element(xr, xr + d);
      T sum = 0;
      for (int64_t j = 0; j < d; ++j) {
        pr[j] = std::exp(xr[j] - mx);
        sum += pr[j];
      }
      const T inv = T(1) / sum;
      for (int64_t j = 0; j < d; ++j) pr[j] *= inv;
      total += static_cast<double>(std::log(sum) - (xr[labels[i]] - mx));
    }
    *Output(1)->template mutable_data<T>() =
        static_cast<T>(n > 0 ? scale_ * total / static_cast<double>(n) : 0.0);
    return absl::OkStatus();
  }
  double scale_ = 1.0;
  DType dtype_ = DType::kUndefined;
  int64_t n_ = 0, d_ = 0;
};

class SoftmaxWithLossGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0, kInputLabels = 1, kInputP = 2, kInputDLoss = 3;
  absl::Status Init() override {
    scale_ = Arg<float>("scale");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(kInputP).dtype;
    return CheckLogitsAndLabels(ctx.input(kInputP), ctx.input(kInputLabels), &n_, &d_);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Compute<typename decltype(tag)::type>(n_, d_); });
  }

 private:
  template <typename T>
  absl::Status Compute(int64_t n, int64_t d) {
    const int32_t* labels = Input(kInputLabels).template data<int32_t>();
    const T* p = Input(kInputP).template data<T>();
    const T g = *Input(kInputDLoss).template data<T>();
    T* dx = Output(0)->template mutable_data<T>();
    const T factor = static_cast<T>(scale_ / static_cast<double>(std::max<int64_t>(n, 1))) * g;
    for (int64_t i = 0; i < n; ++i) {
      absl::Status s = CheckLabel(i, labels[i], d);
      if (!s.ok()) return s;
      for (int64_t j = 0; j < d; ++j) dx[i * d + j] = factor * p[i * d + j];
      dx[i * d + labels[i]] -= factor;
    }
    return absl::OkStatus();
  }
  double scale_ = 1.0;
  DType dtype_ = DType::kUndefined;
  int64_t n_ = 0, d_ = 0;
};

// Only the loss carries a gradient. A gradient flowing into P would need
// the softmax Jacobian as well; rather than drop it silently, refuse.
class GetSoftmaxWithLossGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (!GO(0).empty()) {
      return absl::UnimplementedError(
          absl::StrCat("output P ('", O(0), "') has a gradient (", GO(0),
                       "); only the loss output may be differentiated; use Softmax for P"));
    }
    if (GO(1).empty()) return std::vector<OperatorDef>{};
    return SingleGradientDef("SoftmaxWithLossGradient", "", {I(0), I(1), O(0), GO(1)}, {GI(0)});
  }
};

class AccuracyOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override {
    top_k_ = Arg<int64_t>("top_k");
    if (top_k_ < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'top_k' must be >= 1, got ", top_k_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return CheckLogitsAndLabels(ctx.input(0), ctx.input(1), &n_, &d_);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_,
                         [&](auto tag) { return Compute<typename decltype(tag)::type>(n_, d_); });
  }

 private:
  template <typename T>
  absl::Status Compute(int64_t n, int64_t d) {
    const T* p = Input(0).template data<T>();
    const int32_t* labels = Input(1).template data<int32_t>();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      absl::Status s = CheckLabel(i, labels[i], d);
      if (!s.ok()) return s;
      const T* row = p + i * d;
      const T target = row[labels[i]];
      int64_t above = 0;
      for (int64_t j = 0; j < d; ++j) {
        if (row[j] > target || (row[j] == target && j < labels[i])) ++above;
      }
      if (above < top_k_) ++correct;
    }
    *Output(0)->mutable_data<float>() =
        n > 0 ? static_cast<float>(static_cast<double>(correct) / static_cast<double>(n)) : 0.f;
    return absl::OkStatus();
  }
  int64_t top_k_ = 1;
  DType dtype_ = DType::kUndefined;
  int64_t n_ = 0, d_ = 0;
};

constexpr char kScaleDoc[] = "Multiplies the loss (and its gradient).";

}  // namespace

OPERATOR_SCHEMA(SoftmaxWithLoss)
    .NumInputs(2)
    .NumOutputs(2)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("scale", 1.0f, kScaleDoc)
    .TensorInference([](const OperatorDef&, absl::Span<const TensorType> in)
                         -> absl::StatusOr<std::vector<TensorType>> {
      int64_t n = 0, d = 0;
      absl::Status s = CheckLogitsAndLabels(in[0], in[1], &n, &d);
      if (!s.ok()) return s;
      return std::vector<TensorType>{in[0], TensorType{in[0].dtype, {}}};
    })
    .Input(0, "X", "Logits [N, D], float32 or float64.")
    .Input(1, "labels", "Class of each row, int32 [N] or [N, 1], in [0, D).")
    .Output(0, "P", "softmax(X) along the rows, [N, D].")
    .Output(1, "loss", "scale * mean cross-entropy, a scalar (dims []).")
    .SetDoc("Softmax followed by the mean cross-entropy against integer labels.");

OPERATOR_SCHEMA(SoftmaxWithLossGradient)
    .NumInputs(4)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("scale", 1.0f, kScaleDoc)
    .TensorInference([](const OperatorDef&, absl::Span<const TensorType> in)
                         -> absl::StatusOr<std::vector<TensorType>> {
      int64_t n = 0, d = 0;
      absl::Status s = CheckLogitsAndLabels(in[2], in[1], &n, &d);
      if (!s.ok()) return s;
      if (in[2] != in[0]) {
        return absl::InvalidArgumentError(
            absl::StrCat("P is ", in[2].ToString(), " but X is ", in[0].ToString()));
      }
      if (in[3].dtype != in[0].dtype || !in[3].dims.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dloss is ", in[3].ToString(), "; expected a ", DTypeName(in[0].dtype), " scalar []"));
      }
      return std::vector<TensorType>{in[0]};
    })
    .Input(0, "X", "Forward logits.")
    .Input(1, "labels", "Forward labels.")
    .Input(2, "P", "Forward softmax output.")
    .Input(3, "dloss", "Gradient of the loss, a scalar.")
    .Output(0, "dX", "Gradient of the logits.")
    .SetDoc("dX = dloss * scale / N * (P - onehot(labels)).");

OPERATOR_SCHEMA(Accuracy)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("top_k", 1, "A row counts as correct when its label ranks among the top_k scores.")
    .TensorInference([](const OperatorDef&, absl::Span<const TensorType> in)
                         -> absl::StatusOr<std::vector<TensorType>> {
      int64_t n = 0, d = 0;
      absl::Status s = CheckLogitsAndLabels(in[0], in[1], &n, &d);
      if (!s.ok()) return s;
      return std::vector<TensorType>{TensorType{DType::kFloat32, {}}};
    })
    .Input(0, "P", "Scores [N, D] (probabilities or logits).")
    .Input(1, "labels", "int32 [N] or [N, 1].")
    .Output(0, "accuracy", "float32 scalar in [0, 1].")
    .SetDoc("Fraction of rows whose label is among the top_k scores.");

REGISTER_CPU_OPERATOR(SoftmaxWithLoss, SoftmaxWithLossOp);
REGISTER_CPU_OPERATOR(SoftmaxWithLossGradient, SoftmaxWithLossGradientOp);
REGISTER_CPU_OPERATOR(Accuracy, AccuracyOp);
REGISTER_GRADIENT(SoftmaxWithLoss, GetSoftmaxWithLossGradient);
SHOULD_NOT_DO_GRADIENT(SoftmaxWithLossGradient);
NO_GRADIENT(Accuracy);

}  // namespace opgraph
