// A well-formed test plugin. PluginAffine (Y = a * X + b) is registered with
// the same macros as a built-in operator, with its gradient; PluginNegate is
// registered through the explicit OpRegistrar API in the entry point; the
// graph pass FusePluginNegatePair (PluginNegate twice -> Copy) with
// REGISTER_GRAPH_PASS.
#include <cmath>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/graph_util.h"
#include "core/plugin.h"

namespace opgraph_test {
namespace {

using opgraph::OperatorBase;
using opgraph::OperatorDef;
using opgraph::Tensor;

// Reads a and b for PluginAffine and PluginAffineGradient.
absl::Status ReadAffineArgs(const OperatorBase& op, float* a, float* b) {
  *a = op.Arg<float>("a");
  *b = op.Arg<float>("b");
  if (!std::isfinite(*a) || !std::isfinite(*b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("arguments 'a' and 'b' must be finite, got ", *a, " and ", *b));
  }
  return absl::OkStatus();
}

class PluginAffineOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override { return ReadAffineArgs(*this, &a_, &b_); }
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    Tensor* y = Output(0);
    absl::Status s = y->ResizeLike(x);
    if (!s.ok()) return s;
    const float* in = x.data<float>();
    float* out = y->mutable_data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = a_ * in[i] + b_;
    return absl::OkStatus();
  }

 private:
  float a_ = 0, b_ = 0;
};

class PluginAffineGradientOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status Init() override { return ReadAffineArgs(*this, &a_, &b_); }
  absl::Status RunOnDevice() override {
    const Tensor& dy = Input(0);
    Tensor* dx = Output(0);
    absl::Status s = dx->ResizeLike(dy);
    if (!s.ok()) return s;
    const float* g = dy.data<float>();
    float* out = dx->mutable_data<float>();
    for (int64_t i = 0; i < dy.numel(); ++i) out[i] = a_ * g[i];
    return absl::OkStatus();
  }

 private:
  float a_ = 0, b_ = 0;
};

class GetPluginAffineGradient final : public opgraph::GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    return SingleGradientDef("PluginAffineGradient", "", {GO(0)}, {GI(0)});
  }
};

class PluginNegateOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    Tensor* y = Output(0);
    absl::Status s = y->ResizeLike(x);
    if (!s.ok()) return s;
    for (int64_t i = 0; i < x.numel(); ++i) y->mutable_data<float>()[i] = -x.data<float>()[i];
    return absl::OkStatus();
  }
};

absl::Status RegisterNegate(opgraph::OpRegistrar& registrar) {
  auto schema = std::make_unique<opgraph::OpSchema>("PluginNegate", __FILE__, __LINE__);
  schema->NumInputs(1)
      .NumOutputs(1)
      .AllowedTypes({opgraph::DType::kFloat32})
      .IdenticalTypeAndShape()
      .SetDoc("Y = -X.");
  absl::Status s = registrar.AddSchema(std::move(schema));
  if (!s.ok()) return s;
  s = registrar.AddKernel("PluginNegate", [](const OperatorDef& def, const opgraph::OpSchema& sc) {
    return std::unique_ptr<OperatorBase>(new PluginNegateOp(def, sc));
  });
  if (!s.ok()) return s;
  return registrar.AddGradient("PluginNegate", opgraph::GradientKind::kNoGradient, nullptr);
}

// Replaces PluginNegate #i: X -> H followed by PluginNegate #j: H -> Y, where
// #j is the next operator touching H and the only reader of H, H is not
// kept, and nothing between writes X, by Copy X -> Y at #j. -(-x) == x
// exactly, so the result is the same bit for bit.
absl::StatusOr<opgraph::NetDef> FuseNegatePair(const opgraph::NetDef& net,
                                               const opgraph::PassContext& ctx,
                                               std::vector<opgraph::Rewrite>* rewrites) {
  const std::set<std::string> keep = opgraph::KeptBlobs(net, ctx);
  std::set<int> dropped;
  opgraph::NetDef out = net;
  out.clear_op();
  std::vector<int> first_of(net.op_size(), -1);
  for (int j = 0; j < net.op_size(); ++j) {
    const OperatorDef& second = net.op(j);
    if (second.type() != "PluginNegate") continue;
    const std::string& h = second.input(0);
    const int i = opgraph::LastAccessBefore(net, j, h);
    if (i < 0 || dropped.count(i) > 0 || first_of[i] >= 0) continue;
    const OperatorDef& first = net.op(i);
    if (first.type() != "PluginNegate" || first.output(0) != h) continue;
    const std::string& x = first.input(0);
    if (x == h || opgraph::CountReads(net, h) != 1 || keep.count(h) > 0) continue;
    if (opgraph::WrittenBetween(net, i, j, x)) continue;
    first_of[j] = i;
    dropped.insert(i);
  }
  for (int j = 0; j < net.op_size(); ++j) {
    if (dropped.count(j) > 0) continue;
    if (first_of[j] < 0) {
      *out.add_op() = net.op(j);
      continue;
    }
    OperatorDef* copy = out.add_op();
    copy->set_type("Copy");
    copy->add_input(net.op(first_of[j]).input(0));
    copy->add_output(net.op(j).output(0));
    if (rewrites != nullptr) {
      const int k = out.op_size() - 1;
      rewrites->push_back(opgraph::Rewrite{
          "FusePluginNegatePair",
          {first_of[j], j},
          k,
          absl::StrCat("PluginNegate #", first_of[j], " + PluginNegate #", j, " -> Copy #", k)});
    }
  }
  return out;
}

}  // namespace

REGISTER_GRAPH_PASS(FusePluginNegatePair)
    .Description("PluginNegate feeding only a PluginNegate -> Copy (test plugin)")
    .Order(150)
    .Function(FuseNegatePair);

OPERATOR_SCHEMA(PluginAffine)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({opgraph::DType::kFloat32})
    .IdenticalTypeAndShape()
    .Arg("a", 2.0f, "Slope.")
    .Arg("b", 0.5f, "Offset.")
    .Input(0, "X", "Input, float32.")
    .Output(0, "Y", "a * X + b.")
    .SetDoc("Y = a * X + b, elementwise (test plugin).");

OPERATOR_SCHEMA(PluginAffineGradient)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowInplace({{0, 0}})
    .AllowedTypes({opgraph::DType::kFloat32})
    .IdenticalTypeAndShape()
    .Arg("a", 2.0f, "Slope.")
    .Arg("b", 0.5f, "Offset (unused).")
    .Input(0, "dY", "Gradient of Y.")
    .Output(0, "dX", "a * dY.");

REGISTER_CPU_OPERATOR(PluginAffine, PluginAffineOp);
REGISTER_CPU_OPERATOR(PluginAffineGradient, PluginAffineGradientOp);
REGISTER_GRADIENT(PluginAffine, GetPluginAffineGradient);
NO_GRADIENT(PluginAffineGradient);

}  // namespace opgraph_test

OPGRAPH_PLUGIN_ENTRY_WITH(opgraph_test::RegisterNegate);
