// What the SIMD kernel tests share (tests/ops/kernels/*_test.cc): errors in
// units in the last place against a long double reference, the special
// inputs every element-wise test includes, and the fixture that runs a test
// once per Highway target the CPU supports.
#ifndef OPGRAPH_TESTS_OPS_KERNELS_KERNEL_TEST_UTIL_H_
#define OPGRAPH_TESTS_OPS_KERNELS_KERNEL_TEST_UTIL_H_

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ops/kernels/activation_kernels.h"
#include "tests/test_util.h"

namespace opgraph {
namespace kernels {
// In opgraph::kernels itself, so that the tests (in an anonymous namespace
// inside it) see these names unqualified.
using ::opgraph::testing::Rng;

inline constexpr double kAlpha = 1.6732632423543772848170429916717;
inline constexpr double kScale = 1.0507009873554804934193349852946;

template <typename T>
std::vector<T> RandomVector(Rng& rng, size_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (T& e : v) e = static_cast<T>(rng.Uniform(lo, hi));
  return v;
}

// Size of one unit in the last place of T at the magnitude of `exact`;
// below the normal range it is the smallest subnormal.
template <typename T>
long double UlpOf(long double exact) {
  int e = 0;
  std::frexp(static_cast<long double>(std::fabs(exact)), &e);
  if (exact == 0) e = std::numeric_limits<T>::min_exponent;
  if (e < std::numeric_limits<T>::min_exponent) {
    e = std::numeric_limits<T>::min_exponent;
  }
  return std::ldexp(1.0L, e - std::numeric_limits<T>::digits);
}

// Distance of `got` from `exact` in ULP of T; 0 when both are the same
// NaN/inf, a huge value when only one of them is.
template <typename T>
double UlpError(T got, long double exact) {
  const T rounded = static_cast<T>(exact);
  if (std::isnan(exact) || std::isnan(got)) {
    return std::isnan(exact) && std::isnan(got) ? 0.0 : 1e30;
  }
  if (std::isinf(rounded) || std::isinf(got)) return got == rounded ? 0 : 1e30;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / UlpOf<T>(exact));
}

// expl; libstdc++ has no std::expl, so use the long double overload.
inline long double ExpL(long double v) { return std::exp(v); }

inline long double RefSelu(long double x, long double alpha, long double scale) {
  return x > 0 ? scale * x : scale * alpha * std::expm1l(x);
}

// The special inputs every elementwise test includes.
template <typename T>
std::vector<T> SpecialValues() {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),           -T(0),           L::infinity(),    -L::infinity(),
                      L::quiet_NaN(), L::denorm_min(), -L::denorm_min(), L::min(),
                      -L::min(),      -L::min() / 3,   T(1e-30),         T(-1e-30),
                      T(1e30),        T(-1e30),        L::max(),         L::lowest(),
                      T(-87.3),       T(-88.7),        T(-103.9),        T(88.7),
                      T(-17.3),       T(-17.4),        T(-0.3465),       T(-0.3467),
                      T(-1.0397),     T(-36.8),        T(-37.5),         T(-745.0),
                      T(-709.0)};
  return v;
}

class KernelTargetTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(ForceTargetForTesting(GetParam())); }
  void TearDown() override { ForceTargetForTesting(""); }
};

}  // namespace kernels
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_OPS_KERNELS_KERNEL_TEST_UTIL_H_
