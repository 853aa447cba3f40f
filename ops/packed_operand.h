// The constant right-hand operand of an operator's matrix product, packed
// once when its value cannot change between runs.
//
// FC (ops/fc_forward.h), Gemm, MatMul and BatchMatMul multiply an input B
// that is often a weight: fed once, or made by an init net. For such an
// input (PrepareContext::ConstantInput), Prepare copies op(B) into a
// kernels::PackedMatrix, whose products skip the copy OpenBLAS makes of B on
// every call (ops/kernels/gemm.h); the net prepares again when the blob is
// rewritten, so the copy never goes stale. For any other input, Multiply
// reads B as stored, with no copy.
//
// A B rewritten before every run would be packed before every run, which
// costs more than the copy OpenBLAS makes (a refed 1 x 1024 x 1024 MatMul
// went from 0.83 to 2.1-2.7 ms per run). So when Prepare finds the same
// blob rewritten and the copy packed last time served at most one product,
// it does not pack it again: B is read as stored until a later Prepare
// finds it unchanged, or rewritten after serving two or more products.
//
// Accuracy: that of kernels::Gemm and kernels::GemmPacked, (k + 2) eps S per
// element. Packed and unpacked products may differ in the last bits.
//
// Used by one thread at a time, like the operator that holds it; Multiply
// may run concurrently with other Multiply calls on the same object.
#ifndef OPGRAPH_OPS_PACKED_OPERAND_H_
#define OPGRAPH_OPS_PACKED_OPERAND_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "absl/status/status.h"
#include "core/operator.h"
#include "ops/kernels/gemm.h"

namespace opgraph {

class ConstantRightOperand {
 public:
  // Fixes op(B)[k, n]: input `input` of the operator holds B as k rows of n,
  // or with trans_b as n rows of k, contiguous, of type dtype. When
  // ctx.ConstantInput(input) is non-null, packs it for products of about
  // rows_hint rows (kernels::PackedMatrix::Pack; into the previous copy's
  // storage when its type, shape and layout are the same); otherwise drops
  // any copy packed before. Returns OK; InvalidArgument when dtype is not float32 or
  // float64, or when the constant tensor does not hold k * n elements of
  // dtype; ResourceExhausted when the copy cannot be allocated. On error,
  // nothing is packed.
  absl::Status Prepare(const PrepareContext& ctx, int input, DType dtype, int64_t k, int64_t n,
                       bool trans_b, int64_t rows_hint);

  // Drops any packed copy and what Prepare remembered: B is then read as
  // stored until the next Prepare.
  void Reset();

  // Whether the last Prepare packed B.
  bool packed() const { return packed_f_.has_value() || packed_d_.has_value(); }
  // Whether the packed copy uses the panel layout (false when not packed).
  bool panels() const;

  // C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n], with the
  // shapes and trans_b of the last successful Prepare, under the contract of
  // kernels::Gemm. b (with leading dimension ldb) is read only when B was
  // not packed; then it must hold the tensor Prepare saw. T is the dtype
  // Prepare was given. No allocation.
  template <typename T>
  void Multiply(bool trans_a, int64_t m, T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                T beta, T* c, int64_t ldc, int threads) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    products_.fetch_add(1, std::memory_order_relaxed);
    if (const kernels::PackedMatrix<T>* p = Packed<T>()) {
      kernels::GemmPacked<T>(trans_a, m, alpha, a, lda, *p, beta, c, ldc, threads);
    } else {
      kernels::Gemm<T>(trans_a, trans_b_, m, n_, k_, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }
  }

 private:
  template <typename T>
  const kernels::PackedMatrix<T>* Packed() const {
    if constexpr (std::is_same_v<T, float>) {
      return packed_f_ ? &*packed_f_ : nullptr;
    } else {
      return packed_d_ ? &*packed_d_ : nullptr;
    }
  }

  int64_t k_ = 0, n_ = 0;
  bool trans_b_ = false;
  // The constant tensor the last Prepare saw and its version, and the
  // products since (see the header comment on rewritten operands).
  const Tensor* last_b_ = nullptr;
  uint64_t last_version_ = 0;
  mutable std::atomic<int64_t> products_{0};
  std::optional<kernels::PackedMatrix<float>> packed_f_;
  std::optional<kernels::PackedMatrix<double>> packed_d_;
};

}  // namespace opgraph

#endif  // OPGRAPH_OPS_PACKED_OPERAND_H_
