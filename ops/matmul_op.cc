// MatMul: Caffe2's 2-D matrix product of flattened tensors.
//
//   A is viewed as a matrix at axis_a: [prod(dims[:axis_a]), prod(dims[axis_a:])],
//   that is [M, K], or [K, M] with trans_a; B at axis_b as [K, N], or [N, K]
//   with trans_b. Y = op(A) op(B) has shape [M, N], or the shape of the
//   optional third input (whose element count must be M * N; Caffe2's own
//   gradient uses it to give dA and dB their inputs' shapes).
//
// This is not ONNX's MatMul (numpy's matmul), which imports to BatchMatMul
// with broadcast = 1 (ops/batch_matmul_op.cc).
//
// The product runs on the GEMM wrapper (ops/kernels/gemm.h) with the
// workspace's threads: each element within (K + 2) eps sum |a b|. A B
// constant across runs is packed once at Prepare (ops/packed_operand.h).
//
// Gradient (two inputs), as Caffe2's, two MatMuls that take the forward
// input as their shape input:
//   A B:   dA = G B^T,     dB = A^T G
//   A B^T: dA = G B,       dB = G^T A
//   A^T B: dA = B G^T,     dB = A G
//   A^T B^T: dA = B^T G^T, dB = G^T A^T
// with the axes that view each operand as it was viewed forward.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/registry.h"
#include "ops/kernels/gemm.h"
#include "ops/packed_operand.h"

namespace opgraph {
namespace {

int64_t IntArgOr(const OperatorDef& def, const char* name, int64_t default_value) {
  const Argument* arg = FindArgument(def, name);
  return arg != nullptr && arg->has_i() ? arg->i() : default_value;
}

struct MatMul2dShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  std::vector<int64_t> out_dims;
};

absl::StatusOr<MatMul2dShape> ComputeShape(const OperatorDef& def,
                                           absl::Span<const TensorType> in) {
  const TensorType& a = in[0];
  const TensorType& b = in[1];
  if (a.dtype != b.dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("A is ", a.ToString(), " but B is ", b.ToString(), "; types must match"));
  }
  MatMul2dShape s;
  s.trans_a = IntArgOr(def, "trans_a", 0) != 0;
  s.trans_b = IntArgOr(def, "trans_b", 0) != 0;
  const int ra = static_cast<int>(a.dims.size()), rb = static_cast<int>(b.dims.size());
  absl::StatusOr<int> axis_a = CanonicalAxis(IntArgOr(def, "axis_a", 1), ra);
  if (!axis_a.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'axis_a' for A ", a.ToString(), ": ", axis_a.status().message()));
  }
  absl::StatusOr<int> axis_b = CanonicalAxis(IntArgOr(def, "axis_b", 1), rb);
  if (!axis_b.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'axis_b' for B ", b.ToString(), ": ", axis_b.status().message()));
  }
  const int64_t a0 = DimsProduct(a.dims, 0, *axis_a), a1 = DimsProduct(a.dims, *axis_a, ra);
  const int64_t b0 = DimsProduct(b.dims, 0, *axis_b), b1 = DimsProduct(b.dims, *axis_b, rb);
  s.m = s.trans_a ? a1 : a0;
  s.k = s.trans_a ? a0 : a1;
  const int64_t kb = s.trans_b ? b1 : b0;
  s.n = s.trans_b ? b0 : b1;
  if (kb != s.k) {
    return absl::InvalidArgumentError(absl::StrCat(
        "A ", a.ToString(), " viewed at axis_a ", *axis_a, s.trans_a ? " and transposed" : "",
        " has K = ", s.k, " but B ", b.ToString(), " viewed at axis_b ", *axis_b,
        s.trans_b ? " and transposed" : "", " has K = ", kb));
  }
  s.out_dims = {s.m, s.n};
  if (in.size() == 3) {
    if (DimsProduct(in[2].dims, 0, static_cast<int>(in[2].dims.size())) != s.m * s.n) {
      return absl::InvalidArgumentError(absl::StrCat("the shape input ", in[2].ToString(),
                                                     " does not hold M * N = ", s.m, " * ", s.n,
                                                     " elements"));
    }
    s.out_dims = in[2].dims;
  }
  return s;
}

absl::StatusOr<std::vector<TensorType>> InferMatMul(const OperatorDef& def,
                                                    absl::Span<const TensorType> in) {
  absl::StatusOr<MatMul2dShape> s = ComputeShape(def, in);
  if (!s.ok()) return s.status();
  return std::vector<TensorType>{TensorType{in[0].dtype, s->out_dims}};
}

class MatMulOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    absl::StatusOr<MatMul2dShape> s = ComputeShape(def(), ctx.inputs());
    if (!s.ok()) return s.status();
    s_ = *std::move(s);
    dtype_ = ctx.input(0).dtype;
    return b_.Prepare(ctx, 1, dtype_, s_.k, s_.n, s_.trans_b, /*rows_hint=*/s_.m);
  }

  absl::Status RunOnDevice() override {
    return DispatchFloat(dtype_, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const int64_t lda = std::max<int64_t>(1, s_.trans_a ? s_.m : s_.k);
      const int64_t ldb = std::max<int64_t>(1, s_.trans_b ? s_.k : s_.n);
      b_.Multiply<T>(s_.trans_a, s_.m, T(1), Input(0).template data<T>(), lda,
                     Input(1).template data<T>(), ldb, T(0), Output(0)->template mutable_data<T>(),
                     std::max<int64_t>(1, s_.n), NumThreads());
    });
  }

 private:
  MatMul2dShape s_;
  DType dtype_ = DType::kUndefined;
  ConstantRightOperand b_;  // packed when B is constant
};

class GetMatMulGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (def().input_size() != 2) {
      return absl::UnimplementedError(
          "MatMul with a shape input has no gradient (its dY is not [M, N])");
    }
    const bool ta = IntArgOr(def(), "trans_a", 0) != 0;
    const bool tb = IntArgOr(def(), "trans_b", 0) != 0;
    const int64_t axis_a = IntArgOr(def(), "axis_a", 1);
    const int64_t axis_b = IntArgOr(def(), "axis_b", 1);
    const std::string a = I(0), b = I(1), g = GO(0);
    struct Product {
      std::string x, y, shape;
      bool tx, ty;
      const char* axis_name;
      int64_t axis;
    };
    Product da, db;
    if (!ta && !tb) {
      da = {g, b, a, false, true, "axis_b", axis_b};
      db = {a, g, b, true, false, "axis_a", axis_a};
    } else if (!ta && tb) {
      da = {g, b, a, false, false, "axis_b", axis_b};
      db = {g, a, b, true, false, "axis_b", axis_a};
    } else if (ta && !tb) {
      da = {b, g, a, false, true, "axis_a", axis_b};
      db = {a, g, b, false, false, "axis_a", axis_a};
    } else {
      da = {b, g, a, true, true, "axis_a", axis_b};
      db = {g, a, b, true, true, "axis_b", axis_a};
    }
    std::vector<OperatorDef> ops;
    const std::string outs[2] = {GI(0), GI(1)};
    int i = 0;
    for (const Product& p : {da, db}) {
      OperatorDef op = SingleGradientDef("MatMul", "", {p.x, p.y, p.shape}, {outs[i++]})[0];
      for (const auto& [name, value] : {std::pair<const char*, int64_t>{"trans_a", p.tx},
                                        {"trans_b", p.ty},
                                        {p.axis_name, p.axis}}) {
        Argument* arg = op.add_arg();
        arg->set_name(name);
        arg->set_i(value);
      }
      ops.push_back(std::move(op));
    }
    return ops;
  }
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(MatMul)
    .NumInputs(2, 3)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis_a", 1, "A is viewed as [prod(dims[:axis_a]), prod(dims[axis_a:])].")
    .Arg("axis_b", 1, "B is viewed as [prod(dims[:axis_b]), prod(dims[axis_b:])].")
    .Arg("trans_a", 0, "Transpose A's matrix view before multiplying.")
    .Arg("trans_b", 0, "Transpose B's matrix view before multiplying.")
    .TensorInference(InferMatMul)
    .Input(0, "A", "Viewed as [M, K] ([K, M] with trans_a); float32 or float64.")
    .Input(1, "B", "Viewed as [K, N] ([N, K] with trans_b); A's type.")
    .Input(2, "shape", "Optional: Y takes this input's shape (M * N elements).")
    .Output(0, "Y", "op(A) op(B): [M, N], or the shape input's shape.")
    .SetDoc(
        "Caffe2's MatMul: 2-D product of A and B viewed as matrices at axis_a and axis_b. "
        "Not ONNX's MatMul (see BatchMatMul). Runs on OpenBLAS.");

REGISTER_CPU_OPERATOR(MatMul, MatMulOp);
REGISTER_GRADIENT(MatMul, GetMatMulGradient);

}  // namespace opgraph
