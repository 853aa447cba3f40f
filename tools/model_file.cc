#include "tools/model_file.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "onnx_import/import.h"

namespace opgraph {
namespace cli {

absl::StatusOr<ModelFile> ReadModelFile(const std::string& path) {
  ModelFile out;
  {
    // A file that cannot be read is left to ReadNetFile, whose wording the
    // subcommands share.
    absl::StatusOr<std::string> bytes = ReadFileToString(path);
    if (bytes.ok() && LooksLikeOnnxModel(*bytes)) {
      absl::StatusOr<ImportedModel> m = ImportOnnxModel(*bytes);
      if (!m.ok()) {
        return absl::Status(m.status().code(),
                            absl::StrCat(path, ": ONNX model: ", m.status().message()));
      }
      out.net = std::move(m->predict_net);
      out.init = std::move(m->init_net);
      out.onnx = true;
      return out;
    }
  }
  absl::StatusOr<NetDef> net = ReadNetFile(path);
  if (!net.ok()) return net.status();
  out.net = *std::move(net);
  return out;
}

}  // namespace cli
}  // namespace opgraph
