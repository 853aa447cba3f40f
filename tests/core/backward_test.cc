// AddGradientOperators: the shape of the generated backward pass (chain,
// diamond, in-place, unreachable branches, NO_GRADIENT, errors), and
// end-to-end agreement of the generated gradients with central finite
// differences of the loss in float64.
#include "core/backward.h"

#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

// TestPassThrough: y = x, with no gradient registered at all.
class TestPassThroughOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;
  absl::Status RunOnDevice() override {
    const Tensor& x = Input(0);
    if (x.nbytes() > 0) std::memcpy(Output(0)->raw_mutable_data(), x.raw_data(), x.nbytes());
    return absl::OkStatus();
  }
};

}  // namespace

OPERATOR_SCHEMA(TestPassThrough).IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestPassThrough, TestPassThroughOp);

namespace {

using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;

NetDef MakeNet(const std::vector<OperatorDef>& ops) {
  NetDef net;
  net.set_name("test");
  for (const OperatorDef& op : ops) *net.add_op() = op;
  return net;
}

std::vector<std::string> TypesFrom(const NetDef& net, int first) {
  std::vector<std::string> types;
  for (int i = first; i < net.op_size(); ++i) types.push_back(net.op(i).type());
  return types;
}

const OperatorDef* FindOp(const NetDef& net, const std::string& type, int first) {
  for (int i = first; i < net.op_size(); ++i) {
    if (net.op(i).type() == type) return &net.op(i);
  }
  return nullptr;
}

using Feeds = std::map<std::string, Tensor>;

// Runs forward + generated backward, then moves each element of each blob
// in `wrt` by +-h and re-runs the forward net alone; compares
// (loss(+h) - loss(-h)) / 2h with the generated gradient. Returns the
// largest |analytic - numeric| seen, or -1 on a failure (reported).
double MaxFiniteDifferenceError(const NetDef& forward, const Feeds& feeds, const std::string& loss,
                                const std::vector<std::string>& wrt) {
  NetDef train = forward;
  auto info = AddGradientOperators(&train, {loss});
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return -1;
  Workspace ws;
  for (const auto& [name, t] : feeds) EXPECT_TRUE(ws.FeedBlob(name, t).ok());
  absl::Status s = ws.RunNetOnce(train);
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok()) return -1;

  Workspace fd_ws;
  for (const auto& [name, t] : feeds) EXPECT_TRUE(fd_ws.FeedBlob(name, t).ok());
  auto net = fd_ws.CreateNet(forward);
  EXPECT_TRUE(net.ok()) << net.status();
  if (!net.ok()) return -1;
  constexpr double kStep = 1e-5;
  double worst = 0;
  double largest = 0;
  for (const std::string& blob : wrt) {
    auto it = info->gradient_of.find(blob);
    EXPECT_NE(it, info->gradient_of.end()) << "no gradient for " << blob;
    if (it == info->gradient_of.end()) return -1;
    const Tensor* g = ws.GetBlob(it->second);
    EXPECT_EQ(g->type(), feeds.at(blob).type()) << blob;
    for (int64_t e = 0; e < feeds.at(blob).numel(); ++e) {
      double l[2];
      for (int side = 0; side < 2; ++side) {
        for (const auto& [name, t] : feeds) EXPECT_TRUE(fd_ws.FeedBlob(name, t).ok());
        fd_ws.GetMutableBlob(blob)->mutable_data<double>()[e] += side == 0 ? kStep : -kStep;
        EXPECT_TRUE((*net)->Run().ok());
        l[side] = fd_ws.GetBlob(loss)->data<double>()[0];
      }
      const double numeric = (l[0] - l[1]) / (2 * kStep);
      const double analytic = g->data<double>()[e];
      worst = std::max(worst, std::fabs(numeric - analytic));
      largest = std::max(largest, std::fabs(numeric));
    }
  }
  EXPECT_GT(largest, 1e-3) << "gradients all near zero: the comparison would be vacuous";
  return worst;
}

Tensor RandomDouble(const std::vector<int64_t>& dims, Rng& rng, double lo = -1, double hi = 1) {
  return RandomTensor<double>(dims, rng, lo, hi);
}

// x [5, 3] -> FC(W1 [4, 3], b1) -> h -> Selu -> a -> FC(W2 [3, 4], b2) -> z
//   -> SoftmaxWithLoss(labels) -> P, loss
NetDef TwoLayerNet() {
  return MakeNet({MakeOp("FC", {"x", "W1", "b1"}, {"h"}), MakeOp("Selu", {"h"}, {"a"}),
                  MakeOp("FC", {"a", "W2", "b2"}, {"z"}),
                  MakeOp("SoftmaxWithLoss", {"z", "labels"}, {"P", "loss"})});
}

