// Sigmoid and SigmoidGradient: golden values, every element of random
// tensors over the whole useful range against 1 / (1 + exp(-x)) evaluated
// in long double (within the 6 ULP that ops/kernels/activation_kernels.h
// states, on every SIMD target this CPU has), special values, the
// gradient against central differences, in-place runs, schema refusals.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "ops/kernels/activation_kernels.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

template <typename T>
std::vector<T> RunSigmoid(const Tensor& x) {
  auto out = RunOp(MakeOp("Sigmoid", {"X"}, {"Y"}), {x});
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? ToVector<T>((*out)[0]) : std::vector<T>();
}

// |got - want| in units of the spacing of T at want (the smallest
// subnormal for results below the normal range).
template <typename T>
double Ulps(T got, long double want) {
  const T w = static_cast<T>(want);
  const T spacing =
      std::max(std::nextafter(std::fabs(w), std::numeric_limits<T>::infinity()) - std::fabs(w),
               std::numeric_limits<T>::denorm_min());
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / spacing);
}

TEST(SigmoidOpTest, GoldenValues) {
  // sigmoid(0) = 1/2 exactly; sigmoid(-x) = 1 - sigmoid(x).
  const std::vector<float> y = RunSigmoid<float>(MakeTensor<float>({3}, {0, 2, -2}));
  ASSERT_EQ(y.size(), 3u);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_NEAR(y[1], 0.8807970779778823f, 1e-7f);
  EXPECT_NEAR(y[2], 0.11920292202211755f, 1e-8f);
}

template <typename T>
void CheckReference(double lo, double hi, uint64_t seed) {
  const std::vector<std::string> targets = kernels::AvailableTargets();
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(kernels::ForceTargetForTesting(target));
    Rng rng(seed);
    double worst = 0;
    for (int64_t n : {1, 7, 17, 4099}) {
      const Tensor x = RandomTensor<T>({n}, rng, lo, hi);
      const std::vector<T> y = RunSigmoid<T>(x);
      ASSERT_EQ(static_cast<int64_t>(y.size()), n);
      for (int64_t i = 0; i < n; ++i) {
        const long double xi = x.template data<T>()[i];
        const long double want = 1.0L / (1.0L + std::exp(-xi));
        const double u = Ulps<T>(y[i], want);
        worst = std::max(worst, u);
        ASSERT_LE(u, 6.0) << "x = " << static_cast<double>(xi);
      }
    }
    ::testing::Test::RecordProperty("max_ulp_" + target, std::to_string(worst));
    std::printf("max ULP on %s: %.3f\n", target.c_str(), worst);
  }
  kernels::ForceTargetForTesting("");
}

TEST(SigmoidOpTest, MatchesLongDoubleReferenceFloat) { CheckReference<float>(-100, 30, 1); }
TEST(SigmoidOpTest, MatchesLongDoubleReferenceDouble) { CheckReference<double>(-740, 40, 2); }
TEST(SigmoidOpTest, MatchesNearZeroFloat) { CheckReference<float>(-4, 4, 3); }

TEST(SigmoidOpTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> y =
      RunSigmoid<float>(MakeTensor<float>({3}, {std::nanf(""), inf, -inf}));
  ASSERT_EQ(y.size(), 3u);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 1.0f);
  EXPECT_EQ(y[2], 0.0f);
}

TEST(SigmoidOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(5);
  const Tensor x = RandomTensor<double>({3, 7}, rng, -5, 5);
  absl::StatusOr<GradientCheckResult> r = CheckGradient(MakeOp("Sigmoid", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

TEST(SigmoidOpTest, InPlaceMatchesOutOfPlace) {
  Rng rng(6);
  const Tensor x = RandomTensor<float>({4, 11}, rng, -6, 6);
  const Tensor dy = RandomTensor<float>({4, 11}, rng, -1, 1);
  auto out = RunOp(MakeOp("Sigmoid", {"X"}, {"Y"}), {x});
  auto in = RunOp(MakeOp("Sigmoid", {"X"}, {"X"}), {x});
  ASSERT_TRUE(out.ok() && in.ok());
  EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
  const Tensor& y = (*out)[0];
  auto gout = RunOp(MakeOp("SigmoidGradient", {"Y", "dY"}, {"dX"}), {y, dy});
  auto gin = RunOp(MakeOp("SigmoidGradient", {"Y", "dY"}, {"dY"}), {y, dy});
  ASSERT_TRUE(gout.ok() && gin.ok());
  EXPECT_EQ(ToVector<float>((*gin)[0]), ToVector<float>((*gout)[0]));
  EXPECT_NE(ToVector<float>((*gin)[0]), ToVector<float>(dy));
}

TEST(SigmoidOpTest, SchemaRefusalsAndGradientMaker) {
  absl::Status s =
      CreateStatus(MakeOp("Sigmoid", {"X"}, {"Y"}), {MakeTensor<int64_t>({2}, {1, 2})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("SigmoidGradient", {"Y", "dY"}, {"dX"}),
                   {MakeTensor<float>({2}, {0.5f, 0.5f}), MakeTensor<double>({2}, {1, 1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Sigmoid", {"X"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(meta->ops[0].type(), "SigmoidGradient");
  EXPECT_EQ(meta->ops[0].input(0), "Y");
}

}  // namespace
}  // namespace opgraph
