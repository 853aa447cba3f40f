// A trivial kernel shared by the test plugins that only need something to
// register.
#ifndef OPGRAPH_TESTS_PLUGINS_PLUGIN_OPS_H_
#define OPGRAPH_TESTS_PLUGINS_PLUGIN_OPS_H_

#include "core/registry.h"

namespace opgraph_test {

// Y = X (float32).
class CopyTestOp final : public opgraph::OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    absl::Status s = Output(0)->ResizeLike(Input(0));
    if (!s.ok()) return s;
    for (int64_t i = 0; i < Input(0).numel(); ++i) {
      Output(0)->mutable_data<float>()[i] = Input(0).data<float>()[i];
    }
    return absl::OkStatus();
  }
};

}  // namespace opgraph_test

#endif  // OPGRAPH_TESTS_PLUGINS_PLUGIN_OPS_H_
