// Add, Sub, Mul and Div: broadcasting elementwise arithmetic, as Caffe2.
//
//   C = A + B,  A - B,  A * B,  A / B
//
// Shapes follow ops/binary_broadcast.h: numpy broadcasting by default (what
// ONNX means from opset 7), or Caffe2's legacy broadcast of B into A at
// `axis` with broadcast = 1. A and B have one type: float32, float64, int32
// or int64; C has it too.
//
// Floating point: IEEE-754 in the type, correctly rounded (so x / 0 is
// +-inf or NaN). Integers: Add, Sub and Mul wrap modulo 2^bits (computed in
// the unsigned type, never undefined behaviour); Div truncates toward zero,
// the minimum value divided by -1 wraps to the minimum value, and a zero
// divisor makes the run fail with an error naming the element (nothing is
// written past that point's check: the divisor is checked before any
// division).
//
// C may be A's blob (or B's) when that input is not broadcast (it has C's
// element count), as in Caffe2.
//
// Fast paths (float and double on SIMD kernels, ops/kernels/
// binary_kernels.h): same shapes, one operand a scalar, one operand a row
// repeated over the other's rows, one operand a column (one value per row);
// any other broadcast runs a strided loop over runs of the innermost
// dimension. Gradients: ops/binary_grad_ops.cc.
#include <cstdint>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "ops/binary_broadcast.h"
#include "ops/kernels/binary_kernels.h"

namespace opgraph {
namespace {

using kernels::BinaryOp;

// Single-thread cost per element for ParallelFor: one load pair, one
// arithmetic operation and a store, bound by memory bandwidth like Relu
// (ops/relu_op.cc); division costs more.
constexpr double kNsPerElement = 0.15;
constexpr double kDivNsPerElement = 0.5;

// The scalar operation on one pair; integers as described at the top.
template <BinaryOp kOp, typename T>
T Apply(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    const U ux = static_cast<U>(x), uy = static_cast<U>(y);
    if constexpr (kOp == BinaryOp::kAdd) return static_cast<T>(static_cast<U>(ux + uy));
    if constexpr (kOp == BinaryOp::kSub) return static_cast<T>(static_cast<U>(ux - uy));
    if constexpr (kOp == BinaryOp::kMul) return static_cast<T>(static_cast<U>(ux * uy));
    if constexpr (kOp == BinaryOp::kDiv) {
      // y != 0 is checked before; min / -1 would overflow: its wrapped
      // value is min, which is -min modulo 2^bits.
      if (y == -1) return static_cast<T>(static_cast<U>(U{0} - ux));
      return static_cast<T>(x / y);
    }
  } else {
    if constexpr (kOp == BinaryOp::kAdd) return x + y;
    if constexpr (kOp == BinaryOp::kSub) return x - y;
    if constexpr (kOp == BinaryOp::kMul) return x * y;
    if constexpr (kOp == BinaryOp::kDiv) return x / y;
  }
}

// c[i] = a[i * as] op b[i * bs] for i < n.
template <BinaryOp kOp, typename T>
void Strided(const T* a, int64_t as, const T* b, int64_t bs, T* c, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    if (as == 1 && bs == 1) return kernels::BinarySame(kOp, a, b, c, n);
    if (as == 1 && bs == 0) return kernels::BinaryScalarB(kOp, a, *b, c, n);
    if (as == 0 && bs == 1) return kernels::BinaryScalarA(kOp, *a, b, c, n);
  }
  for (int64_t i = 0; i < n; ++i) c[i] = Apply<kOp>(a[i * as], b[i * bs]);
}

