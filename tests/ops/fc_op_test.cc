// FC and FCGradient: golden rows worked out by hand (small integers and
// halves, exact in float), argument variants, schema rejections, a
// finite-difference gradient check, and results against a long double
// reference within the GEMM wrapper's bound (ops/kernels/gemm.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Copy;
using testing::FloatArg;
using testing::FloatsArg;
using testing::IntArg;
using testing::IntsArg;
using testing::IsOk;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// X [[1,2,3],[4,5,6]], W [[1,0,-1],[.5,.5,.5]], b [.1,-.2]:
// Y[0] = [1-3+.1, 3-.2], Y[1] = [4-6+.1, 7.5-.2].
TEST(FCOpTest, GoldenRows) {
  auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
                   {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                    MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 2}));
  const std::vector<float> y = ToVector<float>((*out)[0]);
  const std::vector<float> expected = {-1.9f, 2.8f, -1.9f, 7.3f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], expected[i], 1e-6) << i;
}

// dY [[1,2],[3,4]] with the X and W above:
// dW = dY^T X = [[13,17,21],[18,24,30]], db = [4,6], dX = dY W = [[2,1,0],[5,2,-1]].
TEST(FCOpTest, GradientGoldenRows) {
  auto out = RunOp(MakeOp("FCGradient", {"x", "w", "dy"}, {"dw", "db", "dx"}),
                   {MakeTensor<double>({2, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<double>({2, 3}, {1, 0, -1, 0.5, 0.5, 0.5}),
                    MakeTensor<double>({2, 2}, {1, 2, 3, 4})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ToVector<double>((*out)[0]), (std::vector<double>{13, 17, 21, 18, 24, 30}));
  EXPECT_EQ(ToVector<double>((*out)[1]), (std::vector<double>{4, 6}));
  EXPECT_EQ(ToVector<double>((*out)[2]), (std::vector<double>{2, 1, 0, 5, 2, -1}));
}

// With axis=2, X [2,1,3] keeps its first two dims: Y is [2,1,2] and holds
// the same numbers as the [2,3] case.
TEST(FCOpTest, AxisKeepsLeadingDims) {
  auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", 2)}),
                   {MakeTensor<float>({2, 1, 3}, {1, 2, 3, 4, 5, 6}),
                    MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                    MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_NEAR(ToVector<float>((*out)[0])[3], 7.3f, 1e-6);
}

TEST(FCOpTest, RejectsMismatchedShapesNamingThem) {
  auto out =
      RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
            {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
             MakeTensor<float>({2, 2}, {1, 0, -1, 0.5f}), MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("float32[2, 2]"), std::string::npos) << out.status();
  auto bad_bias = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}),
                        {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                         MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                         MakeTensor<float>({3}, {0.1f, -0.2f, 0})});
  ASSERT_FALSE(bad_bias.ok());
  EXPECT_NE(bad_bias.status().message().find("b is float32[3]"), std::string::npos)
      << bad_bias.status();
  auto bad_axis = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", 2)}),
                        {MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}),
                         MakeTensor<float>({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                         MakeTensor<float>({2}, {0.1f, -0.2f})});
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_NE(bad_axis.status().message().find("axis"), std::string::npos);
  auto bad_arg = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}, {FloatArg("alpha", 1)}),
                       {MakeTensor<float>({1, 1}, {1}), MakeTensor<float>({1, 1}, {1}),
                        MakeTensor<float>({1}, {1})});
  EXPECT_EQ(bad_arg.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FCOpTest, GradientMakerFollowsCaffe2) {
  auto meta = GetGradientDefs(MakeOp("FC", {"x", "w", "b"}, {"y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "FCGradient");
  EXPECT_EQ(std::vector<std::string>(g.input().begin(), g.input().end()),
            (std::vector<std::string>{"x", "w", "y_grad"}));
  EXPECT_EQ(std::vector<std::string>(g.output().begin(), g.output().end()),
            (std::vector<std::string>{"w_grad", "b_grad", "x_grad"}));
}

TEST(FCOpTest, FiniteDifferenceGradient) {
  testing::Rng rng(42);
  for (int axis : {1, 2}) {
    SCOPED_TRACE(axis);
    const std::vector<int64_t> xdims =
        axis == 1 ? std::vector<int64_t>{4, 3} : std::vector<int64_t>{2, 2, 3};
    auto r = CheckGradient(MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", axis)}),
                           {testing::RandomTensor<float>(xdims, rng, -1, 1),
                            testing::RandomTensor<float>({5, 3}, rng, -1, 1),
                            testing::RandomTensor<float>({5}, rng, -1, 1)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->compute_dtype, DType::kFloat64);
    EXPECT_EQ(r->inputs.size(), 3u);
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

// ---------------------------------------------------------------------------
// Against a long double reference. Every element of Y is b_j + sum_p x_ip w_jp
// accumulated in T by the GEMM wrapper, so (ops/kernels/gemm.h)
//   |y - exact| <= (K + 2) eps S,   S = |b_j| + sum_p |x_ip w_jp|,
// with exact and S computed here in long double from the same float inputs.

struct FcCase {
  std::vector<int64_t> xdims, wdims;
  int axis, axis_w;
};

template <typename T>
void ExpectFcWithinBound(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& y,
                         int64_t m, int64_t n, int64_t k) {
  ASSERT_EQ(y.numel(), m * n);
  const T* xp = x.data<T>();
  const T* wp = w.data<T>();
  const T* bp = b.data<T>();
  const T* yp = y.data<T>();
  const long double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      long double exact = bp[j], s = std::fabs(static_cast<long double>(bp[j]));
      for (int64_t p = 0; p < k; ++p) {
        const long double t = static_cast<long double>(xp[i * k + p]) * wp[j * k + p];
        exact += t;
        s += std::fabs(t);
      }
      const long double err = std::fabs(static_cast<long double>(yp[i * n + j]) - exact);
      ASSERT_LE(err, (k + 2) * eps * s) << "row " << i << " col " << j;
    }
  }
}

template <typename T>
void CheckAgainstLongDouble() {
  Rng rng(7);
  const std::vector<FcCase> cases = {
      {{5, 37}, {9, 37}, 1, 1},           // plain
      {{1, 300}, {17, 300}, 1, 1},        // one row: the wrapper's gemv path
      {{3, 4, 5, 6}, {7, 5, 6}, 2, 1},    // axis 2: M = 12, K = 30
      {{2, 3, 20}, {4, 2, 3, 20}, 1, 2},  // axis_w 2: N = 8, K = 60
      {{300, 70}, {130, 70}, 1, 1},       // many rows
      {{0, 8}, {3, 8}, 1, 1},             // M = 0
  };
  for (const FcCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "x " << c.xdims.size() << "d axis " << c.axis << " axis_w " << c.axis_w);
    const Tensor x = RandomTensor<T>(c.xdims, rng, -2, 2);
    const Tensor w = RandomTensor<T>(c.wdims, rng, -1, 1);
    const int64_t m = DimsProduct(c.xdims, 0, c.axis);
    const int64_t k = DimsProduct(c.xdims, c.axis, static_cast<int>(c.xdims.size()));
    const int64_t n = DimsProduct(c.wdims, 0, c.axis_w);
    const Tensor b = RandomTensor<T>({n}, rng, -1, 1);
    auto out = RunOp(
        MakeOp("FC", {"x", "w", "b"}, {"y"}, {IntArg("axis", c.axis), IntArg("axis_w", c.axis_w)}),
        {x, w, b});
    ASSERT_TRUE(out.ok()) << out.status();
    std::vector<int64_t> ydims(c.xdims.begin(), c.xdims.begin() + c.axis);
    ydims.push_back(n);
    EXPECT_EQ((*out)[0].dims(), ydims);
    ExpectFcWithinBound<T>(x, w, b, (*out)[0], m, n, k);
  }
}

TEST(FCOpTest, MatchesLongDoubleWithinTheGemmBoundFloat) { CheckAgainstLongDouble<float>(); }
TEST(FCOpTest, MatchesLongDoubleWithinTheGemmBoundDouble) { CheckAgainstLongDouble<double>(); }

// FCGradient against long double: dW and dX are sums of M and N products
// (bound (terms + 2) eps S as above), db a running sum of M values (M eps S).
template <typename T>
void CheckGradientAgainstLongDouble() {
  Rng rng(11);
  const int64_t m = 33, k = 20, n = 7;
  const Tensor x = RandomTensor<T>({m, k}, rng, -2, 2);
  const Tensor w = RandomTensor<T>({n, k}, rng, -1, 1);
  const Tensor dy = RandomTensor<T>({m, n}, rng, -1, 1);
  auto out = RunOp(MakeOp("FCGradient", {"x", "w", "dy"}, {"dw", "db", "dx"}), {x, w, dy});
  ASSERT_TRUE(out.ok()) << out.status();
  const T* xp = x.data<T>();
  const T* wp = w.data<T>();
  const T* g = dy.data<T>();
  const long double eps = std::numeric_limits<T>::epsilon();
  auto check = [&](const Tensor& got, int64_t rows, int64_t cols, int64_t terms, auto term,
                   long double slack) {
    ASSERT_EQ(got.numel(), rows * cols);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        long double exact = 0, s = 0;
        for (int64_t p = 0; p < terms; ++p) {
          const long double t = term(r, c, p);
          exact += t;
          s += std::fabs(t);
        }
        const long double v = got.data<T>()[r * cols + c];
        ASSERT_LE(std::fabs(v - exact), (terms + slack) * eps * s) << r << "," << c;
      }
    }
  };
  check((*out)[0], n, k, m,
        [&](int64_t j, int64_t q, int64_t i) {
          return static_cast<long double>(g[i * n + j]) * xp[i * k + q];
        },
        2);
  check((*out)[1], 1, n, m,
        [&](int64_t, int64_t j, int64_t i) { return static_cast<long double>(g[i * n + j]); }, 0);
  check((*out)[2], m, k, n,
        [&](int64_t i, int64_t q, int64_t j) {
          return static_cast<long double>(g[i * n + j]) * wp[j * k + q];
        },
        2);
}

TEST(FCOpTest, GradientMatchesLongDoubleFloat) { CheckGradientAgainstLongDouble<float>(); }
TEST(FCOpTest, GradientMatchesLongDoubleDouble) { CheckGradientAgainstLongDouble<double>(); }

NetDef FcNet() {
  NetDef net;
  net.set_name("fc");
  *net.add_op() = MakeOp("FC", {"x", "w", "b"}, {"y"});
  net.add_external_input("x");
  net.add_external_input("w");
  net.add_external_input("b");
  net.add_external_output("y");
  return net;
}

// W is constant in this net (fed, never written by it), so FC packs it in
// Prepare. Feeding new values between runs must re-prepare: the output
// follows the new W (a stale packed copy would give the old product).
TEST(FCOpTest, ConstantWeightsRefedBetweenRunsAreRepacked) {
  Rng rng(5);
  const Tensor x = RandomTensor<float>({6, 40}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({9}, rng, -1, 1);
  Workspace ws;
  ASSERT_THAT(ws.FeedBlob("x", x), IsOk());
  ASSERT_THAT(ws.FeedBlob("b", b), IsOk());
  ASSERT_THAT(ws.FeedBlob("w", RandomTensor<float>({9, 40}, rng, -1, 1)), IsOk());
  absl::StatusOr<Net*> net = ws.CreateNet(FcNet());
  ASSERT_THAT(net, IsOk());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const Tensor w = RandomTensor<float>({9, 40}, rng, -1, 1);
    if (round < 2) {
      ASSERT_THAT(ws.FeedBlob("w", w), IsOk());
    } else {
      // Writing new values into the blob's own storage counts as well.
      Tensor* blob = ws.GetMutableBlob("w");
      ASSERT_NE(blob, nullptr);
      std::copy(w.data<float>(), w.data<float>() + w.numel(), blob->mutable_data<float>());
    }
    ASSERT_THAT((*net)->Run(), IsOk());
    ExpectFcWithinBound<float>(x, w, b, *ws.GetBlob("y"), 6, 9, 40);
  }
}

// The same weights made by an init net (GivenTensorFill) and fed directly:
// both are constant for the predict net, both are packed, the results are
// the same bits; and a W the net itself writes (Copy of the fed weights,
// multiplied unpacked) stays within the bound.
TEST(FCOpTest, InitNetFedAndNetWrittenWeightsAgree) {
  Rng rng(9);
  const Tensor x = RandomTensor<float>({4, 6}, rng, -1, 1);
  const Tensor w = RandomTensor<float>({3, 6}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({3}, rng, -1, 1);
  std::vector<Tensor> results;
  for (int way = 0; way < 3; ++way) {
    SCOPED_TRACE(way);
    Workspace ws;
    ASSERT_THAT(ws.FeedBlob("x", x), IsOk());
    ASSERT_THAT(ws.FeedBlob("b", b), IsOk());
    NetDef net = FcNet();
    if (way == 0) {
      ASSERT_THAT(ws.FeedBlob("w", w), IsOk());
    } else if (way == 1) {
      NetDef init;
      std::vector<float> values(w.data<float>(), w.data<float>() + w.numel());
      *init.add_op() = MakeOp("GivenTensorFill", {}, {"w"},
                              {IntsArg("shape", {3, 6}), FloatsArg("values", values)});
      ASSERT_THAT(ws.RunNetOnce(init), IsOk());
    } else {
      ASSERT_THAT(ws.FeedBlob("w0", w), IsOk());
      NetDef copy;
      copy.set_name("fc");
      *copy.add_op() = MakeOp("Copy", {"w0"}, {"w"});
      *copy.add_op() = net.op(0);
      net = copy;
    }
    ASSERT_THAT(ws.RunNetOnce(net), IsOk());
    results.push_back(Copy(*ws.GetBlob("y")));
    ExpectFcWithinBound<float>(x, w, b, results.back(), 4, 3, 6);
  }
  EXPECT_EQ(ToVector<float>(results[0]), ToVector<float>(results[1]));
}

// One and two threads: both within the bound (they may differ in the last
// bits; the wrapper's contract allows it).
TEST(FCOpTest, TwoThreadsStayWithinTheBound) {
  Rng rng(3);
  const Tensor x = RandomTensor<float>({256, 300}, rng, -1, 1);
  const Tensor w = RandomTensor<float>({200, 300}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({200}, rng, -1, 1);
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    Workspace ws;
    ws.set_num_threads(threads);
    ASSERT_THAT(ws.FeedBlob("x", x), IsOk());
    ASSERT_THAT(ws.FeedBlob("w", w), IsOk());
    ASSERT_THAT(ws.FeedBlob("b", b), IsOk());
    ASSERT_THAT(ws.RunNetOnce(FcNet()), IsOk());
    ExpectFcWithinBound<float>(x, w, b, *ws.GetBlob("y"), 256, 200, 300);
  }
}

// A long sum: K = 2^22 terms of 0.001f (x) times 1 (w), b = 0, for one row
// (the wrapper's gemv path, chunks of 4096) and two rows (gemm). The exact
// value is K * 0.001f, computed in long double. gemm.h bounds the error by
// (K / 256 + 4096 + 2) eps / 2 * S with S the exact value: 5.1 here, 0.12 %.
// A single running float sum would be off by several percent (the float
// spacing near 4096 is 4.9e-4, half the size of each term).
TEST(FCOpTest, LongSumOfSmallTermsStaysWithinTheLongSumBound) {
  const int64_t k = int64_t{1} << 22;
  for (int64_t m : {1, 2}) {
    SCOPED_TRACE(m);
    Tensor x, w;
    ASSERT_THAT(x.Resize(DType::kFloat32, {m, k}), IsOk());
    ASSERT_THAT(w.Resize(DType::kFloat32, {1, k}), IsOk());
    std::fill(x.mutable_data<float>(), x.mutable_data<float>() + x.numel(), 0.001f);
    std::fill(w.mutable_data<float>(), w.mutable_data<float>() + w.numel(), 1.0f);
    auto out = RunOp(MakeOp("FC", {"x", "w", "b"}, {"y"}), {x, w, MakeTensor<float>({1}, {0.0f})});
    ASSERT_TRUE(out.ok()) << out.status();
    const long double exact = static_cast<long double>(k) * 0.001f;
    const long double bound =
        (k / 256.0L + 4096 + 2) * std::numeric_limits<float>::epsilon() / 2 * exact;
    EXPECT_LT(bound, 0.0013L * exact);
    for (float y : ToVector<float>((*out)[0])) {
      EXPECT_LE(std::fabs(y - exact), bound) << y << " vs " << static_cast<double>(exact);
    }
  }
}

}  // namespace
}  // namespace opgraph
