// opgraph convert IN OUT [--init-out INIT]
//
// Converts a NetDef between binary (.pb) and text (.pbtxt) by the names'
// extensions. Binary output is deterministic, so pb -> pbtxt -> pb gives the
// same bytes. IN may also be an ONNX model (recognised by content): OUT then
// receives its predict net and INIT the init net that fills its constants.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "onnx_import/import.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/model_file.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

struct ConvertFlags {
  ValueFlag init_out;
};

bool KnownExtension(const std::string& path) {
  const std::string ext = Extension(path);
  return ext == ".pb" || IsTextProtoPath(path);
}

absl::Status UnknownExtension(const std::string& path) {
  return UsageError(absl::StrCat("'", path, "': unknown extension '", Extension(path),
                                 "' (use .pb for binary, .pbtxt, .prototxt or .txt for text)"));
}

// An input of any name is accepted when its content is an ONNX model.
bool IsOnnxFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path);
  return bytes.ok() && LooksLikeOnnxModel(*bytes);
}

absl::Status Convert(const ConvertFlags& f, const Invocation& inv, CliIO& io) {
  const std::string& in = inv.positional[0];
  const std::string& out = inv.positional[1];
  const std::string& init_out = f.init_out.value;
  if (!KnownExtension(out)) return UnknownExtension(out);
  if (f.init_out.given() && !KnownExtension(init_out)) return UnknownExtension(init_out);
  if (!KnownExtension(in) && !IsOnnxFile(in)) return UnknownExtension(in);
  OPGRAPH_RETURN_IF_ERROR(LoadPlugins(inv.plugins));
  OPGRAPH_ASSIGN_OR_RETURN(ModelFile model, ReadModelFile(in));
  if (!model.onnx && f.init_out.given()) {
    return UsageError(absl::StrCat("--init-out is for ONNX models; '", in, "' is a NetDef"));
  }
  if (model.onnx && !f.init_out.given() && model.init.op_size() > 0) {
    return UsageError(absl::StrCat("'", in, "' is an ONNX model with ", model.init.op_size(),
                                   " constants: give --init-out INIT.pb to write the init net "
                                   "that fills them"));
  }
  if (model.onnx && f.init_out.given()) {
    OPGRAPH_RETURN_IF_ERROR(WriteProtoFile(init_out, model.init));
  }
  OPGRAPH_RETURN_IF_ERROR(WriteProtoFile(out, model.net));
  if (model.onnx) {
    io.out << "wrote " << out << ": " << model.net.op_size() << " operators";
    if (f.init_out.given()) {
      io.out << "; " << init_out << ": " << model.init.op_size() << " constants";
    }
    io.out << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

Command ConvertCommand() {
  Command c;
  c.name = "convert";
  c.summary = "Convert a NetDef between binary (.pb) and text (.pbtxt), or an ONNX model.";
  c.usage = "IN OUT [--init-out INIT]";
  c.description =
      "Reads the NetDef IN and writes it to OUT, in binary when OUT ends in .pb and in\n"
      "protobuf text format when it ends in .pbtxt, .prototxt or .txt. IN is read as\n"
      "binary, or as text when that fails (text only for the text extensions). Binary\n"
      "output is deterministic: converting .pb -> .pbtxt -> .pb reproduces the bytes of\n"
      "a file opgraph wrote. The net is not validated; use 'opgraph inspect' for that.\n"
      "\n"
      "IN may be an ONNX model (recognised by its content, whatever its name; see\n"
      "docs/ONNX.md): OUT receives the equivalent predict net and INIT the init net\n"
      "that fills the model's weights, so that 'opgraph run OUT --init INIT' computes\n"
      "what 'opgraph run IN' does. --init-out is required when the model has weights.";
  c.min_positional = 2;
  c.max_positional = 2;
  c.define = [](CLI::App& app) -> Runner {
    auto f = std::make_shared<ConvertFlags>();
    AddValueFlag(app, "--init-out", &f->init_out, "INIT",
                 "For an ONNX IN: where to write the init net of its weights.");
    return [f](const Invocation& inv, CliIO& io) { return Convert(*f, inv, io); };
  };
  return c;
}

}  // namespace cli
}  // namespace opgraph
