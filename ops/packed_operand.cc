#include "ops/packed_operand.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/dispatch.h"

namespace opgraph {

absl::Status ConstantRightOperand::Prepare(const PrepareContext& ctx, int input, DType dtype,
                                           int64_t k, int64_t n, bool trans_b, int64_t rows_hint) {
  packed_f_.reset();
  packed_d_.reset();
  k_ = k;
  n_ = n;
  trans_b_ = trans_b;
  const Tensor* b = ctx.ConstantInput(input);
  return DispatchFloat(dtype, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if (b == nullptr) return absl::OkStatus();
    // Inference already checked the input's type; a mismatch here is a
    // caller that passed the wrong shape, reported rather than read past.
    if (b->dtype() != dtype || b->numel() != k * n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "constant input ", input, " is ", DTypeName(b->dtype()), " with ", b->numel(),
          " elements, expected ", DTypeName(dtype), " [", k, ", ", n, "]"));
    }
    absl::StatusOr<kernels::PackedMatrix<T>> p = kernels::PackedMatrix<T>::Pack(
        b->template data<T>(), k, n, std::max<int64_t>(1, trans_b ? k : n), trans_b, rows_hint);
    if (!p.ok()) return p.status();
    if constexpr (std::is_same_v<T, float>) {
      packed_f_.emplace(*std::move(p));
    } else {
      packed_d_.emplace(*std::move(p));
    }
    return absl::OkStatus();
  });
}

bool ConstantRightOperand::panels() const {
  if (packed_f_) return packed_f_->panels();
  if (packed_d_) return packed_d_->panels();
  return false;
}

}  // namespace opgraph
