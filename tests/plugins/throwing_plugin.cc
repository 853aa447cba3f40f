// A test plugin whose kernel throws: PluginThrow copies X to Y, except
// that it throws std::runtime_error from RunOnDevice (argument `at` = 0,
// the default), from its constructor (`at` = 1) or std::bad_alloc from
// RunOnDevice (`at` = 2). The host must turn each into a status.
#include <cstring>
#include <new>
#include <stdexcept>

#include "core/plugin.h"

namespace opgraph_test {

class PluginThrowOp final : public opgraph::OperatorBase {
 public:
  PluginThrowOp(const opgraph::OperatorDef& def, const opgraph::OpSchema& schema)
      : OperatorBase(def, schema), at_(Arg<int64_t>("at")) {
    if (at_ == 1) throw std::runtime_error("PluginThrow constructor refused to build");
  }
  absl::Status RunOnDevice() override {
    if (at_ == 2) throw std::bad_alloc();
    if (at_ == 0) throw std::runtime_error("PluginThrow kernel exploded");
    std::memcpy(Output(0)->raw_mutable_data(), Input(0).raw_data(), Input(0).nbytes());
    return absl::OkStatus();
  }

 private:
  int64_t at_;
};

OPERATOR_SCHEMA(PluginThrow)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({opgraph::DType::kFloat32})
    .IdenticalTypeAndShape()
    .Arg("at", int64_t{0},
         "0: throw in RunOnDevice; 1: in the constructor; 2: bad_alloc; "
         "else copy.")
    .SetDoc("Y = X, or throws (test plugin).");
REGISTER_CPU_OPERATOR(PluginThrow, PluginThrowOp);
NO_GRADIENT(PluginThrow);

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY();
