// GEMM libraries compared on the products the FC operator computes, one
// thread, float32 (plus float64 where a library has it), row-major:
//
//   forward   Y[M,N] = X[M,K] * W[N,K]^T + b[N]
//   backward  dW[N,K] = dY[M,N]^T * X[M,K]      dX[M,K] = dY[M,N] * W[N,K]
//
// Sides (the first word of each benchmark name):
//   OpenBLAS_NT       cblas_sgemm on W as stored ([N,K], transposed operand)
//   OpenBLAS_NN       cblas_sgemm on a copy of W^T made once ([K,N])
//   OpenBLAS_Gemv     cblas_sgemv, M = 1 only
//   DnnlSgemm         dnnl_sgemm on W as stored
//   DnnlMatmul        oneDNN matmul primitive, weights reordered once into
//                     the primitive's preferred (prepacked) layout, bias fused
//   DnnlInnerProduct  oneDNN inner product (forward_inference), same prepacking
// For the GEMM-call sides the bias is broadcast into Y first and the product
// accumulated with beta = 1, as a wrapper would do.
//
// All buffers are allocated, written and used once before timing starts and
// reused by every iteration (first touch of fresh memory is slow on the
// project's machines). The counter GFLOPs is 2*M*N*K per iteration per
// second, in units of 1e9. Threads: OpenMP's and OpenBLAS's counts are set
// to 1 before any benchmark runs; oneDNN (OpenMP runtime) follows OpenMP's.
//
// OpenBLAS reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from the environment;
// docs/PERFORMANCE.md says which runs set or unset them.

#include <omp.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "cblas.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace {

template <typename T>
std::vector<T> Filled(int64_t n, uint32_t seed) {
  std::vector<T> v(static_cast<size_t>(n));
  uint32_t s = seed;
  for (T& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<T>(-1.0 + 2.0 * static_cast<double>(s >> 8) * 0x1p-24);
  }
  return v;
}

void SetFlops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["GFLOPs"] = benchmark::Counter(
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate);
}

template <typename T>
void BroadcastBias(const T* bias, int64_t m, int64_t n, T* y) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) y[i * n + j] = bias[j];
  }
}

void CheckDnnl(dnnl_status_t s) {
  if (s != dnnl_success) {
    std::fprintf(stderr, "oneDNN call failed: %d\n", static_cast<int>(s));
    std::abort();
  }
}

// Layouts of W for the OpenBLAS forward sides.
enum OpenBlasLayout { kNT = 0, kNN = 1, kGemv = 2 };

template <typename T>
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
          int64_t ldb, T beta, T* c, int64_t ldc) {
  const CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE trb = tb ? CblasTrans : CblasNoTrans;
  if constexpr (sizeof(T) == 4) {
    cblas_sgemm(CblasRowMajor, tra, trb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  } else {
    cblas_dgemm(CblasRowMajor, tra, trb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
  }
}

template <typename T, OpenBlasLayout kLayout>
void BM_OpenBLAS(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  if (kLayout == kGemv && m != 1) {
    state.SkipWithError("gemv is for M = 1 only");
    return;
  }
  std::vector<T> x = Filled<T>(m * k, 1), w = Filled<T>(n * k, 2), bias = Filled<T>(n, 3);
  std::vector<T> y(static_cast<size_t>(m * n));
  std::vector<T> wt(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < k; ++j) wt[j * n + i] = w[i * k + j];
  }
  auto run = [&] {
    BroadcastBias(bias.data(), m, n, y.data());
    if (kLayout == kNT) {
      Gemm<T>(false, true, m, n, k, x.data(), k, w.data(), k, T(1), y.data(), n);
    } else if (kLayout == kNN) {
      Gemm<T>(false, false, m, n, k, x.data(), k, wt.data(), n, T(1), y.data(), n);
    } else if constexpr (sizeof(T) == 4) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w.data(), k, x.data(), 1, 1.0f, y.data(),
                  1);
    } else {
      cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0, w.data(), k, x.data(), 1, 1.0, y.data(),
                  1);
    }
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

