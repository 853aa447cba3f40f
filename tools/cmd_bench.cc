// opgraph bench NET [--init INIT_NET] [--input NAME=FILE]... [--warmup N]
//                   [--iters N] [--per-op] [--json]
//
// Times whole-net runs and, with --per-op, each operator on its own (as
// Caffe2's speed_benchmark --run_individual does). The measurements go into
// a BenchReport (tools/bench_report.h), written as text or JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/exceptions.h"
#include "core/status_macros.h"
#include "core/workspace.h"
#include "tools/bench_report.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchFlags {
  ValueFlag init, threads, memory_budget, warmup, iters, progress;
  std::vector<std::string> inputs, disabled_passes;
  bool per_op = false, json = false, no_optimize = false, no_memory_plan = false;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

absl::StatusOr<int64_t> ParseCount(const ValueFlag& flag, const std::string& name, int64_t fallback,
                                   int64_t min) {
  if (!flag.given()) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(flag.value, &v) || v < min || v > 1'000'000'000) {
    return UsageError(absl::StrCat("--", name, " wants an integer from ", min,
                                   " to 1000000000, got '", flag.value, "'"));
  }
  return v;
}

absl::StatusOr<double> ParseInterval(const ValueFlag& flag) {
  double interval = 1.0;
  if (flag.given() &&
      (!absl::SimpleAtod(flag.value, &interval) || !(interval >= 0) || !std::isfinite(interval))) {
    return UsageError(absl::StrCat("--progress wants seconds >= 0, got '", flag.value, "'"));
  }
  return interval;
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

absl::Status RunFailed(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("running ", path, ": ", s.message()));
}

// Untimed warmup runs (at least one, so that outputs are allocated and
// inputs checked before anything is timed), then the timed whole-net runs.
absl::Status TimeNet(Net& net, const std::string& path, BenchReport& r, Progress& progress) {
  for (int64_t i = 0; i < std::max<int64_t>(r.warmup, 1); ++i) {
    absl::Status s = net.Run();
    if (!s.ok()) return RunFailed(path, s);
    if (i < r.warmup) progress.Step("warmup");
  }
  std::vector<double> us;
  for (int64_t i = 0; i < r.iterations; ++i) {
    const Clock::time_point t0 = Clock::now();
    absl::Status s = net.Run();
    const Clock::time_point t1 = Clock::now();
    if (!s.ok()) return RunFailed(path, s);
    us.push_back(1e6 * Seconds(t0, t1));
    progress.Step("whole net");
  }
  r.net_time = Summarize(std::move(us));
  return absl::OkStatus();
}

// Each operator timed on its own. The net has just run, so its inputs are
// checked and every output holds its final shape.
absl::Status TimeOperators(Net& net, const std::string& path, BenchReport& r, Progress& progress) {
  std::vector<std::vector<double>> us(net.num_ops());
  for (int64_t i = 0; i < r.iterations; ++i) {
    for (int k = 0; k < net.num_ops(); ++k) {
      const Clock::time_point t0 = Clock::now();
      OperatorBase* op = net.op(k);
      absl::Status s = CallCatching("RunOnDevice", [op] { return op->RunOnDevice(); });
      const Clock::time_point t1 = Clock::now();
      if (!s.ok()) {
        return RunFailed(
            path, absl::Status(s.code(), absl::StrCat("operator #", k, " ", net.op(k)->type(), ": ",
                                                      s.message())));
      }
      us[k].push_back(1e6 * Seconds(t0, t1));
    }
    progress.Step("per operator");
  }
  std::map<std::string, size_t> type_index;
  for (int k = 0; k < net.num_ops(); ++k) {
    const OperatorDef& d = net.op(k)->def();
    OpTiming op{
        k, d.type(), d.name(), {d.output().begin(), d.output().end()}, Summarize(std::move(us[k])),
        0};
    r.sum_of_op_means += op.time.mean;
    auto [it, inserted] = type_index.try_emplace(op.type, r.types.size());
    if (inserted) r.types.push_back({op.type, 0, 0, 0});
    r.types[it->second].count += 1;
    r.types[it->second].total_mean += op.time.mean;
    r.ops.push_back(std::move(op));
  }
  auto share = [&](double v) { return r.sum_of_op_means > 0 ? v / r.sum_of_op_means : 0.0; };
  for (OpTiming& op : r.ops) op.share = share(op.time.mean);
  for (TypeTiming& t : r.types) t.share = share(t.total_mean);
  return absl::OkStatus();
}

