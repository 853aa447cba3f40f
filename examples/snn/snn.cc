#include "examples/snn/snn.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backward.h"
#include "core/status_macros.h"
#include "core/workspace.h"

namespace opgraph {
namespace snn {
namespace {

constexpr double kPi = 3.14159265358979323846;

Argument IntsArg(const std::string& name, const std::vector<int64_t>& v) {
  Argument a;
  a.set_name(name);
  for (int64_t x : v) a.add_ints(x);
  return a;
}
Argument FloatArg(const std::string& name, float v) {
  Argument a;
  a.set_name(name);
  a.set_f(v);
  return a;
}
Argument IntArg(const std::string& name, int64_t v) {
  Argument a;
  a.set_name(name);
  a.set_i(v);
  return a;
}
OperatorDef Op(const std::string& type, const std::vector<std::string>& in,
               const std::vector<std::string>& out, const std::vector<Argument>& args = {}) {
  OperatorDef op;
  op.set_type(type);
  for (const std::string& s : in) op.add_input(s);
  for (const std::string& s : out) op.add_output(s);
  for (const Argument& a : args) *op.add_arg() = a;
  return op;
}

// Layer l maps fan_in(l) -> fan_out(l).
int FanIn(const MlpConfig& cfg, int l) { return l == 0 ? cfg.input_dim : cfg.width; }
int FanOut(const MlpConfig& cfg, int l) { return l == cfg.hidden_layers ? cfg.classes : cfg.width; }

Tensor Scalar(float v) {
  Tensor t;
  CHECK(t.Resize(DType::kFloat32, {1}).ok());
  *t.mutable_data<float>() = v;
  return t;
}

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double r = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
  const double theta = 2 * kPi * Uniform();
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

Dataset MakeSpirals(int points_per_class, double turns, double noise, uint64_t seed) {
  Rng rng(seed);
  const int n = 3 * points_per_class;
  std::vector<double> xs(2 * static_cast<size_t>(n));
  std::vector<int32_t> labels(n);
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < points_per_class; ++i) {
      const double t = static_cast<double>(i) / points_per_class;
      const double r = 0.05 + t;
      const double angle = 2 * kPi * (c / 3.0 + turns * t);
      const int row = c * points_per_class + i;
      xs[2 * row] = r * std::cos(angle) + noise * rng.Normal();
      xs[2 * row + 1] = r * std::sin(angle) + noise * rng.Normal();
      labels[row] = c;
    }
  }
  Dataset d;
  CHECK(d.x.Resize(DType::kFloat32, {n, 2}).ok());
  CHECK(d.labels.Resize(DType::kInt32, {n}).ok());
  for (int f = 0; f < 2; ++f) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; ++i) mean += xs[2 * i + f];
    mean /= n;
    for (int i = 0; i < n; ++i) var += (xs[2 * i + f] - mean) * (xs[2 * i + f] - mean);
    const double inv_std = 1.0 / std::sqrt(var / n);
    for (int i = 0; i < n; ++i) {
      d.x.mutable_data<float>()[2 * i + f] = static_cast<float>((xs[2 * i + f] - mean) * inv_std);
    }
  }
  std::copy(labels.begin(), labels.end(), d.labels.mutable_data<int32_t>());
  return d;
}

std::vector<std::string> ParameterNames(const MlpConfig& cfg) {
  std::vector<std::string> names;
  for (int l = 0; l <= cfg.hidden_layers; ++l) {
    names.push_back(absl::StrCat("W", l));
    names.push_back(absl::StrCat("b", l));
  }
  return names;
}

std::vector<std::string> HiddenNames(const MlpConfig& cfg, const std::string& prefix) {
  std::vector<std::string> names;
  for (int l = 0; l < cfg.hidden_layers; ++l) names.push_back(absl::StrCat(prefix, "h", l));
  return names;
}

NetDef BuildInitNet(const MlpConfig& cfg, uint64_t seed) {
  NetDef net;
  net.set_name("snn_init");
  for (int l = 0; l <= cfg.hidden_layers; ++l) {
    const int fan_in = FanIn(cfg, l);
    *net.add_op() = Op("GaussianFill", {}, {absl::StrCat("W", l)},
                       {IntsArg("shape", {FanOut(cfg, l), fan_in}), FloatArg("mean", 0),
                        FloatArg("std", static_cast<float>(std::sqrt(1.0 / fan_in))),
                        IntArg("seed", static_cast<int64_t>(seed * 1000 + l))});
    *net.add_op() = Op("ConstantFill", {}, {absl::StrCat("b", l)},
                       {IntsArg("shape", {FanOut(cfg, l)}), FloatArg("value", 0)});
  }
  return net;
}

