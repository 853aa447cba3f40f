// A self-normalizing MLP (Klambauer et al. 2017) trained with opgraph:
// FC -> Selu layers with LeCun-normal initialization, SoftmaxWithLoss on
// top, a backward net from AddGradientOperators and plain SGD written as
// WeightedSum operators. The data set is three interleaved spirals, made
// deterministically from a seed.
//
// train_snn.cc is the command-line front end; tests/examples/snn_test.cc
// runs short versions.
#ifndef OPGRAPH_EXAMPLES_SNN_SNN_H_
#define OPGRAPH_EXAMPLES_SNN_SNN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace snn {

// SplitMix64 with Box-Muller normals: the same numbers on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  double Uniform();  // [0, 1), 53 bits
  double Normal();   // N(0, 1)
  // An integer in [0, n), n > 0.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)); }

 private:
  uint64_t state_;
  bool has_spare_ = false;
  double spare_ = 0;
};

struct Dataset {
  Tensor x;       // float32 [N, 2], each feature standardized to mean 0, variance 1
  Tensor labels;  // int32 [N], class 0, 1 or 2
};

// Three spirals of `points_per_class` points each. Point i of class c sits
// at radius r = 0.05 + t and angle 2 pi (c / 3 + turns * t), t = i / n,
// plus Gaussian noise of standard deviation `noise` on each coordinate.
Dataset MakeSpirals(int points_per_class, double turns, double noise, uint64_t seed);

struct MlpConfig {
  int input_dim = 2;
  int hidden_layers = 4;
  int width = 64;
  int classes = 3;
};

// The parameter blobs, in layer order: W0, b0, W1, b1, ...
std::vector<std::string> ParameterNames(const MlpConfig& cfg);
// The Selu output of each hidden layer in the forward net built with `prefix`.
std::vector<std::string> HiddenNames(const MlpConfig& cfg, const std::string& prefix);

// Initializes the parameters: W_l ~ N(0, 1 / fan_in) (LeCun normal, the
// initialization that self-normalization assumes), b_l = 0.
NetDef BuildInitNet(const MlpConfig& cfg, uint64_t seed);

// Forward net from `input` [N, input_dim]: hidden layers h = Selu(FC(.))
// (Selu in place on the FC output), logits, then, when `labels` is not
// empty, SoftmaxWithLoss -> prefix+"prob", prefix+"loss" and Accuracy ->
// prefix+"accuracy". Intermediate blobs carry `prefix`; parameters do not,
// so several forward nets share them.
NetDef BuildForwardNet(const MlpConfig& cfg, const std::string& input, const std::string& labels,
                       const std::string& prefix);

struct TrainConfig {
  int epochs = 60;
  double learning_rate = 0.02;
  int batch_size = 50;
  uint64_t seed = 1;
  int points_per_class = 1000;
  double turns = 1.25;
  double noise = 0.04;
};

struct EpochStats {
  int epoch = 0;               // 0: before training
  double loss = 0;             // mean cross-entropy over the whole training set
  double accuracy = 0;         // fraction of the training set classified correctly
  double mean_batch_loss = 0;  // mean of the minibatch losses during the epoch (0 for epoch 0)
  double seconds = 0;          // wall time since training started
};

// Trains and returns one row per epoch (plus epoch 0). `on_epoch`, when
// set, sees each row as it is made. Errors: InvalidArgument for a
// non-positive size or rate; any error of net creation or running.
absl::StatusOr<std::vector<EpochStats>> Train(
    const TrainConfig& train, const MlpConfig& mlp,
    const std::function<void(const EpochStats&)>& on_epoch = nullptr);

// "epoch,loss,accuracy,mean_batch_loss,seconds\n0,1.1,0.33,0,0.01\n..."
std::string StatsToCsv(const std::vector<EpochStats>& stats);
// A standalone SVG document: loss and accuracy against epoch, two panels
// with axes, ticks and labels.
std::string StatsToSvg(const std::vector<EpochStats>& stats, const std::string& title);

}  // namespace snn
}  // namespace opgraph

#endif  // OPGRAPH_EXAMPLES_SNN_SNN_H_
