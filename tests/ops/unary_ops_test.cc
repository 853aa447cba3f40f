// LeakyRelu, Elu, Exp, Log, Sqrt, Negative, Abs (ops/*_op.cc on
// ops/unary_op.h and ops/kernels/unary_kernels.cc).
//
// Golden values come from the C library's long double functions (expl,
// logl, sqrtl, expm1l) and from exact arithmetic in long double; every
// result is compared with the long double value rounded to T within the
// ULP bound that ops/kernels/unary_kernels.h states, on every SIMD target
// this CPU has, over random values spanning the whole range of T and a
// list of edge cases (+-0, subnormals, the smallest normal, +-inf, NaN,
// values next to exp's overflow and underflow, negative input to Log and
// Sqrt, which give NaN as in numpy). Gradients are checked against central
// differences (core/gradient_checker.h) and against their closed forms.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "ops/kernels/activation_kernels.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::CreateStatus;
using testing::FloatArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

using Ref = std::function<long double(long double x, long double alpha)>;

struct Case {
  const char* op;
  Ref ref;
  double ulp_bound;  // per unary_kernels.h
  bool has_alpha;
};

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {"LeakyRelu", [](long double x, long double a) { return x < 0 ? a * x : x; }, 0.5, true},
      {"Elu", [](long double x, long double a) { return x < 0 ? a * std::expm1(x) : x; }, 3.0,
       true},
      {"Exp", [](long double x, long double) { return std::exp(x); }, 2.0, false},
      {"Log", [](long double x, long double) { return std::log(x); }, 2.0, false},
      {"Sqrt", [](long double x, long double) { return std::sqrt(x); }, 0.5, false},
      {"Negative", [](long double x, long double) { return -x; }, 0.0, false},
      {"Abs", [](long double x, long double) { return std::fabs(x); }, 0.0, false},
  };
  return *cases;
}

// |got - want| in units of the spacing of T at want (the smallest
// subnormal for results below the normal range).
template <typename T>
double Ulps(T got, long double want) {
  const T w = static_cast<T>(want);
  const T spacing =
      std::max(std::nextafter(std::fabs(w), std::numeric_limits<T>::infinity()) - std::fabs(w),
               std::numeric_limits<T>::denorm_min());
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / spacing);
}

// Edge cases plus random values: magnitudes log-uniform over the whole
// finite range of T (subnormals included), random signs, and a dense band
// around zero and around exp's overflow and underflow thresholds.
template <typename T>
std::vector<T> TestValues(uint64_t seed) {
  using L = std::numeric_limits<T>;
  std::vector<T> v = {T(0),
                      -T(0),
                      L::denorm_min(),
                      -L::denorm_min(),
                      L::denorm_min() * 77,
                      L::min(),
                      -L::min(),
                      L::min() / 3,
                      L::max(),
                      -L::max(),
                      L::infinity(),
                      -L::infinity(),
                      L::quiet_NaN(),
                      -L::quiet_NaN(),
                      T(1),
                      T(-1),
                      T(0.5),
                      T(2),
                      L::epsilon(),
                      T(1) - L::epsilon(),
                      T(1) + L::epsilon()};
  const T max_exp = std::log(L::max());
  const T min_exp = std::log(L::denorm_min());
  for (T base : {max_exp, min_exp, std::log(L::min())}) {
    T lo = base, hi = base;
    for (int i = 0; i < 40; ++i) {
      v.push_back(lo);
      v.push_back(hi);
      lo = std::nextafter(lo, -L::infinity());
      hi = std::nextafter(hi, L::infinity());
    }
  }
  Rng rng(seed);
  const double min_log2 = std::log2(static_cast<double>(L::denorm_min()));
  const double max_log2 = std::log2(static_cast<double>(L::max()));
  for (int i = 0; i < 20000; ++i) {
    const double m = std::exp2(rng.Uniform(min_log2, max_log2));
    v.push_back(static_cast<T>(rng.Uniform() < 0.5 ? -m : m));
  }
  for (int i = 0; i < 20000; ++i)
    v.push_back(static_cast<T>(rng.Uniform(-2 * max_exp, 2 * max_exp)));
  for (int i = 0; i < 5000; ++i) v.push_back(static_cast<T>(rng.Uniform(-2, 2)));
  return v;
}

