// Concat, Split and ConcatGradient, after Caffe2's concat_split_op.
//
//   Concat(X0, ..., Xn-1) -> concat_result, split_info
//     joins along `axis` (default 1; from `order` "NHWC" it is 3 when axis
//     is absent); with add_axis=1 the inputs have equal dims and a new dim
//     of size n is inserted at `axis`. split_info (int32, [n]) holds each
//     input's extent along the axis.
//   Split(input[, split]) -> output_0, ..., output_k-1
//     the inverse: extents from the `split` argument, from input 1 (a
//     constant 1-D int32 or int64 tensor) or, with neither, equal parts.
//   ConcatGradient(dY, X0, ..., Xn-1) -> dX0, ..., dXn-1
//     Split of dY at the extents of the forward inputs. Caffe2 splits at
//     split_info instead; opgraph fixes every shape at net creation, which
//     a value computed by the net cannot do, so the gradient reads the
//     forward inputs' types.
// All element types; elements are moved as bytes. Every operator here is
// one loop over the outer dims copying one contiguous chunk per part.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"

namespace opgraph {
namespace {

constexpr int64_t kDefaultAxis = 1;

int64_t AxisArg(const OperatorDef& def) {
  if (const Argument* a = FindArgument(def, "axis")) return a->i();
  if (const Argument* o = FindArgument(def, "order")) {
    if (o->s() == "NHWC") return 3;
  }
  return kDefaultAxis;
}

bool AddAxis(const OperatorDef& def) {
  const Argument* a = FindArgument(def, "add_axis");
  return a != nullptr && a->i() != 0;
}

// The joined type of `parts` (Concat's inference), and each part's extent.
absl::StatusOr<TensorType> Joined(const OperatorDef& def, absl::Span<const TensorType> parts,
                                  std::vector<int64_t>* extents) {
  const bool add_axis = AddAxis(def);
  const TensorType& first = parts[0];
  const int rank = static_cast<int>(first.dims.size());
  const int out_rank = rank + (add_axis ? 1 : 0);
  const int64_t axis = AxisArg(def);
  absl::StatusOr<int> a = CanonicalAxis(axis, out_rank);
  if (!a.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'axis' = ", axis, " is outside [-", out_rank, ", ", out_rank,
                     ") for inputs of rank ", rank, add_axis ? " with add_axis" : ""));
  }
  TensorType out = first;
  if (add_axis) out.dims.insert(out.dims.begin() + *a, 0);
  extents->clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    const TensorType& p = parts[i];
    bool ok = p.dtype == first.dtype && static_cast<int>(p.dims.size()) == rank;
    for (int d = 0; ok && d < rank; ++d) {
      if (!add_axis && d == *a) continue;
      ok = p.dims[d] == first.dims[d];
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input ", i, " (", p.ToString(), ") does not fit input 0 (", first.ToString(),
          "): same type, and same dims", add_axis ? "" : " except along the axis"));
    }
    const int64_t e = add_axis ? 1 : p.dims[*a];
    extents->push_back(e);
    out.dims[*a] += add_axis ? 1 : 0;
  }
  if (!add_axis) {
    out.dims[*a] = 0;
    for (int64_t e : *extents) out.dims[*a] += e;
  }
  return out;
}

absl::StatusOr<std::vector<TensorType>> InferConcat(const OperatorDef& def,
                                                    absl::Span<const TensorType> in) {
  std::vector<int64_t> extents;
  absl::StatusOr<TensorType> y = Joined(def, in, &extents);
  if (!y.ok()) return y.status();
  std::vector<TensorType> out = {*y};
  if (def.output_size() > 1) out.push_back({DType::kInt32, {static_cast<int64_t>(in.size())}});
  return out;
}

// The parts' types when `whole` is split along the axis into `extents`.
absl::StatusOr<std::vector<TensorType>> Parts(const OperatorDef& def, const TensorType& whole,
                                              const std::vector<int64_t>& extents) {
  const bool add_axis = AddAxis(def);
  const int rank = static_cast<int>(whole.dims.size());
  const int64_t axis = AxisArg(def);
  absl::StatusOr<int> a = CanonicalAxis(axis, rank);
  if (!a.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("argument 'axis' = ", axis, " is outside [-",
                                                   rank, ", ", rank, ") for input 0 (",
                                                   whole.ToString(), ")"));
  }
  int64_t sum = 0;
  for (int64_t e : extents) {
    if (e < 0 || (add_axis && e != 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("split [", absl::StrJoin(extents, ", "), "] has an extent ", e,
                       add_axis ? " (with add_axis every extent is 1)" : " (extents are >= 0)"));
    }
    sum += e;
  }
  if (sum != whole.dims[*a]) {
    return absl::InvalidArgumentError(
        absl::StrCat("split [", absl::StrJoin(extents, ", "), "] sums to ", sum, "; input 0 (",
                     whole.ToString(), ") has ", whole.dims[*a], " along axis ", *a));
  }
  std::vector<TensorType> out;
  for (int64_t e : extents) {
    TensorType t = whole;
    if (add_axis) {
      t.dims.erase(t.dims.begin() + *a);
    } else {
      t.dims[*a] = e;
    }
    out.push_back(t);
  }
  return out;
}

