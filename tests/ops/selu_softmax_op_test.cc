// Tests of SeluSoftmax and SeluSoftmaxGradient (ops/selu_softmax_op.cc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::Copy;
using testing::CreateStatus;
using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::TensorRefs;
using testing::ToVector;

constexpr long double kAlpha = 1.6732632423543772848170429916717L;
constexpr long double kScale = 1.0507009873554804934193349852946L;

Tensor RunOne(const OperatorDef& op, const TensorRefs& inputs) {
  absl::StatusOr<std::vector<Tensor>> out = RunOp(op, inputs);
  CHECK(out.ok()) << out.status();
  return std::move((*out)[0]);
}

// softmax(selu(x)) along `axis` of `dims`, in long double, with the alpha
// and scale the operator uses for T (the defaults rounded to T).
template <typename T>
std::vector<long double> Reference(const std::vector<int64_t>& dims, const std::vector<T>& x,
                                   int axis, long double alpha, long double scale,
                                   std::vector<long double>* h_out = nullptr) {
  const int ndim = static_cast<int>(dims.size());
  int64_t outer = 1, inner = 1;
  for (int k = 0; k < axis; ++k) outer *= dims[k];
  for (int k = axis + 1; k < ndim; ++k) inner *= dims[k];
  const int64_t d = dims[axis];
  std::vector<long double> h(x.size()), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const long double v = x[i];
    h[i] = v > 0 ? scale * v : scale * alpha * std::expm1(v);
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t k) { return (o * d + k) * inner + j; };
      long double m = h[at(0)];
      for (int64_t k = 1; k < d; ++k) m = std::max(m, h[at(k)]);
      long double sum = 0;
      for (int64_t k = 0; k < d; ++k) sum += std::exp(h[at(k)] - m);
      for (int64_t k = 0; k < d; ++k) y[at(k)] = std::exp(h[at(k)] - m) / sum;
    }
  }
  if (h_out != nullptr) *h_out = h;
  return y;
}

// The kernels' Softmax bound applied to selu(x), widened by how the Selu
// error (<= 3 ULP of each h) moves a softmax: at most 6 * eps * max |h|
// relative per element, counted twice (numerator and sum).
template <typename T>
long double Bound(long double exact, long double h_minus_max, long double max_abs_h, int64_t d) {
  const long double eps = std::numeric_limits<T>::epsilon();
  return (8 + std::fabs(h_minus_max) + d / 4.0L + 12 * max_abs_h) * eps * exact +
         4.0L * std::numeric_limits<T>::denorm_min();
}

template <typename T>
void ExpectNearReference(const std::vector<int64_t>& dims, const std::vector<T>& x,
                         const std::vector<T>& y, int axis) {
  const long double alpha = static_cast<T>(kAlpha), scale = static_cast<T>(kScale);
  std::vector<long double> h;
  const std::vector<long double> ref = Reference(dims, x, axis, alpha, scale, &h);
  long double max_abs_h = 0, max_h = -INFINITY;
  for (long double v : h) {
    max_abs_h = std::max(max_abs_h, std::fabs(v));
    max_h = std::max(max_h, v);
  }
  ASSERT_EQ(y.size(), ref.size());
  for (size_t i = 0; i < y.size(); ++i) {
    // max_h over the whole tensor bounds |h_i - row max| from above.
    const long double bound = Bound<T>(ref[i], max_h - h[i], max_abs_h, dims[axis]);
    ASSERT_LE(std::fabs(y[i] - ref[i]), bound) << "element " << i << " axis " << axis;
  }
}

// Golden values: the exact result rounded to 17 digits, from Python 3's
// decimal module at 50 digits (selu with the full-precision constants, then
// m = max(h); e = [(v - m).exp() for v in h]; e_i / sum(e)).
const std::vector<double> kX = {-2, -0.5, 0, 1.5, 3, -1, 0.25, -0.125};
// kX as one vector of 8 (axis 0).
const std::vector<double> kY1d = {0.0067527301264045277, 0.015461532531693021, 0.030880142966128381,
                                  0.14933092791591457,   0.72213804374830959,  0.0101632941510491,
                                  0.040156671931455522,  0.02511665662904532};
// kX as [2, 4] with axis 0: softmax down each column of 2.
const std::vector<double> kY2x4Axis0 = {
    0.0092643923732326251, 0.60338096031323007, 0.43470618735720756, 0.85602175751208487,
    0.99073560762676738,   0.39661903968676998, 0.56529381264279244, 0.14397824248791519};

