// ConstantFill, GaussianFill, UniformFill. The random golden values come
// from an independent Python implementation of SplitMix64 + Box-Muller
// (python3, math module, rounded to float32 with struct.pack('f')).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::IntArg;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

TEST(FillOpsTest, ConstantFillFromShape) {
  auto out = RunOp(
      MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {2, 3}), FloatArg("value", 2.5f)}), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].type(), (TensorType{DType::kFloat32, {2, 3}}));
  EXPECT_EQ(ToVector<float>((*out)[0]), std::vector<float>(6, 2.5f));
}

// With an input, the output takes its shape and (without 'dtype') its type.
TEST(FillOpsTest, ConstantFillLikeInput) {
  auto out = RunOp(MakeOp("ConstantFill", {"x"}, {"y"}, {FloatArg("value", 1)}),
                   {MakeTensor<double>({}, {7})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].type(), (TensorType{DType::kFloat64, {}}));
  EXPECT_EQ(ToVector<double>((*out)[0]), std::vector<double>{1});

  auto ints = RunOp(MakeOp("ConstantFill", {"x"}, {"y"},
                           {FloatArg("value", 3), IntArg("dtype", 2), IntsArg("extra_shape", {2})}),
                    {MakeTensor<float>({2}, {0, 0})});
  ASSERT_TRUE(ints.ok()) << ints.status();
  EXPECT_EQ((*ints)[0].type(), (TensorType{DType::kInt32, {2, 2}}));
  EXPECT_EQ(ToVector<int32_t>((*ints)[0]), std::vector<int32_t>(4, 3));
}

TEST(FillOpsTest, RejectsBadArguments) {
  auto both = RunOp(MakeOp("ConstantFill", {"x"}, {"y"}, {IntsArg("shape", {2})}),
                    {MakeTensor<float>({2}, {0, 0})});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("not both"), std::string::npos) << both.status();
  auto negative = RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {2, -1})}), {});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("negative"), std::string::npos);
  auto bad_type =
      RunOp(MakeOp("GaussianFill", {}, {"y"}, {IntsArg("shape", {2}), IntArg("dtype", 2)}), {});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.status().message().find("int32"), std::string::npos) << bad_type.status();
  auto bad_std =
      RunOp(MakeOp("GaussianFill", {}, {"y"}, {IntsArg("shape", {2}), FloatArg("std", -1)}), {});
  ASSERT_FALSE(bad_std.ok());
  EXPECT_NE(bad_std.status().message().find("std"), std::string::npos);
  auto bad_range = RunOp(MakeOp("UniformFill", {}, {"y"},
                                {IntsArg("shape", {2}), FloatArg("min", 2), FloatArg("max", 1)}),
                         {});
  EXPECT_EQ(bad_range.status().code(), absl::StatusCode::kInvalidArgument);
}

// SplitMix64(seed 7), Box-Muller, mean 1, std 2 (see the file comment).
TEST(FillOpsTest, GaussianFillGoldenValues) {
  auto out = RunOp(
      MakeOp("GaussianFill", {}, {"y"},
             {IntsArg("shape", {4}), FloatArg("mean", 1), FloatArg("std", 2), IntArg("seed", 7)}),
      {});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<float> y = ToVector<float>((*out)[0]);
  const std::vector<float> expected = {2.9769487380981445f, 1.2093132734298706f,
                                       -2.7285115718841553f, -1.1400861740112305f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[i], expected[i]) << i;
}