template <typename T>
void CheckAgainstReference(const Case& c, float alpha_arg) {
  const std::vector<T> values = TestValues<T>(7);
  const Tensor x = MakeTensor<T>({static_cast<int64_t>(values.size())}, values);
  std::vector<Argument> args;
  if (c.has_alpha) args.push_back(FloatArg("alpha", alpha_arg));
  // The operators compute with alpha as float rounded to T, as Caffe2.
  const long double alpha = static_cast<T>(alpha_arg);
  for (const std::string& target : kernels::AvailableTargets()) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(kernels::ForceTargetForTesting(target));
    auto out = RunOp(MakeOp(c.op, {"X"}, {"Y"}, args), {x});
    ASSERT_TRUE(out.ok()) << out.status();
    const std::vector<T> y = ToVector<T>((*out)[0]);
    ASSERT_EQ(y.size(), values.size());
    double worst = 0;
    int failures = 0;
    for (size_t i = 0; i < values.size() && failures < 5; ++i) {
      const long double want = c.ref(values[i], alpha);
      const T want_t = static_cast<T>(want);
      const std::string where = std::string(c.op) + "(" + std::to_string(values[i]) + ")";
      if (std::isnan(want)) {
        if (!std::isnan(y[i])) ++failures, ADD_FAILURE() << where << " = " << y[i] << ", want NaN";
      } else if (std::isinf(want_t) || want_t == 0) {
        // Infinite results and zeros (with their sign) must match exactly;
        // a result that rounds to 0 may come out as the smallest
        // subnormal within the bound.
        const bool ok = (y[i] == want_t && std::signbit(y[i]) == std::signbit(want_t)) ||
                        (want_t == 0 && Ulps<T>(y[i], want) <= c.ulp_bound);
        if (!ok) ++failures, ADD_FAILURE() << where << " = " << y[i] << ", want " << want_t;
      } else {
        const double u = Ulps<T>(y[i], want);
        worst = std::max(worst, u);
        if (u > c.ulp_bound) {
          ++failures;
          ADD_FAILURE() << where << " = " << y[i] << ", want " << static_cast<double>(want) << " ("
                        << u << " ULP)";
        }
      }
    }
    std::printf("%s %s max ULP on %s: %.3f\n", c.op, sizeof(T) == 4 ? "float" : "double",
                target.c_str(), worst);
  }
  kernels::ForceTargetForTesting("");
}

TEST(UnaryOpsTest, MatchLongDoubleReferenceFloat) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.op);
    CheckAgainstReference<float>(c, c.has_alpha ? 0.3f : 0);
  }
}

TEST(UnaryOpsTest, MatchLongDoubleReferenceDouble) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.op);
    CheckAgainstReference<double>(c, c.has_alpha ? 1.7f : 0);
  }
}

