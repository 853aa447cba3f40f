// The gradient checker on every built-in operator with a gradient, on an
// operator whose gradient is deliberately wrong (it must be caught), and on
// a float32-only operator (checked in float32).
#include "core/gradient_checker.h"

#include <cmath>
#include <vector>

#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;

// ---- Test-only operators -------------------------------------------------
// TestSquare: y = x^2. Its registered gradient, TestSquareWrongGradient,
// returns x * dy, missing the factor 2, so the checker must report a
// relative error of 1/2 everywhere.
class TestSquareOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    const double* x = Input(0).data<double>();
    double* y = Output(0)->mutable_data<double>();
    for (int64_t i = 0; i < Input(0).numel(); ++i) y[i] = x[i] * x[i];
    return absl::OkStatus();
  }
};
class TestSquareWrongGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    const double* x = Input(0).data<double>();
    const double* dy = Input(1).data<double>();
    double* dx = Output(0)->mutable_data<double>();
    for (int64_t i = 0; i < Input(0).numel(); ++i) dx[i] = x[i] * dy[i];  // should be 2 x dy
    return absl::OkStatus();
  }
};
class GetTestSquareGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("TestSquareWrongGradient", "", {I(0), GO(0)}, {GI(0)});
  }
};

// TestCube: y = x^3 in float32 only, with a correct gradient 3 x^2 dy.
class TestCubeOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    const float* x = Input(0).data<float>();
    float* y = Output(0)->mutable_data<float>();
    for (int64_t i = 0; i < Input(0).numel(); ++i) y[i] = x[i] * x[i] * x[i];
    return absl::OkStatus();
  }
};
class TestCubeGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    const float* x = Input(0).data<float>();
    const float* dy = Input(1).data<float>();
    float* dx = Output(0)->mutable_data<float>();
    for (int64_t i = 0; i < Input(0).numel(); ++i) dx[i] = 3 * x[i] * x[i] * dy[i];
    return absl::OkStatus();
  }
};
class GetTestCubeGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("TestCubeGradient", "", {I(0), GO(0)}, {GI(0)});
  }
};

}  // namespace

OPERATOR_SCHEMA(TestSquare).AllowedTypes({DType::kFloat64}).IdenticalTypeAndShape();
OPERATOR_SCHEMA(TestSquareWrongGradient)
    .NumInputs(2)
    .AllowedTypes({DType::kFloat64})
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestSquare, TestSquareOp);
REGISTER_CPU_OPERATOR(TestSquareWrongGradient, TestSquareWrongGradientOp);
REGISTER_GRADIENT(TestSquare, GetTestSquareGradient);
OPERATOR_SCHEMA(TestCube).AllowedTypes({DType::kFloat32}).IdenticalTypeAndShape();
OPERATOR_SCHEMA(TestCubeGradient)
    .NumInputs(2)
    .AllowedTypes({DType::kFloat32})
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestCube, TestCubeOp);
REGISTER_CPU_OPERATOR(TestCubeGradient, TestCubeGradientOp);
REGISTER_GRADIENT(TestCube, GetTestCubeGradient);

namespace {

// Uniform values in [lo, hi) moved out of (-gap, gap), away from kinks.
Tensor AwayFromZero(const std::vector<int64_t>& dims, Rng& rng, double lo, double hi, double gap) {
  Tensor t = RandomTensor<float>(dims, rng, lo, hi);
  float* p = t.mutable_data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (std::fabs(p[i]) < gap) p[i] = p[i] < 0 ? -gap : static_cast<float>(gap);
  }
  return t;
}

void ExpectGradientMatches(const OperatorDef& def, const std::vector<TensorRef>& inputs,
                           const GradientCheckOptions& opt = {}) {
  auto r = CheckGradient(def, inputs, opt);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->compute_dtype, DType::kFloat64);
  ASSERT_FALSE(r->inputs.empty());
  for (const InputGradientCheck& c : r->inputs) {
    EXPECT_TRUE(c.has_gradient) << c.blob;
    // Not vacuous: some element of the gradient is well away from 0.
    double largest = 0;
    for (double v : c.numeric) largest = std::max(largest, std::fabs(v));
    EXPECT_GT(largest, 1e-3) << c.blob;
  }
  absl::Status s = GradientWithinTolerance(*r);
  EXPECT_TRUE(s.ok()) << s << "\n" << r->Summary();
}

TEST(GradientCheckerTest, Selu) {
  Rng rng(1);
  ExpectGradientMatches(MakeOp("Selu", {"x"}, {"y"}), {AwayFromZero({3, 4}, rng, -2, 2, 0.05)});
}

