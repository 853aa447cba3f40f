// ONNX Gemm, Y = alpha * A' B' + beta * C: as Caffe2's FC, Y = X W^T + b,
// where that folds, else as opgraph's general Gemm operator (ops/gemm_op.cc).
//
// FC takes W as [N, K] and a bias b of [N]. Gemm with transA = 0 maps onto
// it when
//   - transB = 1 and alpha = 1: W is B itself (a constant or not);
//   - otherwise B is a constant: W = alpha * B' is computed once here and
//     becomes a constant of the init net;
//   - C is absent (b = 0), or a constant that does not vary along rows
//     (shape [], [1], [N], [1, N]; b = beta * C broadcast to [N]), or a
//     1-D input when beta = 1.
// Everything else (transA = 1, a C that varies along rows, a non-constant B
// that would need transposing or scaling, no C with a non-constant B) maps
// to the Gemm operator with alpha, beta, trans_a and trans_b, which
// broadcasts C to [M, N] itself.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "onnx_import/import_context.h"

namespace opgraph {
namespace onnx_import {
namespace {

// W[n, k] = alpha * (trans_b ? B[n, k] : B[k, n]).
template <typename T>
absl::StatusOr<Tensor> MakeWeights(const Tensor& b, bool trans_b, float alpha) {
  const int64_t rows = b.dim(0), cols = b.dim(1);
  const int64_t n = trans_b ? rows : cols, k = trans_b ? cols : rows;
  OPGRAPH_ASSIGN_OR_RETURN(Tensor w, Tensor::Zeros(b.dtype(), {n, k}));
  const T* src = b.data<T>();
  T* dst = w.mutable_data<T>();
  const T a = static_cast<T>(alpha);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      dst[i * k + j] = a * (trans_b ? src[i * cols + j] : src[j * cols + i]);
    }
  }
  return w;
}

// b[n] = beta * C broadcast along [N]; `c` has one value or N.
template <typename T>
absl::StatusOr<Tensor> MakeBias(const Tensor& c, int64_t n, float beta) {
  OPGRAPH_ASSIGN_OR_RETURN(Tensor b, Tensor::Zeros(c.dtype(), {n}));
  const T* src = c.data<T>();
  T* dst = b.mutable_data<T>();
  for (int64_t i = 0; i < n; ++i) {
    dst[i] = static_cast<T>(beta) * src[c.numel() == 1 ? 0 : i];
  }
  return b;
}

bool IsFloat(DType d) { return d == DType::kFloat32 || d == DType::kFloat64; }

// Whether the FC mapping above applies. A constant B or C of a type FC
// cannot take counts as foldable, so that the FC path reports it.
bool FoldsToFc(const ImportContext& ctx, const std::string& b, const std::string& c, float alpha,
               float beta, int64_t trans_a, int64_t trans_b) {
  if (trans_a != 0) return false;
  const Tensor* bv = ctx.Constant(b);
  if (bv != nullptr && (bv->ndim() != 2 || !IsFloat(bv->dtype()))) return true;
  const int64_t n = bv != nullptr ? bv->dim(trans_b != 0 ? 0 : 1) : -1;
  if ((trans_b == 0 || alpha != 1.0f) && bv == nullptr) return false;
  if (c.empty() || beta == 0.0f) return n >= 0;
  const Tensor* cv = ctx.Constant(c);
  if (cv == nullptr) return beta == 1.0f && ctx.Rank(c) == 1;
  if (!IsFloat(cv->dtype()) || (bv != nullptr && cv->dtype() != bv->dtype())) return true;
  const std::vector<int64_t>& d = cv->dims();
  const bool row = d.size() <= 1 || (d.size() == 2 && d[0] == 1);
  const int64_t c_n = cv->numel();
  if (!row || (n >= 0 && c_n != 1 && c_n != n)) return false;
  return !(n < 0 && c_n == 1);
}

}  // namespace

