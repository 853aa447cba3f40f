// opgraph bench NET [--init INIT_NET] [--input NAME=FILE]... [--warmup N]
//                   [--iters N] [--per-op] [--json]
//
// Times whole-net runs and, with --per-op, each operator on its own (as
// Caffe2's speed_benchmark --run_individual does).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/memory_plan.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace opgraph {
namespace cli {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

absl::StatusOr<int64_t> ParseCount(const ParsedArgs& args, const std::string& flag,
                                   int64_t fallback, int64_t min) {
  if (!args.Has(flag)) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(args.Get(flag), &v) || v < min || v > 1'000'000'000) {
    return UsageError(absl::StrCat("--", flag, " wants an integer from ", min,
                                   " to 1000000000, got '", args.Get(flag), "'"));
  }
  return v;
}

struct Stats {
  double mean = 0, median = 0, min = 0, max = 0;  // Microseconds.
};

Stats Summarize(std::vector<double> us) {
  Stats s;
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

// Reports progress on stderr about every `interval` seconds (every step
// when 0), so that a long run shows it is alive.
class Progress {
 public:
  Progress(std::ostream& err, double interval, int64_t total)
      : err_(err), interval_(interval), total_(total), start_(Clock::now()), last_(start_) {}
  void Step(const char* phase) {
    ++done_;
    const Clock::time_point now = Clock::now();
    if (Seconds(last_, now) < interval_) return;
    last_ = now;
    err_ << absl::StrFormat("opgraph bench: %s, %d of %d runs done (%.1f s)\n", phase, done_,
                            total_, Seconds(start_, now));
  }

 private:
  std::ostream& err_;
  double interval_;
  int64_t total_;
  int64_t done_ = 0;
  Clock::time_point start_, last_;
};

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

std::string StatsJson(const Stats& s) {
  return absl::StrCat("{\"mean_us\": ", Num(s.mean), ", \"median_us\": ", Num(s.median),
                      ", \"min_us\": ", Num(s.min), ", \"max_us\": ", Num(s.max), "}");
}

// Reads the files and fills the workspace as `opgraph run` does.
absl::Status LoadInputs(const ParsedArgs& args, const NetDef& net, const std::string& net_path,
                        Workspace& ws) {
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const std::string& v : args.GetAll("input")) {
    OPGRAPH_ASSIGN_OR_RETURN(auto nf, SplitNameValue(v, "--input"));
    if (!seen.insert(nf.first).second) {
      return UsageError(absl::StrCat("--input names blob '", nf.first, "' more than once"));
    }
    inputs.push_back(std::move(nf));
  }
  if (args.Has("init")) {
    const std::string init_path = args.Get("init");
    OPGRAPH_ASSIGN_OR_RETURN(NetDef init, ReadNetFile(init_path));
    absl::Status s = ws.RunNetOnce(init);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("init net ", init_path, ": ", s.message()));
  }
  const std::vector<std::string> reads = NetReads(net);
  for (const auto& [name, file] : inputs) {
    if (std::find(reads.begin(), reads.end(), name) == reads.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--input ", name, "=", file, ": ", net_path, " does not read a blob named '", name,
          "' (it reads: ", reads.empty() ? std::string("nothing") : absl::StrJoin(reads, ", "),
          ")"));
    }
    absl::StatusOr<Tensor> t = ReadTensorFile(file);
    if (!t.ok()) {
      return absl::Status(t.status().code(),
                          absl::StrCat("--input ", name, ": ", t.status().message()));
    }
    OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob(name, *std::move(t)));
  }
  std::string missing;
  for (const std::string& name : reads) {
    const Tensor* t = ws.GetBlob(name);
    if (t == nullptr || !t->initialized()) {
      absl::StrAppend(&missing, "\n  ", name, ": ", DescribeFirstReader(net, name));
    }
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        net_path, " reads blobs that no --init net produced and no --input gave:", missing,
        "\nGive each with --input NAME=FILE, or produce it in the --init net."));
  }
  return absl::OkStatus();
}

