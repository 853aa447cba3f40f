// BatchMatMul: batched matrix products, as Caffe2's BatchMatMul.
//
//   Y[..., :, :] = op(A[..., :, :]) op(B[..., :, :])
//
// op(X) is X, or its transpose over the last two dimensions when trans_a
// (trans_b) is set.
//   broadcast = 0: A and B have one rank >= 2 and the same batch dimensions
//     (all but the last two); Y is batch + [M, N].
//   broadcast = 1: numpy's matmul (what ONNX's MatMul means). A 1-D A is a
//     row [1, K] and a 1-D B a column [K, 1], and the added dimension is left
//     out of Y; the batch dimensions broadcast as numpy's (Caffe2 accepted
//     only batch dimensions of which one list is a suffix of the other, a
//     special case). Two 1-D inputs give their dot product, of shape [1] as
//     in Caffe2, or of shape [] with dot_as_scalar = 1 (numpy, ONNX).
//     trans_a with a 1-D A (trans_b with a 1-D B) is refused.
//
// Each product runs on the GEMM wrapper (ops/kernels/gemm.h), one call per
// batch, with the workspace's threads. A B that is constant across runs and
// one matrix for all batches (no batch dimensions, or all 1) is packed once
// (ops/packed_operand.h); then, without trans_a, all batches of A are
// multiplied as the rows of one product. Accuracy is that of the wrapper:
// each element is a sum of K products accumulated in T, within
// (K + 2) eps sum |a b|.
//
// Gradient: with broadcast = 0, two BatchMatMuls as Caffe2's, dA = dY
// op(B)^T and dB = op(A)^T dY arranged for the transposes; with
// broadcast = 1 (for which Caffe2 has none) BatchMatMulGradient, which also
// sums over the batches an input was broadcast to.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/binary_broadcast.h"
#include "ops/kernels/gemm.h"
#include "ops/packed_operand.h"

namespace opgraph {
namespace {

int64_t IntArgOr(const OperatorDef& def, const char* name, int64_t default_value) {
  const Argument* arg = FindArgument(def, name);
  return arg != nullptr && arg->has_i() ? arg->i() : default_value;
}

struct MatMulShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 1, n = 1, k = 1;
  std::vector<int64_t> out_dims;
  BroadcastPlan batch;  // over the batch dimensions of A, B and Y
};

absl::StatusOr<MatMulShape> ComputeMatMulShape(const OperatorDef& def, const TensorType& ta,
                                               const TensorType& tb) {
  MatMulShape s;
  s.trans_a = IntArgOr(def, "trans_a", 0) != 0;
  s.trans_b = IntArgOr(def, "trans_b", 0) != 0;
  const bool broadcast = IntArgOr(def, "broadcast", 0) != 0;
  const bool dot_scalar = IntArgOr(def, "dot_as_scalar", 0) != 0;
  if (ta.dtype != tb.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("A is ", ta.ToString(), " but B is ", tb.ToString(), "; types must match"));
  }
  std::vector<int64_t> a = ta.dims, b = tb.dims;
  if (a.empty() || b.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", ta.ToString(), " and B ", tb.ToString(), " must have rank >= 1"));
  }
  if (!broadcast && (a.size() != b.size() || a.size() < 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", ta.ToString(), " and B ", tb.ToString(),
                     " need one rank >= 2 with broadcast=0 (broadcast=1 accepts others)"));
  }
  const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
  if ((a_vector && s.trans_a) || (b_vector && s.trans_b)) {
    return absl::InvalidArgumentError(
        absl::StrCat(a_vector && s.trans_a ? "trans_a with a 1-D A " : "trans_b with a 1-D B ",
                     "is not supported: a vector has no transpose"));
  }
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  const size_t ra = a.size(), rb = b.size();
  s.m = s.trans_a ? a[ra - 1] : a[ra - 2];
  s.k = s.trans_a ? a[ra - 2] : a[ra - 1];
  const int64_t kb = s.trans_b ? b[rb - 1] : b[rb - 2];
  s.n = s.trans_b ? b[rb - 2] : b[rb - 1];
  if (kb != s.k) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", ta.ToString(), (s.trans_a ? " transposed" : ""), " has K = ", s.k,
                     " but B ", tb.ToString(), (s.trans_b ? " transposed" : ""), " has K = ", kb));
  }
  const std::vector<int64_t> batch_a(a.begin(), a.end() - 2), batch_b(b.begin(), b.end() - 2);
  if (!broadcast && batch_a != batch_b) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", ta.ToString(), " and B ", tb.ToString(),
                     " have different batch dimensions (broadcast=0)"));
  }
  absl::StatusOr<BroadcastPlan> plan = MakeBroadcastPlan(OperatorDef(), batch_a, batch_b);
  if (!plan.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("batch dimensions of A ", ta.ToString(),
                                                   " and B ", tb.ToString(), ": ",
                                                   plan.status().message()));
  }
  s.batch = *std::move(plan);
  s.out_dims = s.batch.out_dims;
  if (a_vector && b_vector) {
    if (!dot_scalar) s.out_dims.push_back(1);
  } else {
    if (!a_vector) s.out_dims.push_back(s.m);
    if (!b_vector) s.out_dims.push_back(s.n);
  }
  return s;
}

