// Reshape: X's values under new dims, Caffe2's ReshapeOp.
//
// The new shape is the `shape` argument or, instead, input 1 (a 1-D int32
// or int64 tensor, which must be constant: an initializer or init-net blob,
// since opgraph fixes every shape when the net is created). In it a 0
// copies the input's dim at the same index and one -1 is inferred from the
// element count. Output 1, old_shape, is X's dims as int64.
//
// opgraph tensors own their storage (no aliasing views), so Reshape copies
// the bytes, or does nothing when run in place. The gradient is
// ResizeLike(dY, X) rather than Caffe2's Reshape(dY, old_shape): old_shape
// is computed by the net, and a shape the net computes cannot fix a shape
// at creation.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr int kInputX = 0;
constexpr int kInputShape = 1;

// The requested shape, from the argument or from input 1's value.
absl::StatusOr<std::vector<int64_t>> RequestedShape(const OperatorDef& def,
                                                    absl::Span<const TensorType> in,
                                                    absl::Span<const Tensor* const> values) {
  const Argument* arg = FindArgument(def, "shape");
  if (in.size() > 1) {
    if (arg != nullptr) {
      return absl::InvalidArgumentError(
          "the new shape is given both by the argument 'shape' and by input 1; give one");
    }
    const TensorType& t = in[kInputShape];
    if (t.dims.size() != 1 || (t.dtype != DType::kInt64 && t.dtype != DType::kInt32)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input 1 (the new shape) must be a 1-D int64 or int32 tensor, got ", t.ToString()));
    }
    const Tensor* v = values.size() > 1 ? values[kInputShape] : nullptr;
    if (v == nullptr) {
      return absl::InvalidArgumentError(
          "input 1 (the new shape) must be constant (fed, or made by an init net, and not "
          "written by this net): the output shape is fixed when the net is created");
    }
    std::vector<int64_t> shape(v->numel());
    for (int64_t i = 0; i < v->numel(); ++i) {
      shape[i] = v->dtype() == DType::kInt64 ? v->data<int64_t>()[i] : v->data<int32_t>()[i];
    }
    return shape;
  }
  if (arg == nullptr) {
    return absl::InvalidArgumentError(
        "the new shape is missing: give the argument 'shape' or input 1");
  }
  return std::vector<int64_t>(arg->ints().begin(), arg->ints().end());
}

absl::StatusOr<std::vector<TensorType>> InferReshape(const OperatorDef& def,
                                                     absl::Span<const TensorType> in,
                                                     absl::Span<const Tensor* const> values) {
  absl::StatusOr<std::vector<int64_t>> requested = RequestedShape(def, in, values);
  if (!requested.ok()) return requested.status();
  const std::vector<int64_t>& old_dims = in[kInputX].dims;
  const int old_rank = static_cast<int>(old_dims.size());
  const int64_t numel = DimsProduct(old_dims, 0, old_rank);
  std::vector<int64_t> dims = *requested;
  const std::string shown = absl::StrCat("[", absl::StrJoin(*requested, ", "), "]");
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) {
      if (static_cast<int>(i) >= old_rank) {
        return absl::InvalidArgumentError(
            absl::StrCat("new shape ", shown, " copies dim ", i, " (a 0) but input 0 (",
                         in[kInputX].ToString(), ") has only ", old_rank, " dims"));
      }
      dims[i] = old_dims[i];
    } else if (dims[i] == -1) {
      if (unknown >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("new shape ", shown, " has more than one -1"));
      }
      unknown = static_cast<int>(i);
      continue;
    } else if (dims[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat("new shape ", shown, " has dim ", dims[i],
                                                     " at ", i, " (allowed: >= 0, or -1 once)"));
    }
    // Dims were checked against the tensor limits when X was made; a product
    // that grows past numel can stop early without overflowing.
    if (dims[i] != 0 && known > numel / dims[i] + 1) {
      return absl::InvalidArgumentError(absl::StrCat("new shape ", shown, " holds more than the ",
                                                     numel, " elements of input 0 (",
                                                     in[kInputX].ToString(), ")"));
    }
    known *= dims[i];
  }
  if (unknown >= 0) {
    if (known == 0 || numel % known != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("new shape ", shown, ": the -1 cannot be inferred for the ", numel,
                       " elements of input 0 (", in[kInputX].ToString(), ")"));
    }
    dims[unknown] = numel / known;
  } else if (known != numel) {
    return absl::InvalidArgumentError(absl::StrCat("new shape ", shown, " has ", known,
                                                   " elements, input 0 (", in[kInputX].ToString(),
                                                   ") has ", numel));
  }
  std::vector<TensorType> out = {{in[kInputX].dtype, dims}};
  if (def.output_size() > 1) out.push_back({DType::kInt64, {old_rank}});
  return out;
}

class ReshapeOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    old_dims_ = ctx.input(kInputX).dims;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    const Tensor& x = Input(kInputX);
    if (OutputSize() > 1) {
      // Written first: output 1 cannot be X's blob (Verify refuses it).
      int64_t* old = Output(1)->mutable_data<int64_t>();
      for (size_t i = 0; i < old_dims_.size(); ++i) old[i] = old_dims_[i];
    }
    if (IsInplace(kInputX, 0)) return absl::OkStatus();
    if (x.nbytes() > 0) std::memcpy(Output(0)->raw_mutable_data(), x.raw_data(), x.nbytes());
    return absl::OkStatus();
  }

 private:
  std::vector<int64_t> old_dims_;
};

class GetReshapeGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("ResizeLike", "", {GO(0), I(0)}, {GI(0)});
  }
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(Reshape)
    .NumInputs(1, 2)
    .NumOutputs(1, 2)
    .AllowInplace({{0, 0}})
    .ValueDependentInference(InferReshape)
    .Arg("shape", ArgKind::kInts,
         "The new dims: 0 copies the input dim at that index, one -1 is inferred. Give this or "
         "input 1, not both.")
    .Input(0, "data", "Tensor of any type.")
    .Input(1, "new_shape",
           "Optional: the new dims as a constant 1-D int64 or int32 tensor (same rules as "
           "'shape').")
    .Output(0, "reshaped", "data's values and type with the new dims.")
    .Output(1, "old_shape", "Optional: data's dims, 1-D int64.")
    .SetDoc(
        "Reshapes data (Caffe2 Reshape; ONNX Reshape with allowzero = 0). The element count "
        "must not change.");

REGISTER_CPU_OPERATOR(Reshape, ReshapeOp);
REGISTER_GRADIENT(Reshape, GetReshapeGradient);

}  // namespace opgraph
