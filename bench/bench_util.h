// Helpers for the benchmarks that run operators through the framework: a
// workspace holding one net with its inputs fed, outputs allocated and
// written once (warm) before timing starts.
#ifndef OPGRAPH_BENCH_BENCH_UTIL_H_
#define OPGRAPH_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/net.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace bench {

// A float32 tensor of `dims` with values in [lo, hi) from a fixed linear
// congruential sequence; every page is written.
inline Tensor FilledTensor(const std::vector<int64_t>& dims, float lo, float hi,
                           uint32_t seed = 12345) {
  Tensor t;
  CHECK(t.Resize(DType::kFloat32, dims).ok());
  float* p = t.mutable_data<float>();
  uint32_t s = seed;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = lo + (hi - lo) * static_cast<float>(s >> 8) * 0x1p-24f;
  }
  return t;
}

inline OperatorDef Op(const std::string& type, const std::vector<std::string>& inputs,
                      const std::vector<std::string>& outputs) {
  OperatorDef op;
  op.set_type(type);
  for (const std::string& in : inputs) op.add_input(in);
  for (const std::string& out : outputs) op.add_output(out);
  return op;
}

// A workspace with `feeds` fed and a net of `ops` created and run once.
// Aborts on any error: a benchmark of a broken net measures nothing.
class WarmNet {
 public:
  WarmNet(const std::vector<OperatorDef>& ops, std::vector<std::pair<std::string, Tensor>> feeds) {
    NetDef def;
    def.set_name("bench");
    for (const OperatorDef& op : ops) *def.add_op() = op;
    for (auto& [name, t] : feeds) {
      def.add_external_input(name);
      CHECK(ws_.FeedBlob(name, std::move(t)).ok());
    }
    absl::StatusOr<Net*> net = ws_.CreateNet(def);
    CHECK(net.ok()) << net.status();
    net_ = *net;
    Run();
  }
  void Run() {
    absl::Status s = net_->Run();
    if (!s.ok()) LOG(FATAL) << s;
  }
  Workspace& ws() { return ws_; }
  Net* net() { return net_; }

 private:
  Workspace ws_;
  Net* net_ = nullptr;
};

// items_per_second counts elements; bytes_per_second the minimal memory
// traffic (whole tensors read and written once), comparable to BM_Copy.
inline void SetCounters(benchmark::State& state, int64_t elements, int64_t bytes_per_element) {
  state.SetItemsProcessed(state.iterations() * elements);
  state.SetBytesProcessed(state.iterations() * elements * bytes_per_element);
}

}  // namespace bench
}  // namespace opgraph

#endif  // OPGRAPH_BENCH_BENCH_UTIL_H_
