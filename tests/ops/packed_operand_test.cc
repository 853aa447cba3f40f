// Tests of ConstantRightOperand (ops/packed_operand.h) and of the operators
// that pack a constant B with it: Gemm, MatMul and BatchMatMul.
//
// Golden values: every result is checked against a product written here as
// plain loops in long double from the same float/double inputs (no GEMM
// library involved), element by element within the bound of
// ops/kernels/gemm.h: |y - exact| <= (k + 2) eps S, with
// S = |alpha| sum_p |a_ip b_pj| + |beta c_ij|.
//
// B is constant when it is fed and the net never writes it (the operator
// packs it in Prepare); it is not constant when the net makes it with a Copy
// of a fed blob (the operator multiplies B as stored). Row counts 1, 5 and
// 16 give the panel layout, 200 the OpenBLAS layout (kPackedPanelMaxRows).
#include "ops/packed_operand.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/status_macros.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using ::testing::HasSubstr;
using testing::IntArg;
using testing::IsOk;
using testing::MakeOp;
using testing::RandomTensor;
using testing::Rng;
using testing::StatusIs;

using Dims = std::vector<int64_t>;

// Y = alpha * op(A_b) op(B) + beta * C for each of `batches` matrices A_b
// stored one after the other ([M, K], or [K, M] with ta); B is [K, N], or
// [N, K] with tb; C (when given) is [M, N], or one row [N] with c_row.
struct Product {
  int64_t batches = 1, m = 0, n = 0, k = 0;
  bool ta = false, tb = false;
  double alpha = 1, beta = 0;
  const Tensor* c = nullptr;
  bool c_row = false;
};

template <typename T>
void ExpectWithinBound(const Product& p, const Tensor& a, const Tensor& b, const Tensor& y) {
  ASSERT_EQ(y.numel(), p.batches * p.m * p.n);
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  const T* yp = y.data<T>();
  const long double eps = std::numeric_limits<T>::epsilon();
  for (int64_t t = 0; t < p.batches; ++t) {
    const T* at = ap + t * p.m * p.k;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        long double sum = 0, abs_sum = 0;
        for (int64_t q = 0; q < p.k; ++q) {
          const long double x = at[p.ta ? q * p.m + i : i * p.k + q];
          const long double z = bp[p.tb ? j * p.k + q : q * p.n + j];
          sum += x * z;
          abs_sum += std::fabs(x * z);
        }
        long double exact = static_cast<long double>(static_cast<T>(p.alpha)) * sum;
        long double s = std::fabs(static_cast<long double>(static_cast<T>(p.alpha))) * abs_sum;
        if (p.c != nullptr) {
          const long double c = static_cast<long double>(static_cast<T>(p.beta)) *
                                p.c->data<T>()[p.c_row ? j : i * p.n + j];
          exact += c;
          s += std::fabs(c);
        }
        const T got = yp[(t * p.m + i) * p.n + j];
        ASSERT_LE(std::fabs(got - exact), (p.k + 2) * eps * s)
            << "batch " << t << " Y(" << i << "," << j << ") = " << got << ", exact "
            << static_cast<double>(exact);
      }
    }
  }
}

// Runs `op` (inputs A, B[, C], output Y) once. B is fed (constant) or, with
// b_written, copied from a fed blob by the net itself (not constant).
absl::StatusOr<Tensor> RunWithB(const OperatorDef& op, const Tensor& a, const Tensor& b,
                                const Tensor* c, bool b_written) {
  Workspace ws;
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("A", a));
  OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob(b_written ? "B0" : "B", b));
  if (c != nullptr) OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob("C", *c));
  NetDef net;
  net.set_name("packed");
  if (b_written) *net.add_op() = MakeOp("Copy", {"B0"}, {"B"});
  *net.add_op() = op;
  OPGRAPH_RETURN_IF_ERROR(ws.RunNetOnce(net));
  return ws.FetchBlob("Y");
}

constexpr int64_t kRows[] = {1, 5, 16, 200};

// --- ConstantRightOperand itself -----------------------------------------

