// FCSelu, FC with Selu applied to each block of Y while it is in cache, and
// the FuseFCSelu graph pass that makes it from FC followed by Selu.
//
// FCSelu runs the same GEMM calls as FC on the same row blocks
// (ops/fc_forward.h) and then the same Selu kernel as the Selu operator on
// each block, so its result is bit for bit that of FC then Selu.
//
// The pass replaces FC #i (X, W, b -> H) and Selu #j (H -> Y) by one
// FCSelu (X, W, b -> Y) at the Selu's position, with FC's axis and axis_w,
// the Selu's alpha and scale, the name "<fc name>+<selu name>" when either
// has one, and the Selu's device option and engine, when all of these hold:
//   - #j is the first operator after #i that reads or writes H;
//   - the value #i writes to H is read by #j only: when the Selu runs in
//     place (Y == H), readers after #j read the Selu's output, which FCSelu
//     writes; otherwise no other operator reads H at all, and H is not an
//     external output or in ctx.protected_blobs;
//   - no operator between #i and #j writes X, W or b, and Y is none of them;
//   - the Selu's arguments are valid (its Init() accepts them).
// FCSelu has no gradient: fuse inference nets, and build a training net's
// backward pass from the unfused net (a training net fused afterwards stays
// correct, since its gradient operators read only X, W, b and Y).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/graph_util.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "ops/fc_forward.h"
#include "ops/kernels/activation_kernels.h"
#include "ops/selu_args.h"

namespace opgraph {
namespace {

// As in ops/selu_op.cc, so the epilogue splits its blocks as Selu would.
constexpr double kSeluNsPerElement = 0.15;
constexpr int64_t kElementsPerCacheLine = 16;

class FCSeluOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override { return ReadSeluArgs(*this, &alpha_, &scale_); }

  absl::Status Prepare(const PrepareContext& ctx) override { return fc_.Prepare(def(), ctx); }

  absl::Status RunOnDevice() override {
    return DispatchFloat(fc_.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T alpha = static_cast<T>(alpha_);
      const T scale = static_cast<T>(scale_);
      const int threads = NumThreads();
      fc_.Run<T>(Input(FcForward::kInputX).data<T>(), Input(FcForward::kInputW).data<T>(),
                 Input(FcForward::kInputB).data<T>(), Output(0)->mutable_data<T>(), threads,
                 [&](T* y, int64_t count) {
                   ParallelFor(
                       threads, count, kSeluNsPerElement * (sizeof(T) / 4),
                       [&](int64_t begin, int64_t end) {
                         kernels::Selu(y + begin, y + begin, end - begin, alpha, scale);
                       },
                       kElementsPerCacheLine);
                 });
    });
  }

 private:
  FcForward fc_;
  double alpha_ = kSeluDefaultAlpha;
  double scale_ = kSeluDefaultScale;
};

constexpr char kPassName[] = "FuseFCSelu";
constexpr char kFC[] = "FC";
constexpr char kSelu[] = "Selu";
constexpr char kFCSelu[] = "FCSelu";

bool Legal(const NetDef& net, int i, int j, const std::set<std::string>& keep) {
  const OperatorDef& fc = net.op(i);
  const OperatorDef& selu = net.op(j);
  const std::string& h = fc.output(0);
  const std::string& y = selu.output(0);
  if (y != h && (CountReads(net, h) != 1 || keep.count(h) > 0)) return false;
  for (const std::string& in : fc.input()) {
    if (in == y || WrittenBetween(net, i, j, in)) return false;
  }
  return OpRegistry::Global().CreateOperator(selu).ok();
}

