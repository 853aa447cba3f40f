// Tests of Softmax and SoftmaxGradient (ops/softmax_op.cc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/gradient.h"
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

template <typename T>
std::vector<T> Softmax(const std::vector<int64_t>& dims, const std::vector<T>& x,
                       const std::vector<Argument>& args = {}) {
  absl::StatusOr<std::vector<Tensor>> out =
      RunOp(MakeOp("Softmax", {"X"}, {"Y"}, args), {MakeTensor<T>(dims, x)});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  EXPECT_EQ((*out)[0].dims(), dims);
  return ToVector<T>((*out)[0]);
}

// Golden rows: each literal is the exact softmax rounded to 17 significant
// digits, computed with Python 3's decimal module at 50 digits:
//   m = max(row); e = [(Decimal(v) - m).exp() for v in row]; e_i / sum(e)
// Inputs are exactly representable in float32.
const std::vector<double> kRowsX = {1, 2, 3, 4, -1, 0, 0.5, -2.5};
const std::vector<double> kRowsY = {0.032058603280084988, 0.087144318742032573, 0.23688281808991013,
                                    0.64391425988797235,  0.11872112099830211,  0.32271746586397221,
                                    0.53207115039637343,  0.026490262741352265};

// Bound of the forward op for element i of a row of d (see the reference
// test for the derivation).
template <typename T>
double ForwardBound(double exact, double x_minus_max, int64_t d) {
  const double eps = std::numeric_limits<T>::epsilon();
  const double dterm = std::is_same_v<T, float> ? d / 4.0 : static_cast<double>(d);
  return (8 + std::fabs(x_minus_max) + dterm) * eps * exact +
         4 * static_cast<double>(std::numeric_limits<T>::denorm_min());
}

