// A plugin whose kernel registration has a schema only when DECLARE_SCHEMA
// is 1. See CMakeLists.txt.
#include "core/plugin.h"

namespace no_schema {

class NoSchemaKernel final : public opgraph::OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override { return Output(0)->ResizeLike(Input(0)); }
};

#if DECLARE_SCHEMA
OPERATOR_SCHEMA(NoSchemaOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
#endif
REGISTER_CPU_OPERATOR(NoSchemaOp, NoSchemaKernel);

}  // namespace no_schema

OPGRAPH_PLUGIN_ENTRY();
