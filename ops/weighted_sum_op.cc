// WeightedSum: Y = w_0 * X_0 + w_1 * X_1 + ... (Caffe2 WeightedSum).
//
// Inputs come in pairs (X_i, w_i): every X_i has X_0's type and shape, and
// every w_i holds one element of that type. Y may be X_0's blob, which is
// how a plain SGD step is written:
//   param = WeightedSum(param, one, param_grad, minus_lr)
// In place, each element is read before it is written, so the result is the
// same as out of place.
//
// No gradient is registered (it serves parameter updates, which lie outside
// any loss path): asking for one is a FailedPrecondition error naming it,
// never a silently missing gradient.
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

class WeightedSumOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) { return Compute<typename decltype(tag)::type>(); });
  }

 private:
  DType dtype_ = DType::kUndefined;
  template <typename T>
  absl::Status Compute() {
    const int64_t n = Input(0).numel();
    T* y = Output(0)->template mutable_data<T>();
    // The first term overwrites; later terms accumulate. Reading X_0 before
    // writing Y[i] keeps the in-place case exact.
    const T w0 = *Input(1).template data<T>();
    const T* x0 = Input(0).template data<T>();
    for (int64_t i = 0; i < n; ++i) y[i] = w0 * x0[i];
    for (int k = 2; k < InputSize(); k += 2) {
      const T* x = Input(k).template data<T>();
      const T w = *Input(k + 1).template data<T>();
      for (int64_t i = 0; i < n; ++i) y[i] += w * x[i];
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<std::vector<TensorType>> InferWeightedSum(const OperatorDef&,
                                                         absl::Span<const TensorType> in) {
  if (in.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("inputs come in pairs (X_i, w_i); got ", in.size(), " inputs"));
  }
  for (size_t i = 0; i < in.size(); i += 2) {
    if (in[i] != in[0]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "X_", i / 2, " (input ", i, ") is ", in[i].ToString(), " but X_0 is ", in[0].ToString()));
    }
    const TensorType& w = in[i + 1];
    int64_t numel = 1;
    for (int64_t d : w.dims) numel *= d;
    if (w.dtype != in[0].dtype || numel != 1) {
      return absl::InvalidArgumentError(absl::StrCat("w_", i / 2, " (input ", i + 1, ") is ",
                                                     w.ToString(), "; expected one ",
                                                     DTypeName(in[0].dtype), " element"));
    }
  }
  return std::vector<TensorType>{in[0]};
}

}  // namespace

OPERATOR_SCHEMA(WeightedSum)
    .NumInputs(2, INT32_MAX)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .TensorInference(InferWeightedSum)
    .Input(0, "X_0", "First tensor; every X_i has its type and shape.")
    .Input(1, "w_0", "Weight of X_0: one element of X_0's type.")
    .Output(0, "Y", "sum_i w_i * X_i; may be X_0's blob.")
    .SetDoc("Y = w_0 * X_0 + w_1 * X_1 + ...; inputs alternate tensor, 1-element weight.");

REGISTER_CPU_OPERATOR(WeightedSum, WeightedSumOp);
SHOULD_NOT_DO_GRADIENT(WeightedSum);

}  // namespace opgraph
