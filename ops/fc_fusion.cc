// FC with an activation applied to each block of Y while it is in cache:
// FCSelu, FCRelu, FCSigmoid and FCTanh, and the graph passes that make them
// from FC followed by the activation (FuseFCSelu for Selu, FuseFCActivation
// for Relu, Sigmoid and Tanh).
//
// A fused operator runs the same GEMM calls as FC on the same row blocks
// (ops/fc_forward.h) and then the same kernel as the activation's operator on
// each block, split over threads at the same cost, so its result is bit for
// bit that of FC then the activation.
//
// A pass replaces FC #i (X, W, b -> H) and activation #j (H -> Y) by one
// fused operator (X, W, b -> Y) at the activation's position, with FC's axis
// and axis_w, the activation's arguments (Selu's alpha and scale), the name
// "<fc name>+<activation name>" when either has one, and the activation's
// device option and engine, when all of these hold:
//   - #j is the first operator after #i that reads or writes H;
//   - the value #i writes to H is read by #j only: when the activation runs
//     in place (Y == H), readers after #j read its output, which the fused
//     operator writes; otherwise no other operator reads H at all, and H is
//     not an external output or in ctx.protected_blobs;
//   - no operator between #i and #j writes X, W or b, and Y is none of them;
//   - the activation's arguments are valid (its Init() accepts them).
// The fused operators have no gradient: fuse inference nets, and build a
// training net's backward pass from the unfused net (a training net fused
// afterwards stays correct, since its gradient operators read only X, W, b
// and Y).
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

constexpr int64_t kElementsPerCacheLine = 16;

// The activations FC fuses with. Each applies the same kernel, with the same
// per-element cost for ParallelFor, as its own operator (ops/<name>_op.cc),
// so the fused operator splits its blocks as the activation would and gives
// the same bits.
struct SeluEpilogue {
  static constexpr double kNsPerElement = 0.15;  // ops/selu_op.cc
  double alpha = kSeluDefaultAlpha;
  double scale = kSeluDefaultScale;
  absl::Status Init(const OperatorBase& op) { return ReadSeluArgs(op, &alpha, &scale); }
  template <typename T>
  void Apply(T* y, int64_t n) const {
    kernels::Selu(y, y, n, static_cast<T>(alpha), static_cast<T>(scale));
  }
};
struct ReluEpilogue {
  static constexpr double kNsPerElement = 0.1;  // ops/relu_op.cc
  absl::Status Init(const OperatorBase&) { return absl::OkStatus(); }
  template <typename T>
  void Apply(T* y, int64_t n) const {
    kernels::Relu(y, y, n);
  }
};
struct SigmoidEpilogue {
  static constexpr double kNsPerElement = 0.15;  // ops/sigmoid_op.cc
  absl::Status Init(const OperatorBase&) { return absl::OkStatus(); }
  template <typename T>
  void Apply(T* y, int64_t n) const {
    kernels::Sigmoid(y, y, n);
  }
};
struct TanhEpilogue {
  static constexpr double kNsPerElement = 0.15;  // ops/tanh_op.cc
  absl::Status Init(const OperatorBase&) { return absl::OkStatus(); }
  template <typename T>
  void Apply(T* y, int64_t n) const {
    kernels::Tanh(y, y, n);
  }
};

template <typename Epilogue>
class FCActivationOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Init() override { return epilogue_.Init(*this); }

  absl::Status Prepare(const PrepareContext& ctx) override { return fc_.Prepare(def(), ctx); }

  absl::Status RunOnDevice() override {
    return DispatchFloat(fc_.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const int threads = NumThreads();
      fc_.Run<T>(Input(FcForward::kInputX).template data<T>(),
                 Input(FcForward::kInputW).template data<T>(),
                 Input(FcForward::kInputB).template data<T>(),
                 Output(0)->template mutable_data<T>(), threads, [&](T* y, int64_t count) {
                   ParallelFor(
                       threads, count, Epilogue::kNsPerElement * (sizeof(T) / 4),
                       [&](int64_t begin, int64_t end) {
                         epilogue_.template Apply<T>(y + begin, end - begin);
                       },
                       kElementsPerCacheLine);
                 });
    });
  }

 private:
  FcForward fc_;
  Epilogue epilogue_;
};

constexpr char kFC[] = "FC";

// Activation operator type -> the fused operator's type.
using FusedTypes = std::map<std::string, std::string, std::less<>>;

bool Legal(const NetDef& net, int i, int j, const std::set<std::string>& keep) {
  const OperatorDef& fc = net.op(i);
  const OperatorDef& act = net.op(j);
  const std::string& h = fc.output(0);
  const std::string& y = act.output(0);
  if (y != h && (CountReads(net, h) != 1 || keep.count(h) > 0)) return false;
  for (const std::string& in : fc.input()) {
    if (in == y || WrittenBetween(net, i, j, in)) return false;
  }
  return OpRegistry::Global().CreateOperator(act).ok();
}

