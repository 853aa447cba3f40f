// Tests of Add, Sub, Mul, Div and their gradients (ops/binary_ops.cc,
// ops/binary_grad_ops.cc, ops/binary_broadcast.cc).
//
// References: a broadcasting loop written here from numpy's rule (each
// output index mapped to A's and B's by taking index 0 along a dimension of
// size 1), computing in long double; float32 results must equal the long
// double result rounded to float (an add, subtract, multiply or divide of
// two floats is exact in long double's 64-bit significand, or, for divide,
// rounded twice with 64 >= 2 * 24 + 2 bits, which is still correct), and
// float64 results must be within 1 ULP. Gradients: core/gradient_checker.h
// (central differences in float64). Integer golden values by hand.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
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
using testing::CreateStatus;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

using Dims = std::vector<int64_t>;

// numpy's broadcast of a and b; also each input's dims padded to the
// output's rank.
Dims BroadcastDims(const Dims& a, const Dims& b, Dims* pa, Dims* pb) {
  const size_t r = std::max(a.size(), b.size());
  pa->assign(r - a.size(), 1);
  pa->insert(pa->end(), a.begin(), a.end());
  pb->assign(r - b.size(), 1);
  pb->insert(pb->end(), b.begin(), b.end());
  Dims out(r);
  for (size_t i = 0; i < r; ++i) out[i] = (*pa)[i] == 1 ? (*pb)[i] : (*pa)[i];
  return out;
}

// Flat index into a tensor of dims `d` (padded to the output's rank) of the
// output's multi-index `idx`.
int64_t SourceIndex(const Dims& d, const Dims& idx) {
  int64_t flat = 0;
  for (size_t i = 0; i < d.size(); ++i) flat = flat * d[i] + (d[i] == 1 ? 0 : idx[i]);
  return flat;
}

long double RefOp(const std::string& op, long double x, long double y) {
  if (op == "Add") return x + y;
  if (op == "Sub") return x - y;
  if (op == "Mul") return x * y;
  return x / y;
}

// The reference of `op` on a and b with numpy broadcasting, in long double.
template <typename T>
std::vector<long double> Reference(const std::string& op, const Tensor& a, const Tensor& b,
                                   Dims* out_dims) {
  Dims pa, pb;
  *out_dims = BroadcastDims(a.dims(), b.dims(), &pa, &pb);
  int64_t n = 1;
  for (int64_t d : *out_dims) n *= d;
  std::vector<long double> out(n);
  Dims idx(out_dims->size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i;
    for (size_t k = idx.size(); k-- > 0;) {
      idx[k] = rem % (*out_dims)[k];
      rem /= (*out_dims)[k];
    }
    out[i] = RefOp(op, a.data<T>()[SourceIndex(pa, idx)], b.data<T>()[SourceIndex(pb, idx)]);
  }
  return out;
}

template <typename T>
void ExpectMatchesReference(const std::string& op, const Tensor& a, const Tensor& b,
                            const std::vector<Argument>& args = {}) {
  SCOPED_TRACE(op + " " + a.type().ToString() + " " + b.type().ToString());
  Dims out_dims;
  const std::vector<long double> ref = Reference<T>(op, a, b, &out_dims);
  auto r = RunOp(MakeOp(op, {"A", "B"}, {"C"}, args), {a, b});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)[0].dims(), out_dims);
  const std::vector<T> c = ToVector<T>((*r)[0]);
  for (size_t i = 0; i < c.size(); ++i) {
    const T want = static_cast<T>(ref[i]);
    if (sizeof(T) == 4) {
      ASSERT_EQ(c[i], want) << "element " << i;
    } else {
      ASSERT_LE(std::fabs(c[i] - want), std::fabs(want) * std::numeric_limits<T>::epsilon())
          << "element " << i;
    }
  }
}

