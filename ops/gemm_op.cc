// Gemm and GemmGradient: ONNX's general matrix product (an opgraph operator;
// Caffe2 has no operator of this name).
//
//   Y[M, N] = alpha * op(A) op(B) + beta * C
//
// op(A) is A [M, K], or A^T with trans_a (A is then [K, M]); op(B) is B
// [K, N], or B^T with trans_b. C is optional and broadcasts one way to
// [M, N] (numpy's rule with C the only side that may broadcast: shapes [],
// [N], [1, N], [M, 1], [M, N], ...). Without C, Y = alpha * op(A) op(B).
// With C, beta * C is written into Y first and the product added to it,
// so beta = 0 still propagates a NaN or infinity of C, as the formula says.
//
// GemmGradient(A, B, [C,] dY) -> dA, dB[, dC]:
//   dA = alpha * dY op(B)^T (transposed back when trans_a),
//   dB = alpha * op(A)^T dY (transposed back when trans_b),
//   dC = beta * dY summed over the dimensions C was broadcast along
//        (it reads only C's shape).
//
// The products run on the GEMM wrapper (ops/kernels/gemm.h, OpenBLAS) with
// the workspace's threads; a B constant across runs (fed once, or made by an
// init net) is packed once at Prepare (ops/packed_operand.h). Each element
// of Y, dA and dB is within (K + 2) eps times the sum of its terms'
// magnitudes (gemm.h). dC's sums run serially in dY's order: at most M eps
// (or N eps) times the sum of the magnitudes. float32 and float64.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/binary_broadcast.h"
#include "ops/kernels/gemm.h"
#include "ops/packed_operand.h"

