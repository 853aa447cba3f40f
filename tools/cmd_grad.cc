// opgraph grad NET --loss BLOB [--loss BLOB2 ...] [-o TRAIN_NET]
//
// Appends the backward pass of NET (core/backward.h, AddGradientOperators)
// and writes the forward + backward net. Prints which blob holds the
// gradient of each blob, one "blob -> gradient" line each, sorted.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/backward.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "google/protobuf/text_format.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

struct GradFlags {
  std::vector<std::string> losses;
  ValueFlag output;
};

absl::Status Grad(const GradFlags& f, const Invocation& inv, CliIO& io) {
  const std::vector<std::string>& losses = f.losses;
  if (losses.empty()) return UsageError("give the loss blob with --loss BLOB");
  const std::string& out = f.output.value;
  if (!out.empty() && Extension(out) != ".pb" && !IsTextProtoPath(out)) {
    return UsageError(absl::StrCat("'", out, "': unknown extension '", Extension(out),
                                   "' (use .pb for binary, .pbtxt, .prototxt or .txt for text)"));
  }
  SessionOptions so;
  so.net_path = inv.positional[0];
  so.plugins = inv.plugins;
  OPGRAPH_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Load(so));
  NetDef net = session->net();
  OPGRAPH_ASSIGN_OR_RETURN(GradientNetInfo info, AddGradientOperators(&net, losses));
  if (out.empty()) {
    std::string text;
    if (!google::protobuf::TextFormat::PrintToString(net, &text)) {
      return absl::InternalError("cannot print the net as text");
    }
    io.out << text;
    return absl::OkStatus();
  }
  OPGRAPH_RETURN_IF_ERROR(WriteProtoFile(out, net));
  io.out << "wrote " << out << ": " << info.num_forward_ops << " forward and "
         << net.op_size() - info.num_forward_ops << " backward operators\n";
  for (const auto& [blob, grad] : info.gradient_of) io.out << blob << " -> " << grad << "\n";
  return absl::OkStatus();
}

}  // namespace

Command GradCommand() {
  Command c;
  c.name = "grad";
  c.summary = "Append the backward pass of a net for a loss (training net).";
  c.usage = "NET --loss BLOB [--loss BLOB ...] [-o TRAIN_NET]";
  c.description =
      "Reads the NetDef NET, appends the operators that compute the gradient of the sum\n"
      "of the --loss blobs with respect to every blob they depend on (as\n"
      "AddGradientOperators in core/backward.h; see docs/TRAINING.md), and writes the\n"
      "forward + backward net to TRAIN_NET (binary for .pb, text for .pbtxt, .prototxt\n"
      "or .txt), then lists which blob holds each gradient. Without -o the net is printed\n"
      "to stdout in text format. Fails, naming the operator, when an operator on a path\n"
      "to a loss has no gradient.";
  c.min_positional = 1;
  c.max_positional = 1;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<GradFlags>();
    AddRepeatedFlag(app, "--loss", &f->losses, "BLOB", "A loss blob written by NET (required).");
    AddValueFlag(app, "-o,--output", &f->output, "TRAIN_NET", "Where to write the training net.");
    return [f](const Invocation& inv, CliIO& io) { return Grad(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
