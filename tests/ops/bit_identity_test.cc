// Bit-identity regression fingerprints for the activation, softmax, loss and
// sum operators, run through the public path (a NetDef in a Workspace).
//
// What this is: for each (operator, dtype, shape/axis, SIMD target) the
// test runs the operator on fixed deterministic inputs and hashes the raw
// bytes of its outputs (FNV-1a 64). The table kRecorded holds the hashes
// recorded from commit 69465b2 (the code before the Prepare / kernel
// refactor) on a KVM guest whose CPU reports "AMD EPYC" with AVX2 and FMA
// but no AVX-512, Debian 12, g++ 12, libhwy 1.0.3. A refactor that is meant
// to change nothing must keep every hash. These are regression
// fingerprints, NOT correctness checks: the per-operator tests
// (tests/ops/*_test.cc) and the kernel tests
// (tests/ops/kernels/activation_kernels_test.cc) compare against long double
// references and error bounds.
//
// The fingerprints are per Highway target, because the kernels compute
// differently (and legitimately differently in the last bits) on each
// target. Recorded targets: AVX2, SSE4, SSSE3, SCALAR (all this Highway
// build offers on that CPU). AVX3 (AVX-512) has no fingerprints, because
// the recording machine has no AVX-512: on a CPU with it, the AVX3 case is
// skipped with the reason printed, as is any other unrecorded target (e.g.
// a newer Highway's AVX3_ZEN4 or EMU128). Sum, WeightedSum and
// SoftmaxWithLoss (and its gradient) do not use Highway: their hashes are
// the same on every target but depend on the compiler and libm (std::exp),
// so they hold for the toolchain named above. FC is deliberately not fingerprinted (it will
// move to a GEMM library and may change within a bound).
//
// To print the current hashes in the table's syntax (to re-record after a
// DELIBERATE change, which the commit must explain):
//   OPGRAPH_PRINT_FINGERPRINTS=1 build/tests/ops_bit_identity_test
//
// Changes to the table (each deliberate, explained in its commit):
//   - none yet.

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "ops/kernels/activation_kernels.h"
#include "proto/opgraph.pb.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::Rng;

struct Fingerprint {
  const char* target;
  const char* key;
  uint64_t hash;
};

