// A test plugin that registers a new operator and a graph pass named like a
// built-in one (FuseSeluSoftmax): loading it must fail with AlreadyExists
// and register neither.
#include "core/plugin.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {
namespace {

absl::StatusOr<opgraph::NetDef> KeepNet(const opgraph::NetDef& net, const opgraph::PassContext&,
                                        std::vector<opgraph::Rewrite>*) {
  return net;
}

}  // namespace

OPERATOR_SCHEMA(DuplicatePassPluginOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(DuplicatePassPluginOp, CopyTestOp);

REGISTER_GRAPH_PASS(FuseSeluSoftmax).Description("a second pass of that name").Function(KeepNet);

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY();
