// Tests of Sum (ops/sum_op.cc).
#include <cstdint>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::TensorRefs;
using testing::ToVector;

template <typename T>
std::vector<T> RunSum(const std::vector<std::string>& ins, const std::string& out,
                      const TensorRefs& tensors) {
  auto r = RunOp(MakeOp("Sum", ins, {out}), tensors);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].dims(), tensors[0].get().dims());
  return ToVector<T>((*r)[0]);
}

// Golden values by hand; every input and partial sum is exact in float32.
TEST(SumOpTest, GoldenFloat) {
  const std::vector<float> y = RunSum<float>({"A", "B", "C"}, "Y",
                                             {MakeTensor<float>({2, 2}, {1, 2.5f, -3, 0.25f}),
                                              MakeTensor<float>({2, 2}, {10, -2.5f, 3, 0.5f}),
                                              MakeTensor<float>({2, 2}, {100, 0, -0.5f, 1})});
  EXPECT_EQ(y, (std::vector<float>{111, 0, -0.5f, 1.75f}));
}

TEST(SumOpTest, GoldenDouble) {
  // 1e16 + 1 + 1 in double, left to right: 1e16 + 1 rounds to 1e16 (ties to
  // even), so the result is 1e16, where exact math gives 1e16 + 2. This pins
  // the documented left-to-right order.
  const std::vector<double> y =
      RunSum<double>({"A", "B", "C"}, "Y",
                     {MakeTensor<double>({2}, {1e16, 0.125}), MakeTensor<double>({2}, {1, 0.25}),
                      MakeTensor<double>({2}, {1, 0.5})});
  EXPECT_EQ(y, (std::vector<double>{1e16, 0.875}));
}

TEST(SumOpTest, GoldenIntegersWrap) {
  // INT32_MAX + 1 wraps to INT32_MIN (documented), -5 + 7 = 2.
  const std::vector<int32_t> y32 = RunSum<int32_t>(
      {"A", "B"}, "Y",
      {MakeTensor<int32_t>({2}, {INT32_MAX, -5}), MakeTensor<int32_t>({2}, {1, 7})});
  EXPECT_EQ(y32, (std::vector<int32_t>{INT32_MIN, 2}));
  const std::vector<int64_t> y64 =
      RunSum<int64_t>({"A", "B"}, "Y",
                      {MakeTensor<int64_t>({3}, {INT64_MIN, int64_t{1} << 40, 3}),
                       MakeTensor<int64_t>({3}, {-1, int64_t{1} << 40, -4})});
  EXPECT_EQ(y64, (std::vector<int64_t>{INT64_MAX, int64_t{1} << 41, -1}));
}

TEST(SumOpTest, OneInputIsACopyAndRepeatedInputsCount) {
  const Tensor a = MakeTensor<float>({3}, {1, -2, 3.5f});
  EXPECT_EQ(RunSum<float>({"A"}, "Y", {a}), (std::vector<float>{1, -2, 3.5f}));
  EXPECT_EQ(RunSum<float>({"A", "A", "A"}, "Y", {a}), (std::vector<float>{3, -6, 10.5f}));
}

TEST(SumOpTest, EmptyTensors) {
  const Tensor a = MakeTensor<float>({0, 3}, {});
  EXPECT_TRUE(RunSum<float>({"A", "B"}, "Y", {a, a}).empty());
}

// Random inputs against a long double sum. Each float32 addition rounds
// once (relative eps/2 of the partial sum), so for 5 inputs in [-1, 1) the
// error is at most 4 * 4 * eps/2 = 8 eps; the bound is 8 eps absolute.
TEST(SumOpTest, MatchesLongDoubleReference) {
  Rng rng(71);
  std::vector<Tensor> ins;
  for (int k = 0; k < 5; ++k) ins.push_back(RandomTensor<float>({7, 13}, rng, -1.0, 1.0));
  const std::vector<float> y = RunSum<float>({"A", "B", "C", "D", "E"}, "Y", testing::Refs(ins));
  ASSERT_EQ(y.size(), 91u);
  for (int64_t i = 0; i < 91; ++i) {
    long double ref = 0;
    for (const Tensor& t : ins) ref += t.data<float>()[i];
    EXPECT_NEAR(y[i], static_cast<double>(ref), 8 * 1.1920928955078125e-7) << i;
  }
}

