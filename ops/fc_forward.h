// What FC (ops/fc_op.cc) and the operators that fuse an epilogue into it
// (ops/fc_fusion.cc) share: the shape rules and the forward product
//
//   Y[M, N] = X[M, K] W[N, K]^T + b[N]
//
// on the GEMM wrapper (ops/kernels/gemm.h), computed by blocks of rows so
// that a fused epilogue can transform each block of Y while it is still in
// cache. FC runs the same blocks with no epilogue, so a fused operator
// gives bit for bit what FC followed by the unfused epilogue operator gives
// (same GEMM calls on the same values, same elementwise kernel).
#ifndef OPGRAPH_OPS_FC_FORWARD_H_
#define OPGRAPH_OPS_FC_FORWARD_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/operator.h"
#include "ops/kernels/gemm.h"
#include "ops/packed_operand.h"

namespace opgraph {

struct FcDims {
  int axis = 1;
  int axis_w = 1;
  int64_t m = 0, k = 0, n = 0;
};

// X [M, K] (flattened at `axis`), W [N, K] (flattened at `axis_w`) and, when
// b is not null, b [N], checked against each other under def's arguments.
// InvalidArgument naming the shapes (or the argument) otherwise.
absl::StatusOr<FcDims> ComputeFcDims(const OperatorDef& def, const TensorType& x,
                                     const TensorType& w, const TensorType* b);

// Shape inference for inputs (X, W, b): Y is X.dims[0:axis] + [N].
absl::StatusOr<std::vector<TensorType>> InferFC(const OperatorDef& def,
                                                absl::Span<const TensorType> in);

// The forward product of an operator whose inputs 0, 1, 2 are FC's X, W, b.
// Used by one thread at a time, like the operator that holds it.
class FcForward {
 public:
  static constexpr int kInputX = 0, kInputW = 1, kInputB = 2;

  // Fixes the shapes and the row blocks. When W is constant across runs
  // (ctx.ConstantInput), packs it once; the net prepares again when W is
  // rewritten. Errors: those of ComputeFcDims; ResourceExhausted when the
  // packed copy cannot be allocated.
  absl::Status Prepare(const OperatorDef& def, const PrepareContext& ctx);

  const FcDims& dims() const { return d_; }
  DType dtype() const { return dtype_; }
  bool packed() const { return w_.packed(); }
  int64_t rows_per_block() const { return rows_per_block_; }

  // Writes Y block by block and calls epilogue(y_block, elements) on each
  // finished block. x, w, b, y hold the tensors Prepare saw (w is not read
  // when W was packed). No allocation.
  template <typename T, typename Epilogue>
  void Run(const T* x, const T* w, const T* b, T* y, int num_threads, Epilogue&& epilogue) const {
    const int64_t m = d_.m, n = d_.n, k = d_.k;
    const int64_t ldx = std::max<int64_t>(1, k), ldy = std::max<int64_t>(1, n);
    for (int64_t r0 = 0; r0 < m; r0 += rows_per_block_) {
      const int64_t rows = std::min(rows_per_block_, m - r0);
      T* yb = y + r0 * n;
      // Y starts as b in every row and the product is accumulated onto it
      // (beta = 1): measured no slower than adding b afterwards, and it
      // needs no second pass over Y (docs/PERFORMANCE.md, "FC on the GEMM").
      for (int64_t i = 0; i < rows; ++i) std::copy(b, b + n, yb + i * n);
      w_.Multiply<T>(false, rows, T(1), x + r0 * k, ldx, w, ldx, T(1), yb, ldy, num_threads);
      epilogue(yb, rows * n);
    }
  }

 private:
  FcDims d_;
  DType dtype_ = DType::kUndefined;
  int64_t rows_per_block_ = 1;
  ConstantRightOperand w_;  // op(B) = W^T, [K, N]
};

}  // namespace opgraph

#endif  // OPGRAPH_OPS_FC_FORWARD_H_
