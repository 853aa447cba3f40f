// FC and FCGradient: the fully connected layer, as Caffe2 defines it.
//
//   X is viewed as a matrix [M, K]: M = product of dims before `axis`,
//     K = product of the rest.
//   W is viewed as [N, K]: N = product of dims before `axis_w`.
//   b has N elements.
//   Y = X W^T + b, with dims X.dims[0:axis] + [N].
//
//   FCGradient(X, W, dY) -> dW = dY^T X, db = column sums of dY,
//                           dX = dY W (optional third output).
//
// The products run on the GEMM wrapper (ops/kernels/gemm.h, OpenBLAS) with
// the workspace's thread count. When W is constant across runs (fed once or
// made by an init net) Prepare packs it once; otherwise each run multiplies
// by W as stored (transposed operand), with no copy and no allocation. The
// forward product is shared with the fused operators (ops/fc_forward.h).
//
// Accuracy: that of the wrapper. Each element of Y, dW and dX is a sum of K
// (or M, N) products accumulated in the tensor's type; with S the sum of the
// terms' magnitudes (|b_j| included for Y), the error is at most
// (K + 2) eps S, and at most (K / 256 + 4096 + 2) eps / 2 * S for long sums
// (gemm.h). db sums M values in one running sum per column: at most
// M eps S. Results may differ in the last bits across thread counts, CPUs
// and between packed and unpacked W, within these bounds.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/fc_forward.h"
#include "ops/kernels/gemm.h"

namespace opgraph {

namespace {
int Rank(const TensorType& t) { return static_cast<int>(t.dims.size()); }

// Rows of Y per GEMM call: all of them unless a block would outgrow a
// quarter of the L3 cache (8 MiB), and never fewer than 1024, because
// OpenBLAS repacks W on every call: blocks of 256 rows made a
// [1024,1024]x[1024,1024] product 12 % slower than one call, while a Selu
// epilogue costs well under 1 % of the product either way
// (docs/PERFORMANCE.md, "FC on the GEMM").
constexpr int64_t kBlockBytes = int64_t{8} << 20;
constexpr int64_t kMinBlockRows = 1024;

int64_t RowsPerBlock(const FcDims& d, int64_t element_size) {
  const int64_t row_bytes = std::max<int64_t>(1, d.n * element_size);
  const int64_t rows = std::max(kMinBlockRows, kBlockBytes / row_bytes);
  return std::max<int64_t>(1, std::min(rows, d.m));
}
}  // namespace

absl::StatusOr<FcDims> ComputeFcDims(const OperatorDef& def, const TensorType& x,
                                     const TensorType& w, const TensorType* b) {
  const Argument* axis_arg = FindArgument(def, "axis");
  const Argument* axis_w_arg = FindArgument(def, "axis_w");
  if (x.dims.empty() || w.dims.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("X ", x.ToString(), " and W ", w.ToString(), " must have rank >= 1"));
  }
  FcDims d;
  absl::StatusOr<int> axis = CanonicalAxis(axis_arg ? axis_arg->i() : 1, Rank(x));
  if (!axis.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'axis': ", axis.status().message()));
  }
  absl::StatusOr<int> axis_w = CanonicalAxis(axis_w_arg ? axis_w_arg->i() : 1, Rank(w));
  if (!axis_w.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'axis_w': ", axis_w.status().message()));
  }
  d.axis = *axis;
  d.axis_w = *axis_w;
  d.m = DimsProduct(x.dims, 0, d.axis);
  d.k = DimsProduct(x.dims, d.axis, Rank(x));
  d.n = DimsProduct(w.dims, 0, d.axis_w);
  const int64_t wk = DimsProduct(w.dims, d.axis_w, Rank(w));
  if (wk != d.k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X ", x.ToString(), " flattened at axis ", d.axis, " has K = ", d.k, " columns but W ",
        w.ToString(), " flattened at axis_w ", d.axis_w, " has ", wk));
  }
  if (b != nullptr &&
      (b->dtype != x.dtype || DimsProduct(b->dims, 0, Rank(*b)) != d.n || b->dims.size() != 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("b is ", b->ToString(), ", expected ", DTypeName(x.dtype), "[", d.n, "]"));
  }
  if (w.dtype != x.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("W is ", w.ToString(), " but X is ", x.ToString(), "; types must match"));
  }
  return d;
}

absl::StatusOr<std::vector<TensorType>> InferFC(const OperatorDef& def,
                                                absl::Span<const TensorType> in) {
  absl::StatusOr<FcDims> d = ComputeFcDims(def, in[0], in[1], &in[2]);
  if (!d.ok()) return d.status();
  TensorType y{in[0].dtype, std::vector<int64_t>(in[0].dims.begin(), in[0].dims.begin() + d->axis)};
  y.dims.push_back(d->n);
  return std::vector<TensorType>{y};
}

absl::Status FcForward::Prepare(const OperatorDef& def, const PrepareContext& ctx) {
  absl::StatusOr<FcDims> d =
      ComputeFcDims(def, ctx.input(kInputX), ctx.input(kInputW), &ctx.input(kInputB));
  if (!d.ok()) return d.status();
  d_ = *d;
  dtype_ = ctx.input(kInputX).dtype;
  return DispatchFloat(dtype_, [&](auto tag) -> absl::Status {
    using T = typename decltype(tag)::type;
    rows_per_block_ = RowsPerBlock(d_, sizeof(T));
    return w_.Prepare(ctx, kInputW, dtype_, d_.k, d_.n, /*trans_b=*/true,
                      /*rows_hint=*/std::min(d_.m, rows_per_block_));
  });
}

