// Reading the NET argument of a subcommand: a Caffe2 NetDef file (binary or
// text, core/net_io.h) or an ONNX model, told apart by content
// (LooksLikeOnnxModel, onnx_import/import.h), not by the file's name.
//
// An ONNX model is imported (ImportOnnxModel) into its predict net and the
// init net of its constants, which the caller runs once before the net.
// Error wordings:
//   <NET>: no such file | <NET>: <parse error>      (a NetDef, core/net_io.h)
//   <NET>: ONNX model: <why ImportOnnxModel failed>  (an ONNX model)
#ifndef OPGRAPH_TOOLS_MODEL_FILE_H_
#define OPGRAPH_TOOLS_MODEL_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace cli {

struct ModelFile {
  NetDef net;
  // True for an ONNX model; then `init` fills its constants (it may have no
  // operators when the model has none).
  bool onnx = false;
  NetDef init;
};

absl::StatusOr<ModelFile> ReadModelFile(const std::string& path);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_MODEL_FILE_H_
