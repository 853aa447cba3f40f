// Declaring `opgraph` flags on a CLI11 subcommand. Every subcommand spells
// its flags through these, so that a kind of flag behaves the same
// everywhere: a value flag at most once, a repeatable flag one value per
// occurrence (in order), a boolean flag without a value.
#ifndef OPGRAPH_TOOLS_FLAGS_H_
#define OPGRAPH_TOOLS_FLAGS_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "tools/cli_common.h"

namespace opgraph {
namespace cli {

// A flag that takes one value (--init FILE). given() tells an absent flag
// from an empty value.
struct ValueFlag {
  std::string value;
  CLI::Option* option = nullptr;
  bool given() const { return option != nullptr && option->count() > 0; }
};

// `names` is CLI11's "-o,--output" or "--init". `value_name` is shown in
// help ("INIT_NET"); CommandHelp() reads it back from the option.
// An empty value ("--init=", "-o=", "-o ''") is a usage error worded like a
// missing one: no flag has a meaning for it.
inline std::string RefuseEmptyValue(const std::string& value) {
  return value.empty() ? std::string("value missing") : std::string();
}

inline CLI::Option* AddValueFlag(CLI::App& app, const std::string& names, ValueFlag* flag,
                                 const std::string& value_name, const std::string& help) {
  flag->option = app.add_option(names, flag->value, help)
                     ->type_name(value_name)
                     ->multi_option_policy(CLI::MultiOptionPolicy::Throw)
                     ->check(RefuseEmptyValue);
  return flag->option;
}

inline CLI::Option* AddRepeatedFlag(CLI::App& app, const std::string& names,
                                    std::vector<std::string>* values, const std::string& value_name,
                                    const std::string& help) {
  // One value per occurrence: "--input A=a NET" leaves NET positional.
  return app.add_option(names, *values, help)
      ->type_name(value_name)
      ->allow_extra_args(false)
      ->check(RefuseEmptyValue);
}

inline CLI::Option* AddBoolFlag(CLI::App& app, const std::string& names, bool* value,
                                const std::string& help) {
  return app.add_flag(names, *value, help)->disable_flag_override();
}

// --threads N, for the subcommands that run nets.
inline void AddThreadsFlag(CLI::App& app, ValueFlag* threads) {
  AddValueFlag(app, "--threads", threads, "N",
               "Threads each operator may use (default: $OPGRAPH_NUM_THREADS, else 1).");
}

// The --threads value for Workspace::set_num_threads: 0 when absent.
inline absl::StatusOr<int> ThreadsValue(const ValueFlag& threads) {
  if (!threads.given()) return 0;
  return ParseThreads(threads.value);
}

// --memory-budget BYTES, for the subcommands that run nets.
inline void AddMemoryBudgetFlag(CLI::App& app, ValueFlag* budget) {
  AddValueFlag(app, "--memory-budget", budget, "BYTES",
               "Most bytes the workspace's tensors may hold (default: 3/4 of physical "
               "memory).");
}

// The --memory-budget value for WorkspaceOptions::memory_budget_bytes: 0
// when absent (keep the default).
inline absl::StatusOr<int64_t> MemoryBudgetValue(const ValueFlag& budget) {
  if (!budget.given()) return 0;
  return ParseMemoryBudget(budget.value);
}

// --no-optimize and --disable-pass NAME (check the names with
// ParseDisabledPasses, tools/session.h).
inline void AddOptimizeFlags(CLI::App& app, bool* no_optimize,
                             std::vector<std::string>* disabled_passes) {
  AddBoolFlag(app, "--no-optimize", no_optimize,
              "Do not fuse operators (Selu then Softmax into SeluSoftmax; core/optimize.h).");
  AddRepeatedFlag(app, "--disable-pass", disabled_passes, "NAME",
                  "Do not run the optimization pass NAME (e.g. FuseSeluSoftmax).");
}

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_FLAGS_H_
