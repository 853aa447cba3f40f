// opgraph run NET [--init INIT_NET] [--input NAME=FILE]... [--output NAME=FILE]...
//
// Runs the init net once, feeds the inputs, runs the net, and prints or
// writes the outputs.
#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace opgraph {
namespace cli {
namespace {

using NameFile = std::pair<std::string, std::string>;

absl::StatusOr<std::vector<NameFile>> ParseNameFiles(const std::vector<std::string>& values,
                                                     const std::string& flag) {
  std::vector<NameFile> out;
  std::set<std::string> names;
  for (const std::string& v : values) {
    OPGRAPH_ASSIGN_OR_RETURN(NameFile nf, SplitNameValue(v, flag));
    if (!names.insert(nf.first).second) {
      return UsageError(absl::StrCat(flag, " names blob '", nf.first, "' more than once"));
    }
    out.push_back(std::move(nf));
  }
  return out;
}

absl::Status WithContext(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

std::string NetLabel(const NetDef& net, const std::string& path) {
  return net.name().empty() ? absl::StrCat("net ", path)
                            : absl::StrCat("net '", net.name(), "' (", path, ")");
}

// Every blob the net reads must be in the workspace by now; say which are
// not, and what the operators reading them expect.
absl::Status CheckInputsPresent(const NetDef& net, const std::string& path, const Workspace& ws) {
  std::vector<std::string> missing;
  for (const std::string& name : NetReads(net)) {
    const Tensor* t = ws.GetBlob(name);
    if (t == nullptr || !t->initialized()) missing.push_back(name);
  }
  if (missing.empty()) return absl::OkStatus();
  std::string msg = absl::StrCat(NetLabel(net, path), " reads ", missing.size(),
                                 missing.size() == 1 ? " blob" : " blobs",
                                 " that no --init net produced and no --input gave:");
  for (const std::string& name : missing) {
    absl::StrAppend(&msg, "\n  ", name, ": ", DescribeFirstReader(net, name));
  }
  absl::StrAppend(&msg, "\nGive each with --input NAME=FILE (.npy, or .pb/.pbtxt TensorProto), "
                        "or produce it in the --init net.");
  return absl::FailedPreconditionError(msg);
}

std::vector<std::string> DefaultOutputs(const NetDef& net) {
  if (net.external_output_size() > 0) {
    return {net.external_output().begin(), net.external_output().end()};
  }
  if (net.op_size() == 0) return {};
  const OperatorDef& last = net.op(net.op_size() - 1);
  return {last.output().begin(), last.output().end()};
}

absl::Status Run(const ParsedArgs& args, CliIO& io) {
  const std::string net_path = args.positional()[0];
  // Usage errors first, before any file is read.
  OPGRAPH_ASSIGN_OR_RETURN(std::vector<NameFile> inputs,
                           ParseNameFiles(args.GetAll("input"), "--input"));
  OPGRAPH_ASSIGN_OR_RETURN(std::vector<NameFile> outputs,
                           ParseNameFiles(args.GetAll("output"), "--output"));
  OPGRAPH_ASSIGN_OR_RETURN(const int threads, ParseThreadsFlag(args));

  OPGRAPH_ASSIGN_OR_RETURN(NetDef net, ReadNetFile(net_path));
  Workspace ws;
  ws.set_num_threads(threads);  // 0 keeps the process default
  if (args.Has("init")) {
    const std::string init_path = args.Get("init");
    OPGRAPH_ASSIGN_OR_RETURN(NetDef init, ReadNetFile(init_path));
    OPGRAPH_RETURN_IF_ERROR(
        WithContext(ws.RunNetOnce(init), absl::StrCat("init ", NetLabel(init, init_path))));
  }
  const std::vector<std::string> reads = NetReads(net);
  for (const NameFile& in : inputs) {
    if (std::find(reads.begin(), reads.end(), in.first) == reads.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--input ", in.first, "=", in.second, ": ", NetLabel(net, net_path),
          " does not read a blob named '", in.first, "' (it reads: ",
          reads.empty() ? std::string("nothing") : absl::StrJoin(reads, ", "), ")"));
    }
    absl::StatusOr<Tensor> t = ReadTensorFile(in.second);
    if (!t.ok()) return WithContext(t.status(), absl::StrCat("--input ", in.first));
    OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob(in.first, *std::move(t)));
  }
  OPGRAPH_RETURN_IF_ERROR(CheckInputsPresent(net, net_path, ws));

