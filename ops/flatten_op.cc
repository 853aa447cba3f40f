// Flatten and ResizeLike: operators that only change a tensor's dims.
//
//   Flatten(X, axis)  -> [prod(dims[0, axis)), prod(dims[axis, rank))]
//   ResizeLike(X, L)  -> X's values with L's dims (same element count)
//
// As in Caffe2, `axis` defaults to 1 and may equal the rank (the second dim
// is then 1); ONNX's Flatten means the same at every opset. opgraph
// tensors own their storage (there is no aliasing view), so both copy the
// bytes, or do nothing when run in place. Flatten's gradient is
// ResizeLike(dY, X), Caffe2's choice: the input's dims come from the
// forward input itself.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr int64_t kDefaultAxis = 1;

// Copies the bytes of input 0 into output 0 unless both are one blob.
class CopyBytesOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    if (IsInplace(0, 0)) return absl::OkStatus();
    const Tensor& x = Input(0);
    if (x.nbytes() > 0) std::memcpy(Output(0)->raw_mutable_data(), x.raw_data(), x.nbytes());
    return absl::OkStatus();
  }
};

absl::StatusOr<std::vector<TensorType>> InferFlatten(const OperatorDef& def,
                                                     absl::Span<const TensorType> in) {
  const Argument* a = FindArgument(def, "axis");
  const int64_t axis = a != nullptr ? a->i() : kDefaultAxis;
  const int rank = static_cast<int>(in[0].dims.size());
  // axis == rank is allowed (ONNX: [N, 1]); negative counts from the end.
  const int64_t canonical = axis < 0 ? axis + rank : axis;
  if (canonical < 0 || canonical > rank) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'axis' = ", axis, " is outside [",
                                                   -rank, ", ", rank, "] for input 0 of rank ",
                                                   rank));
  }
  const int c = static_cast<int>(canonical);
  return std::vector<TensorType>{
      {in[0].dtype, {DimsProduct(in[0].dims, 0, c), DimsProduct(in[0].dims, c, rank)}}};
}

absl::StatusOr<std::vector<TensorType>> InferResizeLike(const OperatorDef& /*def*/,
                                                        absl::Span<const TensorType> in) {
  if (DimsProduct(in[0].dims, 0, static_cast<int>(in[0].dims.size())) !=
      DimsProduct(in[1].dims, 0, static_cast<int>(in[1].dims.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("input 0 (", in[0].ToString(), ") and input 1 (",
                                                   in[1].ToString(),
                                                   ") must have the same element count"));
  }
  return std::vector<TensorType>{{in[0].dtype, in[1].dims}};
}

class GetFlattenGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ResizeLike", "", {GO(0), I(0)}, {GI(0)});
  }
  bool CopyArguments() const override { return false; }
};

class GetResizeLikeGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ResizeLike", "", {GO(0), I(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(Flatten)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .TensorInference(InferFlatten)
    .Arg("axis", kDefaultAxis,
         "Dims before axis form the first output dim, dims from axis on the second. Negative "
         "counts from the end; must lie in [-rank, rank].")
    .Input(0, "X", "Input tensor of any type and rank.")
    .Output(0, "Y", "2-D tensor with X's values: [prod(dims[:axis]), prod(dims[axis:])].")
    .SetDoc("Flattens X into a 2-D matrix at `axis` (Caffe2 Flatten, ONNX Flatten).");

OPERATOR_SCHEMA(ResizeLike)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .TensorInference(InferResizeLike)
    .Input(0, "data", "Tensor whose values are taken.")
    .Input(1, "shape_tensor", "Tensor whose dims are taken; same element count as data.")
    .Output(0, "output", "data's values and type with shape_tensor's dims.")
    .SetDoc("Reshapes data to the dims of shape_tensor (Caffe2 ResizeLike).");

REGISTER_CPU_OPERATOR(Flatten, CopyBytesOp);
REGISTER_CPU_OPERATOR(ResizeLike, CopyBytesOp);
REGISTER_GRADIENT(Flatten, GetFlattenGradient);
REGISTER_GRADIENT(ResizeLike, GetResizeLikeGradient);

}  // namespace opgraph
