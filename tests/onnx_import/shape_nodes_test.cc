// The ONNX shape-node converters (onnx_import/shape_nodes.cc): each maps to
// the opgraph operator and arguments docs/ONNX.md states, and the imported
// model computes what the ONNX definition says (values worked out by hand);
// Reshape's and Concat's extra Caffe2 outputs get fresh names; refusals
// name the node.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/onnx_import/onnx_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using opgraph::testing::IntAttr;
using opgraph::testing::IsOk;
using opgraph::testing::MakeTensor;
using opgraph::testing::OnnxModelBuilder;
using opgraph::testing::RunImported;
using opgraph::testing::StatusIs;
using opgraph::testing::ToVector;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

onnx::TensorProto* Int64Init(OnnxModelBuilder& b, const std::string& name,
                             const std::vector<int64_t>& v) {
  onnx::TensorProto* t = b.Init(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(v.size()));
  for (int64_t x : v) t->add_int64_data(x);
  return t;
}

onnx::AttributeProto* IntsAttr(onnx::NodeProto* n, const std::string& name,
                               const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
  return a;
}

TEST(ShapeNodesTest, FlattenAndTranspose) {
  OnnxModelBuilder b(13);
  b.Input("x", {2, 3}).Output("f").Output("t");
  IntAttr(b.Node("Flatten", {"x"}, {"f"}, "flat"), "axis", 0);
  IntsAttr(b.Node("Transpose", {"x"}, {"t"}, "tr"), "perm", {1, 0});
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->predict_net.op(0).type(), "Flatten");
  EXPECT_EQ(m->predict_net.op(1).type(), "Transpose");
  EXPECT_EQ(m->predict_net.op(1).arg(0).name(), "axes");
  auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->at("f").dims(), (std::vector<int64_t>{1, 6}));
  EXPECT_THAT(ToVector<float>(out->at("t")), ElementsAre(1, 4, 2, 5, 3, 6));
}

TEST(ShapeNodesTest, ReshapeConstantShapeBecomesTheArgumentWithAFreshOldShape) {
  OnnxModelBuilder b(13);
  b.Input("x", {2, 3}).Output("y");
  Int64Init(b, "shape", {0, -1, 1});
  b.Node("Reshape", {"x", "shape"}, {"y"}, "rs");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  const OperatorDef& op = m->predict_net.op(0);
  EXPECT_EQ(op.type(), "Reshape");
  ASSERT_EQ(op.input_size(), 1);
  ASSERT_EQ(op.output_size(), 2);
  EXPECT_THAT(op.output(1), HasSubstr("__onnx"));
  auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->at("y").dims(), (std::vector<int64_t>{2, 3, 1}));
}

TEST(ShapeNodesTest, ReshapeShapeFromAGraphInputAndAllowzero) {
  {
    OnnxModelBuilder b(13);
    b.Input("x", {4}).Input("s", {2}, onnx::TensorProto::INT64).Output("y");
    b.Node("Reshape", {"x", "s"}, {"y"}, "rs");
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).input_size(), 2);
    auto out = RunImported(*m, {{"x", MakeTensor<float>({4}, {1, 2, 3, 4})},
                                {"s", MakeTensor<int64_t>({2}, {2, -1})}});
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(out->at("y").dims(), (std::vector<int64_t>{2, 2}));
  }
  {
    OnnxModelBuilder b(14);
    b.Input("x", {4}).Output("y");
    Int64Init(b, "shape", {2, 0});
    IntAttr(b.Node("Reshape", {"x", "shape"}, {"y"}, "rs"), "allowzero", 1);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     AllOf(HasSubstr("'rs'"), HasSubstr("allowzero"))));
  }
  {
    // allowzero = 1 without a 0 means the same as Caffe2's Reshape.
    OnnxModelBuilder b(14);
    b.Input("x", {4}).Output("y");
    Int64Init(b, "shape", {2, 2});
    IntAttr(b.Node("Reshape", {"x", "shape"}, {"y"}, "rs"), "allowzero", 1);
    EXPECT_THAT(b.Import(), IsOk());
  }
}

