// A test plugin that registers, through the explicit API, a kernel for an
// operator that has no schema: the load must fail and register nothing.
#include <memory>

#include "core/plugin.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {

OPERATOR_SCHEMA(OrphanCompanionOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(OrphanCompanionOp, CopyTestOp);

absl::Status RegisterOrphan(opgraph::OpRegistrar& registrar) {
  return registrar.AddKernel(
      "OrphanKernelOp", [](const opgraph::OperatorDef& def, const opgraph::OpSchema& schema) {
        return std::unique_ptr<opgraph::OperatorBase>(new CopyTestOp(def, schema));
      });
}

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY_WITH(opgraph_test::RegisterOrphan);
