// What `opgraph inspect` found in a net, and its two writers: the text
// listing and one JSON object (keys in docs/CLI.md).
#ifndef OPGRAPH_TOOLS_INSPECT_REPORT_H_
#define OPGRAPH_TOOLS_INSPECT_REPORT_H_

#include <ostream>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace opgraph {
namespace cli {

struct InspectOp {
  int index = 0;
  std::string type, name;
  std::vector<std::string> inputs, outputs;
  std::vector<std::string> args;  // "axis=1", long value lists abbreviated
  std::string error;              // Why the operator is invalid; empty when valid.
};

struct InspectBlob {
  std::string name;
  bool known = false;  // Whether `type` was inferred or given.
  TensorType type;
  bool input = false;  // Read before any operator writes it.
  bool external_input = false, external_output = false;
  std::string origin;  // "from --init", ...; empty for an input of unknown shape.
  std::vector<int> writers;
};

struct InspectInPlace {
  int op = 0;
  std::string type;
  int output = 0, input = 0;
  std::string blob;
};

// The net after core/optimize.h's passes, as `opgraph run` would run it.
struct InspectOptimized {
  enum class State { kComputed, kOff, kUnknownShapes, kInvalid };
  State state = State::kComputed;
  std::vector<InspectOp> ops;
  std::vector<std::string> rewrites;         // "fused Selu #0 + Softmax #1 into ..."
  std::vector<std::string> passes_changed;   // Passes that rewrote the net.
  std::vector<std::string> disabled_passes;  // --disable-pass
};

struct InspectReport {
  std::string net_name, file, net_type;
  std::vector<std::string> external_inputs, external_outputs;
  std::vector<InspectOp> ops;
  std::vector<InspectBlob> blobs;  // In order of first mention.
  std::vector<InspectInPlace> in_place;
  std::vector<std::string> errors;          // "operator #1 Foo: ..."
  std::vector<std::string> unknown_inputs;  // Inputs with no known type.
  InspectOptimized optimized;               // Shown only when `errors` is empty.
};

void WriteInspectText(const InspectReport& report, std::ostream& out);
void WriteInspectJson(const InspectReport& report, std::ostream& out);

}  // namespace cli
}  // namespace opgraph

#endif  // OPGRAPH_TOOLS_INSPECT_REPORT_H_
