// Gradient definitions: how an operator's gradient is built from other
// operators.
//
// A gradient maker sees one forward OperatorDef and the names of the
// gradients of its outputs, and returns the operators that compute the
// gradients of its inputs. Names follow Caffe2: the gradient of blob "x" is
// "x_grad".
//
// Thread safety: GetGradientDefs only reads the (synchronized) operator
// registry and may be called concurrently. A GradientMakerBase is used by
// one thread.
#ifndef OPGRAPH_CORE_GRADIENT_H_
#define OPGRAPH_CORE_GRADIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

class GradientMakerBase {
 public:
  // `g_output[i]` names the gradient of output i ("" where there is none).
  GradientMakerBase(const OperatorDef& def, std::vector<std::string> g_output)
      : def_(def),
        g_output_(std::move(g_output)),
        g_input_(def.input_size()),
        reads_input_(def.input_size(), false),
        reads_output_(def.output_size(), false) {}
  virtual ~GradientMakerBase() = default;

  // The gradient operators, before arguments are copied.
  virtual absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() = 0;
  // Whether the forward operator's arguments are copied into each gradient
  // operator (those the gradient operator sets itself are kept).
  virtual bool CopyArguments() const { return true; }

  // After GetGradientDefs: the gradient blob of each input, "" for inputs
  // that receive none.
  const std::vector<std::string>& g_input() const { return g_input_; }
  // After GetGradientDefs: which forward inputs and outputs the maker named
  // with I(i) and O(i). The backward pass refuses an operator run in place
  // (input i and an output share a blob) whose maker read I(i): when the
  // gradient runs, that blob holds the output, not the input.
  const std::vector<bool>& reads_input() const { return reads_input_; }
  const std::vector<bool>& reads_output() const { return reads_output_; }

 protected:
  // The forward input and output names. Makers name forward blobs their
  // gradient operators read only through these (not through def()), so
  // that the backward pass knows which value each read means.
  const std::string& I(int i) const {
    reads_input_[i] = true;
    return def_.input(i);
  }
  const std::string& O(int i) const {
    reads_output_[i] = true;
    return def_.output(i);
  }
  // Names the gradient of input i and records that it is produced.
  std::string GI(int i) {
    g_input_[i] = def_.input(i) + "_grad";
    return g_input_[i];
  }
  const std::string& GO(int i) const { return g_output_[i]; }
  const OperatorDef& def() const { return def_; }

  static std::vector<OperatorDef> SingleGradientDef(const std::string& type,
                                                    const std::string& name,
                                                    const std::vector<std::string>& inputs,
                                                    const std::vector<std::string>& outputs,
                                                    const std::vector<Argument>& args = {});

 private:
  const OperatorDef& def_;
  std::vector<std::string> g_output_;
  std::vector<std::string> g_input_;
  mutable std::vector<bool> reads_input_;
  mutable std::vector<bool> reads_output_;
};

struct GradientOpsMeta {
  std::vector<OperatorDef> ops;
  // The gradient blob of each forward input, "" where none is produced.
  std::vector<std::string> g_input;
  // Whether the maker named forward input / output i (I(i), O(i)); one
  // entry per input / output.
  std::vector<bool> reads_input;
  std::vector<bool> reads_output;
};

// The gradient operators of `def` from the registered gradient maker, with
// the forward arguments, device option and engine copied and is_gradient_op
// set. `g_output` names the gradient of each output; when empty, each
// output "y" gets "y_grad".
// Errors: NotFound when the operator type or its gradient is not registered;
// FailedPrecondition when the gradient is forbidden (SHOULD_NOT_DO_GRADIENT);
// InvalidArgument when g_output has the wrong length or the maker rejects
// the definition. An operator registered with NO_GRADIENT yields no
// operators and no input gradients.
absl::StatusOr<GradientOpsMeta> GetGradientDefs(const OperatorDef& def,
                                                const std::vector<std::string>& g_output = {});

}  // namespace opgraph

#endif  // OPGRAPH_CORE_GRADIENT_H_