namespace opgraph {
namespace {

struct GemmShape {
  bool trans_a = false, trans_b = false;
  double alpha = 1, beta = 1;
  int64_t m = 0, n = 0, k = 0;
  bool has_c = false;
  BroadcastPlan c_plan;  // [M, N] against C's dims
};

double FloatArgOr(const OperatorDef& def, const char* name, double default_value) {
  const Argument* arg = FindArgument(def, name);
  if (arg == nullptr) return default_value;
  return arg->has_f() ? arg->f() : static_cast<double>(arg->i());
}

int64_t IntArgOr(const OperatorDef& def, const char* name, int64_t default_value) {
  const Argument* arg = FindArgument(def, name);
  return arg != nullptr && arg->has_i() ? arg->i() : default_value;
}

// `c` is nullptr when the operator has no C.
absl::StatusOr<GemmShape> ComputeGemmShape(const OperatorDef& def, const TensorType& a,
                                           const TensorType& b, const TensorType* c) {
  GemmShape s;
  s.trans_a = IntArgOr(def, "trans_a", 0) != 0;
  s.trans_b = IntArgOr(def, "trans_b", 0) != 0;
  s.alpha = FloatArgOr(def, "alpha", 1.0);
  s.beta = FloatArgOr(def, "beta", 1.0);
  if (a.dims.size() != 2 || b.dims.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", a.ToString(), " and B ", b.ToString(), " must be matrices (rank 2)"));
  }
  if (a.dtype != b.dtype || (c != nullptr && c->dtype != a.dtype)) {
    return absl::InvalidArgumentError(absl::StrCat("A ", a.ToString(), ", B ", b.ToString(),
                                                   c ? absl::StrCat(" and C ", c->ToString()) : "",
                                                   " must have one type"));
  }
  s.m = s.trans_a ? a.dims[1] : a.dims[0];
  s.k = s.trans_a ? a.dims[0] : a.dims[1];
  const int64_t kb = s.trans_b ? b.dims[1] : b.dims[0];
  s.n = s.trans_b ? b.dims[0] : b.dims[1];
  if (kb != s.k) {
    return absl::InvalidArgumentError(
        absl::StrCat("A ", a.ToString(), s.trans_a ? " (transposed)" : "", " has K = ", s.k,
                     " but B ", b.ToString(), s.trans_b ? " (transposed)" : "", " has K = ", kb));
  }
  if (c != nullptr) {
    s.has_c = true;
    const std::vector<int64_t> y{s.m, s.n};
    absl::StatusOr<BroadcastPlan> p = MakeBroadcastPlan(OperatorDef(), y, c->dims);
    if (!p.ok() || p->out_dims != y) {
      return absl::InvalidArgumentError(absl::StrCat(
          "C ", c->ToString(), " does not broadcast to Y's shape [", s.m, ", ", s.n, "]"));
    }
    s.c_plan = *std::move(p);
  }
  return s;
}

absl::StatusOr<std::vector<TensorType>> InferGemm(const OperatorDef& def,
                                                  absl::Span<const TensorType> in) {
  absl::StatusOr<GemmShape> s =
      ComputeGemmShape(def, in[0], in[1], in.size() > 2 ? &in[2] : nullptr);
  if (!s.ok()) return s.status();
  return std::vector<TensorType>{TensorType{in[0].dtype, {s->m, s->n}}};
}

// out[m, n] = alpha * op(x)[m, k] op(y)[k, n], x stored [m, k] or [k, m]
// (tx), y stored [k, n] or [n, k] (ty).
template <typename T>
void Product(bool tx, bool ty, int64_t m, int64_t n, int64_t k, double alpha, const T* x,
             const T* y, T* out, int threads) {
  const int64_t ldx = std::max<int64_t>(1, tx ? m : k);
  const int64_t ldy = std::max<int64_t>(1, ty ? k : n);
  kernels::Gemm<T>(tx, ty, m, n, k, static_cast<T>(alpha), x, ldx, y, ldy, T(0), out,
                   std::max<int64_t>(1, n), threads);
}

class GemmOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<GemmShape> s = ComputeGemmShape(def(), ctx.input(0), ctx.input(1),
                                                   ctx.num_inputs() > 2 ? &ctx.input(2) : nullptr);
    if (!s.ok()) return s.status();
    s_ = *std::move(s);
    dtype_ = ctx.input(0).dtype;
    return b_.Prepare(ctx, 1, dtype_, s_.k, s_.n, s_.trans_b, /*rows_hint=*/s_.m);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* a = Input(0).template data<T>();
      const T* b = Input(1).template data<T>();
      T* y = Output(0)->template mutable_data<T>();
      // Without C, Y is written without being read (beta = 0); with C,
      // beta * C is written first and the product added to it.
      T beta_y = T(0);
      if (s_.has_c) {
        const T* c = Input(2).template data<T>();
        const T beta = static_cast<T>(s_.beta);
        ForEachRun(s_.c_plan, 0, OuterRows(s_.c_plan),
                   [&](int64_t yo, int64_t, int64_t co, int64_t, int64_t cs, int64_t len) {
                     for (int64_t j = 0; j < len; ++j) y[yo + j] = beta * c[co + j * cs];
                   });
        beta_y = T(1);
      }
      const int64_t lda = std::max<int64_t>(1, s_.trans_a ? s_.m : s_.k);
      const int64_t ldb = std::max<int64_t>(1, s_.trans_b ? s_.k : s_.n);
      b_.Multiply<T>(s_.trans_a, s_.m, static_cast<T>(s_.alpha), a, lda, b, ldb, beta_y, y,
                     std::max<int64_t>(1, s_.n), NumThreads());
    });
  }

 private:
  GemmShape s_;
  DType dtype_ = DType::kUndefined;
  ConstantRightOperand b_;  // packed when B is constant
};

class GemmGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    const bool has_c = ctx.num_inputs() == 4;
    absl::StatusOr<GemmShape> s =
        ComputeGemmShape(def(), ctx.input(0), ctx.input(1), has_c ? &ctx.input(2) : nullptr);
    if (!s.ok()) return s.status();
    s_ = *std::move(s);
    const TensorType& dy = ctx.input(ctx.num_inputs() - 1);
    if (dy.dims != std::vector<int64_t>{s_.m, s_.n} || dy.dtype != ctx.input(0).dtype) {
      return absl::InvalidArgumentError(absl::StrCat("dY is ", dy.ToString(), ", expected ",
                                                     DTypeName(ctx.input(0).dtype), "[", s_.m, ", ",
                                                     s_.n, "]"));
    }
    if (ctx.num_outputs() == 3 && !has_c) {
      return absl::InvalidArgumentError("output dC needs the input C");
    }
    dtype_ = ctx.input(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* a = Input(0).template data<T>();
      const T* b = Input(1).template data<T>();
      const T* dy = Input(InputSize() - 1).template data<T>();
      T* da = Output(0)->template mutable_data<T>();
      T* db = Output(1)->template mutable_data<T>();
      const bool ta = s_.trans_a, tb = s_.trans_b;
      const int64_t m = s_.m, n = s_.n, k = s_.k;
      const int threads = NumThreads();
      // dA, shaped [M, K] or [K, M].
      if (!ta) {
        Product<T>(false, !tb, m, k, n, s_.alpha, dy, b, da, threads);
      } else {
        Product<T>(tb, true, k, m, n, s_.alpha, b, dy, da, threads);
      }
      // dB, shaped [K, N] or [N, K].
      if (!tb) {
        Product<T>(!ta, false, k, n, m, s_.alpha, a, dy, db, threads);
      } else {
        Product<T>(true, ta, n, k, m, s_.alpha, dy, a, db, threads);
      }
      if (OutputSize() == 3) {
        T* dc = Output(2)->template mutable_data<T>();
        std::fill(dc, dc + Output(2)->numel(), T(0));
        const T beta = static_cast<T>(s_.beta);
        ForEachRun(s_.c_plan, 0, OuterRows(s_.c_plan),
                   [&](int64_t yo, int64_t, int64_t co, int64_t, int64_t cs, int64_t len) {
                     for (int64_t j = 0; j < len; ++j) dc[co + j * cs] += beta * dy[yo + j];
                   });
      }
    });
  }

 private:
  GemmShape s_;
  DType dtype_ = DType::kUndefined;
};