Feeds TwoLayerFeeds(uint64_t seed) {
  Rng rng(seed);
  Feeds f;
  f["x"] = RandomDouble({5, 3}, rng, -2, 2);
  f["W1"] = RandomDouble({4, 3}, rng);
  f["b1"] = RandomDouble({4}, rng);
  f["W2"] = RandomDouble({3, 4}, rng);
  f["b2"] = RandomDouble({3}, rng);
  f["labels"] = MakeTensor<int32_t>({5}, {0, 2, 1, 1, 0});
  return f;
}

TEST(BackwardTest, SmallChain) {
  NetDef net = TwoLayerNet();
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->num_forward_ops, 4);
  EXPECT_EQ(TypesFrom(net, 4),
            (std::vector<std::string>{"ConstantFill", "SoftmaxWithLossGradient", "FCGradient",
                                      "SeluGradient", "FCGradient"}));
  for (int i = 4; i < net.op_size(); ++i) EXPECT_TRUE(net.op(i).is_gradient_op());
  EXPECT_EQ(net.op(4).input(0), "loss");
  EXPECT_EQ(net.op(4).output(0), "loss_grad");
  const std::map<std::string, std::string> expected = {
      {"loss", "loss_grad"}, {"z", "z_grad"},   {"a", "a_grad"},
      {"h", "h_grad"},       {"x", "x_grad"},   {"W1", "W1_grad"},
      {"b1", "b1_grad"},     {"W2", "W2_grad"}, {"b2", "b2_grad"}};
  EXPECT_EQ(info->gradient_of, expected);  // no labels_grad, no P_grad
}

// The brief's network: FC -> Selu -> FC -> softmax + loss, every parameter
// and the input against central differences (step 1e-5, float64: truncation
// about 1e-10, rounding about 1e-11).
TEST(BackwardTest, EndToEndMatchesFiniteDifferences) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const double err = MaxFiniteDifferenceError(TwoLayerNet(), TwoLayerFeeds(seed), "loss",
                                                {"W1", "b1", "W2", "b2", "x"});
    EXPECT_GE(err, 0);
    EXPECT_LT(err, 1e-8);
  }
}

// x -> Selu -> a, read by two FCs whose outputs are summed: a's gradient is
// the Sum of two autosplit parts.
TEST(BackwardTest, DiamondAccumulatesWithSum) {
  const NetDef forward =
      MakeNet({MakeOp("Selu", {"x"}, {"a"}), MakeOp("FC", {"a", "W1", "c1"}, {"b1"}),
               MakeOp("FC", {"a", "W2", "c2"}, {"b2"}), MakeOp("Sum", {"b1", "b2"}, {"s"}),
               MakeOp("SoftmaxWithLoss", {"s", "labels"}, {"P", "loss"})});
  NetDef net = forward;
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  const OperatorDef* sum = nullptr;
  for (int i = 5; i < net.op_size(); ++i) {
    if (net.op(i).type() == "Sum" && net.op(i).output(0) == "a_grad") sum = &net.op(i);
  }
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(std::vector<std::string>(sum->input().begin(), sum->input().end()),
            (std::vector<std::string>{"a_grad_autosplit_0", "a_grad_autosplit_1"}));
  EXPECT_EQ(info->gradient_of.at("a"), "a_grad");
  // The SeluGradient reads the summed gradient.
  const OperatorDef* selu = FindOp(net, "SeluGradient", 5);
  ASSERT_NE(selu, nullptr);
  EXPECT_EQ(selu->input(1), "a_grad");

  Rng rng(11);
  Feeds f;
  f["x"] = RandomDouble({4, 3}, rng, -2, 2);
  f["W1"] = RandomDouble({3, 3}, rng);
  f["c1"] = RandomDouble({3}, rng);
  f["W2"] = RandomDouble({3, 3}, rng);
  f["c2"] = RandomDouble({3}, rng);
  f["labels"] = MakeTensor<int32_t>({4}, {0, 1, 2, 0});
  const double err = MaxFiniteDifferenceError(forward, f, "loss", {"x", "W1", "W2", "c2"});
  EXPECT_GE(err, 0);
  EXPECT_LT(err, 1e-8);
}

