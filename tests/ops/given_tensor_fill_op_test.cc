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
using testing::IntsArg;
using testing::MakeOp;
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
  // Missing required arguments, named.
  absl::Status s = CreateStatus(MakeOp("GivenTensorFill", {}, {"Y"}, {FloatsArg("values", {1})}));
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
  // Inputs are not taken.
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", *Tensor::Zeros(DType::kFloat32, {1})).ok());
  NetDef net;
  net.set_name("fill_with_input");
  *net.add_op() =
      MakeOp("GivenTensorFill", {"X"}, {"Y"}, {IntsArg("shape", {1}), FloatsArg("values", {1})});
  EXPECT_EQ(ws.CreateNet(net).status().code(), absl::StatusCode::kInvalidArgument);
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