// Shape pairs covering every plan pattern: same shape, scalars, rows,
// columns, broadcasting on both sides, rank 0 and empty tensors.
const std::vector<std::pair<Dims, Dims>>& ShapePairs() {
  static const auto* pairs = new std::vector<std::pair<Dims, Dims>>{{{2, 3, 4}, {2, 3, 4}},
                                                                    {{37}, {37}},
                                                                    {{5, 7}, {}},
                                                                    {{}, {5, 7}},
                                                                    {{1}, {6, 1}},
                                                                    {{4, 5}, {5}},
                                                                    {{5}, {4, 5}},
                                                                    {{4, 5}, {4, 1}},
                                                                    {{4, 1}, {4, 5}},
                                                                    {{2, 1, 3}, {4, 1}},
                                                                    {{3, 1, 4}, {1, 5, 1}},
                                                                    {{2, 3, 4, 5}, {3, 1, 5}},
                                                                    {{}, {}},
                                                                    {{0, 3}, {3}},
                                                                    {{2, 0}, {1}},
                                                                    {{1, 1}, {1}},
                                                                    {{2, 3, 1}, {2, 1, 1}},
                                                                    {{1, 1, 7}, {3, 1, 1}}};
  return *pairs;
}

TEST(BinaryOpsTest, FloatAgainstLongDoubleOnEveryBroadcastPattern) {
  Rng rng(11);
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [da, db] : ShapePairs()) {
      const double lo = op == "Div" ? 0.25 : -3;  // divisors away from 0
      ExpectMatchesReference<float>(op, RandomTensor<float>(da, rng, -3, 3),
                                    RandomTensor<float>(db, rng, lo, 3));
      ExpectMatchesReference<double>(op, RandomTensor<double>(da, rng, -3, 3),
                                     RandomTensor<double>(db, rng, lo, 3));
    }
  }
}

// Long rows run the SIMD kernels' full vectors and their tails, on several
// threads when the workspace has them.
TEST(BinaryOpsTest, LongTensorsAgainstLongDouble) {
  Rng rng(12);
  for (const std::string op : {"Add", "Div"}) {
    ExpectMatchesReference<float>(op, RandomTensor<float>({300001}, rng, -3, 3),
                                  RandomTensor<float>({300001}, rng, 0.5, 3));
    ExpectMatchesReference<float>(op, RandomTensor<float>({1001, 301}, rng, -3, 3),
                                  RandomTensor<float>({301}, rng, 0.5, 3));
    ExpectMatchesReference<double>(op, RandomTensor<double>({1001, 1}, rng, -3, 3),
                                   RandomTensor<double>({1001, 303}, rng, 0.5, 3));
  }
}

TEST(BinaryOpsTest, IeeeSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  auto r = RunOp(MakeOp("Div", {"A", "B"}, {"C"}),
                 {MakeTensor<float>({4}, {1, -1, 0, inf}), MakeTensor<float>({4}, {0, 0, 0, inf})});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<float> c = ToVector<float>((*r)[0]);
  EXPECT_EQ(c[0], inf);
  EXPECT_EQ(c[1], -inf);
  EXPECT_TRUE(std::isnan(c[2]));
  EXPECT_TRUE(std::isnan(c[3]));
}

