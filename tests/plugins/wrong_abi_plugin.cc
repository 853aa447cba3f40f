// Stands in for a plugin compiled against other opgraph headers: it defines
// the entry symbols by hand with a wrong value, selected at compile time:
//   OPGRAPH_TEST_WRONG=1  ABI version (section and symbol)
//   OPGRAPH_TEST_WRONG=2  protobuf version
//   OPGRAPH_TEST_WRONG=3  ABI version in the exported symbol only
// Its static initializer registers WrongAbiOp, which must never happen for
// 1 and 2 (the library must not even be opened), and must not stay for 3.
#include "core/plugin.h"
#include "tests/plugins/plugin_ops.h"

namespace opgraph_test {
OPERATOR_SCHEMA(WrongAbiOp).NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(WrongAbiOp, CopyTestOp);
}  // namespace opgraph_test

extern "C" {

__attribute__((section(".opgraph_plugin_info"), used)) const OpgraphPluginInfo kTestInfo = {
    "opgraph-plugin",
    OPGRAPH_PLUGIN_ABI_VERSION + (OPGRAPH_TEST_WRONG == 1 ? 1 : 0),
    static_cast<uint32_t>(GOOGLE_PROTOBUF_VERSION) + (OPGRAPH_TEST_WRONG == 2 ? 1 : 0),
    OPGRAPH_PLUGIN_CXX11_ABI_,
    static_cast<int32_t>(__cplusplus / 100),
    OPGRAPH_VERSION_STRING};

__attribute__((visibility("default"))) uint32_t opgraph_plugin_abi_version(void) {
  return *static_cast<const volatile uint32_t*>(&kTestInfo.abi_version) +
         (OPGRAPH_TEST_WRONG == 3 ? 1 : 0);
}
__attribute__((visibility("default"))) const OpgraphPluginInfo* opgraph_plugin_info(void) {
  return &kTestInfo;
}
__attribute__((visibility("default"))) void opgraph_plugin_register(opgraph::OpRegistrar*, uint32_t,
                                                                    OpgraphPluginStatus* status) {
  status->code = 0;
  status->message[0] = '\0';
}

}  // extern "C"
