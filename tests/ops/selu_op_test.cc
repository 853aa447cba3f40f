// Tests of Selu and SeluGradient (ops/selu_op.cc).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

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

// The defaults of ops/selu_op.cc, to 32 significant digits (Klambauer et
// al. 2017).
constexpr long double kAlpha = 1.6732632423543772848170429916717L;
constexpr long double kScale = 1.0507009873554804934193349852946L;

template <typename T>
std::vector<T> RunUnary(const OperatorDef& op, const Tensor& x) {
  absl::StatusOr<std::vector<Tensor>> out = RunOp(op, {x});
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return {};
  return ToVector<T>((*out)[0]);
}

// Golden rows. Each literal is the exact value rounded to 17 significant
// digits, computed with Python 3's decimal module at 50 digits:
//   s*x if x > 0 else s*a*(Decimal(x).exp() - 1)
// with a, s the 32-digit constants above (default row) or a = 2, s = 1.5.
// All inputs are exactly representable in float32.
const std::vector<double> kGoldenX = {-20, -3, -1, -0.5, -0.125, 0, 0.25, 1, 2.5};
const std::vector<double> kGoldenDefault = {
    -1.758099337223664,   -1.670568728767112,   -1.1113307378125628,
    -0.69175818780287135, -0.20658211811354793, 0,
    0.26267524683887011,  1.0507009873554805,   2.6267524683887014};
const std::vector<double> kGoldenA2S15 = {-2.9999999938165391,
                                          -2.8506387948964083,
                                          -1.896361676485673,
                                          -1.1804080208620997,
                                          -0.3525092922462138,
                                          0,
                                          0.375,
                                          1.5,
                                          3.75};

// Error bound of Selu in type T: 4 * eps * |exact| (+ 4 denorm_min). The
// kernel rounds T(scale), T(alpha), their product, expm1 (glibc: < 1 ulp)
// and the final product: at most 3.5 eps relative. The SIMD kernels that
// will replace the loop promise 3 ulp from T(scale * alpha) * expm1(x),
// which with the rounding of the constants also stays below 4 eps.
template <typename T>
long double SeluBound(long double exact) {
  return 4.0L * std::numeric_limits<T>::epsilon() * std::fabs(exact) +
         4.0L * std::numeric_limits<T>::denorm_min();
}

template <typename T>
void CheckGolden(const std::vector<Argument>& args, const std::vector<double>& golden) {
  std::vector<T> x(kGoldenX.begin(), kGoldenX.end());
  std::vector<T> y = RunUnary<T>(MakeOp("Selu", {"X"}, {"Y"}, args),
                                 MakeTensor<T>({static_cast<int64_t>(x.size())}, x));
  ASSERT_EQ(y.size(), golden.size());
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_NEAR(y[i], golden[i], static_cast<double>(SeluBound<T>(golden[i]))) << "x = " << x[i];
  }
}

TEST(SeluOpTest, GoldenDefaultFloat) { CheckGolden<float>({}, kGoldenDefault); }
TEST(SeluOpTest, GoldenDefaultDouble) { CheckGolden<double>({}, kGoldenDefault); }
TEST(SeluOpTest, GoldenAlpha2Scale15Float) {
  CheckGolden<float>({FloatArg("alpha", 2.0f), FloatArg("scale", 1.5f)}, kGoldenA2S15);
}
TEST(SeluOpTest, GoldenAlpha2Scale15Double) {
  CheckGolden<double>({FloatArg("alpha", 2.0f), FloatArg("scale", 1.5f)}, kGoldenA2S15);
}

// One argument variant: absent arguments take the exact defaults; given
// ones are floats.
struct Variant {
  bool given;
  float alpha;
  float scale;
  std::vector<Argument> Args() const {
    if (!given) return {};
    return {FloatArg("alpha", alpha), FloatArg("scale", scale)};
  }
  long double Alpha() const { return given ? alpha : kAlpha; }
  long double Scale() const { return given ? scale : kScale; }
};

const std::vector<Variant> kVariants = {{false, 0, 0},
                                        {true, 2.0f, 1.5f},
                                        {true, 0.5f, 1.01f},
                                        {true, 0.0f, 3.0f},
                                        {true, 1.6732632f, 1.0507010f}};
const std::vector<std::vector<int64_t>> kShapes = {{0}, {1}, {3, 0, 2}, {7}, {4, 33}, {2, 1, 5}};