// Golden values by hand: wrapping Add, Sub and Mul; Div truncates toward
// zero and min / -1 wraps to min.
TEST(BinaryOpsTest, IntegersWrapAndTruncate) {
  auto run32 = [](const std::string& op, const std::vector<int32_t>& a,
                  const std::vector<int32_t>& b) {
    auto r = RunOp(MakeOp(op, {"A", "B"}, {"C"}),
                   {MakeTensor<int32_t>({static_cast<int64_t>(a.size())}, a),
                    MakeTensor<int32_t>({static_cast<int64_t>(b.size())}, b)});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? ToVector<int32_t>((*r)[0]) : std::vector<int32_t>{};
  };
  const int32_t mx = INT32_MAX, mn = INT32_MIN;
  EXPECT_EQ(run32("Add", {mx, -5, 7}, {1, 7, -7}), (std::vector<int32_t>{mn, 2, 0}));
  EXPECT_EQ(run32("Sub", {mn, 5, 0}, {1, 7, -3}), (std::vector<int32_t>{mx, -2, 3}));
  EXPECT_EQ(run32("Mul", {65536, -3, mn}, {65536, 4, -1}), (std::vector<int32_t>{0, -12, mn}));
  EXPECT_EQ(run32("Div", {7, -7, 7, -7, mn, mn, 0}, {2, 2, -2, -2, -1, 1, 5}),
            (std::vector<int32_t>{3, -3, -3, 3, mn, mn, 0}));
  // int64 with a broadcast scalar divisor.
  auto r = RunOp(MakeOp("Div", {"A", "B"}, {"C"}),
                 {MakeTensor<int64_t>({3}, {INT64_MIN, 9, -9}), MakeTensor<int64_t>({}, {-1})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ToVector<int64_t>((*r)[0]), (std::vector<int64_t>{INT64_MIN, -9, 9}));
  r = RunOp(MakeOp("Mul", {"A", "B"}, {"C"}),
            {MakeTensor<int64_t>({2, 1}, {3, -4}), MakeTensor<int64_t>({3}, {1, 2, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ToVector<int64_t>((*r)[0]), (std::vector<int64_t>{3, 6, 9, -4, -8, -12}));
}

TEST(BinaryOpsTest, IntegerDivisionByZeroIsAnError) {
  auto r = RunOp(MakeOp("Div", {"A", "B"}, {"C"}),
                 {MakeTensor<int32_t>({3}, {1, 2, 3}), MakeTensor<int32_t>({3}, {1, 0, 3})});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "division by zero")) << r.status();
  EXPECT_TRUE(Contains(r.status(), "element 1")) << r.status();
}

TEST(BinaryOpsTest, IncompatibleShapesNameBoth) {
  const absl::Status s = CreateStatus(MakeOp("Add", {"A", "B"}, {"C"}),
                                      {MakeTensor<float>({2, 3}, std::vector<float>(6)),
                                       MakeTensor<float>({4}, std::vector<float>(4))});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "[2, 3]") && Contains(s, "[4]")) << s;
}

TEST(BinaryOpsTest, MixedTypesAreRefused) {
  const absl::Status s =
      CreateStatus(MakeOp("Mul", {"A", "B"}, {"C"}),
                   {MakeTensor<float>({2}, {1, 2}), MakeTensor<double>({2}, {1, 2})});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "float32") && Contains(s, "float64")) << s;
}

// Legacy broadcast = 1: the result equals numpy's with B padded by ones to
// A's rank at `axis`.
TEST(BinaryOpsTest, LegacyBroadcastAtAxis) {
  Rng rng(13);
  const Tensor a = RandomTensor<float>({2, 3, 4, 5}, rng, -2, 2);
  struct Case {
    Dims b;
    int64_t axis;
    Dims as_numpy;
  };
  for (const Case& c : std::vector<Case>{{{3, 4}, 1, {3, 4, 1}},
                                         {{5}, -1, {5}},
                                         {{4, 5}, -1, {4, 5}},
                                         {{2}, 0, {2, 1, 1, 1}},
                                         {{1, 4, 1}, -1, {4, 1}},
                                         {{}, -1, {}}}) {
    const Tensor b = RandomTensor<float>(c.b, rng, 0.5, 2);
    const Tensor b_numpy = MakeTensor<float>(c.as_numpy, ToVector<float>(b));
    for (const std::string op : {"Sub", "Div"}) {
      SCOPED_TRACE(op + " axis " + std::to_string(c.axis));
      auto legacy = RunOp(
          MakeOp(op, {"A", "B"}, {"C"}, {IntArg("broadcast", 1), IntArg("axis", c.axis)}), {a, b});
      auto numpy = RunOp(MakeOp(op, {"A", "B"}, {"C"}), {a, b_numpy});
      ASSERT_TRUE(legacy.ok()) << legacy.status();
      ASSERT_TRUE(numpy.ok()) << numpy.status();
      EXPECT_EQ((*legacy)[0].dims(), a.dims());
      EXPECT_EQ(ToVector<float>((*legacy)[0]), ToVector<float>((*numpy)[0]));
    }
  }
}