// One operator reading a blob twice (s = a + a): its maker returns the total.
TEST(BackwardTest, BlobReadTwiceByOneOperator) {
  const NetDef forward =
      MakeNet({MakeOp("FC", {"x", "W", "b"}, {"a"}), MakeOp("Sum", {"a", "a"}, {"s"}),
               MakeOp("SoftmaxWithLoss", {"s", "labels"}, {"P", "loss"})});
  Rng rng(12);
  Feeds f;
  f["x"] = RandomDouble({3, 2}, rng);
  f["W"] = RandomDouble({3, 2}, rng);
  f["b"] = RandomDouble({3}, rng);
  f["labels"] = MakeTensor<int32_t>({3}, {2, 1, 0});
  const double err = MaxFiniteDifferenceError(forward, f, "loss", {"W", "b", "x"});
  EXPECT_GE(err, 0);
  EXPECT_LT(err, 1e-8);
}

// h = FC(x); h = Selu(h) in place: the gradient of the second value of h
// becomes, through SeluGradient (in place on the gradient), that of the first.
TEST(BackwardTest, InPlaceSelu) {
  const NetDef forward =
      MakeNet({MakeOp("FC", {"x", "W1", "b1"}, {"h"}), MakeOp("Selu", {"h"}, {"h"}),
               MakeOp("FC", {"h", "W2", "b2"}, {"z"}),
               MakeOp("SoftmaxWithLoss", {"z", "labels"}, {"P", "loss"})});
  NetDef net = forward;
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  const OperatorDef* selu = FindOp(net, "SeluGradient", 4);
  ASSERT_NE(selu, nullptr);
  EXPECT_EQ(selu->input(0), "h");
  EXPECT_EQ(selu->input(1), "h_grad");
  EXPECT_EQ(selu->output(0), "h_grad");
  const double err =
      MaxFiniteDifferenceError(forward, TwoLayerFeeds(5), "loss", {"W1", "b1", "W2", "x"});
  EXPECT_GE(err, 0);
  EXPECT_LT(err, 1e-8);
}

// Both values of h receive gradients: the first from Copy and from the
// in-place Selu (summed), the second from the final Sum. They must not mix.
TEST(BackwardTest, GradientsOfDifferentValuesStayApart) {
  const NetDef forward =
      MakeNet({MakeOp("FC", {"x", "W", "b"}, {"h"}), MakeOp("Copy", {"h"}, {"c"}),
               MakeOp("Selu", {"h"}, {"h"}), MakeOp("Sum", {"h", "c"}, {"s"}),
               MakeOp("SoftmaxWithLoss", {"s", "labels"}, {"P", "loss"})});
  NetDef net = forward;
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  Rng rng(13);
  Feeds f;
  f["x"] = RandomDouble({4, 3}, rng, -2, 2);
  f["W"] = RandomDouble({3, 3}, rng);
  f["b"] = RandomDouble({3}, rng);
  f["labels"] = MakeTensor<int32_t>({4}, {0, 1, 2, 2});
  const double err = MaxFiniteDifferenceError(forward, f, "loss", {"W", "b", "x"});
  EXPECT_GE(err, 0);
  EXPECT_LT(err, 1e-8);
}

// Selu run twice in place on h: the first SeluGradient would need the first
// Selu's output, which the second overwrote. That must be an error, not a
// wrong gradient.
TEST(BackwardTest, OverwrittenValueNeededByAGradientIsAnError) {
  NetDef net = MakeNet({MakeOp("FC", {"x", "W", "b"}, {"h"}), MakeOp("Selu", {"h"}, {"h"}),
                        MakeOp("Selu", {"h"}, {"h"}),
                        MakeOp("SoftmaxWithLoss", {"h", "labels"}, {"P", "loss"})});
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(info.status().message().find("operator #1 Selu"), std::string::npos) << info.status();
  EXPECT_NE(info.status().message().find("operator #2 Selu"), std::string::npos) << info.status();
  EXPECT_NE(info.status().message().find("'h'"), std::string::npos) << info.status();
  EXPECT_EQ(net.op_size(), 4);  // unchanged on error
}

// A branch with no path to the loss is skipped, even through an operator
// that has no gradient registered.
TEST(BackwardTest, UnreachableBranchIsSkipped) {
  NetDef net =
      MakeNet({MakeOp("Selu", {"x"}, {"side"}), MakeOp("TestPassThrough", {"side"}, {"side2"}),
               MakeOp("FC", {"x", "W", "b"}, {"z"}),
               MakeOp("SoftmaxWithLoss", {"z", "labels"}, {"P", "loss"}),
               MakeOp("Accuracy", {"P", "labels"}, {"acc"})});
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(TypesFrom(net, 5),
            (std::vector<std::string>{"ConstantFill", "SoftmaxWithLossGradient", "FCGradient"}));
  EXPECT_EQ(info->gradient_of.count("side"), 0u);
  EXPECT_EQ(info->gradient_of.count("acc"), 0u);
  EXPECT_EQ(info->gradient_of.at("x"), "x_grad");
}