absl::StatusOr<NetDef> FuseFCSelu(const NetDef& net, const PassContext& ctx,
                                  std::vector<Rewrite>* rewrites) {
  // The pass needs no shapes, but a net it cannot type is reported, as by
  // the other passes, rather than rewritten.
  absl::StatusOr<std::vector<std::vector<TensorType>>> types =
      InputTypesPerOp(net, ctx.input_types, ctx.constants);
  if (!types.ok()) return types.status();
  const std::set<std::string> keep = KeptBlobs(net, ctx);
  std::map<int, int> fc_of;  // fused Selu index -> its FC index
  std::set<int> fused_fcs;
  for (int j = 0; j < net.op_size(); ++j) {
    const OperatorDef& selu = net.op(j);
    if (selu.type() != kSelu || selu.input_size() != 1 || selu.output_size() != 1) continue;
    const int i = LastAccessBefore(net, j, selu.input(0));
    if (i < 0 || fused_fcs.count(i) > 0) continue;
    const OperatorDef& fc = net.op(i);
    if (fc.type() != kFC || fc.output_size() != 1 || fc.output(0) != selu.input(0)) continue;
    if (!Legal(net, i, j, keep)) continue;
    fc_of[j] = i;
    fused_fcs.insert(i);
  }

  NetDef out = net;
  out.clear_op();
  for (int j = 0; j < net.op_size(); ++j) {
    if (fused_fcs.count(j) > 0) continue;
    auto pair = fc_of.find(j);
    if (pair == fc_of.end()) {
      *out.add_op() = net.op(j);
      continue;
    }
    const OperatorDef& fc = net.op(pair->second);
    const OperatorDef& selu = net.op(j);
    OperatorDef* fused = out.add_op();
    fused->set_type(kFCSelu);
    if (!fc.name().empty() || !selu.name().empty()) {
      fused->set_name(absl::StrCat(fc.name(), "+", selu.name()));
    }
    for (const std::string& in : fc.input()) fused->add_input(in);
    fused->add_output(selu.output(0));
    for (const Argument& a : fc.arg()) *fused->add_arg() = a;
    for (const Argument& a : selu.arg()) *fused->add_arg() = a;
    if (selu.has_device_option()) *fused->mutable_device_option() = selu.device_option();
    if (selu.has_engine()) fused->set_engine(selu.engine());
    if (rewrites != nullptr) {
      const int k = out.op_size() - 1;
      rewrites->push_back(
          Rewrite{kPassName,
                  {pair->second, j},
                  k,
                  absl::StrCat("fused FC #", pair->second, " + Selu #", j, " into FCSelu #", k)});
    }
  }
  return out;
}

constexpr char kAxisDoc[] = "As FC's: X is flattened to a matrix at this axis.";
constexpr char kAxisWDoc[] = "As FC's: W is flattened to a matrix at this axis.";
constexpr char kAlphaDoc[] = "As Selu's: coefficient of the negative part, >= 0.";
constexpr char kScaleDoc[] = "As Selu's: overall scale, greater than 1.";

}  // namespace

OPERATOR_SCHEMA(FCSelu)
    .NumInputs(3)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32, DType::kFloat64})
    .Arg("axis", 1, kAxisDoc)
    .Arg("axis_w", 1, kAxisWDoc)
    .Arg("alpha", static_cast<float>(kSeluDefaultAlpha), kAlphaDoc)
    .Arg("scale", static_cast<float>(kSeluDefaultScale), kScaleDoc)
    .TensorInference(InferFC)
    .Input(0, "X", "Input, viewed as [M, K].")
    .Input(1, "W", "Weights, viewed as [N, K]; same dtype as X.")
    .Input(2, "b", "Bias [N]; same dtype as X.")
    .Output(0, "Y", "selu(X W^T + b), dims X.dims[0:axis] + [N].")
    .SetDoc(
        "FC then Selu in one pass over Y, bit for bit equal to the two operators; made by "
        "the FuseFCSelu pass. No gradient: build backward passes from the unfused net.");

REGISTER_CPU_OPERATOR(FCSelu, FCSeluOp);
SHOULD_NOT_DO_GRADIENT(FCSelu);

REGISTER_GRAPH_PASS(FuseFCSelu)
    .Description("FC whose output only a Selu reads -> one FCSelu")
    .Order(110)
    .Function(FuseFCSelu);

}  // namespace opgraph