TEST(BinaryOpsTest, LegacyBroadcastRefusals) {
  const Tensor a = MakeTensor<float>({2, 3}, std::vector<float>(6));
  auto status = [&](const Tensor& b, const std::vector<Argument>& args) {
    return CreateStatus(MakeOp("Add", {"A", "B"}, {"C"}, args), {a, b});
  };
  const Tensor b3 = MakeTensor<float>({3}, std::vector<float>(3));
  absl::Status s = status(b3, {IntArg("broadcast", 1), IntArg("axis", 0)});
  EXPECT_TRUE(Contains(s, "dimension 0 of B [3] is 3")) << s;
  s = status(b3, {IntArg("broadcast", 1), IntArg("axis", 2)});
  EXPECT_TRUE(Contains(s, "argument 'axis' is 2")) << s;
  s = status(MakeTensor<float>({1, 2, 3}, std::vector<float>(6)), {IntArg("broadcast", 1)});
  EXPECT_TRUE(Contains(s, "rank(B) <= rank(A)")) << s;
  s = status(b3, {IntArg("axis", 1)});
  EXPECT_TRUE(Contains(s, "only meaningful with broadcast=1")) << s;
  s = status(b3, {IntArg("broadcast", 2)});
  EXPECT_TRUE(Contains(s, "'broadcast' is 2")) << s;
}