// Forward and backward against a long double reference over random tensors.
template <typename T>
void CheckReference(uint64_t seed) {
  Rng rng(seed);
  for (const Variant& v : kVariants) {
    for (const auto& shape : kShapes) {
      SCOPED_TRACE(::testing::Message() << "alpha " << v.Alpha() << " scale " << v.Scale()
                                        << " shape " << DimsToString(shape));
      const Tensor x = RandomTensor<T>(shape, rng, -8.0, 8.0);
      const Tensor dy = RandomTensor<T>(shape, rng, -2.0, 2.0);
      absl::StatusOr<std::vector<Tensor>> fwd = RunOp(MakeOp("Selu", {"X"}, {"Y"}, v.Args()), {x});
      ASSERT_TRUE(fwd.ok()) << fwd.status();
      const Tensor& y = (*fwd)[0];
      ASSERT_EQ(y.dims(), shape);
      absl::StatusOr<std::vector<Tensor>> bwd =
          RunOp(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}, v.Args()), {y, dy});
      ASSERT_TRUE(bwd.ok()) << bwd.status();
      const Tensor& dx = (*bwd)[0];
      ASSERT_EQ(dx.dims(), shape);
      const long double a = v.Alpha(), s = v.Scale();
      for (int64_t i = 0; i < x.numel(); ++i) {
        const long double xi = x.data<T>()[i];
        const long double ref = xi > 0 ? s * xi : s * a * std::expm1(xi);
        ASSERT_LE(std::fabs(y.data<T>()[i] - ref), SeluBound<T>(ref)) << "x = " << xi;
        // The gradient, from x: scale * dy for x > 0, else
        // dy * scale * alpha * exp(x). The op computes dy * (y + T(s*a))
        // from its own y (error <= 4 eps |y|) with three roundings more:
        // bound 6 eps * |dy| * (|y| + |s*a|).
        const long double gi = dy.data<T>()[i];
        const long double gref = xi > 0 ? s * gi : gi * s * a * std::exp(xi);
        const long double gbound = 6.0L * std::numeric_limits<T>::epsilon() * std::fabs(gi) *
                                       (std::fabs(ref) + std::fabs(s * a)) +
                                   4.0L * std::numeric_limits<T>::denorm_min();
        ASSERT_LE(std::fabs(dx.data<T>()[i] - gref), gbound) << "x = " << xi << " dy = " << gi;
      }
    }
  }
}

TEST(SeluOpTest, MatchesLongDoubleReferenceFloat) { CheckReference<float>(11); }
TEST(SeluOpTest, MatchesLongDoubleReferenceDouble) { CheckReference<double>(12); }

// Central differences in float64: dX from SeluGradient against
// (L(x+h) - L(x-h)) / 2h for L = sum(w * selu(x)), h = 1e-6, inputs kept
// at |x| > 0.05 away from the kink. Truncation error is about h^2 * |selu'''|
// ~ 1e-12 * 6, rounding about eps * |L| / h ~ 1e-9; 1e-7 leaves room.
TEST(SeluOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(21);
  for (const Variant& v : kVariants) {
    SCOPED_TRACE(::testing::Message() << "alpha " << v.Alpha() << " scale " << v.Scale());
    const std::vector<int64_t> shape = {3, 8};
    Tensor x = RandomTensor<double>(shape, rng, -3.0, 3.0);
    double* xp = x.mutable_data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (std::fabs(xp[i]) < 0.05) xp[i] = xp[i] < 0 ? -0.05 - rng.Uniform() : 0.05 + rng.Uniform();
    }
    const Tensor w = RandomTensor<double>(shape, rng, -1.0, 1.0);
    const OperatorDef fwd = MakeOp("Selu", {"X"}, {"Y"}, v.Args());
    auto loss = [&](const Tensor& in) {
      std::vector<double> y = RunUnary<double>(fwd, in);
      long double l = 0;
      for (size_t i = 0; i < y.size(); ++i)
        l += static_cast<long double>(w.data<double>()[i]) * y[i];
      return static_cast<double>(l);
    };
    absl::StatusOr<std::vector<Tensor>> y = RunOp(fwd, {x});
    ASSERT_TRUE(y.ok()) << y.status();
    absl::StatusOr<std::vector<Tensor>> dx =
        RunOp(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}, v.Args()), {(*y)[0], w});
    ASSERT_TRUE(dx.ok()) << dx.status();
    const double h = 1e-6;
    for (int64_t i = 0; i < x.numel(); ++i) {
      Tensor plus = Copy(x), minus = Copy(x);
      plus.mutable_data<double>()[i] += h;
      minus.mutable_data<double>()[i] -= h;
      const double fd = (loss(plus) - loss(minus)) / (2 * h);
      const double an = (*dx)[0].data<double>()[i];
      EXPECT_NEAR(an, fd, 1e-7 * (1 + std::fabs(fd))) << "element " << i << " x = " << xp[i];
    }
  }
}