// SplitMix64(seed 11), min -1, max 3.
TEST(FillOpsTest, UniformFillGoldenValues) {
  auto out = RunOp(MakeOp("UniformFill", {}, {"y"},
                          {IntsArg("shape", {2, 2}), FloatArg("min", -1), FloatArg("max", 3),
                           IntArg("seed", 11)}),
                   {});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<float> y = ToVector<float>((*out)[0]);
  const std::vector<float> expected = {0.2649775743484497f, 0.04946060851216316f,
                                       1.5521693229675293f, 1.0184561014175415f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(y[i], expected[i]) << i;
}

// Moments of 200000 draws: the sample mean has standard error 1/sqrt(n) =
// 0.0022 and the sample variance about sqrt(2/n) = 0.0032; bounds are 5 of those.
TEST(FillOpsTest, GaussianFillMomentsAndReproducibility) {
  const OperatorDef def =
      MakeOp("GaussianFill", {}, {"y"}, {IntsArg("shape", {200000}), IntArg("dtype", 13)});
  auto a = RunOp(def, {});
  auto b = RunOp(def, {});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<double> y = ToVector<double>((*a)[0]);
  EXPECT_EQ(y, ToVector<double>((*b)[0]));  // same seed (the blob name), same values
  double mean = 0, var = 0;
  for (double v : y) mean += v;
  mean /= y.size();
  for (double v : y) var += (v - mean) * (v - mean);
  var /= y.size();
  EXPECT_NEAR(mean, 0.0, 0.011);
  EXPECT_NEAR(var, 1.0, 0.016);
  // Another output name gives another default seed, so other values.
  auto c = RunOp(
      MakeOp("GaussianFill", {}, {"z"}, {IntsArg("shape", {200000}), IntArg("dtype", 13)}), {});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(ToVector<double>((*c)[0])[0], y[0]);
}

// Caffe2's ConstantFill type rules (filler_op.h): without dtype, an int
// value (Caffe2 Python writes a Python int as `i`) makes int64 and a float
// value float32, whatever the input's type; dtype overrides both.
TEST(FillOpsTest, ConstantFillTypeFollowsTheValue) {
  auto i64 =
      RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {2}), IntArg("value", 0)}), {});
  ASSERT_TRUE(i64.ok()) << i64.status();
  EXPECT_EQ((*i64)[0].type(), (TensorType{DType::kInt64, {2}}));
  EXPECT_EQ(ToVector<int64_t>((*i64)[0]), (std::vector<int64_t>{0, 0}));

  // An int32 input with a float value: float32 (not int32 zeros).
  auto like_int = RunOp(MakeOp("ConstantFill", {"x"}, {"y"}, {FloatArg("value", 0.5f)}),
                        {MakeTensor<int32_t>({3}, {1, 2, 3})});
  ASSERT_TRUE(like_int.ok()) << like_int.status();
  EXPECT_EQ((*like_int)[0].type(), (TensorType{DType::kFloat32, {3}}));
  EXPECT_EQ(ToVector<float>((*like_int)[0]), std::vector<float>(3, 0.5f));
  // No value and no dtype: float32 zeros.
  auto no_value = RunOp(MakeOp("ConstantFill", {"x"}, {"y"}), {MakeTensor<int32_t>({1}, {7})});
  ASSERT_TRUE(no_value.ok()) << no_value.status();
  EXPECT_EQ((*no_value)[0].type(), (TensorType{DType::kFloat32, {1}}));

  // A large int value keeps every bit in int64.
  const int64_t big = (int64_t{1} << 62) + 1;
  auto exact =
      RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {1}), IntArg("value", big)}), {});
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(ToVector<int64_t>((*exact)[0]), std::vector<int64_t>{big});

  // dtype decides; an int value converts exactly to float.
  auto as_float = RunOp(MakeOp("ConstantFill", {}, {"y"},
                               {IntsArg("shape", {1}), IntArg("value", 3), IntArg("dtype", 1)}),
                        {});
  ASSERT_TRUE(as_float.ok()) << as_float.status();
  EXPECT_EQ(ToVector<float>((*as_float)[0]), std::vector<float>{3});
  auto as_u8 = RunOp(MakeOp("ConstantFill", {}, {"y"},
                            {IntsArg("shape", {2}), FloatArg("value", 255), IntArg("dtype", 6)}),
                     {});
  ASSERT_TRUE(as_u8.ok()) << as_u8.status();
  EXPECT_EQ(ToVector<uint8_t>((*as_u8)[0]), (std::vector<uint8_t>{255, 255}));
}