TEST(BinaryOpsTest, InPlaceWhenShapesAllow) {
  // C over A: A has the output's shape.
  auto r = RunOp(MakeOp("Add", {"A", "B"}, {"A"}),
                 {MakeTensor<float>({2, 2}, {1, 2, 3, 4}), MakeTensor<float>({2}, {10, 20})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ToVector<float>((*r)[0]), (std::vector<float>{11, 22, 13, 24}));
  // C over B, B full-size.
  r = RunOp(MakeOp("Sub", {"A", "B"}, {"B"}),
            {MakeTensor<float>({2}, {10, 20}), MakeTensor<float>({2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ToVector<float>((*r)[0]), (std::vector<float>{9, 18, 7, 16}));
  // C over A when A differs from C only by a leading 1: allowed.
  r = RunOp(MakeOp("Mul", {"A", "B"}, {"A"}),
            {MakeTensor<float>({2}, {3, 4}), MakeTensor<float>({1, 2}, {10, 100})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (Dims{1, 2}));
  EXPECT_EQ(ToVector<float>((*r)[0]), (std::vector<float>{30, 400}));
  // C over A when A is the smaller one: refused.
  const absl::Status s =
      CreateStatus(MakeOp("Mul", {"A", "B"}, {"A"}),
                   {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({2, 2}, {1, 2, 3, 4})});
  EXPECT_FALSE(s.ok());
  if (s.ok()) {
    auto run = RunOp(MakeOp("Mul", {"A", "B"}, {"A"}),
                     {MakeTensor<float>({2}, {1, 2}), MakeTensor<float>({2, 2}, {1, 2, 3, 4})});
    EXPECT_FALSE(run.ok());
  }
}

TEST(BinaryOpsTest, GradientsAgainstFiniteDifferences) {
  Rng rng(14);
  const std::vector<std::pair<Dims, Dims>> pairs = {
      {{2, 3}, {2, 3}}, {{2, 3}, {3}},       {{3}, {2, 3}},          {{2, 3}, {}},
      {{4, 1}, {4, 3}}, {{2, 1, 3}, {4, 1}}, {{3, 1, 2}, {1, 4, 1}}, {{}, {2, 2}}};
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [da, db] : pairs) {
      SCOPED_TRACE(op + " " + ::testing::PrintToString(da) + " " + ::testing::PrintToString(db));
      const Tensor a = RandomTensor<double>(da, rng, -2, 2);
      const Tensor b = RandomTensor<double>(db, rng, 0.5, 2);
      absl::StatusOr<GradientCheckResult> r = CheckGradient(MakeOp(op, {"A", "B"}, {"C"}), {a, b});
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
    }
  }
}

TEST(BinaryOpsTest, LegacyBroadcastGradient) {
  Rng rng(15);
  const Tensor a = RandomTensor<double>({2, 3, 4}, rng, -2, 2);
  const Tensor b = RandomTensor<double>({3}, rng, 0.5, 2);
  for (const std::string op : {"Add", "Mul", "Div"}) {
    SCOPED_TRACE(op);
    absl::StatusOr<GradientCheckResult> r = CheckGradient(
        MakeOp(op, {"A", "B"}, {"C"}, {IntArg("broadcast", 1), IntArg("axis", 1)}), {a, b});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

// Caffe2's gradient inputs: Add, Sub, Mul read (dC, A, B); Div reads
// (dC, A, B, C) and uses B and C.
TEST(BinaryOpsTest, GradientMakers) {
  for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
    absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp(op, {"A", "B"}, {"C"}));
    ASSERT_TRUE(meta.ok()) << meta.status();
    ASSERT_EQ(meta->ops.size(), 1u);
    const OperatorDef& g = meta->ops[0];
    EXPECT_EQ(g.type(), op + "Gradient");
    ASSERT_EQ(g.input_size(), op == "Div" ? 4 : 3);
    EXPECT_EQ(g.input(1), "A");
    EXPECT_EQ(g.input(2), "B");
    if (op == "Div") {
      EXPECT_EQ(g.input(3), "C");
    }
    ASSERT_EQ(g.output_size(), 2);
  }
}

// Add(X, X), Sub(X, X), Mul(X, X), Div(X, X): the one input's gradient
// sums both parts. Golden values by hand with dC = [1, -2] at x = [3, 0.5]:
// Add 2 dC; Sub 0; Mul 2 x dC; Div dC / x - dC x / x^2 = 0.
TEST(BinaryOpsTest, GradientOfOneBlobUsedTwice) {
  const Tensor x = MakeTensor<double>({2}, {3, 0.5});
  const Tensor dc = MakeTensor<double>({2}, {1, -2});
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"Add", {2, -4}}, {"Sub", {0, 0}}, {"Mul", {6, -2}}, {"Div", {0, 0}}};
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(op);
    const OperatorDef fwd = MakeOp(op, {"X", "X"}, {"C"});
    absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(fwd);
    ASSERT_TRUE(meta.ok()) << meta.status();
    NetDef net;
    *net.add_op() = fwd;
    for (const OperatorDef& g : meta->ops) *net.add_op() = g;
    Workspace ws;
    ASSERT_TRUE(ws.FeedBlob("X", x).ok());
    ASSERT_TRUE(ws.FeedBlob("C_grad", dc).ok());
    const absl::Status run = ws.RunNetOnce(net);
    ASSERT_TRUE(run.ok()) << run;
    absl::StatusOr<Tensor> dx = ws.FetchBlob("X_grad");
    ASSERT_TRUE(dx.ok()) << dx.status();
    EXPECT_EQ(ToVector<double>(*dx), want);
  }
}

// The gradient of an empty broadcast product is zero, in B's shape.
TEST(BinaryOpsTest, GradientOfEmptyProductIsZero) {
  auto r = RunOp(MakeOp("MulGradient", {"dC", "A", "B"}, {"dA", "dB"}),
                 {MakeTensor<float>({0, 3}, {}), MakeTensor<float>({0, 3}, {}),
                  MakeTensor<float>({3}, {1, 2, 3})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].dims(), (Dims{0, 3}));
  EXPECT_EQ(ToVector<float>((*r)[1]), (std::vector<float>{0, 0, 0}));
}

}  // namespace
}  // namespace opgraph
