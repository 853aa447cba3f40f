// A test plugin whose entry point fails after registering operators both
// through the macros (FailingStaticOp) and explicitly (FailingExplicitOp):
// neither may stay registered.
#include <memory>

#include "core/plugin.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {

OPERATOR_SCHEMA(FailingStaticOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(FailingStaticOp, CopyTestOp);

absl::Status RegisterThenFail(opgraph::OpRegistrar& registrar) {
  absl::Status s = registrar.AddSchema(
      std::make_unique<opgraph::OpSchema>("FailingExplicitOp", __FILE__, __LINE__));
  if (!s.ok()) return s;
  return absl::AbortedError("simulated failure after registering FailingExplicitOp");
}

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY_WITH(opgraph_test::RegisterThenFail);
