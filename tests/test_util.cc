#include "tests/test_util.h"

#include "absl/strings/str_cat.h"

namespace opgraph {
namespace testing {

OperatorDef MakeOp(const std::string& type, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, const std::vector<Argument>& args) {
  OperatorDef def;
  def.set_type(type);
  for (const std::string& in : inputs) def.add_input(in);
  for (const std::string& out : outputs) def.add_output(out);
  for (const Argument& a : args) *def.add_arg() = a;
  return def;
}

Argument FloatArg(const std::string& name, float v) {
  Argument a;
  a.set_name(name);
  a.set_f(v);
  return a;
}

Argument IntArg(const std::string& name, int64_t v) {
  Argument a;
  a.set_name(name);
  a.set_i(v);
  return a;
}

Argument IntsArg(const std::string& name, const std::vector<int64_t>& v) {
  Argument a;
  a.set_name(name);
  for (int64_t x : v) a.add_ints(x);
  return a;
}

Argument FloatsArg(const std::string& name, const std::vector<float>& v) {
  Argument a;
  a.set_name(name);
  for (float x : v) a.add_floats(x);
  return a;
}

absl::StatusOr<std::vector<Tensor>> RunOp(const OperatorDef& op, const TensorRefs& inputs) {
  if (static_cast<int>(inputs.size()) > op.input_size()) {
    return absl::InvalidArgumentError("more tensors than operator inputs");
  }
  Workspace ws;
  for (size_t i = 0; i < inputs.size(); ++i) {
    absl::Status s = ws.FeedBlob(op.input(static_cast<int>(i)), inputs[i].get());
    if (!s.ok()) return s;
  }
  NetDef net;
  net.set_name(absl::StrCat("test_", op.type()));
  *net.add_op() = op;
  absl::Status s = ws.RunNetOnce(net);
  if (!s.ok()) return s;
  std::vector<Tensor> out;
  for (const std::string& name : op.output()) {
    absl::StatusOr<Tensor> t = ws.FetchBlob(name);
    if (!t.ok()) return t.status();
    out.push_back(*std::move(t));
  }
  return out;
}

absl::Status CreateStatus(const OperatorDef& op, const TensorRefs& inputs) {
  Workspace ws;
  for (size_t i = 0; i < inputs.size() && static_cast<int>(i) < op.input_size(); ++i) {
    absl::Status s = ws.FeedBlob(op.input(static_cast<int>(i)), inputs[i].get());
    if (!s.ok()) return s;
  }
  NetDef net;
  net.set_name(absl::StrCat("test_", op.type()));
  *net.add_op() = op;
  return ws.CreateNet(net).status();
}

}  // namespace testing
}  // namespace opgraph
