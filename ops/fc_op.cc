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
// The products are plain loops ordered so that the innermost loop runs
// along contiguous memory (an axpy), which the compiler vectorizes without
// reassociating any sum. The forward pass keeps W^T in a buffer reused
// across runs. Accumulation is in the tensor's type.
#include <algorithm>
#include <new>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

int Rank(const TensorType& t) { return static_cast<int>(t.dims.size()); }

struct FcDims {
  int axis = 1;
  int axis_w = 1;
  int64_t m = 0, k = 0, n = 0;
};

// Checks X, W and b against each other; the error names the shapes.
absl::StatusOr<FcDims> ComputeFcDims(const OperatorDef& def, const TensorType& x,
                                     const TensorType& w, const TensorType* b) {
  const Argument* axis_arg = FindArgument(def, "axis");
  const Argument* axis_w_arg = FindArgument(def, "axis_w");
  if (x.dims.empty() || w.dims.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "X ", x.ToString(), " and W ", w.ToString(), " must have rank >= 1"));
  }
  FcDims d;
  absl::StatusOr<int> axis = CanonicalAxis(axis_arg ? axis_arg->i() : 1, Rank(x));
  if (!axis.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'axis': ", axis.status().message()));
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
  if (b != nullptr && (b->dtype != x.dtype || DimsProduct(b->dims, 0, Rank(*b)) != d.n ||
                       b->dims.size() != 1)) {
    return absl::InvalidArgumentError(absl::StrCat("b is ", b->ToString(), ", expected ",
                                                   DTypeName(x.dtype), "[", d.n, "]"));
  }
  if (w.dtype != x.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("W is ", w.ToString(), " but X is ", x.ToString(), "; types must match"));
  }
  return d;
}

// Scratch space for a transposed copy of W, or ResourceExhausted.
template <typename T>
absl::Status AllocateScratch(std::vector<T>* v, int64_t n) {
  try {
    v->assign(static_cast<size_t>(n), T(0));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("out of memory allocating ", n, " elements of scratch space for W^T"));
  }
  return absl::OkStatus();
}

// W^T [K, N] from W [N, K].
template <typename T>
void Transpose(const T* w, int64_t n, int64_t k, T* wt) {
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < k; ++c) wt[c * n + r] = w[r * k + c];
  }
}

class FCOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0, kInputW = 1, kInputB = 2;

  // Shapes are fixed here. When W is constant across runs (weights fed
  // once or made by an init net), its transpose is computed once, here;
  // otherwise each run transposes into scratch space sized here.
  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<FcDims> d =
        ComputeFcDims(def(), ctx.input(kInputX), ctx.input(kInputW), &ctx.input(kInputB));
    if (!d.ok()) return d.status();
    d_ = *d;
    dtype_ = ctx.input(kInputX).dtype;
    const Tensor* w = ctx.ConstantInput(kInputW);
    packed_ = w != nullptr;
    return DispatchFloat(dtype_, [&](auto tag) -> absl::Status {
      using T = typename decltype(tag)::type;
      std::vector<T>& wt = Scratch<T>();
      absl::Status s = AllocateScratch(&wt, d_.k * d_.n);
      if (!s.ok()) return s;
      if (packed_) Transpose(w->data<T>(), d_.n, d_.k, wt.data());
      return absl::OkStatus();
    });
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::vector<T>& wt = Scratch<T>();
      if (!packed_) Transpose(Input(kInputW).data<T>(), d_.n, d_.k, wt.data());
      Compute<T>(d_, Input(kInputX).data<T>(), wt.data(), Input(kInputB).data<T>(),
                 Output(0)->mutable_data<T>());
    });
  }

 private:
  template <typename T>
  std::vector<T>& Scratch() {
    if constexpr (std::is_same_v<T, float>) {
      return wt_f_;
    } else {
      return wt_d_;
    }
  }

  template <typename T>
  static void Compute(const FcDims& d, const T* x, const T* wtp, const T* b, T* y) {
    const int64_t M = d.m, K = d.k, N = d.n;
    for (int64_t m = 0; m < M; ++m) {
      T* yr = y + m * N;
      std::copy(b, b + N, yr);
      const T* xr = x + m * K;
      for (int64_t k = 0; k < K; ++k) {
        const T xv = xr[k];
        const T* wr = wtp + k * N;
        for (int64_t n = 0; n < N; ++n) yr[n] += xv * wr[n];
      }
    }
  }

  FcDims d_;
  DType dtype_ = DType::kUndefined;
  bool packed_ = false;
  std::vector<float> wt_f_;
  std::vector<double> wt_d_;
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
      Compute<T>(d_, Input(kInputX).data<T>(), Input(kInputW).data<T>(),
                 Input(kInputDY).data<T>());
    });
  }

 private:
  template <typename T>
  void Compute(const FcDims& d, const T* x, const T* w, const T* dy) {
    const int64_t M = d.m, K = d.k, N = d.n;
    T* dw = Output(kOutputDW)->mutable_data<T>();
    T* db = Output(kOutputDB)->mutable_data<T>();
    std::fill(dw, dw + N * K, T(0));
    std::fill(db, db + N, T(0));
    for (int64_t m = 0; m < M; ++m) {
      const T* g = dy + m * N;
      const T* xr = x + m * K;
      for (int64_t n = 0; n < N; ++n) {
        const T gv = g[n];
        db[n] += gv;
        T* dwr = dw + n * K;
        for (int64_t k = 0; k < K; ++k) dwr[k] += gv * xr[k];
      }
    }
    if (OutputSize() <= kOutputDX) return;
    T* dx = Output(kOutputDX)->mutable_data<T>();
    std::fill(dx, dx + M * K, T(0));
    for (int64_t m = 0; m < M; ++m) {
      const T* g = dy + m * N;
      T* dxr = dx + m * K;
      for (int64_t n = 0; n < N; ++n) {
        const T gv = g[n];
        const T* wr = w + n * K;
        for (int64_t k = 0; k < K; ++k) dxr[k] += gv * wr[k];
      }
    }
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

absl::StatusOr<std::vector<TensorType>> InferFC(const OperatorDef& def,
                                                absl::Span<const TensorType> in) {
  absl::StatusOr<FcDims> d = ComputeFcDims(def, in[0], in[1], &in[2]);
  if (!d.ok()) return d.status();
  TensorType y{in[0].dtype, std::vector<int64_t>(in[0].dims.begin(),
                                                 in[0].dims.begin() + d->axis)};
  y.dims.push_back(d->n);
  return std::vector<TensorType>{y};
}

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

}  // namespace

OPERATOR_SCHEMA(FC)
    .NumInputs(3)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis", 1, kAxisDoc)
    .Arg("axis_w", 1, kAxisWDoc)
    .TensorInference(InferFC)
    .Input(0, "X", "Input, viewed as [M, K].")
    .Input(1, "W", "Weights, viewed as [N, K]; same dtype as X.")
    .Input(2, "b", "Bias [N]; same dtype as X.")
    .Output(0, "Y", "X W^T + b, dims X.dims[0:axis] + [N].")
    .SetDoc("Fully connected layer: Y = X W^T + b (Caffe2 FC).");

OPERATOR_SCHEMA(FCGradient)
    .NumInputs(3)
    .NumOutputs(2, 3)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis", 1, kAxisDoc)
    .Arg("axis_w", 1, kAxisWDoc)
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
