// The SNN example: a short training run learns, and the network it builds
// is self-normalizing at initialization.
#include "examples/snn/snn.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/workspace.h"
#include "gtest/gtest.h"

namespace opgraph {
namespace {

// Ten epochs of the default configuration (seed 1, 3000 points, 4 x 64,
// SGD lr 0.02, batch 50). Measured: loss 1.305 -> 0.426, accuracy 0.352 ->
// 0.855 (seeds 2-6 reach 0.86-0.95). The bounds leave a wide margin for
// other compilers and libms while staying far above chance (1/3).
TEST(SnnTest, ShortTrainingLearnsTheSpirals) {
  snn::TrainConfig train;
  train.epochs = 10;
  snn::MlpConfig mlp;
  auto stats = snn::Train(train, mlp);
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->size(), 11u);
  const snn::EpochStats& first = stats->front();
  const snn::EpochStats& last = stats->back();
  EXPECT_EQ(last.epoch, 10);
  EXPECT_LT(first.accuracy, 0.45);  // untrained: about chance
  EXPECT_LT(last.loss, 0.6 * first.loss);
  EXPECT_GE(last.accuracy, 0.70);
  // The minibatch loss falls too: the last epoch's mean is below the first's.
  EXPECT_LT(last.mean_batch_loss, (*stats)[1].mean_batch_loss);

  const std::string csv = snn::StatsToCsv(*stats);
  EXPECT_EQ(csv.rfind("epoch,loss,accuracy,mean_batch_loss,seconds\n0,", 0), 0u);
  const std::string svg = snn::StatsToSvg(*stats, "test <run>");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("test &lt;run&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

TEST(SnnTest, RejectsBadConfigurations) {
  snn::TrainConfig train;
  train.learning_rate = 0;
  auto stats = snn::Train(train, snn::MlpConfig());
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SnnTest, SpiralsAreStandardizedAndBalanced) {
  const snn::Dataset d = snn::MakeSpirals(500, 1.25, 0.04, 3);
  ASSERT_EQ(d.x.dims(), (std::vector<int64_t>{1500, 2}));
  for (int f = 0; f < 2; ++f) {
    double mean = 0, var = 0;
    for (int i = 0; i < 1500; ++i) mean += d.x.data<float>()[2 * i + f];
    mean /= 1500;
    for (int i = 0; i < 1500; ++i) {
      const double v = d.x.data<float>()[2 * i + f] - mean;
      var += v * v;
    }
    EXPECT_NEAR(mean, 0, 1e-5);
    EXPECT_NEAR(var / 1500, 1, 1e-4);
  }
  int count[3] = {0, 0, 0};
  for (int i = 0; i < 1500; ++i) ++count[d.labels.data<int32_t>()[i]];
  EXPECT_EQ(count[0], 500);
  EXPECT_EQ(count[2], 500);
}

// Self-normalization (Klambauer et al. 2017, Theorem 1): with LeCun-normal
// weights, Selu maps activations of mean 0 and variance 1 to mean 0 and
// variance 1, and that fixed point attracts. A 16-layer, width-256 stack on
// 2048 samples of N(0, 1) input must keep every layer's activation mean
// (over all samples and units) within 0.1 of 0 and its variance within 0.25
// of 1. Finite width is the main source of drift: a unit's pre-activation
// variance is sum_j w_ij^2, a chi-square with 256 degrees of freedom over
// 256, whose relative spread is sqrt(2 / 256) = 0.09 per unit and
// 0.09 / sqrt(256) = 0.006 for the layer average; sampling adds
// 1 / sqrt(2048 * 256) = 0.0014 to the mean. Measured (init seed 1, data seed 99):
// worst |mean| 0.0088 and worst |var - 1| 0.026 over the 16 layers; the bounds
// are about 10x those and over 10 times the per-layer spread estimated above.
TEST(SnnTest, DeepSeluStackIsSelfNormalizing) {
  snn::MlpConfig cfg;
  cfg.input_dim = 256;
  cfg.width = 256;
  cfg.hidden_layers = 16;
  cfg.classes = 4;
  Workspace ws;
  ASSERT_TRUE(ws.RunNetOnce(snn::BuildInitNet(cfg, 1)).ok());
  constexpr int kSamples = 2048;
  Tensor x;
  ASSERT_TRUE(x.Resize(DType::kFloat32, {kSamples, cfg.input_dim}).ok());
  snn::Rng rng(99);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.mutable_data<float>()[i] = static_cast<float>(rng.Normal());
  ASSERT_TRUE(ws.FeedBlob("x", std::move(x)).ok());
  ASSERT_TRUE(ws.RunNetOnce(snn::BuildForwardNet(cfg, "x", "", "")).ok());
  double worst_mean = 0, worst_var = 0;
  for (const std::string& h : snn::HiddenNames(cfg, "")) {
    const Tensor* t = ws.GetBlob(h);
    ASSERT_NE(t, nullptr) << h;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < t->numel(); ++i) mean += t->data<float>()[i];
    mean /= t->numel();
    for (int64_t i = 0; i < t->numel(); ++i) {
      const double v = t->data<float>()[i] - mean;
      var += v * v;
    }
    var /= t->numel();
    EXPECT_LT(std::fabs(mean), 0.1) << h;
    EXPECT_LT(std::fabs(var - 1), 0.25) << h;
    worst_mean = std::max(worst_mean, std::fabs(mean));
    worst_var = std::max(worst_var, std::fabs(var - 1));
  }
  RecordProperty("worst_abs_mean", std::to_string(worst_mean));
  RecordProperty("worst_abs_var_minus_1", std::to_string(worst_var));
  std::printf("worst |mean| %.4f, worst |var - 1| %.4f\n", worst_mean, worst_var);
}

// The same stack with weights twice too large is not normalized: the test
// above would catch a wrong initialization.
TEST(SnnTest, WrongInitializationIsDetectable) {
  snn::MlpConfig cfg;
  cfg.input_dim = 64;
  cfg.width = 64;
  cfg.hidden_layers = 8;
  NetDef init = snn::BuildInitNet(cfg, 1);
  for (OperatorDef& op : *init.mutable_op()) {
    if (op.type() != "GaussianFill") continue;
    for (Argument& a : *op.mutable_arg()) {
      if (a.name() == "std") a.set_f(2 * a.f());
    }
  }
  Workspace ws;
  ASSERT_TRUE(ws.RunNetOnce(init).ok());
  Tensor x;
  ASSERT_TRUE(x.Resize(DType::kFloat32, {512, cfg.input_dim}).ok());
  snn::Rng rng(5);
  for (int64_t i = 0; i < x.numel(); ++i)
    x.mutable_data<float>()[i] = static_cast<float>(rng.Normal());
  ASSERT_TRUE(ws.FeedBlob("x", std::move(x)).ok());
  ASSERT_TRUE(ws.RunNetOnce(snn::BuildForwardNet(cfg, "x", "", "")).ok());
  const Tensor* last = ws.GetBlob(snn::HiddenNames(cfg, "").back());
  double mean = 0, var = 0;
  for (int64_t i = 0; i < last->numel(); ++i) mean += last->data<float>()[i];
  mean /= last->numel();
  for (int64_t i = 0; i < last->numel(); ++i) {
    const double v = last->data<float>()[i] - mean;
    var += v * v;
  }
  var /= last->numel();
  EXPECT_GT(std::fabs(var - 1), 0.25);
}

}  // namespace
}  // namespace opgraph
