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
// The table is in bit_identity_fingerprints.inc. To print the current
// hashes in its syntax (to re-record after a
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
#include "tests/ops/bit_identity_fingerprints.inc"  // NOLINT(build/include)
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