absl::Status Bench(const ParsedArgs& args, CliIO& io) {
  const std::string net_path = args.positional()[0];
  OPGRAPH_ASSIGN_OR_RETURN(const int64_t warmup, ParseCount(args, "warmup", 1, 0));
  OPGRAPH_ASSIGN_OR_RETURN(const int64_t iters, ParseCount(args, "iters", 10, 1));
  double interval = 1.0;
  if (args.Has("progress")) {
    if (!absl::SimpleAtod(args.Get("progress"), &interval) || !(interval >= 0) ||
        !std::isfinite(interval)) {
      return UsageError(absl::StrCat("--progress wants seconds >= 0, got '",
                                     args.Get("progress"), "'"));
    }
  }
  const bool per_op = args.GetBool("per-op");
  const bool json = args.GetBool("json");
  const bool plan_memory = !args.GetBool("no-memory-plan");
  OPGRAPH_ASSIGN_OR_RETURN(const int threads, ParseThreadsFlag(args));

  OPGRAPH_ASSIGN_OR_RETURN(NetDef net, ReadNetFile(net_path));
  Workspace ws;
  ws.set_num_threads(threads);  // 0 keeps the process default
  OPGRAPH_RETURN_IF_ERROR(LoadInputs(args, net, net_path, ws));
  // The same rewrites as `opgraph run`; the memory plan is applied here
  // rather than through RewriteForRun so that its report can be printed.
  net = RewriteForRun(net, ws.BlobTypes(), {}, !args.GetBool("no-optimize"),
                      /*plan_memory=*/false);
  MemoryPlanReport plan_report;
  if (plan_memory) {
    // A net that cannot be planned cannot be created either: CreateNet
    // below reports why.
    absl::StatusOr<MemoryPlan> plan = PlanMemory(net, ws.BlobTypes());
    if (plan.ok()) {
      net = std::move(plan->net);
      plan_report = plan->report;
    }
  }
  absl::StatusOr<Net*> created = ws.CreateNet(net, /*overwrite=*/true);
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat(net_path, ": ", created.status().message()));
  }
  Net* n = *created;
  auto run_failed = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("running ", net_path, ": ", s.message()));
  };

  Progress progress(io.err, interval, warmup + iters + (per_op ? iters : 0));
  // At least one untimed run, so that outputs are allocated and inputs
  // checked before anything is timed.
  for (int64_t i = 0; i < std::max<int64_t>(warmup, 1); ++i) {
    absl::Status s = n->Run();
    if (!s.ok()) return run_failed(s);
    if (i < warmup) progress.Step("warmup");
  }
  std::vector<double> net_us;
  for (int64_t i = 0; i < iters; ++i) {
    const Clock::time_point t0 = Clock::now();
    absl::Status s = n->Run();
    const Clock::time_point t1 = Clock::now();
    if (!s.ok()) return run_failed(s);
    net_us.push_back(1e6 * Seconds(t0, t1));
    progress.Step("whole net");
  }
  const Stats net_stats = Summarize(net_us);

  // Each operator timed on its own. The net has just run, so its inputs are
  // checked and every output holds its final shape.
  std::vector<std::vector<double>> op_us(n->num_ops());
  for (int64_t i = 0; per_op && i < iters; ++i) {
    for (int k = 0; k < n->num_ops(); ++k) {
      const Clock::time_point t0 = Clock::now();
      absl::Status s = n->op(k)->RunOnDevice();
      const Clock::time_point t1 = Clock::now();
      if (!s.ok()) {
        return run_failed(absl::Status(
            s.code(), absl::StrCat("operator #", k, " ", n->op(k)->type(), ": ", s.message())));
      }
      op_us[k].push_back(1e6 * Seconds(t0, t1));
    }
    progress.Step("per operator");
  }
  std::vector<Stats> op_stats;
  double op_total = 0;
  std::map<std::string, std::pair<int, double>> by_type;  // type -> (count, sum of means)
  std::vector<std::string> type_order;
  for (int k = 0; per_op && k < n->num_ops(); ++k) {
    op_stats.push_back(Summarize(op_us[k]));
    op_total += op_stats.back().mean;
    auto [it, inserted] = by_type.try_emplace(n->op(k)->type(), 0, 0.0);
    if (inserted) type_order.push_back(it->first);
    it->second.first += 1;
    it->second.second += op_stats.back().mean;
  }
  auto share = [&](double v) { return op_total > 0 ? v / op_total : 0.0; };

  const std::string net_name = net.name();
  if (json) {
    std::string out = absl::StrCat(
        "{\"net\": ", JsonQuote(net_name), ", \"file\": ", JsonQuote(net_path),
        ", \"operators\": ", n->num_ops(), ", \"warmup\": ", warmup, ", \"iterations\": ", iters,
        ", \"memory_plan\": {\"enabled\": ", plan_memory ? "true" : "false",
        ", \"bytes_before\": ", plan_report.bytes_before, ", \"bytes_after\": ",
        plan_report.bytes_after, "}, \"net_time\": ", StatsJson(net_stats));
    if (per_op) {
      absl::StrAppend(&out, ", \"per_op\": [");
      for (int k = 0; k < n->num_ops(); ++k) {
        const OperatorDef& d = n->op(k)->def();
        std::vector<std::string> outs;
        for (const std::string& o : d.output()) outs.push_back(JsonQuote(o));
        absl::StrAppend(&out, k ? ", " : "", "{\"index\": ", k, ", \"type\": ",
                        JsonQuote(d.type()), ", \"name\": ", JsonQuote(d.name()),
                        ", \"outputs\": [", absl::StrJoin(outs, ", "), "], \"time\": ",
                        StatsJson(op_stats[k]), ", \"share\": ", Num(share(op_stats[k].mean)),
                        "}");
      }
      absl::StrAppend(&out, "], \"per_type\": [");
      for (size_t t = 0; t < type_order.size(); ++t) {
        const auto& [count, sum] = by_type[type_order[t]];
        absl::StrAppend(&out, t ? ", " : "", "{\"type\": ", JsonQuote(type_order[t]),
                        ", \"count\": ", count, ", \"total_mean_us\": ", Num(sum),
                        ", \"share\": ", Num(share(sum)), "}");
      }
      absl::StrAppend(&out, "], \"sum_of_op_means_us\": ", Num(op_total));
    }
    io.out << out << "}\n";
    return absl::OkStatus();
  }

  io.out << absl::StrFormat("%s (%s): %d operators, %d warmup, %d iterations\n",
                            net_name.empty() ? std::string("net <unnamed>")
                                             : absl::StrCat("net '", net_name, "'"),
                            net_path, n->num_ops(), warmup, iters);
  io.out << (plan_memory ? plan_report.ToString() : std::string("memory plan: off")) << "\n";
  io.out << absl::StrFormat("whole net: mean %.3f us, median %.3f us, min %.3f us, max %.3f us\n",
                            net_stats.mean, net_stats.median, net_stats.min, net_stats.max);
  if (!per_op) return absl::OkStatus();
  io.out << absl::StrFormat("\nper operator (%d runs each):\n", iters);
  io.out << absl::StrFormat("%6s  %-18s %-14s %-16s %12s %12s %7s\n", "#", "type", "name",
                            "output", "mean us", "median us", "share");
  for (int k = 0; k < n->num_ops(); ++k) {
    const OperatorDef& d = n->op(k)->def();
    io.out << absl::StrFormat("%6d  %-18s %-14s %-16s %12.3f %12.3f %6.1f%%\n", k, d.type(),
                              d.name().empty() ? "-" : d.name(),
                              d.output_size() ? d.output(0) : "-", op_stats[k].mean,
                              op_stats[k].median, 100 * share(op_stats[k].mean));
  }
  io.out << "\nper operator type:\n";
  for (const std::string& type : type_order) {
    const auto& [count, sum] = by_type[type];
    io.out << absl::StrFormat("  %-18s %6d ops %12.3f us %6.1f%%\n", type, count, sum,
                              100 * share(sum));
  }
  io.out << absl::StrFormat("sum of per-operator means: %.3f us (whole net mean %.3f us)\n",
                            op_total, net_stats.mean);
  return absl::OkStatus();
}

}  // namespace

