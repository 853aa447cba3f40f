// Accuracy: the classification metric of a training step, as Caffe2
// defines it (SoftmaxWithLoss is in softmax_with_loss_op.cc).
//
//   Accuracy(P [N, D], labels int32 [N]) -> float32 []: the fraction of rows
//   whose label is among the top_k scores. A class ties with the label's
//   score counts as ranking above it when its index is lower (Caffe2's rule).
//   An empty batch (N = 0) gives 0; Caffe2 divides 0 by 0 and gives NaN.
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

}  // namespace

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

REGISTER_CPU_OPERATOR(Accuracy, AccuracyOp);
NO_GRADIENT(Accuracy);

}  // namespace opgraph
