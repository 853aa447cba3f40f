// Transpose: Y[i_axes[0], ..., i_axes[r-1]] = X[i_0, ..., i_{r-1}], i.e.
// Y.dims[k] = X.dims[axes[k]], Caffe2's TransposeOp (ONNX names `axes`
// `perm`). Without `axes` the dims are reversed. Any rank and any element
// type: elements are moved as bytes of their size. The gradient is the
// transpose by the inverse permutation.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"

namespace opgraph {
namespace {

// The permutation for `rank` from the definition, or InvalidArgument.
absl::StatusOr<std::vector<int>> Permutation(const OperatorDef& def, int rank) {
  std::vector<int> perm(rank);
  const Argument* axes = FindArgument(def, "axes");
  if (axes == nullptr || axes->ints_size() == 0) {
    for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    return perm;
  }
  const std::string shown = absl::StrCat("[", absl::StrJoin(axes->ints(), ", "), "]");
  if (axes->ints_size() != rank) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'axes' = ", shown, " has ",
                                                   axes->ints_size(), " entries; input 0 has rank ",
                                                   rank));
  }
  std::vector<bool> seen(rank, false);
  for (int i = 0; i < rank; ++i) {
    int64_t a = axes->ints(i);
    if (a < 0) a += rank;  // as Caffe2 and numpy
    if (a < 0 || a >= rank || seen[a]) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'axes' = ", shown, " is not a permutation of [0, ", rank, ")"));
    }
    seen[a] = true;
    perm[i] = static_cast<int>(a);
  }
  return perm;
}

absl::StatusOr<std::vector<TensorType>> InferTranspose(const OperatorDef& def,
                                                       absl::Span<const TensorType> in) {
  const int rank = static_cast<int>(in[0].dims.size());
  absl::StatusOr<std::vector<int>> perm = Permutation(def, rank);
  if (!perm.ok()) return perm.status();
  TensorType y{in[0].dtype, std::vector<int64_t>(rank)};
  for (int k = 0; k < rank; ++k) y.dims[k] = in[0].dims[(*perm)[k]];
  return std::vector<TensorType>{y};
}

class TransposeOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    const TensorType& x = ctx.input(0);
    const int rank = static_cast<int>(x.dims.size());
    absl::StatusOr<std::vector<int>> perm = Permutation(def(), rank);
    if (!perm.ok()) return perm.status();
    elem_ = DTypeSize(x.dtype);
    numel_ = DimsProduct(x.dims, 0, rank);
    // Walk Y in order; the X stride of each Y dim is X's stride at perm[k].
    std::vector<int64_t> x_stride(rank, 1);
    for (int i = rank - 2; i >= 0; --i) x_stride[i] = x_stride[i + 1] * x.dims[i + 1];
    y_dims_.resize(rank);
    strides_.resize(rank);
    idx_.resize(rank);
    for (int k = 0; k < rank; ++k) {
      y_dims_[k] = x.dims[(*perm)[k]];
      strides_[k] = x_stride[(*perm)[k]];
    }
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    switch (elem_) {
      case 1:
        Move<uint8_t>();
        break;
      case 4:
        Move<uint32_t>();
        break;
      case 8:
        Move<uint64_t>();
        break;
      default:
        return absl::InternalError(absl::StrCat("element size ", elem_, " is not handled"));
    }
    return absl::OkStatus();
  }

 private:
  template <typename U>
  void Move() {
    if (numel_ == 0) return;
    const U* x = static_cast<const U*>(Input(0).raw_data());
    U* y = static_cast<U*>(Output(0)->raw_mutable_data());
    const int rank = static_cast<int>(y_dims_.size());
    if (rank == 0) {
      y[0] = x[0];
      return;
    }
    // Odometer over all but the last Y dim; the innermost loop is strided.
    std::vector<int64_t>& idx = idx_;
    std::fill(idx.begin(), idx.end(), 0);
    const int64_t inner = y_dims_[rank - 1];
    const int64_t inner_stride = strides_[rank - 1];
    int64_t base = 0;
    for (int64_t out = 0; out < numel_; out += inner) {
      const U* src = x + base;
      for (int64_t j = 0; j < inner; ++j) y[out + j] = src[j * inner_stride];
      for (int d = rank - 2; d >= 0; --d) {
        base += strides_[d];
        if (++idx[d] < y_dims_[d]) break;
        base -= strides_[d] * y_dims_[d];
        idx[d] = 0;
      }
    }
  }

  size_t elem_ = 0;
  int64_t numel_ = 0;
  std::vector<int64_t> y_dims_;
  std::vector<int64_t> strides_;
  std::vector<int64_t> idx_;  // the odometer, sized by Prepare
};

class GetTransposeGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    std::vector<Argument> args;
    const Argument* axes = FindArgument(def(), "axes");
    if (axes != nullptr && axes->ints_size() > 0) {
      // The inverse permutation; without `axes` the reversal is its own.
      const int rank = axes->ints_size();
      Argument inv;
      inv.set_name("axes");
      std::vector<int64_t> v(rank, 0);
      for (int i = 0; i < rank; ++i) {
        int64_t a = axes->ints(i);
        if (a < 0) a += rank;
        if (a < 0 || a >= rank) {
          return absl::InvalidArgumentError("argument 'axes' is not a permutation");
        }
        v[a] = i;
      }
      for (int64_t x : v) inv.add_ints(x);
      args.push_back(inv);
    }
    return SingleGradientDef("Transpose", "", {GO(0)}, {GI(0)}, args);
  }
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(Transpose)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kBool,
                   DType::kUint8})
    .TensorInference(InferTranspose)
    .Arg("axes", ArgKind::kInts,
         "A permutation of [0, rank): output dim k is input dim axes[k] (negative entries count "
         "from the end). Absent: the dims reversed.")
    .Input(0, "data", "Tensor of any rank.")
    .Output(0, "transposed", "data with its dims permuted.")
    .SetDoc("Permutes the dims of data (Caffe2 Transpose; ONNX Transpose's perm is axes).");

REGISTER_CPU_OPERATOR(Transpose, TransposeOp);
REGISTER_GRADIENT(Transpose, GetTransposeGradient);

}  // namespace opgraph
