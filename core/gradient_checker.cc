#include "core/gradient_checker.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/gradient.h"
#include "core/workspace.h"

namespace opgraph {
namespace {

bool IsFloat(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

double ElementAsDouble(const Tensor& t, int64_t i) {
  return t.IsType<float>() ? static_cast<double>(t.data<float>()[i]) : t.data<double>()[i];
}

absl::StatusOr<Tensor> ToFloat64(const Tensor& t) {
  if (!t.IsType<float>()) return t.Clone();
  Tensor out;
  absl::Status s = out.Resize(DType::kFloat64, t.dims());
  if (!s.ok()) return s;
  double* o = out.mutable_data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) o[i] = t.data<float>()[i];
  return out;
}

absl::StatusOr<std::vector<Tensor>> CloneAll(const std::vector<TensorRef>& tensors) {
  std::vector<Tensor> out;
  for (const TensorRef& t : tensors) {
    absl::StatusOr<Tensor> c = t->Clone();
    if (!c.ok()) return c.status();
    out.push_back(*std::move(c));
  }
  return out;
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  double Uniform(double lo, double hi) {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * (static_cast<double>(z >> 11) * 0x1.0p-53);
  }

 private:
  uint64_t state_;
};

absl::Status Feed(Workspace* ws, const OperatorDef& def, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    absl::StatusOr<Tensor> copy = inputs[i].Clone();
    if (!copy.ok()) return copy.status();
    absl::Status s = ws->FeedBlob(def.input(static_cast<int>(i)), *std::move(copy));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// The checker state for one compute type.
class Checker {
 public:
  Checker(const OperatorDef& def, std::vector<Tensor> inputs, const GradientCheckOptions& opt)
      : def_(def), inputs_(std::move(inputs)), opt_(opt) {}

  // Builds the forward net; fails when the operator rejects these inputs.
  absl::Status Prepare() {
    absl::Status s = Feed(&fwd_ws_, def_, inputs_);
    if (!s.ok()) return s;
    NetDef net;
    net.set_name(absl::StrCat("gradient_check_", def_.type()));
    *net.add_op() = def_;
    absl::StatusOr<Net*> created = fwd_ws_.CreateNet(net);
    if (!created.ok()) return created.status();
    fwd_ = *created;
    return fwd_->Run();
  }

  absl::StatusOr<GradientCheckResult> Run() {
    std::vector<int> ins = opt_.inputs;
    if (ins.empty()) {
      for (int i = 0; i < def_.input_size(); ++i) {
        if (IsFloat(inputs_[i].dtype())) ins.push_back(i);
      }
    }
    for (int i : ins) {
      if (i < 0 || i >= def_.input_size()) {
        return absl::InvalidArgumentError(absl::StrCat("input index ", i, " is out of range for ",
                                                       def_.type(), " with ", def_.input_size(),
                                                       " inputs"));
      }
      if (!IsFloat(inputs_[i].dtype())) {
        return absl::InvalidArgumentError(absl::StrCat("input ", i, " ('", def_.input(i), "') is ",
                                                       inputs_[i].DebugString(),
                                                       "; only float inputs have gradients"));
      }
    }
    // Weights for L, one per element of each checked output.
    std::vector<int> outs = opt_.outputs;
    if (outs.empty()) {
      for (int k = 0; k < def_.output_size(); ++k) {
        if (IsFloat(fwd_ws_.GetBlob(def_.output(k))->dtype())) outs.push_back(k);
      }
    }
    std::vector<std::vector<double>> weights(def_.output_size());
    SplitMix64 rng(opt_.seed);
    std::vector<std::string> g_out(def_.output_size());
    Workspace grad_ws;
    absl::Status s = Feed(&grad_ws, def_, inputs_);
    if (!s.ok()) return s;
    for (int k : outs) {
      if (k < 0 || k >= def_.output_size()) {
        return absl::InvalidArgumentError(absl::StrCat("output index ", k, " is out of range for ",
                                                       def_.type(), " with ", def_.output_size(),
                                                       " outputs"));
      }
      const Tensor& y = *fwd_ws_.GetBlob(def_.output(k));
      if (!IsFloat(y.dtype())) {
        return absl::InvalidArgumentError(absl::StrCat("output ", k, " ('", def_.output(k),
                                                       "') is ", y.DebugString(),
                                                       ", not a float tensor"));
      }
      Tensor w;
      s = w.ResizeLike(y);
      if (!s.ok()) return s;
      for (int64_t e = 0; e < y.numel(); ++e) {
        weights[k].push_back(rng.Uniform(-1, 1));
        if (w.IsType<float>()) {
          w.mutable_data<float>()[e] = static_cast<float>(weights[k][e]);
        } else {
          w.mutable_data<double>()[e] = weights[k][e];
        }
      }
      if (w.IsType<float>()) {  // L uses exactly the weights that were fed
        for (int64_t e = 0; e < y.numel(); ++e) weights[k][e] = w.data<float>()[e];
      }
      g_out[k] = def_.output(k) + "_grad";
      s = grad_ws.FeedBlob(g_out[k], std::move(w));
      if (!s.ok()) return s;
    }

    // Analytic gradients.
    absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(def_, g_out);
    if (!meta.ok()) return meta.status();
    NetDef net;
    net.set_name(absl::StrCat("gradient_check_", def_.type(), "_backward"));
    *net.add_op() = def_;
    for (const OperatorDef& g : meta->ops) *net.add_op() = g;
    s = grad_ws.RunNetOnce(net);
    if (!s.ok()) return s;

    GradientCheckResult result;
    result.compute_dtype = DType::kFloat32;
    for (const Tensor& t : inputs_) {
      if (t.IsType<double>()) result.compute_dtype = DType::kFloat64;
    }
    result.step =
        opt_.step > 0 ? opt_.step : (result.compute_dtype == DType::kFloat64 ? 1e-5 : 1e-2);
    for (int i : ins) {
      InputGradientCheck check;
      check.input = i;
      check.blob = def_.input(i);
      const int64_t n = inputs_[i].numel();
      check.analytic.assign(n, 0.0);
      const std::string& gname = meta->g_input[i];
      check.has_gradient = !gname.empty();
      if (check.has_gradient) {
        const Tensor* g = grad_ws.GetBlob(gname);
        if (g == nullptr || g->type() != inputs_[i].type()) {
          return absl::InvalidArgumentError(
              absl::StrCat("the gradient of input ", i, " ('", check.blob, "', ",
                           inputs_[i].DebugString(), ") is blob '", gname, "' holding ",
                           g == nullptr ? std::string("nothing") : g->DebugString()));
        }
        for (int64_t e = 0; e < n; ++e) check.analytic[e] = ElementAsDouble(*g, e);
      }
      check.numeric.assign(n, 0.0);
      for (int64_t e = 0; e < n; ++e) {
        double x_plus = 0, x_minus = 0, l_plus = 0, l_minus = 0;
        s = EvaluateAt(i, e, +result.step, weights, &x_plus, &l_plus);
        if (s.ok()) s = EvaluateAt(i, e, -result.step, weights, &x_minus, &l_minus);
        if (!s.ok()) return s;
        check.numeric[e] = (l_plus - l_minus) / (x_plus - x_minus);
      }
      for (int64_t e = 0; e < n; ++e) {
        const double a = check.analytic[e], m = check.numeric[e];
        const double abs_err = std::fabs(a - m);
        const double rel_err = abs_err / std::max({std::fabs(a), std::fabs(m), 1e-8});
        if (abs_err > check.max_abs_error || check.worst_index < 0) {
          check.max_abs_error = abs_err;
          check.worst_index = e;
        }
        check.max_rel_error = std::max(check.max_rel_error, rel_err);
      }
      result.inputs.push_back(std::move(check));
    }
    return result;
  }

 private:
  // Restores every input, moves element e of input i by delta, runs the
  // operator and returns the moved value (as stored) and L.
  absl::Status EvaluateAt(int i, int64_t e, double delta,
                          const std::vector<std::vector<double>>& weights, double* x,
                          double* loss) {
    absl::Status s = Feed(&fwd_ws_, def_, inputs_);
    if (!s.ok()) return s;
    Tensor* t = fwd_ws_.GetMutableBlob(def_.input(i));
    if (t->IsType<float>()) {
      float* p = t->mutable_data<float>() + e;
      *p = static_cast<float>(*p + delta);
      *x = *p;
    } else {
      double* p = t->mutable_data<double>() + e;
      *p += delta;
      *x = *p;
    }
    s = fwd_->Run();
    if (!s.ok()) return s;
    double l = 0;
    for (int k = 0; k < def_.output_size(); ++k) {
      if (weights[k].empty()) continue;
      const Tensor& y = *fwd_ws_.GetBlob(def_.output(k));
      for (int64_t j = 0; j < y.numel(); ++j) l += weights[k][j] * ElementAsDouble(y, j);
    }
    *loss = l;
    return absl::OkStatus();
  }

  const OperatorDef& def_;
  std::vector<Tensor> inputs_;
  const GradientCheckOptions& opt_;
  Workspace fwd_ws_;
  Net* fwd_ = nullptr;
};

}  // namespace

std::string GradientCheckResult::Summary() const {
  std::string out = absl::StrCat("computed in ", DTypeName(compute_dtype), ", step ", step);
  for (const InputGradientCheck& c : inputs) {
    absl::StrAppend(&out, "; input ", c.input, " '", c.blob, "': max abs error ", c.max_abs_error,
                    ", max rel error ", c.max_rel_error,
                    c.has_gradient ? "" : " (no gradient registered for it)");
  }
  return out;
}

absl::StatusOr<GradientCheckResult> CheckGradient(const OperatorDef& def,
                                                  const std::vector<TensorRef>& inputs,
                                                  const GradientCheckOptions& options) {
  if (static_cast<int>(inputs.size()) != def.input_size()) {
    return absl::InvalidArgumentError(absl::StrCat("operator ", def.type(), " has ",
                                                   def.input_size(), " inputs but ", inputs.size(),
                                                   " tensors were given"));
  }
  std::set<std::string> names;
  for (const std::string& in : def.input()) {
    if (!names.insert(in).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("operator ", def.type(), " reads blob '", in,
                       "' twice; the gradient checker needs distinct input blobs"));
    }
  }
  bool converted = false;
  if (options.use_float64) {
    std::vector<Tensor> wide;
    for (const TensorRef& t : inputs) {
      converted = converted || t->IsType<float>();
      absl::StatusOr<Tensor> w = ToFloat64(t.get());
      if (!w.ok()) return w.status();
      wide.push_back(*std::move(w));
    }
    if (converted) {
      Checker checker(def, std::move(wide), options);
      if (checker.Prepare().ok()) return checker.Run();
      // The operator does not take float64: check in the given types.
    }
  }
  absl::StatusOr<std::vector<Tensor>> copies = CloneAll(inputs);
  if (!copies.ok()) return copies.status();
  Checker checker(def, *std::move(copies), options);
  absl::Status s = checker.Prepare();
  if (!s.ok()) return s;
  return checker.Run();
}

absl::Status GradientWithinTolerance(const GradientCheckResult& result, double atol, double rtol) {
  const bool f64 = result.compute_dtype == DType::kFloat64;
  if (atol < 0) atol = f64 ? 1e-6 : 1e-2;
  if (rtol < 0) rtol = f64 ? 1e-5 : 1e-2;
  for (const InputGradientCheck& c : result.inputs) {
    for (size_t e = 0; e < c.analytic.size(); ++e) {
      const double a = c.analytic[e], m = c.numeric[e];
      if (!(std::fabs(a - m) <= atol + rtol * std::max(std::fabs(a), std::fabs(m)))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "gradient of input ", c.input, " ('", c.blob, "') element ", e, ": analytic ", a,
            ", numeric ", m, " (", DTypeName(result.compute_dtype), ", step ", result.step,
            "); allowed |difference| <= ", atol, " + ", rtol, " * max(|analytic|, |numeric|)",
            c.has_gradient ? "" : "; the operator gives this input no gradient"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace opgraph