absl::StatusOr<std::vector<TensorType>> InferGemmGradient(const OperatorDef& def,
                                                          absl::Span<const TensorType> in) {
  const bool has_c = in.size() == 4;
  absl::StatusOr<GemmShape> s = ComputeGemmShape(def, in[0], in[1], has_c ? &in[2] : nullptr);
  if (!s.ok()) return s.status();
  std::vector<TensorType> out{in[0], in[1]};
  if (def.output_size() == 3) {
    if (!has_c) return absl::InvalidArgumentError("output dC needs the input C");
    out.push_back(in[2]);
  }
  return out;
}

class GetGemmGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (def().input_size() == 3) {
      return SingleGradientDef("GemmGradient", "", {I(0), I(1), I(2), GO(0)},
                               {GI(0), GI(1), GI(2)});
    }
    return SingleGradientDef("GemmGradient", "", {I(0), I(1), GO(0)}, {GI(0), GI(1)});
  }
};

constexpr char kAlphaDoc[] = "Scale of the product op(A) op(B).";
constexpr char kBetaDoc[] = "Scale of C.";
constexpr char kTransADoc[] = "1: A is stored as [K, M] and transposed.";
constexpr char kTransBDoc[] = "1: B is stored as [N, K] and transposed.";

}  // namespace

OPERATOR_SCHEMA(Gemm)
    .NumInputs(2, 3)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("alpha", 1.0f, kAlphaDoc)
    .Arg("beta", 1.0f, kBetaDoc)
    .Arg("trans_a", 0, kTransADoc)
    .Arg("trans_b", 0, kTransBDoc)
    .TensorInference(InferGemm)
    .Input(0, "A", "[M, K] ([K, M] with trans_a); float32 or float64.")
    .Input(1, "B", "[K, N] ([N, K] with trans_b); A's type.")
    .Input(2, "C", "Optional; A's type, broadcast one way to [M, N].")
    .Output(0, "Y", "alpha * op(A) op(B) + beta * C, [M, N].")
    .SetDoc(
        "General matrix product as ONNX's Gemm: Y = alpha * op(A) op(B) + beta * C, C "
        "broadcast to [M, N]. Runs on OpenBLAS.");

OPERATOR_SCHEMA(GemmGradient)
    .NumInputs(3, 4)
    .NumOutputs(2, 3)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("alpha", 1.0f, kAlphaDoc)
    .Arg("beta", 1.0f, kBetaDoc)
    .Arg("trans_a", 0, kTransADoc)
    .Arg("trans_b", 0, kTransBDoc)
    .TensorInference(InferGemmGradient)
    .Input(0, "A", "Forward input A.")
    .Input(1, "B", "Forward input B.")
    .Input(2, "C or dY", "Forward input C when it had one (its shape is read), then dY.")
    .Input(3, "dY", "Gradient of Y, when C is given.")
    .Output(0, "dA", "Gradient of A, A's shape.")
    .Output(1, "dB", "Gradient of B, B's shape.")
    .Output(2, "dC", "Gradient of C, C's shape (beta * dY summed over broadcast dimensions).")
    .SetDoc("Gradient of Gemm.");

REGISTER_CPU_OPERATOR(Gemm, GemmOp);
REGISTER_CPU_OPERATOR(GemmGradient, GemmGradientOp);
REGISTER_GRADIENT(Gemm, GetGemmGradient);
SHOULD_NOT_DO_GRADIENT(GemmGradient);

}  // namespace opgraph
