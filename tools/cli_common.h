// Helpers shared by the `opgraph` subcommands: exit codes, usage errors,
// NAME=VALUE arguments, the blobs a net reads, printing tensors. Flags are
// declared through tools/flags.h (CLI11); loading is tools/session.h.
//
// Each subcommand lives in its own tools/cmd_<name>.cc and is listed in
// tools/commands.cc. A subcommand returns absl::Status: OK exits 0, an error
// made by UsageError() exits 2 (with a hint to run --help), and any other
// error exits 1 with its message on stderr.
#ifndef OPGRAPH_TOOLS_CLI_COMMON_H_
#define OPGRAPH_TOOLS_CLI_COMMON_H_

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

// Splits "NAME=VALUE" at the first '='. UsageError naming `flag` when there
// is no '=' or either side is empty.
absl::StatusOr<std::pair<std::string, std::string>> SplitNameValue(const std::string& text,
                                                                   const std::string& flag);

// The value of --threads: an integer in [1, kMaxThreads] (core/parallel.h),
// else a UsageError. Pass it to Workspace::set_num_threads; without the
// flag, pass 0 (the process default, $OPGRAPH_NUM_THREADS or 1).
absl::StatusOr<int> ParseThreads(const std::string& value);

// The value of --memory-budget: a positive integer number of bytes, else a
// UsageError.
absl::StatusOr<int64_t> ParseMemoryBudget(const std::string& value);

// The blobs a net reads before any of its operators writes them:
// external_input first (in order, each name once however often it is
// listed), then any other blob read before written, in the order of first
// use.
std::vector<std::string> NetReads(const NetDef& net);

// At most `max_listed` of `names` joined with ", ", then " (and N more)"
// when there are more: error messages about hostile nets stay short.
constexpr size_t kMaxListedNames = 16;
std::string JoinBounded(const std::vector<std::string>& names, size_t max_listed = kMaxListedNames);

// Who first reads blob `name` in `net`: "operator #0 Selu 'sm' input 0 (X)",
// and what its schema says about that input (allowed dtypes, doc), for
// messages about missing inputs. "not read by any operator" when unused.
std::string DescribeFirstReader(const NetDef& net, const std::string& name);

// Prints a tensor for people: a header line "NAME: dtype[dims]" and the
// values in nested brackets like numpy, with enough digits to round trip
// (%.9g for float32, %.17g for float64). When the tensor has more than
// `threshold` elements (or none), each axis longer than 2 * edge_items shows
// only its first and last edge_items entries around "..."; and once the
// entries shown across the outer axes reach threshold * 2 * edge_items, each
// inner axis shows only its first entry and "...", however short. The text
// is written as it is made: time and memory grow with what is shown, never
// with the element count (a [2] * 30 or [1, 2^40, 0] tensor prints a
// bounded text).
struct PrintOptions {
  int64_t threshold = 1000;
  int64_t edge_items = 3;
};
void PrintTensor(std::ostream& out, const std::string& name, const Tensor& tensor,
                 const PrintOptions& options = {});
// PrintTensor into a string.
std::string FormatTensor(const std::string& name, const Tensor& tensor,
                         const PrintOptions& options = {});

// The lowercase extension of `path` including the dot (".npy"), or "".
std::string Extension(const std::string& path);

// A string quoted for JSON output, with its quotes.
std::string JsonQuote(const std::string& s);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_CLI_COMMON_H_
