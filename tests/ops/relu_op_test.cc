// Relu and ReluGradient: golden rows written as literals, every element of
// large random tensors (covering the SIMD tails and threads) against the
// definition max(x, 0) evaluated in long double, special values, a
// finite-difference gradient check away from the kink, in-place runs and
// schema refusals.
#include <cmath>
#include <limits>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::CreateStatus;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

template <typename T>
std::vector<T> RunRelu(const Tensor& x) {
  auto out = RunOp(MakeOp("Relu", {"X"}, {"Y"}), {x});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? ToVector<T>((*out)[0]) : std::vector<T>();
}

TEST(ReluOpTest, GoldenRows) {
  EXPECT_EQ(RunRelu<float>(MakeTensor<float>({2, 3}, {-2, -0.5f, 0, 0.25f, 3, -1e-30f})),
            (std::vector<float>{0, 0, 0, 0.25f, 3, 0}));
  EXPECT_EQ(RunRelu<double>(MakeTensor<double>({4}, {1e300, -1e300, 5e-324, -5e-324})),
            (std::vector<double>{1e300, 0, 5e-324, 0}));
}

template <typename T>
void CheckReference(uint64_t seed) {
  Rng rng(seed);
  // Sizes around the vector widths (tails) and one large enough to split
  // across threads.
  for (int64_t n : {1, 3, 7, 8, 9, 15, 16, 17, 33, 100, 1 << 18}) {
    SCOPED_TRACE(n);
    const Tensor x = RandomTensor<T>({n}, rng, -10, 10);
    const std::vector<T> y = RunRelu<T>(x);
    ASSERT_EQ(static_cast<int64_t>(y.size()), n);
    for (int64_t i = 0; i < n; ++i) {
      const long double xi = x.template data<T>()[i];
      const long double want = xi < 0 ? 0.0L : xi;
      ASSERT_EQ(static_cast<long double>(y[i]), want) << "element " << i;
    }
  }
}

TEST(ReluOpTest, MatchesDefinitionFloat) { CheckReference<float>(1); }
TEST(ReluOpTest, MatchesDefinitionDouble) { CheckReference<double>(2); }

TEST(ReluOpTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> y =
      RunRelu<float>(MakeTensor<float>({5}, {std::nanf(""), inf, -inf, -0.0f, 0.0f}));
  ASSERT_EQ(y.size(), 5u);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], inf);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_FALSE(std::signbit(y[2]));
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_TRUE(std::signbit(y[3]));  // -0 stays -0
  EXPECT_FALSE(std::signbit(y[4]));
}

TEST(ReluOpTest, GradientGoldenRows) {
  auto dx = RunOp(MakeOp("ReluGradient", {"Y", "dY"}, {"dX"}),
                  {MakeTensor<float>({5}, {0, 2, 0, 0.5f, 7}),
                   MakeTensor<float>({5}, {1, -3, 4, 0.25f, std::nanf("")})});
  ASSERT_TRUE(dx.ok()) << dx.status();
  const std::vector<float> got = ToVector<float>((*dx)[0]);
  EXPECT_EQ(got[0], 0);
  EXPECT_EQ(got[1], -3);
  EXPECT_EQ(got[2], 0);
  EXPECT_EQ(got[3], 0.25f);
  EXPECT_TRUE(std::isnan(got[4]));
}

// Central differences through the registered gradient (ReluGradient from
// the forward output), with inputs kept at |x| >= 0.1 away from the kink,
// where relu is linear and the difference quotient is exact up to rounding.
TEST(ReluOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(3);
  Tensor x = RandomTensor<double>({4, 9}, rng, -2, 2);
  double* p = x.mutable_data<double>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::fabs(p[i]) < 0.1) p[i] = p[i] < 0 ? -0.1 - rng.Uniform() : 0.1 + rng.Uniform();
  }
  absl::StatusOr<GradientCheckResult> r = CheckGradient(MakeOp("Relu", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

TEST(ReluOpTest, InPlaceMatchesOutOfPlace) {
  Rng rng(4);
  const Tensor x = RandomTensor<float>({5, 13}, rng, -3, 3);
  const Tensor dy = RandomTensor<float>({5, 13}, rng, -1, 1);
  auto out = RunOp(MakeOp("Relu", {"X"}, {"Y"}), {x});
  auto in = RunOp(MakeOp("Relu", {"X"}, {"X"}), {x});
  ASSERT_TRUE(out.ok() && in.ok());
  EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
  EXPECT_NE(ToVector<float>((*in)[0]), ToVector<float>(x));
  const Tensor& y = (*out)[0];
  auto gout = RunOp(MakeOp("ReluGradient", {"Y", "dY"}, {"dX"}), {y, dy});
  auto gin = RunOp(MakeOp("ReluGradient", {"Y", "dY"}, {"dY"}), {y, dy});
  ASSERT_TRUE(gout.ok() && gin.ok());
  EXPECT_EQ(ToVector<float>((*gin)[0]), ToVector<float>((*gout)[0]));
  EXPECT_NE(ToVector<float>((*gin)[0]), ToVector<float>(dy));
}

TEST(ReluOpTest, SchemaRefusals) {
  const Tensor x = MakeTensor<float>({2}, {-1, 1});
  absl::Status s = CreateStatus(MakeOp("Relu", {"X", "X2"}, {"Y"}), {x, x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("Relu", {"X"}, {"Y"}), {MakeTensor<int32_t>({2}, {1, -1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "int32")) << s;
  s = CreateStatus(MakeOp("ReluGradient", {"Y", "dY"}, {"dX"}),
                   {x, MakeTensor<float>({3}, {1, 2, 3})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(ReluOpTest, GradientMakerUsesTheOutput) {
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Relu", {"X"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "ReluGradient");
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0), "Y");
  EXPECT_EQ(g.input(1), "Y_grad");
  EXPECT_EQ(g.output(0), "X_grad");
}

}  // namespace
}  // namespace opgraph