template <typename T>
void CheckGoldenRows() {
  const std::vector<T> x(kRowsX.begin(), kRowsX.end());
  // [2, 4] with the default axis, [2, 4] with axis -1, and [2, 2, 2] with
  // axis 1 all make the same two rows of 4.
  for (const auto& [dims, args] :
       std::vector<std::pair<std::vector<int64_t>, std::vector<Argument>>>{
           {{2, 4}, {}},
           {{2, 4}, {IntArg("axis", -1)}},
           {{2, 2, 2}, {IntArg("axis", 1)}},
           {{2, 2, 2}, {IntArg("axis", -2)}}}) {
    SCOPED_TRACE(DimsToString(dims));
    const std::vector<T> y = Softmax<T>(dims, x, args);
    ASSERT_EQ(y.size(), kRowsY.size());
    for (size_t i = 0; i < y.size(); ++i) {
      const double max = i < 4 ? 4 : 0.5;
      EXPECT_NEAR(y[i], kRowsY[i], ForwardBound<T>(kRowsY[i], kRowsX[i] - max, 4)) << i;
    }
  }
  // A row of one element is exactly 1. exp(-100) / (1 + exp(-100)) =
  // 3.7200759760208361e-44 (decimal, as above) is subnormal in float32.
  EXPECT_EQ(Softmax<T>({1, 1}, {T(0.5)}), std::vector<T>{T(1)});
  const std::vector<T> y = Softmax<T>({1, 2}, {T(100), T(0)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_EQ(y[0], T(1));
  EXPECT_NEAR(y[1], 3.7200759760208361e-44, ForwardBound<T>(3.7200759760208361e-44, 100, 2));
}

TEST(SoftmaxOpTest, GoldenRowsFloat) { CheckGoldenRows<float>(); }
TEST(SoftmaxOpTest, GoldenRowsDouble) { CheckGoldenRows<double>(); }

// dX for Y = the first golden row (the 17-digit literals) and dY = (0.5,
// -1, 2, 0.25): y_i * (dy_i - sum_j y_j dy_j), decimal at 50 digits.
TEST(SoftmaxOpTest, GradientGoldenRow) {
  const std::vector<double> y(kRowsY.begin(), kRowsY.begin() + 4);
  const std::vector<double> dy = {0.5, -1, 2, 0.25};
  const std::vector<double> golden = {-0.0020398627684887955, -0.1362614000091821,
                                      0.3402515667043815, -0.20195030392671062};
  auto out = RunOp(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}),
                   {MakeTensor<double>({1, 4}, y), MakeTensor<double>({1, 4}, dy)});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<double> dx = ToVector<double>((*out)[0]);
  ASSERT_EQ(dx.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(dx[i], golden[i], 1e-15) << i;
}

// Special values, row by row, as torch.softmax gives them (see the comment
// at the top of ops/softmax_op.cc). The finite row [1, -inf, 2, 3] is the
// softmax of [1, 2, 3] with a 0 inserted: decimal as above.
template <typename T>
void CheckSpecialValues() {
  const T inf = std::numeric_limits<T>::infinity();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const std::vector<T> x = {
      1,        -inf,     2,        3,         // -inf among finite values -> exactly 0
      1,        nan,      2,        3,         // NaN -> whole row NaN
      1,        inf,      2,        3,         // +inf -> whole row NaN
      -inf,     -inf,     -inf,     -inf,      // all -inf -> whole row NaN
      inf,      inf,      inf,      inf,       // all +inf -> NaN
      T(1e30),  T(-1e30), T(1e30),  0,         // large values: [0.5, 0, 0.5, 0]
      T(-1e30), T(-1e30), T(-1e30), T(-1e30),  // equal large values: 0.25 each
      -inf,     nan,      -inf,     0,         // NaN beats -inf
  };
  const std::vector<T> y = Softmax<T>({8, 4}, x);
  ASSERT_EQ(y.size(), x.size());
  const std::vector<double> finite_row = {0.090030573170380462, 0.24472847105479764,
                                          0.6652409557748219};
  EXPECT_NEAR(y[0], finite_row[0], ForwardBound<T>(finite_row[0], -2, 4));
  EXPECT_EQ(y[1], T(0));
  EXPECT_NEAR(y[2], finite_row[1], ForwardBound<T>(finite_row[1], -1, 4));
  EXPECT_NEAR(y[3], finite_row[2], ForwardBound<T>(finite_row[2], 0, 4));
  for (int row : {1, 2, 3, 4, 7}) {
    for (int j = 0; j < 4; ++j) EXPECT_TRUE(std::isnan(y[row * 4 + j])) << row << "," << j;
  }
  EXPECT_EQ(std::vector<T>(y.begin() + 20, y.begin() + 24), (std::vector<T>{0.5, 0, 0.5, 0}));
  EXPECT_EQ(std::vector<T>(y.begin() + 24, y.begin() + 28),
            (std::vector<T>{0.25, 0.25, 0.25, 0.25}));
}

TEST(SoftmaxOpTest, SpecialValuesFloat) { CheckSpecialValues<float>(); }
TEST(SoftmaxOpTest, SpecialValuesDouble) { CheckSpecialValues<double>(); }

struct Case {
  std::vector<int64_t> dims;
  int64_t axis;
  double range;  // inputs uniform in [-range, range)
};
const std::vector<Case> kCases = {
    {{0, 5}, 1, 5},    {{5, 0}, 1, 5},     {{2, 3, 0, 2}, 3, 5}, {{3, 1}, 1, 5},
    {{1, 7}, 1, 5},    {{4, 3, 5}, 1, 5},  {{4, 3, 5}, -1, 5},   {{4, 3, 5}, 0, 5},
    {{4, 3, 5}, 2, 5}, {{4, 3, 5}, -3, 5}, {{6}, 0, 5},          {{2, 50}, -2, 5},
    {{3, 40}, 1, 30},  {{5, 17}, 1, 0.01},
};

// Forward and backward against long double references on random tensors.
//
// Forward bound, per element: |y_i - exact_i| <= (8 + |x_i - max| + D')
// * eps * exact_i + 4 denorm_min, with D' = D/4 for float32 and D for
// float64. Derivation for the loop: rounding x_i - max costs |x_i - max|
// eps/2 relative after exp; exp itself < 1 ulp; the sum of e_j carries
// relative error <= eps + sum_j e_j |x_j - max| eps / (2 S) <= eps + 0.19
// D eps (t e^-t <= 1/e); float64's naive double sum adds (D - 1) eps; the
// division 0.5 eps. The SIMD kernels that will replace the loop promise
// (8 + |x_i - max| + D/4) eps, inside this bound.
// Backward bound: |dx_i - exact_i| <= (8 + D') eps y_i (|dy_i| + sum_j y_j
// |dy_j|) + 4 denorm_min, the error of the dot product (D eps in float64,
// none visible in float32) and of the final difference and product.
template <typename T>
void CheckReference(uint64_t seed) {
  Rng rng(seed);
  const long double eps = std::numeric_limits<T>::epsilon();
  const long double tiny = 4.0L * std::numeric_limits<T>::denorm_min();
  for (const Case& c : kCases) {
    SCOPED_TRACE(::testing::Message() << DimsToString(c.dims) << " axis " << c.axis);
    const std::vector<Argument> args = {IntArg("axis", c.axis)};
    const Tensor x = RandomTensor<T>(c.dims, rng, -c.range, c.range);
    const Tensor dy = RandomTensor<T>(c.dims, rng, -1.0, 1.0);
    auto fwd = RunOp(MakeOp("Softmax", {"X"}, {"Y"}, args), {x});
    ASSERT_TRUE(fwd.ok()) << fwd.status();
    const Tensor& y = (*fwd)[0];
    ASSERT_EQ(y.dims(), c.dims);
    auto bwd = RunOp(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}, args), {y, dy});
    ASSERT_TRUE(bwd.ok()) << bwd.status();
    const Tensor& dx = (*bwd)[0];
    ASSERT_EQ(dx.dims(), c.dims);
    const int ndim = static_cast<int>(c.dims.size());
    const int axis = static_cast<int>(c.axis < 0 ? c.axis + ndim : c.axis);
    const int64_t n = DimsProduct(c.dims, 0, axis), d = DimsProduct(c.dims, axis, ndim);
    const long double dterm = std::is_same_v<T, float> ? d / 4.0L : static_cast<long double>(d);
    for (int64_t r = 0; r < n; ++r) {
      const T* xr = x.data<T>() + r * d;
      const T* yr = y.data<T>() + r * d;
      const T* gr = dy.data<T>() + r * d;
      const T* dxr = dx.data<T>() + r * d;
      long double max = xr[0], sum = 0;
      for (int64_t j = 1; j < d; ++j) max = std::max<long double>(max, xr[j]);
      for (int64_t j = 0; j < d; ++j) sum += std::exp(static_cast<long double>(xr[j]) - max);
      // The backward reference uses the op's own y, so that it checks
      // SoftmaxGradient alone.
      long double dot = 0, absdot = 0;
      for (int64_t j = 0; j < d; ++j) {
        dot += static_cast<long double>(yr[j]) * gr[j];
        absdot += static_cast<long double>(yr[j]) * std::fabs(static_cast<long double>(gr[j]));
      }
      for (int64_t j = 0; j < d; ++j) {
        const long double ref = std::exp(static_cast<long double>(xr[j]) - max) / sum;
        const long double bound = (8 + std::fabs(xr[j] - max) + dterm) * eps * ref + tiny;
        ASSERT_LE(std::fabs(yr[j] - ref), bound) << "row " << r << " col " << j;
        const long double gref = yr[j] * (gr[j] - dot);
        const long double gbound =
            (8 + dterm) * eps * yr[j] * (std::fabs(static_cast<long double>(gr[j])) + absdot) +
            tiny;
        ASSERT_LE(std::fabs(dxr[j] - gref), gbound) << "row " << r << " col " << j;
      }
    }
  }
}

