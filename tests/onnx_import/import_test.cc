// ImportOnnxModel: models built in memory with Debian's onnx_proto classes,
// imported and run, against long double references computed here from the
// ONNX operator definitions (Gemm: alpha * A' B' + beta * C; Selu: gamma *
// (x > 0 ? x : alpha * (exp(x) - 1)); Softmax: exp(x - max) / sum); and the
// refusals, whose messages must name the node.
#include "onnx_import/import.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/onnx_import/onnx_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using testing::FloatAttr;
using ::testing::HasSubstr;
using testing::IntAttr;
using testing::IsOk;
using testing::MakeTensor;
using testing::OnnxModelBuilder;
using testing::Rng;
using testing::RunImported;
using testing::StatusIs;
using testing::ToVector;

using Matrix = std::vector<std::vector<long double>>;

std::vector<float> RandomValues(size_t n, Rng& rng, double lo = -1, double hi = 1) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.Uniform(lo, hi));
  return v;
}

// Y = alpha * A B' + beta * C (B given as [N, K], C as [N]).
Matrix GemmRef(const std::vector<float>& a, int64_t m, int64_t k, const std::vector<float>& b,
               int64_t n, const std::vector<float>& c, long double alpha = 1,
               long double beta = 1) {
  Matrix y(m, std::vector<long double>(n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      long double s = 0;
      for (int64_t l = 0; l < k; ++l) s += static_cast<long double>(a[i * k + l]) * b[j * k + l];
      y[i][j] = alpha * s + beta * (c.empty() ? 0 : c[j]);
    }
  }
  return y;
}

void SeluRef(Matrix& y) {
  const long double alpha = 1.6732632423543772848170429916717L;
  const long double scale = 1.0507009873554804934193349852946L;
  for (auto& row : y) {
    for (long double& v : row) v = scale * (v > 0 ? v : alpha * (std::exp(v) - 1));
  }
}

void SoftmaxRef(Matrix& y) {
  for (auto& row : y) {
    long double mx = row[0], sum = 0;
    for (long double v : row) mx = std::max(mx, v);
    for (long double& v : row) sum += (v = std::exp(v - mx));
    for (long double& v : row) v /= sum;
  }
}

std::vector<float> Flatten(const Matrix& m) {
  std::vector<float> out;
  for (const auto& row : m) {
    for (long double v : row) out.push_back(static_cast<float>(v));
  }
  return out;
}

void ExpectNear(const Tensor& t, const std::vector<float>& want, float rel) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  const float* got = t.data<float>();
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0f, std::fabs(want[i]))) << "at " << i;
  }
}

// Linear-SELU-Linear-Softmax as torch.onnx.export writes it: Gemm with
// transB = 1 and initializer weights.
OnnxModelBuilder Mlp(int64_t opset, bool raw) {
  Rng rng(7);
  OnnxModelBuilder b(opset);
  b.Input("x", {-1, 4}).Output("y", {-1, 3});
  b.FloatInit("w1", {5, 4}, RandomValues(20, rng), raw);
  b.FloatInit("b1", {5}, RandomValues(5, rng), raw);
  b.FloatInit("w2", {3, 5}, RandomValues(15, rng), raw);
  b.FloatInit("b2", {3}, RandomValues(3, rng), raw);
  IntAttr(b.Node("Gemm", {"x", "w1", "b1"}, {"h1"}, "fc1"), "transB", 1);
  b.Node("Selu", {"h1"}, {"s1"}, "selu");
  IntAttr(b.Node("Gemm", {"s1", "w2", "b2"}, {"h2"}, "fc2"), "transB", 1);
  IntAttr(b.Node("Softmax", {"h2"}, {"y"}, "softmax"), "axis", opset >= 13 ? -1 : 1);
  return b;
}

std::vector<float> Values(const onnx::TensorProto& t) {
  if (t.float_data_size() > 0) return {t.float_data().begin(), t.float_data().end()};
  std::vector<float> v(t.raw_data().size() / sizeof(float));
  std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  return v;
}