template <BinaryOp kOp>
class BinaryOpImpl final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputA = 0;
  static constexpr int kInputB = 1;
  static constexpr int kOutputC = 0;

  absl::Status Prepare(const PrepareContext& ctx) override {
    const TensorType& a = ctx.input(kInputA);
    const TensorType& b = ctx.input(kInputB);
    absl::StatusOr<BroadcastPlan> plan = MakeBroadcastPlan(def(), a.dims, b.dims);
    if (!plan.ok()) return plan.status();
    plan_ = *std::move(plan);
    // In place, C's element i must be the input's element i: the input
    // is not broadcast, so it has C's element count (its dims may differ
    // by dimensions of size 1, e.g. [6] against C's [1, 6]).
    for (int i : {kInputA, kInputB}) {
      const TensorType& in = ctx.input(i);
      if (def().input(i) == def().output(kOutputC) &&
          DimsProduct(in.dims, 0, static_cast<int>(in.dims.size())) != plan_.numel) {
        return absl::InvalidArgumentError(absl::StrCat(
            "C would overwrite input ", i, " (", in.ToString(), ") in place, but C has ",
            plan_.numel, " elements: [", absl::StrJoin(plan_.out_dims, ", "), "]"));
      }
    }
    dtype_ = a.dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchDType<float, double, int32_t, int64_t>(dtype_, [&](auto tag) -> absl::Status {
      using T = typename decltype(tag)::type;
      const T* a = Input(kInputA).template data<T>();
      const T* b = Input(kInputB).template data<T>();
      if constexpr (std::is_integral_v<T> && kOp == BinaryOp::kDiv) {
        const int64_t nb = Input(kInputB).numel();
        for (int64_t i = 0; i < nb; ++i) {
          if (b[i] == 0) {
            return absl::InvalidArgumentError(
                absl::StrCat("integer division by zero: element ", i, " of B (",
                             Input(kInputB).type().ToString(), ") is 0"));
          }
        }
      }
      T* c = Output(kOutputC)->template mutable_data<T>();
      Compute<T>(a, b, c);
      return absl::OkStatus();
    });
  }

 private:
  template <typename T>
  void Compute(const T* a, const T* b, T* c) {
    using P = BroadcastPlan::Pattern;
    const double cost =
        (kOp == BinaryOp::kDiv ? kDivNsPerElement : kNsPerElement) * (sizeof(T) == 8 ? 2 : 1);
    const BroadcastPlan& p = plan_;
    switch (p.pattern) {
      case P::kSame:
      case P::kScalarA:
      case P::kScalarB: {
        const int64_t as = p.pattern == P::kScalarA ? 0 : 1;
        const int64_t bs = p.pattern == P::kScalarB ? 0 : 1;
        ParallelFor(
            NumThreads(), p.numel, cost,
            [&](int64_t begin, int64_t end) {
              Strided<kOp>(a + begin * as, as, b + begin * bs, bs, c + begin, end - begin);
            },
            16);
        return;
      }
      case P::kRowA:
      case P::kRowB:
      case P::kColA:
      case P::kColB: {
        // Per row r: A's and B's offsets and steps along the row.
        const bool row_a = p.pattern == P::kRowA, row_b = p.pattern == P::kRowB;
        const bool col_a = p.pattern == P::kColA, col_b = p.pattern == P::kColB;
        const int64_t cols = p.cols;
        ParallelFor(NumThreads(), p.rows, cost * static_cast<double>(cols),
                    [&](int64_t begin, int64_t end) {
                      for (int64_t r = begin; r < end; ++r) {
                        const T* ar = row_a ? a : col_a ? a + r : a + r * cols;
                        const T* br = row_b ? b : col_b ? b + r : b + r * cols;
                        Strided<kOp>(ar, col_a ? 0 : 1, br, col_b ? 0 : 1, c + r * cols, cols);
                      }
                    });
        return;
      }
      case P::kGeneral: {
        const int64_t len = p.dims.back();
        ParallelFor(NumThreads(), OuterRows(p), cost * static_cast<double>(len),
                    [&](int64_t begin, int64_t end) {
                      ForEachRun(
                          p, begin, end,
                          [&](int64_t co, int64_t ao, int64_t bo, int64_t as, int64_t bs,
                              int64_t n) { Strided<kOp>(a + ao, as, b + bo, bs, c + co, n); });
                    });
        return;
      }
    }
  }

  BroadcastPlan plan_;
  DType dtype_ = DType::kUndefined;
};

