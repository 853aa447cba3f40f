// Helpers shared by the `opgraph` subcommands: the command-line parser,
// exit codes, error reporting, loading nets and tensors, printing tensors.
//
// Each subcommand lives in its own tools/cmd_<name>.cc and is listed in
// tools/commands.cc. A subcommand returns absl::Status: OK exits 0, an error
// made by UsageError() exits 2 (with a hint to run --help), and any other
// error exits 1 with its message on stderr.
#ifndef OPGRAPH_TOOLS_CLI_COMMON_H_
#define OPGRAPH_TOOLS_CLI_COMMON_H_

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace cli {

enum ExitCode : int {
  kExitOk = 0,       // Success.
  kExitFailure = 1,  // The command ran and failed: bad file, bad net, ...
  kExitUsage = 2,    // The command line is wrong: unknown subcommand or flag, ...
};

// Where a subcommand writes. The binary passes std::cout and std::cerr;
// tests may pass string streams.
struct CliIO {
  std::ostream& out;
  std::ostream& err;
};

// A usage error: exit code 2. IsUsageError() recognizes it.
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

// One flag a subcommand accepts.
struct FlagSpec {
  enum class Kind {
    kBool,      // --json
    kValue,     // --init FILE (at most once)
    kRepeated,  // --input NAME=FILE (any number of times, in order)
  };
  std::string name;       // Without dashes: "input" for --input.
  char short_name = 0;    // 'o' for -o; 0 for none.
  Kind kind = Kind::kBool;
  std::string value_name; // Shown in help: "NAME=FILE".
  std::string help;
};

// The parsed command line of one subcommand.
class ParsedArgs {
 public:
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  // The value of a kValue flag, or `fallback` when absent.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
  // Every value of a kRepeated flag, in command-line order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  // Whether a kBool flag was given.
  bool GetBool(const std::string& flag) const { return Has(flag); }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<FlagSpec>&,
                                              const std::vector<std::string>&);
  std::vector<std::string> positional_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses `args` (the words after the subcommand) against `flags`. Accepts
// --name=value, --name value, -x value, -x=value, and "--" to end the flags.
// "-h" and "--help" set the flag "help". UsageError for an unknown flag, a
// missing value, a value given to a boolean flag, or a kValue flag given
// twice.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<FlagSpec>& flags,
                                     const std::vector<std::string>& args);

// Splits "NAME=VALUE" at the first '='. UsageError naming `flag` when there
// is no '=' or either side is empty.
absl::StatusOr<std::pair<std::string, std::string>> SplitNameValue(const std::string& text,
                                                                   const std::string& flag);

// The --threads N flag, shared by the subcommands that run nets (run,
// bench): threads each operator may use (core/parallel.h).
FlagSpec ThreadsFlag();
// The value of --threads: 0 when absent (keep the process default,
// $OPGRAPH_NUM_THREADS or 1), else an integer in [1, kMaxThreads]; a
// UsageError for anything else. Pass it to Workspace::set_num_threads.
absl::StatusOr<int> ParseThreadsFlag(const ParsedArgs& args);

// The rewrites `run` and `bench` apply before creating a net: the
// optimization passes (core/optimize.h) unless `optimize` is false, then the
// memory plan (core/memory_plan.h) unless `plan_memory` is false. Blobs in
// `keep` (outputs to print or write) keep their names and contents. A net
// that a pass cannot handle is returned as written: creating it then
// reports why, with the same messages as without the rewrites.
NetDef RewriteForRun(const NetDef& net, const TypeMap& input_types,
                     const std::vector<std::string>& keep, bool optimize, bool plan_memory);

// The blobs a net reads before any of its operators writes them:
// external_input first (in order), then any other blob read before written,
// in the order of first use.
std::vector<std::string> NetReads(const NetDef& net);

// Who first reads blob `name` in `net`: "operator #0 Selu 'sm' input 0 (X)",
// and what its schema says about that input (allowed dtypes, doc), for
// messages about missing inputs. "not read by any operator" when unused.
std::string DescribeFirstReader(const NetDef& net, const std::string& name);

// Formats a tensor for people: a header line "NAME: dtype[dims]" and the
// values in nested brackets like numpy, with enough digits to round trip
// (%.9g for float32, %.17g for float64). When the tensor has more than
// `threshold` elements, each axis longer than 2 * edge_items shows only its
// first and last edge_items entries around "...".
struct PrintOptions {
  int64_t threshold = 1000;
  int64_t edge_items = 3;
};
std::string FormatTensor(const std::string& name, const Tensor& tensor,
                         const PrintOptions& options = {});

// The lowercase extension of `path` including the dot (".npy"), or "".
std::string Extension(const std::string& path);

// A string quoted for JSON output, with its quotes.
std::string JsonQuote(const std::string& s);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_CLI_COMMON_H_
