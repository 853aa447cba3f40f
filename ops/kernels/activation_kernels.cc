// Relu / Selu / Softmax kernels: the dispatch glue. The kernels themselves are in
// the per-target headers exp-inl.h (exp, expm1), selu-inl.h (Selu, its
// gradient, elementwise loops), relu-inl.h (Relu, Sigmoid, Tanh and their gradients) and
// softmax-inl.h (Softmax, SeluSoftmax and their gradients).
//
// This file includes itself through hwy/foreach_target.h: the entry points
// inside HWY_NAMESPACE are compiled once for every target; the dispatching
// public functions at the bottom are compiled once (HWY_ONCE).

#include "ops/kernels/activation_kernels.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/kernels/activation_kernels.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "ops/kernels/exp-inl.h"
#include "ops/kernels/relu-inl.h"
#include "ops/kernels/selu-inl.h"
#include "ops/kernels/softmax-inl.h"

HWY_BEFORE_NAMESPACE();
namespace opgraph {
namespace kernels {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ---------------------------------------------------------------------------
// Non-template entry points, one set per target, for HWY_EXPORT.

void SeluF32(const float* x, float* y, size_t n, float alpha, float scale) {
  ApplyFn(hn::ScalableTag<float>(), SeluFn<float>{scale, scale * alpha}, x, y, n);
}
void SeluF64(const double* x, double* y, size_t n, double alpha, double scale) {
  ApplyFn(hn::ScalableTag<double>(), SeluFn<double>{scale, scale * alpha}, x, y, n);
}
void SeluGradientF32(const float* y, const float* dy, float* dx, size_t n, float alpha,
                     float scale) {
  MapBinary(SeluGradOp<float>{scale, scale * alpha}, y, dy, dx, n);
}
void SeluGradientF64(const double* y, const double* dy, double* dx, size_t n, double alpha,
                     double scale) {
  MapBinary(SeluGradOp<double>{scale, scale * alpha}, y, dy, dx, n);
}
void ReluF32(const float* x, float* y, size_t n) {
  ApplyFn(hn::ScalableTag<float>(), ReluFn(), x, y, n);
}
void ReluF64(const double* x, double* y, size_t n) {
  ApplyFn(hn::ScalableTag<double>(), ReluFn(), x, y, n);
}
void ReluGradientF32(const float* y, const float* dy, float* dx, size_t n) {
  MapBinary(ReluGradOp(), y, dy, dx, n);
}
void ReluGradientF64(const double* y, const double* dy, double* dx, size_t n) {
  MapBinary(ReluGradOp(), y, dy, dx, n);
}
void SigmoidF32(const float* x, float* y, size_t n) {
  ApplyFn(hn::ScalableTag<float>(), SigmoidFn<>(), x, y, n);
}
void SigmoidF64(const double* x, double* y, size_t n) {
  ApplyFn(hn::ScalableTag<double>(), SigmoidFn<>(), x, y, n);
}
void SigmoidGradientF32(const float* y, const float* dy, float* dx, size_t n) {
  MapBinary(SigmoidGradOp(), y, dy, dx, n);
}
void SigmoidGradientF64(const double* y, const double* dy, double* dx, size_t n) {
  MapBinary(SigmoidGradOp(), y, dy, dx, n);
}
void TanhF32(const float* x, float* y, size_t n) {
  ApplyFn(hn::ScalableTag<float>(), TanhFn<>(), x, y, n);
}
void TanhF64(const double* x, double* y, size_t n) {
  ApplyFn(hn::ScalableTag<double>(), TanhFn<>(), x, y, n);
}
void TanhGradientF32(const float* y, const float* dy, float* dx, size_t n) {
  MapBinary(TanhGradOp(), y, dy, dx, n);
}
void TanhGradientF64(const double* y, const double* dy, double* dx, size_t n) {
  MapBinary(TanhGradOp(), y, dy, dx, n);
}
void SoftmaxF32(const float* x, float* y, size_t outer, size_t n, size_t inner) {
  SoftmaxStridedLoop(IdentityFn(), x, y, outer, n, inner);
}
void SoftmaxF64(const double* x, double* y, size_t outer, size_t n, size_t inner) {
  SoftmaxStridedLoop(IdentityFn(), x, y, outer, n, inner);
}
void SeluSoftmaxF32(const float* x, float* y, size_t outer, size_t n, size_t inner, float alpha,
                    float scale) {
  SoftmaxStridedLoop(SeluFn<float>{scale, scale * alpha}, x, y, outer, n, inner);
}
void SeluSoftmaxF64(const double* x, double* y, size_t outer, size_t n, size_t inner, double alpha,
                    double scale) {
  SoftmaxStridedLoop(SeluFn<double>{scale, scale * alpha}, x, y, outer, n, inner);
}
void SoftmaxGradF32(const float* y, const float* dy, float* dx, size_t outer, size_t n,
                    size_t inner) {
  SoftmaxGradStridedLoop<float>(NoChain(), y, dy, dx, nullptr, outer, n, inner);
}
void SoftmaxGradF64(const double* y, const double* dy, double* dx, size_t outer, size_t n,
                    size_t inner) {
  SoftmaxGradStridedLoop<double>(NoChain(), y, dy, dx, nullptr, outer, n, inner);
}
void SeluSoftmaxGradF32(const float* y, const float* dy, float* dx, size_t outer, size_t n,
                        size_t inner, const float* x, float alpha, float scale) {
  SoftmaxGradStridedLoop(SeluChain<float>{scale, scale * alpha}, y, dy, dx, x, outer, n, inner);
}
void SeluSoftmaxGradF64(const double* y, const double* dy, double* dx, size_t outer, size_t n,
                        size_t inner, const double* x, double alpha, double scale) {
  SoftmaxGradStridedLoop(SeluChain<double>{scale, scale * alpha}, y, dy, dx, x, outer, n, inner);
}

int64_t TargetOfThisCode() { return HWY_TARGET; }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace kernels
}  // namespace opgraph
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace opgraph {
namespace kernels {

HWY_EXPORT(SeluF32);
HWY_EXPORT(SeluF64);
HWY_EXPORT(SeluGradientF32);
HWY_EXPORT(SeluGradientF64);
HWY_EXPORT(ReluF32);
HWY_EXPORT(ReluF64);
HWY_EXPORT(ReluGradientF32);
HWY_EXPORT(ReluGradientF64);
HWY_EXPORT(SigmoidF32);
HWY_EXPORT(SigmoidF64);
HWY_EXPORT(SigmoidGradientF32);
HWY_EXPORT(SigmoidGradientF64);
HWY_EXPORT(TanhF32);
HWY_EXPORT(TanhF64);
HWY_EXPORT(TanhGradientF32);
HWY_EXPORT(TanhGradientF64);
HWY_EXPORT(SoftmaxF32);
HWY_EXPORT(SoftmaxF64);
HWY_EXPORT(SeluSoftmaxF32);
HWY_EXPORT(SeluSoftmaxF64);
HWY_EXPORT(SoftmaxGradF32);
HWY_EXPORT(SoftmaxGradF64);
HWY_EXPORT(SeluSoftmaxGradF32);
HWY_EXPORT(SeluSoftmaxGradF64);
HWY_EXPORT(TargetOfThisCode);

namespace {

// Any zero extent means no work; negative extents are caller bugs that the
// operator layer rejects before calling.
bool Empty(int64_t a, int64_t b = 1, int64_t c = 1) { return a <= 0 || b <= 0 || c <= 0; }

size_t U(int64_t v) { return static_cast<size_t>(v); }

}  // namespace

void Relu(const float* x, float* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(ReluF32)(x, y, U(n));
}
void Relu(const double* x, double* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(ReluF64)(x, y, U(n));
}
void ReluGradient(const float* y, const float* dy, float* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(ReluGradientF32)(y, dy, dx, U(n));
}
void ReluGradient(const double* y, const double* dy, double* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(ReluGradientF64)(y, dy, dx, U(n));
}
void Sigmoid(const float* x, float* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SigmoidF32)(x, y, U(n));
}
void Sigmoid(const double* x, double* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SigmoidF64)(x, y, U(n));
}
void SigmoidGradient(const float* y, const float* dy, float* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SigmoidGradientF32)(y, dy, dx, U(n));
}
void SigmoidGradient(const double* y, const double* dy, double* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SigmoidGradientF64)(y, dy, dx, U(n));
}
void Tanh(const float* x, float* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(TanhF32)(x, y, U(n));
}
void Tanh(const double* x, double* y, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(TanhF64)(x, y, U(n));
}
void TanhGradient(const float* y, const float* dy, float* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(TanhGradientF32)(y, dy, dx, U(n));
}
void TanhGradient(const double* y, const double* dy, double* dx, int64_t n) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(TanhGradientF64)(y, dy, dx, U(n));
}
void Selu(const float* x, float* y, int64_t n, float alpha, float scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluF32)(x, y, U(n), alpha, scale);
}
void Selu(const double* x, double* y, int64_t n, double alpha, double scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluF64)(x, y, U(n), alpha, scale);
}

