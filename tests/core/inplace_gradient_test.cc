// The backward pass and operators run in place: a gradient that reads the
// forward operator's INPUT (I(k)) cannot be built when that operator
// overwrote the input in place, since the blob then holds the output when
// the gradient runs. AddGradientOperators refuses it, naming the operator
// and the blob; gradients that read the output (O(k)) are unaffected.
#include <string>
#include <vector>

#include "core/backward.h"
#include "core/gradient.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

// TestSquare: Y = X * X, in place allowed, float32.
class TestSquareOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    const int64_t n = x.numel();
    const float* in = x.data<float>();
    float* out = Output(0)->mutable_data<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = in[i] * in[i];
    return absl::OkStatus();
  }
};

// TestSquareGradient: dX = 2 * X * dY, from the forward INPUT X.
class TestSquareGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    const Tensor& dy = Input(1);
    const int64_t n = x.numel();
    float* dx = Output(0)->mutable_data<float>();
    for (int64_t i = 0; i < n; ++i) dx[i] = 2.0f * x.data<float>()[i] * dy.data<float>()[i];
    return absl::OkStatus();
  }
};

class GetTestSquareGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("TestSquareGradient", "", {I(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(TestSquare)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({DType::kFloat32})
    .IdenticalTypeAndShape();
OPERATOR_SCHEMA(TestSquareGradient)
    .NumInputs(2)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32})
    .IdenticalTypeAndShapeOfInput(0);
REGISTER_CPU_OPERATOR(TestSquare, TestSquareOp);
REGISTER_CPU_OPERATOR(TestSquareGradient, TestSquareGradientOp);
REGISTER_GRADIENT(TestSquare, GetTestSquareGradient);
SHOULD_NOT_DO_GRADIENT(TestSquareGradient);

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::MakeOp;
using testing::MakeTensor;
using testing::ToVector;

NetDef Net(const std::vector<OperatorDef>& ops) {
  NetDef net;
  net.set_name("sq");
  for (const OperatorDef& op : ops) *net.add_op() = op;
  return net;
}

TEST(InplaceGradientTest, GradientReadingAnInputOverwrittenInPlaceIsRefused) {
  // Z = X; Z = Z * Z in place; the gradient would read Z = X^2 for X.
  NetDef net = Net({MakeOp("Copy", {"X"}, {"Z"}), MakeOp("TestSquare", {"Z"}, {"Z"})});
  absl::StatusOr<GradientNetInfo> info = AddGradientOperators(&net, {"Z"});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(info.status().message()),
              AllOf(HasSubstr("net 'sq' operator #1 TestSquare"), HasSubstr("in place"),
                    HasSubstr("blob 'Z'"), HasSubstr("TestSquareGradient")));
  EXPECT_EQ(net.op_size(), 2) << "a refused net gains no operators";
}

TEST(InplaceGradientTest, SameOperatorOutOfPlaceGivesTheClosedFormGradient) {
  NetDef net = Net({MakeOp("Copy", {"X"}, {"Z"}), MakeOp("TestSquare", {"Z"}, {"Y"})});
  absl::StatusOr<GradientNetInfo> info = AddGradientOperators(&net, {"Y"});
  ASSERT_TRUE(info.ok()) << info.status();
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({3}, {1.5f, -2.0f, 0.25f})).ok());
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  // d(sum x^2)/dx = 2x (closed form), exact in float32 for these values.
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("X_grad")), (std::vector<float>{3.0f, -4.0f, 0.5f}));
}

TEST(InplaceGradientTest, InPlaceOperatorWhoseGradientReadsItsOutputIsAccepted) {
  // Selu's gradient reads O(0), which is what the blob holds after Selu
  // ran in place.
  NetDef net = Net({MakeOp("Copy", {"X"}, {"Z"}), MakeOp("Selu", {"Z"}, {"Z"})});
  absl::StatusOr<GradientNetInfo> info = AddGradientOperators(&net, {"Z"});
  ASSERT_TRUE(info.ok()) << info.status();
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1.0f, 2.0f})).ok());
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  // Positive inputs: dX = scale * dY (scale = 1.0507009873554805, Selu's
  // default, rounded to float32).
  const float scale = 1.0507009873554805f;
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("X_grad")), (std::vector<float>{scale, scale}));
}

TEST(InplaceGradientTest, MakerRecordsWhichForwardBlobsItNames) {
  OperatorDef op = MakeOp("TestSquare", {"Z"}, {"Z"});
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(op);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->reads_input, (std::vector<bool>{true}));
  EXPECT_EQ(meta->reads_output, (std::vector<bool>{false}));
  meta = GetGradientDefs(MakeOp("Selu", {"Z"}, {"Z"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->reads_input, (std::vector<bool>{false}));
  EXPECT_EQ(meta->reads_output, (std::vector<bool>{true}));
}

}  // namespace
}  // namespace opgraph
