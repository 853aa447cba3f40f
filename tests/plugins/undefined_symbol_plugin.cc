// A plugin linked without --no-undefined that needs a function nobody
// defines: dlopen(RTLD_NOW) fails and LoadPlugin reports dlerror's message.
#include "core/plugin.h"

extern "C" int opgraph_test_function_nobody_defines(int);

namespace opgraph_test {

absl::Status CallMissing(opgraph::OpRegistrar&) {
  return opgraph_test_function_nobody_defines(1) == 0 ? absl::OkStatus()
                                                      : absl::InternalError("unreachable");
}

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY_WITH(opgraph_test::CallMissing);
