// Tests for the Softmax kernels of ops/kernels/activation_kernels (Softmax,
// SoftmaxGradient, the fused SeluSoftmax and its gradient): accuracy
// against a long double reference (std::exp evaluated in the test itself),
// special rows, strided layouts, finite differences and the large-output
// path, once per instruction-set target the CPU supports.

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
#include "ops/kernels/activation_kernels.h"
#include "tests/ops/kernels/kernel_test_util.h"

namespace opgraph {
namespace kernels {
namespace {

// ---------------------------------------------------------------------------
// Softmax

// Long double softmax of one strided row.
template <typename T>
std::vector<long double> RefSoftmaxRow(const T* x, size_t d, size_t stride) {
  long double m = -INFINITY;
  for (size_t k = 0; k < d; ++k) m = std::max<long double>(m, x[k * stride]);
  std::vector<long double> e(d);
  long double sum = 0;
  for (size_t k = 0; k < d; ++k) {
    e[k] = ExpL(x[k * stride] - m);
    sum += e[k];
  }
  for (long double& v : e) v /= sum;
  return e;
}

// Checks y against the documented softmax bound, row by row.
template <typename T>
void ExpectSoftmaxWithinBound(const std::vector<T>& x, const std::vector<T>& y, size_t outer,
                              size_t d, size_t inner) {
  const long double eps = std::numeric_limits<T>::epsilon();
  const long double tiny = 4.0L * std::numeric_limits<T>::denorm_min();
  int failures = 0;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t j = 0; j < inner; ++j) {
      const size_t base = o * d * inner + j;
      const std::vector<long double> ref = RefSoftmaxRow(x.data() + base, d, inner);
      long double m = -INFINITY;
      for (size_t k = 0; k < d; ++k) {
        m = std::max<long double>(m, x[base + k * inner]);
      }
      for (size_t k = 0; k < d; ++k) {
        const size_t i = base + k * inner;
        const long double tol = (8 + std::fabs(x[i] - m) + d / 4.0L) * eps * ref[k] + tiny;
        const long double err = std::fabs(y[i] - ref[k]);
        if (!(err <= tol) && ++failures < 5) {
          ADD_FAILURE() << "softmax [" << o << "," << k << "," << j << "] of shape [" << outer
                        << "," << d << "," << inner << "]: got " << y[i] << " want "
                        << static_cast<double>(ref[k]) << " err "
                        << static_cast<double>(err / (eps * ref[k])) << " eps";
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

template <typename T>
void CheckSoftmaxAccuracy() {
  Rng rng(5);
  const double ranges[][2] = {{-1, 1}, {-20, 20}, {-120, 30}, {-1000, 1000}};
  for (const auto& range : ranges) {
    for (size_t d : {1, 2, 7, 15, 16, 17, 33, 64, 1000, 1003, 4099}) {
      const size_t rows = 3;
      std::vector<T> x = RandomVector<T>(rng, rows * d, range[0], range[1]);
      std::vector<T> y(rows * d + 1, T(-7));
      Softmax(x.data(), y.data(), rows, d);
      EXPECT_EQ(y[rows * d], T(-7)) << "wrote past the end, d = " << d;
      y.pop_back();
      ExpectSoftmaxWithinBound(x, y, rows, d, 1);
    }
  }
}

TEST_P(KernelTargetTest, SoftmaxFloatWithinBound) { CheckSoftmaxAccuracy<float>(); }
TEST_P(KernelTargetTest, SoftmaxDoubleWithinBound) { CheckSoftmaxAccuracy<double>(); }

// Rows are software-pipelined (the max of one row, the exp of the next and
// the normalization of a third share one loop); a row's result must not
// depend on its neighbours: many rows at once equal one row per call, bit
// for bit, for the plain and the fused kernel.
TEST_P(KernelTargetTest, SoftmaxRowsIndependentOfPipelining) {
  Rng rng(41);
  for (size_t d : {1, 5, 16, 31, 64, 1000, 1003}) {
    const size_t rows = 6;
    std::vector<float> x = RandomVector<float>(rng, rows * d, -30, 10);
    std::vector<float> all(x.size()), one(x.size());
    std::vector<float> fused_all(x.size()), fused_one(x.size());
    Softmax(x.data(), all.data(), rows, d);
    SeluSoftmaxStrided(x.data(), fused_all.data(), rows, d, 1, 1.5f, 1.1f);
    for (size_t r = 0; r < rows; ++r) {
      Softmax(x.data() + r * d, one.data() + r * d, 1, d);
      SeluSoftmaxStrided(x.data() + r * d, fused_one.data() + r * d, 1, d, 1, 1.5f, 1.1f);
    }
    EXPECT_EQ(0, std::memcmp(all.data(), one.data(), x.size() * sizeof(float))) << "d=" << d;
    EXPECT_EQ(0, std::memcmp(fused_all.data(), fused_one.data(), x.size() * sizeof(float)))
        << "d=" << d;
  }
}

TEST_P(KernelTargetTest, SoftmaxGoldenRow) {
  const float x[] = {1.0f, 2.0f, 3.0f};
  float y[3];
  Softmax(x, y, 1, 3);
  // exp(k) / (e + e^2 + e^3), by hand.
  EXPECT_NEAR(y[0], 0.09003057317038046f, 1e-7f);
  EXPECT_NEAR(y[1], 0.24472847105479767f, 1e-7f);
  EXPECT_NEAR(y[2], 0.6652409557748219f, 1e-7f);
}

template <typename T>
void CheckSoftmaxSpecialRows() {
  using L = std::numeric_limits<T>;
  const T inf = L::infinity();
  const T nan = L::quiet_NaN();
  for (size_t d : {1, 5, 16, 37}) {
    // Row 0: a +inf; row 1: all -inf; row 2: a NaN; row 3: one -inf among
    // finite values; row 4: all equal huge values.
    std::vector<T> x(5 * d);
    for (size_t k = 0; k < d; ++k) {
      x[0 * d + k] = T(k);
      x[1 * d + k] = -inf;
      x[2 * d + k] = T(k) * T(0.5);
      x[3 * d + k] = T(k) - T(3);
      x[4 * d + k] = T(1e30);
    }
    x[0 * d + d / 2] = inf;
    x[2 * d + d / 3] = nan;
    x[3 * d + d - 1] = -inf;
    std::vector<T> y(5 * d);
    Softmax(x.data(), y.data(), 5, d);
    for (size_t k = 0; k < d; ++k) {
      EXPECT_TRUE(std::isnan(y[0 * d + k])) << "+inf row, d=" << d;
      EXPECT_TRUE(std::isnan(y[1 * d + k])) << "all -inf row, d=" << d;
      EXPECT_TRUE(std::isnan(y[2 * d + k])) << "NaN row, d=" << d;
      EXPECT_NEAR(y[4 * d + k], T(1) / T(d), 4 * L::epsilon());
    }
    if (d > 1) {
      EXPECT_EQ(y[3 * d + d - 1], T(0)) << "-inf element must give 0";
      T sum = 0;
      for (size_t k = 0; k < d; ++k) sum += y[3 * d + k];
      EXPECT_NEAR(sum, T(1), 8 * L::epsilon());
    } else {
      EXPECT_TRUE(std::isnan(y[3 * d]));  // a row of only -inf
    }
  }
}

TEST_P(KernelTargetTest, SoftmaxSpecialRowsFloat) { CheckSoftmaxSpecialRows<float>(); }
TEST_P(KernelTargetTest, SoftmaxSpecialRowsDouble) { CheckSoftmaxSpecialRows<double>(); }

TEST_P(KernelTargetTest, SoftmaxEmptyShapesTouchNothing) {
  float x[4] = {1, 2, 3, 4};
  float y[4] = {9, 9, 9, 9};
  Softmax(x, y, 0, 4);
  Softmax(x, y, 4, 0);
  SoftmaxStrided(x, y, 1, 4, 0);
  SeluSoftmaxStrided(x, y, 0, 4, 1, 1.0f, 1.0f);
  SoftmaxGradient(x, x, y, 0, 4);
  SoftmaxGradientStrided(x, x, y, 2, 0, 2);
  SeluSoftmaxGradientStrided(x, x, y, 2, 2, 0, x, 1.0f, 1.0f);
  Selu(x, y, 0, 1.0f, 1.0f);
  SeluGradient(x, x, y, 0, 1.0f, 1.0f);
  for (float v : y) EXPECT_EQ(v, 9.0f);
}

TEST_P(KernelTargetTest, SoftmaxStridedMatchesReference) {
  Rng rng(13);
  for (size_t inner : {1, 2, 3, 16, 17, 40}) {
    for (size_t d : {1, 5, 64, 130}) {
      const size_t outer = 3;
      std::vector<float> x = RandomVector<float>(rng, outer * d * inner, -30, 30);
      std::vector<float> y(x.size());
      SoftmaxStrided(x.data(), y.data(), outer, d, inner);
      ExpectSoftmaxWithinBound(x, y, outer, d, inner);
      std::vector<double> xd(x.begin(), x.end()), yd(x.size());
      SoftmaxStrided(xd.data(), yd.data(), outer, d, inner);
      ExpectSoftmaxWithinBound(xd, yd, outer, d, inner);
    }
  }
}

// ---------------------------------------------------------------------------
// SoftmaxGradient

template <typename T>
void CheckSoftmaxGradient(size_t outer, size_t d, size_t inner, Rng& rng) {
  std::vector<T> x = RandomVector<T>(rng, outer * d * inner, -5, 5);
  std::vector<T> dy = RandomVector<T>(rng, x.size(), -2, 2);
  std::vector<T> y(x.size()), dx(x.size());
  SoftmaxStrided(x.data(), y.data(), outer, d, inner);
  SoftmaxGradientStrided(y.data(), dy.data(), dx.data(), outer, d, inner);
  const long double eps = std::numeric_limits<T>::epsilon();
  int failures = 0;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t j = 0; j < inner; ++j) {
      const size_t base = o * d * inner + j;
      long double dot = 0, abs_dot = 0;
      for (size_t k = 0; k < d; ++k) {
        const size_t i = base + k * inner;
        dot += static_cast<long double>(y[i]) * dy[i];
        abs_dot += std::fabs(static_cast<long double>(y[i]) * dy[i]);
      }
      for (size_t k = 0; k < d; ++k) {
        const size_t i = base + k * inner;
        const long double ref = y[i] * (dy[i] - dot);
        const long double tol = (8 + d / 4.0L) * eps * y[i] * (std::fabs(dy[i]) + abs_dot) +
                                4 * std::numeric_limits<T>::denorm_min();
        if (!(std::fabs(dx[i] - ref) <= tol) && ++failures < 5) {
          ADD_FAILURE() << "grad [" << o << "," << k << "," << j << "] got " << dx[i] << " want "
                        << static_cast<double>(ref);
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
  // dx may alias dy.
  std::vector<T> inplace = dy;
  SoftmaxGradientStrided(y.data(), inplace.data(), inplace.data(), outer, d, inner);
  EXPECT_EQ(0, std::memcmp(inplace.data(), dx.data(), dx.size() * sizeof(T)));
}

TEST_P(KernelTargetTest, SoftmaxGradientWithinBound) {
  Rng rng(17);
  for (size_t inner : {1, 3, 16, 21}) {
    for (size_t d : {1, 2, 15, 16, 17, 100, 1000}) {
      CheckSoftmaxGradient<float>(2, d, inner, rng);
      CheckSoftmaxGradient<double>(2, d, inner, rng);
    }
  }
  // Row API is the inner == 1 case.
  std::vector<float> y = RandomVector<float>(rng, 300, 0, 1);
  std::vector<float> dy = RandomVector<float>(rng, 300, -1, 1);
  std::vector<float> a(300), b(300);
  SoftmaxGradient(y.data(), dy.data(), a.data(), 3, 100);
  SoftmaxGradientStrided(y.data(), dy.data(), b.data(), 3, 100, 1);
  EXPECT_EQ(a, b);
}

TEST_P(KernelTargetTest, SoftmaxGradientMatchesFiniteDifferences) {
  // f(x) = sum_i w_i softmax(x)_i; df/dx = SoftmaxGradient(y, w).
  Rng rng(19);
  const size_t d = 37;
  std::vector<double> x = RandomVector<double>(rng, d, -3, 3);
  std::vector<double> w = RandomVector<double>(rng, d, -1, 1);
  std::vector<double> y(d), dx(d), yp(d), ym(d);
  Softmax(x.data(), y.data(), 1, d);
  SoftmaxGradient(y.data(), w.data(), dx.data(), 1, d);
  const double h = 1e-6;
  for (size_t i = 0; i < d; ++i) {
    std::vector<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    Softmax(xp.data(), yp.data(), 1, d);
    Softmax(xm.data(), ym.data(), 1, d);
    double fp = 0, fm = 0;
    for (size_t k = 0; k < d; ++k) {
      fp += w[k] * yp[k];
      fm += w[k] * ym[k];
    }
    EXPECT_NEAR(dx[i], (fp - fm) / (2 * h), 1e-8) << i;
  }
}

// ---------------------------------------------------------------------------
// Fused Selu + Softmax

template <typename T>
void CheckSeluSoftmaxFusedEqualsUnfused(T alpha, T scale) {
  Rng rng(23);
  for (size_t inner : {1, 2, 16, 19}) {
    for (size_t d : {1, 3, 16, 17, 200, 1000}) {
      const size_t outer = 2;
      std::vector<T> x = RandomVector<T>(rng, outer * d * inner, -12, 6);
      x[d / 2] = -std::numeric_limits<T>::infinity();
      std::vector<T> s(x.size()), unfused(x.size()), fused(x.size());
      Selu(x.data(), s.data(), static_cast<int64_t>(x.size()), alpha, scale);
      SoftmaxStrided(s.data(), unfused.data(), outer, d, inner);
      SeluSoftmaxStrided(x.data(), fused.data(), outer, d, inner, alpha, scale);
      ASSERT_EQ(0, std::memcmp(fused.data(), unfused.data(), x.size() * sizeof(T)))
          << "d=" << d << " inner=" << inner << " alpha=" << alpha;
      if (alpha > 0 && d > 1) {
        // And the pair is accurate: compare with long double
        // softmax(selu(x)) using the documented composition bound.
        const long double eps = std::numeric_limits<T>::epsilon();
        for (size_t o = 0; o < outer; ++o) {
          for (size_t j = 0; j < inner; ++j) {
            const size_t base = o * d * inner + j;
            std::vector<long double> sl(d);
            long double m = -INFINITY, sum = 0;
            for (size_t k = 0; k < d; ++k) {
              sl[k] = RefSelu(x[base + k * inner], alpha, scale);
              m = std::max(m, sl[k]);
            }
            for (size_t k = 0; k < d; ++k) sum += ExpL(sl[k] - m);
            for (size_t k = 0; k < d; ++k) {
              const long double ref = ExpL(sl[k] - m) / sum;
              // selu's 3 ULP on s_k and on the max, then the softmax bound.
              const long double tol =
                  (8 + 3 * (std::fabs(sl[k]) + std::fabs(m)) + std::fabs(sl[k] - m) + d / 4.0L) *
                      eps * ref +
                  4 * std::numeric_limits<T>::denorm_min();
              ASSERT_LE(std::fabs(fused[base + k * inner] - ref), tol)
                  << "d=" << d << " inner=" << inner << " k=" << k;
            }
          }
        }
      }
    }
  }
}

TEST_P(KernelTargetTest, SeluSoftmaxFusedEqualsSeluThenSoftmax) {
  CheckSeluSoftmaxFusedEqualsUnfused<float>(static_cast<float>(kAlpha), static_cast<float>(kScale));
  CheckSeluSoftmaxFusedEqualsUnfused<double>(kAlpha, kScale);
  // Negative alpha: selu decreases for x < 0, and the row max (taken over
  // the computed selu values) still matches.
  CheckSeluSoftmaxFusedEqualsUnfused<float>(-0.7f, 1.3f);
}

template <typename T>
void CheckSeluSoftmaxGradient(size_t outer, size_t d, size_t inner, Rng& rng) {
  const T alpha = static_cast<T>(kAlpha);
  const T scale = static_cast<T>(kScale);
  const T sa = static_cast<T>(scale * alpha);
  std::vector<T> x = RandomVector<T>(rng, outer * d * inner, -6, 3);
  std::vector<T> dy = RandomVector<T>(rng, x.size(), -2, 2);
  std::vector<T> y(x.size()), g(x.size()), dx(x.size());
  SeluSoftmaxStrided(x.data(), y.data(), outer, d, inner, alpha, scale);
  SoftmaxGradientStrided(y.data(), dy.data(), g.data(), outer, d, inner);
  SeluSoftmaxGradientStrided(y.data(), dy.data(), dx.data(), outer, d, inner, x.data(), alpha,
                             scale);
  // Chain rule against the already tested softmax gradient g: selu'(x) is
  // exact for x > 0 and has exp's error (plus roundings) otherwise.
  const long double eps = std::numeric_limits<T>::epsilon();
  for (size_t i = 0; i < x.size(); ++i) {
    const long double deriv =
        x[i] > 0 ? static_cast<long double>(scale) : static_cast<long double>(sa) * ExpL(x[i]);
    const long double ref = g[i] * deriv;
    ASSERT_LE(std::fabs(dx[i] - ref), 4 * eps * std::fabs(ref) + 4 * std::numeric_limits<T>::min())
        << "i=" << i << " x=" << x[i] << " shape [" << outer << "," << d << "," << inner << "]";
  }
  std::vector<T> inplace = dy;
  SeluSoftmaxGradientStrided(y.data(), inplace.data(), inplace.data(), outer, d, inner, x.data(),
                             alpha, scale);
  EXPECT_EQ(0, std::memcmp(inplace.data(), dx.data(), dx.size() * sizeof(T)));
}

TEST_P(KernelTargetTest, SeluSoftmaxGradientIsChainRule) {
  Rng rng(29);
  for (size_t inner : {1, 4, 16, 17}) {
    for (size_t d : {1, 7, 16, 33, 500}) {
      CheckSeluSoftmaxGradient<float>(2, d, inner, rng);
      CheckSeluSoftmaxGradient<double>(2, d, inner, rng);
    }
  }
}

TEST_P(KernelTargetTest, SeluSoftmaxGradientMatchesFiniteDifferences) {
  Rng rng(31);
  const size_t d = 23;
  std::vector<double> x = RandomVector<double>(rng, d, -3, 3);
  for (double& v : x) {
    if (std::fabs(v) < 1e-2) v = -0.5;  // away from selu's kink
  }
  std::vector<double> w = RandomVector<double>(rng, d, -1, 1);
  std::vector<double> y(d), dx(d), yp(d), ym(d);
  SeluSoftmaxStrided(x.data(), y.data(), 1, d, 1, kAlpha, kScale);
  SeluSoftmaxGradientStrided(y.data(), w.data(), dx.data(), 1, d, 1, x.data(), kAlpha, kScale);
  const double h = 1e-6;
  for (size_t i = 0; i < d; ++i) {
    std::vector<double> xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    SeluSoftmaxStrided(xp.data(), yp.data(), 1, d, 1, kAlpha, kScale);
    SeluSoftmaxStrided(xm.data(), ym.data(), 1, d, 1, kAlpha, kScale);
    double fp = 0, fm = 0;
    for (size_t k = 0; k < d; ++k) {
      fp += w[k] * yp[k];
      fm += w[k] * ym[k];
    }
    EXPECT_NEAR(dx[i], (fp - fm) / (2 * h), 1e-8) << i;
  }
}

// Gradient outputs of 32 MiB and more take a separate path with
// non-temporal stores. It must give the same bits as the cached path, which
// the same data takes when split into calls below the threshold.
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

AlignedFloats AllocFloats(size_t n) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  return AlignedFloats(static_cast<float*>(std::aligned_alloc(64, bytes)));
}

TEST_P(KernelTargetTest, LargeGradientOutputsMatchSmallCalls) {
  Rng rng(37);
  const size_t rows = 2048, d = 4096, n = rows * d;  // exactly 32 MiB
  AlignedFloats x = AllocFloats(n + 64), dy = AllocFloats(n + 64);
  AlignedFloats big = AllocFloats(n + 64), small = AllocFloats(n + 64);
  for (size_t i = 0; i < n + 64; ++i) {
    x[i] = static_cast<float>(rng.Uniform(-8, 8));
    dy[i] = static_cast<float>(rng.Uniform(-1, 1));
  }
  const size_t kPiece = size_t{1} << 20;
  auto same = [&](size_t count, size_t offset) {
    return std::memcmp(big.get() + offset, small.get() + offset, count * sizeof(float)) == 0;
  };
  // Elementwise, with a misaligned output and a length that leaves a tail.
  const size_t m = n + 37;
  SeluGradient(x.get(), dy.get(), big.get() + 1, m, 1.6732632f, 1.0507009f);
  for (size_t i = 0; i < m; i += kPiece) {
    SeluGradient(x.get() + i, dy.get() + i, small.get() + 1 + i, std::min(kPiece, m - i),
                 1.6732632f, 1.0507009f);
  }
  EXPECT_TRUE(same(m, 1)) << "SeluGradient";
  // Row-wise on aligned rows.
  const size_t kRowsPerPiece = 256;
  // x stands in for y: the gradient formula does not need a real softmax.
  SoftmaxGradient(x.get(), dy.get(), big.get(), rows, d);
  for (size_t r = 0; r < rows; r += kRowsPerPiece) {
    SoftmaxGradient(x.get() + r * d, dy.get() + r * d, small.get() + r * d, kRowsPerPiece, d);
  }
  EXPECT_TRUE(same(n, 0)) << "SoftmaxGradient";
  SeluSoftmaxGradientStrided(x.get(), dy.get(), big.get(), rows, d, 1, dy.get(), 1.6732632f,
                             1.0507009f);
  for (size_t r = 0; r < rows; r += kRowsPerPiece) {
    SeluSoftmaxGradientStrided(x.get() + r * d, dy.get() + r * d, small.get() + r * d,
                               kRowsPerPiece, d, 1, dy.get() + r * d, 1.6732632f, 1.0507009f);
  }
  EXPECT_TRUE(same(n, 0)) << "SeluSoftmaxGradientStrided";
}

INSTANTIATE_TEST_SUITE_P(AllTargets, KernelTargetTest, ::testing::ValuesIn(AvailableTargets()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace kernels
}  // namespace opgraph
