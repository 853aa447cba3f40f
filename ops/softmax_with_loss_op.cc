// SoftmaxWithLoss and SoftmaxWithLossGradient: softmax and cross-entropy
// in one step, with Caffe2's arguments (caffe2/operators/
// softmax_with_loss_op.cc).
//
//   SoftmaxWithLoss(X, T [, W]) -> P (X's shape), loss []
//
// Rows. X is viewed as [N, D] with N = prod(dims[0:axis]) and D =
// prod(dims[axis:]) (axis defaults to 1), so logits [N, C, 1, 1] are rows
// of C classes. With spatial=1 (Caffe2's older spatial mode, order NCHW), X
// is [N, D, H, W] and every (n, h, w) is a row over the D classes.
//
// Targets T. Integer classes: int32 with N entries (rank == axis, or the
// dims after axis multiply to 1; spatial: [N, H, W], where -1 marks a cell
// to ignore). With label_prob=1: a distribution per row, of X's type and
// shape [N, D] (after the same view), each entry >= 0 and each row summing
// to 1 within 1e-5.
//
// Weights W (optional): one per row, of X's type (N entries; spatial: N*H*W).
//
//   loss = scale * sum_r w_r * CE_r / sum_r w_r   (0 when sum_r w_r is 0)
//   CE_r = logsumexp(X_r) - X_r[T_r]              (classes)
//        = sum_c T_rc * (logsumexp(X_r) - X_rc)   (label_prob)
//   dX_r = dloss * scale * w_r / sum_r w_r * (P_r - target_r)
//
// The cross-entropy is computed from the logits with the row maximum
// subtracted, so it stays finite where P underflows (Caffe2 clamps P at
// 1e-20; the values agree wherever P > 1e-20). Caffe2's spatial mode
// leaves `scale` out of the forward loss but applies it in the gradient;
// opgraph applies it in both, so that the gradient is the loss's.
#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"

namespace opgraph {
namespace {

int64_t Product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i) p *= dims[i];
  return p;
}

// How a SoftmaxWithLoss sees its inputs: N rows-groups of D classes, each
// group holding S cells (S = H*W in spatial mode, else 1).
struct LossView {
  int64_t n = 0, d = 0, s = 1;
  bool label_prob = false;
  bool spatial = false;
  int64_t rows() const { return n * s; }
};

// Checks X, T and W (weights may be null) against the arguments of `def`.
absl::StatusOr<LossView> CheckLossInputs(const OperatorDef& def, const TensorType& x,
                                         const TensorType& t, const TensorType* w) {
  LossView v;
  const Argument* axis_arg = FindArgument(def, "axis");
  const Argument* prob_arg = FindArgument(def, "label_prob");
  const Argument* spatial_arg = FindArgument(def, "spatial");
  const Argument* order_arg = FindArgument(def, "order");
  v.label_prob = prob_arg != nullptr && prob_arg->i() != 0;
  v.spatial = spatial_arg != nullptr && spatial_arg->i() != 0;
  const int rank = static_cast<int>(x.dims.size());
  if (v.spatial) {
    if (v.label_prob) {
      return absl::InvalidArgumentError(
          "spatial=1 and label_prob=1 together are not supported "
          "(Caffe2 supports neither)");
    }
    if (order_arg != nullptr && order_arg->s() != "NCHW") {
      return absl::InvalidArgumentError(
          absl::StrCat("spatial=1 needs order NCHW, got ", order_arg->s()));
    }
    if (axis_arg != nullptr && axis_arg->i() != 1) {
      return absl::InvalidArgumentError("spatial=1 takes the classes on axis 1; omit 'axis'");
    }
    if (rank != 4) {
      return absl::InvalidArgumentError(
          absl::StrCat("with spatial=1, X is ", x.ToString(), "; expected [N, D, H, W]"));
    }
    v.n = x.dims[0];
    v.d = x.dims[1];
    v.s = x.dims[2] * x.dims[3];
    const std::vector<int64_t> want = {x.dims[0], x.dims[2], x.dims[3]};
    if (t.dtype != DType::kInt32 || t.dims != want) {
      return absl::InvalidArgumentError(absl::StrCat(
          "labels are ", t.ToString(), "; with spatial=1 expected int32", DimsToString(want)));
    }
  } else {
    if (rank < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("X is ", x.ToString(), "; expected rank >= 1"));
    }
    const int64_t axis_given = axis_arg != nullptr ? axis_arg->i() : 1;
    if (axis_given < -rank || axis_given >= rank) {
      return absl::InvalidArgumentError(
          absl::StrCat("axis ", axis_given, " is out of range for X ", x.ToString()));
    }
    const size_t axis = static_cast<size_t>(axis_given < 0 ? axis_given + rank : axis_given);
    v.n = Product(x.dims, 0, axis);
    v.d = Product(x.dims, axis, x.dims.size());
    if (v.label_prob) {
      if (t.dtype != x.dtype || t.dims.size() < 2 || t.dims.size() < axis ||
          Product(t.dims, 0, axis) != v.n || Product(t.dims, axis, t.dims.size()) != v.d) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labels are ", t.ToString(), "; with label_prob=1 expected ", DTypeName(x.dtype),
            " of rank >= 2 viewed at axis ", axis, " as [", v.n, ", ", v.d, "]"));
      }
    } else {
      const bool shape_ok = t.dims.size() == axis
                                ? Product(t.dims, 0, t.dims.size()) == v.n
                                : (t.dims.size() > axis && Product(t.dims, 0, axis) == v.n &&
                                   Product(t.dims, axis, t.dims.size()) == 1);
      if (t.dtype != DType::kInt32 || !shape_ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            "labels are ", t.ToString(), "; expected int32[", v.n, "] or int32[", v.n,
            ", 1] (one class per row of X ", x.ToString(), " viewed at axis ", axis, ")"));
      }
    }
  }
  if (v.d < 1) {
    return absl::InvalidArgumentError(absl::StrCat("X ", x.ToString(), " has no classes"));
  }
  if (w != nullptr && (w->dtype != x.dtype || Product(w->dims, 0, w->dims.size()) != v.rows())) {
    return absl::InvalidArgumentError(absl::StrCat("weights are ", w->ToString(), "; expected ",
                                                   v.rows(), " ", DTypeName(x.dtype),
                                                   " values, one per row"));
  }
  return v;
}

