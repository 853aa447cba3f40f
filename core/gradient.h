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
      : def_(def), g_output_(std::move(g_output)), g_input_(def.input_size()) {}
  virtual ~GradientMakerBase() = default;

  // The gradient operators, before arguments are copied.
  virtual absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() = 0;
  // Whether the forward operator's arguments are copied into each gradient
  // operator (those the gradient operator sets itself are kept).
  virtual bool CopyArguments() const { return true; }

  // After GetGradientDefs: the gradient blob of each input, "" for inputs
  // that receive none.
  const std::vector<std::string>& g_input() const { return g_input_; }

 protected:
  const std::string& I(int i) const { return def_.input(i); }
  const std::string& O(int i) const { return def_.output(i); }
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
};

struct GradientOpsMeta {
  std::vector<OperatorDef> ops;
  // The gradient blob of each forward input, "" where none is produced.
  std::vector<std::string> g_input;
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
