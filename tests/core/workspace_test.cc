// Workspace and Net: creation-time validation, running, and what a failure
// leaves behind.
#include "core/workspace.h"

#include <cmath>
#include <cstring>

#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {

// A test-only operator that copies its input, or fails at run time when its
// input's first element is negative (after writing garbage to its output,
// as a half-finished kernel might).
class FailIfNegativeOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    Tensor* y = Output(0);
    absl::Status s = y->ResizeLike(x);
    if (!s.ok()) return s;
    std::memcpy(y->raw_mutable_data(), x.raw_data(), x.nbytes());
    if (x.numel() > 0 && x.data<float>()[0] < 0) {
      return absl::InvalidArgumentError("first element is negative");
    }
    return absl::OkStatus();
  }
};

OPERATOR_SCHEMA(TestFailIfNegative)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32})
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestFailIfNegative, FailIfNegativeOp);

namespace {

using testing::FloatArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::ToVector;

NetDef SeluChain(const std::string& name) {
  NetDef net;
  net.set_name(name);
  net.add_external_input("x");
  *net.add_op() = MakeOp("Selu", {"x"}, {"h"});
  *net.add_op() = MakeOp("Selu", {"h"}, {"y"});
  net.add_external_output("y");
  return net;
}

TEST(WorkspaceTest, FeedFetchRemove) {
  Workspace ws;
  EXPECT_FALSE(ws.HasBlob("a"));
  ASSERT_TRUE(ws.FeedBlob("a", MakeTensor<float>({2}, {1, 2})).ok());
  EXPECT_TRUE(ws.HasBlob("a"));
  auto t = ws.FetchBlob("a");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(ToVector<float>(*t), std::vector<float>({1, 2}));
  EXPECT_EQ(ws.FetchBlob("b").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ws.FeedBlob("c", Tensor()).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ws.RemoveBlob("a").ok());
  EXPECT_EQ(ws.RemoveBlob("a").code(), absl::StatusCode::kNotFound);
}

TEST(WorkspaceTest, CreateAndRunNet) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<double>({3}, {-1.0, 0.0, 2.0})).ok());
  auto net = ws.CreateNet(SeluChain("chain"));
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE(ws.RunNet("chain").ok());
  auto y = ws.FetchBlob("y");
  ASSERT_TRUE(y.ok());
  // selu(selu(x)) in double, with the closed form written out here.
  const double a = 1.6732632423543772848170429916717, l = 1.0507009873554804934193349852946;
  auto selu = [&](double v) { return v > 0 ? l * v : l * a * std::expm1(v); };
  const std::vector<double> got = ToVector<double>(*y);
  const double xs[] = {-1.0, 0.0, 2.0};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], selu(selu(xs[i])), 1e-15);
  EXPECT_EQ(ws.CreateNet(SeluChain("chain")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(ws.CreateNet(SeluChain("chain"), /*overwrite=*/true).ok());
}

TEST(WorkspaceTest, UnknownOperatorNamesNetIndexAndType) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({1}, {1})).ok());
  NetDef net = SeluChain("n");
  net.mutable_op(1)->set_type("Selo");
  net.mutable_op(1)->set_name("second");
  auto r = ws.CreateNet(net);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  const std::string msg(r.status().message());
  EXPECT_NE(msg.find("net 'n' operator #1 Selo 'second'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown operator type 'Selo'"), std::string::npos) << msg;
}

TEST(WorkspaceTest, MissingInputsAreNamed) {
  Workspace ws;
  auto r = ws.CreateNet(SeluChain("n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(
      r.status().message().find("'x' is declared in external_input but is not in the workspace"),
      std::string::npos)
      << r.status();
  NetDef net;
  net.set_name("m");
  *net.add_op() = MakeOp("Selu", {"nowhere"}, {"y"});
  r = ws.CreateNet(net);
  EXPECT_NE(r.status().message().find("'nowhere' is neither in the workspace nor written"),
            std::string::npos)
      << r.status();
}

TEST(WorkspaceTest, FailedCreationChangesNothing) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {1, 2})).ok());
  const std::vector<std::string> before = ws.Blobs();
  // Valid first operator, invalid third: no output blob of any of them may
  // appear.
  NetDef net = SeluChain("n");
  *net.add_op() = MakeOp("Selu", {"y"}, {"z"}, {FloatArg("scale", 0.5f)});
  auto r = ws.CreateNet(net);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("operator #2 Selu"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("'scale' must be greater than 1"), std::string::npos)
      << r.status();
  EXPECT_EQ(ws.Blobs(), before);
  EXPECT_TRUE(ws.Nets().empty());
}

