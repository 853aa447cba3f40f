// opgraph grad NET --loss BLOB [--loss BLOB2 ...] [-o TRAIN_NET]
//
// Appends the backward pass of NET (core/backward.h, AddGradientOperators)
// and writes the forward + backward net. Prints which blob holds the
// gradient of each blob, one "blob -> gradient" line each, sorted.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/backward.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "google/protobuf/text_format.h"
#include "tools/cli_common.h"
#include "tools/commands.h"

namespace opgraph {
namespace cli {
namespace {

absl::Status Grad(const ParsedArgs& args, CliIO& io) {
  const std::vector<std::string> losses = args.GetAll("loss");
  if (losses.empty()) return UsageError("give the loss blob with --loss BLOB");
  const std::string out = args.Get("output");
  if (!out.empty() && Extension(out) != ".pb" && !IsTextProtoPath(out)) {
    return UsageError(absl::StrCat("'", out, "': unknown extension '", Extension(out),
                                   "' (use .pb for binary, .pbtxt, .prototxt or .txt for text)"));
  }
  OPGRAPH_ASSIGN_OR_RETURN(NetDef net, ReadNetFile(args.positional()[0]));
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
  c.flags = {
      {"loss", 0, FlagSpec::Kind::kRepeated, "BLOB", "A loss blob written by NET (required)."},
      {"output", 'o', FlagSpec::Kind::kValue, "TRAIN_NET", "Where to write the training net."},
  };
  c.min_positional = 1;
  c.max_positional = 1;
  c.run = &Grad;
  return c;
}

}  // namespace cli
}  // namespace opgraph
