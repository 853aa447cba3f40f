// Benchmarks of the Selu / Softmax kernels (ops/kernels/activation_kernels),
// single thread, on whatever target the CPU dispatches to.
//
// Buffers are allocated, advised to use huge pages and written once before
// timing starts (first touch of fresh memory is far slower than the kernels
// on this machine), and reused by every iteration. items_per_second counts
// elements; bytes_per_second counts the minimal memory traffic of the op
// (reads + writes of whole tensors), comparable to the Copy roofline.
//
// The *HwyMath benchmarks run the library's own Selu and Softmax templates
// (ops/kernels/*-inl.h) compiled here with Highway's hwy/contrib/math Exp
// and Expm1 in place of the kernels' exp/expm1 (policy HwyMathExp below),
// and the BM_Accuracy* entries measure, once, the error of both against
// long double on the ranges of tests/ops/kernels/activation_kernels_test.cc.
// docs/PERFORMANCE.md ("Highway's Exp/Expm1 against the kernels' own")
// has the figures.

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/kernels_bench.cc"
// foreach_target.h must come first, then the per-target code.
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"
#include "ops/kernels/selu-inl.h"
#include "ops/kernels/softmax-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Highway's Exp and Expm1 with the contract of KernelExp: Highway's Exp
// returns 0 for NaN (its x >= lower-bound test is false), so NaN is passed
// through explicitly, as softmax rows holding NaN must become NaN. Expm1's
// NaN result does not matter (selu selects scale * x for NaN).
struct HwyMathExp {
  template <class D, class V>
  static HWY_INLINE V ExpNonPositive(D d, V x) {
    return hn::IfThenElse(hn::IsNaN(x), x, hn::Exp(d, x));
  }
  template <class D, class V>
  static HWY_INLINE V Expm1NonPositive(D d, V x) {
    return hn::Expm1(d, x);
  }
};

template <class M>
struct ExpOnly {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return M::ExpNonPositive(d, v);
  }
};
template <class M>
struct Expm1Only {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V v) const {
    return M::Expm1NonPositive(d, v);
  }
};

template <typename T>
void BenchSeluHwyMath(const T* x, T* y, size_t n, T alpha, T scale) {
  ApplyFn(hn::ScalableTag<T>(), SeluFn<T, HwyMathExp>{scale, scale * alpha}, x, y, n);
}
template <typename T>
void BenchSoftmaxHwyMath(const T* x, T* y, size_t rows, size_t d) {
  SoftmaxStridedLoop<T, IdentityFn, HwyMathExp>(IdentityFn(), x, y, rows, d, 1);
}
void BenchSeluSoftmaxHwyMathF32(const float* x, float* y, size_t rows, size_t d, float alpha,
                                float scale) {
  SoftmaxStridedLoop<float, SeluFn<float, HwyMathExp>, HwyMathExp>(
      SeluFn<float, HwyMathExp>{scale, scale * alpha}, x, y, rows, d, 1);
}
// kHwy: Highway's functions, else the kernels' own.
template <typename T, bool kHwy>
void BenchExp(const T* x, T* y, size_t n) {
  using M = std::conditional_t<kHwy, HwyMathExp, KernelExp>;
  ApplyFn(hn::ScalableTag<T>(), ExpOnly<M>(), x, y, n);
}
template <typename T, bool kHwy>
void BenchExpm1(const T* x, T* y, size_t n) {
  using M = std::conditional_t<kHwy, HwyMathExp, KernelExp>;
  ApplyFn(hn::ScalableTag<T>(), Expm1Only<M>(), x, y, n);
}

