// XavierFill, MSRAFill, UniformFill with min/max inputs and seeding by
// device_option.random_seed (ops/random_fill_ops.cc, ops/fill_util.h).
// Golden values come from an independent Python implementation of
// SplitMix64, Box-Muller and the seed mix (python3, math module, rounded to
// float32 with struct.pack('f')); the scales are Caffe2's filler_op.h
// formulas, sqrt(3 / fan_in) and sqrt(2 / fan_out).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

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

void ExpectFloats(const Tensor& t, const std::vector<float>& expected) {
  const std::vector<float> got = ToVector<float>(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << i;
}

// [2, 3]: fan_in = 3, scale = sqrt(3 / 3) = 1.
TEST(RandomFillOpsTest, XavierFillGoldenValues) {
  auto out =
      RunOp(MakeOp("XavierFill", {}, {"w"}, {IntsArg("shape", {2, 3}), IntArg("seed", 5)}), {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].type(), (TensorType{DType::kFloat32, {2, 3}}));
  ExpectFloats((*out)[0], {-0.2264639139175415f, 0.5046140551567078f, -0.5345816612243652f,
                           -0.8013211488723755f, -0.6240797638893127f, -0.23878213763237f});
}

// [3, 2]: fan_out = 6 / 2 = 3, std = sqrt(2 / 3).
TEST(RandomFillOpsTest, MSRAFillGoldenValues) {
  auto out =
      RunOp(MakeOp("MSRAFill", {}, {"w"}, {IntsArg("shape", {3, 2}), IntArg("seed", 9)}), {});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectFloats((*out)[0], {0.005399060435593128f, -1.2365669012069702f, 0.13913418352603912f,
                           -0.6258912086486816f, 0.47904136776924133f, 0.4202398359775543f});
}

// The bounds and spread over many draws: Xavier on [100, 300] stays within
// sqrt(3/300) = 0.1 and has variance scale^2 / 3 = 1/300; MSRA on [300, 100]
// has variance 2 / fan_out = 2/300.
TEST(RandomFillOpsTest, XavierAndMSRAScales) {
  auto xavier = RunOp(MakeOp("XavierFill", {}, {"w"}, {IntsArg("shape", {100, 300})}), {});
  ASSERT_TRUE(xavier.ok()) << xavier.status();
  double var = 0;
  for (float v : ToVector<float>((*xavier)[0])) {
    EXPECT_GE(v, -0.1f);
    EXPECT_LT(v, 0.1f);
    var += double{v} * v;
  }
  EXPECT_NEAR(var / 30000, 1.0 / 300, 0.05 / 300);
  auto msra = RunOp(MakeOp("MSRAFill", {}, {"w"}, {IntsArg("shape", {300, 100})}), {});
  ASSERT_TRUE(msra.ok()) << msra.status();
  var = 0;
  for (float v : ToVector<float>((*msra)[0])) var += double{v} * v;
  EXPECT_NEAR(var / 30000, 2.0 / 300, 0.05 * 2 / 300);
}

TEST(RandomFillOpsTest, XavierAndMSRARankChecks) {
  auto scalar = RunOp(MakeOp("XavierFill", {}, {"w"}), {});
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.status().message().find("rank >= 1"), std::string::npos) << scalar.status();
  auto vector = RunOp(MakeOp("MSRAFill", {}, {"w"}, {IntsArg("shape", {4})}), {});
  ASSERT_FALSE(vector.ok());
  EXPECT_NE(vector.status().message().find("rank >= 2"), std::string::npos) << vector.status();
  // An empty weight draws nothing and is fine.
  auto empty = RunOp(MakeOp("XavierFill", {}, {"w"}, {IntsArg("shape", {0, 3})}), {});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].numel(), 0);
}

// Caffe2's CPU kernels are float32; a dtype asks for float64 explicitly.
TEST(RandomFillOpsTest, Float32UnlessAsked) {
  auto f = RunOp(MakeOp("XavierFill", {}, {"w"}, {IntsArg("shape", {2, 2})}), {});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].dtype(), DType::kFloat32);
  auto d =
      RunOp(MakeOp("MSRAFill", {}, {"w"}, {IntsArg("shape", {2, 2}), IntArg("dtype", 13)}), {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].dtype(), DType::kFloat64);
  auto i = RunOp(MakeOp("UniformFill", {}, {"w"}, {IntsArg("shape", {2}), IntArg("dtype", 2)}), {});
  ASSERT_FALSE(i.ok());
  EXPECT_NE(i.status().message().find("expected one of float32, float64"), std::string::npos)
      << i.status();
}