TEST(WorkspaceTest, ShapeMismatchIsReportedAtCreation) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("y", MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})).ok());
  ASSERT_TRUE(ws.FeedBlob("dy", MakeTensor<float>({3, 2}, {1, 2, 3, 4, 5, 6})).ok());
  NetDef net;
  net.set_name("g");
  *net.add_op() = MakeOp("SeluGradient", {"y", "dy"}, {"dx"});
  auto r = ws.CreateNet(net);
  ASSERT_FALSE(r.ok());
  const std::string msg(r.status().message());
  EXPECT_NE(msg.find("(inputs: y float32[2, 3], dy float32[3, 2])"), std::string::npos) << msg;
  EXPECT_NE(msg.find("must have the same type and shape"), std::string::npos) << msg;
  EXPECT_FALSE(ws.HasBlob("dx"));
}

TEST(WorkspaceTest, UnsupportedNetTypeAndDevice) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({1}, {1})).ok());
  NetDef net = SeluChain("n");
  net.set_type("dag");
  EXPECT_TRUE(ws.CreateNet(net).ok());
  net.set_name("n2");
  net.set_type("fancy");
  EXPECT_EQ(ws.CreateNet(net).status().code(), absl::StatusCode::kUnimplemented);
  net.set_type("");
  net.mutable_op(0)->mutable_device_option()->set_device_type(1);
  auto r = ws.CreateNet(net);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(r.status().message().find("CPU"), std::string::npos);
}

TEST(WorkspaceTest, RunFailureNamesOperatorAndKeepsOtherBlobs) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {1, 2})).ok());
  NetDef net;
  net.set_name("f");
  net.add_external_input("x");
  *net.add_op() = MakeOp("Selu", {"x"}, {"a"});
  *net.add_op() = MakeOp("TestFailIfNegative", {"x"}, {"b"}, {});
  net.mutable_op(1)->set_name("checker");
  *net.add_op() = MakeOp("Selu", {"b"}, {"c"});
  ASSERT_TRUE(ws.CreateNet(net).ok());
  ASSERT_TRUE(ws.RunNet("f").ok());
  const std::vector<float> c_before = ToVector<float>(*ws.GetBlob("c"));

  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {-1, 2})).ok());
  absl::Status s = ws.RunNet("f");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(s.message());
  EXPECT_NE(msg.find("net 'f' operator #1 TestFailIfNegative 'checker' (inputs: x float32[2])"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("first element is negative"), std::string::npos) << msg;
  // Operator #2 did not run: its output keeps the previous run's values.
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("c")), c_before);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("x")), std::vector<float>({-1, 2}));
  // The workspace and the net remain usable.
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {3, 4})).ok());
  EXPECT_TRUE(ws.RunNet("f").ok());
}

TEST(WorkspaceTest, InputShapeChangeIsRecheckedBeforeRunning) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("y", MakeTensor<float>({2}, {1, 2})).ok());
  ASSERT_TRUE(ws.FeedBlob("dy", MakeTensor<float>({2}, {1, 1})).ok());
  NetDef net;
  net.set_name("g");
  *net.add_op() = MakeOp("SeluGradient", {"y", "dy"}, {"dx"});
  ASSERT_TRUE(ws.CreateNet(net).ok());
  ASSERT_TRUE(ws.RunNet("g").ok());
  const std::vector<float> dx_before = ToVector<float>(*ws.GetBlob("dx"));
  // A compatible change runs; an incompatible one fails before any kernel.
  ASSERT_TRUE(ws.FeedBlob("y", MakeTensor<float>({3}, {1, 2, 3})).ok());
  absl::Status s = ws.RunNet("g");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("dx")), dx_before);
  ASSERT_TRUE(ws.FeedBlob("dy", MakeTensor<float>({3}, {1, 1, 1})).ok());
  EXPECT_TRUE(ws.RunNet("g").ok());
  EXPECT_EQ(ws.GetBlob("dx")->numel(), 3);
}

TEST(WorkspaceTest, BlobUsedByNetCannotBeRemoved) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({1}, {1})).ok());
  ASSERT_TRUE(ws.CreateNet(SeluChain("n")).ok());
  absl::Status s = ws.RemoveBlob("h");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("net 'n'"), std::string::npos);
  ASSERT_TRUE(ws.DeleteNet("n").ok());
  EXPECT_TRUE(ws.RemoveBlob("h").ok());
}

TEST(WorkspaceTest, InferNetTypesIsPublic) {
  NetDef net = SeluChain("n");
  auto types = InferNetTypes(net, {{"x", TensorType{DType::kFloat64, {4, 5}}}});
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->at("h"), (TensorType{DType::kFloat64, {4, 5}}));
  EXPECT_EQ(types->at("y"), (TensorType{DType::kFloat64, {4, 5}}));
  auto bad = InferNetTypes(net, {{"x", TensorType{DType::kInt32, {4}}}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace opgraph