void SeluHwyMathF32(const float* x, float* y, size_t n, float a, float s) {
  BenchSeluHwyMath(x, y, n, a, s);
}
void SeluHwyMathF64(const double* x, double* y, size_t n, double a, double s) {
  BenchSeluHwyMath(x, y, n, a, s);
}
void SoftmaxHwyMathF32(const float* x, float* y, size_t rows, size_t d) {
  BenchSoftmaxHwyMath(x, y, rows, d);
}
void SoftmaxHwyMathF64(const double* x, double* y, size_t rows, size_t d) {
  BenchSoftmaxHwyMath(x, y, rows, d);
}
void ExpKernelF32(const float* x, float* y, size_t n) { BenchExp<float, false>(x, y, n); }
void ExpHwyF32(const float* x, float* y, size_t n) { BenchExp<float, true>(x, y, n); }
void ExpKernelF64(const double* x, double* y, size_t n) { BenchExp<double, false>(x, y, n); }
void ExpHwyF64(const double* x, double* y, size_t n) { BenchExp<double, true>(x, y, n); }
void Expm1KernelF32(const float* x, float* y, size_t n) { BenchExpm1<float, false>(x, y, n); }
void Expm1HwyF32(const float* x, float* y, size_t n) { BenchExpm1<float, true>(x, y, n); }
void Expm1KernelF64(const double* x, double* y, size_t n) { BenchExpm1<double, false>(x, y, n); }
void Expm1HwyF64(const double* x, double* y, size_t n) { BenchExpm1<double, true>(x, y, n); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "benchmark/benchmark.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace kernels {

HWY_EXPORT(SeluHwyMathF32);
HWY_EXPORT(SeluHwyMathF64);
HWY_EXPORT(SoftmaxHwyMathF32);
HWY_EXPORT(SoftmaxHwyMathF64);
HWY_EXPORT(BenchSeluSoftmaxHwyMathF32);
HWY_EXPORT(ExpKernelF32);
HWY_EXPORT(ExpHwyF32);
HWY_EXPORT(ExpKernelF64);
HWY_EXPORT(ExpHwyF64);
HWY_EXPORT(Expm1KernelF32);
HWY_EXPORT(Expm1HwyF32);
HWY_EXPORT(Expm1KernelF64);
HWY_EXPORT(Expm1HwyF64);

namespace {

constexpr float kAlpha = 1.6732632423543772f;
constexpr float kScale = 1.0507009873554805f;

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<float[], FreeDeleter>;

// 2 MiB-aligned, huge-page-advised, fully written buffer of n floats with
// values in [lo, hi) from a fixed linear congruential sequence.
Buffer MakeBuffer(size_t n, float lo, float hi) {
  const size_t kAlign = size_t{2} << 20;
  const size_t bytes = (n * sizeof(float) + kAlign - 1) / kAlign * kAlign;
  float* p = static_cast<float*>(std::aligned_alloc(kAlign, bytes));
  if (p == nullptr) std::abort();
  madvise(p, bytes, MADV_HUGEPAGE);
  uint32_t s = 12345;
  for (size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = lo + (hi - lo) * static_cast<float>(s >> 8) * 0x1p-24f;
  }
  return Buffer(p);
}

void SetCounters(benchmark::State& state, int64_t elements, int64_t bytes_per_element) {
  state.SetItemsProcessed(state.iterations() * elements);
  state.SetBytesProcessed(state.iterations() * elements * bytes_per_element);
}

void BM_Copy(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Buffer x = MakeBuffer(n, -1, 1), y = MakeBuffer(n, 0, 1);
  for (auto _ : state) {
    std::memcpy(y.get(), x.get(), n * sizeof(float));
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, static_cast<int64_t>(n), 8);
}
BENCHMARK(BM_Copy)->Arg(16 << 20);

void BM_Selu(benchmark::State& state) {
  const int64_t n = state.range(0);
  Buffer x = MakeBuffer(n, -4, 4), y = MakeBuffer(n, 0, 1);
  for (auto _ : state) {
    Selu(x.get(), y.get(), n, kAlpha, kScale);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 8);
}
BENCHMARK(BM_Selu)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20);

void BM_SeluGradient(benchmark::State& state) {
  const int64_t n = state.range(0);
  Buffer y = MakeBuffer(n, -1.7f, 4), dy = MakeBuffer(n, -1, 1);
  Buffer dx = MakeBuffer(n, 0, 1);
  for (auto _ : state) {
    SeluGradient(y.get(), dy.get(), dx.get(), n, kAlpha, kScale);
    benchmark::DoNotOptimize(dx.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 12);
}
BENCHMARK(BM_SeluGradient)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20);

void SoftmaxShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "d"});
  b->Args({1, 1000});
  b->Args({64, 1000});
  b->Args({1024, 1000});
  b->Args({128, 32768});
  b->Args({4096, 4096});
}

