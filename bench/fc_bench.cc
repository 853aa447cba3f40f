// FC through the framework against the GEMM wrapper called directly on the
// same shapes (docs/PERFORMANCE.md, "FC on the GEMM"), float32, one thread
// unless the name says Threads2. The counter GFLOPs is 2*M*N*K per
// iteration per second, in units of 1e9.
//
//   BM_FC            the FC operator, W fed once (so packed in Prepare)
//   BM_GemmPacked    kernels::GemmPacked on a PackedMatrix of W, Y set to
//                    b first and beta = 1: FC's own call, with no framework
//   BM_GemmPackedAddBias   beta = 0, then b added to every row afterwards
//   BM_GemmPackedBlocks    the product in blocks of `block` rows (what FC
//                    would do with smaller row blocks)
//   BM_FCGradient    FCGradient with all three outputs
//   BM_MatMulConstantB    MatMul, B fed once (so packed in Prepare)
//   BM_MatMulFedEachRun   the same with B fed again before every run (a
//                    copy of B into the workspace, then Prepare packs again)
//   BM_ReadBandwidth one thread reading a warm buffer of `bytes` (the MLP's
//                    2,678,824 weight and bias bytes: L3 here, L2 is 1 MiB): the
//                    weight-streaming bound of a batch-1 forward pass is
//                    weight bytes / this rate (bench/compare_torch_mlp.py)
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_util.h"
#include "ops/kernels/gemm.h"

namespace opgraph {
namespace bench {
namespace {

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  b->Args({256, 1024, 1024});
  b->Args({64, 512, 512});
  b->Args({1, 1024, 1024});
  b->Args({256, 512, 784});
  b->Args({16, 512, 784});
}

void SetFlops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOPs"] = benchmark::Counter(
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

void RunFC(benchmark::State& state, int threads) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.emplace_back("x", FilledTensor({m, k}, -1, 1, 1));
  feeds.emplace_back("w", FilledTensor({n, k}, -1, 1, 2));
  feeds.emplace_back("b", FilledTensor({n}, -1, 1, 3));
  WarmNet net({Op("FC", {"x", "w", "b"}, {"y"})}, std::move(feeds));
  net.ws().set_num_threads(threads);
  net.Run();
  for (auto _ : state) net.Run();
  SetFlops(state, m, n, k);
}
void BM_FC(benchmark::State& state) { RunFC(state, 1); }
BENCHMARK(BM_FC)->Apply(Shapes);
void BM_FCThreads2(benchmark::State& state) { RunFC(state, 2); }
BENCHMARK(BM_FCThreads2)->Apply(Shapes)->UseRealTime();

void RunMatMul(benchmark::State& state, bool feed_each_run) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const Tensor b = FilledTensor({k, n}, -1, 1, 2);
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.emplace_back("a", FilledTensor({m, k}, -1, 1, 1));
  feeds.emplace_back("b", FilledTensor({k, n}, -1, 1, 2));
  WarmNet net({Op("MatMul", {"a", "b"}, {"y"})}, std::move(feeds));
  for (auto _ : state) {
    if (feed_each_run) CHECK(net.ws().FeedBlob("b", b).ok());
    net.Run();
  }
  SetFlops(state, m, n, k);
}
void BM_MatMulConstantB(benchmark::State& state) { RunMatMul(state, false); }
BENCHMARK(BM_MatMulConstantB)->Apply(Shapes);
void BM_MatMulFedEachRun(benchmark::State& state) { RunMatMul(state, true); }
BENCHMARK(BM_MatMulFedEachRun)->Apply(Shapes);

// rows_hint 0 packs for OpenBLAS whatever M is; BM_GemmPanels passes M.
struct Operands {
  Operands(int64_t m, int64_t n, int64_t k, int64_t rows_hint = 0)
      : x(FilledTensor({m, k}, -1, 1, 1)),
        w(FilledTensor({n, k}, -1, 1, 2)),
        b(FilledTensor({n}, -1, 1, 3)),
        y(FilledTensor({m, n}, 0, 1, 4)),
        packed(*kernels::PackedMatrix<float>::Pack(w.data<float>(), k, n, k, true, rows_hint)) {}
  Tensor x, w, b, y;
  kernels::PackedMatrix<float> packed;
};

void SetBias(const float* b, int64_t rows, int64_t n, float* y) {
  for (int64_t i = 0; i < rows; ++i) std::copy(b, b + n, y + i * n);
}

