// ONNX TensorProto initializers through ImportOnnxModel: each supported data
// type from raw_data and from its typed field, and the size, type and
// location checks. Golden values are the literals written into the protos.
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx_import/import.h"
#include "tests/onnx_import/onnx_test_util.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::OnnxModelBuilder;
using testing::RunImported;
using testing::StatusIs;
using testing::ToVector;

template <typename T>
std::string Raw(const std::vector<T>& v) {
  std::string s(v.size() * sizeof(T), '\0');
  if (!v.empty()) std::memcpy(s.data(), v.data(), s.size());
  return s;
}

// A model whose output "y" is Identity of the initializer "c".
OnnxModelBuilder Passthrough(onnx::TensorProto** init) {
  OnnxModelBuilder b(13);
  b.Output("y");
  *init = b.Init("c");
  b.Node("Identity", {"c"}, {"y"}, "id");
  return b;
}

absl::StatusOr<Tensor> RunPassthrough(const OnnxModelBuilder& b) {
  absl::StatusOr<ImportedModel> m = b.Import();
  if (!m.ok()) return m.status();
  auto out = RunImported(*m, {});
  if (!out.ok()) return out.status();
  return std::move(out->at("y"));
}

TEST(OnnxImportTensorTest, EveryTypeFromRawAndTypedFields) {
  for (bool raw : {true, false}) {
    SCOPED_TRACE(raw ? "raw_data" : "typed field");
    {
      onnx::TensorProto* t;
      OnnxModelBuilder b = Passthrough(&t);
      t->set_data_type(onnx::TensorProto::DOUBLE);
      t->add_dims(2);
      const std::vector<double> v = {0.5, -2.25};
      if (raw) {
        t->set_raw_data(Raw(v));
      } else {
        for (double d : v) t->add_double_data(d);
      }
      absl::StatusOr<Tensor> y = RunPassthrough(b);
      ASSERT_THAT(y, IsOk());
      EXPECT_EQ(y->dtype(), DType::kFloat64);
      EXPECT_THAT(ToVector<double>(*y), ElementsAre(0.5, -2.25));
    }
    {
      onnx::TensorProto* t;
      OnnxModelBuilder b = Passthrough(&t);
      t->set_data_type(onnx::TensorProto::INT64);
      t->add_dims(1);
      t->add_dims(2);
      const std::vector<int64_t> v = {int64_t{1} << 40, -3};
      if (raw) {
        t->set_raw_data(Raw(v));
      } else {
        for (int64_t d : v) t->add_int64_data(d);
      }
      absl::StatusOr<Tensor> y = RunPassthrough(b);
      ASSERT_THAT(y, IsOk());
      EXPECT_THAT(y->dims(), ElementsAre(1, 2));
      EXPECT_THAT(ToVector<int64_t>(*y), ElementsAre(int64_t{1} << 40, -3));
    }
    {
      onnx::TensorProto* t;
      OnnxModelBuilder b = Passthrough(&t);
      t->set_data_type(onnx::TensorProto::INT32);
      t->add_dims(3);
      const std::vector<int32_t> v = {7, -8, 2147483647};
      if (raw) {
        t->set_raw_data(Raw(v));
      } else {
        for (int32_t d : v) t->add_int32_data(d);
      }
      absl::StatusOr<Tensor> y = RunPassthrough(b);
      ASSERT_THAT(y, IsOk());
      EXPECT_THAT(ToVector<int32_t>(*y), ElementsAre(7, -8, 2147483647));
    }
    {
      onnx::TensorProto* t;
      OnnxModelBuilder b = Passthrough(&t);
      t->set_data_type(onnx::TensorProto::BOOL);
      t->add_dims(3);
      if (raw) {
        t->set_raw_data(std::string("\1\0\1", 3));
      } else {
        for (int32_t d : {1, 0, 1}) t->add_int32_data(d);
      }
      absl::StatusOr<Tensor> y = RunPassthrough(b);
      ASSERT_THAT(y, IsOk());
      EXPECT_THAT(ToVector<bool>(*y), ElementsAre(true, false, true));
    }
  }
}

TEST(OnnxImportTensorTest, CountsMustMatchTheDims) {
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    OnnxModelBuilder::FillFloat(t, "c", {2, 3}, {1, 2, 3, 4, 5}, /*raw=*/true);
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("tensor 'c'"), HasSubstr("raw_data holds 20 bytes"),
                               HasSubstr("[2, 3]"), HasSubstr("need 24"))));
  }
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    OnnxModelBuilder::FillFloat(t, "c", {2}, {1, 2, 3}, /*raw=*/false);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("float_data holds 3 values but dims [2] need 2")));
  }
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    OnnxModelBuilder::FillFloat(t, "c", {-1}, {}, /*raw=*/false);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tensor 'c'")));
  }
  {
    // Dims whose product is absurd are refused before anything is allocated.
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    OnnxModelBuilder::FillFloat(t, "c", {int64_t{1} << 40, int64_t{1} << 20}, {}, true);
    EXPECT_THAT(b.Import(),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("tensor 'c'")));
  }
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    t->set_data_type(onnx::TensorProto::BOOL);
    t->add_dims(1);
    t->add_int32_data(2);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("value 2 at 0 is not a bool")));
  }
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    t->set_data_type(onnx::TensorProto::UINT8);
    t->add_dims(1);
    t->add_int32_data(300);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("value 300 at 0 of int32_data does not fit uint8")));
  }
}

TEST(OnnxImportTensorTest, UnsupportedTypesAndLocationsAreNamed) {
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    t->set_data_type(onnx::TensorProto::FLOAT16);
    t->add_dims(1);
    t->add_int32_data(0);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented,
                                     AllOf(HasSubstr("tensor 'c'"), HasSubstr("FLOAT16"))));
  }
  {
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    OnnxModelBuilder::FillFloat(t, "c", {1}, {1}, true);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    EXPECT_THAT(b.Import(), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("external data")));
  }
  {
    // A uint8 constant goes into the init net as one byte string.
    onnx::TensorProto* t;
    OnnxModelBuilder b = Passthrough(&t);
    t->set_data_type(onnx::TensorProto::UINT8);
    t->add_dims(2);
    t->set_raw_data(std::string("\1\2", 2));
    absl::StatusOr<ImportedModel> m = b.Import();
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_EQ(m->init_net.op_size(), 1);
    EXPECT_EQ(m->init_net.op(0).type(), "GivenTensorByteStringToUInt8Fill");
    EXPECT_EQ(m->init_net.op(0).arg(1).strings(0), std::string("\1\2", 2));
  }
}

// Before IR version 4 initializers are listed among the graph inputs too;
// they stay constants and are not inputs to feed.
TEST(OnnxImportTensorTest, InitializerListedAsInputIsAConstant) {
  onnx::TensorProto* t;
  OnnxModelBuilder b = Passthrough(&t);
  OnnxModelBuilder::FillFloat(t, "c", {2}, {3, 4}, false);
  b.model().set_ir_version(3);
  b.Input("c", {2});
  absl::StatusOr<ImportedModel> m = b.Import();
  ASSERT_THAT(m, IsOk());
  EXPECT_TRUE(m->inputs.empty());
  EXPECT_THAT(m->predict_net.external_input(), ElementsAre("c"));
  auto out = RunImported(*m, {});
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(ToVector<float>(out->at("y")), ElementsAre(3, 4));
}

}  // namespace
}  // namespace opgraph
