// A library with registrations but no OPGRAPH_PLUGIN_ENTRY(): LoadPlugin
// must refuse it without opening it.
#include "core/registry.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {

OPERATOR_SCHEMA(NoEntryOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(NoEntryOp, CopyTestOp);

}  // namespace opgraph_test
