// Tests for the Selu kernels of ops/kernels/activation_kernels: accuracy
// against a long double reference (std::expm1l evaluated in the test
// itself), special values, aliasing and gradients, once per
// instruction-set target the CPU supports. The Softmax kernels are tested
// in softmax_kernels_test.cc.

#include "ops/kernels/activation_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/ops/kernels/kernel_test_util.h"

namespace opgraph {
namespace kernels {
namespace {

TEST(KernelTargets, ListsSupportedTargetsAndRejectsUnknownNames) {
  const std::vector<std::string> targets = AvailableTargets();
  ASSERT_FALSE(targets.empty());
  // The last entry is always the portable fallback.
  EXPECT_TRUE(targets.back() == "SCALAR" || targets.back() == "EMU128") << targets.back();
  EXPECT_FALSE(ForceTargetForTesting("NO_SUCH_TARGET"));
  EXPECT_EQ(CurrentTarget(), targets.front());
}

TEST_P(KernelTargetTest, ForcingSelectsTheTarget) {
  EXPECT_EQ(CurrentTarget(), GetParam());
  // The list does not shrink while a target is forced.
  EXPECT_GE(AvailableTargets().size(), 1u);
  EXPECT_EQ(AvailableTargets(), AvailableTargets());
}

// ---------------------------------------------------------------------------
// Selu

TEST_P(KernelTargetTest, SeluGoldenValues) {
  const float x[] = {1.0f, -1.0f, 0.0f, 2.5f, -3.0f};
  // scale * x and scale * alpha * expm1(x), by hand with 20 digits.
  const float want[] = {1.0507009873554805f, -1.1113307378125628f, 0.0f, 2.6267524683887012f,
                        -1.6705687287671118f};
  float y[5];
  Selu(x, y, 5, static_cast<float>(kAlpha), static_cast<float>(kScale));
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], want[i], 4e-7f) << i;
}

template <typename T>
void CheckSeluUlp(double bound) {
  const T alpha = static_cast<T>(kAlpha);
  const T scale = static_cast<T>(kScale);
  Rng rng(42);
  const double ranges[][2] = {{-1e-6, 1e-6}, {-0.5, 0.5}, {-2, 2}, {-20, 20}, {-120, 5}, {-800, 1}};
  double worst = 0;
  T worst_x = 0;
  for (const auto& range : ranges) {
    // Odd length so every target runs its tail path too.
    std::vector<T> x = RandomVector<T>(rng, 100003, range[0], range[1]);
    for (T s : SpecialValues<T>()) x.push_back(s);
    std::vector<T> y(x.size());
    Selu(x.data(), y.data(), static_cast<int64_t>(x.size()), alpha, scale);
    for (size_t i = 0; i < x.size(); ++i) {
      const double err = UlpError(y[i], RefSelu(x[i], alpha, scale));
      if (err > worst) {
        worst = err;
        worst_x = x[i];
      }
    }
  }
  EXPECT_LE(worst, bound) << "worst at x = " << worst_x;
  std::printf("    Selu<%s> max error %.3f ULP\n", sizeof(T) == 4 ? "float" : "double", worst);
}

TEST_P(KernelTargetTest, SeluFloatWithin3Ulp) { CheckSeluUlp<float>(3.0); }
TEST_P(KernelTargetTest, SeluDoubleWithin3Ulp) { CheckSeluUlp<double>(3.0); }

template <typename T>
void CheckSeluSpecials() {
  const T alpha = static_cast<T>(kAlpha);
  const T scale = static_cast<T>(kScale);
  const T sa = static_cast<T>(scale * alpha);
  using L = std::numeric_limits<T>;
  const std::vector<T> x = {-T(0),          T(0),           L::infinity(),
                            -L::infinity(), L::quiet_NaN(), -L::denorm_min(),
                            L::denorm_min()};
  std::vector<T> y(x.size());
  Selu(x.data(), y.data(), static_cast<int64_t>(x.size()), alpha, scale);
  EXPECT_EQ(y[0], T(0));
  EXPECT_TRUE(std::signbit(y[0])) << "selu(-0) must be -0";
  EXPECT_EQ(y[1], T(0));
  EXPECT_FALSE(std::signbit(y[1]));
  EXPECT_EQ(y[2], L::infinity());
  EXPECT_EQ(y[3], -sa);
  EXPECT_TRUE(std::isnan(y[4]));
  // sa * expm1(-denorm_min) = -sa * denorm_min, rounded: one or two units.
  EXPECT_LT(y[5], T(0));
  EXPECT_LE(-y[5], 2 * L::denorm_min());
  EXPECT_EQ(y[6], L::denorm_min());  // scale * denorm_min rounds to it
}

TEST_P(KernelTargetTest, SeluSpecialValuesFloat) { CheckSeluSpecials<float>(); }
TEST_P(KernelTargetTest, SeluSpecialValuesDouble) { CheckSeluSpecials<double>(); }

TEST_P(KernelTargetTest, SeluInPlaceMatchesOutOfPlaceForEveryLength) {
  Rng rng(7);
  for (int64_t n : {0, 1, 3, 7, 15, 16, 17, 31, 33, 64, 1000, 1031}) {
    std::vector<float> x = RandomVector<float>(rng, n, -5, 5);
    std::vector<float> y(n + 1, 123.0f);  // the extra element is a canary
    Selu(x.data(), y.data(), n, 1.5f, 1.2f);
    Selu(x.data(), x.data(), n, 1.5f, 1.2f);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[i], y[i]) << n << " " << i;
    EXPECT_EQ(y[n], 123.0f) << "wrote past the end, n = " << n;
  }
}

