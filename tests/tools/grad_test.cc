// `opgraph grad`: runs the real binary on small nets.
#include <string>

#include "core/net_io.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace {

using testing::RunOpgraph;
using testing::WriteTestFile;

constexpr char kNet[] = R"pb(
  name: "mlp"
  op { type: "FC" input: "x" input: "W1" input: "b1" output: "h" }
  op { type: "Selu" input: "h" output: "h" }
  op { type: "FC" input: "h" input: "W2" input: "b2" output: "z" }
  op { type: "SoftmaxWithLoss" input: "z" input: "labels" output: "P" output: "loss" }
)pb";

TEST(GradCliTest, WritesARunnableTrainingNet) {
  const std::string net = WriteTestFile("net.pbtxt", kNet);
  const std::string train = testing::TestPath("train.pb");
  const testing::CliResult r = RunOpgraph({"grad", net, "--loss", "loss", "-o", train});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 forward and 5 backward operators"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("W1 -> W1_grad\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("b2 -> b2_grad\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("labels ->"), std::string::npos) << r.out;

  absl::StatusOr<NetDef> def = ReadNetFile(train);
  ASSERT_TRUE(def.ok()) << def.status();
  ASSERT_EQ(def->op_size(), 9);
  EXPECT_EQ(def->op(4).type(), "ConstantFill");
  EXPECT_EQ(def->op(8).type(), "FCGradient");
  // The written net runs and yields a gradient shaped like its parameter.
  testing::Rng rng(3);
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", testing::RandomTensor<float>({2, 3}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("W1", testing::RandomTensor<float>({4, 3}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("b1", testing::RandomTensor<float>({4}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("W2", testing::RandomTensor<float>({3, 4}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("b2", testing::RandomTensor<float>({3}, rng, -1, 1)).ok());
  ASSERT_TRUE(ws.FeedBlob("labels", testing::MakeTensor<int32_t>({2}, {0, 2})).ok());
  absl::Status s = ws.RunNetOnce(*def);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ws.GetBlob("W1_grad")->type(), (TensorType{DType::kFloat32, {4, 3}}));
}

TEST(GradCliTest, PrintsTextWithoutOutput) {
  const std::string net = WriteTestFile("net.pbtxt", kNet);
  const testing::CliResult r = RunOpgraph({"grad", net, "--loss=loss"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("type: \"SeluGradient\""), std::string::npos) << r.out;
}

TEST(GradCliTest, Errors) {
  const std::string net = WriteTestFile("net.pbtxt", kNet);
  EXPECT_EQ(RunOpgraph({"grad", net}).exit_code, 2);  // no --loss
  const testing::CliResult unknown = RunOpgraph({"grad", net, "--loss", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("'nope' is not written"), std::string::npos) << unknown.err;
  const std::string bad = WriteTestFile("bad.pbtxt", R"pb(
    op { type: "WeightedSum" input: "x" input: "w" output: "y" }
    op { type: "SoftmaxWithLoss" input: "y" input: "labels" output: "P" output: "loss" }
  )pb");
  const testing::CliResult forbidden = RunOpgraph({"grad", bad, "--loss", "loss"});
  EXPECT_EQ(forbidden.exit_code, 1);
  EXPECT_NE(forbidden.err.find("operator #0 WeightedSum"), std::string::npos) << forbidden.err;
}

}  // namespace
}  // namespace opgraph