// Packs only a constant input, in the layout the row hint asks for, and
// then never reads b (nullptr is passed); unpacked, multiplies b as stored.
TEST(ConstantRightOperandTest, PacksConstantInputsOnly) {
  Rng rng(1);
  const int64_t k = 67, n = 45;
  for (bool tb : {false, true}) {
    const Tensor b = RandomTensor<float>(tb ? Dims{n, k} : Dims{k, n}, rng, -1, 1);
    for (int64_t m : kRows) {
      for (bool constant : {true, false}) {
        SCOPED_TRACE(::testing::Message() << "tb " << tb << " m " << m << " constant " << constant);
        const Tensor a = RandomTensor<float>({m, k}, rng, -1, 1);
        const PrepareContext ctx(
            {TensorType{DType::kFloat32, {m, k}}, TensorType{b.dtype(), b.dims()}},
            {TensorType{DType::kFloat32, {m, n}}}, {nullptr, constant ? &b : nullptr});
        ConstantRightOperand op;
        ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, tb, m), IsOk());
        EXPECT_EQ(op.packed(), constant);
        EXPECT_EQ(op.panels(), constant && m <= kernels::kPackedPanelMaxRows);
        Tensor y;
        ASSERT_THAT(y.Resize(DType::kFloat32, {m, n}), IsOk());
        op.Multiply<float>(false, m, 1.0f, a.data<float>(), k, constant ? nullptr : b.data<float>(),
                           tb ? k : n, 0.0f, y.mutable_data<float>(), n, 1);
        ExpectWithinBound<float>({1, m, n, k, false, tb}, a, b, y);
      }
    }
  }
}

TEST(ConstantRightOperandTest, RefusesOtherTypesAndMismatchedShapes) {
  Rng rng(2);
  const Tensor b = RandomTensor<float>({6, 4}, rng, -1, 1);
  const PrepareContext ctx({TensorType{DType::kFloat32, {2, 6}}, TensorType{b.dtype(), b.dims()}},
                           {TensorType{DType::kFloat32, {2, 4}}}, {nullptr, &b});
  ConstantRightOperand op;
  ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, 6, 4, false, 2), IsOk());
  ASSERT_TRUE(op.packed());
  EXPECT_THAT(op.Prepare(ctx, 1, DType::kInt32, 6, 4, false, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not supported")));
  EXPECT_FALSE(op.packed());
  EXPECT_THAT(op.Prepare(ctx, 1, DType::kFloat32, 6, 5, false, 2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("constant input 1 is float32 with 24 elements, expected")));
  EXPECT_FALSE(op.packed());
  EXPECT_THAT(op.Prepare(ctx, 1, DType::kFloat64, 6, 4, false, 2),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected float64")));
  EXPECT_FALSE(op.packed());
}

// Preparing again for a new value of the same shape (packed again in the
// old copy's storage) multiplies by the new value, in both layouts and
// whichever way B is stored; a transposed B of the same k and n too.
TEST(ConstantRightOperandTest, PreparedAgainForNewValues) {
  Rng rng(9);
  const int64_t k = 30, n = 19;
  for (int64_t m : {4, 200}) {
    ConstantRightOperand op;
    for (int round = 0; round < 3; ++round) {
      SCOPED_TRACE(::testing::Message() << "m " << m << " round " << round);
      const bool tb = round == 2;
      const Tensor b = RandomTensor<double>(tb ? Dims{n, k} : Dims{k, n}, rng, -1, 1);
      const Tensor a = RandomTensor<double>({m, k}, rng, -1, 1);
      const PrepareContext ctx(
          {TensorType{DType::kFloat64, {m, k}}, TensorType{b.dtype(), b.dims()}},
          {TensorType{DType::kFloat64, {m, n}}}, {nullptr, &b});
      ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat64, k, n, tb, m), IsOk());
      ASSERT_TRUE(op.packed());
      Tensor y;
      ASSERT_THAT(y.Resize(DType::kFloat64, {m, n}), IsOk());
      op.Multiply<double>(false, m, 1.0, a.data<double>(), k, nullptr, 0, 0.0,
                          y.mutable_data<double>(), n, 1);
      ExpectWithinBound<double>({1, m, n, k, false, tb}, a, b, y);
    }
  }
}

