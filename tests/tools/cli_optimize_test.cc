// `opgraph run` and `opgraph inspect` with the optimizer (core/optimize.h)
// and --threads, through the binary.
#include <cstring>
#include <string>
#include <vector>

#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
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
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{}, {"--no-optimize"}, {"--threads", "2"}}) {
    const std::string y_path = TestPath("y" + std::to_string(k++) + ".npy");
    std::vector<std::string> args = {"run",         PredictNet(), "--input",
                                     "X=" + x_path, "--output",   "Y=" + y_path};
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
  EXPECT_THAT(r3.out, HasSubstr("\nafter optimization: 2 operators (unchanged)\n"
                                "passes that changed the net: none\n"));
  EXPECT_THAT(r3.out, Not(HasSubstr("SeluSoftmax")));
}

TEST(CliOptimizeTest, InspectNamesThePassesThatChangedTheNet) {
  CliResult r = RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=3,5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("  #0 SeluSoftmax: X -> Y  axis=1\n"
                               "passes that changed the net: FuseSeluSoftmax\n"));
  CliResult off = RunOpgraph(
      {"inspect", PredictNet(), "--input-shape", "X=3,5", "--disable-pass", "FuseSeluSoftmax"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_THAT(off.out,
              HasSubstr("\nafter optimization: 2 operators (unchanged)\n"
                        "passes that changed the net: none (disabled: FuseSeluSoftmax)\n"));
  CliResult none = RunOpgraph({"inspect", PredictNet(), "--input-shape", "X=3,5", "--no-optimize"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("\nafter optimization: off (--no-optimize)\n"));
}

// An FC whose output only a Selu reads: inspect lists FuseFCSelu among the
// passes that changed the net, and --disable-pass keeps the pair.
TEST(CliOptimizeTest, InspectShowsTheFCSeluFusion) {
  const std::string net = WriteTestFile("fc_selu.pbtxt", R"(name: "fc_selu"
op { type: "FC" input: "X" input: "W" input: "b" output: "H" }
op { type: "Selu" input: "H" output: "Y" }
external_input: "X" external_input: "W" external_input: "b"
external_output: "Y"
)");
  const std::vector<std::string> shapes = {"--input-shape", "X=4,6",         "--input-shape",
                                           "W=3,6",         "--input-shape", "b=3"};
  std::vector<std::string> args = {"inspect", net};
  args.insert(args.end(), shapes.begin(), shapes.end());
  CliResult r = RunOpgraph(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("after optimization: 1 operator (fused FC #0 + Selu #1 into "
                               "FCSelu #0)\n"));
  EXPECT_THAT(r.out, HasSubstr("passes that changed the net: FuseFCSelu\n"));
  args.insert(args.end(), {"--disable-pass", "FuseFCSelu"});
  CliResult off = RunOpgraph(args);
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_THAT(off.out, HasSubstr("passes that changed the net: none (disabled: FuseFCSelu)\n"));
}

TEST(CliOptimizeTest, DisablePassTurnsTheFusionOff) {
  // Same values either way; bench reports the net it timed.
  CliResult run = RunOpgraph({"run", PredictNet(), "--init", InitNet(), "--disable-pass",
                              "FuseSeluSoftmax", "--disable-pass=FuseSeluSoftmax"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectDemoOutput(run.out);
  for (const bool disabled : {false, true}) {
    std::vector<std::string> args = {"bench",   PredictNet(), "--init", InitNet(),
                                     "--iters", "1",          "--json"};
    if (disabled) args.insert(args.end(), {"--disable-pass", "FuseSeluSoftmax"});
    CliResult b = RunOpgraph(args);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    const nlohmann::json j = nlohmann::json::parse(b.out);
    EXPECT_EQ(j["operators"], disabled ? 2 : 1);
    EXPECT_EQ(j["optimize"]["passes_changed"].size(), disabled ? 0u : 1u);
    EXPECT_EQ(j["optimize"]["disabled_passes"].size(), disabled ? 1u : 0u);
  }
}

TEST(CliOptimizeTest, UnknownPassIsAUsageErrorNamingTheKnownOnes) {
  for (const char* cmd : {"run", "bench", "inspect"}) {
    CliResult r = RunOpgraph({cmd, PredictNet(), "--init", InitNet(), "--disable-pass", "Fuse"});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_THAT(r.err,
                HasSubstr(std::string("opgraph ") + cmd +
                          ": --disable-pass Fuse: no such pass (known passes: "
                          "FuseSeluSoftmax, FuseFCSelu, FuseFCActivation, DropUnreadOutputs)\n"));
    EXPECT_THAT(r.err, HasSubstr("--help"));
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliOptimizeTest, InspectJsonParsesWithTheExpectedKeys) {
  CliResult r = RunOpgraph({"inspect", PredictNet(), "--init", InitNet(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["net"], "selu_softmax");
  EXPECT_EQ(j["file"], PredictNet());
  EXPECT_EQ(j["type"], "simple");
  EXPECT_EQ(j["external_inputs"], nlohmann::json::array({"X"}));
  EXPECT_EQ(j["external_outputs"], nlohmann::json::array({"Y"}));
  ASSERT_EQ(j["operators"].size(), 2u);
  EXPECT_EQ(j["operators"][1]["type"], "Softmax");
  EXPECT_EQ(j["operators"][1]["inputs"], nlohmann::json::array({"H"}));
  EXPECT_EQ(j["operators"][1]["args"], nlohmann::json::array({"axis=1"}));
  ASSERT_EQ(j["blobs"].size(), 3u);
  EXPECT_EQ(j["blobs"][0]["name"], "X");
  EXPECT_EQ(j["blobs"][0]["type"], "float32[2, 4]");
  EXPECT_EQ(j["blobs"][0]["dims"], nlohmann::json::array({2, 4}));
  EXPECT_EQ(j["blobs"][0]["origin"], "from --init");
  EXPECT_EQ(j["blobs"][2]["writers"], nlohmann::json::array({1}));
  EXPECT_EQ(j["blobs"][2]["external_output"], true);
  EXPECT_TRUE(j["in_place"].empty());
  EXPECT_TRUE(j["errors"].empty());
  EXPECT_EQ(j["optimized"]["state"], "computed");
  EXPECT_EQ(j["optimized"]["passes_changed"], nlohmann::json::array({"FuseSeluSoftmax"}));
  ASSERT_EQ(j["optimized"]["operators"].size(), 1u);
  EXPECT_EQ(j["optimized"]["operators"][0]["type"], "SeluSoftmax");
  // Unknown shapes: a null type and a listed unknown input.
  CliResult u = RunOpgraph({"inspect", PredictNet(), "--json"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  const nlohmann::json k = nlohmann::json::parse(u.out);
  EXPECT_TRUE(k["blobs"][0]["type"].is_null());
  EXPECT_EQ(k["unknown_inputs"], nlohmann::json::array({"X"}));
  EXPECT_EQ(k["optimized"]["state"], "unknown input shapes");
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