TEST(SumOpTest, InPlaceOnFirstInputMatchesOutOfPlace) {
  Rng rng(81);
  const Tensor a = RandomTensor<double>({4, 5}, rng, -1.0, 1.0);
  const Tensor b = RandomTensor<double>({4, 5}, rng, -1.0, 1.0);
  const Tensor c = RandomTensor<double>({4, 5}, rng, -1.0, 1.0);
  const std::vector<double> out = RunSum<double>({"A", "B", "C"}, "Y", {a, b, c});
  const std::vector<double> in = RunSum<double>({"A", "B", "C"}, "A", {a, b, c});
  EXPECT_EQ(in, out);
  EXPECT_NE(in, ToVector<double>(a));
}

TEST(SumOpTest, RejectsBadInputs) {
  const Tensor f = MakeTensor<float>({2}, {1, 2});
  // No inputs.
  EXPECT_EQ(CreateStatus(MakeOp("Sum", {}, {"Y"}), {}).code(), absl::StatusCode::kInvalidArgument);
  // Two outputs.
  EXPECT_EQ(CreateStatus(MakeOp("Sum", {"A"}, {"Y", "Z"}), {f}).code(),
            absl::StatusCode::kInvalidArgument);
  // Other shape, other type.
  absl::Status s =
      CreateStatus(MakeOp("Sum", {"A", "B"}, {"Y"}), {f, MakeTensor<float>({1, 2}, {1, 2})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("input 1"), std::string::npos) << s;
  s = CreateStatus(MakeOp("Sum", {"A", "B"}, {"Y"}), {f, MakeTensor<double>({2}, {1, 2})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // bool and uint8 are not summed.
  s = CreateStatus(MakeOp("Sum", {"A"}, {"Y"}), {*Tensor::Zeros(DType::kBool, {1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // In place is allowed on input 0 only.
  s = CreateStatus(MakeOp("Sum", {"A", "B"}, {"B"}), {f, f});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

std::vector<std::string> Names(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return std::vector<std::string>(r.begin(), r.end());
}

TEST(SumOpTest, GradientCopiesTheOutputGradientToEachInput) {
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Sum", {"A", "B", "C"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 3u);
  const std::vector<std::string> ins = {"A", "B", "C"};
  for (int i = 0; i < 3; ++i) {
    const OperatorDef& g = meta->ops[i];
    EXPECT_EQ(g.type(), "Copy");
    EXPECT_EQ(Names(g.input()), std::vector<std::string>({"Y_grad"}));
    EXPECT_EQ(Names(g.output()), std::vector<std::string>({ins[i] + "_grad"}));
    EXPECT_TRUE(g.is_gradient_op());
  }
  EXPECT_EQ(meta->g_input, (std::vector<std::string>{"A_grad", "B_grad", "C_grad"}));
}

// Y = A + A + B: dA = 2 dY, dB = dY. Runs the gradient operators.
TEST(SumOpTest, GradientOfARepeatedInputIsTheSum) {
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Sum", {"A", "A", "B"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->g_input, (std::vector<std::string>{"A_grad", "A_grad", "B_grad"}));
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("Y_grad", MakeTensor<float>({3}, {1, -2, 0.5f})).ok());
  NetDef net;
  net.set_name("sum_grad");
  for (const OperatorDef& op : meta->ops) *net.add_op() = op;
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  auto da = ws.FetchBlob("A_grad");
  auto db = ws.FetchBlob("B_grad");
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_EQ(ToVector<float>(*da), (std::vector<float>{2, -4, 1}));
  EXPECT_EQ(ToVector<float>(*db), (std::vector<float>{1, -2, 0.5f}));
}

}  // namespace
}  // namespace opgraph