// ---------------------------------------------------------------------------
// SeluGradient

template <typename T>
void CheckSeluGradient() {
  const T alpha = static_cast<T>(kAlpha);
  const T scale = static_cast<T>(kScale);
  // The contract uses scale * alpha rounded to T, so the reference does too.
  const long double sa = static_cast<T>(scale * alpha);
  Rng rng(3);
  std::vector<T> x = RandomVector<T>(rng, 50001, -30, 10);
  for (T s : SpecialValues<T>()) x.push_back(s);
  std::vector<T> y(x.size());
  Selu(x.data(), y.data(), static_cast<int64_t>(x.size()), alpha, scale);
  std::vector<T> dy = RandomVector<T>(rng, x.size(), -3, 3);
  std::vector<T> dx(x.size());
  SeluGradient(y.data(), dy.data(), dx.data(), static_cast<int64_t>(x.size()), alpha, scale);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const long double ref =
        y[i] > 0 ? static_cast<long double>(scale) * dy[i] : dy[i] * (y[i] + sa);
    worst = std::max(worst, UlpError(dx[i], ref));
  }
  EXPECT_LE(worst, 2.0);  // two roundings: y + sa, then the product
  // In place on dy.
  std::vector<T> dy2 = dy;
  SeluGradient(y.data(), dy2.data(), dy2.data(), static_cast<int64_t>(x.size()), alpha, scale);
  EXPECT_EQ(0, std::memcmp(dy2.data(), dx.data(), dx.size() * sizeof(T)));
}

TEST_P(KernelTargetTest, SeluGradientFloatWithin2Ulp) { CheckSeluGradient<float>(); }
TEST_P(KernelTargetTest, SeluGradientDoubleWithin2Ulp) { CheckSeluGradient<double>(); }

TEST_P(KernelTargetTest, SeluGradientMatchesFiniteDifferences) {
  Rng rng(11);
  std::vector<double> x = RandomVector<double>(rng, 257, -4, 4);
  for (double& v : x) {
    if (std::fabs(v) < 1e-2) v = 0.5;  // keep away from the kink at 0
  }
  const double h = 1e-6;
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<double> y(n), xp(n), xm(n), yp(n), ym(n), ones(n, 1.0), dx(n);
  for (int64_t i = 0; i < n; ++i) {
    xp[i] = x[i] + h;
    xm[i] = x[i] - h;
  }
  Selu(x.data(), y.data(), n, kAlpha, kScale);
  Selu(xp.data(), yp.data(), n, kAlpha, kScale);
  Selu(xm.data(), ym.data(), n, kAlpha, kScale);
  SeluGradient(y.data(), ones.data(), dx.data(), n, kAlpha, kScale);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(dx[i], (yp[i] - ym[i]) / (2 * h), 1e-7) << x[i];
  }
}

TEST_P(KernelTargetTest, SeluGradientPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float y[] = {nan, 1.0f, -0.5f};
  const float dy[] = {1.0f, nan, nan};
  float dx[3];
  SeluGradient(y, dy, dx, 3, 1.6f, 1.05f);
  for (float v : dx) EXPECT_TRUE(std::isnan(v));
}

INSTANTIATE_TEST_SUITE_P(AllTargets, KernelTargetTest, ::testing::ValuesIn(AvailableTargets()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace kernels
}  // namespace opgraph
