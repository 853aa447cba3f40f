// SoftmaxWithLoss with Caffe2's weights, label_prob, axis and spatial
// arguments (ops/softmax_with_loss_op.cc). Golden values come from numpy in
// float64, written independently of the operator: P = exp(X - lse(X)),
// CE = lse(X) - X[label] (label_prob: sum_c T_c (lse(X) - X_c)),
// loss = scale * sum(w * CE) / sum(w), dX = dloss * scale * w / sum(w) *
// (P - target), with lse(X) = log(sum(exp(X - max))) + max. Gradients are
// also checked against central finite differences (core/gradient_checker.h).
#include <string>
#include <utility>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

Argument StringArg(const std::string& name, const std::string& v) {
  Argument a;
  a.set_name(name);
  a.set_s(v);
  return a;
}

// A vector of move-only tensors.
template <typename... Ts>
std::vector<Tensor> Tensors(Ts... ts) {
  std::vector<Tensor> v;
  (v.push_back(std::move(ts)), ...);
  return v;
}

void ExpectNear(const Tensor& t, const std::vector<double>& expected, double tol) {
  const std::vector<double> got = ToVector<double>(t);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << i;
}

const std::vector<double> kXA = {0.5, -1.0, 2.0, 0.25, 1.5, 0.0, -0.5, 1.0, -2.0, 0.75, 0.1, 3.0};

// X [3, 4], labels [1, 0, 3], weights [0.5, 2, 1], scale 1.5, dloss 0.7.
TEST(SoftmaxWithLossTest, PerSampleWeights) {
  const OperatorDef op =
      MakeOp("SoftmaxWithLoss", {"x", "labels", "w"}, {"p", "loss"}, {FloatArg("scale", 1.5f)});
  auto out = RunOp(op, {MakeTensor<double>({3, 4}, kXA), MakeTensor<int32_t>({3}, {1, 0, 3}),
                        MakeTensor<double>({3}, {0.5, 2, 1})});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[1], {1.3672259171447816}, 1e-14);
  // The gradient op takes the weights between the labels and P, as Caffe2's.
  auto meta = GetGradientDefs(op, {"", "loss_grad"});
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(meta->ops[0].input().begin(), meta->ops[0].input().end()),
            (std::vector<std::string>{"x", "labels", "w", "p", "loss_grad"}));
  auto grad =
      RunOp(meta->ops[0],
            {MakeTensor<double>({3, 4}, kXA), MakeTensor<int32_t>({3}, {1, 0, 3}),
             MakeTensor<double>({3}, {0.5, 2, 1}), (*out)[0], MakeTensor<double>({}, {0.7})});
  ASSERT_TRUE(grad.ok()) << grad.status();
  ExpectNear(
      (*grad)[0],
      {0.023135223792624327, -0.14483783381008192, 0.1036848796112296, 0.018017730406228023,
       -0.2946558830044788, 0.06813148172559151, 0.041323832558222244, 0.1852005687206649,
       0.0017318820225937998, 0.027091192946278073, 0.014142842865022298, -0.04296591783389414},
      1e-14);
  // All weights zero: the loss is 0, as in Caffe2.
  auto zero = RunOp(op, {MakeTensor<double>({3, 4}, kXA), MakeTensor<int32_t>({3}, {1, 0, 3}),
                         MakeTensor<double>({3}, {0, 0, 0})});
  ASSERT_TRUE(zero.ok());
  ExpectNear((*zero)[1], {0}, 0);
}

// X [[1,2,3],[0.5,-0.5,0]], targets [[0.2,0.3,0.5],[1,0,0]].
TEST(SoftmaxWithLossTest, LabelProb) {
  const OperatorDef op =
      MakeOp("SoftmaxWithLoss", {"x", "t"}, {"p", "loss"}, {IntArg("label_prob", 1)});
  const Tensor x = MakeTensor<double>({2, 3}, {1, 2, 3, 0.5, -0.5, 0});
  const Tensor t = MakeTensor<double>({2, 3}, {0.2, 0.3, 0.5, 1, 0, 0});
  auto out = RunOp(op, {x, t});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[1], {0.8939378175430576}, 1e-14);
  auto grad = RunOp(
      MakeOp("SoftmaxWithLossGradient", {"x", "t", "p", "g"}, {"dx"}, {IntArg("label_prob", 1)}),
      {x, t, (*out)[0], MakeTensor<double>({}, {1})});
  ASSERT_TRUE(grad.ok()) << grad.status();
  ExpectNear((*grad)[0],
             {-0.05498471341480979, -0.0276357644726012, 0.08262047788741084, -0.246759804472173,
              0.09316186161292378, 0.1535979428592492},
             1e-14);
  // Rows must be distributions.
  auto bad = RunOp(op, {x, MakeTensor<double>({2, 3}, {0.2, 0.3, 0.4, 1, 0, 0})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("row 0 sums to 0.9"), std::string::npos) << bad.status();
  auto negative = RunOp(op, {x, MakeTensor<double>({2, 3}, {-0.5, 1, 0.5, 1, 0, 0})});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("must be >= 0"), std::string::npos);
}

// Logits [N, C, 1, 1] are rows of C classes (axis 1); P keeps X's shape.
TEST(SoftmaxWithLossTest, RankFourLogits) {
  auto out = RunOp(
      MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}),
      {MakeTensor<double>({2, 3, 1, 1}, {1, 2, 3, 1, 1, 1}), MakeTensor<int32_t>({2}, {2, 0})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 3, 1, 1}));
  ExpectNear((*out)[1], {0.7531091265562451}, 1e-15);  // as the [2, 3] case
}