void BM_GemmPacked(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  float* y = o.y.mutable_data<float>();
  for (auto _ : state) {
    SetBias(o.b.data<float>(), m, n, y);
    kernels::GemmPacked<float>(false, m, 1.f, o.x.data<float>(), k, o.packed, 1.f, y, n, 1);
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}
BENCHMARK(BM_GemmPacked)->Apply(Shapes);

// Where the panel layout pays: GemmPacked on W packed as panels (the layout
// FC picks for M <= kPackedPanelMaxRows) against BM_GemmPackedRows, the same
// call on W packed for OpenBLAS, over a range of M.
void RowSweep(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"});
  for (int64_t m : {1, 2, 4, 8, 16, 32, 64, 128, 256}) b->Args({m, 512, 784});
  b->Args({1, 1024, 1024});
  b->Args({64, 512, 512});
  b->Args({16, 10, 512});
  b->Args({1, 10, 512});
  b->Args({1, 512, 512});
}
void RunGemmPacked(benchmark::State& state, bool panels, int threads) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k, panels ? m : 0);
  if (o.packed.panels() != panels) {
    state.SkipWithError("M is outside the panel layout's range");
    return;
  }
  float* y = o.y.mutable_data<float>();
  for (auto _ : state) {
    SetBias(o.b.data<float>(), m, n, y);
    kernels::GemmPacked<float>(false, m, 1.f, o.x.data<float>(), k, o.packed, 1.f, y, n, threads);
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}
void BM_GemmPanels(benchmark::State& state) { RunGemmPacked(state, true, 1); }
BENCHMARK(BM_GemmPanels)->Apply(RowSweep);
void BM_GemmPackedRows(benchmark::State& state) { RunGemmPacked(state, false, 1); }
BENCHMARK(BM_GemmPackedRows)->Apply(RowSweep);
void BM_GemmPanelsThreads2(benchmark::State& state) { RunGemmPacked(state, true, 2); }
BENCHMARK(BM_GemmPanelsThreads2)->Args({16, 512, 784})->Args({64, 512, 512})->UseRealTime();

void BM_GemmPackedAddBias(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  float* y = o.y.mutable_data<float>();
  const float* b = o.b.data<float>();
  for (auto _ : state) {
    kernels::GemmPacked<float>(false, m, 1.f, o.x.data<float>(), k, o.packed, 0.f, y, n, 1);
    for (int64_t i = 0; i < m; ++i) {
      float* row = y + i * n;
      for (int64_t j = 0; j < n; ++j) row[j] += b[j];
    }
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}
BENCHMARK(BM_GemmPackedAddBias)->Apply(Shapes);

void BM_GemmPackedBlocks(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const int64_t block = state.range(3);
  Operands o(m, n, k);
  float* y = o.y.mutable_data<float>();
  for (auto _ : state) {
    for (int64_t r0 = 0; r0 < m; r0 += block) {
      const int64_t rows = std::min(block, m - r0);
      SetBias(o.b.data<float>(), rows, n, y + r0 * n);
      kernels::GemmPacked<float>(false, rows, 1.f, o.x.data<float>() + r0 * k, k, o.packed, 1.f,
                                 y + r0 * n, n, 1);
    }
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}
BENCHMARK(BM_GemmPackedBlocks)
    ->ArgNames({"M", "N", "K", "block"})
    ->Args({256, 1024, 1024, 64})
    ->Args({256, 1024, 1024, 128})
    ->Args({1024, 1024, 1024, 256})
    ->Args({1024, 1024, 1024, 1024})
    ->Args({256, 512, 784, 64})
    ->Args({256, 512, 784, 256});

void BM_FCGradient(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.emplace_back("x", FilledTensor({m, k}, -1, 1, 1));
  feeds.emplace_back("w", FilledTensor({n, k}, -1, 1, 2));
  feeds.emplace_back("dy", FilledTensor({m, n}, -1, 1, 3));
  WarmNet net({Op("FCGradient", {"x", "w", "dy"}, {"dw", "db", "dx"})}, std::move(feeds));
  for (auto _ : state) net.Run();
  SetFlops(state, 2 * m, n, k);
}
BENCHMARK(BM_FCGradient)->ArgNames({"M", "N", "K"})->Args({256, 512, 784})->Args({16, 512, 784});

// XOR of every 64-bit word: an associative integer reduction the compiler
// vectorizes (cloned for AVX-512, AVX2 and the baseline, picked at load
// time) into four independent vector accumulators, so the loop is bound by
// the reads, not by the XOR chain.
__attribute__((target_clones("avx512f", "avx2", "default"))) uint64_t XorWords(const uint64_t* p,
                                                                               int64_t n) {
  constexpr int kLanes = 32;  // four 512-bit or eight 256-bit vectors
  uint64_t acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] ^= p[i + l];
  }
  uint64_t r = 0;
  for (; i < n; ++i) r ^= p[i];
  for (int l = 0; l < kLanes; ++l) r ^= acc[l];
  return r;
}

void BM_ReadBandwidth(benchmark::State& state) {
  const int64_t words = state.range(0) / 8;
  std::vector<uint64_t> buf(static_cast<size_t>(words));
  for (int64_t i = 0; i < words; ++i) buf[i] = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull;
  for (auto _ : state) {
    benchmark::DoNotOptimize(XorWords(buf.data(), words));
  }
  state.SetBytesProcessed(state.iterations() * words * 8);
}
BENCHMARK(BM_ReadBandwidth)->ArgName("bytes")->Arg(2678824)->Arg(512 << 10);

}  // namespace
}  // namespace bench
}  // namespace opgraph