// A negative alpha makes the negative branch positive, so the gradient,
// computed from the output, could not tell the branches apart.
TEST(SeluOpTest, NegativeAlphaIsRejected) {
  absl::Status s = CreateStatus(MakeOp("Selu", {"X"}, {"Y"}, {FloatArg("alpha", -1.0f)}),
                                {MakeTensor<float>({1}, {-1.0f})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SeluOpTest, InPlaceMatchesOutOfPlace) {
  Rng rng(31);
  const Tensor x = RandomTensor<float>({5, 9}, rng, -4.0, 4.0);
  const Tensor dy = RandomTensor<float>({5, 9}, rng, -1.0, 1.0);
  const std::vector<Argument> args = {FloatArg("alpha", 1.5f), FloatArg("scale", 1.25f)};
  auto out = RunOp(MakeOp("Selu", {"X"}, {"Y"}, args), {x});
  auto in = RunOp(MakeOp("Selu", {"X"}, {"X"}, args), {x});
  ASSERT_TRUE(out.ok() && in.ok());
  EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
  const Tensor& y = (*out)[0];
  auto gout = RunOp(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}, args), {y, dy});
  auto gin = RunOp(MakeOp("SeluGradient", {"Y", "dY"}, {"dY"}, args), {y, dy});
  ASSERT_TRUE(gout.ok() && gin.ok());
  EXPECT_EQ(ToVector<float>((*gin)[0]), ToVector<float>((*gout)[0]));
  // The in-place result must differ from the input, or nothing was tested.
  EXPECT_NE(ToVector<float>((*gin)[0]), ToVector<float>(dy));
}

// A small valid input for the schema tests.
Tensor SmallX() { return MakeTensor<float>({2, 2}, {-1, 0.5f, 2, -0.25f}); }

TEST(SeluOpTest, RejectsWrongArity) {
  absl::Status s = CreateStatus(MakeOp("Selu", {"X", "X2"}, {"Y"}), {SmallX(), SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("Selu", {"X"}, {"Y", "Z"}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(MakeOp("SeluGradient", {"Y"}, {"dX"}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SeluOpTest, RejectsUndeclaredArgumentByName) {
  absl::Status s =
      CreateStatus(MakeOp("Selu", {"X"}, {"Y"}, {FloatArg("alpah", 1.0f)}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "alpah")) << s;
}

TEST(SeluOpTest, RejectsIntWhereFloatDeclared) {
  absl::Status s = CreateStatus(MakeOp("Selu", {"X"}, {"Y"}, {IntArg("scale", 2)}), {SmallX()});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "scale")) << s;
}

TEST(SeluOpTest, RejectsScaleNotAboveOneAtCreation) {
  for (float scale : {1.0f, 0.5f, -2.0f, std::nanf("")}) {
    SCOPED_TRACE(scale);
    absl::Status s =
        CreateStatus(MakeOp("Selu", {"X"}, {"Y"}, {FloatArg("scale", scale)}), {SmallX()});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, "scale")) << s;
    s = CreateStatus(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}, {FloatArg("scale", scale)}),
                     {SmallX(), SmallX()});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  // Just above 1 is accepted.
  EXPECT_TRUE(
      CreateStatus(MakeOp("Selu", {"X"}, {"Y"}, {FloatArg("scale", 1.001f)}), {SmallX()}).ok());
}

TEST(SeluOpTest, GradientRejectsMismatchedShapes) {
  const Tensor dy = MakeTensor<float>({4}, {1, 2, 3, 4});
  absl::Status s = CreateStatus(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}), {SmallX(), dy});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  const Tensor dyd = MakeTensor<double>({2, 2}, {1, 2, 3, 4});
  s = CreateStatus(MakeOp("SeluGradient", {"Y", "dY"}, {"dX"}), {SmallX(), dyd});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

TEST(SeluOpTest, RejectsNonFloatInput) {
  absl::Status s = CreateStatus(MakeOp("Selu", {"X"}, {"Y"}), {MakeTensor<int32_t>({2}, {1, -1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "int32")) << s;
  s = CreateStatus(MakeOp("Selu", {"X"}, {"Y"}), {MakeTensor<int64_t>({1}, {3})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // opgraph has no float16 tensors at all: a FLOAT16 TensorProto (data_type
  // 12) is refused before any operator could see it.
  EXPECT_FALSE(DTypeFromProto(12).ok());
}

TEST(SeluOpTest, GradientMakerUsesOutputAndCopiesArguments) {
  const OperatorDef def =
      MakeOp("Selu", {"X"}, {"Y"}, {FloatArg("alpha", 1.25f), FloatArg("scale", 2.5f)});
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(def);
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "SeluGradient");
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0), "Y");
  EXPECT_EQ(g.input(1), "Y_grad");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0), "X_grad");
  EXPECT_TRUE(g.is_gradient_op());
  const Argument* alpha = FindArgument(g, "alpha");
  const Argument* scale = FindArgument(g, "scale");
  ASSERT_NE(alpha, nullptr);
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(alpha->f(), 1.25f);
  EXPECT_EQ(scale->f(), 2.5f);
  EXPECT_EQ(meta->g_input, std::vector<std::string>({"X_grad"}));
  // SeluGradient itself must not be differentiated.
  EXPECT_EQ(GetGradientDefs(g).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace opgraph
