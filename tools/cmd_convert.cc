// opgraph convert IN OUT
//
// Converts a NetDef between binary (.pb) and text (.pbtxt) by the names'
// extensions. Binary output is deterministic, so pb -> pbtxt -> pb gives the
// same bytes.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "tools/cli_common.h"
#include "tools/commands.h"
#include "tools/session.h"

namespace opgraph {
namespace cli {
namespace {

bool KnownExtension(const std::string& path) {
  const std::string ext = Extension(path);
  return ext == ".pb" || IsTextProtoPath(path);
}

absl::Status Convert(const Invocation& inv, CliIO& /*io*/) {
  const std::string& in = inv.positional[0];
  const std::string& out = inv.positional[1];
  for (const std::string& path : {in, out}) {
    if (!KnownExtension(path)) {
      return UsageError(absl::StrCat("'", path, "': unknown extension '", Extension(path),
                                     "' (use .pb for binary, .pbtxt, .prototxt or .txt for "
                                     "text)"));
    }
  }
  OPGRAPH_RETURN_IF_ERROR(LoadPlugins(inv.plugins));
  OPGRAPH_ASSIGN_OR_RETURN(NetDef net, ReadNetFile(in));
  return WriteProtoFile(out, net);
}

}  // namespace

Command ConvertCommand() {
  Command c;
  c.name = "convert";
  c.summary = "Convert a NetDef between binary (.pb) and text (.pbtxt).";
  c.usage = "IN OUT";
  c.description =
      "Reads the NetDef IN and writes it to OUT, in binary when OUT ends in .pb and in\n"
      "protobuf text format when it ends in .pbtxt, .prototxt or .txt. IN is read as\n"
      "binary, or as text when that fails (text only for the text extensions). Binary\n"
      "output is deterministic: converting .pb -> .pbtxt -> .pb reproduces the bytes of\n"
      "a file opgraph wrote. The net is not validated; use 'opgraph inspect' for that.";
  c.min_positional = 2;
  c.max_positional = 2;
  c.define = [](CLI::App& /*app*/) -> Runner { return &Convert; };
  return c;
}

}  // namespace cli
}  // namespace opgraph
