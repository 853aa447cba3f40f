// AddGradient, SubGradient, MulGradient and DivGradient: the gradients of
// the broadcasting binary operators (ops/binary_ops.cc), as Caffe2's.
//
//   AddGradient(dC, A, B) -> dA = sum(dC),        dB = sum(dC)
//   SubGradient(dC, A, B) -> dA = sum(dC),        dB = -sum(dC)
//   MulGradient(dC, A, B) -> dA = sum(dC * B),    dB = sum(dC * A)
//   DivGradient(dC, A, B, C) -> dA = sum(dC / B), dB = -sum(dC * C / B)
//
// where sum(.) adds the terms over the dimensions along which that input
// was broadcast, so that dA has A's shape and dB has B's (the `broadcast`
// and `axis` arguments are the forward operator's). Add's and Sub's read
// only A's and B's shapes; Div's reads B and the forward output C, not A
// (A's shape only), as Caffe2's DivGradient.
//
// float32 and float64. Sums over broadcast dimensions run serially, in the
// order of C's elements, accumulated in the tensor's type: an element of dA
// that sums k terms has an error of at most k eps times the sum of their
// magnitudes. Without broadcasting each element is one term (exact for Add
// and Sub, one rounding per operation for Mul and Div).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "ops/binary_broadcast.h"
#include "ops/kernels/binary_kernels.h"

namespace opgraph {
namespace {

using kernels::BinaryOp;

constexpr double kNsPerElement = 0.3;

template <BinaryOp kOp>
class BinaryGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  static constexpr int kInputDC = 0;
  static constexpr int kInputA = 1;
  static constexpr int kInputB = 2;
  static constexpr int kInputC = 3;  // Div only
  static constexpr int kOutputDA = 0;
  static constexpr int kOutputDB = 1;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<BroadcastPlan> plan =
        MakeBroadcastPlan(def(), ctx.input(kInputA).dims, ctx.input(kInputB).dims);
    if (!plan.ok()) return plan.status();
    plan_ = *std::move(plan);
    dtype_ = ctx.input(kInputDC).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* dc = Input(kInputDC).template data<T>();
      const T* a = Input(kInputA).template data<T>();
      const T* b = Input(kInputB).template data<T>();
      const T* c = kOp == BinaryOp::kDiv ? Input(kInputC).template data<T>() : nullptr;
      T* da = Output(kOutputDA)->template mutable_data<T>();
      T* db = Output(kOutputDB)->template mutable_data<T>();
      Compute<T>(dc, a, b, c, da, db);
    });
  }

 private:
  // The contributions of C's element i (reading A at ai and B at bi) to dA
  // and dB.
  template <typename T>
  static void Terms(const T* dc, const T* a, const T* b, const T* c, int64_t i, int64_t ai,
                    int64_t bi, T* ta, T* tb) {
    const T g = dc[i];
    if constexpr (kOp == BinaryOp::kAdd) {
      *ta = g;
      *tb = g;
    } else if constexpr (kOp == BinaryOp::kSub) {
      *ta = g;
      *tb = -g;
    } else if constexpr (kOp == BinaryOp::kMul) {
      *ta = g * b[bi];
      *tb = g * a[ai];
    } else {
      *ta = g / b[bi];
      *tb = -(g * c[i]) / b[bi];
    }
  }

  template <typename T>
  void Compute(const T* dc, const T* a, const T* b, const T* c, T* da, T* db) {
    const BroadcastPlan& p = plan_;
    if (p.pattern == BroadcastPlan::Pattern::kSame && p.numel > 0) {
      // No broadcasting: every element of dA and dB gets one term.
      ParallelFor(
          NumThreads(), p.numel, kNsPerElement * (sizeof(T) / 4),
          [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) Terms(dc, a, b, c, i, i, i, da + i, db + i);
          },
          16);
      return;
    }
    const int64_t na = Output(kOutputDA)->numel(), nb = Output(kOutputDB)->numel();
    std::fill(da, da + na, T(0));
    std::fill(db, db + nb, T(0));
    ForEachRun(p, 0, OuterRows(p),
               [&](int64_t co, int64_t ao, int64_t bo, int64_t as, int64_t bs, int64_t n) {
                 for (int64_t j = 0; j < n; ++j) {
                   T ta, tb;
                   Terms(dc, a, b, c, co + j, ao + j * as, bo + j * bs, &ta, &tb);
                   da[ao + j * as] += ta;
                   db[bo + j * bs] += tb;
                 }
               });
  }

  BroadcastPlan plan_;
  DType dtype_ = DType::kUndefined;
};

