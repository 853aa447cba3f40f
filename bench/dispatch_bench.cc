// Per-operator cost of the executor: a chain of 1000 Selu operators on
// 1-element float32 tensors, run through Net::Run. The kernel work is a
// handful of nanoseconds, so the time is dispatch: the virtual call, the
// output resize, the type checks and the kernel's own dispatch. The counter
// time_per_op (seconds per operator, CPU time) is what bench/compare_torch
// compares with PyTorch eager (it divides the real time by 1000).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_util.h"

namespace opgraph {
namespace bench {
namespace {

void BM_DispatchSeluChain(benchmark::State& state) {
  const int num_ops = static_cast<int>(state.range(0));
  std::vector<OperatorDef> ops;
  for (int i = 0; i < num_ops; ++i) {
    ops.push_back(Op("Selu", {absl::StrCat("t", i)}, {absl::StrCat("t", i + 1)}));
  }
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.emplace_back("t0", FilledTensor({1}, -1, 1));
  WarmNet net(ops, std::move(feeds));
  for (auto _ : state) net.Run();
  state.counters["time_per_op"] = benchmark::Counter(
      num_ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DispatchSeluChain)->Arg(1000);

// The same chain with every operator in place on one blob (what the memory
// plan makes of it): one tensor stays in L1.
void BM_DispatchSeluChainInplace(benchmark::State& state) {
  const int num_ops = static_cast<int>(state.range(0));
  std::vector<OperatorDef> ops;
  ops.push_back(Op("Selu", {"x"}, {"t"}));
  for (int i = 1; i < num_ops; ++i) ops.push_back(Op("Selu", {"t"}, {"t"}));
  std::vector<std::pair<std::string, Tensor>> feeds;
  feeds.emplace_back("x", FilledTensor({1}, -1, 1));
  WarmNet net(ops, std::move(feeds));
  for (auto _ : state) net.Run();
  state.counters["time_per_op"] = benchmark::Counter(
      num_ops, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DispatchSeluChainInplace)->Arg(1000);

}  // namespace
}  // namespace bench
}  // namespace opgraph
