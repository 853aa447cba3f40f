// opgraph run NET [--init INIT_NET] [--input NAME=FILE]... [--output NAME=FILE]...
//
// Runs the init net once, feeds the inputs, runs the net, and prints or
// writes the outputs.
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

struct RunFlags {
  ValueFlag init, threads, memory_budget;
  std::vector<std::string> inputs, outputs, disabled_passes;
  bool no_optimize = false, no_memory_plan = false, lenient_args = false;
};

std::vector<std::string> DefaultOutputs(const NetDef& net) {
  if (net.external_output_size() > 0) {
    return {net.external_output().begin(), net.external_output().end()};
  }
  if (net.op_size() == 0) return {};
  const OperatorDef& last = net.op(net.op_size() - 1);
  return {last.output().begin(), last.output().end()};
}

// `path` made absolute and normal, with symbolic links in the part that
// exists resolved, so that "a.npy", "./a.npy" and "dir/../a.npy" compare
// equal.
std::string NormalPath(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return std::filesystem::path(path).lexically_normal().string();
  std::filesystem::path p = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) p = absolute.lexically_normal();
  return p.string();
}

absl::Status Run(const RunFlags& f, const Invocation& inv, CliIO& io) {
  // Usage errors first, before any file is read.
  std::vector<std::pair<std::string, std::string>> outputs;
  std::map<std::string, std::string> written;  // normal path -> NAME=FILE
  for (const std::string& v : f.outputs) {
    OPGRAPH_ASSIGN_OR_RETURN(auto nf, SplitNameValue(v, "--output"));
    for (const auto& seen : outputs) {
      if (seen.first == nf.first) {
        return UsageError(absl::StrCat("--output names blob '", nf.first, "' more than once"));
      }
    }
    if (nf.second != "-") {
      auto [it, inserted] = written.emplace(NormalPath(nf.second), v);
      if (!inserted) {
        return UsageError(absl::StrCat("--output ", v, " and --output ", it->second,
                                       " write the same file (", it->first, ")"));
      }
    }
    outputs.push_back(std::move(nf));
  }
  SessionOptions so{inv.positional[0], f.init.value, inv.plugins, f.inputs, {}, 0};
  OPGRAPH_ASSIGN_OR_RETURN(so.threads, ThreadsValue(f.threads));
  OPGRAPH_ASSIGN_OR_RETURN(so.memory_budget, MemoryBudgetValue(f.memory_budget));
  so.lenient_args = f.lenient_args;
  RewriteOptions ro;
  OPGRAPH_ASSIGN_OR_RETURN(ro.disabled_passes, ParseDisabledPasses(f.disabled_passes));
  ro.optimize = !f.no_optimize;
  ro.plan_memory = !f.no_memory_plan;

  OPGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Load(so));
  for (const std::string& w : session->warnings()) io.err << "warning: " << w << "\n";
  OPGRAPH_RETURN_IF_ERROR(session->CheckInputsPresent());
  const NetDef& net = session->net();
  const std::string& net_path = session->net_path();
  // The blobs printed or written below are never fused away or renamed.
  for (const auto& out : outputs) ro.keep.push_back(out.first);
  for (const std::string& name : DefaultOutputs(net)) ro.keep.push_back(name);
  RewriteReport report;
  OPGRAPH_ASSIGN_OR_RETURN(Net * created, session->CreateNet(ro, &report));
  absl::Status ran = created->Run();
  if (!ran.ok()) {
    return absl::Status(ran.code(), absl::StrCat("running ", net_path, ": ", ran.message()));
  }
  const Workspace& ws = session->workspace();

  if (outputs.empty()) {
    for (const std::string& name : DefaultOutputs(net)) outputs.emplace_back(name, "-");
  }
  // Every output is found and every file serialized and staged before any
  // is replaced or anything printed: a missing blob or a tensor that cannot
  // be written leaves every --output file as it was.
  std::vector<std::pair<std::string, const Tensor*>> printed;
  StagedFiles files;
  for (const auto& out : outputs) {
    // Read in place: printing or writing needs no copy of the tensor.
    const Tensor* t = ws.GetBlob(out.first);
    if (t == nullptr || !t->initialized()) {
      // List what --output can name: the workspace's blobs and every blob the
      // net as written uses (an intermediate fused away by the optimizer
      // exists when named by --output, since that protects it).
      std::set<std::string> names;
      for (const std::string& b : ws.Blobs()) names.insert(b);
      for (const OperatorDef& op : net.op()) {
        names.insert(op.input().begin(), op.input().end());
        names.insert(op.output().begin(), op.output().end());
      }
      return absl::NotFoundError(
          absl::StrCat("--output ", out.first, ": no blob '", out.first, "' after running ",
                       net_path, " (blobs: ", JoinBounded({names.begin(), names.end()}), ")"));
    }
    if (out.second == "-") {
      printed.emplace_back(out.first, t);
      continue;
    }
    absl::Status w;
    {
      // One serialized file in memory at a time.
      absl::StatusOr<std::string> bytes = SerializeTensorFile(out.second, *t, out.first);
      w = bytes.ok() ? files.Stage(out.second, *bytes) : bytes.status();
    }
    if (!w.ok()) {
      return absl::Status(w.code(), absl::StrCat("--output ", out.first, ": ", w.message()));
    }
  }
  OPGRAPH_RETURN_IF_ERROR(files.CommitAll());
  bool first = true;
  for (const auto& [name, t] : printed) {
    if (!first) io.out << "\n";
    first = false;
    PrintTensor(io.out, name, *t);
  }
  return absl::OkStatus();
}

}  // namespace

