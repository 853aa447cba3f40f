// Sum: the elementwise sum of n >= 1 tensors of one type and shape.
//
//   Y = X_0 + X_1 + ... + X_{n-1}
//
// Inputs are added left to right in the input type. Integer sums wrap
// modulo 2^bits (they are computed in the unsigned type, so an overflow is
// not undefined behaviour). Y may be X_0's blob.
//
// Gradient: every input receives dY. A blob that appears k times among the
// inputs receives k * dY, built as a Sum of k copies of dY; a blob that
// appears once receives a Copy of dY.
#include <cstring>
#include <map>
#include <type_traits>

#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

// acc[i] += x[i]; integers wrap.
template <typename T>
void AddInto(const T* x, T* acc, int64_t n) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    for (int64_t i = 0; i < n; ++i) {
      acc[i] = static_cast<T>(static_cast<U>(acc[i]) + static_cast<U>(x[i]));
    }
  } else {
    for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
  }
}

class SumOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kOutputY = 0;

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    const Tensor& x0 = Input(0);
    Tensor* y = Output(kOutputY);
    if (!IsInplace(0, kOutputY) && x0.nbytes() > 0) {
      std::memcpy(y->raw_mutable_data(), x0.raw_data(), x0.nbytes());
    }
    return DispatchDType<float, double, int32_t, int64_t>(
        dtype_, [&](auto tag) { return Accumulate<typename decltype(tag)::type>(y); });
  }

 private:
  DType dtype_ = DType::kUndefined;
  // y already holds X_0; adds the others.
  template <typename T>
  absl::Status Accumulate(Tensor* y) {
    T* acc = y->mutable_data<T>();
    for (int k = 1; k < InputSize(); ++k) AddInto(Input(k).data<T>(), acc, y->numel());
    return absl::OkStatus();
  }
};

class GetSumGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    std::vector<OperatorDef> ops;
    if (GO(0).empty()) return ops;  // no gradient flows into Y
    // How many times each blob is summed, in order of first appearance.
    std::map<std::string, int> count;
    std::vector<int> first;
    for (int i = 0; i < def().input_size(); ++i) {
      if (count[I(i)]++ == 0) first.push_back(i);
    }
    for (int i = 0; i < def().input_size(); ++i) GI(i);
    for (int i : first) {
      const int k = count[I(i)];
      const std::vector<std::string> ins(k, GO(0));
      std::vector<OperatorDef> op =
          SingleGradientDef(k == 1 ? "Copy" : "Sum", "", ins, {I(i) + "_grad"});
      ops.push_back(std::move(op[0]));
    }
    return ops;
  }
  // Sum has no arguments to pass on, and Copy takes none.
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(Sum)
    .NumInputs(1, INT32_MAX)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64})
    .InputsHaveSameTypeAndShape()
    .IdenticalTypeAndShape()
    .Input(0, "X_0", "First addend; the others have its type and shape.")
    .Output(0, "Y", "X_0 + X_1 + ..., same type and shape as X_0.")
    .SetDoc(
        "Elementwise sum of one or more tensors of the same type and shape. Integer sums "
        "wrap modulo 2^bits.");

REGISTER_CPU_OPERATOR(Sum, SumOp);
REGISTER_GRADIENT(Sum, GetSumGradient);
// AddGradientOperators (core/backward.cc) adds gradient parts with Sum.
REGISTER_OP_ROLE(GradientAccumulation, Sum);

}  // namespace opgraph