TEST(OnnxImportTest, MlpMatchesReferenceAtBothSoftmaxOpsets) {
  for (int64_t opset : {11, 13, 17}) {
    for (bool raw : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "opset " << opset << (raw ? " raw" : " typed"));
      OnnxModelBuilder b = Mlp(opset, raw);
      absl::StatusOr<ImportedModel> m = b.Import();
      ASSERT_THAT(m, IsOk());
      EXPECT_EQ(m->opset, opset);
      EXPECT_THAT(m->predict_net.external_input(), ElementsAre("x", "w1", "b1", "w2", "b2"));
      EXPECT_THAT(m->predict_net.external_output(), ElementsAre("y"));
      ASSERT_EQ(m->inputs.size(), 1u);
      EXPECT_EQ(m->inputs[0].dtype, DType::kFloat32);
      EXPECT_THAT(m->inputs[0].dims, ElementsAre(-1, 4));
      std::vector<std::string> types;
      for (const OperatorDef& op : m->predict_net.op()) types.push_back(op.type());
      EXPECT_THAT(types, ElementsAre("FC", "Selu", "FC", "Softmax"));
      // Weights are used as they are: no copy, no transposition.
      ASSERT_EQ(m->init_net.op_size(), 4);
      EXPECT_EQ(m->init_net.op(0).type(), "GivenTensorFill");

      Rng rng(11);
      const std::vector<float> x = RandomValues(2 * 4, rng, -2, 2);
      const auto& g = b.model().graph();
      Matrix y = GemmRef(x, 2, 4, Values(g.initializer(0)), 5, Values(g.initializer(1)));
      SeluRef(y);
      std::vector<float> h = Flatten(y);
      y = GemmRef(h, 2, 5, Values(g.initializer(2)), 3, Values(g.initializer(3)));
      SoftmaxRef(y);
      auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 4}, x)}});
      ASSERT_THAT(out, IsOk());
      EXPECT_THAT(out->at("y").dims(), ElementsAre(2, 3));
      ExpectNear(out->at("y"), Flatten(y), 1e-5f);
    }
  }
}

TEST(OnnxImportTest, GemmFoldsAlphaBetaAndTransposeIntoConstants) {
  // transB = 0, alpha = 2, beta = 0.5, C of shape [1, N].
  Rng rng(3);
  const std::vector<float> bt = RandomValues(4 * 3, rng);  // B as [K=4, N=3]
  const std::vector<float> c = RandomValues(3, rng);
  OnnxModelBuilder b(13);
  b.Input("a", {2, 4}).Output("y");
  b.FloatInit("B", {4, 3}, bt);
  b.FloatInit("C", {1, 3}, c);
  onnx::NodeProto* n = b.Node("Gemm", {"a", "B", "C"}, {"y"}, "gemm");
  FloatAttr(n, "alpha", 2.0f);
  FloatAttr(n, "beta", 0.5f);
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->predict_net.op_size(), 1);
  EXPECT_EQ(m->predict_net.op(0).type(), "FC");
  // The original B and C are not read, so the init net does not fill them.
  for (const OperatorDef& op : m->init_net.op()) {
    EXPECT_NE(op.output(0), "B");
    EXPECT_NE(op.output(0), "C");
  }
  std::vector<float> b_nk(12);
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 3; ++j) b_nk[j * 4 + k] = bt[k * 3 + j];
  }
  const std::vector<float> a = RandomValues(8, rng);
  auto out = RunImported(*m, {{"a", MakeTensor<float>({2, 4}, a)}});
  ASSERT_THAT(out, IsOk());
  ExpectNear(out->at("y"), Flatten(GemmRef(a, 2, 4, b_nk, 3, c, 2, 0.5L)), 1e-6f);
}

TEST(OnnxImportTest, GemmWithoutCGetsAZeroBias) {
  OnnxModelBuilder b(11);
  b.Input("a", {1, 2}).Output("y");
  b.FloatInit("B", {2, 2}, {1, 2, 3, 4});  // [K, N]
  b.Node("Gemm", {"a", "B"}, {"y"}, "gemm");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  auto out = RunImported(*m, {{"a", MakeTensor<float>({1, 2}, {1, 1})}});
  ASSERT_THAT(out, IsOk());
  // [1, 1] x [[1, 2], [3, 4]] = [4, 6].
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(4, 6));
}