TEST(SoftmaxOpTest, MatchesLongDoubleReferenceFloat) { CheckReference<float>(41); }
TEST(SoftmaxOpTest, MatchesLongDoubleReferenceDouble) { CheckReference<double>(42); }

// Central differences in float64: dX from SoftmaxGradient with dY = w
// against (L(x+h) - L(x-h)) / 2h, L = sum(w * softmax(x)), h = 1e-6.
// Truncation ~h^2 * |L'''| ~ 1e-12, rounding ~eps * |L| / h ~ 1e-10; the
// tolerance 1e-8 is far below the size of the gradients (~1e-2..1e-1).
TEST(SoftmaxOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(51);
  for (const Case& c :
       std::vector<Case>{{{3, 5}, 1, 3}, {{2, 3, 4}, -1, 3}, {{2, 3, 4}, 0, 3}, {{4, 1}, 1, 3}}) {
    SCOPED_TRACE(::testing::Message() << DimsToString(c.dims) << " axis " << c.axis);
    const std::vector<Argument> args = {IntArg("axis", c.axis)};
    const Tensor x = RandomTensor<double>(c.dims, rng, -c.range, c.range);
    const Tensor w = RandomTensor<double>(c.dims, rng, -1.0, 1.0);
    const OperatorDef fwd = MakeOp("Softmax", {"X"}, {"Y"}, args);
    auto loss = [&](const Tensor& in) {
      auto y = RunOp(fwd, {in});
      EXPECT_TRUE(y.ok()) << y.status();
      long double l = 0;
      for (int64_t i = 0; i < in.numel(); ++i) {
        l += static_cast<long double>(w.data<double>()[i]) * (*y)[0].data<double>()[i];
      }
      return static_cast<double>(l);
    };
    auto y = RunOp(fwd, {x});
    ASSERT_TRUE(y.ok()) << y.status();
    auto dx = RunOp(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}, args), {(*y)[0], w});
    ASSERT_TRUE(dx.ok()) << dx.status();
    const double h = 1e-6;
    double largest = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      Tensor plus = Copy(x), minus = Copy(x);
      plus.mutable_data<double>()[i] += h;
      minus.mutable_data<double>()[i] -= h;
      const double fd = (loss(plus) - loss(minus)) / (2 * h);
      EXPECT_NEAR((*dx)[0].data<double>()[i], fd, 1e-8) << "element " << i;
      largest = std::max(largest, std::fabs(fd));
    }
    // A row of one element has gradient 0; otherwise the check is not vacuous.
    if (c.dims.back() != 1) {
      EXPECT_GT(largest, 1e-3);
    }
  }
}