TEST(UnaryOpsTest, DefaultAlphaIsCaffe2s) {
  // LeakyRelu alpha 0.01, Elu alpha 1.0, both taken as float as Caffe2.
  const Tensor x = MakeTensor<double>({2}, {-2, 3});
  auto leaky = RunOp(MakeOp("LeakyRelu", {"X"}, {"Y"}), {x});
  auto elu = RunOp(MakeOp("Elu", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(leaky.ok() && elu.ok());
  EXPECT_EQ(ToVector<double>((*leaky)[0]), (std::vector<double>{-2.0 * double(0.01f), 3.0}));
  EXPECT_NEAR(ToVector<double>((*elu)[0])[0], std::expm1(-2.0), 1e-15);
  EXPECT_EQ(ToVector<double>((*elu)[0])[1], 3.0);
}

TEST(UnaryOpsTest, GoldenValues) {
  // Literals: exp(1) = e, log(e) ~ 1, sqrt(2), and signs of zero.
  auto run = [](const char* op, std::vector<float> in) {
    auto out = RunOp(MakeOp(op, {"X"}, {"Y"}), {MakeTensor<float>({int64_t(in.size())}, in)});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? ToVector<float>((*out)[0]) : std::vector<float>();
  };
  EXPECT_EQ(run("Exp", {1, 0})[0], 2.71828182845904523536f);
  EXPECT_EQ(run("Exp", {1, 0})[1], 1.0f);
  EXPECT_EQ(run("Log", {1})[0], 0.0f);
  EXPECT_EQ(run("Sqrt", {2})[0], 1.41421356237309504880f);
  EXPECT_TRUE(std::signbit(run("Sqrt", {-0.0f})[0]));
  EXPECT_TRUE(std::signbit(run("Negative", {0.0f})[0]));
  EXPECT_FALSE(std::signbit(run("Abs", {-0.0f})[0]));
  EXPECT_EQ(run("Log", {-0.0f})[0], -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(run("Log", {-1e-30f})[0]));
  EXPECT_TRUE(std::isnan(run("Sqrt", {-4})[0]));
}

// Gradients by central differences, inputs kept away from the kinks (x = 0
// for LeakyRelu, Elu, Abs) and inside the domain of Log and Sqrt.
TEST(UnaryOpsTest, GradientsMatchFiniteDifferences) {
  struct G {
    const char* op;
    double lo, hi;
  };
  for (const G& g : {G{"LeakyRelu", -3, 3}, G{"Elu", -3, 3}, G{"Exp", -4, 4}, G{"Log", 0.2, 5},
                     G{"Sqrt", 0.2, 5}, G{"Negative", -3, 3}, G{"Abs", -3, 3}}) {
    SCOPED_TRACE(g.op);
    Rng rng(11);
    Tensor x = RandomTensor<double>({3, 7}, rng, g.lo, g.hi);
    double* p = x.mutable_data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (std::fabs(p[i]) < 0.1) p[i] = p[i] < 0 ? -0.1 - p[i] : 0.1 + p[i];
    }
    std::vector<Argument> args;
    if (std::string(g.op) == "LeakyRelu" || std::string(g.op) == "Elu") {
      args.push_back(FloatArg("alpha", 0.25f));
    }
    absl::StatusOr<GradientCheckResult> r = CheckGradient(MakeOp(g.op, {"X"}, {"Y"}, args), {x});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

// The gradient operators against their closed forms evaluated in long
// double on the same inputs: within 1.5 ULP (one or two roundings).
TEST(UnaryOpsTest, GradientsMatchClosedForm) {
  struct G {
    const char* op;
    bool reads_output;
    std::function<long double(long double a, long double dy)> ref;
  };
  const long double alpha = 0.25f;
  const std::vector<G> grads = {
      {"LeakyRelu", true, [&](long double y, long double dy) { return y > 0 ? dy : alpha * dy; }},
      {"Elu", true, [&](long double y, long double dy) { return y > 0 ? dy : dy * (y + alpha); }},
      {"Exp", true, [](long double y, long double dy) { return dy * y; }},
      {"Log", false, [](long double x, long double dy) { return dy / x; }},
      {"Sqrt", true, [](long double y, long double dy) { return dy / (2 * y); }},
      {"Abs", false, [](long double x, long double dy) { return x > 0   ? dy
                                                                : x < 0 ? -dy
                                                                        : 0.0L; }},
  };
  for (const std::string& target : kernels::AvailableTargets()) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(kernels::ForceTargetForTesting(target));
    for (const G& g : grads) {
      SCOPED_TRACE(g.op);
      Rng rng(13);
      const Tensor x = RandomTensor<float>({1000}, rng, 0.01, 20);
      Tensor xs = RandomTensor<float>({1000}, rng, -20, 20);
      const Tensor dy = RandomTensor<float>({1000}, rng, -3, 3);
      const std::string op = g.op;
      const Tensor& in = (op == "Log" || op == "Sqrt") ? x : xs;
      std::vector<Argument> args;
      if (op == "LeakyRelu" || op == "Elu") args.push_back(FloatArg("alpha", 0.25f));
      auto fwd = RunOp(MakeOp(op, {"X"}, {"Y"}, args), {in});
      ASSERT_TRUE(fwd.ok()) << fwd.status();
      const Tensor& a = g.reads_output ? (*fwd)[0] : in;
      auto back = RunOp(MakeOp(op + "Gradient", {"A", "dY"}, {"dX"}, args), {a, dy});
      ASSERT_TRUE(back.ok()) << back.status();
      const std::vector<float> dx = ToVector<float>((*back)[0]);
      for (int64_t i = 0; i < 1000; ++i) {
        const long double want = g.ref(a.data<float>()[i], dy.data<float>()[i]);
        ASSERT_LE(Ulps<float>(dx[i], want), 1.5) << "a = " << a.data<float>()[i];
      }
    }
  }
  kernels::ForceTargetForTesting("");
  // Negative's gradient is Negative of dY (Caffe2's).
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Negative", {"X"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(meta->ops[0].type(), "Negative");
}

TEST(UnaryOpsTest, GradientSpecialValues) {
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  const Tensor a = MakeTensor<float>({5}, {nan, 0.0f, -0.0f, 2, -2});
  const Tensor dy = MakeTensor<float>({5}, {1, 1, 1, 3, 3});
  auto run = [&](const char* op) {
    auto out = RunOp(MakeOp(op, {"A", "dY"}, {"dX"}), {a, dy});
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? ToVector<float>((*out)[0]) : std::vector<float>(5);
  };
  // AbsGradient: NaN where X is NaN, 0 at +-0 (as Caffe2), sign(X) * dY.
  const std::vector<float> abs = run("AbsGradient");
  EXPECT_TRUE(std::isnan(abs[0]));
  EXPECT_EQ(abs[1], 0.0f);
  EXPECT_EQ(abs[2], 0.0f);
  EXPECT_EQ(abs[3], 3.0f);
  EXPECT_EQ(abs[4], -3.0f);
  // LogGradient: dY / X, so +-inf at +-0.
  const std::vector<float> log = run("LogGradient");
  EXPECT_TRUE(std::isnan(log[0]));
  EXPECT_EQ(log[1], inf);
  EXPECT_EQ(log[2], -inf);
  EXPECT_EQ(log[3], 1.5f);
  // SqrtGradient: 0.5 * dY / Y.
  EXPECT_EQ(run("SqrtGradient")[3], 0.75f);
  // LeakyReluGradient at Y = 0 takes the slope alpha (0.01 as float).
  EXPECT_EQ(run("LeakyReluGradient")[1], 0.01f);
  // EluGradient at Y = -0 (x = 0 or alpha = 0 below zero): dY * (Y + alpha).
  EXPECT_EQ(run("EluGradient")[2], 1.0f);
}

TEST(UnaryOpsTest, GradientMakersReadWhatTheirFormulaNeeds) {
  struct M {
    const char* op;
    const char* grad;
    const char* first_input;
  };
  for (const M& m : {M{"LeakyRelu", "LeakyReluGradient", "Y"}, M{"Elu", "EluGradient", "Y"},
                     M{"Exp", "ExpGradient", "Y"}, M{"Log", "LogGradient", "X"},
                     M{"Sqrt", "SqrtGradient", "Y"}, M{"Abs", "AbsGradient", "X"}}) {
    SCOPED_TRACE(m.op);
    absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp(m.op, {"X"}, {"Y"}));
    ASSERT_TRUE(meta.ok()) << meta.status();
    ASSERT_EQ(meta->ops.size(), 1u);
    EXPECT_EQ(meta->ops[0].type(), m.grad);
    EXPECT_EQ(meta->ops[0].input(0), m.first_input);
  }
  // alpha is copied to the gradient operator.
  absl::StatusOr<GradientOpsMeta> meta =
      GetGradientDefs(MakeOp("Elu", {"X"}, {"Y"}, {FloatArg("alpha", 0.5f)}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops[0].arg_size(), 1);
  EXPECT_EQ(meta->ops[0].arg(0).name(), "alpha");
  EXPECT_EQ(meta->ops[0].arg(0).f(), 0.5f);
}

TEST(UnaryOpsTest, InPlaceWhereAllowed) {
  Rng rng(17);
  const Tensor x = RandomTensor<float>({5, 13}, rng, 0.1, 6);
  for (const char* op : {"LeakyRelu", "Elu", "Exp", "Sqrt", "Negative"}) {
    SCOPED_TRACE(op);
    auto out = RunOp(MakeOp(op, {"X"}, {"Y"}), {x});
    auto in = RunOp(MakeOp(op, {"X"}, {"X"}), {x});
    ASSERT_TRUE(out.ok() && in.ok());
    EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
  }
  // Log and Abs: their gradients read X, so the schema refuses in place.
  for (const char* op : {"Log", "Abs"}) {
    SCOPED_TRACE(op);
    const absl::Status s = CreateStatus(MakeOp(op, {"X"}, {"X"}), {x});
    EXPECT_FALSE(s.ok());
  }
  const Tensor dy = RandomTensor<float>({5, 13}, rng, -1, 1);
  const Tensor dy2 = RandomTensor<float>({5, 13}, rng, -1, 1);
  for (const char* op : {"ExpGradient", "LogGradient", "AbsGradient", "SqrtGradient"}) {
    SCOPED_TRACE(op);
    // AbsGradient gets mixed signs, so that its result differs from dY.
    const Tensor& a = std::string(op) == "AbsGradient" ? dy2 : x;
    auto out = RunOp(MakeOp(op, {"A", "dY"}, {"dX"}), {a, dy});
    auto in = RunOp(MakeOp(op, {"A", "dY"}, {"dY"}), {a, dy});
    ASSERT_TRUE(out.ok() && in.ok());
    EXPECT_EQ(ToVector<float>((*in)[0]), ToVector<float>((*out)[0]));
    EXPECT_NE(ToVector<float>((*in)[0]), ToVector<float>(dy));
  }
}

TEST(UnaryOpsTest, SchemaRefusals) {
  const Tensor ints = MakeTensor<int64_t>({2}, {1, 2});
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.op);
    const absl::Status s = CreateStatus(MakeOp(c.op, {"X"}, {"Y"}), {ints});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  }
  const Tensor f = MakeTensor<float>({2}, {1, 2});
  for (float bad : {-0.5f, std::numeric_limits<float>::infinity(), std::nanf("")}) {
    for (const char* op : {"LeakyRelu", "Elu", "LeakyReluGradient", "EluGradient"}) {
      SCOPED_TRACE(op);
      const bool grad = std::string(op).find("Gradient") != std::string::npos;
      const absl::Status s =
          grad ? CreateStatus(MakeOp(op, {"Y", "dY"}, {"dX"}, {FloatArg("alpha", bad)}), {f, f})
               : CreateStatus(MakeOp(op, {"X"}, {"Y"}, {FloatArg("alpha", bad)}), {f});
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
      EXPECT_TRUE(Contains(s, "alpha")) << s;
    }
  }
  // Gradient inputs must agree in type and shape.
  const absl::Status s = CreateStatus(MakeOp("ExpGradient", {"Y", "dY"}, {"dX"}),
                                      {f, MakeTensor<double>({2}, {1, 1})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  const absl::Status s2 = CreateStatus(MakeOp("LogGradient", {"X", "dY"}, {"dX"}),
                                       {f, MakeTensor<float>({3}, {1, 1, 1})});
  EXPECT_EQ(s2.code(), absl::StatusCode::kInvalidArgument) << s2;
}

// Every operator gives the same bits with 1 and 4 threads (a tensor large
// enough that ParallelFor splits it, with a length that is not a multiple
// of the vector size).
TEST(UnaryOpsTest, BitIdenticalAcrossThreadCounts) {
  Rng rng(19);
  const Tensor x = RandomTensor<float>({(1 << 21) + 5}, rng, -30, 30);
  const Tensor dy = RandomTensor<float>({(1 << 21) + 5}, rng, -1, 1);
  auto run = [&](const OperatorDef& op, int threads) {
    Workspace ws;
    ws.set_num_threads(threads);
    EXPECT_TRUE(ws.FeedBlob(op.input(0), x).ok());
    if (op.input_size() > 1) {
      EXPECT_TRUE(ws.FeedBlob(op.input(1), dy).ok());
    }
    NetDef net;
    *net.add_op() = op;
    const absl::Status s = ws.RunNetOnce(net);
    EXPECT_TRUE(s.ok()) << s;
    const Tensor* out = ws.GetBlob(op.output(0));
    return out == nullptr ? std::vector<float>() : ToVector<float>(*out);
  };
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.op);
    const OperatorDef op = MakeOp(c.op, {"X"}, {"Y"});
    const std::vector<float> one = run(op, 1);
    ASSERT_EQ(one.size(), static_cast<size_t>(x.numel()));
    const std::vector<float> four = run(op, 4);
    // Compare bit patterns, so NaN equals NaN.
    ASSERT_EQ(0, std::memcmp(one.data(), four.data(), one.size() * sizeof(float)));
    if (c.op != std::string("Negative")) {
      const OperatorDef g = MakeOp(std::string(c.op) + "Gradient", {"A", "dY"}, {"dX"});
      const std::vector<float> g1 = run(g, 1), g4 = run(g, 4);
      ASSERT_EQ(g1.size(), one.size());
      ASSERT_EQ(0, std::memcmp(g1.data(), g4.data(), g1.size() * sizeof(float)));
    }
  }
}

}  // namespace
}  // namespace opgraph