namespace {

class FCOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override { return fc_.Prepare(def(), ctx); }

  absl::Status RunOnDevice() override {
    return DispatchFloat(fc_.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      fc_.Run<T>(Input(FcForward::kInputX).data<T>(), Input(FcForward::kInputW).data<T>(),
                 Input(FcForward::kInputB).data<T>(), Output(0)->mutable_data<T>(), NumThreads(),
                 [](T*, int64_t) {});
    });
  }

 private:
  FcForward fc_;
};

class FCGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0, kInputW = 1, kInputDY = 2;
  static constexpr int kOutputDW = 0, kOutputDB = 1, kOutputDX = 2;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<FcDims> d =
        ComputeFcDims(def(), ctx.input(kInputX), ctx.input(kInputW), nullptr);
    if (!d.ok()) return d.status();
    d_ = *d;
    dtype_ = ctx.input(kInputX).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Compute<T>(Input(kInputX).data<T>(), Input(kInputW).data<T>(), Input(kInputDY).data<T>());
    });
  }

 private:
  template <typename T>
  void Compute(const T* x, const T* w, const T* dy) {
    const int64_t m = d_.m, k = d_.k, n = d_.n;
    const int64_t ldk = std::max<int64_t>(1, k), ldn = std::max<int64_t>(1, n);
    const int threads = NumThreads();
    // dW[N, K] = dY^T X: dY is stored as [M, N], i.e. op(A) transposed.
    kernels::Gemm<T>(true, false, n, k, m, T(1), dy, ldn, x, ldk, T(0),
                     Output(kOutputDW)->mutable_data<T>(), ldk, threads);
    // db: one running sum per column, the rows added in order; the inner
    // loop runs along a row of dY, so it vectorizes without reassociating.
    T* db = Output(kOutputDB)->mutable_data<T>();
    std::fill(db, db + n, T(0));
    for (int64_t r = 0; r < m; ++r) {
      const T* g = dy + r * n;
      for (int64_t j = 0; j < n; ++j) db[j] += g[j];
    }
    if (OutputSize() <= kOutputDX) return;
    // dX[M, K] = dY W.
    kernels::Gemm<T>(false, false, m, k, n, T(1), dy, ldn, w, ldk, T(0),
                     Output(kOutputDX)->mutable_data<T>(), ldk, threads);
  }

  FcDims d_;
  DType dtype_ = DType::kUndefined;
};

class GetFCGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("FCGradient", "", {I(0), I(1), GO(0)}, {GI(1), GI(2), GI(0)});
  }
};

absl::StatusOr<std::vector<TensorType>> InferFCGradient(const OperatorDef& def,
                                                        absl::Span<const TensorType> in) {
  absl::StatusOr<FcDims> d = ComputeFcDims(def, in[0], in[1], nullptr);
  if (!d.ok()) return d.status();
  std::vector<int64_t> ydims(in[0].dims.begin(), in[0].dims.begin() + d->axis);
  ydims.push_back(d->n);
  if (in[2].dtype != in[0].dtype || in[2].dims != ydims) {
    return absl::InvalidArgumentError(absl::StrCat("dY is ", in[2].ToString(), ", expected ",
                                                   TensorType{in[0].dtype, ydims}.ToString()));
  }
  std::vector<TensorType> out = {in[1], TensorType{in[0].dtype, {d->n}}};
  if (def.output_size() > 2) out.push_back(in[0]);
  return out;
}

constexpr char kAxisDoc[] = "X is flattened to a matrix at this axis (dims before it are rows).";
constexpr char kAxisWDoc[] = "W is flattened to a matrix at this axis.";
constexpr char kFloat16Doc[] =
    "Caffe2's fp16 GPU compute switch (brew.fc writes it); ignored on the CPU.";

}  // namespace

OPERATOR_SCHEMA(FC)
    .NumInputs(3)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis", 1, kAxisDoc)
    .Arg("axis_w", 1, kAxisWDoc)
    .Arg("float16_compute", 0, kFloat16Doc)
    .TensorInference(InferFC)
    .Input(0, "X", "Input, viewed as [M, K].")
    .Input(1, "W", "Weights, viewed as [N, K]; same dtype as X.")
    .Input(2, "b", "Bias [N]; same dtype as X.")
    .Output(0, "Y", "X W^T + b, dims X.dims[0:axis] + [N].")
    .SetDoc(
        "Fully connected layer: Y = X W^T + b (Caffe2 FC). Runs on OpenBLAS; a W constant "
        "across runs is packed once.");

OPERATOR_SCHEMA(FCGradient)
    .NumInputs(3)
    .NumOutputs(2, 3)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis", 1, kAxisDoc)
    .Arg("axis_w", 1, kAxisWDoc)
    .Arg("float16_compute", 0, kFloat16Doc)
    .TensorInference(InferFCGradient)
    .Input(0, "X", "Forward input.")
    .Input(1, "W", "Forward weights.")
    .Input(2, "dY", "Gradient of Y.")
    .Output(0, "dW", "dY^T X, shaped like W.")
    .Output(1, "db", "Column sums of dY, [N].")
    .Output(2, "dX", "dY W, shaped like X (optional).")
    .SetDoc("Gradient of FC.");

REGISTER_CPU_OPERATOR(FC, FCOp);
REGISTER_CPU_OPERATOR(FCGradient, FCGradientOp);
REGISTER_GRADIENT(FC, GetFCGradient);
SHOULD_NOT_DO_GRADIENT(FCGradient);

}  // namespace opgraph
