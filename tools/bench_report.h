// What `opgraph bench` measured, and its two writers: the text tables and
// one JSON object (keys in docs/CLI.md).
#ifndef OPGRAPH_TOOLS_BENCH_REPORT_H_
#define OPGRAPH_TOOLS_BENCH_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/memory_plan.h"

namespace opgraph {
namespace cli {

// Microseconds over the timed runs.
struct TimeStats {
  double mean = 0, median = 0, min = 0, max = 0;
};
// Mean, median (of the middle two for an even count), min and max of `us`.
TimeStats Summarize(std::vector<double> us);

struct OpTiming {
  int index = 0;
  std::string type, name;
  std::vector<std::string> outputs;  // After memory planning.
  TimeStats time;
  double share = 0;  // Of the sum of every operator's mean, in [0, 1].
};

struct TypeTiming {
  std::string type;  // In order of first appearance.
  int count = 0;
  double total_mean = 0;  // Sum of the means of its operators, us.
  double share = 0;
};

struct BenchReport {
  std::string net_name;  // May be empty.
  std::string file;
  int operators = 0;  // In the net that was timed (after fusion).
  int64_t warmup = 0, iterations = 0;
  int threads = 0;  // --threads; 0: the process default.
  bool optimize = true;
  std::vector<std::string> disabled_passes, passes_changed;
  bool memory_plan_enabled = true;
  MemoryPlanReport memory_plan;
  TimeStats net_time;
  bool per_op = false;  // Whether ops, types and sum_of_op_means are filled.
  std::vector<OpTiming> ops;
  std::vector<TypeTiming> types;
  double sum_of_op_means = 0;
};

void WriteBenchText(const BenchReport& report, std::ostream& out);
void WriteBenchJson(const BenchReport& report, std::ostream& out);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_BENCH_REPORT_H_