absl::StatusOr<std::vector<TensorType>> InferBatchMatMul(const OperatorDef& def,
                                                         absl::Span<const TensorType> in) {
  absl::StatusOr<MatMulShape> s = ComputeMatMulShape(def, in[0], in[1]);
  if (!s.ok()) return s.status();
  return std::vector<TensorType>{TensorType{in[0].dtype, s->out_dims}};
}

class BatchMatMulOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<MatMulShape> s = ComputeMatMulShape(def(), ctx.input(0), ctx.input(1));
    if (!s.ok()) return s.status();
    s_ = *std::move(s);
    dtype_ = ctx.input(0).dtype;
    one_product_ = false;
    // A B that is one matrix for every batch (no batch dimensions, or all 1)
    // is packed when constant. Its output batches are then A's batches in
    // A's order (broadcasting against 1s changes no index), and Y is
    // contiguous [batches, M, N]; so without trans_a, whose batches are then
    // contiguous rows [batches * M, K], one product covers them all.
    const std::vector<int64_t>& a_dims = ctx.input(0).dims;
    const std::vector<int64_t>& b_dims = ctx.input(1).dims;
    const int a_batch_rank = std::max(0, static_cast<int>(a_dims.size()) - 2);
    const int b_batch_rank = std::max(0, static_cast<int>(b_dims.size()) - 2);
    if (DimsProduct(b_dims, 0, b_batch_rank) != 1) {
      b_.Reset();  // B differs per batch: multiplied as stored
      return absl::OkStatus();
    }
    const int64_t batches =
        DimsProduct(s_.batch.out_dims, 0, static_cast<int>(s_.batch.out_dims.size()));
    one_product_ =
        !s_.trans_a && DimsProduct(a_dims, 0, a_batch_rank) == batches &&
        DimsProduct(s_.out_dims, 0, static_cast<int>(s_.out_dims.size())) == batches * s_.m * s_.n;
    rows_ = one_product_ ? batches * s_.m : s_.m;
    return b_.Prepare(ctx, 1, dtype_, s_.k, s_.n, s_.trans_b, /*rows_hint=*/rows_);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* a = Input(0).template data<T>();
      const T* b = Input(1).template data<T>();
      T* y = Output(0)->template mutable_data<T>();
      const int64_t m = s_.m, n = s_.n, k = s_.k;
      const int64_t lda = s_.trans_a ? m : k, ldb = s_.trans_b ? k : n;
      if (b_.packed()) {
        if (one_product_) {
          b_.Multiply<T>(false, rows_, T(1), a, std::max<int64_t>(1, k), nullptr, 1, T(0), y,
                         std::max<int64_t>(1, n), NumThreads());
          return;
        }
        ForEachRun(s_.batch, 0, OuterRows(s_.batch),
                   [&](int64_t yo, int64_t ao, int64_t, int64_t as, int64_t, int64_t len) {
                     for (int64_t j = 0; j < len; ++j) {
                       b_.Multiply<T>(s_.trans_a, m, T(1), a + (ao + j * as) * m * k,
                                      std::max<int64_t>(1, lda), nullptr, 1, T(0),
                                      y + (yo + j) * m * n, std::max<int64_t>(1, n), NumThreads());
                     }
                   });
        return;
      }
      ForEachRun(s_.batch, 0, OuterRows(s_.batch),
                 [&](int64_t yo, int64_t ao, int64_t bo, int64_t as, int64_t bs, int64_t len) {
                   for (int64_t j = 0; j < len; ++j) {
                     kernels::Gemm<T>(s_.trans_a, s_.trans_b, m, n, k, T(1),
                                      a + (ao + j * as) * m * k, std::max<int64_t>(1, lda),
                                      b + (bo + j * bs) * k * n, std::max<int64_t>(1, ldb), T(0),
                                      y + (yo + j) * m * n, std::max<int64_t>(1, n), NumThreads());
                   }
                 });
    });
  }

 private:
  MatMulShape s_;
  DType dtype_ = DType::kUndefined;
  ConstantRightOperand b_;    // packed when B is constant and one matrix
  bool one_product_ = false;  // with b_ packed: all batches as rows_ rows
  int64_t rows_ = 0;
};