absl::Status Bench(const BenchFlags& f, const Invocation& inv, CliIO& io) {
  BenchReport r;
  OPGRAPH_ASSIGN_OR_RETURN(r.warmup, ParseCount(f.warmup, "warmup", 1, 0));
  OPGRAPH_ASSIGN_OR_RETURN(r.iterations, ParseCount(f.iters, "iters", 10, 1));
  OPGRAPH_ASSIGN_OR_RETURN(const double interval, ParseInterval(f.progress));
  SessionOptions so{inv.positional[0], f.init.value, inv.plugins, f.inputs, {}, 0};
  OPGRAPH_ASSIGN_OR_RETURN(so.threads, ThreadsValue(f.threads));
  OPGRAPH_ASSIGN_OR_RETURN(so.memory_budget, MemoryBudgetValue(f.memory_budget));
  RewriteOptions ro;
  OPGRAPH_ASSIGN_OR_RETURN(ro.disabled_passes, ParseDisabledPasses(f.disabled_passes));
  ro.optimize = !f.no_optimize;
  ro.plan_memory = !f.no_memory_plan;

  OPGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Load(so));
  OPGRAPH_RETURN_IF_ERROR(session->CheckInputsPresent());
  RewriteReport rewrites;
  OPGRAPH_ASSIGN_OR_RETURN(Net * net, session->CreateNet(ro, &rewrites));
  r.net_name = session->net().name();
  r.file = session->net_path();
  r.operators = net->num_ops();
  r.threads = so.threads;
  r.optimize = ro.optimize;
  r.disabled_passes.assign(ro.disabled_passes.begin(), ro.disabled_passes.end());
  r.passes_changed = rewrites.passes_changed;
  r.memory_plan_enabled = ro.plan_memory;
  r.memory_plan = rewrites.memory_plan;
  r.per_op = f.per_op;

  Progress progress(io.err, interval, r.warmup + r.iterations + (f.per_op ? r.iterations : 0));
  OPGRAPH_RETURN_IF_ERROR(TimeNet(*net, r.file, r, progress));
  if (f.per_op) OPGRAPH_RETURN_IF_ERROR(TimeOperators(*net, r.file, r, progress));
  if (f.json) {
    WriteBenchJson(r, io.out);
  } else {
    WriteBenchText(r, io.out);
  }
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
  c.min_positional = 1;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<BenchFlags>();
    AddValueFlag(app, "--init", &f->init, "INIT_NET", "Net run once before NET.");
    AddRepeatedFlag(app, "--input", &f->inputs, "NAME=FILE", "Feed blob NAME from FILE.");
    AddValueFlag(app, "--warmup", &f->warmup, "N", "Untimed runs first (default 1).");
    AddValueFlag(app, "--iters", &f->iters, "N", "Timed runs (default 10).");
    AddBoolFlag(app, "--per-op", &f->per_op, "Also time each operator on its own.");
    AddBoolFlag(app, "--json", &f->json, "Print JSON.");
    AddBoolFlag(app, "--no-memory-plan", &f->no_memory_plan, "Do not plan memory.");
    AddOptimizeFlags(app, &f->no_optimize, &f->disabled_passes);
    AddThreadsFlag(app, &f->threads);
    AddMemoryBudgetFlag(app, &f->memory_budget);
    AddValueFlag(app, "--progress", &f->progress, "SECONDS",
                 "Seconds between progress lines on stderr (default 1).");
    return [f](const Invocation& inv, CliIO& io) { return Bench(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