// axis 2 of [2, 2, 3]: four rows of three classes; labels [2, 2] (rank == axis).
TEST(SoftmaxWithLossTest, Axis) {
  auto out = RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}, {IntArg("axis", 2)}),
                   {MakeTensor<double>({2, 2, 3}, {1, 2, 3, 1, 1, 1, 0, -1, 2, 3, 0.5, 0.5}),
                    MakeTensor<int32_t>({2, 2}, {2, 0, 1, 0})});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[1], {1.2070181642649778}, 1e-14);
  auto bad = RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"}, {IntArg("axis", 2)}),
                   {MakeTensor<double>({2, 2, 3}, std::vector<double>(12, 0)),
                    MakeTensor<int32_t>({3}, {0, 0, 0})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected int32[4]"), std::string::npos) << bad.status();
}

// spatial=1: X [2, 3, 1, 2], labels [2, 1, 2] with one -1 (ignored),
// weights [2, 1, 2], scale 2.
TEST(SoftmaxWithLossTest, Spatial) {
  const std::vector<double> x = {0.1, 0.2, 1.0, -1.0, 0.5, 0.3, 2.0, 0.0, -1.0, 0.5, 0.25, 0.75};
  const OperatorDef op = MakeOp("SoftmaxWithLoss", {"x", "labels", "w"}, {"p", "loss"},
                                {IntArg("spatial", 1), FloatArg("scale", 2)});
  const Tensor labels = MakeTensor<int32_t>({2, 1, 2}, {2, -1, 0, 1});
  const Tensor w = MakeTensor<double>({2, 1, 2}, {2, 5, 1, 0.5});
  auto out = RunOp(op, {MakeTensor<double>({2, 3, 1, 2}, x), labels, w});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear((*out)[1], {1.7896239317150777}, 1e-14);
  ExpectNear((*out)[0],
             {0.20196194685967034, 0.41556453238875224, 0.49674623283135966, 0.12516563183149304,
              0.30129182030897, 0.4592698357797546, 0.8172865842741429, 0.20983182601596484,
              0.040690303047394745, 0.3459541948223698, 0.14202311267846235, 0.44421397916166544},
             1e-15);
  auto grad = RunOp(
      MakeOp("SoftmaxWithLossGradient", {"x", "labels", "w", "p", "g"}, {"dx"},
             {IntArg("spatial", 1), FloatArg("scale", 2)}),
      {MakeTensor<double>({2, 3, 1, 2}, x), labels, w, (*out)[0], MakeTensor<double>({}, {1})});
  ASSERT_TRUE(grad.ok()) << grad.status();
  ExpectNear((*grad)[0],
             {0.23081365355390895, 0.0, 0.5677099803786967, 0.0, -0.7985236339326056, 0.0,
              -0.10440766612906119, 0.05995195029027567, 0.023251601741368425, -0.18687023005075148,
              0.08115606438769277, 0.12691827976047584},
             1e-14);
  auto nhwc = RunOp(MakeOp("SoftmaxWithLoss", {"x", "labels"}, {"p", "loss"},
                           {IntArg("spatial", 1), StringArg("order", "NHWC")}),
                    {MakeTensor<double>({2, 3, 1, 2}, x), labels});
  ASSERT_FALSE(nhwc.ok());
  EXPECT_NE(nhwc.status().message().find("needs order NCHW"), std::string::npos) << nhwc.status();
}

// Finite differences agree with the registered gradient in every mode.
TEST(SoftmaxWithLossTest, FiniteDifferenceGradients) {
  testing::Rng rng(11);
  GradientCheckOptions opt;
  opt.outputs = {1};
  opt.inputs = {0};
  struct Case {
    const char* what;
    OperatorDef op;
    std::vector<Tensor> inputs;
  };
  std::vector<Case> cases;
  cases.push_back(
      {"weights",
       MakeOp("SoftmaxWithLoss", {"x", "l", "w"}, {"p", "loss"}, {FloatArg("scale", 0.5f)}),
       Tensors(testing::RandomTensor<double>({4, 5}, rng, -2, 2),
               MakeTensor<int32_t>({4}, {0, 4, 2, 2}),
               MakeTensor<double>({4}, {0.5, 1.5, 2, 0.25}))});
  cases.push_back({"label_prob",
                   MakeOp("SoftmaxWithLoss", {"x", "t"}, {"p", "loss"}, {IntArg("label_prob", 1)}),
                   Tensors(testing::RandomTensor<double>({2, 3}, rng, -2, 2),
                           MakeTensor<double>({2, 3}, {0.25, 0.25, 0.5, 0, 1, 0}))});
  cases.push_back({"rank 4", MakeOp("SoftmaxWithLoss", {"x", "l"}, {"p", "loss"}),
                   Tensors(testing::RandomTensor<double>({3, 4, 1, 1}, rng, -2, 2),
                           MakeTensor<int32_t>({3}, {3, 0, 1}))});
  cases.push_back({"spatial",
                   MakeOp("SoftmaxWithLoss", {"x", "l", "w"}, {"p", "loss"},
                          {IntArg("spatial", 1), FloatArg("scale", 2)}),
                   Tensors(testing::RandomTensor<double>({2, 3, 2, 2}, rng, -2, 2),
                           MakeTensor<int32_t>({2, 2, 2}, {0, 1, -1, 2, 2, 1, 0, -1}),
                           MakeTensor<double>({2, 2, 2}, {1, 2, 3, 0.5, 1, 1, 2, 4}))});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = CheckGradient(c.op, testing::Refs(c.inputs), opt);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

}  // namespace
}  // namespace opgraph