template <typename T>
void CheckGolden() {
  const std::vector<T> x(kX.begin(), kX.end());
  // Relative tolerance: a few eps, plus the rounding of the float defaults.
  const double tol = std::is_same_v<T, float> ? 4e-6 : 1e-14;
  const std::vector<T> y1 =
      ToVector<T>(RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}), {MakeTensor<T>({8}, x)}));
  ASSERT_EQ(y1.size(), kY1d.size());
  for (size_t i = 0; i < y1.size(); ++i) EXPECT_NEAR(y1[i], kY1d[i], tol * kY1d[i]) << i;
  for (int64_t axis : {0, -2}) {
    const std::vector<T> y2 = ToVector<T>(RunOne(
        MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis)}), {MakeTensor<T>({2, 4}, x)}));
    for (size_t i = 0; i < y2.size(); ++i) {
      EXPECT_NEAR(y2[i], kY2x4Axis0[i], tol * kY2x4Axis0[i]) << i << " axis " << axis;
    }
  }
}

TEST(SeluSoftmaxOpTest, GoldenOneDimensionalAndColumnsFloat) { CheckGolden<float>(); }
TEST(SeluSoftmaxOpTest, GoldenOneDimensionalAndColumnsDouble) { CheckGolden<double>(); }

template <typename T>
void CheckAxes(uint64_t seed) {
  Rng rng(seed);
  const std::vector<int64_t> dims = {3, 4, 5};
  const Tensor x = RandomTensor<T>(dims, rng, -5, 5);
  for (int64_t axis : {0, 1, 2, -1, -2, -3}) {
    SCOPED_TRACE(axis);
    const Tensor y = RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
    EXPECT_EQ(y.dims(), dims);
    ExpectNearReference<T>(dims, ToVector<T>(x), ToVector<T>(y),
                           static_cast<int>(axis < 0 ? axis + 3 : axis));
  }
  // Larger rows and a 1-D input of 1000.
  const Tensor big = RandomTensor<T>({6, 257}, rng, -8, 8);
  ExpectNearReference<T>(
      {6, 257}, ToVector<T>(big),
      ToVector<T>(RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", 1)}), {big})), 1);
  const Tensor vec = RandomTensor<T>({1000}, rng, -3, 3);
  ExpectNearReference<T>({1000}, ToVector<T>(vec),
                         ToVector<T>(RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}), {vec})), 0);
}

TEST(SeluSoftmaxOpTest, EveryAxisMatchesLongDoubleReferenceFloat) { CheckAxes<float>(7); }
TEST(SeluSoftmaxOpTest, EveryAxisMatchesLongDoubleReferenceDouble) { CheckAxes<double>(8); }

// The kernels promise bit-identical results to Selu followed by Softmax
// wherever the two mean the same thing: the last axis, or only 1s after it.
template <typename T>
void CheckSameAsSeluThenSoftmax() {
  Rng rng(99);
  const std::vector<Argument> selu_args = {FloatArg("alpha", 1.5f), FloatArg("scale", 1.25f)};
  for (const auto& [dims, axis] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
           {{4, 33}, 1}, {{2, 3, 17}, -1}, {{5, 9, 1}, 1}, {{5, 9, 1, 1}, 1}, {{40}, 0}}) {
    SCOPED_TRACE(DimsToString(dims));
    const Tensor x = RandomTensor<T>(dims, rng, -6, 6);
    const Tensor h = RunOne(MakeOp("Selu", {"X"}, {"H"}, selu_args), {x});
    const Tensor want = RunOne(MakeOp("Softmax", {"H"}, {"Y"}, {IntArg("axis", axis)}), {h});
    std::vector<Argument> args = selu_args;
    args.push_back(IntArg("axis", axis));
    const Tensor got = RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}, args), {x});
    const std::vector<T> a = ToVector<T>(got), b = ToVector<T>(want);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << i;
  }
}

TEST(SeluSoftmaxOpTest, BitIdenticalToSeluThenSoftmaxFloat) { CheckSameAsSeluThenSoftmax<float>(); }
TEST(SeluSoftmaxOpTest, BitIdenticalToSeluThenSoftmaxDouble) {
  CheckSameAsSeluThenSoftmax<double>();
}

