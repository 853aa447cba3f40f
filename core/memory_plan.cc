#include "core/memory_plan.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/registry.h"
#include "core/status_macros.h"

namespace opgraph {
namespace {

// One value of a blob: what one operator output writes (static single
// assignment over blob names). A blob written twice has two values.
struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  int64_t numel = 0;
  int last_use = -1;  // Index of the last operator reading it; else its writer.
  bool pinned = false;
  bool handed_over = false;  // Its buffer went on to an in-place output.
  int buffer = -1;
};

struct Buffer {
  std::string name;
  DType dtype;
  int64_t numel;
};

int64_t Bytes(const TensorType& t) {
  int64_t n = 1;
  for (int64_t d : t.dims) n *= d;
  return n * static_cast<int64_t>(DTypeSize(t.dtype));
}

bool HasNestedNets(const NetDef& net) {
  for (const OperatorDef& op : net.op()) {
    for (const Argument& a : op.arg()) {
      if (a.has_n() || a.nets_size() > 0) return true;
    }
  }
  return false;
}

// The output types of every operator, in order, or the errors of
// InferNetTypesPerOp.
absl::StatusOr<std::vector<std::vector<TensorType>>> OutputTypes(const NetDef& net,
                                                                 const TypeMap& inputs,
                                                                 const ConstantLookup& constants) {
  OPGRAPH_ASSIGN_OR_RETURN(NetTypes types, InferNetTypesPerOp(net, inputs, constants));
  return std::move(types.op_outputs);
}

// Distinct blobs of `net` and their bytes, each at its largest size.
std::pair<int64_t, int64_t> Footprint(const NetDef& net, const TypeMap& inputs,
                                      const std::vector<std::vector<TensorType>>& out_types) {
  std::map<std::string, int64_t> bytes;
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    for (const std::string& in : op.input()) {
      if (bytes.count(in) == 0) {
        auto it = inputs.find(in);
        bytes[in] = it == inputs.end() ? 0 : Bytes(it->second);
      }
    }
    for (int o = 0; o < op.output_size(); ++o) {
      int64_t& b = bytes[op.output(o)];
      b = std::max(b, Bytes(out_types[i][o]));
    }
  }
  int64_t total = 0;
  for (const auto& [name, b] : bytes) total += b;
  return {static_cast<int64_t>(bytes.size()), total};
}

std::string HumanBytes(int64_t b) {
  if (b >= (int64_t{1} << 30)) return absl::StrFormat("%.1f GiB", b / double(int64_t{1} << 30));
  if (b >= (int64_t{1} << 20)) return absl::StrFormat("%.1f MiB", b / double(1 << 20));
  if (b >= (int64_t{1} << 10)) return absl::StrFormat("%.1f KiB", b / 1024.0);
  return absl::StrCat(b, " B");
}

}  // namespace

std::string MemoryPlanReport::ToString() const {
  if (!skipped.empty()) return absl::StrCat("memory plan: skipped (", skipped, ")");
  return absl::StrCat("memory plan: ", blobs_before, " blobs -> ", blobs_after, ", ",
                      HumanBytes(bytes_before), " -> ", HumanBytes(bytes_after), " (",
                      inplace_outputs, " outputs in place, ", shared_outputs, " shared)");
}