// ConstantFill is NO_GRADIENT: the gradient stops there and x gets none.
TEST(BackwardTest, StopsAtNoGradient) {
  NetDef net = MakeNet({MakeOp("ConstantFill", {"x"}, {"c"}), MakeOp("FC", {"c", "W", "b"}, {"z"}),
                        MakeOp("SoftmaxWithLoss", {"z", "labels"}, {"P", "loss"})});
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->gradient_of.count("c"), 1u);
  EXPECT_EQ(info->gradient_of.count("x"), 0u);
  EXPECT_EQ(info->gradient_of.at("W"), "W_grad");
}

TEST(BackwardTest, OperatorWithoutGradientOnThePathIsNamed) {
  NetDef net =
      MakeNet({MakeOp("FC", {"x", "W", "b"}, {"z"}), MakeOp("TestPassThrough", {"z"}, {"z2"}, {}),
               MakeOp("SoftmaxWithLoss", {"z2", "labels"}, {"P", "loss"})});
  net.mutable_op(1)->set_name("the_culprit");
  auto info = AddGradientOperators(&net, {"loss"});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(info.status().message().find("operator #1 TestPassThrough 'the_culprit'"),
            std::string::npos)
      << info.status();
  EXPECT_EQ(net.op_size(), 3);

  NetDef forbidden = MakeNet({MakeOp("WeightedSum", {"x", "w"}, {"y"}),
                              MakeOp("SoftmaxWithLoss", {"y", "labels"}, {"P", "loss"})});
  auto f = AddGradientOperators(&forbidden, {"loss"});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(f.status().message().find("operator #0 WeightedSum"), std::string::npos) << f.status();
}

TEST(BackwardTest, RejectsBadLosses) {
  NetDef net = TwoLayerNet();
  EXPECT_EQ(AddGradientOperators(&net, {}).status().code(), absl::StatusCode::kInvalidArgument);
  auto unwritten = AddGradientOperators(&net, {"x"});
  EXPECT_EQ(unwritten.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unwritten.status().message().find("'x' is not written"), std::string::npos);
  EXPECT_EQ(AddGradientOperators(&net, {"loss", "loss"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(net.op_size(), 4);
}

// Two losses: each is seeded, and the blobs both depend on sum both parts.
TEST(BackwardTest, TwoLossesAddUp) {
  const NetDef forward = MakeNet({MakeOp("FC", {"x", "W", "b"}, {"z"}),
                                  MakeOp("SoftmaxWithLoss", {"z", "l1"}, {"P1", "loss1"}),
                                  MakeOp("SoftmaxWithLoss", {"z", "l2"}, {"P2", "loss2"}),
                                  MakeOp("Sum", {"loss1", "loss2"}, {"total"})});
  NetDef both = forward;
  auto info = AddGradientOperators(&both, {"loss1", "loss2"});
  ASSERT_TRUE(info.ok()) << info.status();
  // The same gradient as that of total = loss1 + loss2.
  Rng rng(14);
  Feeds f;
  f["x"] = RandomDouble({3, 2}, rng);
  f["W"] = RandomDouble({3, 2}, rng);
  f["b"] = RandomDouble({3}, rng);
  f["l1"] = MakeTensor<int32_t>({3}, {0, 1, 2});
  f["l2"] = MakeTensor<int32_t>({3}, {2, 2, 1});
  Workspace ws;
  for (const auto& [name, t] : f) ASSERT_TRUE(ws.FeedBlob(name, t).ok());
  ASSERT_TRUE(ws.RunNetOnce(both).ok());
  const Tensor w_grad = *ws.FetchBlob(info->gradient_of.at("W"));
  const double err = MaxFiniteDifferenceError(forward, f, "total", {"W"});
  EXPECT_GE(err, 0);
  EXPECT_LT(err, 1e-8);
  NetDef total = forward;
  auto total_info = AddGradientOperators(&total, {"total"});
  ASSERT_TRUE(total_info.ok());
  Workspace ws2;
  for (const auto& [name, t] : f) ASSERT_TRUE(ws2.FeedBlob(name, t).ok());
  ASSERT_TRUE(ws2.RunNetOnce(total).ok());
  const Tensor w_grad_total = *ws2.FetchBlob(total_info->gradient_of.at("W"));
  for (int64_t e = 0; e < w_grad.numel(); ++e) {
    EXPECT_NEAR(w_grad.data<double>()[e], w_grad_total.data<double>()[e], 1e-14);
  }
}

}  // namespace
}  // namespace opgraph