absl::StatusOr<std::vector<TensorType>> InferSplit(const OperatorDef& def,
                                                   absl::Span<const TensorType> in,
                                                   absl::Span<const Tensor* const> values) {
  const Argument* arg = FindArgument(def, "split");
  const int n = def.output_size();
  std::vector<int64_t> extents;
  if (in.size() > 1) {
    if (arg != nullptr) {
      return absl::InvalidArgumentError(
          "the extents are given both by the argument 'split' and by input 1; give one");
    }
    const TensorType& t = in[1];
    if (t.dims.size() != 1 || (t.dtype != DType::kInt32 && t.dtype != DType::kInt64)) {
      return absl::InvalidArgumentError(
          absl::StrCat("input 1 (split) must be a 1-D int32 or int64 tensor, got ", t.ToString()));
    }
    const Tensor* v = values.size() > 1 ? values[1] : nullptr;
    if (v == nullptr) {
      return absl::InvalidArgumentError(
          "input 1 (split) must be constant (fed, or made by an init net, and not written by "
          "this net): the output shapes are fixed when the net is created");
    }
    for (int64_t i = 0; i < v->numel(); ++i) {
      extents.push_back(v->dtype() == DType::kInt32 ? v->data<int32_t>()[i]
                                                    : v->data<int64_t>()[i]);
    }
  } else if (arg != nullptr && arg->ints_size() > 0) {
    extents.assign(arg->ints().begin(), arg->ints().end());
  } else {
    const int rank = static_cast<int>(in[0].dims.size());
    absl::StatusOr<int> a = CanonicalAxis(AxisArg(def), rank);
    if (!a.ok()) return a.status();
    const int64_t d = in[0].dims[*a];
    if (d % n != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("input 0 (", in[0].ToString(), ") has ", d, " along axis ", *a,
                       ", which does not split into ", n, " equal parts"));
    }
    extents.assign(n, d / n);
  }
  if (static_cast<int>(extents.size()) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("split has ", extents.size(), " extents for ", n, " outputs"));
  }
  return Parts(def, in[0], extents);
}

absl::StatusOr<std::vector<TensorType>> InferConcatGradient(const OperatorDef& def,
                                                            absl::Span<const TensorType> in) {
  if (def.output_size() != static_cast<int>(in.size()) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", def.output_size(), " outputs for ", in.size() - 1, " forward inputs"));
  }
  std::vector<int64_t> extents;
  absl::StatusOr<TensorType> joined = Joined(def, in.subspan(1), &extents);
  if (!joined.ok()) return joined.status();
  if (joined->dims != in[0].dims || joined->dtype != in[0].dtype) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input 0 (dY, ", in[0].ToString(), ") is not the concatenation type ", joined->ToString()));
  }
  return std::vector<TensorType>(in.begin() + 1, in.end());
}

// Prepared layout: `outer` repetitions of one chunk per part, in order.
struct Layout {
  int64_t outer = 0;
  std::vector<size_t> chunk_bytes;
};

// The layout for a whole `whole` and its parts (add_axis or not, a part's
// elements per outer index are its element count / outer).
Layout MakeLayout(const OperatorDef& def, const TensorType& whole,
                  const std::vector<TensorType>& parts) {
  const int rank = static_cast<int>(whole.dims.size());
  const int a = *CanonicalAxis(AxisArg(def), rank);
  Layout l;
  l.outer = DimsProduct(whole.dims, 0, a);
  for (const TensorType& p : parts) {
    const int64_t n = DimsProduct(p.dims, 0, static_cast<int>(p.dims.size()));
    l.chunk_bytes.push_back(l.outer == 0 ? 0
                                         : static_cast<size_t>(n / l.outer) * DTypeSize(p.dtype));
  }
  return l;
}

class ConcatOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    layout_ = MakeLayout(def(), ctx.output(0), ctx.inputs());
    extents_.clear();
    absl::StatusOr<TensorType> joined = Joined(def(), ctx.inputs(), &extents_);
    return joined.status();
  }

  absl::Status RunOnDevice() override {
    auto* y = static_cast<char*>(Output(0)->raw_mutable_data());
    const int n = InputSize();
    for (int64_t o = 0; o < layout_.outer; ++o) {
      for (int i = 0; i < n; ++i) {
        const size_t c = layout_.chunk_bytes[i];
        if (c == 0) continue;
        std::memcpy(y, static_cast<const char*>(Input(i).raw_data()) + o * c, c);
        y += c;
      }
    }
    if (OutputSize() > 1) {
      int32_t* info = Output(1)->mutable_data<int32_t>();
      for (int i = 0; i < n; ++i) info[i] = static_cast<int32_t>(extents_[i]);
    }
    return absl::OkStatus();
  }

 private:
  Layout layout_;
  std::vector<int64_t> extents_;
};