absl::StatusOr<MemoryPlan> PlanMemory(const NetDef& net, const TypeMap& inputs,
                                      const MemoryPlanOptions& options) {
  OPGRAPH_ASSIGN_OR_RETURN(std::vector<std::vector<TensorType>> out_types,
                           OutputTypes(net, inputs, options.constants));
  MemoryPlan plan;
  plan.net = net;
  MemoryPlanReport& report = plan.report;
  std::tie(report.blobs_before, report.bytes_before) = Footprint(net, inputs, out_types);
  report.blobs_after = report.blobs_before;
  report.bytes_after = report.bytes_before;
  if (HasNestedNets(net)) {
    report.skipped = "an operator argument holds a nested net";
    return plan;
  }

  std::set<std::string> pinned = options.protected_blobs;
  pinned.insert(net.external_input().begin(), net.external_input().end());
  pinned.insert(net.external_output().begin(), net.external_output().end());
  for (const auto& [name, type] : inputs) pinned.insert(name);

  // Values, and which value each operator slot reads or writes (-1: a blob
  // read before any write, which is pinned since it is in `inputs`).
  const int num_ops = net.op_size();
  std::vector<Value> values;
  std::vector<std::vector<int>> in_vals(num_ops), out_vals(num_ops);
  std::set<std::string> names_in_use;  // Every name a new buffer must avoid.
  {
    std::map<std::string, int> current;
    for (int i = 0; i < num_ops; ++i) {
      const OperatorDef& op = net.op(i);
      for (const std::string& in : op.input()) {
        names_in_use.insert(in);
        auto it = current.find(in);
        const int v = it == current.end() ? -1 : it->second;
        if (v >= 0) values[v].last_use = i;
        in_vals[i].push_back(v);
      }
      for (int o = 0; o < op.output_size(); ++o) {
        Value v;
        v.name = op.output(o);
        v.dtype = out_types[i][o].dtype;
        v.numel = Bytes(out_types[i][o]) / std::max<int64_t>(1, DTypeSize(v.dtype));
        v.last_use = i;
        v.pinned = pinned.count(v.name) > 0;
        names_in_use.insert(v.name);
        current[v.name] = static_cast<int>(values.size());
        out_vals[i].push_back(static_cast<int>(values.size()));
        values.push_back(std::move(v));
      }
    }
  }
  for (const std::string& p : pinned) names_in_use.insert(p);

  std::vector<Buffer> buffers;
  std::set<std::string> buffer_names;
  std::map<std::pair<DType, int64_t>, std::vector<int>> free_buffers;
  // Per blob name, the first "_mp" suffix not tried yet: every smaller one
  // is taken, so a blob written n times costs n tries in all, not n^2/2.
  std::map<std::string, int> next_suffix;
  auto new_buffer = [&](const Value& v) {
    std::string name = v.name;
    if (buffer_names.count(name) > 0) {
      // The value's own name already labels a buffer (the blob is written
      // twice); pick the first "<name>_mp<k>" used nowhere else.
      int& k = next_suffix.emplace(v.name, 1).first->second;
      do {
        name = absl::StrCat(v.name, "_mp", k++);
      } while (names_in_use.count(name) > 0 || buffer_names.count(name) > 0);
    }
    buffer_names.insert(name);
    buffers.push_back(Buffer{name, v.dtype, v.numel});
    return static_cast<int>(buffers.size()) - 1;
  };
  auto release = [&](int v) {
    Value& val = values[v];
    if (val.pinned || val.handed_over || val.buffer < 0) return;
    free_buffers[{val.dtype, val.numel}].push_back(val.buffer);
    val.handed_over = true;  // Released once only.
  };

  for (int i = 0; i < num_ops; ++i) {
    const OperatorDef& op = net.op(i);
    const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
    for (int o = 0; o < op.output_size(); ++o) {
      Value& out = values[out_vals[i][o]];
      if (out.pinned) continue;
      // An input of the same name: the definition already runs in place.
      for (int k = 0; k < op.input_size() && out.buffer < 0; ++k) {
        const int u = in_vals[i][k];
        if (op.input(k) == op.output(o) && u >= 0) {
          out.buffer = values[u].buffer;
          values[u].handed_over = true;
        }
      }
      for (int k = 0; options.inplace && k < op.input_size() && out.buffer < 0; ++k) {
        const int u = in_vals[i][k];
        if (u < 0 || !schema->IsInplaceAllowed(k, o)) continue;
        Value& in = values[u];
        if (in.pinned || in.handed_over || in.last_use != i || in.dtype != out.dtype ||
            in.numel != out.numel) {
          continue;
        }
        bool read_elsewhere = false;
        for (int j = 0; j < op.input_size(); ++j) {
          if (j != k && in_vals[i][j] == u) read_elsewhere = true;
        }
        if (read_elsewhere) continue;
        out.buffer = in.buffer;
        in.handed_over = true;
        ++report.inplace_outputs;
      }
      if (out.buffer < 0 && options.share) {
        auto it = free_buffers.find({out.dtype, out.numel});
        if (it != free_buffers.end() && !it->second.empty()) {
          out.buffer = it->second.back();
          it->second.pop_back();
          ++report.shared_outputs;
        }
      }
      if (out.buffer < 0) out.buffer = new_buffer(out);
    }
    // Inputs read for the last time, and outputs nobody reads, are dead now.
    for (int u : in_vals[i]) {
      if (u >= 0 && values[u].last_use == i) release(u);
    }
    for (int v : out_vals[i]) {
      if (values[v].last_use == i) release(v);
    }
  }

  for (int i = 0; i < num_ops; ++i) {
    OperatorDef* op = plan.net.mutable_op(i);
    for (int k = 0; k < op->input_size(); ++k) {
      const int u = in_vals[i][k];
      if (u >= 0 && !values[u].pinned) op->set_input(k, buffers[values[u].buffer].name);
    }
    for (int o = 0; o < op->output_size(); ++o) {
      const Value& v = values[out_vals[i][o]];
      if (!v.pinned) op->set_output(o, buffers[v.buffer].name);
    }
  }
  std::tie(report.blobs_after, report.bytes_after) = Footprint(plan.net, inputs, out_types);
  return plan;
}

}  // namespace opgraph
