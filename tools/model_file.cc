#include "tools/model_file.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "core/status_macros.h"
#include "onnx_import/import.h"

namespace opgraph {
namespace cli {

absl::StatusOr<ModelFile> ReadModelFile(const std::string& path) {
  // The file is read once (it may be a FIFO), then told apart by content.
  OPGRAPH_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  ModelFile out;
  if (LooksLikeOnnxModel(bytes)) {
    absl::StatusOr<ImportedModel> m = ImportOnnxModel(bytes);
    if (!m.ok()) {
      return absl::Status(m.status().code(),
                          absl::StrCat(path, ": ONNX model: ", m.status().message()));
    }
    out.net = std::move(m->predict_net);
    out.init = std::move(m->init_net);
    out.onnx = true;
    return out;
  }
  OPGRAPH_ASSIGN_OR_RETURN(out.net, ParseNetBytes(std::move(bytes), path));
  return out;
}

}  // namespace cli
}  // namespace opgraph
