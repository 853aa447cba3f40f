#include "tools/bench_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace opgraph {
namespace cli {
namespace {

// Keys in the order they are inserted, as docs/CLI.md lists them.
using json = nlohmann::ordered_json;

json StatsJson(const TimeStats& s) {
  return {{"mean_us", s.mean}, {"median_us", s.median}, {"min_us", s.min}, {"max_us", s.max}};
}

void WritePerOpText(const BenchReport& r, std::ostream& out) {
  out << absl::StrFormat("\nper operator (%d runs each):\n", r.iterations);
  out << absl::StrFormat("%6s  %-18s %-14s %-16s %12s %12s %7s\n", "#", "type", "name", "output",
                         "mean us", "median us", "share");
  for (const OpTiming& op : r.ops) {
    out << absl::StrFormat("%6d  %-18s %-14s %-16s %12.3f %12.3f %6.1f%%\n", op.index, op.type,
                           op.name.empty() ? "-" : op.name,
                           op.outputs.empty() ? "-" : op.outputs[0], op.time.mean, op.time.median,
                           100 * op.share);
  }
  out << "\nper operator type:\n";
  for (const TypeTiming& t : r.types) {
    out << absl::StrFormat("  %-18s %6d ops %12.3f us %6.1f%%\n", t.type, t.count, t.total_mean,
                           100 * t.share);
  }
  out << absl::StrFormat("sum of per-operator means: %.3f us (whole net mean %.3f us)\n",
                         r.sum_of_op_means, r.net_time.mean);
}

}  // namespace

TimeStats Summarize(std::vector<double> us) {
  TimeStats s;
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  s.mean = sum / us.size();
  const size_t n = us.size();
  s.median = n % 2 ? us[n / 2] : 0.5 * (us[n / 2 - 1] + us[n / 2]);
  s.min = us.front();
  s.max = us.back();
  return s;
}

void WriteBenchText(const BenchReport& r, std::ostream& out) {
  out << absl::StrFormat(
      "%s (%s): %d operators, %d warmup, %d iterations\n",
      r.net_name.empty() ? std::string("net <unnamed>") : absl::StrCat("net '", r.net_name, "'"),
      r.file, r.operators, r.warmup, r.iterations);
  out << (r.memory_plan_enabled ? r.memory_plan.ToString() : std::string("memory plan: off"))
      << "\n";
  out << absl::StrFormat("whole net: mean %.3f us, median %.3f us, min %.3f us, max %.3f us\n",
                         r.net_time.mean, r.net_time.median, r.net_time.min, r.net_time.max);
  if (r.per_op) WritePerOpText(r, out);
}

void WriteBenchJson(const BenchReport& r, std::ostream& out) {
  const MemoryPlanReport& m = r.memory_plan;
  json j = {
      {"net", r.net_name},
      {"file", r.file},
      {"operators", r.operators},
      {"warmup", r.warmup},
      {"iterations", r.iterations},
      {"threads", r.threads},
      {"optimize",
       {{"enabled", r.optimize},
        {"disabled_passes", r.disabled_passes},
        {"passes_changed", r.passes_changed}}},
      {"memory_plan",
       {{"enabled", r.memory_plan_enabled},
        {"blobs_before", m.blobs_before},
        {"blobs_after", m.blobs_after},
        {"bytes_before", m.bytes_before},
        {"bytes_after", m.bytes_after},
        {"inplace_outputs", m.inplace_outputs},
        {"shared_outputs", m.shared_outputs}}},
      {"net_time", StatsJson(r.net_time)},
  };
  if (r.per_op) {
    json ops = json::array();
    for (const OpTiming& op : r.ops) {
      ops.push_back({{"index", op.index},
                     {"type", op.type},
                     {"name", op.name},
                     {"outputs", op.outputs},
                     {"time", StatsJson(op.time)},
                     {"share", op.share}});
    }
    json types = json::array();
    for (const TypeTiming& t : r.types) {
      types.push_back({{"type", t.type},
                       {"count", t.count},
                       {"total_mean_us", t.total_mean},
                       {"share", t.share}});
    }
    j["per_op"] = std::move(ops);
    j["per_type"] = std::move(types);
    j["sum_of_op_means_us"] = r.sum_of_op_means;
  }
  // Paths and names need not be UTF-8; invalid bytes become U+FFFD.
  out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace cli
}  // namespace opgraph
