// String tensors (DType::kString): the element objects are made, copied,
// moved and destroyed correctly through every Tensor path (Resize, Clone,
// moves, retyping by a net), numeric code refuses them with an error naming
// the operator, input and dtype, and TensorProto files carry them in
// string_data. Expected values are the strings put in.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/dispatch.h"
#include "core/tensor.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::ElementsAre;
using testing::FloatsArg;
using ::testing::HasSubstr;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::StatusIs;
using testing::ToVector;

Argument StringsArg(const std::string& name, const std::vector<std::string>& v) {
  Argument a;
  a.set_name(name);
  for (const std::string& x : v) a.add_strings(x);
  return a;
}

// Longer than any small-string buffer, so a shallow byte copy of a
// std::string would share (and free twice) its heap buffer.
const std::string kLong(100, 'x');

TEST(StringTensorTest, ResizeConstructsKeepsAndDestroysElements) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kString, {2}).ok());
  EXPECT_EQ(t.dtype(), DType::kString);
  EXPECT_EQ(std::string(DTypeName(t.dtype())), "string");
  EXPECT_EQ(t.data<std::string>()[0], "");
  t.mutable_data<std::string>()[0] = kLong;
  t.mutable_data<std::string>()[1] = "b";
  // Growing keeps the elements there were and adds empty ones.
  ASSERT_TRUE(t.Resize(DType::kString, {2, 2}).ok());
  EXPECT_THAT(ToVector<std::string>(t), ElementsAre(kLong, "b", "", ""));
  EXPECT_EQ(t.string_bytes(), kLong.size() + 1);
  // Shrinking destroys the rest.
  ASSERT_TRUE(t.Resize(DType::kString, {1}).ok());
  EXPECT_THAT(ToVector<std::string>(t), ElementsAre(kLong));
  // A numeric type frees the strings and uses byte storage.
  ASSERT_TRUE(t.Resize(DType::kFloat32, {3}).ok());
  EXPECT_EQ(t.string_bytes(), 0u);
  t.mutable_data<float>()[2] = 1.5f;
  EXPECT_EQ(t.data<float>()[2], 1.5f);
  // And back.
  ASSERT_TRUE(t.Resize(DType::kString, {3}).ok());
  EXPECT_THAT(ToVector<std::string>(t), ElementsAre("", "", ""));
  auto zeros = Tensor::Zeros(DType::kString, {2});
  ASSERT_TRUE(zeros.ok());
  EXPECT_THAT(ToVector<std::string>(*zeros), ElementsAre("", ""));
}

TEST(StringTensorTest, CloneIsDeepAndMoveTransfers) {
  Tensor t = MakeTensor<std::string>({2}, {kLong, "short"});
  auto c = t.Clone();
  ASSERT_TRUE(c.ok()) << c.status();
  c->mutable_data<std::string>()[0] = "changed";
  EXPECT_THAT(ToVector<std::string>(t), ElementsAre(kLong, "short"));
  Tensor moved(std::move(t));
  EXPECT_THAT(ToVector<std::string>(moved), ElementsAre(kLong, "short"));
  EXPECT_FALSE(t.initialized());  // NOLINT(bugprone-use-after-move): documented state
  Tensor assigned = MakeTensor<float>({1}, {1});
  assigned = std::move(moved);
  EXPECT_EQ(assigned.dtype(), DType::kString);
  EXPECT_THAT(ToVector<std::string>(assigned), ElementsAre(kLong, "short"));
  // The limit counts the strings' bytes.
  TensorLimits small;
  small.max_bytes = 2 * sizeof(std::string) + 10;
  EXPECT_THAT(assigned.Clone(small).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_bytes")));
}

TEST(StringTensorTest, RetypingWithinCapacityHandlesStrings) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {4}).ok());
  ASSERT_TRUE(t.SetTypeWithinCapacity(TensorType{DType::kString, {3}}, 3));
  t.mutable_data<std::string>()[2] = kLong;
  ASSERT_TRUE(t.Reserve(1024).ok());  // must not copy string bytes
  EXPECT_EQ(t.data<std::string>()[2], kLong);
  ASSERT_TRUE(t.SetTypeWithinCapacity(TensorType{DType::kFloat32, {4}}, 4));
  EXPECT_EQ(t.string_bytes(), 0u);
  t.mutable_data<float>()[3] = 2;
  EXPECT_EQ(t.data<float>()[3], 2);
}

TEST(StringTensorTest, NumericDispatchRefusesStrings) {
  absl::Status s = DispatchFloat(DType::kString, [](auto) {});
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dtype string")));
}

TEST(StringTensorTest, NumericOperatorsRefuseAStringInputAtCreation) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("words", MakeTensor<std::string>({2}, {"a", "b"})).ok());
  for (const char* type : {"Relu", "Sigmoid", "Tanh", "Softmax", "Sum"}) {
    SCOPED_TRACE(type);
    NetDef net;
    net.set_name("n");
    *net.add_op() = MakeOp(type, {"words"}, {"y"});
    absl::Status s = ws.CreateNet(net).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr(std::string(type) + " does not take string tensors")));
    EXPECT_THAT(s.message(), HasSubstr("input 0 'words' is string[2]"));
  }
}

