// Benchmarks of the Selu / Softmax kernels (ops/kernels/activation_kernels),
// single thread, on whatever target the CPU dispatches to.
//
// Buffers are allocated, advised to use huge pages and written once before
// timing starts (first touch of fresh memory is far slower than the kernels
// on this machine), and reused by every iteration. items_per_second counts
// elements; bytes_per_second counts the minimal memory traffic of the op
// (reads + writes of whole tensors), comparable to the Copy roofline.

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "benchmark/benchmark.h"
#include "ops/kernels/activation_kernels.h"

namespace opgraph {
namespace kernels {
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

void SetCounters(benchmark::State& state, int64_t elements,
                 int64_t bytes_per_element) {
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
BENCHMARK(BM_SeluGradient)
    ->Arg(1 << 10)
    ->Arg(64 << 10)
    ->Arg(1 << 20)
    ->Arg(16 << 20);

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

}  // namespace
}  // namespace kernels
}  // namespace opgraph