TEST(SoftmaxOpTest, GradientInPlaceMatchesOutOfPlace) {
  Rng rng(61);
  const Tensor x = RandomTensor<float>({6, 11}, rng, -3.0, 3.0);
  const Tensor dy = RandomTensor<float>({6, 11}, rng, -1.0, 1.0);
  auto y = RunOp(MakeOp("Softmax", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(y.ok()) << y.status();
  auto out = RunOp(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}), {(*y)[0], dy});
  auto in = RunOp(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dY"}), {(*y)[0], dy});
  ASSERT_TRUE(out.ok() && in.ok());
  EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
  EXPECT_NE(ToVector<float>((*in)[0]), ToVector<float>(dy));
}

Tensor SmallX() { return MakeTensor<float>({2, 3}, {1, 2, 3, -1, 0, 1}); }

TEST(SoftmaxOpTest, RejectsWrongArity) {
  absl::Status s = CreateStatus(MakeOp("Softmax", {"X", "X2"}, {"Y"}), {SmallX(), SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("Softmax", {"X"}, {"Y", "Z"}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("SoftmaxGradient", {"Y"}, {"dX"}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SoftmaxOpTest, RejectsMisspeltArgumentByName) {
  absl::Status s = CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axsi", 1)}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'axsi'")) << s;
}

TEST(SoftmaxOpTest, RejectsFloatAxis) {
  absl::Status s =
      CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}, {FloatArg("axis", 1.0f)}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "axis")) << s;
}

TEST(SoftmaxOpTest, RejectsAxisOutOfRangeAtCreation) {
  for (int64_t axis : std::vector<int64_t>{2, 3, -3, int64_t{1} << 40}) {
    SCOPED_TRACE(axis);
    absl::Status s =
        CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", axis)}), {SmallX()});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, absl::StrCat("axis ", axis))) << s;
    EXPECT_TRUE(Contains(s, "rank 2")) << s;
    s = CreateStatus(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}, {IntArg("axis", axis)}),
                     {SmallX(), SmallX()});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  // The default axis 1 does not exist for a rank-1 input; axis 0 does.
  const Tensor v = MakeTensor<float>({3}, {1, 2, 3});
  absl::Status s = CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}), {v});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", 0)}), {v}).ok());
  EXPECT_TRUE(CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", -2)}), {SmallX()}).ok());
}

TEST(SoftmaxOpTest, RejectsInPlace) {
  absl::Status s = CreateStatus(MakeOp("Softmax", {"X"}, {"X"}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "in place")) << s;
  // The gradient may overwrite dY but not Y.
  s = CreateStatus(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"Y"}), {SmallX(), SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SoftmaxOpTest, RejectsBadTypesAndShapes) {
  absl::Status s =
      CreateStatus(MakeOp("Softmax", {"X"}, {"Y"}), {MakeTensor<int32_t>({1, 2}, {1, 2})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}),
                   {SmallX(), MakeTensor<float>({3, 2}, {1, 2, 3, 4, 5, 6})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("SoftmaxGradient", {"Y", "dY"}, {"dX"}),
                   {SmallX(), MakeTensor<double>({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SoftmaxOpTest, GradientMakerUsesOutputAndCopiesAxis) {
  const OperatorDef def = MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", -1)});
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(def);
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "SoftmaxGradient");
  EXPECT_EQ(std::vector<std::string>(g.input().begin(), g.input().end()),
            (std::vector<std::string>{"Y", "Y_grad"}));
  EXPECT_EQ(std::vector<std::string>(g.output().begin(), g.output().end()),
            (std::vector<std::string>{"X_grad"}));
  EXPECT_TRUE(g.is_gradient_op());
  const Argument* axis = FindArgument(g, "axis");
  ASSERT_NE(axis, nullptr);
  EXPECT_EQ(axis->i(), -1);
  EXPECT_EQ(meta->g_input, std::vector<std::string>({"X_grad"}));
  EXPECT_EQ(GetGradientDefs(g).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace opgraph