// A middle axis is one dimension, not the flattened tail Softmax uses.
TEST(SeluSoftmaxOpTest, MiddleAxisIsOneDimension) {
  Rng rng(5);
  const Tensor x = RandomTensor<double>({2, 3, 4}, rng, -2, 2);
  const std::vector<double> y =
      ToVector<double>(RunOne(MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", 1)}), {x}));
  for (int o = 0; o < 2; ++o) {
    for (int j = 0; j < 4; ++j) {
      double sum = 0;
      for (int k = 0; k < 3; ++k) sum += y[(o * 3 + k) * 4 + j];
      EXPECT_NEAR(sum, 1.0, 1e-14) << o << "," << j;
    }
  }
  const Tensor h = RunOne(MakeOp("Selu", {"X"}, {"H"}), {x});
  const std::vector<double> flat =
      ToVector<double>(RunOne(MakeOp("Softmax", {"H"}, {"Y"}, {IntArg("axis", 1)}), {h}));
  EXPECT_GT(std::fabs(flat[0] - y[0]), 0.1);
}

template <typename T>
void CheckSpecialValues() {
  constexpr T kNaN = std::numeric_limits<T>::quiet_NaN();
  constexpr T kInf = std::numeric_limits<T>::infinity();
  // Rows of 3 (last axis): NaN row, +inf row, -inf among finite, huge value,
  // an ordinary row that must stay unaffected.
  const std::vector<T> x = {1, kNaN, 2, 1, kInf, 0, -kInf, 0, 1, 1e30f, 0, -1, 0.5, -0.5, 2};
  const std::vector<T> y = ToVector<T>(RunOne(
      MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", -1)}), {MakeTensor<T>({5, 3}, x)}));
  for (int j = 0; j < 6; ++j) EXPECT_TRUE(std::isnan(y[j])) << j;
  // selu(-inf) = -scale * alpha, an ordinary finite value.
  const long double sa = static_cast<long double>(static_cast<T>(kScale)) *
                         static_cast<long double>(static_cast<T>(kAlpha));
  const long double s = static_cast<T>(kScale);
  const long double e0 = std::exp(-sa - s), e1 = std::exp(0.0L - s), e2 = 1;
  const long double eps = std::numeric_limits<T>::epsilon();
  EXPECT_NEAR(y[6], e0 / (e0 + e1 + e2), 32 * eps);
  EXPECT_NEAR(y[7], e1 / (e0 + e1 + e2), 32 * eps);
  EXPECT_NEAR(y[8], e2 / (e0 + e1 + e2), 32 * eps);
  EXPECT_EQ(y[9], T(1));
  EXPECT_EQ(y[10], T(0));
  EXPECT_EQ(y[11], T(0));
  ExpectNearReference<T>({1, 3}, std::vector<T>(x.begin() + 12, x.end()),
                         std::vector<T>(y.begin() + 12, y.end()), 1);
}

TEST(SeluSoftmaxOpTest, SpecialValuesFloat) { CheckSpecialValues<float>(); }
TEST(SeluSoftmaxOpTest, SpecialValuesDouble) { CheckSpecialValues<double>(); }

// Inputs away from selu's kink at 0.
Tensor AwayFromZero(const std::vector<int64_t>& dims, Rng& rng) {
  Tensor t = RandomTensor<double>(dims, rng, 0.1, 2);
  double* p = t.mutable_data<double>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (rng.Uniform() < 0.5) p[i] = -p[i];
  }
  return t;
}

TEST(SeluSoftmaxOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(11);
  for (const auto& [dims, axis] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
           {{7}, 0}, {{3, 4}, 1}, {{3, 4}, 0}, {{2, 3, 4}, 1}, {{2, 3, 4}, -3}}) {
    SCOPED_TRACE(axis);
    const OperatorDef op =
        MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis), FloatArg("alpha", 1.3f)});
    absl::StatusOr<GradientCheckResult> r = CheckGradient(op, {AwayFromZero(dims, rng)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->compute_dtype, DType::kFloat64);
    ASSERT_EQ(r->inputs.size(), 1u);
    EXPECT_LT(r->inputs[0].max_abs_error, 1e-8) << r->Summary();
    EXPECT_LT(r->inputs[0].max_rel_error, 1e-5) << r->Summary();
  }
}