Command BenchCommand() {
  Command c;
  c.name = "bench";
  c.summary = "Time a net: whole runs and, with --per-op, each operator.";
  c.usage =
      "NET [--init INIT_NET] [--input NAME=FILE]... [--warmup N] [--iters N] [--per-op] "
      "[--json]";
  c.description =
      "Loads NET, INIT_NET and the --input files as 'opgraph run' does, applies the same\n"
      "fusions (unless --no-optimize) and memory plan (unless --no-memory-plan), runs the\n"
      "net max(N, 1) times untimed (--warmup, default 1), then times --iters runs\n"
      "(default 10) of the whole net and prints their mean, median, min and max.\n"
      "--threads N lets each operator split large tensors over N threads.\n"
      "\n"
      "--per-op then times each operator on its own for --iters more rounds and prints\n"
      "its mean and median and its share of the sum of all operators' means, and the\n"
      "same per operator type (like Caffe2's speed_benchmark --run_individual). Output\n"
      "names are those after memory planning.\n"
      "\n"
      "Progress goes to stderr about once a second (--progress SECONDS; 0 = every run).\n"
      "--json prints one JSON object instead of the tables.";
  c.flags = {
      {"init", 0, FlagSpec::Kind::kValue, "INIT_NET", "Net run once before NET."},
      {"input", 0, FlagSpec::Kind::kRepeated, "NAME=FILE", "Feed blob NAME from FILE."},
      {"warmup", 0, FlagSpec::Kind::kValue, "N", "Untimed runs first (default 1)."},
      {"iters", 0, FlagSpec::Kind::kValue, "N", "Timed runs (default 10)."},
      {"per-op", 0, FlagSpec::Kind::kBool, "", "Also time each operator on its own."},
      {"json", 0, FlagSpec::Kind::kBool, "", "Print JSON."},
      {"no-memory-plan", 0, FlagSpec::Kind::kBool, "", "Do not plan memory."},
      {"no-optimize", 0, FlagSpec::Kind::kBool, "", "Do not fuse operators."},
      ThreadsFlag(),
      {"progress", 0, FlagSpec::Kind::kValue, "SECONDS",
       "Seconds between progress lines on stderr (default 1)."},
  };
  c.min_positional = 1;
  c.max_positional = 1;
  c.run = &Bench;
  return c;
}

}  // namespace cli
}  // namespace opgraph
