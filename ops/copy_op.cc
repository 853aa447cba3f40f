// Copy: Y = X, any dtype, strings included (element by element).
//
// Its own gradient is a Copy of the output gradient. Other gradient makers
// (Sum's) use it to hand one gradient blob on under another name, since a
// gradient maker cannot choose the names of the input gradients.
#include <cstring>
#include <string>

#include "core/registry.h"

namespace opgraph {
namespace {

class CopyOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0;
  static constexpr int kOutputY = 0;

  absl::Status RunOnDevice() override {
    if (IsInplace(kInputX, kOutputY)) return absl::OkStatus();
    const Tensor& x = Input(kInputX);
    if (x.dtype() == DType::kString) {
      const std::string* from = x.data<std::string>();
      std::string* to = Output(kOutputY)->mutable_data<std::string>();
      for (int64_t i = 0; i < x.numel(); ++i) to[i] = from[i];
      return absl::OkStatus();
    }
    CopyBytes(x.raw_data(), Output(kOutputY)->raw_mutable_data(), x.nbytes());
    return absl::OkStatus();
  }

 private:
  static void CopyBytes(const void* from, void* to, size_t n) {
    if (n > 0) std::memcpy(to, from, n);  // an empty tensor may hold no storage
  }
};

class GetCopyGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (GO(0).empty()) return std::vector<OperatorDef>{};
    return SingleGradientDef("Copy", "", {GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Copy)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .IdenticalTypeAndShape()
    .AcceptsStrings()
    .Input(0, "X", "Input tensor of any type, string included.")
    .Output(0, "Y", "A copy of X: same type, shape and values.")
    .SetDoc("Y = X. In place it does nothing.");

REGISTER_CPU_OPERATOR(Copy, CopyOp);
REGISTER_GRADIENT(Copy, GetCopyGradient);

}  // namespace opgraph