absl::Status ConvertGemm(const onnx::NodeProto& node, NodeAttrs& attrs, ImportContext& ctx) {
  // C is optional from opset 11.
  const int min_inputs = ctx.opset() >= 11 ? 2 : 3;
  if (node.input_size() < min_inputs || node.input_size() > 3 || node.output_size() != 1 ||
      node.input(0).empty() || node.input(1).empty() || node.output(0).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "has ", node.input_size(), " inputs and ", node.output_size(), " outputs, expected A, B",
        min_inputs == 3 ? ", C" : " and optionally C", " and one Y"));
  }
  OPGRAPH_ASSIGN_OR_RETURN(float alpha, attrs.Float("alpha", 1.0f));
  OPGRAPH_ASSIGN_OR_RETURN(float beta, attrs.Float("beta", 1.0f));
  OPGRAPH_ASSIGN_OR_RETURN(int64_t trans_a, attrs.Int("transA", 0));
  OPGRAPH_ASSIGN_OR_RETURN(int64_t trans_b, attrs.Int("transB", 0));
  const std::string& a = node.input(0);
  const std::string& b = node.input(1);
  const std::string c = node.input_size() > 2 ? node.input(2) : std::string();
  if (ctx.Rank(a) >= 0 && ctx.Rank(a) != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("A '", a, "' has rank ", ctx.Rank(a), "; Gemm needs a matrix"));
  }
  if (!FoldsToFc(ctx, b, c, alpha, beta, trans_a, trans_b)) {
    std::vector<std::string> inputs = {a, b};
    if (!c.empty()) inputs.push_back(c);
    OperatorDef* op = ctx.AddOp("Gemm", inputs, {node.output(0)}, node.name(), 2);
    AddFloatArg(op, "alpha", alpha);
    AddFloatArg(op, "beta", beta);
    AddIntArg(op, "trans_a", trans_a != 0 ? 1 : 0);
    AddIntArg(op, "trans_b", trans_b != 0 ? 1 : 0);
    return absl::OkStatus();
  }

  // W, and N when known.
  std::string w = b;
  int64_t n = -1;
  DType dtype = DType::kUndefined;
  const Tensor* b_value = ctx.Constant(b);
  if (b_value != nullptr) {
    if (b_value->ndim() != 2 || !IsFloat(b_value->dtype())) {
      return absl::InvalidArgumentError(absl::StrCat("B '", b, "' is ", b_value->DebugString(),
                                                     "; Gemm needs a float32 or float64 matrix"));
    }
    dtype = b_value->dtype();
    n = b_value->dim(trans_b != 0 ? 0 : 1);
  }
  if (trans_b == 0 || alpha != 1.0f) {
    if (b_value == nullptr) {
      return absl::UnimplementedError(absl::StrCat(
          "B '", b, "' is not a constant: with transB = ", trans_b, " and alpha = ", alpha,
          " Gemm maps to FC only when B is an initializer (its transpose is computed once)"));
    }
    absl::StatusOr<Tensor> weights = dtype == DType::kFloat32
                                         ? MakeWeights<float>(*b_value, trans_b != 0, alpha)
                                         : MakeWeights<double>(*b_value, trans_b != 0, alpha);
    OPGRAPH_RETURN_IF_ERROR(weights.status());
    w = ctx.FreshName(b);
    OPGRAPH_RETURN_IF_ERROR(ctx.AddConstant(w, *std::move(weights)));
  }

  // The bias.
  std::string bias = c;
  const Tensor* c_value = c.empty() ? nullptr : ctx.Constant(c);
  if (c.empty() || beta == 0.0f) {
    if (n < 0 || dtype == DType::kUndefined) {
      return absl::UnimplementedError(
          "without C (or with beta = 0) B must be a constant, so that the zero bias has a known "
          "size");
    }
    OPGRAPH_ASSIGN_OR_RETURN(Tensor zeros, Tensor::Zeros(dtype, {n}));
    bias = ctx.FreshName(absl::StrCat(node.output(0), "_bias"));
    OPGRAPH_RETURN_IF_ERROR(ctx.AddConstant(bias, std::move(zeros)));
  } else if (c_value != nullptr) {
    if (!IsFloat(c_value->dtype()) || (dtype != DType::kUndefined && c_value->dtype() != dtype)) {
      return absl::InvalidArgumentError(
          absl::StrCat("C '", c, "' is ", c_value->DebugString(), "; expected the dtype of B"));
    }
    const std::vector<int64_t>& d = c_value->dims();
    // A row vector: [], [1], [N], [1, N] (or [1, 1]).
    const bool row = d.size() <= 1 || (d.size() == 2 && d[0] == 1);
    const int64_t c_n = c_value->numel();
    if (!row || (n >= 0 && c_n != 1 && c_n != n)) {
      return absl::UnimplementedError(absl::StrCat(
          "C '", c, "' of shape ", DimsToString(d), " is not supported: FC's bias is one row of ",
          n < 0 ? std::string("N") : absl::StrCat(n), " values broadcast over the rows"));
    }
    if (n < 0) {
      if (c_n == 1) {
        return absl::UnimplementedError(
            absl::StrCat("C '", c, "' holds one value and B is not a constant, so N is unknown"));
      }
      n = c_n;
    }
    const bool as_is = beta == 1.0f && d.size() == 1 && c_n == n;
    if (!as_is) {
      absl::StatusOr<Tensor> folded = c_value->dtype() == DType::kFloat32
                                          ? MakeBias<float>(*c_value, n, beta)
                                          : MakeBias<double>(*c_value, n, beta);
      OPGRAPH_RETURN_IF_ERROR(folded.status());
      bias = ctx.FreshName(c);
      OPGRAPH_RETURN_IF_ERROR(ctx.AddConstant(bias, *std::move(folded)));
    }
  } else if (beta != 1.0f || ctx.Rank(c) != 1) {
    return absl::UnimplementedError(
        absl::StrCat("C '", c,
                     "' is not a constant: it maps to FC's bias only as a 1-D input with beta = 1 "
                     "(here beta = ",
                     beta, ", rank ",
                     ctx.Rank(c) < 0 ? std::string("unknown") : absl::StrCat(ctx.Rank(c)), ")"));
  }
  ctx.AddOp("FC", {a, w, bias}, {node.output(0)}, node.name(), 2);
  return absl::OkStatus();
}

}  // namespace onnx_import
}  // namespace opgraph