TEST(GradientCheckerTest, SeluInPlace) {
  Rng rng(2);
  ExpectGradientMatches(MakeOp("Selu", {"x"}, {"x"}), {AwayFromZero({6}, rng, -2, 2, 0.05)});
}

TEST(GradientCheckerTest, Softmax) {
  Rng rng(3);
  ExpectGradientMatches(MakeOp("Softmax", {"x"}, {"y"}), {RandomTensor<float>({3, 5}, rng, -2, 2)});
  ExpectGradientMatches(MakeOp("Softmax", {"x"}, {"y"}, {IntArg("axis", 2)}),
                        {RandomTensor<float>({2, 2, 3}, rng, -2, 2)});
}

TEST(GradientCheckerTest, SumAndCopy) {
  Rng rng(4);
  ExpectGradientMatches(
      MakeOp("Sum", {"a", "b", "c"}, {"y"}),
      {RandomTensor<float>({2, 3}, rng, -1, 1), RandomTensor<float>({2, 3}, rng, -1, 1),
       RandomTensor<float>({2, 3}, rng, -1, 1)});
  ExpectGradientMatches(MakeOp("Copy", {"a"}, {"y"}), {RandomTensor<float>({2, 3}, rng, -1, 1)});
}

TEST(GradientCheckerTest, FC) {
  Rng rng(5);
  ExpectGradientMatches(
      MakeOp("FC", {"x", "w", "b"}, {"y"}),
      {RandomTensor<float>({4, 3}, rng, -1, 1), RandomTensor<float>({5, 3}, rng, -1, 1),
       RandomTensor<float>({5}, rng, -1, 1)});
}

TEST(GradientCheckerTest, SoftmaxWithLoss) {
  Rng rng(6);
  GradientCheckOptions opt;
  opt.outputs = {1};
  ExpectGradientMatches(
      MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
      {RandomTensor<float>({4, 3}, rng, -2, 2), MakeTensor<int32_t>({4}, {0, 1, 2, 1})}, opt);
}

TEST(GradientCheckerTest, SeluSoftmaxIfRegistered) {
  if (OpRegistry::Global().FindSchema("SeluSoftmax") == nullptr) {
    GTEST_SKIP() << "SeluSoftmax is not a built-in operator yet";
  }
  Rng rng(7);
  ExpectGradientMatches(MakeOp("SeluSoftmax", {"x"}, {"y"}),
                        {AwayFromZero({3, 4}, rng, -2, 2, 0.05)});
}

// The deliberately wrong gradient: analytic x dy against numeric 2 x dy, a
// relative error of exactly 1/2 (up to the O(step^2) = 0 error of central
// differences on a quadratic).
TEST(GradientCheckerTest, DetectsAWrongGradient) {
  auto r = CheckGradient(MakeOp("TestSquare", {"x"}, {"y"}),
                         {MakeTensor<double>({4}, {0.5, -1.0, 2.0, 3.0})});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_NEAR(r->inputs[0].max_rel_error, 0.5, 1e-6);
  EXPECT_GT(r->inputs[0].max_abs_error, 0.1);
  absl::Status s = GradientWithinTolerance(*r);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("input 0 ('x')"), std::string::npos) << s;
}

// TestCube takes only float32: the check runs in float32 with its step.
TEST(GradientCheckerTest, FallsBackToTheInputTypeWithoutFloat64) {
  Rng rng(8);
  auto r = CheckGradient(MakeOp("TestCube", {"x"}, {"y"}), {RandomTensor<float>({5}, rng, -1, 1)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->compute_dtype, DType::kFloat32);
  EXPECT_DOUBLE_EQ(r->step, 1e-2);
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

TEST(GradientCheckerTest, ReportsUnusableOperators) {
  Rng rng(9);
  auto forbidden =
      CheckGradient(MakeOp("SeluGradient", {"y", "dy"}, {"dx"}),
                    {RandomTensor<float>({3}, rng, 0.1, 1), RandomTensor<float>({3}, rng, -1, 1)});
  EXPECT_EQ(forbidden.status().code(), absl::StatusCode::kFailedPrecondition);
  auto count = CheckGradient(MakeOp("Selu", {"x"}, {"y"}), {});
  EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument);
  auto twice =
      CheckGradient(MakeOp("Sum", {"a", "a"}, {"y"}),
                    {RandomTensor<float>({3}, rng, -1, 1), RandomTensor<float>({3}, rng, -1, 1)});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kInvalidArgument);
  GradientCheckOptions opt;
  opt.inputs = {1};
  auto labels = CheckGradient(
      MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
      {RandomTensor<float>({2, 3}, rng, -1, 1), MakeTensor<int32_t>({2}, {0, 1})}, opt);
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace opgraph
