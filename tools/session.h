// What `opgraph run`, `bench`, `inspect` and `grad` load before they do
// their own work: plugins, the net file, the init net, --input tensors and
// --input-shape declarations, in one place so that each failure has one
// wording whichever subcommand meets it.
//
// Error wordings (tests/tools/session_test.cc checks each against every
// subcommand that takes the flag):
//   --plugin PATH: <why LoadPlugin failed>
//   <NET>: no such file | <NET>: <parse error>         (core/net_io.h)
//   <NET>: is a directory, not a file
//   <NET> (N bytes) parses as an empty net: no operators; is it a net file?
//   <NET>: ONNX model: <why the import failed>         (tools/model_file.h)
//   init net 'NAME' (<INIT_NET>): <why it failed>
//   --input 'TEXT': expected NAME=VALUE ...            (usage error, exit 2)
//   --input names blob 'X' more than once             (usage error, exit 2)
//   --input X: <FILE>: no such file | <read error> | is a directory, not a file
//   --input NAME=- reads standard input; only one ... (usage error, exit 2)
//   --input X=FILE: net 'NAME' (<NET>) does not read a blob named 'X' (it reads: ...)
//   net 'NAME' (<NET>) reads N blobs that no --init net produced and no --input gave: ...
//   running <NET>: <why creating or running the net failed>
//
// Every file is read under the default ProtoLimits and TensorLimits; the
// workspace has the default WorkspaceOptions except for --threads and
// --memory-budget.
//
// Thread safety: a Session is used by one thread at a time.
#ifndef OPGRAPH_TOOLS_SESSION_H_
#define OPGRAPH_TOOLS_SESSION_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/memory_plan.h"
#include "core/net.h"
#include "core/workspace.h"
#include "proto/opgraph.pb.h"
#include "tools/model_file.h"

namespace opgraph {
namespace cli {

// The loading flags of a subcommand, as given on the command line.
struct SessionOptions {
  std::string net_path;                   // NET
  std::string init_path;                  // --init; empty for none
  std::vector<std::string> plugins;       // --plugin PATH, in order
  std::vector<std::string> inputs;        // --input NAME=FILE, in order; FILE "-"
                                          // is standard input (.npy), once
  std::vector<std::string> input_shapes;  // --input-shape NAME=D0,D1,...[:dtype]
  int threads = 0;                        // --threads; 0 keeps the process default
  int64_t memory_budget = 0;              // --memory-budget; 0 keeps the default
  // --lenient-args: arguments no schema declares are dropped from NET and
  // INIT_NET (each listed in warnings()) instead of refusing the net.
  bool lenient_args = false;
};

// How a net is rewritten before it runs (core/optimize.h,
// core/memory_plan.h).
struct RewriteOptions {
  bool optimize = true;                   // false: --no-optimize
  std::set<std::string> disabled_passes;  // --disable-pass NAME
  bool plan_memory = true;                // false: --no-memory-plan
  // Blobs whose names and final values must be kept (printed or written
  // outputs), besides the net's external outputs.
  std::vector<std::string> keep;
};

// What the rewrites did.
struct RewriteReport {
  std::vector<std::string> passes_changed;  // passes that rewrote the net, in order
  std::vector<std::string> rewrites;        // "fused Selu #0 + Softmax #1 into ..."
  bool memory_planned = false;
  MemoryPlanReport memory_plan;  // valid when memory_planned
};

// Loads plugins in order. The first failure is returned as
// "--plugin PATH: <message>" with LoadPlugin's code; plugins loaded before
// it stay loaded (a plugin is never unloaded).
absl::Status LoadPlugins(const std::vector<std::string>& paths);

// The disabled pass names, checked against RegisteredPasses(): a usage
// error (exit 2) naming every known pass for a name no pass has.
absl::StatusOr<std::set<std::string>> ParseDisabledPasses(const std::vector<std::string>& names);

// ReadModelFile(path) (a NetDef or an ONNX model), refusing a NetDef with no
// operators (InvalidArgument "PATH (N bytes) parses as an empty net: no
// operators; ..."): a file that is not a net at all often parses as an empty
// one (two newlines do).
absl::StatusOr<ModelFile> ReadCliModel(const std::string& path);

// "net 'NAME' (PATH)", or "net PATH" when the net has no name.
std::string NetLabel(const NetDef& net, const std::string& path);

class Session {
 public:
  // Checks the syntax of every --input and --input-shape (usage errors,
  // before any file is read), loads the plugins, reads NET (a NetDef or an
  // ONNX model, tools/model_file.h; an ONNX model's constants are filled
  // first, origin "from the ONNX model"), runs INIT_NET once in the
  // session's workspace, then reads each --input file into its
  // blob (replacing what the init net left). Errors use the wordings listed
  // at the top of this file.
  static absl::StatusOr<std::unique_ptr<Session>> Load(const SessionOptions& options);

  const NetDef& net() const { return net_; }
  const std::string& net_path() const { return net_path_; }
  Workspace& workspace() { return *ws_; }
  // The blobs NET reads before writing them (NetReads).
  const std::vector<std::string>& reads() const { return reads_; }
  // With lenient_args: one line per operator whose unknown arguments were
  // dropped ("<file> operator #3 FC: dropped 'foo', 'bar'").
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The types of the blobs the net starts from: the workspace's blobs, then
  // --input-shape declarations on top.
  TypeMap StartTypes() const;
  // Where a starting type came from: "from the ONNX model", "from --init",
  // "from --input" or "from --input-shape"; "" for a blob with none.
  std::string Origin(const std::string& blob) const;

  // FailedPrecondition listing each blob the net reads that is not in the
  // workspace, with what reads it; OK when all are there.
  absl::Status CheckInputsPresent() const;

  // Rewrites NET as `options` says and creates it in the workspace. When a
  // pass fails, the net as written is created instead so that its error
  // reads as without the pass; a pass that fails on a net that creates is
  // an error of its own. Errors from creating read "running <NET>: ...".
  absl::StatusOr<Net*> CreateNet(const RewriteOptions& options, RewriteReport* report);

 private:
  Session() = default;
  absl::Status ReadInputs(const std::vector<std::pair<std::string, std::string>>& inputs);

  NetDef net_;
  std::string net_path_;
  std::vector<std::string> reads_;
  std::unique_ptr<Workspace> ws_;
  TypeMap declared_;  // --input-shape
  std::map<std::string, std::string> origin_;
  std::vector<std::string> warnings_;
};

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_SESSION_H_