void BM_Softmax(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -10, 10), y = MakeBuffer(rows * d, 0, 1);
  for (auto _ : state) {
    Softmax(x.get(), y.get(), rows, d);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 8);
}
BENCHMARK(BM_Softmax)->Apply(SoftmaxShapes);

void BM_SoftmaxGradient(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -10, 10), y = MakeBuffer(rows * d, 0, 1);
  Buffer dy = MakeBuffer(rows * d, -1, 1), dx = MakeBuffer(rows * d, 0, 1);
  Softmax(x.get(), y.get(), rows, d);
  for (auto _ : state) {
    SoftmaxGradient(y.get(), dy.get(), dx.get(), rows, d);
    benchmark::DoNotOptimize(dx.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 12);
}
BENCHMARK(BM_SoftmaxGradient)->Apply(SoftmaxShapes);

// softmax(selu(x)) along the last axis, fused.
void BM_SeluSoftmax(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -4, 4), y = MakeBuffer(rows * d, 0, 1);
  for (auto _ : state) {
    SeluSoftmaxStrided(x.get(), y.get(), rows, d, 1, kAlpha, kScale);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 8);
}
BENCHMARK(BM_SeluSoftmax)->ArgNames({"rows", "d"})->Args({1024, 1000})->Args({4096, 4096});

// The unfused pair (Selu into a temporary, then Softmax), for comparison.
void BM_SeluThenSoftmax(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -4, 4), t = MakeBuffer(rows * d, 0, 1);
  Buffer y = MakeBuffer(rows * d, 0, 1);
  for (auto _ : state) {
    Selu(x.get(), t.get(), rows * d, kAlpha, kScale);
    Softmax(t.get(), y.get(), rows, d);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 8);
}
BENCHMARK(BM_SeluThenSoftmax)->ArgNames({"rows", "d"})->Args({1024, 1000})->Args({4096, 4096});

// ---------------------------------------------------------------------------
// The same kernels with Highway's Exp / Expm1 (HwyMathExp above).

void BM_SeluHwyMath(benchmark::State& state) {
  const int64_t n = state.range(0);
  Buffer x = MakeBuffer(n, -4, 4), y = MakeBuffer(n, 0, 1);
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(SeluHwyMathF32)(x.get(), y.get(), n, kAlpha, kScale);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, n, 8);
}
BENCHMARK(BM_SeluHwyMath)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20);

void BM_SoftmaxHwyMath(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -10, 10), y = MakeBuffer(rows * d, 0, 1);
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(SoftmaxHwyMathF32)(x.get(), y.get(), rows, d);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 8);
}
BENCHMARK(BM_SoftmaxHwyMath)->Apply(SoftmaxShapes);

void BM_SeluSoftmaxHwyMath(benchmark::State& state) {
  const int64_t rows = state.range(0), d = state.range(1);
  Buffer x = MakeBuffer(rows * d, -4, 4), y = MakeBuffer(rows * d, 0, 1);
  for (auto _ : state) {
    HWY_DYNAMIC_DISPATCH(BenchSeluSoftmaxHwyMathF32)(x.get(), y.get(), rows, d, kAlpha, kScale);
    benchmark::DoNotOptimize(y.get());
    benchmark::ClobberMemory();
  }
  SetCounters(state, rows * d, 8);
}
BENCHMARK(BM_SeluSoftmaxHwyMath)->ArgNames({"rows", "d"})->Args({1024, 1000})->Args({4096, 4096});

// ---------------------------------------------------------------------------
// Accuracy, measured once per target this CPU runs (not timed): counters
// "<target>_kernel" and "<target>_hwy" are the largest errors seen.

// splitmix64, as in the kernel tests.
struct Rng {
  uint64_t state;
  double Uniform(double lo, double hi) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * (static_cast<double>(z >> 11) * 0x1p-53);
  }
};

// ULP of T at |exact| (subnormal results in units of the smallest
// subnormal), and the distance of got from exact in those units.
template <typename T>
double UlpError(T got, long double exact) {
  if (std::isnan(exact) || std::isnan(got)) {
    return std::isnan(exact) && std::isnan(got) ? 0.0 : 1e30;
  }
  const T rounded = static_cast<T>(exact);
  if (std::isinf(rounded) || std::isinf(got)) return got == rounded ? 0 : 1e30;
  int e = 0;
  std::frexp(std::fabs(exact), &e);
  if (exact == 0 || e < std::numeric_limits<T>::min_exponent) {
    e = std::numeric_limits<T>::min_exponent;
  }
  const long double ulp = std::ldexp(1.0L, e - std::numeric_limits<T>::digits);
  return static_cast<double>(std::fabs(got - exact) / ulp);
}

