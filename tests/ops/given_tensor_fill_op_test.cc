// Tests of the GivenTensor*Fill operators (ops/given_tensor_fill_op.cc).
#include <cstdint>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::Contains;
using testing::FloatArg;
using testing::FloatsArg;
using testing::IntArg;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

absl::Status CreateStatus(const OperatorDef& op) {
  Workspace ws;
  NetDef net;
  net.set_name("fill_test");
  *net.add_op() = op;
  return ws.CreateNet(net).status();
}

absl::StatusOr<Tensor> Fill(const std::string& type, const std::vector<Argument>& args) {
  auto out = RunOp(MakeOp(type, {}, {"Y"}, args), {});
  if (!out.ok()) return out.status();
  return std::move((*out)[0]);
}

TEST(GivenTensorFillOpTest, FillsFloat) {
  auto y = Fill("GivenTensorFill",
                {IntsArg("shape", {2, 3}), FloatsArg("values", {1, -2.5f, 0, 3, 1e-3f, -0.0f})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kFloat32);
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ToVector<float>(*y), (std::vector<float>{1, -2.5f, 0, 3, 1e-3f, -0.0f}));
}

TEST(GivenTensorFillOpTest, FillsDoubleFromFloats) {
  // 0.1f widened to double is 0.100000001490116119384765625, not 0.1: the
  // values travel as floats, as in Caffe2.
  auto y = Fill("GivenTensorDoubleFill", {IntsArg("shape", {2}), FloatsArg("values", {0.1f, 2})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kFloat64);
  EXPECT_EQ(ToVector<double>(*y), (std::vector<double>{0.100000001490116119384765625, 2}));
}

TEST(GivenTensorFillOpTest, FillsInt32AtItsLimits) {
  auto y = Fill("GivenTensorIntFill",
                {IntsArg("shape", {3}), IntsArg("values", {INT32_MIN, 0, INT32_MAX})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt32);
  EXPECT_EQ(ToVector<int32_t>(*y), (std::vector<int32_t>{INT32_MIN, 0, INT32_MAX}));
}

TEST(GivenTensorFillOpTest, RejectsValuesOutsideInt32) {
  for (int64_t bad : {int64_t{INT32_MAX} + 1, int64_t{INT32_MIN} - 1, INT64_MAX}) {
    SCOPED_TRACE(bad);
    absl::Status s = CreateStatus(MakeOp("GivenTensorIntFill", {}, {"Y"},
                                         {IntsArg("shape", {2}), IntsArg("values", {0, bad})}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, "'values'[1]")) << s;
    EXPECT_TRUE(Contains(s, std::to_string(bad))) << s;
  }
}

TEST(GivenTensorFillOpTest, FillsInt64) {
  auto y = Fill("GivenTensorInt64Fill",
                {IntsArg("shape", {1, 2}), IntsArg("values", {INT64_MIN, INT64_MAX})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt64);
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ToVector<int64_t>(*y), (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
}

TEST(GivenTensorFillOpTest, FillsBoolAndRejectsOtherInts) {
  auto y = Fill("GivenTensorBoolFill", {IntsArg("shape", {3}), IntsArg("values", {1, 0, 1})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kBool);
  EXPECT_EQ(ToVector<bool>(*y), (std::vector<bool>{true, false, true}));
  absl::Status s = CreateStatus(
      MakeOp("GivenTensorBoolFill", {}, {"Y"}, {IntsArg("shape", {2}), IntsArg("values", {1, 2})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'values'[1]")) << s;
}

TEST(GivenTensorFillOpTest, ScalarAndEmptyShapes) {
  // shape [] is a scalar of one value.
  Argument scalar_shape;
  scalar_shape.set_name("shape");
  auto y = Fill("GivenTensorFill", {scalar_shape, FloatsArg("values", {4.5f})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(y->dims().empty());
  EXPECT_EQ(ToVector<float>(*y), std::vector<float>{4.5f});
  // shape [2, 0] holds no values: an argument with no value is an empty list.
  Argument no_values;
  no_values.set_name("values");
  y = Fill("GivenTensorInt64Fill", {IntsArg("shape", {2, 0}), no_values});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(y->numel(), 0);
}

TEST(GivenTensorFillOpTest, CountMismatchNamesBothNumbers) {
  for (const char* type : {"GivenTensorFill", "GivenTensorDoubleFill"}) {
    SCOPED_TRACE(type);
    absl::Status s = CreateStatus(
        MakeOp(type, {}, {"Y"}, {IntsArg("shape", {2, 3}), FloatsArg("values", {1, 2, 3, 4, 5})}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, "holds 6 elements")) << s;
    EXPECT_TRUE(Contains(s, "'values' has 5")) << s;
  }
  for (const char* type : {"GivenTensorIntFill", "GivenTensorInt64Fill", "GivenTensorBoolFill"}) {
    SCOPED_TRACE(type);
    absl::Status s = CreateStatus(
        MakeOp(type, {}, {"Y"}, {IntsArg("shape", {2}), IntsArg("values", {1, 0, 1})}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, "holds 2 elements")) << s;
    EXPECT_TRUE(Contains(s, "'values' has 3")) << s;
  }
}

TEST(GivenTensorFillOpTest, RejectsBadShapes) {
  absl::Status s = CreateStatus(
      MakeOp("GivenTensorFill", {}, {"Y"}, {IntsArg("shape", {2, -1}), FloatsArg("values", {1})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'shape'")) << s;
  // 2^40 * 2^40 overflows int64 (or at least the byte limit).
  s = CreateStatus(
      MakeOp("GivenTensorFill", {}, {"Y"},
             {IntsArg("shape", {int64_t{1} << 40, int64_t{1} << 40}), FloatsArg("values", {1})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_TRUE(Contains(s, "'shape'")) << s;
}

TEST(GivenTensorFillOpTest, SchemaRejects) {
  // Without shape or input the output is a scalar (as in Caffe2), so two
  // values do not fit; the message names 'shape'.
  absl::Status s =
      CreateStatus(MakeOp("GivenTensorFill", {}, {"Y"}, {FloatsArg("values", {1, 2})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'shape'")) << s;
  s = CreateStatus(MakeOp("GivenTensorIntFill", {}, {"Y"}, {IntsArg("shape", {1})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'values'")) << s;
  // values of the wrong kind.
  s = CreateStatus(
      MakeOp("GivenTensorFill", {}, {"Y"}, {IntsArg("shape", {1}), IntsArg("values", {1})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  s = CreateStatus(
      MakeOp("GivenTensorIntFill", {}, {"Y"}, {IntsArg("shape", {1}), FloatsArg("values", {1})}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  // An undeclared argument.
  s = CreateStatus(MakeOp("GivenTensorFill", {}, {"Y"},
                          {IntsArg("shape", {1}), FloatsArg("values", {1}), FloatArg("value", 1)}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "'value'")) << s;
  // 'shape' and an input together are refused.
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", *Tensor::Zeros(DType::kFloat32, {1})).ok());
  NetDef net;
  net.set_name("fill_with_input");
  *net.add_op() =
      MakeOp("GivenTensorFill", {"X"}, {"Y"}, {IntsArg("shape", {1}), FloatsArg("values", {1})});
  EXPECT_EQ(ws.CreateNet(net).status().code(), absl::StatusCode::kInvalidArgument);
}

Argument StringsArg(const std::string& name, const std::vector<std::string>& v) {
  Argument a;
  a.set_name(name);
  for (const std::string& x : v) a.add_strings(x);
  return a;
}

// Caffe2's GivenTensorFill reads `dtype` and then the values field of that
// type.
TEST(GivenTensorFillOpTest, DtypeOverridesTheElementType) {
  auto y = Fill("GivenTensorFill",
                {IntsArg("shape", {2}), IntArg("dtype", 10), IntsArg("values", {-3, 1LL << 40})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kInt64);
  EXPECT_EQ(ToVector<int64_t>(*y), (std::vector<int64_t>{-3, int64_t{1} << 40}));
  y = Fill("GivenTensorIntFill",
           {IntsArg("shape", {1}), IntArg("dtype", 13), FloatsArg("values", {0.5f})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kFloat64);
  EXPECT_EQ(ToVector<double>(*y), std::vector<double>{0.5});
  // The values field must match the type dtype asks for.
  absl::Status s =
      CreateStatus(MakeOp("GivenTensorFill", {}, {"Y"},
                          {IntsArg("shape", {1}), IntArg("dtype", 2), FloatsArg("values", {1})}));
  EXPECT_TRUE(Contains(s, "'values' must be ints for int32, got floats")) << s;
  s = CreateStatus(
      MakeOp("GivenTensorFill", {}, {"Y"},
             {IntsArg("shape", {1}), IntArg("dtype", 4294967297LL), FloatsArg("values", {1})}));
  EXPECT_TRUE(Contains(s, "not a TensorProto.DataType")) << s;
}

TEST(GivenTensorFillOpTest, ShapeFromAnInput) {
  auto out = RunOp(MakeOp("GivenTensorInt64Fill", {"s"}, {"Y"},
                          {IntArg("input_as_shape", 1), IntsArg("values", {1, 2, 3, 4})}),
                   {testing::MakeTensor<int64_t>({2}, {2, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{2, 2}));
  out = RunOp(MakeOp("GivenTensorFill", {"x"}, {"Y"},
                     {IntsArg("extra_shape", {2}), FloatsArg("values", {1, 2, 3, 4, 5, 6})}),
              {testing::MakeTensor<float>({3}, {0, 0, 0})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>((*out)[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

// mobile_exporter writes a uint8 array as one string of its bytes.
TEST(GivenTensorFillOpTest, ByteStringToUInt8) {
  const std::string bytes("\x00\x7f\x80\xff\x01\x02", 6);
  auto y = Fill("GivenTensorByteStringToUInt8Fill",
                {IntsArg("shape", {2, 3}), StringsArg("values", {bytes})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kUint8);
  EXPECT_EQ(ToVector<uint8_t>(*y), (std::vector<uint8_t>{0, 127, 128, 255, 1, 2}));
  y = Fill("GivenTensorByteStringToUInt8Fill",
           {IntsArg("shape", {2}), IntArg("dtype", 4), StringsArg("values", {"ab"})});
  ASSERT_TRUE(y.ok()) << y.status();
  absl::Status s = CreateStatus(MakeOp("GivenTensorByteStringToUInt8Fill", {}, {"Y"},
                                       {IntsArg("shape", {3}), StringsArg("values", {"ab"})}));
  EXPECT_TRUE(Contains(s, "holds 3 elements but the byte string has 2 bytes")) << s;
  s = CreateStatus(MakeOp("GivenTensorByteStringToUInt8Fill", {}, {"Y"},
                          {IntsArg("shape", {1}), StringsArg("values", {"a", "b"})}));
  EXPECT_TRUE(Contains(s, "exactly one string")) << s;
  s = CreateStatus(
      MakeOp("GivenTensorByteStringToUInt8Fill", {}, {"Y"},
             {IntsArg("shape", {1}), IntArg("dtype", 2), StringsArg("values", {"a"})}));
  EXPECT_TRUE(Contains(s, "only STRING (4)")) << s;
}

// GivenTensorStringFill follows Caffe2's GivenTensorFillOp<std::string>:
// the shape from `shape` (or the input, then extra_shape), the values one
// string per element, `dtype` ignored.
TEST(GivenTensorFillOpTest, StringFill) {
  const std::string odd("a\0\xff", 3);
  auto y = Fill("GivenTensorStringFill",
                {IntsArg("shape", {2, 2}), StringsArg("values", {"cat", "", odd, "dog"})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kString);
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<std::string>(*y), (std::vector<std::string>{"cat", "", odd, "dog"}));
  // `dtype` is ignored, as Caffe2 ignores it for a non-float fill.
  y = Fill("GivenTensorStringFill",
           {IntsArg("shape", {1}), IntArg("dtype", 1), StringsArg("values", {"x"})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->dtype(), DType::kString);
  // An empty tensor takes an empty list (an argument with no value).
  y = Fill("GivenTensorStringFill", {IntsArg("shape", {0, 3}), StringsArg("values", {})});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->numel(), 0);

  absl::Status s = CreateStatus(MakeOp("GivenTensorStringFill", {}, {"Y"},
                                       {IntsArg("shape", {3}), StringsArg("values", {"a"})}));
  EXPECT_TRUE(Contains(s, "holds 3 elements but argument 'values' has 1 strings")) << s;
  s = CreateStatus(MakeOp("GivenTensorStringFill", {}, {"Y"},
                          {IntsArg("shape", {1}), FloatsArg("values", {1})}));
  EXPECT_TRUE(Contains(s, "'values'")) << s;
  // The numeric fills do not make strings.
  s = CreateStatus(MakeOp("GivenTensorFill", {}, {"Y"},
                          {IntsArg("shape", {1}), IntArg("dtype", 4), FloatsArg("values", {1})}));
  EXPECT_TRUE(Contains(s, "only GivenTensorStringFill makes strings")) << s;
}

// With an input, the output takes its shape followed by extra_shape; the
// input may itself be a string tensor (an in-place refill).
TEST(GivenTensorFillOpTest, StringFillShapeFromInput) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("like", MakeTensor<std::string>({2}, {"p", "q"})).ok());
  NetDef net;
  *net.add_op() = MakeOp("GivenTensorStringFill", {"like"}, {"like"},
                         {IntsArg("extra_shape", {2}), StringsArg("values", {"a", "b", "c", "d"})});
  absl::Status s = ws.RunNetOnce(net);
  ASSERT_TRUE(s.ok()) << s;
  const Tensor* y = ws.GetBlob("like");
  EXPECT_EQ(y->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<std::string>(*y), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(GivenTensorFillOpTest, HasNoGradient) {
  for (const char* type : {"GivenTensorFill", "GivenTensorDoubleFill", "GivenTensorIntFill",
                           "GivenTensorInt64Fill", "GivenTensorBoolFill"}) {
    SCOPED_TRACE(type);
    auto meta = GetGradientDefs(MakeOp(type, {}, {"Y"}, {IntsArg("shape", {1})}));
    ASSERT_TRUE(meta.ok()) << meta.status();
    EXPECT_TRUE(meta->ops.empty());
  }
}

}  // namespace
}  // namespace opgraph
