// libFuzzer entry point for the net_run target; the body and its invariants
// are in tests/fuzz/fuzz_targets.h.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  opgraph::fuzz::InitFuzzing();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  opgraph::fuzz::FuzzNetRun(data, size);
  return 0;
}