// A blob written first as strings, then as floats, then as strings again,
// in one net run twice: the net retypes it between writers within its
// storage, and the strings are made and freed each time.
TEST(StringTensorTest, BlobSharedByStringAndFloatWriters) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("b", MakeTensor<std::string>({1}, {kLong})).ok());
  NetDef net;
  net.set_name("mixed");
  *net.add_op() = MakeOp("GivenTensorStringFill", {}, {"b"},
                         {IntsArg("shape", {2}), StringsArg("values", {kLong, "q"})});
  *net.add_op() = MakeOp("Copy", {"b"}, {"words"});
  *net.add_op() =
      MakeOp("GivenTensorFill", {}, {"b"}, {IntsArg("shape", {3}), FloatsArg("values", {1, 2, 3})});
  *net.add_op() = MakeOp("Relu", {"b"}, {"r"});
  *net.add_op() = MakeOp("GivenTensorStringFill", {}, {"b"},
                         {IntsArg("shape", {1}), StringsArg("values", {"last"})});
  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run);
    absl::Status s = ws.RunNetOnce(net);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_THAT(ToVector<std::string>(*ws.GetBlob("words")), ElementsAre(kLong, "q"));
    EXPECT_THAT(ToVector<float>(*ws.GetBlob("r")), ElementsAre(1, 2, 3));
    EXPECT_THAT(ToVector<std::string>(*ws.GetBlob("b")), ElementsAre("last"));
  }
  // A float op's output overwrites a string blob.
  NetDef overwrite;
  overwrite.set_name("overwrite");
  *overwrite.add_op() =
      MakeOp("GivenTensorFill", {}, {"words"}, {IntsArg("shape", {1}), FloatsArg("values", {7})});
  ASSERT_TRUE(ws.RunNetOnce(overwrite).ok());
  EXPECT_EQ(ws.GetBlob("words")->dtype(), DType::kFloat32);
  EXPECT_THAT(ToVector<float>(*ws.GetBlob("words")), ElementsAre(7));
}

TEST(StringTensorTest, TensorProtoRoundTrip) {
  const std::string odd("\0\xff\n'", 4);
  Tensor t = MakeTensor<std::string>({2, 2}, {"cat", "", odd, kLong});
  TensorProto p = TensorToProto(t, "w");
  EXPECT_EQ(p.data_type(), TensorProto::STRING);
  EXPECT_THAT(p.string_data(), ElementsAre("cat", "", odd, kLong));
  auto back = TensorFromProto(p);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<std::string>(*back), ToVector<std::string>(t));
  // The computed size is the serialized size.
  auto size = TensorProtoByteSize(t, "w");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, static_cast<int64_t>(p.ByteSizeLong()));

  // Through files, binary and text; .npy is refused with the reason.
  const std::string dir = ::testing::TempDir();
  for (const char* file : {"strings.pb", "strings.pbtxt"}) {
    const std::string path = dir + "/" + file;
    ASSERT_TRUE(WriteTensorFile(path, t, "w").ok());
    auto read = ReadTensorsFile(path);
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ((*read)[0].name, "w");
    EXPECT_EQ(ToVector<std::string>((*read)[0].tensor), ToVector<std::string>(t));
  }
  EXPECT_THAT(WriteTensorFile(dir + "/strings.npy", t, "w"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot be written as .npy")));
  EXPECT_THAT(WriteNpy(dir + "/strings2.npy", t),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("string tensor")));
}

TEST(StringTensorTest, TensorProtoChecks) {
  TensorProto p;
  p.set_name("s");
  p.set_data_type(TensorProto::STRING);
  p.add_dims(3);
  p.add_string_data("a");
  EXPECT_THAT(TensorFromProto(p).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("hold 3 elements but string_data carries 1")));
  p.add_string_data("b");
  p.add_string_data(std::string(1000, 'z'));
  EXPECT_TRUE(TensorFromProto(p).ok());
  TensorLimits small;
  small.max_bytes = 3 * sizeof(std::string) + 100;
  EXPECT_THAT(TensorFromProto(p, small).status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("tensor 's'")));
  p.clear_string_data();
  p.add_float_data(1);
  EXPECT_THAT(TensorFromProto(p).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not in float_data")));
  // A BlobProto, as Caffe2 serializes a string blob.
  BlobProto blob;
  blob.set_name("labels");
  blob.set_type("Tensor");
  *blob.mutable_tensor() = TensorToProto(MakeTensor<std::string>({1}, {"x"}), "labels");
  const std::string path = ::testing::TempDir() + "/blob.pb";
  ASSERT_TRUE(WriteStringToFile(path, blob.SerializeAsString()).ok());
  auto read = ReadTensorsFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ((*read)[0].name, "labels");
  EXPECT_THAT(ToVector<std::string>((*read)[0].tensor), ElementsAre("x"));
}

}  // namespace
}  // namespace opgraph