// A B rewritten before every run stops being packed (packing would cost more
// than it saves), and is packed again once it stays unchanged or serves two
// products between rewrites. Every product is checked against long double
// whichever way it ran.
TEST(ConstantRightOperandTest, OperandRewrittenBeforeEveryRunIsNotPacked) {
  Rng rng(21);
  const int64_t m = 3, k = 20, n = 17;
  Tensor b = RandomTensor<float>({k, n}, rng, -1, 1);
  const Tensor a = RandomTensor<float>({m, k}, rng, -1, 1);
  const PrepareContext ctx({TensorType{DType::kFloat32, {m, k}}, TensorType{b.dtype(), b.dims()}},
                           {TensorType{DType::kFloat32, {m, n}}}, {nullptr, &b});
  ConstantRightOperand op;
  auto multiply = [&] {
    Tensor y;
    ASSERT_THAT(y.Resize(DType::kFloat32, {m, n}), IsOk());
    op.Multiply<float>(false, m, 1.0f, a.data<float>(), k, b.data<float>(), n, 0.0f,
                       y.mutable_data<float>(), n, 1);
    ExpectWithinBound<float>({1, m, n, k}, a, b, y);
  };
  auto rewrite = [&] {
    float* p = b.mutable_data<float>();
    for (int64_t i = 0; i < k * n; ++i) p[i] = static_cast<float>(rng.Uniform(-1, 1));
  };
  // Prepare, run once (the pattern of a B fed before every run).
  const bool expected[] = {true, false, false};
  for (bool packed : expected) {
    ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, false, m), IsOk());
    EXPECT_EQ(op.packed(), packed);
    multiply();
    rewrite();
  }
  // Prepared again with B unchanged since (another input changed): packed.
  ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, false, m), IsOk());
  ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, false, m), IsOk());
  EXPECT_TRUE(op.packed());
  multiply();
  multiply();
  // Rewritten after two products: still worth packing.
  rewrite();
  ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, false, m), IsOk());
  EXPECT_TRUE(op.packed());
  multiply();
  // Reset forgets the history: the next Prepare packs.
  rewrite();
  op.Reset();
  EXPECT_FALSE(op.packed());
  ASSERT_THAT(op.Prepare(ctx, 1, DType::kFloat32, k, n, false, m), IsOk());
  EXPECT_TRUE(op.packed());
  multiply();
}