// Gemm nodes FC cannot take map to the Gemm operator (golden values by
// hand, exact in float32).
TEST(OnnxImportTest, GemmOutsideFcMapsToTheGemmOperator) {
  {
    // B is a graph input with transB = 0: y = a B.
    OnnxModelBuilder b(13);
    b.Input("a", {2, 2}).Input("B", {2, 2}).Output("y");
    b.Node("Gemm", {"a", "B"}, {"y"}, "g0");
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->predict_net.op_size(), 1);
    EXPECT_EQ(m->predict_net.op(0).type(), "Gemm");
    auto out = RunImported(*m, {{"a", MakeTensor<float>({2, 2}, {1, 2, 3, 4})},
                                {"B", MakeTensor<float>({2, 2}, {5, 6, 7, 8})}});
    ASSERT_THAT(out, IsOk());
    EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(19, 22, 43, 50));
  }
  {
    // transA = 1: y = a^T B.
    OnnxModelBuilder b(13);
    b.Input("a", {2, 2}).Output("y");
    b.FloatInit("B", {2, 2}, {1, 2, 3, 4});
    IntAttr(b.Node("Gemm", {"a", "B"}, {"y"}, "g1"), "transA", 1);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).type(), "Gemm");
    auto out = RunImported(*m, {{"a", MakeTensor<float>({2, 2}, {1, 2, 3, 4})}});
    ASSERT_THAT(out, IsOk());
    EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(10, 14, 14, 20));
  }
  {
    // C that varies along rows, transB = 1: y = a B^T + C.
    OnnxModelBuilder b(13);
    b.Input("a", {2, 2}).Output("y");
    b.FloatInit("B", {2, 2}, {1, 2, 3, 4});
    b.FloatInit("C", {2, 2}, {1, 2, 3, 4});
    IntAttr(b.Node("Gemm", {"a", "B", "C"}, {"y"}, "g2"), "transB", 1);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).type(), "Gemm");
    auto out = RunImported(*m, {{"a", MakeTensor<float>({2, 2}, {1, 1, 0, 1})}});
    ASSERT_THAT(out, IsOk());
    EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(4, 9, 5, 8));
  }
}

// Add, Sub, Mul, Div with numpy broadcasting, and MatMul of a vector by a
// batch of matrices (golden values by hand, exact in float32).
TEST(OnnxImportTest, BinaryNodesAndMatMul) {
  OnnxModelBuilder b(14);
  b.Input("x", {2, 2}).Input("v", {2}).Output("y").Output("z").Output("w");
  b.Node("Add", {"x", "v"}, {"s"}, "add");
  b.Node("Mul", {"s", "v"}, {"y"}, "mul");
  b.Node("MatMul", {"v", "x"}, {"z"}, "mm");
  b.Node("MatMul", {"v", "v"}, {"w"}, "dot");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 2}, {1, 2, 3, 4})},
                              {"v", MakeTensor<float>({2}, {10, 20})}});
  ASSERT_THAT(out, IsOk());
  // (x + v) * v = [[11, 22], [13, 24]] * [10, 20].
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(110, 440, 130, 480));
  // [10, 20] x [[1, 2], [3, 4]] = [70, 100], shape [2].
  EXPECT_EQ(out->at("z").dims(), std::vector<int64_t>{2});
  EXPECT_THAT(ToVector<float>(out->at("z")), ElementsAre(70, 100));
  // The dot product is 0-D, as numpy's.
  EXPECT_TRUE(out->at("w").dims().empty());
  EXPECT_THAT(ToVector<float>(out->at("w")), ElementsAre(500));
}

// Opset 11 Softmax is Caffe2's: [2, 2, 3] at axis 1 is two rows of six.
TEST(OnnxImportTest, Opset11SoftmaxFlattensFromAxis) {
  OnnxModelBuilder b(11);
  b.Input("x", {2, 2, 3}).Output("y");
  b.Node("Softmax", {"x"}, {"y"}, "sm");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  Rng rng(5);
  const std::vector<float> x = RandomValues(12, rng, -3, 3);
  Matrix rows(2, std::vector<long double>(6));
  for (int i = 0; i < 12; ++i) rows[i / 6][i % 6] = x[i];
  SoftmaxRef(rows);
  auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 2, 3}, x)}});
  ASSERT_THAT(out, IsOk());
  ExpectNear(out->at("y"), Flatten(rows), 1e-6f);
}

// Opset 13 Softmax normalizes along one axis: the last axis maps to
// Softmax(axis=-1), another one to SoftmaxAlongAxis, never to Caffe2's
// flattened Softmax at that axis.
TEST(OnnxImportTest, Opset13SoftmaxAlongOneAxis) {
  Rng rng(6);
  const std::vector<float> x = RandomValues(12, rng, -3, 3);
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2, 2, 3}).Output("y");
    IntAttr(b.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", 2);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).type(), "Softmax");
    Matrix rows(4, std::vector<long double>(3));
    for (int i = 0; i < 12; ++i) rows[i / 3][i % 3] = x[i];
    SoftmaxRef(rows);
    auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 2, 3}, x)}});
    ASSERT_THAT(out, IsOk());
    ExpectNear(out->at("y"), Flatten(rows), 1e-6f);
  }
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2, 2, 3}).Output("y");
    IntAttr(b.Node("Softmax", {"x"}, {"y"}, "sm"), "axis", 1);
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_THAT(m, IsOk());
    EXPECT_EQ(m->predict_net.op(0).type(), "SoftmaxAlongAxis");
    // Rows along axis 1: x[i, :, k] for each (i, k).
    Matrix rows(6, std::vector<long double>(2));
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        for (int k = 0; k < 3; ++k) rows[i * 3 + k][j] = x[(i * 2 + j) * 3 + k];
      }
    }
    SoftmaxRef(rows);
    std::vector<float> want(12);
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        for (int k = 0; k < 3; ++k) want[(i * 2 + j) * 3 + k] = rows[i * 3 + k][j];
      }
    }
    auto out = RunImported(*m, {{"x", MakeTensor<float>({2, 2, 3}, x)}});
    ASSERT_THAT(out, IsOk());
    ExpectNear(out->at("y"), want, 1e-6f);
  }
}

