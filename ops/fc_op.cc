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
#include <vector>

#include "absl/strings/str_cat.h"
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

class FCOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0, kInputW = 1, kInputB = 2;

  absl::Status RunOnDevice() override {
    const Tensor& x = Input(kInputX);
    const Tensor& w = Input(kInputW);
    const Tensor& b = Input(kInputB);
    const TensorType bt = b.type();
    absl::StatusOr<FcDims> d = ComputeFcDims(def(), x.type(), w.type(), &bt);
    if (!d.ok()) return d.status();
    std::vector<int64_t> ydims(x.dims().begin(), x.dims().begin() + d->axis);
    ydims.push_back(d->n);
    absl::Status s = Output(0)->Resize(x.dtype(), ydims);
    if (!s.ok()) return s;
    if (x.IsType<float>()) {
      Compute<float>(*d, x.data<float>(), w.data<float>(), b.data<float>(), &wt_f_,
                     Output(0)->mutable_data<float>());
    } else {
      Compute<double>(*d, x.data<double>(), w.data<double>(), b.data<double>(), &wt_d_,
                      Output(0)->mutable_data<double>());
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  static void Compute(const FcDims& d, const T* x, const T* w, const T* b, std::vector<T>* wt,
                      T* y) {
    const int64_t M = d.m, K = d.k, N = d.n;
    wt->resize(static_cast<size_t>(K * N));
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t k = 0; k < K; ++k) (*wt)[k * N + n] = w[n * K + k];
    }
    const T* wtp = wt->data();
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
  std::vector<float> wt_f_;
  std::vector<double> wt_d_;
};

class FCGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputX = 0, kInputW = 1, kInputDY = 2;
  static constexpr int kOutputDW = 0, kOutputDB = 1, kOutputDX = 2;

  absl::Status RunOnDevice() override {
    const Tensor& x = Input(kInputX);
    const Tensor& w = Input(kInputW);
    const Tensor& dy = Input(kInputDY);
    absl::StatusOr<FcDims> d = ComputeFcDims(def(), x.type(), w.type(), nullptr);
    if (!d.ok()) return d.status();
    absl::Status s = Output(kOutputDW)->ResizeLike(w);
    if (s.ok()) s = Output(kOutputDB)->Resize(x.dtype(), {d->n});
    if (s.ok() && OutputSize() > kOutputDX) s = Output(kOutputDX)->ResizeLike(x);
    if (!s.ok()) return s;
    if (x.IsType<float>()) {
      Compute<float>(*d, x.data<float>(), w.data<float>(), dy.data<float>());
    } else {
      Compute<double>(*d, x.data<double>(), w.data<double>(), dy.data<double>());
    }
    return absl::OkStatus();
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