NetDef BuildForwardNet(const MlpConfig& cfg, const std::string& input, const std::string& labels,
                       const std::string& prefix) {
  NetDef net;
  net.set_name(prefix + "snn_forward");
  std::string x = input;
  for (int l = 0; l < cfg.hidden_layers; ++l) {
    const std::string h = absl::StrCat(prefix, "h", l);
    *net.add_op() = Op("FC", {x, absl::StrCat("W", l), absl::StrCat("b", l)}, {h});
    *net.add_op() = Op("Selu", {h}, {h});  // in place
    x = h;
  }
  const int last = cfg.hidden_layers;
  *net.add_op() =
      Op("FC", {x, absl::StrCat("W", last), absl::StrCat("b", last)}, {prefix + "logits"});
  if (!labels.empty()) {
    *net.add_op() =
        Op("SoftmaxWithLoss", {prefix + "logits", labels}, {prefix + "prob", prefix + "loss"});
    *net.add_op() = Op("Accuracy", {prefix + "prob", labels}, {prefix + "accuracy"});
  }
  return net;
}

absl::StatusOr<std::vector<EpochStats>> Train(
    const TrainConfig& train, const MlpConfig& mlp,
    const std::function<void(const EpochStats&)>& on_epoch) {
  if (train.epochs < 0 || train.batch_size < 1 || train.points_per_class < 1 ||
      !(train.learning_rate > 0) || mlp.hidden_layers < 0 || mlp.width < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "need epochs >= 0, batch size >= 1, points per class >= 1, learning rate > 0, "
        "hidden layers >= 0 and width >= 1; got epochs ",
        train.epochs, ", batch ", train.batch_size, ", points ", train.points_per_class, ", rate ",
        train.learning_rate, ", layers ", mlp.hidden_layers, ", width ", mlp.width));
  }
  const auto start = std::chrono::steady_clock::now();
  const Dataset data = MakeSpirals(train.points_per_class, train.turns, train.noise, train.seed);
  const int64_t n = data.x.dim(0);
  const int64_t batch = std::min<int64_t>(train.batch_size, n);
  const int64_t steps = n / batch;  // the remainder of a shuffled epoch is left out

  Workspace ws;
  OPGRAPH_RETURN_IF_ERROR(ws.RunNetOnce(BuildInitNet(mlp, train.seed)));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("ONE", Scalar(1.f)));
  OPGRAPH_RETURN_IF_ERROR(
      ws.FeedBlob("MINUS_LR", Scalar(static_cast<float>(-train.learning_rate))));
  Tensor batch_x, batch_labels;
  OPGRAPH_RETURN_IF_ERROR(batch_x.Resize(DType::kFloat32, {batch, mlp.input_dim}));
  OPGRAPH_RETURN_IF_ERROR(batch_labels.Resize(DType::kInt32, {batch}));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("data", batch_x));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("label", batch_labels));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("eval_data", data.x));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("eval_label", data.labels));

  NetDef train_net = BuildForwardNet(mlp, "data", "label", "");
  train_net.set_name("snn_train");
  OPGRAPH_ASSIGN_OR_RETURN(GradientNetInfo grads, AddGradientOperators(&train_net, {"loss"}));
  for (const std::string& p : ParameterNames(mlp)) {
    *train_net.add_op() = Op("WeightedSum", {p, "ONE", grads.gradient_of.at(p), "MINUS_LR"}, {p});
  }
  OPGRAPH_ASSIGN_OR_RETURN(Net * step_net, ws.CreateNet(train_net));
  OPGRAPH_ASSIGN_OR_RETURN(Net * eval_net,
                           ws.CreateNet(BuildForwardNet(mlp, "eval_data", "eval_label", "eval_")));

  std::vector<EpochStats> stats;
  auto evaluate = [&](int epoch, double batch_loss) -> absl::Status {
    OPGRAPH_RETURN_IF_ERROR(eval_net->Run());
    EpochStats s;
    s.epoch = epoch;
    s.loss = ws.GetBlob("eval_loss")->data<float>()[0];
    s.accuracy = ws.GetBlob("eval_accuracy")->data<float>()[0];
    s.mean_batch_loss = batch_loss;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.push_back(s);
    if (on_epoch) on_epoch(s);
    return absl::OkStatus();
  };
  OPGRAPH_RETURN_IF_ERROR(evaluate(0, 0));

  Rng shuffle_rng(train.seed ^ 0x5851f42d4c957f2dULL);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Tensor* x_blob = ws.GetMutableBlob("data");
  Tensor* label_blob = ws.GetMutableBlob("label");
  const float* all_x = data.x.data<float>();
  const int32_t* all_labels = data.labels.data<int32_t>();
  for (int epoch = 1; epoch <= train.epochs; ++epoch) {
    for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
      std::swap(order[i], order[shuffle_rng.Below(static_cast<uint64_t>(i + 1))]);
    }
    double loss_sum = 0;
    for (int64_t s = 0; s < steps; ++s) {
      float* bx = x_blob->mutable_data<float>();
      int32_t* bl = label_blob->mutable_data<int32_t>();
      for (int64_t r = 0; r < batch; ++r) {
        const int64_t src = order[s * batch + r];
        std::copy(all_x + src * mlp.input_dim, all_x + (src + 1) * mlp.input_dim,
                  bx + r * mlp.input_dim);
        bl[r] = all_labels[src];
      }
      OPGRAPH_RETURN_IF_ERROR(step_net->Run());
      loss_sum += ws.GetBlob("loss")->data<float>()[0];
    }
    OPGRAPH_RETURN_IF_ERROR(evaluate(epoch, loss_sum / static_cast<double>(steps)));
  }
  return stats;
}