// dA like A, dB like B; dC (and C for Div) of the broadcast shape.
absl::StatusOr<std::vector<TensorType>> InferBinaryGradient(const OperatorDef& def,
                                                            absl::Span<const TensorType> in) {
  const TensorType& dc = in[0];
  const TensorType& a = in[1];
  const TensorType& b = in[2];
  if (a.dtype != dc.dtype || b.dtype != dc.dtype) {
    return absl::InvalidArgumentError(absl::StrCat("dC ", dc.ToString(), ", A ", a.ToString(),
                                                   " and B ", b.ToString(), " must have one type"));
  }
  absl::StatusOr<BroadcastPlan> p = MakeBroadcastPlan(def, a.dims, b.dims);
  if (!p.ok()) return p.status();
  for (size_t i = 0; i < in.size(); i += 3) {  // dC, and C when present
    if (in[i].dims != p->out_dims || in[i].dtype != dc.dtype) {
      return absl::InvalidArgumentError(absl::StrCat(
          i == 0 ? "dC" : "C", " is ", in[i].ToString(), " but A ", a.ToString(), " and B ",
          b.ToString(), " broadcast to ", TensorType{dc.dtype, p->out_dims}.ToString()));
    }
  }
  return std::vector<TensorType>{a, b};
}

constexpr char kBroadcastDoc[] = "The forward operator's 'broadcast'.";
constexpr char kAxisDoc[] = "The forward operator's 'axis'.";

void GradientSchema(OpSchema& s) {
  s.NumOutputs(2)
      .AllowedTypes({DType::kFloat32, DType::kFloat64})
      .Arg("broadcast", 0, kBroadcastDoc)
      .Arg("axis", -1, kAxisDoc)
      .TensorInference(InferBinaryGradient)
      .Input(0, "dC", "Gradient with respect to the forward output C.")
      .Input(1, "A", "The forward input A (its shape, for Add and Sub).")
      .Input(2, "B", "The forward input B.")
      .Output(0, "dA", "Gradient with respect to A, A's shape.")
      .Output(1, "dB", "Gradient with respect to B, B's shape.");
}

}  // namespace

OPERATOR_SCHEMA(AddGradient)
    .NumInputs(3)
    .Apply(GradientSchema)
    .SetDoc("Gradient of Add: dA and dB are dC summed over the dimensions each was broadcast.");
OPERATOR_SCHEMA(SubGradient)
    .NumInputs(3)
    .Apply(GradientSchema)
    .SetDoc("Gradient of Sub: dA = dC and dB = -dC, summed over broadcast dimensions.");
OPERATOR_SCHEMA(MulGradient)
    .NumInputs(3)
    .Apply(GradientSchema)
    .SetDoc("Gradient of Mul: dA = dC * B and dB = dC * A, summed over broadcast dimensions.");
OPERATOR_SCHEMA(DivGradient)
    .NumInputs(4)
    .Apply(GradientSchema)
    .Input(3, "C", "The forward output C = A / B.")
    .SetDoc(
        "Gradient of Div (reads B and C, as Caffe2's): dA = dC / B and dB = -dC * C / B, "
        "summed over broadcast dimensions.");

REGISTER_CPU_OPERATOR(AddGradient, BinaryGradientOp<BinaryOp::kAdd>);
REGISTER_CPU_OPERATOR(SubGradient, BinaryGradientOp<BinaryOp::kSub>);
REGISTER_CPU_OPERATOR(MulGradient, BinaryGradientOp<BinaryOp::kMul>);
REGISTER_CPU_OPERATOR(DivGradient, BinaryGradientOp<BinaryOp::kDiv>);
SHOULD_NOT_DO_GRADIENT(AddGradient);
SHOULD_NOT_DO_GRADIENT(SubGradient);
SHOULD_NOT_DO_GRADIENT(MulGradient);
SHOULD_NOT_DO_GRADIENT(DivGradient);

}  // namespace opgraph