// dX against the chain rule in long double, for float and double, and in
// place (dX over dY) against out of place.
template <typename T>
void CheckGradientReference() {
  Rng rng(12);
  const std::vector<int64_t> dims = {3, 5, 4};
  const int axis = 1;
  const Tensor x = RandomTensor<T>(dims, rng, -3, 3);
  const Tensor dy = RandomTensor<T>(dims, rng, -1, 1);
  const OperatorDef fwd = MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", axis)});
  const Tensor y = RunOne(fwd, {x});
  const OperatorDef grad =
      MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dX"}, {IntArg("axis", axis)});
  const std::vector<T> dx = ToVector<T>(RunOne(grad, {y, dy, x}));
  const std::vector<T> yv = ToVector<T>(y), gv = ToVector<T>(dy), xv = ToVector<T>(x);
  const long double eps = std::numeric_limits<T>::epsilon();
  const long double scale = static_cast<T>(kScale), alpha = static_cast<T>(kAlpha);
  for (int o = 0; o < 3; ++o) {
    for (int j = 0; j < 4; ++j) {
      auto at = [&](int k) { return (o * 5 + k) * 4 + j; };
      long double dot = 0, absdot = 0;
      for (int k = 0; k < 5; ++k) {
        dot += static_cast<long double>(yv[at(k)]) * gv[at(k)];
        absdot += static_cast<long double>(yv[at(k)]) * std::fabs(gv[at(k)]);
      }
      for (int k = 0; k < 5; ++k) {
        const int i = at(k);
        const long double xi = xv[i];
        const long double deriv = xi > 0 ? scale : scale * alpha * std::exp(xi);
        const long double ref = yv[i] * (gv[i] - dot) * deriv;
        const long double bound =
            ((8 + 5 / 4.0L) * yv[i] * (std::fabs(gv[i]) + absdot) * deriv) * eps * 2 +
            4 * std::numeric_limits<T>::min();
        EXPECT_LE(std::fabs(dx[i] - ref), bound) << i;
      }
    }
  }
  // In place over dY gives the same bits.
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("Y", y).ok());
  ASSERT_TRUE(ws.FeedBlob("dY", dy).ok());
  ASSERT_TRUE(ws.FeedBlob("X", x).ok());
  NetDef net;
  *net.add_op() = MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dY"}, {IntArg("axis", axis)});
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  EXPECT_EQ(ToVector<T>(*ws.GetBlob("dY")), dx);
}

TEST(SeluSoftmaxOpTest, GradientMatchesChainRuleFloat) { CheckGradientReference<float>(); }
TEST(SeluSoftmaxOpTest, GradientMatchesChainRuleDouble) { CheckGradientReference<double>(); }

TEST(SeluSoftmaxOpTest, GradientMakerReadsOutputGradientAndInput) {
  const OperatorDef op =
      MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", 2), FloatArg("alpha", 1.5f)});
  absl::StatusOr<GradientOpsMeta> g = GetGradientDefs(op);
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->ops.size(), 1u);
  const OperatorDef& d = g->ops[0];
  EXPECT_EQ(d.type(), "SeluSoftmaxGradient");
  ASSERT_EQ(d.input_size(), 3);
  EXPECT_EQ(d.input(0), "Y");
  EXPECT_EQ(d.input(1), "Y_grad");
  EXPECT_EQ(d.input(2), "X");
  ASSERT_EQ(d.output_size(), 1);
  EXPECT_EQ(d.output(0), "X_grad");
  EXPECT_EQ(g->g_input, std::vector<std::string>{"X_grad"});
  const Argument* axis = FindArgument(d, "axis");
  ASSERT_NE(axis, nullptr);
  EXPECT_EQ(axis->i(), 2);
  const Argument* alpha = FindArgument(d, "alpha");
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ(alpha->f(), 1.5f);
  EXPECT_FALSE(GetGradientDefs(d).ok());  // SHOULD_NOT_DO_GRADIENT
}

TEST(SeluSoftmaxOpTest, SchemaRejects) {
  const Tensor x = MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor i32 = MakeTensor<int32_t>({2}, {1, 2});
  const Tensor scalar = MakeTensor<float>({}, {1});
  const Tensor x32 = MakeTensor<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  struct Case {
    OperatorDef op;
    TensorRefs inputs;
    std::string what;
  };
  const std::vector<Case> cases = {
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}, {FloatArg("scale", 1.0f)}), {x}, "scale"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}, {FloatArg("alpha", -0.5f)}), {x}, "alpha"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", 2)}), {x}, "axis"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", -3)}), {x}, "axis"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}, {FloatArg("axis", 1)}), {x}, "axis"},
      {MakeOp("SeluSoftmax", {"X"}, {"X"}), {x}, "X"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}), {i32}, "int32"},
      {MakeOp("SeluSoftmax", {"X"}, {"Y"}), {scalar}, "axis"},
      {MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dX"}), {x, x, x32}, "SeluSoftmaxGradient"},
      {MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"X"}), {x, x, x}, "X"},
      {MakeOp("SeluSoftmaxGradient", {"Y", "dY"}, {"dX"}), {x, x}, "SeluSoftmaxGradient"},
      {MakeOp("SeluSoftmaxGradient", {"Y", "dY", "X"}, {"dX"}, {FloatArg("scale", 0.5f)}),
       {x, x, x},
       "scale"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    absl::Status s = CreateStatus(cases[i].op, cases[i].inputs);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, cases[i].what)) << s;
  }
  // The accepted counterparts.
  EXPECT_TRUE(CreateStatus(MakeOp("SeluSoftmax", {"X"}, {"Y"}, {IntArg("axis", -2)}), {x}).ok());
  EXPECT_TRUE(
      CreateStatus(MakeOp("SeluSoftmax", {"X"}, {"Y"}, {FloatArg("alpha", 0.0f)}), {x}).ok());
}

}  // namespace
}  // namespace opgraph
