// Tests of the Gemm operator and GemmGradient (ops/gemm_op.cc); the GEMM
// wrapper itself is tested by gemm_test.cc.
//
// Reference: alpha * op(A) op(B) + beta * C written here as loops in long
// double (C broadcast by numpy's rule); each element must be within the
// wrapper's bound (K + 3) eps times the sum of its terms' magnitudes.
// Gradients: core/gradient_checker.h (central differences in float64).
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::CreateStatus;
using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

using Dims = std::vector<int64_t>;

struct Case {
  int64_t m, n, k;
  bool ta, tb;
  float alpha, beta;
  bool has_c;
  Dims c_dims;
};

template <typename T>
void ExpectMatches(const Case& c, Rng& rng) {
  SCOPED_TRACE(::testing::Message() << "m " << c.m << " n " << c.n << " k " << c.k << " ta " << c.ta
                                    << " tb " << c.tb << " alpha " << c.alpha << " beta " << c.beta
                                    << " C " << ::testing::PrintToString(c.c_dims));
  const Tensor a = RandomTensor<T>(c.ta ? Dims{c.k, c.m} : Dims{c.m, c.k}, rng, -1, 1);
  const Tensor b = RandomTensor<T>(c.tb ? Dims{c.n, c.k} : Dims{c.k, c.n}, rng, -1, 1);
  const Tensor cc = RandomTensor<T>(c.c_dims, rng, -1, 1);
  std::vector<Argument> args = {FloatArg("alpha", c.alpha), FloatArg("beta", c.beta),
                                IntArg("trans_a", c.ta), IntArg("trans_b", c.tb)};
  std::vector<std::string> ins = {"A", "B"};
  testing::TensorRefs refs = {a, b};
  if (c.has_c) {
    ins.push_back("C");
    refs.push_back(cc);
  }
  auto r = RunOp(MakeOp("Gemm", ins, {"Y"}, args), refs);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)[0].dims(), (Dims{c.m, c.n}));
  const std::vector<T> y = ToVector<T>((*r)[0]);
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  const T* cp = cc.data<T>();
  // C's dims padded to rank 2.
  Dims pc(2 - c.c_dims.size(), 1);
  pc.insert(pc.end(), c.c_dims.begin(), c.c_dims.end());
  const long double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < c.n; ++j) {
      long double s = 0, sabs = 0;
      for (int64_t p = 0; p < c.k; ++p) {
        const long double x = ap[c.ta ? p * c.m + i : i * c.k + p];
        const long double z = bp[c.tb ? j * c.k + p : p * c.n + j];
        s += x * z;
        sabs += std::fabs(x * z);
      }
      long double want = static_cast<long double>(static_cast<T>(c.alpha)) * s;
      long double mag = std::fabs(static_cast<long double>(c.alpha)) * sabs;
      if (c.has_c) {
        const long double cv = cp[(pc[0] == 1 ? 0 : i) * pc[1] + (pc[1] == 1 ? 0 : j)];
        want += static_cast<long double>(static_cast<T>(c.beta)) * cv;
        mag += std::fabs(c.beta * cv);
      }
      ASSERT_LE(std::fabs(y[i * c.n + j] - want), (c.k + 3) * eps * mag)
          << "element " << i << ", " << j;
    }
  }
}

TEST(GemmOperatorTest, AgainstLongDouble) {
  Rng rng(31);
  const std::vector<Case> cases = {
      {3, 5, 4, false, false, 1, 1, true, {3, 5}},     {3, 5, 4, true, false, 0.5f, 2, true, {5}},
      {3, 5, 4, false, true, -1, 0.25f, true, {3, 1}}, {3, 5, 4, true, true, 2, -1, true, {}},
      {3, 5, 4, false, false, 1, 1, false, {}},        {4, 2, 7, true, true, 1.5f, 1, true, {1, 2}},
      {0, 5, 4, false, false, 1, 1, true, {5}},        {3, 5, 0, false, false, 1, 2, true, {3, 5}},
      {64, 33, 70, false, true, 1, 1, true, {1}}};
  for (const Case& c : cases) {
    ExpectMatches<float>(c, rng);
    ExpectMatches<double>(c, rng);
  }
}

// beta * C is added even when beta = 0, as the formula says: a NaN in C
// stays NaN.
TEST(GemmOperatorTest, BetaZeroKeepsNaNOfC) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = RunOp(MakeOp("Gemm", {"A", "B", "C"}, {"Y"}, {FloatArg("beta", 0)}),
                 {MakeTensor<float>({1, 1}, {2}), MakeTensor<float>({1, 2}, {3, 4}),
                  MakeTensor<float>({2}, {nan, 1})});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<float> y = ToVector<float>((*r)[0]);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], 8);
}

TEST(GemmOperatorTest, Refusals) {
  Rng rng(32);
  auto status = [&](const Dims& a, const Dims& b, const Dims* c,
                    const std::vector<Argument>& args) {
    std::vector<std::string> ins = {"A", "B"};
    std::vector<Tensor> ts;
    ts.push_back(RandomTensor<float>(a, rng, 0, 1));
    ts.push_back(RandomTensor<float>(b, rng, 0, 1));
    if (c != nullptr) {
      ins.push_back("C");
      ts.push_back(RandomTensor<float>(*c, rng, 0, 1));
    }
    return CreateStatus(MakeOp("Gemm", ins, {"Y"}, args), testing::Refs(ts));
  };
  absl::Status s = status({2, 3}, {4, 5}, nullptr, {});
  EXPECT_TRUE(Contains(s, "has K = 3") && Contains(s, "has K = 4")) << s;
  s = status({2, 3}, {4, 3}, nullptr, {IntArg("trans_b", 1)});
  EXPECT_TRUE(s.ok()) << s;
  s = status({2, 3, 1}, {3, 4}, nullptr, {});
  EXPECT_TRUE(Contains(s, "rank 2")) << s;
  const Dims c_bad{4, 1};
  s = status({2, 3}, {3, 4}, &c_bad, {});
  EXPECT_TRUE(Contains(s, "does not broadcast to Y's shape [2, 4]")) << s;
}

TEST(GemmOperatorTest, GradientsAgainstFiniteDifferences) {
  Rng rng(33);
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      for (const Dims& cd : {Dims{3, 4}, Dims{4}, Dims{3, 1}, Dims{}}) {
        SCOPED_TRACE(::testing::Message() << ta << tb << ::testing::PrintToString(cd));
        const Tensor a = RandomTensor<double>(ta ? Dims{5, 3} : Dims{3, 5}, rng, -1, 1);
        const Tensor b = RandomTensor<double>(tb ? Dims{4, 5} : Dims{5, 4}, rng, -1, 1);
        const Tensor c = RandomTensor<double>(cd, rng, -1, 1);
        absl::StatusOr<GradientCheckResult> r =
            CheckGradient(MakeOp("Gemm", {"A", "B", "C"}, {"Y"},
                                 {FloatArg("alpha", 0.75f), FloatArg("beta", -1.5f),
                                  IntArg("trans_a", ta), IntArg("trans_b", tb)}),
                          {a, b, c});
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
      }
    }
  }
  // Without C.
  const Tensor a = RandomTensor<double>({2, 3}, rng, -1, 1);
  const Tensor b = RandomTensor<double>({3, 4}, rng, -1, 1);
  absl::StatusOr<GradientCheckResult> r =
      CheckGradient(MakeOp("Gemm", {"A", "B"}, {"Y"}, {FloatArg("alpha", 2)}), {a, b});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
}

}  // namespace
}  // namespace opgraph