// Split and ConcatGradient: input 0 is the whole, the outputs the parts.
class SplitOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    layout_ = MakeLayout(def(), ctx.input(0), ctx.outputs());
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    const auto* x = static_cast<const char*>(Input(0).raw_data());
    const int n = OutputSize();
    for (int64_t o = 0; o < layout_.outer; ++o) {
      for (int i = 0; i < n; ++i) {
        const size_t c = layout_.chunk_bytes[i];
        if (c == 0) continue;
        std::memcpy(static_cast<char*>(Output(i)->raw_mutable_data()) + o * c, x, c);
        x += c;
      }
    }
    return absl::OkStatus();
  }

 private:
  Layout layout_;
};

class GetConcatGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    if (GO(0).empty()) return std::vector<OperatorDef>{};
    std::vector<std::string> inputs = {GO(0)};
    std::vector<std::string> outputs;
    for (int i = 0; i < def().input_size(); ++i) {
      inputs.push_back(I(i));
      outputs.push_back(GI(i));
    }
    return SingleGradientDef("ConcatGradient", "", inputs, outputs);
  }
};

class GetSplitGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    std::vector<std::string> inputs;
    for (int i = 0; i < def().output_size(); ++i) {
      if (GO(i).empty()) {
        return absl::UnimplementedError(
            absl::StrCat("Split's gradient needs the gradient of every output; output ", i, " ('",
                         def().output(i), "') has none"));
      }
      inputs.push_back(GO(i));
    }
    // Concat has no `split` (the extents follow from the parts): copy only
    // the arguments both take.
    std::vector<Argument> args;
    for (const char* name : {"axis", "add_axis", "order"}) {
      if (const Argument* a = FindArgument(def(), name)) args.push_back(*a);
    }
    return SingleGradientDef("Concat", "", inputs, {GI(0)}, args);
  }
  bool CopyArguments() const override { return false; }
};

constexpr char kAxisDoc[] =
    "The axis to join or split along (negative counts from the end). Absent: 1, or 3 when "
    "`order` is \"NHWC\".";
constexpr char kAddAxisDoc[] =
    "1: the parts have no dim at `axis`; the whole has one, of size the number of parts.";

void SharedArgs(OpSchema& s) {
  s.Arg("axis", ArgKind::kInt, kAxisDoc)
      .Arg("add_axis", int64_t{0}, kAddAxisDoc)
      .Arg("order", std::string("NCHW"), "\"NCHW\" or \"NHWC\": the default axis (1 or 3).");
}

}  // namespace

OPERATOR_SCHEMA(Concat)
    .NumInputs(1, INT32_MAX)
    .NumOutputs(1, 2)
    .TensorInference(InferConcat)
    .Apply(SharedArgs)
    .Input(0, "X0, ...",
           "Tensors of one type; same dims except along axis (all equal with "
           "add_axis).")
    .Output(0, "concat_result", "The inputs joined along axis.")
    .Output(1, "split_info", "Optional: each input's extent along axis, 1-D int32.")
    .SetDoc("Joins its inputs along `axis` (Caffe2 Concat; ONNX Concat without split_info).");

OPERATOR_SCHEMA(Split)
    .NumInputs(1, 2)
    .NumOutputs(1, INT32_MAX)
    .ValueDependentInference(InferSplit)
    .Apply(SharedArgs)
    .Arg("split", ArgKind::kInts, "Each output's extent along axis (or give input 1).")
    .Input(0, "input", "The tensor to split.")
    .Input(1, "split", "Optional: the extents as a constant 1-D int32 or int64 tensor.")
    .Output(0, "output_0, ...", "The parts, in order.")
    .SetDoc(
        "Splits input along `axis` into parts of the given extents, or equal parts when none "
        "are given (Caffe2 Split).");

OPERATOR_SCHEMA(ConcatGradient)
    .NumInputs(2, INT32_MAX)
    .NumOutputs(1, INT32_MAX)
    .TensorInference(InferConcatGradient)
    .Apply(SharedArgs)
    .Input(0, "dY", "Gradient of Concat's concat_result.")
    .Input(1, "X0, ...", "The forward inputs; only their types are read.")
    .Output(0, "dX0, ...", "dY split at the forward inputs' extents.")
    .SetDoc("Concat's gradient: dY split into parts shaped as the forward inputs.");

REGISTER_CPU_OPERATOR(Concat, ConcatOp);
REGISTER_CPU_OPERATOR(Split, SplitOp);
REGISTER_CPU_OPERATOR(ConcatGradient, SplitOp);
REGISTER_GRADIENT(Concat, GetConcatGradient);
REGISTER_GRADIENT(Split, GetSplitGradient);
SHOULD_NOT_DO_GRADIENT(ConcatGradient);

}  // namespace opgraph
