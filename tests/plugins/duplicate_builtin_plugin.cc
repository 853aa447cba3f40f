// A test plugin that registers a new operator and one named like a built-in
// (Selu): loading it must fail with AlreadyExists and register neither.
#include "core/plugin.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {

OPERATOR_SCHEMA(DuplicateFirstOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(DuplicateFirstOp, CopyTestOp);

OPERATOR_SCHEMA(Selu).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(Selu, CopyTestOp);

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY();