TEST(OnnxImportTest, SeluAttributesBecomeArguments) {
  OnnxModelBuilder b(13);
  b.Input("x", {3}).Output("y");
  onnx::NodeProto* n = b.Node("Selu", {"x"}, {"y"}, "s");
  FloatAttr(n, "alpha", 2.0f);
  FloatAttr(n, "gamma", 3.0f);
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  auto out = RunImported(*m, {{"x", MakeTensor<float>({3}, {-1, 0, 2})}});
  ASSERT_THAT(out, IsOk());
  const std::vector<float> want = {static_cast<float>(3 * 2 * (std::exp(-1.0L) - 1)), 0, 6};
  ExpectNear(out->at("y"), want, 1e-6f);

  OnnxModelBuilder bad(13);
  bad.Input("x", {3}).Output("y");
  FloatAttr(bad.Node("Selu", {"x"}, {"y"}, "s"), "gamma", 0.5f);
  EXPECT_THAT(bad.Import(), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("gamma = 0.5")));
}

TEST(OnnxImportTest, ReluAndSigmoidMapToTheirOperators) {
  OnnxModelBuilder b(14);
  b.Input("x", {4}).Output("y").Output("z");
  b.Node("Relu", {"x"}, {"y"}, "r");
  b.Node("Sigmoid", {"x"}, {"z"}, "s");
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->predict_net.op_size(), 2);
  EXPECT_EQ(m->predict_net.op(0).type(), "Relu");
  EXPECT_EQ(m->predict_net.op(1).type(), "Sigmoid");
  const std::vector<float> x = {-1.5f, 0, 2, -0.25f};
  auto out = RunImported(*m, {{"x", MakeTensor<float>({4}, x)}});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(0, 0, 2, 0));
  std::vector<float> want;
  for (float v : x) want.push_back(static_cast<float>(1 / (1 + std::exp(-(long double)v))));
  ExpectNear(out->at("z"), want, 1e-6f);
}

TEST(OnnxImportTest, IdentityDropoutAndConstant) {
  OnnxModelBuilder b(13);
  b.Input("x", {2}).Output("y").Output("k");
  b.Node("Identity", {"x"}, {"i"}, "id");
  b.Node("Dropout", {"i"}, {"y"}, "drop");
  onnx::NodeProto* c = b.Node("Constant", {}, {"k"}, "const");
  onnx::AttributeProto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  OnnxModelBuilder::FillFloat(a->mutable_t(), "", {2}, {5, 6}, false);
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->init_net.op_size(), 1);
  EXPECT_EQ(m->init_net.op(0).output(0), "k");
  auto out = RunImported(*m, {{"x", MakeTensor<float>({2}, {1, 2})}});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(1, 2));
  EXPECT_THAT(ToVector<float>(out->at("k")), ElementsAre(5, 6));
}

TEST(OnnxImportTest, DropoutOldMaskAndTrainingModeAreRefused) {
  {
    // Before opset 10 the mask has the input's type (Caffe2's is bool).
    OnnxModelBuilder b(9);
    b.Input("x", {2}).Output("y");
    b.Node("Dropout", {"x"}, {"y", "mask"}, "drop");
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     AllOf(HasSubstr("'drop'"), HasSubstr("mask output 'mask'"))));
  }
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Input("train", {}, onnx::TensorProto::BOOL).Output("y");
    b.Node("Dropout", {"x", "", "train"}, {"y"}, "drop");
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("must be a constant false")));
  }
  {
    // Opset 10: ratio is an attribute.
    OnnxModelBuilder b(10);
    b.Input("x", {2}).Output("y");
    FloatAttr(b.Node("Dropout", {"x"}, {"y"}, "drop"), "ratio", 0.25f);
    EXPECT_THAT(b.Import(), IsOk());
  }
}