std::string StatsToCsv(const std::vector<EpochStats>& stats) {
  std::string out = "epoch,loss,accuracy,mean_batch_loss,seconds\n";
  for (const EpochStats& s : stats) {
    absl::StrAppendFormat(&out, "%d,%.6f,%.6f,%.6f,%.3f\n", s.epoch, s.loss, s.accuracy,
                          s.mean_batch_loss, s.seconds);
  }
  return out;
}

namespace {

// Up to about 6 "nice" tick values (1, 2 or 5 times a power of ten) in [lo, hi].
std::vector<double> Ticks(double lo, double hi) {
  const double span = hi > lo ? hi - lo : 1;
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) {
    ticks.push_back(std::fabs(t) < 1e-12 ? 0 : t);
  }
  return ticks;
}

std::string TickLabel(double v) {
  std::string s = absl::StrFormat("%.4g", v);
  return s;
}

// One panel: a polyline of (epoch, value) inside the box at (x0, y0).
void Panel(std::string* svg, const std::vector<EpochStats>& stats, double EpochStats::*field,
           const std::string& ylabel, const std::string& color, double x0, double y0, double w,
           double h, double ymin, double ymax) {
  const double xmax = stats.empty() ? 1 : std::max(1, stats.back().epoch);
  auto px = [&](double e) { return x0 + w * e / xmax; };
  auto py = [&](double v) { return y0 + h - h * (v - ymin) / (ymax - ymin); };
  absl::StrAppendFormat(svg,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"none\" stroke=\"#000\"/>\n",
                        x0, y0, w, h);
  for (double t : Ticks(ymin, ymax)) {
    absl::StrAppendFormat(svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%s"
                          "</text>\n",
                          x0, py(t), x0 + w, py(t), x0 - 6, py(t) + 4, TickLabel(t));
  }
  for (double t : Ticks(0, xmax)) {
    absl::StrAppendFormat(svg,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\">%s"
                          "</text>\n",
                          px(t), y0 + h, px(t), y0 + h + 5, px(t), y0 + h + 18, TickLabel(t));
  }
  std::string points;
  for (const EpochStats& s : stats) {
    absl::StrAppendFormat(&points, "%.1f,%.1f ", px(s.epoch), py(s.*field));
  }
  absl::StrAppendFormat(svg,
                        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                        "points=\"%s\"/>\n",
                        color, points);
  absl::StrAppendFormat(svg,
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" text-anchor=\"middle\" "
                        "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                        x0 - 48, y0 + h / 2, x0 - 48, y0 + h / 2, ylabel);
  absl::StrAppendFormat(svg,
                        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"14\" "
                        "text-anchor=\"middle\">epoch</text>\n",
                        x0 + w / 2, y0 + h + 36);
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string StatsToSvg(const std::vector<EpochStats>& stats, const std::string& title) {
  constexpr double kWidth = 800, kHeight = 640;
  std::string svg = absl::StrFormat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
      "<text x=\"%.1f\" y=\"28\" font-size=\"18\" text-anchor=\"middle\">%s</text>\n",
      kWidth, kHeight, kWidth, kHeight, kWidth / 2, Escape(title));
  double max_loss = 0;
  for (const EpochStats& s : stats) max_loss = std::max(max_loss, s.loss);
  if (!(max_loss > 0)) max_loss = 1;
  Panel(&svg, stats, &EpochStats::loss, "training loss (cross-entropy)", "#c0392b", 90, 50, 670,
        230, 0, max_loss * 1.05);
  Panel(&svg, stats, &EpochStats::accuracy, "training accuracy", "#2c7fb8", 90, 350, 670, 230, 0,
        1);
  svg += "</svg>\n";
  return svg;
}

}  // namespace snn
}  // namespace opgraph
