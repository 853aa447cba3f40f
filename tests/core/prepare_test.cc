// The operator life cycle of core/operator.h: Prepare at creation and only
// when needed, outputs allocated by the net before any operator runs,
// constant inputs watched, value-dependent inference, blobs shared by
// writers of different shapes.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

// Counts Prepare calls per process, and checks the contract of RunOnDevice:
// its output already has the inferred type and storage, and the inputs have
// the types Prepare saw.
int g_prepares = 0;
int g_constant_reads = 0;

// Y = X * (the sum of C's elements, read once in Prepare when C is constant,
// else at each run).
class TestScaleBySumOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Prepare(const PrepareContext& ctx) override {
    ++g_prepares;
    in_ = ctx.input(0);
    out_ = ctx.output(0);
    const Tensor* c = ctx.ConstantInput(1);
    constant_ = c != nullptr;
    if (constant_) {
      ++g_constant_reads;
      sum_ = Sum(*c);
    }
    return absl::OkStatus();
  }
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    Tensor* y = Output(0);
    // The net, not the operator, allocated Y with the inferred type.
    if (y->type() != out_ || y->capacity() < y->nbytes() || x.type() != in_) {
      return absl::InternalError(
          absl::StrCat("output is ", y->type().ToString(), ", prepared ", out_.ToString()));
    }
    const float s = constant_ ? sum_ : Sum(Input(1));
    for (int64_t i = 0; i < x.numel(); ++i) y->mutable_data<float>()[i] = x.data<float>()[i] * s;
    return absl::OkStatus();
  }

 private:
  static float Sum(const Tensor& t) {
    float s = 0;
    for (int64_t i = 0; i < t.numel(); ++i) s += t.data<float>()[i];
    return s;
  }
  TensorType in_, out_;
  bool constant_ = false;
  float sum_ = 0;
};

// Y = zeros of the shape held by the int64 input S (value-dependent).
class TestZerosFromShapeOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    Tensor* y = Output(0);
    if (y->nbytes() > 0) std::memset(y->raw_mutable_data(), 0, y->nbytes());
    return absl::OkStatus();
  }
};

absl::StatusOr<std::vector<TensorType>> InferZerosFromShape(
    const OperatorDef&, absl::Span<const TensorType> in, absl::Span<const Tensor* const> values) {
  if (in[0].dtype != DType::kInt64 || in[0].dims.size() != 1) {
    return absl::InvalidArgumentError("S must be a 1-D int64 tensor");
  }
  if (values[0] == nullptr) {
    return absl::InvalidArgumentError(
        "input 0 (S) must be constant across runs (an initializer or init-net blob)");
  }
  const int64_t* s = values[0]->data<int64_t>();
  return std::vector<TensorType>{
      TensorType{DType::kFloat32, std::vector<int64_t>(s, s + values[0]->numel())}};
}

}  // namespace

OPERATOR_SCHEMA(TestScaleBySum)
    .NumInputs(2)
    .AllowedTypes({DType::kFloat32})
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestScaleBySum, TestScaleBySumOp);
OPERATOR_SCHEMA(TestZerosFromShape).ValueDependentInference(InferZerosFromShape);
REGISTER_CPU_OPERATOR(TestZerosFromShape, TestZerosFromShapeOp);

namespace {

using testing::MakeOp;
using testing::MakeTensor;
using testing::ToVector;

NetDef OneOp(const OperatorDef& op) {
  NetDef net;
  net.set_name("prepare_test");
  *net.add_op() = op;
  return net;
}

TEST(PrepareTest, PreparesAtCreationAndOnlyAgainWhenSomethingChanged) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({3}, {1, 2, 3})).ok());
  ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({2}, {0.5f, 1.5f})).ok());
  g_prepares = 0;
  g_constant_reads = 0;
  absl::StatusOr<Net*> net = ws.CreateNet(OneOp(MakeOp("TestScaleBySum", {"X", "C"}, {"Y"})));
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(g_prepares, 1);
  EXPECT_EQ(g_constant_reads, 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(g_prepares, 1);  // steady state: no preparation per run
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("Y")), (std::vector<float>{2, 4, 6}));

  // A new value of the constant: prepared again, and the output follows.
  ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({2}, {1, 2})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(g_prepares, 2);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("Y")), (std::vector<float>{3, 6, 9}));

  // Written in place through a mutable pointer: noticed too.
  ws.GetMutableBlob("C")->mutable_data<float>()[0] = 2;
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(g_prepares, 3);
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("Y")), (std::vector<float>{4, 8, 12}));

  // A new shape of X: inferred and prepared again, Y has the new shape.
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 2}, {1, 1, 1, 1})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(g_prepares, 4);
  EXPECT_EQ(ws.GetBlob("Y")->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ((*net)->prepare_count(), 4);
}