TEST(OnnxImportTest, UnsupportedNodeOpsetDomainAndAttributeAreNamed) {
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    b.Node("Selu", {"x"}, {"s"}, "ok");
    b.Node("Cos", {"s"}, {"y"}, "cos1");
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kUnimplemented,
                         AllOf(HasSubstr("node #1 'cos1' (op_type Cos, domain '', opset 13)"),
                               HasSubstr("operator Cos is not supported"))));
  }
  for (int64_t opset : {6, 18}) {
    OnnxModelBuilder b(opset);
    b.Input("x", {2}).Output("y");
    b.Node("Identity", {"x"}, {"y"});
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kUnimplemented,
                         HasSubstr(absl::StrCat("opset ", opset, " is not supported (7 to 17"))));
  }
  {
    OnnxModelBuilder b(13);
    onnx::OperatorSetIdProto* o = b.model().add_opset_import();
    o->set_domain("com.example");
    o->set_version(1);
    b.Input("x", {2}).Output("y");
    b.Node("Identity", {"x"}, {"y"}, "mine")->set_domain("com.example");
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     HasSubstr("'mine' (op_type Identity, domain 'com.example'")));
  }
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    IntAttr(b.Node("Selu", {"x"}, {"y"}, "s"), "mystery", 1);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     AllOf(HasSubstr("'s' (op_type Selu"),
                                           HasSubstr("attribute 'mystery' is not supported"))));
  }
  {
    // An attribute of the wrong type.
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    IntAttr(b.Node("Selu", {"x"}, {"y"}, "s"), "alpha", 1);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("attribute 'alpha' has type INT, expected FLOAT")));
  }
}

TEST(OnnxImportTest, MalformedGraphsAreRefused) {
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    b.Node("Identity", {"nowhere"}, {"y"}, "id");
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     AllOf(HasSubstr("'id'"), HasSubstr("input 'nowhere'"))));
  }
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("y");
    b.Node("Identity", {"x"}, {"x"}, "again");
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("output 'x' is already defined")));
  }
  {
    OnnxModelBuilder b(13);
    b.Input("x", {2}).Output("missing");
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("graph output 'missing'")));
  }
  {
    OnnxModelBuilder b(13);
    b.Output("y");
    onnx::ValueInfoProto* seq = b.model().mutable_graph()->add_input();
    seq->set_name("s");
    seq->mutable_type()
        ->mutable_sequence_type()
        ->mutable_elem_type()
        ->mutable_tensor_type()
        ->set_elem_type(onnx::TensorProto::FLOAT);
    b.Node("Identity", {"s"}, {"y"}, "id");
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     HasSubstr("graph input 's' is not a tensor")));
  }
  EXPECT_THAT(ImportOnnxModel("not a model"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an ONNX model")));
  onnx::ModelProto no_graph;
  no_graph.set_ir_version(8);
  EXPECT_THAT(ImportOnnxModel(no_graph.SerializeAsString()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("graph is missing")));
}

TEST(OnnxImportTest, LooksLikeOnnxModelReadsTheTopLevelFields) {
  OnnxModelBuilder b = Mlp(13, true);
  EXPECT_TRUE(LooksLikeOnnxModel(b.Bytes()));
  // A Caffe2 NetDef, binary: field 1 is its name, a string.
  NetDef net;
  net.set_name("net");
  *net.add_op() = testing::MakeOp("Selu", {"x"}, {"y"});
  net.add_external_input("x");
  EXPECT_FALSE(LooksLikeOnnxModel(net.SerializeAsString()));
  EXPECT_FALSE(LooksLikeOnnxModel("name: \"net\"\nop { type: \"Selu\" }\n"));
  EXPECT_FALSE(LooksLikeOnnxModel(""));
  // Truncated in the middle of the graph.
  const std::string bytes = b.Bytes();
  EXPECT_FALSE(LooksLikeOnnxModel(bytes.substr(0, bytes.size() - 3)));
  onnx::ModelProto no_graph;
  no_graph.set_ir_version(8);
  EXPECT_FALSE(LooksLikeOnnxModel(no_graph.SerializeAsString()));
}

TEST(OnnxImportTest, NodeCountAndModelSizeLimits) {
  OnnxModelBuilder b = Mlp(13, true);
  OnnxImportOptions o;
  o.max_nodes = 3;
  EXPECT_THAT(ImportOnnxModel(b.Bytes(), o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_nodes")));
  o = OnnxImportOptions();
  o.max_model_bytes = 10;
  EXPECT_THAT(ImportOnnxModel(b.Bytes(), o),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_model_bytes")));
}

}  // namespace
}  // namespace opgraph