void SeluGradient(const float* y, const float* dy, float* dx, int64_t n, float alpha, float scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluGradientF32)(y, dy, dx, U(n), alpha, scale);
}
void SeluGradient(const double* y, const double* dy, double* dx, int64_t n, double alpha,
                  double scale) {
  if (Empty(n)) return;
  HWY_DYNAMIC_DISPATCH(SeluGradientF64)(y, dy, dx, U(n), alpha, scale);
}

void Softmax(const float* x, float* y, int64_t rows, int64_t d) {
  SoftmaxStrided(x, y, rows, d, 1);
}
void Softmax(const double* x, double* y, int64_t rows, int64_t d) {
  SoftmaxStrided(x, y, rows, d, 1);
}

void SoftmaxGradient(const float* y, const float* dy, float* dx, int64_t rows, int64_t d) {
  SoftmaxGradientStrided(y, dy, dx, rows, d, 1);
}
void SoftmaxGradient(const double* y, const double* dy, double* dx, int64_t rows, int64_t d) {
  SoftmaxGradientStrided(y, dy, dx, rows, d, 1);
}

void SoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxF32)(x, y, U(outer), U(d), U(inner));
}
void SoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxF64)(x, y, U(outer), U(d), U(inner));
}

void SeluSoftmaxStrided(const float* x, float* y, int64_t outer, int64_t d, int64_t inner,
                        float alpha, float scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxF32)(x, y, U(outer), U(d), U(inner), alpha, scale);
}
void SeluSoftmaxStrided(const double* x, double* y, int64_t outer, int64_t d, int64_t inner,
                        double alpha, double scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxF64)(x, y, U(outer), U(d), U(inner), alpha, scale);
}

void SoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer, int64_t d,
                            int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxGradF32)(y, dy, dx, U(outer), U(d), U(inner));
}
void SoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer, int64_t d,
                            int64_t inner) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SoftmaxGradF64)(y, dy, dx, U(outer), U(d), U(inner));
}

void SeluSoftmaxGradientStrided(const float* y, const float* dy, float* dx, int64_t outer,
                                int64_t d, int64_t inner, const float* x, float alpha,
                                float scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxGradF32)(y, dy, dx, U(outer), U(d), U(inner), x, alpha, scale);
}
void SeluSoftmaxGradientStrided(const double* y, const double* dy, double* dx, int64_t outer,
                                int64_t d, int64_t inner, const double* x, double alpha,
                                double scale) {
  if (Empty(outer, d, inner)) return;
  HWY_DYNAMIC_DISPATCH(SeluSoftmaxGradF64)(y, dy, dx, U(outer), U(d), U(inner), x, alpha, scale);
}

namespace {

// The target currently forced by ForceTargetForTesting, 0 if none. Highway
// offers no getter for its test mask, and the lists below must be computed
// with the mask cleared.
int64_t& ForcedTarget() {
  static int64_t forced = 0;
  return forced;
}

std::vector<int64_t> UnforcedTargets() {
  if (ForcedTarget() != 0) hwy::SetSupportedTargetsForTest(0);
  // Lowest bit first, which is best first on x86.
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  if (ForcedTarget() != 0) hwy::SetSupportedTargetsForTest(ForcedTarget());
  return targets;
}

}  // namespace

std::vector<std::string> AvailableTargets() {
  std::vector<std::string> names;
  for (int64_t t : UnforcedTargets()) names.emplace_back(hwy::TargetName(t));
  return names;
}

std::string CurrentTarget() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(TargetOfThisCode)()); }

bool ForceTargetForTesting(const std::string& name) {
  int64_t chosen = 0;
  if (!name.empty()) {
    for (int64_t t : UnforcedTargets()) {
      if (name == hwy::TargetName(t)) chosen = t;
    }
    if (chosen == 0) return false;
  }
  ForcedTarget() = chosen;
  hwy::SetSupportedTargetsForTest(chosen);
  return true;
}

}  // namespace kernels
}  // namespace opgraph
#endif  // HWY_ONCE