TEST(PackedMatrixTest, RepackRefusesAShortLeadingDimension) {
  const std::vector<float> b(12, 1.0f);
  absl::StatusOr<kernels::PackedMatrix<float>> p =
      kernels::PackedMatrix<float>::Pack(b.data(), 3, 4, 4, false, 2);
  ASSERT_THAT(p, IsOk());
  EXPECT_THAT(p->Repack(b.data(), 3, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ldb=3 is less than 4")));
  EXPECT_THAT(p->Repack(b.data(), 2, true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ldb=2 is less than 3")));
  EXPECT_THAT(p->Repack(b.data(), 3, true), IsOk());
}

// --- Gemm -----------------------------------------------------------------

// Every transpose, with and without C (full [M, N] and a broadcast row),
// alpha and beta other than 1, B constant and B written by the net.
TEST(PackedGemmTest, AgainstLongDouble) {
  Rng rng(3);
  const int64_t k = 67, n = 45;
  for (int64_t m : kRows) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      const Tensor a = RandomTensor<float>(ta ? Dims{k, m} : Dims{m, k}, rng, -1, 1);
      const Tensor b = RandomTensor<float>(tb ? Dims{n, k} : Dims{k, n}, rng, -1, 1);
      const Tensor c_full = RandomTensor<float>({m, n}, rng, -1, 1);
      const Tensor c_row = RandomTensor<float>({n}, rng, -1, 1);
      for (int with_c = 0; with_c < 3; ++with_c) {
        for (bool written : {false, true}) {
          SCOPED_TRACE(::testing::Message() << "m " << m << " ta " << ta << " tb " << tb << " C "
                                            << with_c << " written " << written);
          const Tensor* c = with_c == 0 ? nullptr : with_c == 1 ? &c_full : &c_row;
          const double alpha = with_c == 0 ? 1.0 : 0.5, beta = with_c == 2 ? -2.0 : 1.5;
          std::vector<std::string> inputs = {"A", "B"};
          if (c != nullptr) inputs.push_back("C");
          const OperatorDef op = MakeOp("Gemm", inputs, {"Y"},
                                        {IntArg("trans_a", ta), IntArg("trans_b", tb),
                                         FloatArg("alpha", alpha), FloatArg("beta", beta)});
          absl::StatusOr<Tensor> y = RunWithB(op, a, b, c, written);
          ASSERT_THAT(y, IsOk());
          EXPECT_EQ(y->dims(), (Dims{m, n}));
          Product p{1, m, n, k, ta, tb, alpha, c ? beta : 0.0, c, with_c == 2};
          ExpectWithinBound<float>(p, a, b, *y);
        }
      }
    }
  }
}

// --- MatMul ---------------------------------------------------------------

TEST(PackedMatMulTest, AgainstLongDouble) {
  Rng rng(4);
  const int64_t k = 67, n = 45;
  for (int64_t m : kRows) {
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      for (bool written : {false, true}) {
        SCOPED_TRACE(::testing::Message()
                     << "m " << m << " ta " << ta << " tb " << tb << " written " << written);
        const OperatorDef op =
            MakeOp("MatMul", {"A", "B"}, {"Y"}, {IntArg("trans_a", ta), IntArg("trans_b", tb)});
        // float64 for one row count, so both packed types are used.
        if (m == 16) {
          const Tensor a = RandomTensor<double>(ta ? Dims{k, m} : Dims{m, k}, rng, -1, 1);
          const Tensor b = RandomTensor<double>(tb ? Dims{n, k} : Dims{k, n}, rng, -1, 1);
          absl::StatusOr<Tensor> y = RunWithB(op, a, b, nullptr, written);
          ASSERT_THAT(y, IsOk());
          ExpectWithinBound<double>({1, m, n, k, ta, tb}, a, b, *y);
          continue;
        }
        const Tensor a = RandomTensor<float>(ta ? Dims{k, m} : Dims{m, k}, rng, -1, 1);
        const Tensor b = RandomTensor<float>(tb ? Dims{n, k} : Dims{k, n}, rng, -1, 1);
        absl::StatusOr<Tensor> y = RunWithB(op, a, b, nullptr, written);
        ASSERT_THAT(y, IsOk());
        EXPECT_EQ(y->dims(), (Dims{m, n}));
        ExpectWithinBound<float>({1, m, n, k, ta, tb}, a, b, *y);
      }
    }
  }
}

// --- BatchMatMul ----------------------------------------------------------

// One B for every batch: B without batch dimensions, and B with batch
// dimensions of 1 (more of them than A has, so Y takes B's rank); 1 and 3
// batches, A transposed or not (one product over all batches, or one per
// batch), row counts on both layouts.
TEST(PackedBatchMatMulTest, BroadcastBAgainstLongDouble) {
  Rng rng(5);
  const int64_t k = 67, n = 45;
  for (int64_t batches : {1, 3}) {
    for (int64_t m : kRows) {
      for (int t = 0; t < 4; ++t) {
        const bool ta = t & 1, tb = t & 2;
        for (bool b_batch_dims : {false, true}) {
          for (bool written : {false, true}) {
            SCOPED_TRACE(::testing::Message()
                         << "batches " << batches << " m " << m << " ta " << ta << " tb " << tb
                         << " B batch dims " << b_batch_dims << " written " << written);
            const Tensor a =
                RandomTensor<float>(ta ? Dims{batches, k, m} : Dims{batches, m, k}, rng, -1, 1);
            Dims b_dims = tb ? Dims{n, k} : Dims{k, n};
            if (b_batch_dims) b_dims.insert(b_dims.begin(), {1, 1});
            const Tensor b = RandomTensor<float>(b_dims, rng, -1, 1);
            const OperatorDef op =
                MakeOp("BatchMatMul", {"A", "B"}, {"Y"},
                       {IntArg("broadcast", 1), IntArg("trans_a", ta), IntArg("trans_b", tb)});
            absl::StatusOr<Tensor> y = RunWithB(op, a, b, nullptr, written);
            ASSERT_THAT(y, IsOk());
            EXPECT_EQ(y->dims(), b_batch_dims ? (Dims{1, batches, m, n}) : (Dims{batches, m, n}));
            ExpectWithinBound<float>({batches, m, n, k, ta, tb}, a, b, *y);
          }
        }
      }
    }
  }
}

// A 1-D B (a column) and a 1-D A (a row) with a constant B: Y leaves out the
// added dimension but keeps the layout the single product writes.
TEST(PackedBatchMatMulTest, VectorOperands) {
  Rng rng(6);
  const int64_t k = 33;
  const Tensor a = RandomTensor<float>({4, 7, k}, rng, -1, 1);
  const Tensor column = RandomTensor<float>({k}, rng, -1, 1);
  const OperatorDef op = MakeOp("BatchMatMul", {"A", "B"}, {"Y"}, {IntArg("broadcast", 1)});
  absl::StatusOr<Tensor> y = RunWithB(op, a, column, nullptr, false);
  ASSERT_THAT(y, IsOk());
  EXPECT_EQ(y->dims(), (Dims{4, 7}));
  ExpectWithinBound<float>({4, 7, 1, k}, a, column, *y);

  const Tensor row = RandomTensor<float>({k}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({k, 9}, rng, -1, 1);
  y = RunWithB(op, row, b, nullptr, false);
  ASSERT_THAT(y, IsOk());
  EXPECT_EQ(y->dims(), (Dims{9}));
  ExpectWithinBound<float>({1, 1, 9, k}, row, b, *y);
}

// A constant B that differs per batch is not packed (today's per-batch
// products); it still gives each batch its own B.
TEST(PackedBatchMatMulTest, PerBatchConstantB) {
  Rng rng(7);
  const int64_t k = 20, m = 5, n = 6;
  const Tensor a = RandomTensor<float>({3, m, k}, rng, -1, 1);
  const Tensor b = RandomTensor<float>({3, k, n}, rng, -1, 1);
  absl::StatusOr<Tensor> y =
      RunWithB(MakeOp("BatchMatMul", {"A", "B"}, {"Y"}), a, b, nullptr, false);
  ASSERT_THAT(y, IsOk());
  for (int64_t t = 0; t < 3; ++t) {
    SCOPED_TRACE(t);
    Tensor at, bt, yt;
    ASSERT_THAT(at.Resize(DType::kFloat32, {m, k}), IsOk());
    ASSERT_THAT(bt.Resize(DType::kFloat32, {k, n}), IsOk());
    ASSERT_THAT(yt.Resize(DType::kFloat32, {m, n}), IsOk());
    std::copy_n(a.data<float>() + t * m * k, m * k, at.mutable_data<float>());
    std::copy_n(b.data<float>() + t * k * n, k * n, bt.mutable_data<float>());
    std::copy_n(y->data<float>() + t * m * n, m * n, yt.mutable_data<float>());
    ExpectWithinBound<float>({1, m, n, k}, at, bt, yt);
  }
}

// --- Rewriting B between runs ----------------------------------------------

// B is constant in these nets, so the operator packs it. Feeding new values
// (or writing into the blob's storage) between runs must prepare again and
// the result must be that of the new B; the prepare count shows that the
// operator asked for B's value (an operator that ignores constants is not
// prepared again for a B of the same shape).
TEST(PackedOperandTest, RewrittenBIsRepacked) {
  struct Case {
    OperatorDef op;
    Dims a, b;
    Product p;
  };
  const int64_t m = 5, k = 40, n = 9;
  const std::vector<Case> cases = {
      {MakeOp("Gemm", {"A", "B"}, {"Y"}, {IntArg("trans_b", 1)}),
       {m, k},
       {n, k},
       {1, m, n, k, false, true}},
      {MakeOp("MatMul", {"A", "B"}, {"Y"}), {m, k}, {k, n}, {1, m, n, k}},
      {MakeOp("BatchMatMul", {"A", "B"}, {"Y"}, {IntArg("broadcast", 1)}),
       {3, m, k},
       {k, n},
       {3, m, n, k}},
      {MakeOp("BatchMatMul", {"A", "B"}, {"Y"}, {IntArg("broadcast", 1), IntArg("trans_a", 1)}),
       {2, k, m},
       {k, n},
       {2, m, n, k, true}},
  };
  Rng rng(8);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op.ShortDebugString());
    const Tensor a = RandomTensor<float>(c.a, rng, -1, 1);
    Workspace ws;
    ASSERT_THAT(ws.FeedBlob("A", a), IsOk());
    ASSERT_THAT(ws.FeedBlob("B", RandomTensor<float>(c.b, rng, -1, 1)), IsOk());
    NetDef def;
    def.set_name("rewrite");
    *def.add_op() = c.op;
    absl::StatusOr<Net*> net = ws.CreateNet(def);
    ASSERT_THAT(net, IsOk());
    for (int round = 0; round < 3; ++round) {
      SCOPED_TRACE(round);
      const Tensor b = RandomTensor<float>(c.b, rng, -1, 1);
      if (round < 2) {
        ASSERT_THAT(ws.FeedBlob("B", b), IsOk());
      } else {
        Tensor* blob = ws.GetMutableBlob("B");
        ASSERT_NE(blob, nullptr);
        std::copy_n(b.data<float>(), b.numel(), blob->mutable_data<float>());
      }
      ASSERT_THAT((*net)->Run(), IsOk());
      EXPECT_EQ((*net)->prepare_count(), round + 2);
      ExpectWithinBound<float>(c.p, a, b, *ws.GetBlob("Y"));
    }
    // Running again with B untouched does not prepare again.
    ASSERT_THAT((*net)->Run(), IsOk());
    EXPECT_EQ((*net)->prepare_count(), 4);
  }
}

}  // namespace
}  // namespace opgraph