// Recorded from commit 69465b2 with OPGRAPH_PRINT_FINGERPRINTS=1.
constexpr Fingerprint kRecorded[] = {
    {"AVX2", "Selu f32 3x1000", 0xe715b2e031fa167aULL},
    {"AVX2", "SeluGradient f32 3x1000", 0xa8301fdddd7b074bULL},
    {"AVX2", "Sum f32 3x1000", 0xed2d7afae6c4a6f1ULL},
    {"AVX2", "WeightedSum f32 3x1000", 0x3bd8bb16f3ac53deULL},
    {"AVX2", "SoftmaxWithLoss f32 3x1000", 0xc5f2d757eae0fe49ULL},
    {"AVX2", "SoftmaxWithLossGradient f32 3x1000", 0xae8e8540dffa2863ULL},
    {"AVX2", "Selu f32 17x33", 0xb239a2cda800d0b4ULL},
    {"AVX2", "SeluGradient f32 17x33", 0xc5f6b26f0b90d767ULL},
    {"AVX2", "Sum f32 17x33", 0x5c382344130da8a5ULL},
    {"AVX2", "WeightedSum f32 17x33", 0x18822a3f91975dfdULL},
    {"AVX2", "SoftmaxWithLoss f32 17x33", 0x7016b532d3e506b7ULL},
    {"AVX2", "SoftmaxWithLossGradient f32 17x33", 0xba618ee8a5bb26ebULL},
    {"AVX2", "Selu f32 1x4097", 0xc4af428248028954ULL},
    {"AVX2", "SeluGradient f32 1x4097", 0x7e80c5d6224eedf2ULL},
    {"AVX2", "Sum f32 1x4097", 0xb4b3383fb20f5913ULL},
    {"AVX2", "WeightedSum f32 1x4097", 0x7f86577ed557a63aULL},
    {"AVX2", "SoftmaxWithLoss f32 1x4097", 0x48d4dd92cc7f02a5ULL},
    {"AVX2", "SoftmaxWithLossGradient f32 1x4097", 0xed4a5684ab4e69d8ULL},
    {"AVX2", "Softmax f32 3x1000 axis=1", 0x7c2d2a0eb682dee7ULL},
    {"AVX2", "SoftmaxGradient f32 3x1000 axis=1", 0xc1d50ba91b4f43e7ULL},
    {"AVX2", "Softmax f32 17x33 axis=1", 0x9542f550e717e37bULL},
    {"AVX2", "SoftmaxGradient f32 17x33 axis=1", 0xa86e42f09b0c0c1bULL},
    {"AVX2", "Softmax f32 1x4097 axis=1", 0x8509c4e2d97eb98fULL},
    {"AVX2", "SoftmaxGradient f32 1x4097 axis=1", 0x2964efd550702573ULL},
    {"AVX2", "Softmax f32 4x5x33 axis=1", 0x7e11a0c3107a7261ULL},
    {"AVX2", "SoftmaxGradient f32 4x5x33 axis=1", 0xa32d60a82186ece5ULL},
    {"AVX2", "Softmax f32 4x5x33 axis=2", 0x666975e7b742093dULL},
    {"AVX2", "SoftmaxGradient f32 4x5x33 axis=2", 0xe205fecccdbdf105ULL},
    {"AVX2", "SeluSoftmax f32 3x1000 axis=0", 0x23857dce66afac32ULL},
    {"AVX2", "SeluSoftmaxGradient f32 3x1000 axis=0", 0xcef2f2d8b9578e6fULL},
    {"AVX2", "SeluSoftmax f32 3x1000 axis=1", 0x38c05720359f5795ULL},
    {"AVX2", "SeluSoftmaxGradient f32 3x1000 axis=1", 0x68c661a6dfcaad93ULL},
    {"AVX2", "SeluSoftmax f32 17x33 axis=0", 0x7fcb9ac0f111d457ULL},
    {"AVX2", "SeluSoftmaxGradient f32 17x33 axis=0", 0xdac1ed3a446fdcbdULL},
    {"AVX2", "SeluSoftmax f32 17x33 axis=1", 0x552e0151424875aaULL},
    {"AVX2", "SeluSoftmaxGradient f32 17x33 axis=1", 0xb48bbf6bd5a080c0ULL},
    {"AVX2", "SeluSoftmax f32 1x4097 axis=0", 0x8aa4049ccd834d19ULL},
    {"AVX2", "SeluSoftmaxGradient f32 1x4097 axis=0", 0xb07c297deedf452eULL},
    {"AVX2", "SeluSoftmax f32 1x4097 axis=1", 0xc7b1d41ab000b126ULL},
    {"AVX2", "SeluSoftmaxGradient f32 1x4097 axis=1", 0xfdde56128ee0377bULL},
    {"AVX2", "SeluSoftmax f32 4x5x33 axis=1", 0x8b089862731e6a3bULL},
    {"AVX2", "SeluSoftmaxGradient f32 4x5x33 axis=1", 0xf112b97319167b3eULL},
    {"AVX2", "SeluSoftmax f32 4x5x33 axis=2", 0x5179d046d11c5040ULL},
    {"AVX2", "SeluSoftmaxGradient f32 4x5x33 axis=2", 0xf6c5a23b49629a0bULL},
    {"AVX2", "Selu f64 3x1000", 0x2c7d4ad04631bc7cULL},
    {"AVX2", "SeluGradient f64 3x1000", 0x3bd5897851bde535ULL},
    {"AVX2", "Sum f64 3x1000", 0x80c44c8b86f6cb53ULL},
    {"AVX2", "WeightedSum f64 3x1000", 0xe5bea7bfb15e932aULL},
    {"AVX2", "SoftmaxWithLoss f64 3x1000", 0x8beeae858f4ab2faULL},
    {"AVX2", "SoftmaxWithLossGradient f64 3x1000", 0xe57b4960b3b11724ULL},
    {"AVX2", "Selu f64 17x33", 0xc80369e8da9c1b29ULL},
    {"AVX2", "SeluGradient f64 17x33", 0xeda95664f91d9c9cULL},
    {"AVX2", "Sum f64 17x33", 0xc3fd0a990e91016dULL},
    {"AVX2", "WeightedSum f64 17x33", 0xa6ce4364dc859665ULL},
    {"AVX2", "SoftmaxWithLoss f64 17x33", 0xaefae5ddc863540cULL},
    {"AVX2", "SoftmaxWithLossGradient f64 17x33", 0x55d336bacb29ccbcULL},
    {"AVX2", "Selu f64 1x4097", 0x717bd3e0137790fcULL},
    {"AVX2", "SeluGradient f64 1x4097", 0x0be7e6730af5cf65ULL},
    {"AVX2", "Sum f64 1x4097", 0x00a44debab26d168ULL},
    {"AVX2", "WeightedSum f64 1x4097", 0xc0655143e8834becULL},
    {"AVX2", "SoftmaxWithLoss f64 1x4097", 0x362766203cf8f0a4ULL},
    {"AVX2", "SoftmaxWithLossGradient f64 1x4097", 0xc76ceb5d4eb84679ULL},
    {"AVX2", "Softmax f64 3x1000 axis=1", 0xcf74f6aad3e71c6fULL},
    {"AVX2", "SoftmaxGradient f64 3x1000 axis=1", 0x0e14992c61627d74ULL},
    {"AVX2", "Softmax f64 17x33 axis=1", 0x07f39bfb2f688620ULL},
    {"AVX2", "SoftmaxGradient f64 17x33 axis=1", 0x179fdb028d0ff1a5ULL},
    {"AVX2", "Softmax f64 1x4097 axis=1", 0x11003a0e30e926a2ULL},
    {"AVX2", "SoftmaxGradient f64 1x4097 axis=1", 0x7c8e629269e9f1b0ULL},
    {"AVX2", "Softmax f64 4x5x33 axis=1", 0xd651fcf95c2710c8ULL},
    {"AVX2", "SoftmaxGradient f64 4x5x33 axis=1", 0xf8236e5fac1323c8ULL},
    {"AVX2", "Softmax f64 4x5x33 axis=2", 0x7b535abaef6ecdeeULL},
    {"AVX2", "SoftmaxGradient f64 4x5x33 axis=2", 0x833d6b781554fb11ULL},
    {"AVX2", "SeluSoftmax f64 3x1000 axis=0", 0xe1064f2516a21f97ULL},
    {"AVX2", "SeluSoftmaxGradient f64 3x1000 axis=0", 0x414d4a7f5f2994f6ULL},
    {"AVX2", "SeluSoftmax f64 3x1000 axis=1", 0x7412c99beda5a2aaULL},
    {"AVX2", "SeluSoftmaxGradient f64 3x1000 axis=1", 0xf318edfb9408cb44ULL},
    {"AVX2", "SeluSoftmax f64 17x33 axis=0", 0xeffd2e40093272dbULL},
    {"AVX2", "SeluSoftmaxGradient f64 17x33 axis=0", 0x5dd486a48880d1d3ULL},
    {"AVX2", "SeluSoftmax f64 17x33 axis=1", 0x3ee9690098e69e45ULL},
    {"AVX2", "SeluSoftmaxGradient f64 17x33 axis=1", 0xafbd9a9c6ebfa5a1ULL},
    {"AVX2", "SeluSoftmax f64 1x4097 axis=0", 0xa0dc91780bab30a5ULL},
    {"AVX2", "SeluSoftmaxGradient f64 1x4097 axis=0", 0xcb5721fbf0060045ULL},
    {"AVX2", "SeluSoftmax f64 1x4097 axis=1", 0x1e5d76206ae006bbULL},
    {"AVX2", "SeluSoftmaxGradient f64 1x4097 axis=1", 0x2f123dc7a851d4eaULL},
    {"AVX2", "SeluSoftmax f64 4x5x33 axis=1", 0x06435b5e843a5654ULL},
    {"AVX2", "SeluSoftmaxGradient f64 4x5x33 axis=1", 0x3eb3c2f7619f4704ULL},
    {"AVX2", "SeluSoftmax f64 4x5x33 axis=2", 0x33cf05f3cdc07cc5ULL},
    {"AVX2", "SeluSoftmaxGradient f64 4x5x33 axis=2", 0x91355b6eb3bfe6adULL},
    {"SSE4", "Selu f32 3x1000", 0xc7adaf3ae1522379ULL},
    {"SSE4", "SeluGradient f32 3x1000", 0xa8301fdddd7b074bULL},
    {"SSE4", "Sum f32 3x1000", 0xed2d7afae6c4a6f1ULL},
    {"SSE4", "WeightedSum f32 3x1000", 0x3bd8bb16f3ac53deULL},
    {"SSE4", "SoftmaxWithLoss f32 3x1000", 0xc5f2d757eae0fe49ULL},
    {"SSE4", "SoftmaxWithLossGradient f32 3x1000", 0xae8e8540dffa2863ULL},
    {"SSE4", "Selu f32 17x33", 0xffa835b6bb3be3fdULL},
    {"SSE4", "SeluGradient f32 17x33", 0xc5f6b26f0b90d767ULL},
    {"SSE4", "Sum f32 17x33", 0x5c382344130da8a5ULL},
    {"SSE4", "WeightedSum f32 17x33", 0x18822a3f91975dfdULL},
    {"SSE4", "SoftmaxWithLoss f32 17x33", 0x7016b532d3e506b7ULL},
    {"SSE4", "SoftmaxWithLossGradient f32 17x33", 0xba618ee8a5bb26ebULL},
    {"SSE4", "Selu f32 1x4097", 0xe7dd1dd67b0e39beULL},
    {"SSE4", "SeluGradient f32 1x4097", 0x7e80c5d6224eedf2ULL},
    {"SSE4", "Sum f32 1x4097", 0xb4b3383fb20f5913ULL},
    {"SSE4", "WeightedSum f32 1x4097", 0x7f86577ed557a63aULL},
    {"SSE4", "SoftmaxWithLoss f32 1x4097", 0x48d4dd92cc7f02a5ULL},
    {"SSE4", "SoftmaxWithLossGradient f32 1x4097", 0xed4a5684ab4e69d8ULL},
    {"SSE4", "Softmax f32 3x1000 axis=1", 0x0665d8deea148cb3ULL},
    {"SSE4", "SoftmaxGradient f32 3x1000 axis=1", 0x5281bd438ed9f2c1ULL},
    {"SSE4", "Softmax f32 17x33 axis=1", 0xbfbf3c399500abffULL},
    {"SSE4", "SoftmaxGradient f32 17x33 axis=1", 0xb832262f559d2179ULL},
    {"SSE4", "Softmax f32 1x4097 axis=1", 0xb879eaf550673173ULL},
    {"SSE4", "SoftmaxGradient f32 1x4097 axis=1", 0x54d946af9b1c9a5aULL},
    {"SSE4", "Softmax f32 4x5x33 axis=1", 0x41db4c539f4eae1aULL},
    {"SSE4", "SoftmaxGradient f32 4x5x33 axis=1", 0x9acd0b5de8e22128ULL},
    {"SSE4", "Softmax f32 4x5x33 axis=2", 0x9b4ee25c6f4454b5ULL},
    {"SSE4", "SoftmaxGradient f32 4x5x33 axis=2", 0x56b3cdaab5ec0179ULL},
    {"SSE4", "SeluSoftmax f32 3x1000 axis=0", 0x278f2dc437c42033ULL},
    {"SSE4", "SeluSoftmaxGradient f32 3x1000 axis=0", 0x0a3dee258dd2d182ULL},
    {"SSE4", "SeluSoftmax f32 3x1000 axis=1", 0x51a17dfb9d0bfcdbULL},
    {"SSE4", "SeluSoftmaxGradient f32 3x1000 axis=1", 0x45192fd125db5793ULL},
    {"SSE4", "SeluSoftmax f32 17x33 axis=0", 0x5b642ab12654d15dULL},
    {"SSE4", "SeluSoftmaxGradient f32 17x33 axis=0", 0x3070880558b35173ULL},
    {"SSE4", "SeluSoftmax f32 17x33 axis=1", 0x5040dac60bbf7da1ULL},
    {"SSE4", "SeluSoftmaxGradient f32 17x33 axis=1", 0x8aba9924f5054c94ULL},
    {"SSE4", "SeluSoftmax f32 1x4097 axis=0", 0x8aa4049ccd834d19ULL},
    {"SSE4", "SeluSoftmaxGradient f32 1x4097 axis=0", 0x1f477897a3023e86ULL},
    {"SSE4", "SeluSoftmax f32 1x4097 axis=1", 0xe04fec8a548656aaULL},
    {"SSE4", "SeluSoftmaxGradient f32 1x4097 axis=1", 0xa692d72c50226223ULL},
    {"SSE4", "SeluSoftmax f32 4x5x33 axis=1", 0x9129f9d3c3a8df12ULL},
    {"SSE4", "SeluSoftmaxGradient f32 4x5x33 axis=1", 0x2960484b4d835d86ULL},
    {"SSE4", "SeluSoftmax f32 4x5x33 axis=2", 0xd4d4c7de4111be02ULL},
    {"SSE4", "SeluSoftmaxGradient f32 4x5x33 axis=2", 0x055366ed026da62eULL},
    {"SSE4", "Selu f64 3x1000", 0xd79c7b7afa08052eULL},
    {"SSE4", "SeluGradient f64 3x1000", 0x3bd5897851bde535ULL},
    {"SSE4", "Sum f64 3x1000", 0x80c44c8b86f6cb53ULL},
    {"SSE4", "WeightedSum f64 3x1000", 0xe5bea7bfb15e932aULL},
    {"SSE4", "SoftmaxWithLoss f64 3x1000", 0x8beeae858f4ab2faULL},
    {"SSE4", "SoftmaxWithLossGradient f64 3x1000", 0xe57b4960b3b11724ULL},
    {"SSE4", "Selu f64 17x33", 0x760b913d6b6b1cccULL},
    {"SSE4", "SeluGradient f64 17x33", 0xeda95664f91d9c9cULL},
    {"SSE4", "Sum f64 17x33", 0xc3fd0a990e91016dULL},
    {"SSE4", "WeightedSum f64 17x33", 0xa6ce4364dc859665ULL},
    {"SSE4", "SoftmaxWithLoss f64 17x33", 0xaefae5ddc863540cULL},
    {"SSE4", "SoftmaxWithLossGradient f64 17x33", 0x55d336bacb29ccbcULL},
    {"SSE4", "Selu f64 1x4097", 0x1aa98b1821fdd6c2ULL},
    {"SSE4", "SeluGradient f64 1x4097", 0x0be7e6730af5cf65ULL},
    {"SSE4", "Sum f64 1x4097", 0x00a44debab26d168ULL},
    {"SSE4", "WeightedSum f64 1x4097", 0xc0655143e8834becULL},
    {"SSE4", "SoftmaxWithLoss f64 1x4097", 0x362766203cf8f0a4ULL},
    {"SSE4", "SoftmaxWithLossGradient f64 1x4097", 0xc76ceb5d4eb84679ULL},
    {"SSE4", "Softmax f64 3x1000 axis=1", 0xbcc8a156290109b8ULL},
    {"SSE4", "SoftmaxGradient f64 3x1000 axis=1", 0x5a0715047b0ccd53ULL},
    {"SSE4", "Softmax f64 17x33 axis=1", 0x92c604a54781c7a0ULL},
    {"SSE4", "SoftmaxGradient f64 17x33 axis=1", 0xa9778fc6a1e9c019ULL},
    {"SSE4", "Softmax f64 1x4097 axis=1", 0x08318995fc2edc8cULL},
    {"SSE4", "SoftmaxGradient f64 1x4097 axis=1", 0x7c8e629269e9f1b0ULL},
    {"SSE4", "Softmax f64 4x5x33 axis=1", 0x0a0cfd73ce1327bbULL},
    {"SSE4", "SoftmaxGradient f64 4x5x33 axis=1", 0x9362febd8cb45cadULL},
    {"SSE4", "Softmax f64 4x5x33 axis=2", 0xec38bb0998c2a8c5ULL},
    {"SSE4", "SoftmaxGradient f64 4x5x33 axis=2", 0x7106fa1a2f786d34ULL},
    {"SSE4", "SeluSoftmax f64 3x1000 axis=0", 0xa4e0eec985e17c0dULL},
    {"SSE4", "SeluSoftmaxGradient f64 3x1000 axis=0", 0x9c1b0c18689989acULL},
    {"SSE4", "SeluSoftmax f64 3x1000 axis=1", 0x02e13b40ad01927fULL},
    {"SSE4", "SeluSoftmaxGradient f64 3x1000 axis=1", 0x1dec61becd652586ULL},
    {"SSE4", "SeluSoftmax f64 17x33 axis=0", 0xbdb26925423b86f4ULL},
    {"SSE4", "SeluSoftmaxGradient f64 17x33 axis=0", 0x2d6f6be7cda1082aULL},
    {"SSE4", "SeluSoftmax f64 17x33 axis=1", 0x784f8f18092bbfa0ULL},
    {"SSE4", "SeluSoftmaxGradient f64 17x33 axis=1", 0xbd39594b6b60558bULL},
    {"SSE4", "SeluSoftmax f64 1x4097 axis=0", 0xa0dc91780bab30a5ULL},
    {"SSE4", "SeluSoftmaxGradient f64 1x4097 axis=0", 0x2a26795fe84ade60ULL},
    {"SSE4", "SeluSoftmax f64 1x4097 axis=1", 0xb6d645bc0ea3f1e5ULL},
    {"SSE4", "SeluSoftmaxGradient f64 1x4097 axis=1", 0xa82f096f0b93e093ULL},
    {"SSE4", "SeluSoftmax f64 4x5x33 axis=1", 0xd0f2607324bf828fULL},
    {"SSE4", "SeluSoftmaxGradient f64 4x5x33 axis=1", 0x7ab111bcaf09e017ULL},
    {"SSE4", "SeluSoftmax f64 4x5x33 axis=2", 0xf3b48dbec2dfe46aULL},
    {"SSE4", "SeluSoftmaxGradient f64 4x5x33 axis=2", 0x09982640aa356b89ULL},
    {"SSSE3", "Selu f32 3x1000", 0xc7adaf3ae1522379ULL},
    {"SSSE3", "SeluGradient f32 3x1000", 0xa8301fdddd7b074bULL},
    {"SSSE3", "Sum f32 3x1000", 0xed2d7afae6c4a6f1ULL},
    {"SSSE3", "WeightedSum f32 3x1000", 0x3bd8bb16f3ac53deULL},
    {"SSSE3", "SoftmaxWithLoss f32 3x1000", 0xc5f2d757eae0fe49ULL},
    {"SSSE3", "SoftmaxWithLossGradient f32 3x1000", 0xae8e8540dffa2863ULL},
    {"SSSE3", "Selu f32 17x33", 0xffa835b6bb3be3fdULL},
    {"SSSE3", "SeluGradient f32 17x33", 0xc5f6b26f0b90d767ULL},
    {"SSSE3", "Sum f32 17x33", 0x5c382344130da8a5ULL},
    {"SSSE3", "WeightedSum f32 17x33", 0x18822a3f91975dfdULL},
    {"SSSE3", "SoftmaxWithLoss f32 17x33", 0x7016b532d3e506b7ULL},
    {"SSSE3", "SoftmaxWithLossGradient f32 17x33", 0xba618ee8a5bb26ebULL},
    {"SSSE3", "Selu f32 1x4097", 0xe7dd1dd67b0e39beULL},
    {"SSSE3", "SeluGradient f32 1x4097", 0x7e80c5d6224eedf2ULL},
    {"SSSE3", "Sum f32 1x4097", 0xb4b3383fb20f5913ULL},
    {"SSSE3", "WeightedSum f32 1x4097", 0x7f86577ed557a63aULL},
    {"SSSE3", "SoftmaxWithLoss f32 1x4097", 0x48d4dd92cc7f02a5ULL},
    {"SSSE3", "SoftmaxWithLossGradient f32 1x4097", 0xed4a5684ab4e69d8ULL},
    {"SSSE3", "Softmax f32 3x1000 axis=1", 0x0665d8deea148cb3ULL},
    {"SSSE3", "SoftmaxGradient f32 3x1000 axis=1", 0x5281bd438ed9f2c1ULL},
    {"SSSE3", "Softmax f32 17x33 axis=1", 0xbfbf3c399500abffULL},
    {"SSSE3", "SoftmaxGradient f32 17x33 axis=1", 0xb832262f559d2179ULL},
    {"SSSE3", "Softmax f32 1x4097 axis=1", 0xb879eaf550673173ULL},
    {"SSSE3", "SoftmaxGradient f32 1x4097 axis=1", 0x54d946af9b1c9a5aULL},
    {"SSSE3", "Softmax f32 4x5x33 axis=1", 0x41db4c539f4eae1aULL},
    {"SSSE3", "SoftmaxGradient f32 4x5x33 axis=1", 0x9acd0b5de8e22128ULL},
    {"SSSE3", "Softmax f32 4x5x33 axis=2", 0x9b4ee25c6f4454b5ULL},
    {"SSSE3", "SoftmaxGradient f32 4x5x33 axis=2", 0x56b3cdaab5ec0179ULL},
    {"SSSE3", "SeluSoftmax f32 3x1000 axis=0", 0x278f2dc437c42033ULL},
    {"SSSE3", "SeluSoftmaxGradient f32 3x1000 axis=0", 0x0a3dee258dd2d182ULL},
    {"SSSE3", "SeluSoftmax f32 3x1000 axis=1", 0x51a17dfb9d0bfcdbULL},
    {"SSSE3", "SeluSoftmaxGradient f32 3x1000 axis=1", 0x45192fd125db5793ULL},
    {"SSSE3", "SeluSoftmax f32 17x33 axis=0", 0x5b642ab12654d15dULL},
    {"SSSE3", "SeluSoftmaxGradient f32 17x33 axis=0", 0x3070880558b35173ULL},
    {"SSSE3", "SeluSoftmax f32 17x33 axis=1", 0x5040dac60bbf7da1ULL},
    {"SSSE3", "SeluSoftmaxGradient f32 17x33 axis=1", 0x8aba9924f5054c94ULL},
    {"SSSE3", "SeluSoftmax f32 1x4097 axis=0", 0x8aa4049ccd834d19ULL},
    {"SSSE3", "SeluSoftmaxGradient f32 1x4097 axis=0", 0x1f477897a3023e86ULL},
    {"SSSE3", "SeluSoftmax f32 1x4097 axis=1", 0xe04fec8a548656aaULL},
    {"SSSE3", "SeluSoftmaxGradient f32 1x4097 axis=1", 0xa692d72c50226223ULL},
    {"SSSE3", "SeluSoftmax f32 4x5x33 axis=1", 0x9129f9d3c3a8df12ULL},
    {"SSSE3", "SeluSoftmaxGradient f32 4x5x33 axis=1", 0x2960484b4d835d86ULL},
    {"SSSE3", "SeluSoftmax f32 4x5x33 axis=2", 0xd4d4c7de4111be02ULL},
    {"SSSE3", "SeluSoftmaxGradient f32 4x5x33 axis=2", 0x055366ed026da62eULL},
    {"SSSE3", "Selu f64 3x1000", 0xd79c7b7afa08052eULL},
    {"SSSE3", "SeluGradient f64 3x1000", 0x3bd5897851bde535ULL},
    {"SSSE3", "Sum f64 3x1000", 0x80c44c8b86f6cb53ULL},
    {"SSSE3", "WeightedSum f64 3x1000", 0xe5bea7bfb15e932aULL},
    {"SSSE3", "SoftmaxWithLoss f64 3x1000", 0x8beeae858f4ab2faULL},
    {"SSSE3", "SoftmaxWithLossGradient f64 3x1000", 0xe57b4960b3b11724ULL},
    {"SSSE3", "Selu f64 17x33", 0x760b913d6b6b1cccULL},
    {"SSSE3", "SeluGradient f64 17x33", 0xeda95664f91d9c9cULL},
    {"SSSE3", "Sum f64 17x33", 0xc3fd0a990e91016dULL},
    {"SSSE3", "WeightedSum f64 17x33", 0xa6ce4364dc859665ULL},
    {"SSSE3", "SoftmaxWithLoss f64 17x33", 0xaefae5ddc863540cULL},
    {"SSSE3", "SoftmaxWithLossGradient f64 17x33", 0x55d336bacb29ccbcULL},
    {"SSSE3", "Selu f64 1x4097", 0x1aa98b1821fdd6c2ULL},
    {"SSSE3", "SeluGradient f64 1x4097", 0x0be7e6730af5cf65ULL},
    {"SSSE3", "Sum f64 1x4097", 0x00a44debab26d168ULL},
    {"SSSE3", "WeightedSum f64 1x4097", 0xc0655143e8834becULL},
    {"SSSE3", "SoftmaxWithLoss f64 1x4097", 0x362766203cf8f0a4ULL},
    {"SSSE3", "SoftmaxWithLossGradient f64 1x4097", 0xc76ceb5d4eb84679ULL},
    {"SSSE3", "Softmax f64 3x1000 axis=1", 0xbcc8a156290109b8ULL},
    {"SSSE3", "SoftmaxGradient f64 3x1000 axis=1", 0x5a0715047b0ccd53ULL},
    {"SSSE3", "Softmax f64 17x33 axis=1", 0x92c604a54781c7a0ULL},
    {"SSSE3", "SoftmaxGradient f64 17x33 axis=1", 0xa9778fc6a1e9c019ULL},
    {"SSSE3", "Softmax f64 1x4097 axis=1", 0x08318995fc2edc8cULL},
    {"SSSE3", "SoftmaxGradient f64 1x4097 axis=1", 0x7c8e629269e9f1b0ULL},
    {"SSSE3", "Softmax f64 4x5x33 axis=1", 0x0a0cfd73ce1327bbULL},
    {"SSSE3", "SoftmaxGradient f64 4x5x33 axis=1", 0x9362febd8cb45cadULL},
    {"SSSE3", "Softmax f64 4x5x33 axis=2", 0xec38bb0998c2a8c5ULL},
    {"SSSE3", "SoftmaxGradient f64 4x5x33 axis=2", 0x7106fa1a2f786d34ULL},
    {"SSSE3", "SeluSoftmax f64 3x1000 axis=0", 0xa4e0eec985e17c0dULL},
    {"SSSE3", "SeluSoftmaxGradient f64 3x1000 axis=0", 0x9c1b0c18689989acULL},
    {"SSSE3", "SeluSoftmax f64 3x1000 axis=1", 0x02e13b40ad01927fULL},
    {"SSSE3", "SeluSoftmaxGradient f64 3x1000 axis=1", 0x1dec61becd652586ULL},
    {"SSSE3", "SeluSoftmax f64 17x33 axis=0", 0xbdb26925423b86f4ULL},
    {"SSSE3", "SeluSoftmaxGradient f64 17x33 axis=0", 0x2d6f6be7cda1082aULL},
    {"SSSE3", "SeluSoftmax f64 17x33 axis=1", 0x784f8f18092bbfa0ULL},
    {"SSSE3", "SeluSoftmaxGradient f64 17x33 axis=1", 0xbd39594b6b60558bULL},
    {"SSSE3", "SeluSoftmax f64 1x4097 axis=0", 0xa0dc91780bab30a5ULL},
    {"SSSE3", "SeluSoftmaxGradient f64 1x4097 axis=0", 0x2a26795fe84ade60ULL},
    {"SSSE3", "SeluSoftmax f64 1x4097 axis=1", 0xb6d645bc0ea3f1e5ULL},
    {"SSSE3", "SeluSoftmaxGradient f64 1x4097 axis=1", 0xa82f096f0b93e093ULL},
    {"SSSE3", "SeluSoftmax f64 4x5x33 axis=1", 0xd0f2607324bf828fULL},
    {"SSSE3", "SeluSoftmaxGradient f64 4x5x33 axis=1", 0x7ab111bcaf09e017ULL},
    {"SSSE3", "SeluSoftmax f64 4x5x33 axis=2", 0xf3b48dbec2dfe46aULL},
    {"SSSE3", "SeluSoftmaxGradient f64 4x5x33 axis=2", 0x09982640aa356b89ULL},
    {"SCALAR", "Selu f32 3x1000", 0xc7adaf3ae1522379ULL},
    {"SCALAR", "SeluGradient f32 3x1000", 0xa8301fdddd7b074bULL},
    {"SCALAR", "Sum f32 3x1000", 0xed2d7afae6c4a6f1ULL},
    {"SCALAR", "WeightedSum f32 3x1000", 0x3bd8bb16f3ac53deULL},
    {"SCALAR", "SoftmaxWithLoss f32 3x1000", 0xc5f2d757eae0fe49ULL},
    {"SCALAR", "SoftmaxWithLossGradient f32 3x1000", 0xae8e8540dffa2863ULL},
    {"SCALAR", "Selu f32 17x33", 0xffa835b6bb3be3fdULL},
    {"SCALAR", "SeluGradient f32 17x33", 0xc5f6b26f0b90d767ULL},
    {"SCALAR", "Sum f32 17x33", 0x5c382344130da8a5ULL},
    {"SCALAR", "WeightedSum f32 17x33", 0x18822a3f91975dfdULL},
    {"SCALAR", "SoftmaxWithLoss f32 17x33", 0x7016b532d3e506b7ULL},
    {"SCALAR", "SoftmaxWithLossGradient f32 17x33", 0xba618ee8a5bb26ebULL},
    {"SCALAR", "Selu f32 1x4097", 0xe7dd1dd67b0e39beULL},
    {"SCALAR", "SeluGradient f32 1x4097", 0x7e80c5d6224eedf2ULL},
    {"SCALAR", "Sum f32 1x4097", 0xb4b3383fb20f5913ULL},
    {"SCALAR", "WeightedSum f32 1x4097", 0x7f86577ed557a63aULL},
    {"SCALAR", "SoftmaxWithLoss f32 1x4097", 0x48d4dd92cc7f02a5ULL},
    {"SCALAR", "SoftmaxWithLossGradient f32 1x4097", 0xed4a5684ab4e69d8ULL},
    {"SCALAR", "Softmax f32 3x1000 axis=1", 0x0665d8deea148cb3ULL},
    {"SCALAR", "SoftmaxGradient f32 3x1000 axis=1", 0x29f5afb71ccaffabULL},
    {"SCALAR", "Softmax f32 17x33 axis=1", 0x4b9c4e8673ac17daULL},
    {"SCALAR", "SoftmaxGradient f32 17x33 axis=1", 0x36d71701cf9f7142ULL},
    {"SCALAR", "Softmax f32 1x4097 axis=1", 0x8ca99b8d664a7332ULL},
    {"SCALAR", "SoftmaxGradient f32 1x4097 axis=1", 0xebf2bd9cec4bfe6cULL},
    {"SCALAR", "Softmax f32 4x5x33 axis=1", 0x41db4c539f4eae1aULL},
    {"SCALAR", "SoftmaxGradient f32 4x5x33 axis=1", 0x04075914a63533c6ULL},
    {"SCALAR", "Softmax f32 4x5x33 axis=2", 0x95ee02436805d386ULL},
    {"SCALAR", "SoftmaxGradient f32 4x5x33 axis=2", 0x1ee3af48790371f7ULL},
    {"SCALAR", "SeluSoftmax f32 3x1000 axis=0", 0x278f2dc437c42033ULL},
    {"SCALAR", "SeluSoftmaxGradient f32 3x1000 axis=0", 0x0a3dee258dd2d182ULL},
    {"SCALAR", "SeluSoftmax f32 3x1000 axis=1", 0x51a17dfb9d0bfcdbULL},
    {"SCALAR", "SeluSoftmaxGradient f32 3x1000 axis=1", 0xadd857f616403f65ULL},
    {"SCALAR", "SeluSoftmax f32 17x33 axis=0", 0x5b642ab12654d15dULL},
    {"SCALAR", "SeluSoftmaxGradient f32 17x33 axis=0", 0x3070880558b35173ULL},
    {"SCALAR", "SeluSoftmax f32 17x33 axis=1", 0xab3d88e6a0a3e802ULL},
    {"SCALAR", "SeluSoftmaxGradient f32 17x33 axis=1", 0x18a4915f59423206ULL},
    {"SCALAR", "SeluSoftmax f32 1x4097 axis=0", 0x8aa4049ccd834d19ULL},
    {"SCALAR", "SeluSoftmaxGradient f32 1x4097 axis=0", 0x1f477897a3023e86ULL},
    {"SCALAR", "SeluSoftmax f32 1x4097 axis=1", 0xe04fec8a548656aaULL},
    {"SCALAR", "SeluSoftmaxGradient f32 1x4097 axis=1", 0xddc67d6f6afa8246ULL},
    {"SCALAR", "SeluSoftmax f32 4x5x33 axis=1", 0x9129f9d3c3a8df12ULL},
    {"SCALAR", "SeluSoftmaxGradient f32 4x5x33 axis=1", 0x2960484b4d835d86ULL},
    {"SCALAR", "SeluSoftmax f32 4x5x33 axis=2", 0x86f27fe641d7d6b1ULL},
    {"SCALAR", "SeluSoftmaxGradient f32 4x5x33 axis=2", 0xe0664d4e7d502ee9ULL},
    {"SCALAR", "Selu f64 3x1000", 0xd79c7b7afa08052eULL},
    {"SCALAR", "SeluGradient f64 3x1000", 0x3bd5897851bde535ULL},
    {"SCALAR", "Sum f64 3x1000", 0x80c44c8b86f6cb53ULL},
    {"SCALAR", "WeightedSum f64 3x1000", 0xe5bea7bfb15e932aULL},
    {"SCALAR", "SoftmaxWithLoss f64 3x1000", 0x8beeae858f4ab2faULL},
    {"SCALAR", "SoftmaxWithLossGradient f64 3x1000", 0xe57b4960b3b11724ULL},
    {"SCALAR", "Selu f64 17x33", 0x760b913d6b6b1cccULL},
    {"SCALAR", "SeluGradient f64 17x33", 0xeda95664f91d9c9cULL},
    {"SCALAR", "Sum f64 17x33", 0xc3fd0a990e91016dULL},
    {"SCALAR", "WeightedSum f64 17x33", 0xa6ce4364dc859665ULL},
    {"SCALAR", "SoftmaxWithLoss f64 17x33", 0xaefae5ddc863540cULL},
    {"SCALAR", "SoftmaxWithLossGradient f64 17x33", 0x55d336bacb29ccbcULL},
    {"SCALAR", "Selu f64 1x4097", 0x1aa98b1821fdd6c2ULL},
    {"SCALAR", "SeluGradient f64 1x4097", 0x0be7e6730af5cf65ULL},
    {"SCALAR", "Sum f64 1x4097", 0x00a44debab26d168ULL},
    {"SCALAR", "WeightedSum f64 1x4097", 0xc0655143e8834becULL},
    {"SCALAR", "SoftmaxWithLoss f64 1x4097", 0x362766203cf8f0a4ULL},
    {"SCALAR", "SoftmaxWithLossGradient f64 1x4097", 0xc76ceb5d4eb84679ULL},
    {"SCALAR", "Softmax f64 3x1000 axis=1", 0xbcc8a156290109b8ULL},
    {"SCALAR", "SoftmaxGradient f64 3x1000 axis=1", 0x980e1a4d0e9f8cb6ULL},
    {"SCALAR", "Softmax f64 17x33 axis=1", 0x5ed69305c7ef7a26ULL},
    {"SCALAR", "SoftmaxGradient f64 17x33 axis=1", 0x44fb212a3496534eULL},
    {"SCALAR", "Softmax f64 1x4097 axis=1", 0x84ae6b4069065791ULL},
    {"SCALAR", "SoftmaxGradient f64 1x4097 axis=1", 0x90a872d0d68e8cd0ULL},
    {"SCALAR", "Softmax f64 4x5x33 axis=1", 0x0a0cfd73ce1327bbULL},
    {"SCALAR", "SoftmaxGradient f64 4x5x33 axis=1", 0xc835449123acb1bfULL},
    {"SCALAR", "Softmax f64 4x5x33 axis=2", 0x83ff3877f929c3eaULL},
    {"SCALAR", "SoftmaxGradient f64 4x5x33 axis=2", 0x3ba8647af434059fULL},
    {"SCALAR", "SeluSoftmax f64 3x1000 axis=0", 0xa4e0eec985e17c0dULL},
    {"SCALAR", "SeluSoftmaxGradient f64 3x1000 axis=0", 0x9c1b0c18689989acULL},
    {"SCALAR", "SeluSoftmax f64 3x1000 axis=1", 0x430c523220eafb41ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 3x1000 axis=1", 0x51f9fa0d6d908aa6ULL},
    {"SCALAR", "SeluSoftmax f64 17x33 axis=0", 0xbdb26925423b86f4ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 17x33 axis=0", 0x2d6f6be7cda1082aULL},
    {"SCALAR", "SeluSoftmax f64 17x33 axis=1", 0x4473ddcbcad60437ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 17x33 axis=1", 0x896035ec8c7fae97ULL},
    {"SCALAR", "SeluSoftmax f64 1x4097 axis=0", 0xa0dc91780bab30a5ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 1x4097 axis=0", 0x2a26795fe84ade60ULL},
    {"SCALAR", "SeluSoftmax f64 1x4097 axis=1", 0xb6d645bc0ea3f1e5ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 1x4097 axis=1", 0x002027c9ca4bc2ceULL},
    {"SCALAR", "SeluSoftmax f64 4x5x33 axis=1", 0xd0f2607324bf828fULL},
    {"SCALAR", "SeluSoftmaxGradient f64 4x5x33 axis=1", 0x7ab111bcaf09e017ULL},
    {"SCALAR", "SeluSoftmax f64 4x5x33 axis=2", 0x0454eb3c2ef39825ULL},
    {"SCALAR", "SeluSoftmaxGradient f64 4x5x33 axis=2", 0xac5fadaec0847375ULL},
};

// FNV-1a, 64 bit, continued over several byte ranges.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
uint64_t Fnv1a(uint64_t h, const void* data, size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string DimsKey(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += "x";
    s += std::to_string(dims[i]);
  }
  return s;
}

uint64_t SeedOf(const std::string& key) { return Fnv1a(kFnvOffset, key.data(), key.size()); }

// Values spanning what the kernels treat differently: mostly [-12, 6]
// (selu's both halves, exp over a wide range), 1/32 each of +0, -0, tiny
// values (|x| < 1e-3), large negatives [-1000, -40] (exp and expm1 clamps,
// underflow) and large positives [20, 90] (which make the other exps of
// their softmax row small or subnormal in float32).
template <typename T>
Tensor Mixed(const std::vector<int64_t>& dims, Rng& rng) {
  Tensor t;
  CHECK(t.Resize(DTypeOf<T>::value, dims).ok());
  T* p = t.mutable_data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = 0;
    switch (rng.Next() % 32) {
      case 0:
        v = 0.0;
        break;
      case 1:
        v = -0.0;
        break;
      case 2:
        v = rng.Uniform(-1e-3, 1e-3);
        break;
      case 3:
        v = rng.Uniform(-1000, -40);
        break;
      case 4:
        v = rng.Uniform(20, 90);
        break;
      default:
        v = rng.Uniform(-12, 6);
        break;
    }
    p[i] = static_cast<T>(v);
  }
  return t;
}

template <typename T>
Tensor Uniform(const std::vector<int64_t>& dims, Rng& rng, double lo, double hi) {
  return testing::RandomTensor<T>(dims, rng, lo, hi);
}

// One run of one operator: its inputs, in the operator's input order.
// Tensors moved into a vector in the order written: chained calls evaluate
// left to right, which keeps the generator's draws in a fixed order (an
// initializer list would copy, and function arguments have no fixed order).
class TensorList {
 public:
  TensorList&& Add(Tensor t) && {
    v_.push_back(std::move(t));
    return std::move(*this);
  }
  std::vector<Tensor> Take() && { return std::move(v_); }

 private:
  std::vector<Tensor> v_;
};

struct Case {
  std::string key;
  OperatorDef op;
  std::vector<Tensor> inputs;
};

// Feeds the inputs, runs a one-operator NetDef once, and hashes the bytes
// of every output in order (dtype and dims included, so a shape change
// shows too).
uint64_t RunAndHash(const Case& c) {
  Workspace ws;
  NetDef net;
  net.set_name("bit_identity");
  for (int i = 0; i < static_cast<int>(c.inputs.size()); ++i) {
    const absl::Status s = ws.FeedBlob(c.op.input(i), c.inputs[static_cast<size_t>(i)]);
    EXPECT_TRUE(s.ok()) << c.key << ": " << s;
    net.add_external_input(c.op.input(i));
  }
  *net.add_op() = c.op;
  const absl::Status s = ws.RunNetOnce(net);
  EXPECT_TRUE(s.ok()) << c.key << ": " << s;
  if (!s.ok()) return 0;
  uint64_t h = kFnvOffset;
  for (const std::string& name : c.op.output()) {
    const Tensor* t = ws.GetBlob(name);
    EXPECT_NE(t, nullptr) << c.key << ": no output " << name;
    if (t == nullptr) return 0;
    const int dtype = static_cast<int>(t->dtype());
    h = Fnv1a(h, &dtype, sizeof(dtype));
    for (int64_t d : t->dims()) h = Fnv1a(h, &d, sizeof(d));
    h = Fnv1a(h, t->raw_data(), t->nbytes());
  }
  return h;
}

const std::vector<std::vector<int64_t>> kShapes2D = {{3, 1000}, {17, 33}, {1, 4097}};
const std::vector<int64_t> kShape3D = {4, 5, 33};

template <typename T>
void AddCases(const char* dtype, std::vector<Case>* cases) {
  auto add = [&](const std::string& op_type, const std::string& variant,
                 const std::vector<int64_t>& dims) -> Case& {
    cases->push_back(Case{});
    Case& c = cases->back();
    c.key = op_type + " " + dtype + " " + DimsKey(dims) + (variant.empty() ? "" : " " + variant);
    return c;
  };
  // Each case draws its inputs from a generator seeded by its own key, so
  // adding or reordering cases changes no other case's inputs.
  for (const auto& dims : kShapes2D) {
    {
      Case& c = add("Selu", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("Selu", {"X"}, {"Y"});
      c.inputs = TensorList().Add(Mixed<T>(dims, rng)).Take();
    }
    {
      Case& c = add("SeluGradient", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SeluGradient", {"Y", "dY"}, {"dX"});
      // Y spans selu's range (-scale * alpha, inf); dY is any gradient.
      c.inputs = TensorList()
                     .Add(Uniform<T>(dims, rng, -1.75, 6))
                     .Add(Uniform<T>(dims, rng, -2, 2))
                     .Take();
    }
    {
      Case& c = add("Sum", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("Sum", {"A", "B", "C"}, {"Y"});
      c.inputs = TensorList()
                     .Add(Mixed<T>(dims, rng))
                     .Add(Mixed<T>(dims, rng))
                     .Add(Mixed<T>(dims, rng))
                     .Take();
    }
    {
      Case& c = add("WeightedSum", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("WeightedSum", {"A", "wa", "B", "wb", "C", "wc"}, {"Y"});
      c.inputs = TensorList()
                     .Add(Mixed<T>(dims, rng))
                     .Add(MakeTensor<T>({1}, {T(0.7)}))
                     .Add(Mixed<T>(dims, rng))
                     .Add(MakeTensor<T>({1}, {T(-1.3)}))
                     .Add(Mixed<T>(dims, rng))
                     .Add(MakeTensor<T>({1}, {T(1e-3)}))
                     .Take();
    }
    {
      Case& c = add("SoftmaxWithLoss", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SoftmaxWithLoss", {"X", "labels"}, {"P", "loss"});
      std::vector<int32_t> labels(static_cast<size_t>(dims[0]));
      Tensor x = Mixed<T>(dims, rng);
      for (int32_t& l : labels) l = static_cast<int32_t>(rng.Next() % dims[1]);
      c.inputs = TensorList().Add(std::move(x)).Add(MakeTensor<int32_t>({dims[0]}, labels)).Take();
    }
    {
      Case& c = add("SoftmaxWithLossGradient", "", dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SoftmaxWithLossGradient", {"X", "labels", "P", "dloss"}, {"dX"},
                    {FloatArg("scale", 0.75f)});
      std::vector<int32_t> labels(static_cast<size_t>(dims[0]));
      Tensor x = Mixed<T>(dims, rng);
      for (int32_t& l : labels) l = static_cast<int32_t>(rng.Next() % dims[1]);
      Tensor p = Uniform<T>(dims, rng, 0, 1);
      c.inputs = TensorList()
                     .Add(std::move(x))
                     .Add(MakeTensor<int32_t>({dims[0]}, labels))
                     .Add(std::move(p))
                     .Add(MakeTensor<T>({}, {T(1.25)}))
                     .Take();
    }
  }
  // Softmax flattens the dims from `axis` on; SeluSoftmax takes the single
  // dim `axis` (axis 0 of a 2-D tensor and axis 1 of [4, 5, 33] are the
  // strided kernel paths).
  std::vector<std::pair<std::vector<int64_t>, int64_t>> softmax_cases, selu_softmax_cases;
  for (const auto& dims : kShapes2D) {
    softmax_cases.push_back({dims, 1});
    selu_softmax_cases.push_back({dims, 0});
    selu_softmax_cases.push_back({dims, 1});
  }
  for (int64_t axis : {1, 2}) {
    softmax_cases.push_back({kShape3D, axis});
    selu_softmax_cases.push_back({kShape3D, axis});
  }
  for (const auto& [dims, axis] : softmax_cases) {
    const std::string variant = "axis=" + std::to_string(axis);
    {
      Case& c = add("Softmax", variant, dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", axis)});
      c.inputs = TensorList().Add(Mixed<T>(dims, rng)).Take();
    }
    {
      Case& c = add("SoftmaxGradient", variant, dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}, {IntArg("axis", axis)});
      c.inputs =
          TensorList().Add(Uniform<T>(dims, rng, 0, 1)).Add(Uniform<T>(dims, rng, -2, 2)).Take();
    }
  }
  for (const auto& [dims, axis] : selu_softmax_cases) {
    const std::string variant = "axis=" + std::to_string(axis);
    {
      Case& c = add("SeluSoftmax", variant, dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis)});
      c.inputs = TensorList().Add(Mixed<T>(dims, rng)).Take();
    }
    {
      Case& c = add("SeluSoftmaxGradient", variant, dims);
      Rng rng(SeedOf(c.key));
      c.op = MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dX"}, {IntArg("axis", axis)});
      Tensor y = Uniform<T>(dims, rng, 0, 1);
      Tensor dy = Uniform<T>(dims, rng, -2, 2);
      c.inputs = TensorList().Add(std::move(y)).Add(std::move(dy)).Add(Mixed<T>(dims, rng)).Take();
    }
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  AddCases<float>("f32", &cases);
  AddCases<double>("f64", &cases);
  return cases;
}

class BitIdentityTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_TRUE(kernels::ForceTargetForTesting(GetParam())); }
  void TearDown() override { kernels::ForceTargetForTesting(""); }
};

// The fingerprints were recorded from the optimized (-O3) build; a sanitizer
// build compiles at -O1, where the compiler contracts and orders some
// floating-point operations differently, so its bits legitimately differ.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OPGRAPH_BIT_IDENTITY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OPGRAPH_BIT_IDENTITY_SANITIZED 1
#endif
#endif

TEST_P(BitIdentityTest, OutputsMatchRecordedFingerprints) {
#ifdef OPGRAPH_BIT_IDENTITY_SANITIZED
  GTEST_SKIP() << "fingerprints were recorded from the optimized build; a sanitizer build "
                  "(-O1) may round differently";
#endif
  const std::string target = GetParam();
  ASSERT_EQ(kernels::CurrentTarget(), target);
  std::map<std::string, uint64_t> expected;
  for (const Fingerprint& f : kRecorded) {
    if (target == f.target) expected[f.key] = f.hash;
  }
  const std::vector<Case> cases = AllCases();
  std::map<std::string, uint64_t> got;
  for (const Case& c : cases) {
    ASSERT_EQ(got.count(c.key), 0u) << "duplicate key " << c.key;
    got[c.key] = RunAndHash(c);
  }
  if (std::getenv("OPGRAPH_PRINT_FINGERPRINTS") != nullptr) {
    for (const Case& c : cases) {
      std::printf("    {\"%s\", \"%s\", 0x%016" PRIx64 "ULL},\n", target.c_str(), c.key.c_str(),
                  got[c.key]);
    }
  }
  if (expected.empty()) {
    GTEST_SKIP() << "no fingerprints were recorded for target " << target
                 << " (recorded: AVX2, SSE4, SSSE3, SCALAR)";
  }
  // Every recorded case must still exist and every case must be recorded,
  // so neither side can shrink unnoticed.
  EXPECT_EQ(expected.size(), got.size());
  for (const auto& [key, hash] : expected) {
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << target << ": recorded case " << key << " no longer exists";
      continue;
    }
    EXPECT_EQ(it->second, hash) << target << ": " << key << " changed bits (got 0x" << std::hex
                                << it->second << ", recorded 0x" << hash << ")";
  }
  for (const auto& [key, hash] : got) {
    EXPECT_EQ(expected.count(key), 1u) << target << ": case " << key << " has no fingerprint";
  }
}

// The recorded fingerprints must cover the targets the header comment
// names, and at least one target this CPU runs must be among them (else the
// whole test would be skips).
TEST(BitIdentityTable, CoversTheNamedTargetsAndThisCpu) {
  std::set<std::string> recorded;
  for (const Fingerprint& f : kRecorded) recorded.insert(f.target);
  EXPECT_EQ(recorded, (std::set<std::string>{"AVX2", "SSE4", "SSSE3", "SCALAR"}));
  bool any = false;
  for (const std::string& t : kernels::AvailableTargets()) any = any || recorded.count(t) > 0;
  EXPECT_TRUE(any) << "none of this CPU's targets has fingerprints";
}

INSTANTIATE_TEST_SUITE_P(AllTargets, BitIdentityTest,
                         ::testing::ValuesIn(kernels::AvailableTargets()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace opgraph