// Inputs 1 and 2 give min and max at run time (Caffe2's three-input form).
TEST(RandomFillOpsTest, UniformFillMinMaxInputs) {
  auto out = RunOp(MakeOp("UniformFill", {"like", "lo", "hi"}, {"y"}, {IntArg("seed", 3)}),
                   {MakeTensor<float>({3}, {0, 0, 0}), MakeTensor<float>({1}, {-2}),
                    MakeTensor<float>({1}, {2})});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectFloats((*out)[0], {-1.5461986064910889f, 0.8011740446090698f, 0.4518987238407135f});
  // min == max through inputs is allowed and makes that value.
  auto equal = RunOp(MakeOp("UniformFill", {"like", "lo", "hi"}, {"y"}),
                     {MakeTensor<float>({2}, {0, 0}), MakeTensor<float>({}, {1.5f}),
                      MakeTensor<float>({}, {1.5f})});
  ASSERT_TRUE(equal.ok()) << equal.status();
  EXPECT_EQ(ToVector<float>((*equal)[0]), (std::vector<float>{1.5f, 1.5f}));
  // min > max: Caffe2 returns an empty tensor; opgraph's run fails, saying why.
  auto reversed = RunOp(
      MakeOp("UniformFill", {"like", "lo", "hi"}, {"y"}),
      {MakeTensor<float>({2}, {0, 0}), MakeTensor<float>({1}, {3}), MakeTensor<float>({1}, {1})});
  ASSERT_FALSE(reversed.ok());
  EXPECT_NE(reversed.status().message().find("min <= max"), std::string::npos) << reversed.status();
  // Arguments and inputs together, and a non-scalar bound, are refused.
  auto both = RunOp(
      MakeOp("UniformFill", {"like", "lo", "hi"}, {"y"}, {FloatArg("min", 0)}),
      {MakeTensor<float>({2}, {0, 0}), MakeTensor<float>({1}, {0}), MakeTensor<float>({1}, {1})});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("both as arguments and as inputs"), std::string::npos)
      << both.status();
  auto wide = RunOp(MakeOp("UniformFill", {"like", "lo", "hi"}, {"y"}),
                    {MakeTensor<float>({2}, {0, 0}), MakeTensor<float>({2}, {0, 0}),
                     MakeTensor<float>({1}, {1})});
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("input 1 (min) must hold one float32"), std::string::npos)
      << wide.status();
}

// As Caffe2 (CAFFE_ENFORCE_LT), min == max given as arguments is refused.
TEST(RandomFillOpsTest, UniformFillEqualArgumentsRefused) {
  auto out = RunOp(MakeOp("UniformFill", {}, {"y"},
                          {IntsArg("shape", {2}), FloatArg("min", 1), FloatArg("max", 1)}),
                   {});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("min < max"), std::string::npos) << out.status();
}

// device_option.random_seed, on the operator or (as Caffe2 copies it) on
// the net, seeds the fill; the same seed gives the same values every run.
TEST(RandomFillOpsTest, DeviceOptionRandomSeed) {
  auto run = [](bool on_net, uint32_t seed) {
    Workspace ws;
    NetDef net;
    net.set_name("init");
    OperatorDef op = MakeOp("GaussianFill", {}, {"w"}, {IntsArg("shape", {4})});
    if (on_net) {
      net.mutable_device_option()->set_random_seed(seed);
    } else {
      op.mutable_device_option()->set_random_seed(seed);
    }
    *net.add_op() = op;
    EXPECT_TRUE(ws.RunNetOnce(net).ok());
    return ToVector<float>(*ws.FetchBlob("w"));
  };
  const std::vector<float> expected = {-1.1574910879135132f, 0.9846383333206177f,
                                       0.11389920115470886f, 0.3514097034931183f};
  for (bool on_net : {false, true}) {
    SCOPED_TRACE(on_net);
    const std::vector<float> a = run(on_net, 42);
    ASSERT_EQ(a.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(a[i], expected[i]) << i;
    EXPECT_EQ(run(on_net, 42), a);
    EXPECT_NE(run(on_net, 43), a);
  }
  // Unseeded: reproducible too (the output name's hash), and unlike seed 42.
  auto unseeded = RunOp(MakeOp("GaussianFill", {}, {"w"}, {IntsArg("shape", {4})}), {});
  ASSERT_TRUE(unseeded.ok());
  EXPECT_NE(ToVector<float>((*unseeded)[0]), run(false, 42));
}

}  // namespace
}  // namespace opgraph