TEST(ShapeNodesTest, ConcatAddsSplitInfoAndNeedsAxis) {
  OnnxModelBuilder b(13);
  b.Input("a", {2, 1}).Input("c", {2, 2}).Output("y");
  IntAttr(b.Node("Concat", {"a", "c"}, {"y"}, "cat"), "axis", -1);
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->predict_net.op(0).output_size(), 2);
  auto out = RunImported(*m, {{"a", MakeTensor<float>({2, 1}, {1, 2})},
                              {"c", MakeTensor<float>({2, 2}, {3, 4, 5, 6})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(1, 3, 4, 2, 5, 6));
  OnnxModelBuilder no_axis(13);
  no_axis.Input("a", {2}).Output("y");
  no_axis.Node("Concat", {"a", "a"}, {"y"}, "cat");
  EXPECT_THAT(no_axis.Import(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("axis is required")));
  OnnxModelBuilder old(10);
  old.Input("a", {2}).Output("y");
  IntAttr(old.Node("Concat", {"a", "a"}, {"y"}, "cat"), "axis", -1);
  EXPECT_THAT(old.Import(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("opset 11")));
}

TEST(ShapeNodesTest, CastTranslatesTheOnnxTypeEnum) {
  OnnxModelBuilder b(13);
  b.Input("x", {3})
      .Output("i", {3}, onnx::TensorProto::INT64)
      .Output("d", {3}, onnx::TensorProto::DOUBLE);
  IntAttr(b.Node("Cast", {"x"}, {"i"}, "to_i64"), "to", onnx::TensorProto::INT64);   // 7 in ONNX
  IntAttr(b.Node("Cast", {"x"}, {"d"}, "to_f64"), "to", onnx::TensorProto::DOUBLE);  // 11
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->predict_net.op(0).arg(0).i(), 10);  // caffe2 INT64
  EXPECT_EQ(m->predict_net.op(1).arg(0).i(), 13);  // caffe2 DOUBLE
  auto out = RunImported(*m, {{"x", MakeTensor<float>({3}, {-1.5f, 0.25f, 7.9f})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<int64_t>(out->at("i")), ElementsAre(-1, 0, 7));
  EXPECT_THAT(ToVector<double>(out->at("d")), ElementsAre(-1.5, 0.25, 7.9f));
  OnnxModelBuilder f16(13);
  f16.Input("x", {3}).Output("h");
  IntAttr(f16.Node("Cast", {"x"}, {"h"}, "half"), "to", onnx::TensorProto::FLOAT16);
  EXPECT_THAT(f16.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     AllOf(HasSubstr("'half'"), HasSubstr("to = 10"))));
}

TEST(ShapeNodesTest, LogSoftmaxFollowsTheOpset) {
  // [1, 2, 2]: opset 11 flattens [2, 2] at axis 1; opset 13 normalizes axis 1 alone.
  const std::vector<float> x = {0, 1, 2, 3};
  const auto l2 = [](long double a, long double b) {
    return static_cast<float>(a - std::log(std::exp(a) + std::exp(b)));
  };
  const long double l4 = std::log(1 + std::exp(1.0L) + std::exp(2.0L) + std::exp(3.0L));
  for (int64_t opset : {11, 13}) {
    SCOPED_TRACE(opset);
    OnnxModelBuilder b(opset);
    b.Input("x", {1, 2, 2}).Output("y");
    IntAttr(b.Node("LogSoftmax", {"x"}, {"y"}, "ls"), "axis", 1);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).type(), opset < 13 ? "LogSoftmax" : "LogSoftmaxAlongAxis");
    auto out = RunImported(*m, {{"x", MakeTensor<float>({1, 2, 2}, x)}});
    ASSERT_THAT(out, IsOk());
    const std::vector<float> got = ToVector<float>(out->at("y"));
    std::vector<float> want;
    if (opset < 13) {
      for (float v : x) want.push_back(static_cast<float>(v - l4));
    } else {
      want = {l2(0, 2), l2(1, 3), l2(2, 0), l2(3, 1)};
    }
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
  }
}

TEST(ShapeNodesTest, DropoutMaskIsAllTrue) {
  OnnxModelBuilder b(13);
  b.Input("x", {3}).Output("y").Output("mask", {3}, onnx::TensorProto::BOOL);
  b.Node("Dropout", {"x"}, {"y", "mask"}, "drop");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->predict_net.op(0).type(), "Dropout");
  auto out = RunImported(*m, {{"x", MakeTensor<float>({3}, {1, 2, 3})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(1, 2, 3));
  EXPECT_THAT(ToVector<bool>(out->at("mask")), ElementsAre(true, true, true));
}

}  // namespace
}  // namespace opgraph
