// `opgraph run` and `opgraph inspect` with the optimizer (core/optimize.h)
// and --threads, through the binary.
#include <cstring>
#include <string>
#include <vector>

#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string PredictNet() { return SourcePath("examples/selu_softmax/predict_net.pbtxt"); }
std::string InitNet() { return SourcePath("examples/selu_softmax/init_net.pbtxt"); }

TEST(CliOptimizeTest, DemoOutputIsTheSameFusedUnfusedAndThreaded) {
  std::string first;
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {}, {"--no-optimize"}, {"--threads", "2"}, {"--no-optimize", "--threads=2"}}) {
    std::vector<std::string> args = {"run", PredictNet(), "--init", InitNet()};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunOpgraph(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ExpectDemoOutput(r.out);
    // On one machine every variant prints the same bits.
    if (first.empty()) first = r.out;
    EXPECT_EQ(r.out, first);
  }
}

// A tensor large enough for 2 threads to split every operator: the
// optimized, unoptimized and 2-thread runs write the same bits.
TEST(CliOptimizeTest, LargeInputGivesIdenticalBitsEveryWay) {
  Rng rng(31);
  const Tensor x = RandomTensor<float>({600, 1000}, rng, -6, 6);
  const std::string x_path = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x_path, x).ok());
  std::vector<Tensor> ys;
  int k = 0;
  for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
           {}, {"--no-optimize"}, {"--threads", "2"}}) {
    const std::string y_path = TestPath("y" + std::to_string(k++) + ".npy");
    std::vector<std::string> args = {"run", PredictNet(), "--input", "X=" + x_path, "--output",
                                     "Y=" + y_path};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = RunOpgraph(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    absl::StatusOr<Tensor> y = ReadNpy(y_path);
    ASSERT_TRUE(y.ok()) << y.status();
    ys.push_back(*std::move(y));
  }
  for (size_t i = 1; i < ys.size(); ++i) {
    ASSERT_EQ(ys[i].dims(), ys[0].dims());
    EXPECT_EQ(std::memcmp(ys[i].raw_data(), ys[0].raw_data(), ys[0].nbytes()), 0) << i;
  }
}

// Naming the intermediate with --output keeps it: the pair is not fused.
TEST(CliOptimizeTest, OutputFlagProtectsTheIntermediate) {
  CliResult r = RunOpgraph({"run", PredictNet(), "--init", InitNet(), "--output", "H=-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("H: float32[2, 4]\n"));
}

TEST(CliOptimizeTest, InspectShowsTheNetAfterOptimization) {
  CliResult r = RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=3,5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nafter optimization: 1 operator (fused Selu #0 + Softmax #1 "
                               "into SeluSoftmax #0)\n  #0 SeluSoftmax: X -> Y  axis=1\n"));
  // Softmax over [2, 3, 4] from axis 1 flattens 12 values: not fusable.
  CliResult r3 = RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=2,3,4"});
  ASSERT_EQ(r3.exit_code, 0) << r3.err;
  EXPECT_THAT(r3.out, HasSubstr("\nafter optimization: 2 operators (unchanged)\n"));
  EXPECT_THAT(r3.out, Not(HasSubstr("SeluSoftmax")));
}

TEST(CliOptimizeTest, BadThreadCountsAreUsageErrors) {
  for (const char* v : {"0", "-1", "two", "100000"}) {
    CliResult r = RunOpgraph({"run", PredictNet(), "--init", InitNet(), "--threads", v});
    EXPECT_EQ(r.exit_code, 2) << v;
    EXPECT_THAT(r.err, HasSubstr("--threads")) << v;
  }
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
