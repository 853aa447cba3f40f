#include "ops/packed_operand.h"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/status_macros.h"

namespace opgraph {

absl::Status ConstantRightOperand::Prepare(const PrepareContext& ctx, int input, DType dtype,
                                           int64_t k, int64_t n, bool trans_b, int64_t rows_hint) {
  // A copy of the same type, shape and layout is packed again in place: a
  // weight fed again before every run then costs no allocation (whose fresh
  // pages the kernel clears) per run.
  std::optional<kernels::PackedMatrix<float>> old_f = std::move(packed_f_);
  std::optional<kernels::PackedMatrix<double>> old_d = std::move(packed_d_);
  packed_f_.reset();
  packed_d_.reset();
  k_ = k;
  n_ = n;
  trans_b_ = trans_b;
  const Tensor* b = ctx.ConstantInput(input);
  // Rewritten since the last Prepare, after serving at most one product:
  // likely fed before every run, so packing would cost more than it saves.
  const bool refed_every_run = b != nullptr && b == last_b_ && b->version() != last_version_ &&
                               products_.load(std::memory_order_relaxed) <= 1;
  last_b_ = b;
  last_version_ = b != nullptr ? b->version() : 0;
  products_.store(0, std::memory_order_relaxed);
  return DispatchFloat(dtype, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    if (b == nullptr || refed_every_run) return absl::OkStatus();
    // Inference already checked the input's type; a mismatch here is a
    // caller that passed the wrong shape, reported rather than read past.
    if (b->dtype() != dtype || b->numel() != k * n) {
      return absl::InvalidArgumentError(absl::StrCat(
          "constant input ", input, " is ", DTypeName(b->dtype()), " with ", b->numel(),
          " elements, expected ", DTypeName(dtype), " [", k, ", ", n, "]"));
    }
    std::optional<kernels::PackedMatrix<T>>* old;
    std::optional<kernels::PackedMatrix<T>>* out;
    if constexpr (std::is_same_v<T, float>) {
      old = &old_f;
      out = &packed_f_;
    } else {
      old = &old_d;
      out = &packed_d_;
    }
    const T* data = b->template data<T>();
    const int64_t ldb = std::max<int64_t>(1, trans_b ? k : n);
    const bool panels = kernels::PackedMatrix<T>::UsesPanels(k, n, rows_hint);
    if (*old && (*old)->k() == k && (*old)->n() == n && (*old)->panels() == panels) {
      OPGRAPH_RETURN_IF_ERROR((*old)->Repack(data, ldb, trans_b));
      *out = std::move(*old);
      return absl::OkStatus();
    }
    absl::StatusOr<kernels::PackedMatrix<T>> p =
        kernels::PackedMatrix<T>::Pack(data, k, n, ldb, trans_b, rows_hint);
    if (!p.ok()) return p.status();
    out->emplace(*std::move(p));
    return absl::OkStatus();
  });
}

void ConstantRightOperand::Reset() {
  packed_f_.reset();
  packed_d_.reset();
  last_b_ = nullptr;
  last_version_ = 0;
  products_.store(0, std::memory_order_relaxed);
}

bool ConstantRightOperand::panels() const {
  if (packed_f_) return packed_f_->panels();
  if (packed_d_) return packed_d_->panels();
  return false;
}

}  // namespace opgraph
