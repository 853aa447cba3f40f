// Cast: every pair of the six types against golden values written out by
// hand (numpy's astype gives the same for in-range values), the defined
// results where C++ leaves the conversion undefined (NaN, out of range,
// float64 past float32's range), the gradient, and refusals.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// caffe2.TensorProto.DataType numbers.
constexpr int kFloat = 1, kInt32 = 2, kBool = 5, kUint8 = 6, kInt64 = 10, kDouble = 13;

template <typename T>
std::vector<T> CastTo(const Tensor& x, int to) {
  auto out = RunOp(MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", to)}), {x});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  EXPECT_EQ(static_cast<int>((*out)[0].dtype()), to);
  EXPECT_EQ((*out)[0].dims(), x.dims());
  return ToVector<T>((*out)[0]);
}

TEST(CastOpTest, FloatToEveryType) {
  const Tensor x = MakeTensor<float>({6}, {-2.75f, -0.5f, 0.0f, 0.5f, 1.0f, 254.9f});
  EXPECT_EQ(CastTo<double>(x, kDouble), (std::vector<double>{-2.75, -0.5, 0, 0.5, 1, 254.9f}));
  EXPECT_EQ(CastTo<int32_t>(x, kInt32), (std::vector<int32_t>{-2, 0, 0, 0, 1, 254}));
  EXPECT_EQ(CastTo<int64_t>(x, kInt64), (std::vector<int64_t>{-2, 0, 0, 0, 1, 254}));
  EXPECT_EQ(CastTo<uint8_t>(x, kUint8), (std::vector<uint8_t>{0, 0, 0, 0, 1, 254}));
  EXPECT_EQ(CastTo<bool>(x, kBool), (std::vector<bool>{true, true, false, true, true, true}));
  EXPECT_EQ(CastTo<float>(x, kFloat), ToVector<float>(x));
}

TEST(CastOpTest, IntegersAndBool) {
  const Tensor i64 = MakeTensor<int64_t>(
      {5}, {-1, 0, 300, (int64_t{1} << 32) + 7, std::numeric_limits<int64_t>::min()});
  // int64 -> int32 and -> uint8 wrap modulo 2^bits (numpy's astype).
  EXPECT_EQ(CastTo<int32_t>(i64, kInt32), (std::vector<int32_t>{-1, 0, 300, 7, 0}));
  EXPECT_EQ(CastTo<uint8_t>(i64, kUint8), (std::vector<uint8_t>{255, 0, 44, 7, 0}));
  EXPECT_EQ(CastTo<double>(i64, kDouble),
            (std::vector<double>{-1, 0, 300, 4294967303.0, -9223372036854775808.0}));
  EXPECT_EQ(CastTo<bool>(i64, kBool), (std::vector<bool>{true, false, true, true, true}));
  const Tensor u8 = MakeTensor<uint8_t>({3}, {0, 7, 255});
  EXPECT_EQ(CastTo<int32_t>(u8, kInt32), (std::vector<int32_t>{0, 7, 255}));
  EXPECT_EQ(CastTo<float>(u8, kFloat), (std::vector<float>{0, 7, 255}));
  Tensor b;
  ASSERT_TRUE(b.Resize(DType::kBool, {2}).ok());
  b.mutable_data<bool>()[0] = true;
  b.mutable_data<bool>()[1] = false;
  EXPECT_EQ(CastTo<float>(b, kFloat), (std::vector<float>{1, 0}));
  EXPECT_EQ(CastTo<int64_t>(b, kInt64), (std::vector<int64_t>{1, 0}));
}

TEST(CastOpTest, DefinedWhereCxxIsNot) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = MakeTensor<double>({7}, {nan, inf, -inf, 3e9, -3e9, 1e300, -1e300});
  EXPECT_EQ(CastTo<int32_t>(x, kInt32), (std::vector<int32_t>{0, INT32_MAX, INT32_MIN, INT32_MAX,
                                                              INT32_MIN, INT32_MAX, INT32_MIN}));
  const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(CastTo<int64_t>(x, kInt64),
            (std::vector<int64_t>{0, hi, lo, 3000000000, -3000000000, hi, lo}));
  EXPECT_EQ(CastTo<uint8_t>(x, kUint8), (std::vector<uint8_t>{0, 255, 0, 255, 0, 255, 0}));
  EXPECT_EQ(CastTo<bool>(x, kBool), (std::vector<bool>{true, true, true, true, true, true, true}));
  // 2^63 saturates; the largest double below it converts exactly.
  const Tensor edge = MakeTensor<double>({2}, {0x1p63, 0x1.fffffffffffffp62});
  EXPECT_EQ(CastTo<int64_t>(edge, kInt64),
            (std::vector<int64_t>{hi, static_cast<int64_t>(0x1.fffffffffffffp62)}));
  // float64 -> float32: nearest, infinity past max + half an ulp.
  const double fmax = std::numeric_limits<float>::max();
  const double half_ulp = 0x1p103;  // ulp(FLT_MAX) = 2^104
  const Tensor big =
      MakeTensor<double>({5}, {fmax + half_ulp / 2, fmax + half_ulp, -1e39, nan, 1e-50});
  const std::vector<float> got = CastTo<float>(big, kFloat);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], std::numeric_limits<float>::max());
  EXPECT_EQ(got[1], std::numeric_limits<float>::infinity());
  EXPECT_EQ(got[2], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(got[3]));
  EXPECT_EQ(got[4], 0.0f);
}

TEST(CastOpTest, GradientCastsBack) {
  Rng rng(1);
  const Tensor x = RandomTensor<double>({3, 2}, rng, -1, 1);
  OperatorDef op =
      MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", kDouble), IntArg("from_type", kDouble)});
  auto r = CheckGradient(op, {x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  auto meta = GetGradientDefs(
      MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", kDouble), IntArg("from_type", kFloat)}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(FindArgument(meta->ops[0], "to")->i(), kFloat);
  EXPECT_EQ(FindArgument(meta->ops[0], "from_type")->i(), kDouble);
  // To an integer: no gradient; without from_type: an error saying so.
  auto none = GetGradientDefs(
      MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", kInt32), IntArg("from_type", kFloat)}));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->ops.empty());
  auto missing = GetGradientDefs(MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", kDouble)}));
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(testing::Contains(missing.status(), "from_type")) << missing.status();
}

TEST(CastOpTest, Refusals) {
  const Tensor x = MakeTensor<float>({1}, {1});
  absl::Status s = CreateStatus(MakeOp("Cast", {"X"}, {"Y"}), {x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", 12)}), {x});  // FLOAT16
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", 99)}), {x});
  EXPECT_TRUE(testing::Contains(s, "not a TensorProto.DataType")) << s;
  s = CreateStatus(
      MakeOp("Cast", {"X"}, {"Y"}, {IntArg("to", kInt32), IntArg("from_type", kInt64)}), {x});
  EXPECT_TRUE(testing::Contains(s, "from_type")) << s;
}

}  // namespace
}  // namespace opgraph