template <typename T>
absl::Status CheckRowTargets(const LossView& v, const T* prob, int32_t label, int64_t row,
                             bool* ignored) {
  *ignored = false;
  if (v.label_prob) {
    double total = 0;
    for (int64_t c = 0; c < v.d; ++c) {
      const double p = static_cast<double>(prob[c]);
      if (!(p >= 0)) {
        return absl::InvalidArgumentError(absl::StrCat("label_prob row ", row, " class ", c, " is ",
                                                       p, "; probabilities must be >= 0"));
      }
      total += p;
    }
    if (std::abs(total - 1.0) >= 1e-5) {
      return absl::InvalidArgumentError(
          absl::StrCat("label_prob row ", row, " sums to ", total, "; expected 1 (+/- 1e-5)"));
    }
    return absl::OkStatus();
  }
  if (v.spatial && label == -1) {
    *ignored = true;
    return absl::OkStatus();
  }
  if (label < 0 || label >= v.d) {
    return absl::InvalidArgumentError(absl::StrCat("label of row ", row, " is ", label,
                                                   "; expected 0 to ", v.d - 1,
                                                   v.spatial ? " (or -1 to ignore)" : ""));
  }
  return absl::OkStatus();
}

class SoftmaxWithLossOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override {
    scale_ = Arg<float>("scale");
    if (!std::isfinite(scale_)) {
      return absl::InvalidArgumentError(
          absl::StrCat("argument 'scale' must be finite, got ", scale_));
    }
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    const TensorType* w = def().input_size() > 2 ? &ctx.input(2) : nullptr;
    absl::StatusOr<LossView> v = CheckLossInputs(def(), ctx.input(0), ctx.input(1), w);
    if (!v.ok()) return v.status();
    view_ = *v;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) { return Compute<typename decltype(tag)::type>(); });
  }

 private:
  template <typename T>
  absl::Status Compute() {
    const LossView& v = view_;
    const T* x = Input(0).template data<T>();
    const T* w = def().input_size() > 2 ? Input(2).template data<T>() : nullptr;
    T* p = Output(0)->template mutable_data<T>();
    double loss = 0, weight_sum = 0;
    for (int64_t i = 0; i < v.n; ++i) {
      for (int64_t cell = 0; cell < v.s; ++cell) {
        const int64_t row = i * v.s + cell;
        auto at = [&](int64_t c) { return (i * v.d + c) * v.s + cell; };
        T mx = x[at(0)];
        for (int64_t c = 1; c < v.d; ++c) mx = std::max(mx, x[at(c)]);
        T sum = 0;
        for (int64_t c = 0; c < v.d; ++c) {
          p[at(c)] = std::exp(x[at(c)] - mx);
          sum += p[at(c)];
        }
        const T inv = T(1) / sum;
        for (int64_t c = 0; c < v.d; ++c) p[at(c)] *= inv;
        // log(sum) + mx - x_c is the cross-entropy of class c.
        const double lse = static_cast<double>(std::log(sum)) + static_cast<double>(mx);
        const int32_t label = v.label_prob ? 0 : Input(1).template data<int32_t>()[row];
        const T* prob = v.label_prob ? Input(1).template data<T>() + row * v.d : nullptr;
        bool ignored = false;
        absl::Status s = CheckRowTargets<T>(v, prob, label, row, &ignored);
        if (!s.ok()) return s;
        if (ignored) continue;
        const double weight = w != nullptr ? static_cast<double>(w[row]) : 1.0;
        double ce = 0;
        if (v.label_prob) {
          for (int64_t c = 0; c < v.d; ++c) {
            ce += static_cast<double>(prob[c]) * (lse - static_cast<double>(x[at(c)]));
          }
        } else {
          // In T, as before weights existed, so unweighted results keep
          // their bits (tests/ops/bit_identity_test.cc).
          ce = static_cast<double>(std::log(sum) - (x[at(label)] - mx));
        }
        loss += weight * ce;
        weight_sum += weight;
      }
    }
    *Output(1)->template mutable_data<T>() =
        static_cast<T>(weight_sum != 0 ? scale_ * loss / weight_sum : 0.0);
    return absl::OkStatus();
  }
  double scale_ = 1.0;
  DType dtype_ = DType::kUndefined;
  LossView view_;
};

class SoftmaxWithLossGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override {
    scale_ = Arg<float>("scale");
    return absl::OkStatus();
  }

  absl::Status Prepare(const PrepareContext& ctx) override {
    dtype_ = ctx.input(0).dtype;
    const int k = def().input_size();
    const TensorType* w = k > 4 ? &ctx.input(2) : nullptr;
    absl::StatusOr<LossView> v = CheckLossInputs(def(), ctx.input(0), ctx.input(1), w);
    if (!v.ok()) return v.status();
    view_ = *v;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) { return Compute<typename decltype(tag)::type>(); });
  }

 private:
  template <typename T>
  absl::Status Compute() {
    const LossView& v = view_;
    const int k = def().input_size();
    const T* w = k > 4 ? Input(2).template data<T>() : nullptr;
    const T* p = Input(k - 2).template data<T>();
    const T g = *Input(k - 1).template data<T>();
    T* dx = Output(0)->template mutable_data<T>();
    // First pass: check the targets and sum the weights of counted rows.
    double weight_sum = 0;
    std::vector<char> counted(static_cast<size_t>(v.rows()), 0);
    for (int64_t row = 0; row < v.rows(); ++row) {
      const int32_t label = v.label_prob ? 0 : Input(1).template data<int32_t>()[row];
      const T* prob = v.label_prob ? Input(1).template data<T>() + row * v.d : nullptr;
      bool ignored = false;
      absl::Status s = CheckRowTargets<T>(v, prob, label, row, &ignored);
      if (!s.ok()) return s;
      if (ignored) continue;
      counted[static_cast<size_t>(row)] = 1;
      weight_sum += w != nullptr ? static_cast<double>(w[row]) : 1.0;
    }
    // factor * P - factor at the label, in T: the unweighted result keeps
    // the bits it had before weights existed (tests/ops/bit_identity_test.cc).
    const T factor = weight_sum != 0 ? static_cast<T>(scale_ / weight_sum) * g : T(0);
    for (int64_t i = 0; i < v.n; ++i) {
      for (int64_t cell = 0; cell < v.s; ++cell) {
        const int64_t row = i * v.s + cell;
        auto at = [&](int64_t c) { return (i * v.d + c) * v.s + cell; };
        if (!counted[static_cast<size_t>(row)]) {
          for (int64_t c = 0; c < v.d; ++c) dx[at(c)] = T(0);
          continue;
        }
        const T rf = w != nullptr ? factor * w[row] : factor;
        if (v.label_prob) {
          const T* t = Input(1).template data<T>() + row * v.d;
          for (int64_t c = 0; c < v.d; ++c) dx[at(c)] = rf * (p[at(c)] - t[c]);
        } else {
          for (int64_t c = 0; c < v.d; ++c) dx[at(c)] = rf * p[at(c)];
          dx[at(Input(1).template data<int32_t>()[row])] -= rf;
        }
      }
    }
    return absl::OkStatus();
  }
  double scale_ = 1.0;
  DType dtype_ = DType::kUndefined;
  LossView view_;
};