// BatchMatMulGradient(A, B, dY) -> dA, dB for broadcast = 1: per output
// batch, dA's batch += dY op(B)^T and dB's batch += op(A)^T dY (arranged
// for the transposes), so batches that were broadcast add up. A 1-D A is
// the row [1, K] and a 1-D B the column [K, 1], which are the same memory.
class BatchMatMulGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<MatMulShape> s = ComputeMatMulShape(def(), ctx.input(0), ctx.input(1));
    if (!s.ok()) return s.status();
    s_ = *std::move(s);
    if (ctx.input(2).dims != s_.out_dims || ctx.input(2).dtype != ctx.input(0).dtype) {
      return absl::InvalidArgumentError(
          absl::StrCat("dY is ", ctx.input(2).ToString(), ", expected ",
                       TensorType{ctx.input(0).dtype, s_.out_dims}.ToString()));
    }
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* a = Input(0).template data<T>();
      const T* b = Input(1).template data<T>();
      const T* dy = Input(2).template data<T>();
      T* da = Output(0)->template mutable_data<T>();
      T* db = Output(1)->template mutable_data<T>();
      std::fill(da, da + Output(0)->numel(), T(0));
      std::fill(db, db + Output(1)->numel(), T(0));
      const bool ta = s_.trans_a, tb = s_.trans_b;
      const int64_t m = s_.m, n = s_.n, k = s_.k;
      const int threads = NumThreads();
      auto ld = [](int64_t v) { return std::max<int64_t>(1, v); };
      ForEachRun(s_.batch, 0, OuterRows(s_.batch),
                 [&](int64_t yo, int64_t ao, int64_t bo, int64_t as, int64_t bs, int64_t len) {
                   for (int64_t j = 0; j < len; ++j) {
                     const T* aj = a + (ao + j * as) * m * k;
                     const T* bj = b + (bo + j * bs) * k * n;
                     const T* gj = dy + (yo + j) * m * n;
                     T* daj = da + (ao + j * as) * m * k;
                     T* dbj = db + (bo + j * bs) * k * n;
                     if (!ta) {  // dA [M, K] += dY op(B)^T
                       kernels::Gemm<T>(false, !tb, m, k, n, T(1), gj, ld(n), bj, ld(tb ? k : n),
                                        T(1), daj, ld(k), threads);
                     } else {  // dA [K, M] += op(B) dY^T
                       kernels::Gemm<T>(tb, true, k, m, n, T(1), bj, ld(tb ? k : n), gj, ld(n),
                                        T(1), daj, ld(m), threads);
                     }
                     if (!tb) {  // dB [K, N] += op(A)^T dY
                       kernels::Gemm<T>(!ta, false, k, n, m, T(1), aj, ld(ta ? m : k), gj, ld(n),
                                        T(1), dbj, ld(n), threads);
                     } else {  // dB [N, K] += dY^T op(A)
                       kernels::Gemm<T>(true, ta, n, k, m, T(1), gj, ld(n), aj, ld(ta ? m : k),
                                        T(1), dbj, ld(k), threads);
                     }
                   }
                 });
    });
  }

 private:
  MatMulShape s_;
  DType dtype_ = DType::kUndefined;
};

absl::StatusOr<std::vector<TensorType>> InferBatchMatMulGradient(const OperatorDef& def,
                                                                 absl::Span<const TensorType> in) {
  absl::StatusOr<MatMulShape> s = ComputeMatMulShape(def, in[0], in[1]);
  if (!s.ok()) return s.status();
  return std::vector<TensorType>{in[0], in[1]};
}

class GetBatchMatMulGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (IntArgOr(def(), "broadcast", 0) != 0) {
      // Caffe2 has none; opgraph sums over broadcast batches.
      std::vector<OperatorDef> ops =
          SingleGradientDef("BatchMatMulGradient", "", {I(0), I(1), GO(0)}, {GI(0), GI(1)});
      for (const Argument& arg : def().arg()) *ops[0].add_arg() = arg;
      return ops;
    }
    const bool ta = IntArgOr(def(), "trans_a", 0) != 0;
    const bool tb = IntArgOr(def(), "trans_b", 0) != 0;
    // Y = op(A) op(B). Each gradient is one product (x, y, trans_x, trans_y).
    struct Product {
      std::string x, y;
      bool tx, ty;
    };
    const std::string a = I(0), b = I(1), dy = GO(0);
    Product da, db;
    if (!ta && !tb) {
      da = {dy, b, false, true};
      db = {a, dy, true, false};
    } else if (!ta && tb) {
      da = {dy, b, false, false};
      db = {dy, a, true, false};
    } else if (ta && !tb) {
      da = {b, dy, false, true};
      db = {a, dy, false, false};
    } else {
      da = {b, dy, true, true};
      db = {dy, a, true, true};
    }
    std::vector<OperatorDef> ops;
    for (const auto& [p, out] : {std::pair{da, GI(0)}, std::pair{db, GI(1)}}) {
      OperatorDef op = SingleGradientDef("BatchMatMul", "", {p.x, p.y}, {out})[0];
      Argument* arg = op.add_arg();
      arg->set_name("trans_a");
      arg->set_i(p.tx ? 1 : 0);
      arg = op.add_arg();
      arg->set_name("trans_b");
      arg->set_i(p.ty ? 1 : 0);
      ops.push_back(std::move(op));
    }
    return ops;
  }
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(BatchMatMul)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("trans_a", 0, "Transpose A's last two dimensions before multiplying.")
    .Arg("trans_b", 0, "Transpose B's last two dimensions before multiplying.")
    .Arg("broadcast", 0,
         "0: A and B of one rank >= 2 with equal batch dimensions; 1: numpy's matmul "
         "(1-D promotion, broadcast batch dimensions).")
    .Arg("dot_as_scalar", 0,
         "With broadcast=1 and two 1-D inputs: 0 gives Y of shape [1] (Caffe2), 1 of "
         "shape [] (numpy, ONNX MatMul).")
    .TensorInference(InferBatchMatMul)
    .Input(0, "A", "[..., M, K] ([..., K, M] with trans_a); float32 or float64.")
    .Input(1, "B", "[..., K, N] ([..., N, K] with trans_b); A's type.")
    .Output(0, "Y", "op(A) op(B) per batch: batch dims + [M, N].")
    .SetDoc(
        "Batched matrix product (Caffe2 BatchMatMul); with broadcast=1 numpy's matmul, as "
        "ONNX's MatMul. Runs on OpenBLAS.");

OPERATOR_SCHEMA(BatchMatMulGradient)
    .NumInputs(3)
    .NumOutputs(2)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("trans_a", 0, "The forward operator's trans_a.")
    .Arg("trans_b", 0, "The forward operator's trans_b.")
    .Arg("broadcast", 1, "The forward operator's broadcast.")
    .Arg("dot_as_scalar", 0, "The forward operator's dot_as_scalar.")
    .TensorInference(InferBatchMatMulGradient)
    .Input(0, "A", "Forward input A.")
    .Input(1, "B", "Forward input B.")
    .Input(2, "dY", "Gradient of Y.")
    .Output(0, "dA", "Gradient of A (summed over the batches A was broadcast to).")
    .Output(1, "dB", "Gradient of B (summed over the batches B was broadcast to).")
    .SetDoc("Gradient of BatchMatMul with broadcast=1 (numpy matmul).");

REGISTER_CPU_OPERATOR(BatchMatMul, BatchMatMulOp);
REGISTER_CPU_OPERATOR(BatchMatMulGradient, BatchMatMulGradientOp);
SHOULD_NOT_DO_GRADIENT(BatchMatMulGradient);
REGISTER_GRADIENT(BatchMatMul, GetBatchMatMulGradient);

}  // namespace opgraph