// Fuses every legal FC + activation pair whose activation `fused` lists.
absl::StatusOr<NetDef> FuseFCActivations(const char* pass_name, const FusedTypes& fused_types,
                                         const NetDef& net, const PassContext& ctx,
                                         std::vector<Rewrite>* rewrites) {
  // The pass needs no shapes, but a net it cannot type is reported, as by
  // the other passes, rather than rewritten.
  absl::StatusOr<std::vector<std::vector<TensorType>>> types =
      InputTypesPerOp(net, ctx.input_types, ctx.constants);
  if (!types.ok()) return types.status();
  const std::set<std::string> keep = KeptBlobs(net, ctx);
  std::map<int, int> fc_of;  // fused activation index -> its FC index
  std::set<int> fused_fcs;
  for (int j = 0; j < net.op_size(); ++j) {
    const OperatorDef& act = net.op(j);
    if (fused_types.count(act.type()) == 0 || act.input_size() != 1 || act.output_size() != 1) {
      continue;
    }
    const int i = LastAccessBefore(net, j, act.input(0));
    if (i < 0 || fused_fcs.count(i) > 0) continue;
    const OperatorDef& fc = net.op(i);
    if (fc.type() != kFC || fc.output_size() != 1 || fc.output(0) != act.input(0)) continue;
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
    const OperatorDef& act = net.op(j);
    const std::string& fused_type = fused_types.find(act.type())->second;
    OperatorDef* fused = out.add_op();
    fused->set_type(fused_type);
    if (!fc.name().empty() || !act.name().empty()) {
      fused->set_name(absl::StrCat(fc.name(), "+", act.name()));
    }
    for (const std::string& in : fc.input()) fused->add_input(in);
    fused->add_output(act.output(0));
    for (const Argument& a : fc.arg()) *fused->add_arg() = a;
    for (const Argument& a : act.arg()) *fused->add_arg() = a;
    if (act.has_device_option()) *fused->mutable_device_option() = act.device_option();
    if (act.has_engine()) fused->set_engine(act.engine());
    if (rewrites != nullptr) {
      const int k = out.op_size() - 1;
      rewrites->push_back(Rewrite{pass_name,
                                  {pair->second, j},
                                  k,
                                  absl::StrCat("fused FC #", pair->second, " + ", act.type(), " #",
                                               j, " into ", fused_type, " #", k)});
    }
  }
  return out;
}

absl::StatusOr<NetDef> FuseFCSelu(const NetDef& net, const PassContext& ctx,
                                  std::vector<Rewrite>* rewrites) {
  static const auto* fused = new FusedTypes{{"Selu", "FCSelu"}};
  return FuseFCActivations("FuseFCSelu", *fused, net, ctx, rewrites);
}

absl::StatusOr<NetDef> FuseFCActivation(const NetDef& net, const PassContext& ctx,
                                        std::vector<Rewrite>* rewrites) {
  static const auto* fused =
      new FusedTypes{{"Relu", "FCRelu"}, {"Sigmoid", "FCSigmoid"}, {"Tanh", "FCTanh"}};
  return FuseFCActivations("FuseFCActivation", *fused, net, ctx, rewrites);
}

constexpr char kAxisDoc[] = "As FC's: X is flattened to a matrix at this axis.";
constexpr char kAxisWDoc[] = "As FC's: W is flattened to a matrix at this axis.";
constexpr char kAlphaDoc[] = "As Selu's: coefficient of the negative part, >= 0.";
constexpr char kScaleDoc[] = "As Selu's: overall scale, greater than 1.";

// The schema shared by the fused operators: FC's inputs, arguments and
// inference, and the activation's arguments (added by the caller).
void FCActivationSchema(OpSchema& schema, const char* activation) {
  schema.NumInputs(3)
      .NumOutputs(1)
      .AllowedTypes({DType::kFloat32, DType::kFloat64})
      .Arg("axis", 1, kAxisDoc)
      .Arg("axis_w", 1, kAxisWDoc)
      .TensorInference(InferFC)
      .Input(0, "X", "Input, viewed as [M, K].")
      .Input(1, "W", "Weights, viewed as [N, K]; same dtype as X.")
      .Input(2, "b", "Bias [N]; same dtype as X.")
      .Output(0, "Y", absl::StrCat(activation, "(X W^T + b), dims X.dims[0:axis] + [N]."))
      .SetDoc(absl::StrCat("FC then ", activation,
                           " in one pass over Y, bit for bit equal to the two operators; made "
                           "by the ",
                           std::string(activation) == "Selu" ? "FuseFCSelu" : "FuseFCActivation",
                           " pass. No gradient: build backward passes from the unfused net."));
}

}  // namespace

OPERATOR_SCHEMA(FCSelu)
    .Apply([](OpSchema& s) { FCActivationSchema(s, "Selu"); })
    .Arg("alpha", static_cast<float>(kSeluDefaultAlpha), kAlphaDoc)
    .Arg("scale", static_cast<float>(kSeluDefaultScale), kScaleDoc);
OPERATOR_SCHEMA(FCRelu).Apply([](OpSchema& s) { FCActivationSchema(s, "Relu"); });
OPERATOR_SCHEMA(FCSigmoid).Apply([](OpSchema& s) { FCActivationSchema(s, "Sigmoid"); });
OPERATOR_SCHEMA(FCTanh).Apply([](OpSchema& s) { FCActivationSchema(s, "Tanh"); });

REGISTER_CPU_OPERATOR(FCSelu, FCActivationOp<SeluEpilogue>);
REGISTER_CPU_OPERATOR(FCRelu, FCActivationOp<ReluEpilogue>);
REGISTER_CPU_OPERATOR(FCSigmoid, FCActivationOp<SigmoidEpilogue>);
REGISTER_CPU_OPERATOR(FCTanh, FCActivationOp<TanhEpilogue>);
SHOULD_NOT_DO_GRADIENT(FCSelu);
SHOULD_NOT_DO_GRADIENT(FCRelu);
SHOULD_NOT_DO_GRADIENT(FCSigmoid);
SHOULD_NOT_DO_GRADIENT(FCTanh);

REGISTER_GRAPH_PASS(FuseFCSelu)
    .Description("FC whose output only a Selu reads -> one FCSelu")
    .Order(110)
    .Function(FuseFCSelu);
REGISTER_GRAPH_PASS(FuseFCActivation)
    .Description("FC whose output only a Relu, Sigmoid or Tanh reads -> FCRelu, FCSigmoid, FCTanh")
    .Order(111)
    .Function(FuseFCActivation);

}  // namespace opgraph
