// What the fill operators share (Caffe2's FillerOp family): where the output
// shape comes from, the `dtype` argument, and the seeded random generator.
//
// Output shape, as in Caffe2's FillerOp:
//   no input:                  the `shape` argument (extra_shape and
//                              input_as_shape need an input and are refused);
//   input 0, input_as_shape=0: input 0's dims, then `extra_shape`;
//   input 0, input_as_shape=1: the values of input 0, a 1-D int64 tensor
//                              that must be constant (an initializer or an
//                              init-net blob), then `extra_shape`.
// `shape` together with an input is refused.
//
// Random fills draw from SplitMix64 (Steele, Lea and Flood 2014), so values
// are the same on every platform and every run. The seed is, in order: the
// operator's `seed` argument; else a mix of device_option.random_seed (the
// operator's, or the net's when the operator has none) with a hash of the
// output blob's name; else that hash alone. Caffe2 draws from its own
// generator, so seeded values differ from Caffe2's, and unseeded Caffe2
// fills differ on every run while opgraph's do not.
#ifndef OPGRAPH_OPS_FILL_UTIL_H_
#define OPGRAPH_OPS_FILL_UTIL_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/op_schema.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The output dims described above. InvalidArgument naming the argument or
// input at fault.
absl::StatusOr<std::vector<int64_t>> FillDims(const OperatorDef& def,
                                              absl::Span<const TensorType> inputs,
                                              absl::Span<const Tensor* const> values);

// The `dtype` argument `a` as a DType. InvalidArgument when its value is not
// a TensorProto.DataType value at all, names a type opgraph tensors do
// not hold (FLOAT16, ...), or is STRING (the numeric fills do not make
// strings).
absl::StatusOr<DType> DTypeArgument(const Argument& a);

// Declares `shape`, `extra_shape` and `input_as_shape` on `schema`; used
// as OPERATOR_SCHEMA(X).Apply(FillShapeArguments).
void FillShapeArguments(OpSchema& schema);

// The seed described above.
uint64_t FillSeed(const OperatorDef& def);

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), from the top 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// p[0, n) ~ Uniform[lo, hi).
template <typename T>
void DrawUniform(SplitMix64& rng, double lo, double hi, T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(lo + (hi - lo) * rng.Uniform());
}

// p[0, n) ~ Normal(mean, std^2): Box-Muller, both the cosine and the sine.
template <typename T>
void DrawGaussian(SplitMix64& rng, double mean, double std, T* p, int64_t n) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t i = 0; i < n; i += 2) {
    // 1 - U lies in (0, 1], so the logarithm is finite.
    const double r = std::sqrt(-2.0 * std::log(1.0 - rng.Uniform()));
    const double theta = kTwoPi * rng.Uniform();
    p[i] = static_cast<T>(mean + std * r * std::cos(theta));
    if (i + 1 < n) p[i + 1] = static_cast<T>(mean + std * r * std::sin(theta));
  }
}

}  // namespace opgraph

#endif  // OPGRAPH_OPS_FILL_UTIL_H_