void BM_DnnlSgemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> x = Filled<float>(m * k, 1), w = Filled<float>(n * k, 2),
                     bias = Filled<float>(n, 3);
  std::vector<float> y(static_cast<size_t>(m * n));
  auto run = [&] {
    BroadcastBias(bias.data(), m, n, y.data());
    CheckDnnl(dnnl_sgemm('N', 'T', m, n, k, 1.0f, x.data(), k, w.data(), k, 1.0f, y.data(), n));
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

using dnnl::memory;
using Dims = memory::dims;

dnnl::engine& Engine() {
  static dnnl::engine* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}

// oneDNN matmul or inner product with W reordered once into the layout the
// primitive prefers (format_tag::any), bias fused.
template <bool kInnerProduct>
void BM_DnnlPrimitive(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> x = Filled<float>(m * k, 1), w = Filled<float>(n * k, 2),
                     bias = Filled<float>(n, 3);
  std::vector<float> y(static_cast<size_t>(m * n));
  dnnl::engine& eng = Engine();
  dnnl::stream strm(eng);
  const auto f32 = memory::data_type::f32;
  memory::desc x_md({m, k}, f32, memory::format_tag::ab);
  memory::desc y_md({m, n}, f32, memory::format_tag::ab);
  dnnl::primitive prim;
  memory::desc w_plain_md, w_any_md, b_md, w_packed_md;
  if constexpr (kInnerProduct) {
    w_plain_md = memory::desc({n, k}, f32, memory::format_tag::ab);  // (oc, ic)
    w_any_md = memory::desc({n, k}, f32, memory::format_tag::any);
    b_md = memory::desc({n}, f32, memory::format_tag::a);
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, x_md, w_any_md, b_md,
                                        y_md);
    dnnl::inner_product_forward::primitive_desc pd(d, eng);
    w_packed_md = pd.weights_desc();
    prim = dnnl::inner_product_forward(pd);
  } else {
    // matmul's weights are [K, N]; W [N, K] row-major is W^T with strides (1, K).
    w_plain_md = memory::desc({k, n}, f32, Dims{1, k});
    w_any_md = memory::desc({k, n}, f32, memory::format_tag::any);
    b_md = memory::desc({1, n}, f32, memory::format_tag::ab);
    dnnl::matmul::desc d(x_md, w_any_md, b_md, y_md);
    dnnl::matmul::primitive_desc pd(d, eng);
    w_packed_md = pd.weights_desc();
    prim = dnnl::matmul(pd);
  }
  memory w_plain(w_plain_md, eng, w.data());
  memory w_packed(w_packed_md, eng);
  dnnl::reorder(w_plain, w_packed).execute(strm, w_plain, w_packed);
  memory x_mem(x_md, eng, x.data()), y_mem(y_md, eng, y.data()), b_mem(b_md, eng, bias.data());
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, x_mem},
                                          {DNNL_ARG_WEIGHTS, w_packed},
                                          {DNNL_ARG_BIAS, b_mem},
                                          {DNNL_ARG_DST, y_mem}};
  prim.execute(strm, args);
  strm.wait();
  for (auto _ : state) {
    prim.execute(strm, args);
    strm.wait();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

// Backward products at batch M for a layer K -> N. range(3): 0 = dW, 1 = dX.
template <typename T>
void BM_OpenBLAS_Backward(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool dx = state.range(3) == 1;
  std::vector<T> x = Filled<T>(m * k, 1), w = Filled<T>(n * k, 2), dy = Filled<T>(m * n, 3);
  std::vector<T> out(static_cast<size_t>(dx ? m * k : n * k));
  auto run = [&] {
    if (dx) {  // dX[M,K] = dY[M,N] W[N,K]
      Gemm<T>(false, false, m, k, n, dy.data(), n, w.data(), k, T(0), out.data(), k);
    } else {  // dW[N,K] = dY^T[N,M] X[M,K]
      Gemm<T>(true, false, n, k, m, dy.data(), n, x.data(), k, T(0), out.data(), k);
    }
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

void BM_DnnlSgemm_Backward(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool dx = state.range(3) == 1;
  std::vector<float> x = Filled<float>(m * k, 1), w = Filled<float>(n * k, 2),
                     dy = Filled<float>(m * n, 3);
  std::vector<float> out(static_cast<size_t>(dx ? m * k : n * k));
  auto run = [&] {
    if (dx) {
      CheckDnnl(
          dnnl_sgemm('N', 'N', m, k, n, 1.0f, dy.data(), n, w.data(), k, 0.0f, out.data(), k));
    } else {
      CheckDnnl(
          dnnl_sgemm('T', 'N', n, k, m, 1.0f, dy.data(), n, x.data(), k, 0.0f, out.data(), k));
    }
  };
  run();
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

// oneDNN matmul on plain strided operands (both change every training step,
// so nothing is prepacked).
void BM_DnnlMatmul_Backward(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  const bool dx = state.range(3) == 1;
  std::vector<float> x = Filled<float>(m * k, 1), w = Filled<float>(n * k, 2),
                     dy = Filled<float>(m * n, 3);
  std::vector<float> out(static_cast<size_t>(dx ? m * k : n * k));
  dnnl::engine& eng = Engine();
  dnnl::stream strm(eng);
  const auto f32 = memory::data_type::f32;
  memory::desc a_md, b_md, c_md;
  float *a, *b;
  if (dx) {
    a_md = memory::desc({m, n}, f32, memory::format_tag::ab);
    b_md = memory::desc({n, k}, f32, memory::format_tag::ab);
    c_md = memory::desc({m, k}, f32, memory::format_tag::ab);
    a = dy.data();
    b = w.data();
  } else {
    a_md = memory::desc({n, m}, f32, Dims{1, n});  // dY^T
    b_md = memory::desc({m, k}, f32, memory::format_tag::ab);
    c_md = memory::desc({n, k}, f32, memory::format_tag::ab);
    a = dy.data();
    b = x.data();
  }
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
  dnnl::matmul prim(pd);
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(a_md, eng, a)},
                                          {DNNL_ARG_WEIGHTS, memory(b_md, eng, b)},
                                          {DNNL_ARG_DST, memory(c_md, eng, out.data())}};
  prim.execute(strm, args);
  strm.wait();
  for (auto _ : state) {
    prim.execute(strm, args);
    strm.wait();
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, m, n, k);
}

// {M, N, K}: the square-ish shapes, then the MLP 784-512-512-10 at batch 1, 16, 256.
void ForwardShapes(benchmark::internal::Benchmark* b) {
  b->Args({256, 1024, 1024})->Args({64, 512, 512})->Args({1, 1024, 1024});
  for (int64_t batch : {1, 16, 256}) {
    b->Args({batch, 512, 784})->Args({batch, 512, 512})->Args({batch, 10, 512});
  }
  b->ArgNames({"M", "N", "K"});
}
void GemvShapes(benchmark::internal::Benchmark* b) {
  b->Args({1, 1024, 1024})->Args({1, 512, 784})->Args({1, 512, 512})->Args({1, 10, 512});
  b->ArgNames({"M", "N", "K"});
}
// Layer 784 -> 512 at batch 256: dW then dX.
void BackwardShapes(benchmark::internal::Benchmark* b) {
  b->Args({256, 512, 784, 0})->Args({256, 512, 784, 1})->ArgNames({"M", "N", "K", "dX"});
}

BENCHMARK(BM_OpenBLAS<float, kNT>)->Name("OpenBLAS_NT/f32")->Apply(ForwardShapes);
BENCHMARK(BM_OpenBLAS<float, kNN>)->Name("OpenBLAS_NN/f32")->Apply(ForwardShapes);
BENCHMARK(BM_OpenBLAS<float, kGemv>)->Name("OpenBLAS_Gemv/f32")->Apply(GemvShapes);
BENCHMARK(BM_DnnlSgemm)->Name("DnnlSgemm/f32")->Apply(ForwardShapes);
BENCHMARK(BM_DnnlPrimitive<false>)->Name("DnnlMatmul/f32")->Apply(ForwardShapes);
BENCHMARK(BM_DnnlPrimitive<true>)->Name("DnnlInnerProduct/f32")->Apply(ForwardShapes);
BENCHMARK(BM_OpenBLAS<double, kNT>)->Name("OpenBLAS_NT/f64")->Apply(ForwardShapes);
BENCHMARK(BM_OpenBLAS<double, kGemv>)->Name("OpenBLAS_Gemv/f64")->Apply(GemvShapes);
BENCHMARK(BM_OpenBLAS_Backward<float>)->Name("OpenBLAS_Backward/f32")->Apply(BackwardShapes);
BENCHMARK(BM_DnnlSgemm_Backward)->Name("DnnlSgemm_Backward/f32")->Apply(BackwardShapes);
BENCHMARK(BM_DnnlMatmul_Backward)->Name("DnnlMatmul_Backward/f32")->Apply(BackwardShapes);

// One thread everywhere, and the libraries' CPU choices in the report header.
const bool kSetUp = [] {
  omp_set_num_threads(1);
  openblas_set_num_threads(1);
  benchmark::AddCustomContext("openblas_corename", openblas_get_corename());
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  const char* l2 = std::getenv("OPENBLAS_L2_SIZE");
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype != nullptr ? coretype : "(unset)");
  benchmark::AddCustomContext("OPENBLAS_L2_SIZE", l2 != nullptr ? l2 : "(unset)");
  const dnnl_version_t* v = dnnl_version();
  benchmark::AddCustomContext("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) +
                                            "." + std::to_string(v->patch) + " isa " +
                                            std::to_string(dnnl_get_effective_cpu_isa()));
  return true;
}();

}  // namespace