// Add and Sub's gradients read only the inputs' shapes; Mul's reads A and
// B; Div's reads B and C (dB = -dC * C / B), as Caffe2's. When A and B are
// one blob (Mul(X, X)), its gradient is the sum of both parts: the
// gradient operator writes the B part to a blob of its own and a Sum adds
// it in.
template <BinaryOp kOp>
class GetBinaryGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    static constexpr const char* kNames[] = {"AddGradient", "SubGradient", "MulGradient",
                                             "DivGradient"};
    const std::string type = kNames[static_cast<int>(kOp)];
    std::vector<std::string> ins = {GO(0), I(0), I(1)};
    if (kOp == BinaryOp::kDiv) ins.push_back(O(0));
    const std::string ga = GI(0), gb = GI(1);
    std::vector<OperatorDef> ops =
        SingleGradientDef(type, "", ins, {ga, ga == gb ? gb + "_" + type + "_b" : gb});
    for (const Argument& arg : def().arg()) *ops[0].add_arg() = arg;
    if (ga == gb) {
      ops.push_back(SingleGradientDef("Sum", "", {ga, ops[0].output(1)}, {ga})[0]);
    }
    return ops;
  }
  bool CopyArguments() const override { return false; }
};

constexpr char kBroadcastDoc[] =
    "0: numpy broadcasting of A and B; 1: Caffe2's legacy broadcast of B into A at 'axis'.";
constexpr char kAxisDoc[] =
    "With broadcast=1: the dimension of A where B starts; -1 aligns B with A's last "
    "dimensions. Refused with broadcast=0.";

void BinarySchema(OpSchema& s) {
  s.NumInputs(2)
      .NumOutputs(1)
      .AllowInplace({{0, 0}, {1, 0}})
      .AllowedTypes({DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64})
      .Arg("broadcast", 0, kBroadcastDoc)
      .Arg("axis", -1, kAxisDoc)
      .TensorInference(InferBinary)
      .Input(0, "A", "First operand: float32, float64, int32 or int64.")
      .Input(1, "B", "Second operand, of A's type; broadcast with A.")
      .Output(0, "C", "The result, of A's type and the broadcast shape (A's with broadcast=1).");
}

}  // namespace

OPERATOR_SCHEMA(Add)
    .Apply(BinarySchema)
    .SetDoc(
        "C = A + B elementwise with broadcasting (numpy's, or Caffe2's legacy broadcast=1). "
        "Integers wrap modulo 2^bits.");
OPERATOR_SCHEMA(Sub)
    .Apply(BinarySchema)
    .SetDoc(
        "C = A - B elementwise with broadcasting (numpy's, or Caffe2's legacy broadcast=1). "
        "Integers wrap modulo 2^bits.");
OPERATOR_SCHEMA(Mul)
    .Apply(BinarySchema)
    .SetDoc(
        "C = A * B elementwise with broadcasting (numpy's, or Caffe2's legacy broadcast=1). "
        "Integers wrap modulo 2^bits.");
OPERATOR_SCHEMA(Div)
    .Apply(BinarySchema)
    .SetDoc(
        "C = A / B elementwise with broadcasting (numpy's, or Caffe2's legacy broadcast=1). "
        "Floats follow IEEE-754 (x / 0 is inf or NaN). Integers truncate toward zero; the "
        "minimum value / -1 wraps to the minimum; a zero divisor fails the run with an error "
        "naming the element.");

REGISTER_CPU_OPERATOR(Add, BinaryOpImpl<BinaryOp::kAdd>);
REGISTER_CPU_OPERATOR(Sub, BinaryOpImpl<BinaryOp::kSub>);
REGISTER_CPU_OPERATOR(Mul, BinaryOpImpl<BinaryOp::kMul>);
REGISTER_CPU_OPERATOR(Div, BinaryOpImpl<BinaryOp::kDiv>);
REGISTER_GRADIENT(Add, GetBinaryGradient<BinaryOp::kAdd>);
REGISTER_GRADIENT(Sub, GetBinaryGradient<BinaryOp::kSub>);
REGISTER_GRADIENT(Mul, GetBinaryGradient<BinaryOp::kMul>);
REGISTER_GRADIENT(Div, GetBinaryGradient<BinaryOp::kDiv>);

}  // namespace opgraph