Command RunCommand() {
  Command c;
  c.name = "run";
  c.summary = "Run a net on inputs from files and print or save its outputs.";
  c.usage = "NET [--init INIT_NET] [--input NAME=FILE]... [--output NAME=FILE]...";
  c.description =
      "Runs NET (.pb binary or .pbtxt text NetDef, or an ONNX model). INIT_NET, when given, runs "
      "once first\n"
      "in the same workspace (typically it fills weights). Then each --input file is read\n"
      "into blob NAME (replacing a blob of that name), every blob the net reads is checked\n"
      "to be present, and the net runs once.\n"
      "\n"
      "FILE is a NumPy .npy file (float32, float64, int32, int64, bool, uint8; C order,\n"
      "little-endian), a TensorProto, a Caffe2 BlobProto of a tensor, or a TensorProtos\n"
      "(.pb binary, .pbtxt text); from a TensorProtos, NAME=FILE takes the tensor named\n"
      "NAME. --input FILE (no NAME=) feeds every tensor of FILE under its own name.\n"
      "--input NAME=- reads a .npy tensor from standard input; a FIFO such as <(...) is\n"
      "read as a stream.\n"
      "\n"
      "--output NAME=- prints blob NAME; --output NAME=FILE writes it (.npy in any case,\n"
      "e.g. x.NPY, as NumPy; a TensorProto for other names, text for .pbtxt). Files are\n"
      "replaced only when the run succeeded and every output was serialized; until\n"
      "then no --output file changes. Two --output flags may not name the same file.\n"
      "A TensorProto is limited to 2 GiB; write larger tensors as .npy.\n"
      "Without --output, every external_output of the\n"
      "net is printed (or, when it declares none, the outputs of its last operator).\n"
      "Printed values carry enough digits to round trip (%.9g float32, %.17g float64);\n"
      "tensors over 1000 elements show the first and last 3 entries of each axis.\n"
      "\n"
      "Before running, a Selu whose output only a last-axis Softmax reads is fused with it\n"
      "into one SeluSoftmax (same results, one pass; --no-optimize turns this off); blobs\n"
      "named by --output and the external outputs are never fused away. --threads N lets\n"
      "each operator split large tensors over N threads (results do not change).";
  c.min_positional = 1;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<RunFlags>();
    AddValueFlag(app, "--init", &f->init, "INIT_NET", "Net run once before NET.");
    AddRepeatedFlag(app, "--input", &f->inputs, "[NAME=]FILE",
                    "Feed blob NAME from FILE (without NAME=: every tensor of FILE by its name).");
    AddRepeatedFlag(app, "--output", &f->outputs, "NAME=FILE",
                    "Print (FILE '-') or write blob NAME after the run.");
    AddBoolFlag(app, "--no-memory-plan", &f->no_memory_plan,
                "Run the net as written: no in-place rewrites or blob sharing "
                "(core/memory_plan.h).");
    AddBoolFlag(app, "--lenient-args", &f->lenient_args,
                "Drop operator arguments no schema declares, with a warning listing them, "
                "instead of refusing the net (for nets from unusual sources).");
    AddOptimizeFlags(app, &f->no_optimize, &f->disabled_passes);
    AddThreadsFlag(app, &f->threads);
    AddMemoryBudgetFlag(app, &f->memory_budget);
    return [f](const Invocation& inv, CliIO& io) { return Run(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
