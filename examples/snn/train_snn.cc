// Trains the self-normalizing MLP of snn.h on three spirals and writes the
// per-epoch loss and accuracy as CSV and as an SVG plot.
//
//   train_snn --epochs=60 --lr=0.02 --seed=1 --csv=snn.csv --svg=snn.svg
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "examples/snn/snn.h"

ABSL_FLAG(int, epochs, 60, "Training epochs (passes over the data set).");
ABSL_FLAG(double, lr, 0.02, "SGD learning rate.");
ABSL_FLAG(int, batch, 50, "Minibatch size.");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the data set, the initialization and the shuffling.");
ABSL_FLAG(int, points, 1000, "Points per spiral (class).");
ABSL_FLAG(double, turns, 1.25, "Turns of each spiral.");
ABSL_FLAG(double, noise, 0.04, "Standard deviation of the Gaussian noise on each coordinate.");
ABSL_FLAG(int, layers, 4, "Hidden FC+Selu layers.");
ABSL_FLAG(int, width, 64, "Units per hidden layer.");
ABSL_FLAG(std::string, csv, "snn_train.csv", "Where to write the per-epoch CSV ('' to skip).");
ABSL_FLAG(std::string, svg, "snn_train.svg", "Where to write the SVG plot ('' to skip).");
ABSL_FLAG(bool, quiet, false, "Print only the final line.");

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::fprintf(stderr, "train_snn: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a self-normalizing MLP (FC+Selu, SGD) on three spirals with opgraph.");
  absl::ParseCommandLine(argc, argv);
  opgraph::snn::TrainConfig train;
  train.epochs = absl::GetFlag(FLAGS_epochs);
  train.learning_rate = absl::GetFlag(FLAGS_lr);
  train.batch_size = absl::GetFlag(FLAGS_batch);
  train.seed = absl::GetFlag(FLAGS_seed);
  train.points_per_class = absl::GetFlag(FLAGS_points);
  train.turns = absl::GetFlag(FLAGS_turns);
  train.noise = absl::GetFlag(FLAGS_noise);
  opgraph::snn::MlpConfig mlp;
  mlp.hidden_layers = absl::GetFlag(FLAGS_layers);
  mlp.width = absl::GetFlag(FLAGS_width);
  const bool quiet = absl::GetFlag(FLAGS_quiet);

  auto stats = opgraph::snn::Train(train, mlp, [&](const opgraph::snn::EpochStats& s) {
    if (!quiet) {
      std::printf("epoch %4d  loss %.4f  accuracy %.4f  (%.2f s)\n", s.epoch, s.loss, s.accuracy,
                  s.seconds);
      std::fflush(stdout);
    }
  });
  if (!stats.ok()) {
    std::fprintf(stderr, "train_snn: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  const std::string csv = absl::GetFlag(FLAGS_csv);
  const std::string svg = absl::GetFlag(FLAGS_svg);
  if (!csv.empty() && !WriteFile(csv, opgraph::snn::StatsToCsv(*stats))) return 1;
  const std::string title = absl::StrFormat(
      "SNN %d x %d, SGD lr %g, batch %d, seed %d: three spirals (%d points)", mlp.hidden_layers,
      mlp.width, train.learning_rate, train.batch_size, train.seed, 3 * train.points_per_class);
  if (!svg.empty() && !WriteFile(svg, opgraph::snn::StatsToSvg(*stats, title))) return 1;
  const opgraph::snn::EpochStats& last = stats->back();
  std::printf("final: epoch %d  loss %.4f  accuracy %.4f  time %.2f s\n", last.epoch, last.loss,
              last.accuracy, last.seconds);
  return 0;
}