// Issue #12: conversions of argument values are exact or refused.
TEST(FillOpsTest, ConstantFillRefusesInexactConversions) {
  struct Case {
    Argument value;
    int64_t dtype;
    const char* message;
  };
  const std::vector<Case> cases = {
      {FloatArg("value", 2.5f), 2, "2.5 cannot be converted to int32"},
      {FloatArg("value", std::nanf("")), 10, "cannot be converted to int64"},
      {FloatArg("value", 1e10f), 2, "out of range for int32"},
      {FloatArg("value", 1e19f), 10, "cannot be converted to int64"},
      {FloatArg("value", -1), 6, "out of range for uint8"},
      {FloatArg("value", 2), 5, "out of range for bool"},
      {IntArg("value", int64_t{1} << 40), 2, "out of range for int32"},
      {IntArg("value", (int64_t{1} << 24) + 1), 1, "not exactly representable as float32"},
      {FloatArg("value", INFINITY), 1, "must be finite"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto out = RunOp(MakeOp("ConstantFill", {}, {"y"},
                            {IntsArg("shape", {1}), c.value, IntArg("dtype", c.dtype)}),
                     {});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();
    EXPECT_NE(out.status().message().find(c.message), std::string::npos) << out.status();
  }
}

// Issue #12: 4294967297 used to be truncated to 1 (FLOAT).
TEST(FillOpsTest, DtypeOutsideTheEnumIsRefused) {
  for (int64_t bad : {int64_t{4294967297}, int64_t{11}, int64_t{-1}, int64_t{99}}) {
    SCOPED_TRACE(bad);
    auto out =
        RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {1}), IntArg("dtype", bad)}), {});
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("not a TensorProto.DataType"), std::string::npos)
        << out.status();
  }
  // In the enum but not a type opgraph tensors hold.
  auto fp16 =
      RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {1}), IntArg("dtype", 12)}), {});
  ASSERT_FALSE(fp16.ok());
  EXPECT_NE(fp16.status().message().find("unsupported data_type 12"), std::string::npos)
      << fp16.status();
}

TEST(FillOpsTest, ShapeSources) {
  // input_as_shape: the values of a constant 1-D int64 input, then extra_shape.
  auto as_shape = RunOp(
      MakeOp("ConstantFill", {"s"}, {"y"},
             {IntArg("input_as_shape", 1), IntsArg("extra_shape", {2}), FloatArg("value", 4)}),
      {MakeTensor<int64_t>({2}, {3, 1})});
  ASSERT_TRUE(as_shape.ok()) << as_shape.status();
  EXPECT_EQ((*as_shape)[0].type(), (TensorType{DType::kFloat32, {3, 1, 2}}));
  EXPECT_EQ(ToVector<float>((*as_shape)[0]), std::vector<float>(6, 4));
  // The shape input must be 1-D int64.
  auto bad = RunOp(MakeOp("ConstantFill", {"s"}, {"y"}, {IntArg("input_as_shape", 1)}),
                   {MakeTensor<int32_t>({2}, {3, 1})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("1-D int64"), std::string::npos) << bad.status();
  // As in Caffe2, extra_shape and input_as_shape need an input.
  auto extra = RunOp(
      MakeOp("ConstantFill", {}, {"y"}, {IntsArg("shape", {2}), IntsArg("extra_shape", {3})}), {});
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("'extra_shape' needs an input"), std::string::npos)
      << extra.status();
  auto no_input = RunOp(MakeOp("ConstantFill", {}, {"y"}, {IntArg("input_as_shape", 1)}), {});
  ASSERT_FALSE(no_input.ok());
  EXPECT_NE(no_input.status().message().find("no input"), std::string::npos) << no_input.status();
}

// Caffe2 allows every fill in place (input 0 = output 0): the blob is
// overwritten with a fill of its own shape.
TEST(FillOpsTest, InPlaceFill) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {5, 6})).ok());
  NetDef net;
  net.set_name("in_place");
  *net.add_op() = MakeOp("ConstantFill", {"x"}, {"x"}, {FloatArg("value", 1.5f)});
  *net.add_op() = MakeOp("UniformFill", {"x"}, {"x"}, {FloatArg("min", 2), FloatArg("max", 3)});
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  auto x = ws.FetchBlob("x");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->type(), (TensorType{DType::kFloat32, {2}}));
  for (float v : ToVector<float>(*x)) {
    EXPECT_GE(v, 2);
    EXPECT_LT(v, 3);
  }
}

TEST(FillOpsTest, FillsHaveNoGradient) {
  for (const char* type : {"ConstantFill", "GaussianFill", "UniformFill"}) {
    auto meta = GetGradientDefs(MakeOp(type, {"x"}, {"y"}));
    ASSERT_TRUE(meta.ok()) << type;
    EXPECT_TRUE(meta->ops.empty());
    EXPECT_EQ(meta->g_input, std::vector<std::string>{""});
  }
}

}  // namespace
}  // namespace opgraph