template <typename T>
std::vector<T> RandomValues(Rng& rng, size_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (T& e : v) e = static_cast<T>(rng.Uniform(lo, hi));
  return v;
}

template <typename T>
using UnaryKernel = void (*)(const T*, T*, size_t);

// Max ULP of f against ref over 100003 values from each range.
template <typename T, class Ref>
double MaxUlp(UnaryKernel<T> f, Ref ref, const std::vector<std::vector<double>>& ranges) {
  Rng rng{42};
  double worst = 0;
  for (const auto& r : ranges) {
    std::vector<T> x = RandomValues<T>(rng, 100003, r[0], r[1]);
    std::vector<T> y(x.size());
    f(x.data(), y.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, UlpError(y[i], ref(x[i])));
  }
  return worst;
}

// Runs measure(target) for every target and reports it as counters.
template <class Measure>
void PerTarget(benchmark::State& state, Measure measure) {
  for (auto _ : state) {
    for (const std::string& t : AvailableTargets()) {
      if (!ForceTargetForTesting(t)) std::abort();
      const auto [kernel, hwy] = measure();
      state.counters[t + "_kernel"] = kernel;
      state.counters[t + "_hwy"] = hwy;
    }
    ForceTargetForTesting("");
  }
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// Selu (bound: 3 ULP) on the ranges of the kernel tests' CheckSeluUlp.
template <typename T>
void BM_AccuracySelu(benchmark::State& state) {
  const T alpha = static_cast<T>(kSeluAlpha), scale = static_cast<T>(kSeluScale);
  const std::vector<std::vector<double>> ranges = {{-1e-6, 1e-6}, {-0.5, 0.5}, {-2, 2},
                                                   {-20, 20},     {-120, 5},   {-800, 1}};
  auto ref = [&](T x) -> long double {
    return x > 0 ? static_cast<long double>(scale) * x
                 : static_cast<long double>(scale) * alpha * std::expm1l(x);
  };
  auto lib = [](const T* x, T* y, size_t n) {
    Selu(x, y, static_cast<int64_t>(n), static_cast<T>(kSeluAlpha), static_cast<T>(kSeluScale));
  };
  auto hwy = [](const T* x, T* y, size_t n) {
    if constexpr (sizeof(T) == 4) {
      HWY_DYNAMIC_DISPATCH(SeluHwyMathF32)
      (x, y, n, static_cast<T>(kSeluAlpha), static_cast<T>(kSeluScale));
    } else {
      HWY_DYNAMIC_DISPATCH(SeluHwyMathF64)
      (x, y, n, static_cast<T>(kSeluAlpha), static_cast<T>(kSeluScale));
    }
  };
  PerTarget(state, [&] {
    return std::pair<double, double>(MaxUlp<T>(lib, ref, ranges), MaxUlp<T>(hwy, ref, ranges));
  });
}
BENCHMARK(BM_AccuracySelu<float>)->Iterations(1);
BENCHMARK(BM_AccuracySelu<double>)->Iterations(1);

// exp alone on x - max of the kernel tests' softmax ranges, expm1 alone on
// the negative half of their selu ranges.
template <typename T>
void BM_AccuracyExp(benchmark::State& state) {
  const std::vector<std::vector<double>> ranges = {{-2, 0}, {-40, 0}, {-150, 0}, {-2000, 0}};
  auto ref = [](T x) -> long double { return std::exp(static_cast<long double>(x)); };
  PerTarget(state, [&] {
    if constexpr (sizeof(T) == 4) {
      return std::pair<double, double>(MaxUlp<T>(HWY_DYNAMIC_DISPATCH(ExpKernelF32), ref, ranges),
                                       MaxUlp<T>(HWY_DYNAMIC_DISPATCH(ExpHwyF32), ref, ranges));
    } else {
      return std::pair<double, double>(MaxUlp<T>(HWY_DYNAMIC_DISPATCH(ExpKernelF64), ref, ranges),
                                       MaxUlp<T>(HWY_DYNAMIC_DISPATCH(ExpHwyF64), ref, ranges));
    }
  });
}
BENCHMARK(BM_AccuracyExp<float>)->Iterations(1);
BENCHMARK(BM_AccuracyExp<double>)->Iterations(1);

template <typename T>
void BM_AccuracyExpm1(benchmark::State& state) {
  const std::vector<std::vector<double>> ranges = {{-1e-6, 0}, {-0.5, 0}, {-2, 0},
                                                   {-20, 0},   {-120, 0}, {-800, 0}};
  auto ref = [](T x) -> long double { return std::expm1l(x); };
  PerTarget(state, [&] {
    if constexpr (sizeof(T) == 4) {
      return std::pair<double, double>(MaxUlp<T>(HWY_DYNAMIC_DISPATCH(Expm1KernelF32), ref, ranges),
                                       MaxUlp<T>(HWY_DYNAMIC_DISPATCH(Expm1HwyF32), ref, ranges));
    } else {
      return std::pair<double, double>(MaxUlp<T>(HWY_DYNAMIC_DISPATCH(Expm1KernelF64), ref, ranges),
                                       MaxUlp<T>(HWY_DYNAMIC_DISPATCH(Expm1HwyF64), ref, ranges));
    }
  });
}
BENCHMARK(BM_AccuracyExpm1<float>)->Iterations(1);
BENCHMARK(BM_AccuracyExpm1<double>)->Iterations(1);

// Softmax: the largest |y - exact| / tolerance, with the tolerance of
// activation_kernels.h ((8 + |x - max| + d / 4) * eps * exact + 4 *
// denorm_min), on the kernel tests' ranges and row lengths. <= 1 meets it.
template <typename T>
double SoftmaxWorstRatio(void (*f)(const T*, T*, size_t, size_t)) {
  Rng rng{5};
  const long double eps = std::numeric_limits<T>::epsilon();
  const long double tiny = 4.0L * std::numeric_limits<T>::denorm_min();
  double worst = 0;
  for (const auto& r :
       std::vector<std::vector<double>>{{-1, 1}, {-20, 20}, {-120, 30}, {-1000, 1000}}) {
    for (size_t d : {1, 2, 7, 15, 16, 17, 33, 64, 1000, 1003, 4099}) {
      const size_t rows = 3;
      std::vector<T> x = RandomValues<T>(rng, rows * d, r[0], r[1]);
      std::vector<T> y(x.size());
      f(x.data(), y.data(), rows, d);
      for (size_t o = 0; o < rows; ++o) {
        const T* xr = x.data() + o * d;
        const long double m = *std::max_element(xr, xr + d);
        long double sum = 0;
        for (size_t k = 0; k < d; ++k) sum += std::exp(static_cast<long double>(xr[k]) - m);
        for (size_t k = 0; k < d; ++k) {
          const long double exact = std::exp(static_cast<long double>(xr[k]) - m) / sum;
          const long double tol = (8 + std::fabs(xr[k] - m) + d / 4.0L) * eps * exact + tiny;
          const long double err = std::fabs(y[o * d + k] - exact);
          worst = std::max(worst, static_cast<double>(err / tol));
        }
      }
    }
  }
  return worst;
}

template <typename T>
void BM_AccuracySoftmax(benchmark::State& state) {
  auto lib = [](const T* x, T* y, size_t rows, size_t d) {
    Softmax(x, y, static_cast<int64_t>(rows), static_cast<int64_t>(d));
  };
  PerTarget(state, [&] {
    if constexpr (sizeof(T) == 4) {
      return std::pair<double, double>(
          SoftmaxWorstRatio<T>(lib), SoftmaxWorstRatio<T>(HWY_DYNAMIC_DISPATCH(SoftmaxHwyMathF32)));
    } else {
      return std::pair<double, double>(
          SoftmaxWorstRatio<T>(lib), SoftmaxWorstRatio<T>(HWY_DYNAMIC_DISPATCH(SoftmaxHwyMathF64)));
    }
  });
}
BENCHMARK(BM_AccuracySoftmax<float>)->Iterations(1);
BENCHMARK(BM_AccuracySoftmax<double>)->Iterations(1);

}  // namespace
}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