  const std::string label = absl::StrCat("running ", net_path);
  // The blobs printed or written below are never fused away or renamed.
  std::vector<std::string> keep;
  for (const NameFile& out : outputs) keep.push_back(out.first);
  for (const std::string& name : DefaultOutputs(net)) keep.push_back(name);
  const NetDef to_run = RewriteForRun(net, ws.BlobTypes(), keep, !args.GetBool("no-optimize"),
                                      !args.GetBool("no-memory-plan"));
  absl::StatusOr<Net*> created = ws.CreateNet(to_run, /*overwrite=*/true);
  if (!created.ok()) return WithContext(created.status(), label);
  OPGRAPH_RETURN_IF_ERROR(WithContext((*created)->Run(), label));

  if (outputs.empty()) {
    for (const std::string& name : DefaultOutputs(net)) outputs.emplace_back(name, "-");
  }
  bool first = true;
  for (const NameFile& out : outputs) {
    absl::StatusOr<Tensor> t = ws.FetchBlob(out.first);
    if (!t.ok()) {
      // List what --output can name: the workspace's blobs and every blob the
      // net as written uses (an intermediate fused away by the optimizer
      // exists when named by --output, since that protects it).
      std::set<std::string> names;
      for (const std::string& b : ws.Blobs()) names.insert(b);
      for (const OperatorDef& op : net.op()) {
        names.insert(op.input().begin(), op.input().end());
        names.insert(op.output().begin(), op.output().end());
      }
      return absl::NotFoundError(absl::StrCat(
          "--output ", out.first, ": no blob '", out.first, "' after running ", net_path,
          " (blobs: ", absl::StrJoin(names, ", "), ")"));
    }
    if (out.second == "-") {
      if (!first) io.out << "\n";
      first = false;
      io.out << FormatTensor(out.first, *t);
    } else {
      OPGRAPH_RETURN_IF_ERROR(WithContext(WriteTensorFile(out.second, *t, out.first),
                                          absl::StrCat("--output ", out.first)));
    }
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
      "Runs NET (.pb binary or .pbtxt text NetDef). INIT_NET, when given, runs once first\n"
      "in the same workspace (typically it fills weights). Then each --input file is read\n"
      "into blob NAME (replacing a blob of that name), every blob the net reads is checked\n"
      "to be present, and the net runs once.\n"
      "\n"
      "FILE is a NumPy .npy file (float32, float64, int32, int64, bool, uint8; C order,\n"
      "little-endian) or a TensorProto (.pb binary, .pbtxt text).\n"
      "\n"
      "--output NAME=- prints blob NAME; --output NAME=FILE writes it (.npy, or a\n"
      "TensorProto for other names). Without --output, every external_output of the\n"
      "net is printed (or, when it declares none, the outputs of its last operator).\n"
      "Printed values carry enough digits to round trip (%.9g float32, %.17g float64);\n"
      "tensors over 1000 elements show the first and last 3 entries of each axis.\n"
      "\n"
      "Before running, a Selu whose output only a last-axis Softmax reads is fused with it\n"
      "into one SeluSoftmax (same results, one pass; --no-optimize turns this off); blobs\n"
      "named by --output and the external outputs are never fused away. --threads N lets\n"
      "each operator split large tensors over N threads (results do not change).";
  c.flags = {
      {"init", 0, FlagSpec::Kind::kValue, "INIT_NET", "Net run once before NET."},
      {"input", 0, FlagSpec::Kind::kRepeated, "NAME=FILE", "Feed blob NAME from FILE."},
      {"output", 0, FlagSpec::Kind::kRepeated, "NAME=FILE",
       "Print (FILE '-') or write blob NAME after the run."},
      {"no-memory-plan", 0, FlagSpec::Kind::kBool, "",
       "Run the net as written: no in-place rewrites or blob sharing (core/memory_plan.h)."},
      {"no-optimize", 0, FlagSpec::Kind::kBool, "",
       "Do not fuse operators (Selu then Softmax into SeluSoftmax; core/optimize.h)."},
      ThreadsFlag(),
  };
  c.min_positional = 1;
  c.max_positional = 1;
  c.run = &Run;
  return c;
}

}  // namespace cli
}  // namespace opgraph
