// ConstantFill, GaussianFill, UniformFill. The random golden values come
// from an independent Python implementation of SplitMix64 + Box-Muller
// (python3, math module, rounded to float32 with struct.pack('f')).
#include <cmath>
#include <vector>

#include "core/gradient.h"
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