TEST(PrepareTest, AnInputTheNetWritesIsNotConstant) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
  ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({1}, {3})).ok());
  NetDef net;
  *net.add_op() = MakeOp("TestScaleBySum", {"X", "C"}, {"Y"});
  *net.add_op() = MakeOp("Copy", {"X"}, {"C"});  // C is rewritten by the net
  g_constant_reads = 0;
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(g_constant_reads, 0);
  ASSERT_TRUE((*created)->Run().ok());
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("Y")), (std::vector<float>{3, 6}));
}

TEST(PrepareTest, OutputsExistWithTheirStorageBeforeTheFirstRun) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({1000}, std::vector<float>(1000, 1))).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(OneOp(MakeOp("Selu", {"X"}, {"Y"})));
  ASSERT_TRUE(net.ok()) << net.status();
  const Tensor* y = ws.GetBlob("Y");
  ASSERT_NE(y, nullptr);
  EXPECT_GE(y->capacity(), 4000u);
  const void* storage = y->raw_data();
  ASSERT_TRUE((*net)->Run().ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(y->raw_data(), storage);  // runs never reallocate
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{1000}));
}

TEST(PrepareTest, ABlobWrittenWithTwoShapesIsSizedForTheLargerAndRetypedPerWriter) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})).ok());
  ASSERT_TRUE(ws.FeedBlob("Z", MakeTensor<float>({5}, {1, 2, 3, 4, 5})).ok());
  NetDef net;
  *net.add_op() = MakeOp("Copy", {"X"}, {"T"});  // T: [2, 3]
  *net.add_op() = MakeOp("Copy", {"T"}, {"A"});
  *net.add_op() = MakeOp("Copy", {"Z"}, {"T"});  // T: [5]
  *net.add_op() = MakeOp("Copy", {"T"}, {"B"});
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE((*created)->Run().ok());
  EXPECT_EQ(ws.GetBlob("A")->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("A")), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("B")), (std::vector<float>{1, 2, 3, 4, 5}));
  EXPECT_EQ(ws.GetBlob("T")->dims(), (std::vector<int64_t>{5}));
  EXPECT_GE(ws.GetBlob("T")->capacity(), 6 * sizeof(float));
}

TEST(PrepareTest, AnOutputReplacedBySmallerTensorIsGrownBeforeTheRun) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({256}, std::vector<float>(256, 1))).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(OneOp(MakeOp("Selu", {"X"}, {"Y"})));
  ASSERT_TRUE(net.ok()) << net.status();
  // Someone feeds a tiny tensor into the net's output blob between runs.
  ASSERT_TRUE(ws.FeedBlob("Y", MakeTensor<float>({1}, {7})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("Y")->numel(), 256);
  EXPECT_GE(ws.GetBlob("Y")->capacity(), 256 * sizeof(float));
}

TEST(PrepareTest, ValueDependentInferenceReadsConstantValuesAndFollowsThem) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("S", MakeTensor<int64_t>({2}, {2, 3})).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(OneOp(MakeOp("TestZerosFromShape", {"S"}, {"Y"})));
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("Y")->dims(), (std::vector<int64_t>{2, 3}));
  // Same type and shape of S, new value: the output shape follows.
  ASSERT_TRUE(ws.FeedBlob("S", MakeTensor<int64_t>({2}, {4, 1})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ws.GetBlob("Y")->dims(), (std::vector<int64_t>{4, 1}));
}

TEST(PrepareTest, ValueDependentInferenceRefusesAShapeTheNetComputes) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("S0", MakeTensor<int64_t>({2}, {2, 3})).ok());
  NetDef net;
  *net.add_op() = MakeOp("Copy", {"S0"}, {"S"});
  *net.add_op() = MakeOp("TestZerosFromShape", {"S"}, {"Y"});
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(created.status().message()),
              ::testing::HasSubstr("must be constant across runs"));
  EXPECT_FALSE(ws.HasBlob("Y"));
}

}  // namespace
}  // namespace opgraph
