// Helpers shared by the tests: a portable random generator and a way to run
// one operator on given inputs.
#ifndef OPGRAPH_TESTS_TEST_UTIL_H_
#define OPGRAPH_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace testing {

// SplitMix64: the same sequence on every standard library, unlike
// std::uniform_*_distribution.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

 private:
  uint64_t state_;
};

// A tensor of the given dims filled with uniform values in [lo, hi).
template <typename T>
Tensor RandomTensor(const std::vector<int64_t>& dims, Rng& rng, double lo, double hi) {
  Tensor t;
  CHECK(t.Resize(DTypeOf<T>::value, dims).ok());
  T* p = t.mutable_data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(rng.Uniform(lo, hi));
  return t;
}

template <typename T>
Tensor MakeTensor(const std::vector<int64_t>& dims, const std::vector<T>& values) {
  absl::StatusOr<Tensor> t = Tensor::FromVector<T>(dims, values);
  CHECK(t.ok()) << t.status();
  return *std::move(t);
}

template <typename T>
std::vector<T> ToVector(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

// An OperatorDef of `type` with inputs, outputs and arguments.
OperatorDef MakeOp(const std::string& type, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, const std::vector<Argument>& args = {});
Argument FloatArg(const std::string& name, float v);
Argument IntArg(const std::string& name, int64_t v);
Argument IntsArg(const std::string& name, const std::vector<int64_t>& v);
Argument FloatsArg(const std::string& name, const std::vector<float>& v);

using TensorRefs = std::vector<TensorRef>;  // core/tensor.h
inline TensorRefs Refs(const std::vector<Tensor>& v) { return TensorRefs(v.begin(), v.end()); }

// A copy for tests (CHECK-fails when it cannot be allocated).
inline Tensor Copy(const Tensor& t) {
  absl::StatusOr<Tensor> c = t.Clone();
  CHECK(c.ok()) << c.status();
  return *std::move(c);
}

// Feeds `inputs` (named as in `op`, in order) into a fresh workspace, runs
// `op` as a one-operator net, and returns its outputs in order. Any error
// of net creation or run is returned.
absl::StatusOr<std::vector<Tensor>> RunOp(const OperatorDef& op, const TensorRefs& inputs);

// The status of creating (not running) a one-operator net over `inputs`,
// fed under the operator's input names in order: where schema checks, shape
// inference and Init() report.
absl::Status CreateStatus(const OperatorDef& op, const TensorRefs& inputs);

// True when the message of `s` contains `what`.
inline bool Contains(const absl::Status& s, const std::string& what) {
  return s.message().find(what) != absl::string_view::npos;
}

}  // namespace testing
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_TEST_UTIL_H_