// Only the loss carries a gradient. A gradient flowing into P would need
// the softmax Jacobian as well; rather than drop it silently, refuse.
class GetSoftmaxWithLossGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (!GO(0).empty()) {
      return absl::UnimplementedError(
          absl::StrCat("output P ('", O(0), "') has a gradient (", GO(0),
                       "); only the loss output may be differentiated; use Softmax for P"));
    }
    if (GO(1).empty()) return std::vector<OperatorDef>{};
    std::vector<std::string> in = {I(0), I(1)};
    if (def().input_size() == 3) in.push_back(I(2));
    in.push_back(O(0));
    in.push_back(GO(1));
    return SingleGradientDef("SoftmaxWithLossGradient", "", in, {GI(0)});
  }
};

constexpr char kScaleDoc[] = "Multiplies the loss (and its gradient).";
constexpr char kAxisDoc[] = "X is viewed as [prod(dims[:axis]), prod(dims[axis:])].";
constexpr char kLabelProbDoc[] = "1: labels are a probability distribution per row.";
constexpr char kSpatialDoc[] =
    "1: X is [N, D, H, W] (NCHW) and each (n, h, w) is a row; labels [N, H, W], -1 ignored.";
constexpr char kOrderDoc[] = "Storage order; spatial=1 needs NCHW.";

void LossArguments(OpSchema& s) {
  s.AllowedTypes({DType::kFloat32, DType::kFloat64})
      .Arg("scale", 1.0f, kScaleDoc)
      .Arg("axis", 1, kAxisDoc)
      .Arg("label_prob", 0, kLabelProbDoc)
      .Arg("spatial", 0, kSpatialDoc)
      .Arg("order", std::string("NCHW"), kOrderDoc);
}

}  // namespace

OPERATOR_SCHEMA(SoftmaxWithLoss)
    .NumInputs(2, 3)
    .NumOutputs(2)
    .Apply(LossArguments)
    .TensorInference([](const OperatorDef& def, absl::Span<const TensorType> in)
                         -> absl::StatusOr<std::vector<TensorType>> {
      absl::StatusOr<LossView> v =
          CheckLossInputs(def, in[0], in[1], in.size() > 2 ? &in[2] : nullptr);
      if (!v.ok()) return v.status();
      return std::vector<TensorType>{in[0], TensorType{in[0].dtype, {}}};
    })
    .Input(0, "X", "Logits, float32 or float64, viewed as [N, D] at axis (see spatial).")
    .Input(1, "labels", "int32 class per row in [0, D), or (label_prob) a distribution per row.")
    .Input(2, "weights", "Optional: one weight per row, X's type.")
    .Output(0, "P", "softmax over the classes, X's shape.")
    .Output(1, "loss", "scale * weighted mean cross-entropy, a scalar (dims []).")
    .SetDoc("Softmax followed by the weighted mean cross-entropy (Caffe2 SoftmaxWithLoss).");

OPERATOR_SCHEMA(SoftmaxWithLossGradient)
    .NumInputs(4, 5)
    .NumOutputs(1)
    .Apply(LossArguments)
    .TensorInference([](const OperatorDef& def, absl::Span<const TensorType> in)
                         -> absl::StatusOr<std::vector<TensorType>> {
      const size_t k = in.size();
      absl::StatusOr<LossView> v = CheckLossInputs(def, in[0], in[1], k > 4 ? &in[2] : nullptr);
      if (!v.ok()) return v.status();
      if (in[k - 2] != in[0]) {
        return absl::InvalidArgumentError(
            absl::StrCat("P is ", in[k - 2].ToString(), " but X is ", in[0].ToString()));
      }
      if (in[k - 1].dtype != in[0].dtype || !in[k - 1].dims.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("dloss is ", in[k - 1].ToString(),
                                                       "; expected a ", DTypeName(in[0].dtype),
                                                       " scalar []"));
      }
      return std::vector<TensorType>{in[0]};
    })
    .Input(0, "X", "Forward logits.")
    .Input(1, "labels", "Forward labels.")
    .Input(2, "weights_or_P", "Forward weights when given (then P and dloss follow), else P.")
    .Input(3, "P_or_dloss", "Forward softmax output, or the gradient of the loss.")
    .Input(4, "dloss", "Gradient of the loss when weights are given.")
    .Output(0, "dX", "Gradient of the logits.")
    .SetDoc("dX = dloss * scale * w / sum(w) * (P - target) per row.");

REGISTER_CPU_OPERATOR(SoftmaxWithLoss, SoftmaxWithLossOp);
REGISTER_CPU_OPERATOR(SoftmaxWithLossGradient, SoftmaxWithLossGradientOp);
REGISTER_GRADIENT(SoftmaxWithLoss, GetSoftmaxWithLossGradient);
SHOULD_NOT_DO_GRADIENT(SoftmaxWithLossGradient);

}  // namespace opgraph
