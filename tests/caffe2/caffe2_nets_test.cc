// Nets written the way Caffe2 Python writes them (tests/caffe2/nets/, made by
// tests/caffe2/make_caffe2_nets.py, which names the Caffe2 code path each
// one mimics) run unchanged, text and binary; expected values are numpy's.
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/net_io.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "ops/export_init_net.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::ToVector;

std::string NetsDir() {
  const char* src = std::getenv("OPGRAPH_SOURCE_DIR");
  return std::string(src != nullptr ? src : "..") + "/tests/caffe2/nets/";
}

NetDef Net(const std::string& file) {
  absl::StatusOr<NetDef> n = ReadNetFile(NetsDir() + file);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : NetDef();
}

Tensor Npy(const std::string& stem) {
  absl::StatusOr<Tensor> t = ReadNpy(NetsDir() + stem + ".npy");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : Tensor();
}

void ExpectClose(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.type(), want.type());
  const std::vector<float> g = ToVector<float>(got), w = ToVector<float>(want);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tol) << i;
}

Tensor Fetch(const Workspace& ws, const std::string& name) {
  absl::StatusOr<Tensor> t = ws.FetchBlob(name);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : Tensor();
}

// brew MLP under a ModelHelper arg_scope (order, use_cudnn,
// cudnn_exhaustive_search, ws_nbytes_limit, exhaustive_search on every
// operator; float16_compute on an FC), weights from GivenTensorFill.
TEST(Caffe2NetsTest, MlpWithArgScope) {
  for (const std::string ext : {".pb", ".pbtxt"}) {
    SCOPED_TRACE(ext);
    Workspace ws;
    ASSERT_TRUE(ws.RunNetOnce(Net("mlp_init" + ext)).ok());
    ASSERT_TRUE(ws.FeedBlob("data", Npy("mlp_data")).ok());
    absl::Status s = ws.RunNetOnce(Net("mlp_predict" + ext));
    ASSERT_TRUE(s.ok()) << s;
    ExpectClose(Fetch(ws, "prob"), Npy("mlp_prob"), 1e-6);
  }
}

// Caffe2's net types run, with the same results as a simple net.
TEST(Caffe2NetsTest, NetTypes) {
  for (const std::string type :
       {"prof_dag", "async_polling", "rnn", "parallel", "async_scheduling"}) {
    SCOPED_TRACE(type);
    Workspace ws;
    ASSERT_TRUE(ws.RunNetOnce(Net("mlp_init.pb")).ok());
    ASSERT_TRUE(ws.FeedBlob("data", Npy("mlp_data")).ok());
    absl::Status s = ws.RunNetOnce(Net("mlp_predict_" + type + ".pbtxt"));
    ASSERT_TRUE(s.ok()) << s;
    ExpectClose(Fetch(ws, "prob"), Npy("mlp_prob"), 1e-6);
  }
}

TEST(Caffe2NetsTest, UnknownNetTypeIsRefusedSayingWhatToUse) {
  NetDef n = Net("mlp_predict.pb");
  n.set_type("singlethread_async_v2");
  Workspace ws;
  absl::Status s = ws.CreateNet(n).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;
  EXPECT_NE(s.message().find("prof_dag"), std::string::npos) << s;
  EXPECT_NE(s.message().find("use 'simple'"), std::string::npos) << s;
}

// brew.fc's param_init_net: XavierFill / MSRAFill weights and ConstantFill
// biases, seeded by the net's device_option.random_seed.
TEST(Caffe2NetsTest, XavierAndMSRAInitIsSeededAndScaled) {
  Workspace a, b;
  ASSERT_TRUE(a.RunNetOnce(Net("xavier_msra_init.pb")).ok());
  ASSERT_TRUE(b.RunNetOnce(Net("xavier_msra_init.pbtxt")).ok());
  for (const char* blob : {"fc1_w", "fc1_b", "fc2_w", "fc2_b"}) {
    EXPECT_EQ(ToVector<float>(Fetch(a, blob)), ToVector<float>(Fetch(b, blob))) << blob;
  }
  const Tensor w1 = Fetch(a, "fc1_w");
  EXPECT_EQ(w1.type(), (TensorType{DType::kFloat32, {100, 300}}));
  // Xavier: uniform in [-sqrt(3 / 300), sqrt(3 / 300)) = [-0.1, 0.1).
  double var = 0;
  for (float v : ToVector<float>(w1)) {
    ASSERT_GE(v, -0.1f);
    ASSERT_LT(v, 0.1f);
    var += double{v} * v;
  }
  EXPECT_NEAR(var / w1.numel(), 0.01 / 3, 0.05 * 0.01 / 3);
  // MSRA: normal with std sqrt(2 / fan_out), fan_out = numel / dims[1] = 200.
  const Tensor w2 = Fetch(a, "fc2_w");
  EXPECT_EQ(w2.type(), (TensorType{DType::kFloat32, {200, 100}}));
  var = 0;
  for (float v : ToVector<float>(w2)) var += double{v} * v;
  EXPECT_NEAR(var / w2.numel(), 2.0 / 200, 0.05 * 2.0 / 200);
  EXPECT_EQ(ToVector<float>(Fetch(a, "fc2_b")), std::vector<float>(200, 0.f));
  // Another seed gives other weights.
  NetDef reseeded = Net("xavier_msra_init.pb");
  reseeded.mutable_device_option()->set_random_seed(8);
  Workspace c;
  ASSERT_TRUE(c.RunNetOnce(reseeded).ok());
  EXPECT_NE(ToVector<float>(Fetch(c, "fc1_w")), ToVector<float>(w1));
}

// FC + SoftmaxWithLoss with per-sample weights, its gradient ops and an
// in-place WeightedSum SGD update: one step matches numpy.
TEST(Caffe2NetsTest, TrainingStepWithWeightedLoss) {
  for (const std::string ext : {".pb", ".pbtxt"}) {
    SCOPED_TRACE(ext);
    Workspace ws;
    ASSERT_TRUE(ws.RunNetOnce(Net("train_init" + ext)).ok());
    ASSERT_TRUE(ws.FeedBlob("data", Npy("train_data")).ok());
    ASSERT_TRUE(ws.FeedBlob("label", Npy("train_label")).ok());
    ASSERT_TRUE(ws.FeedBlob("weight", Npy("train_weight")).ok());
    absl::Status s = ws.RunNetOnce(Net("train_step" + ext));
    ASSERT_TRUE(s.ok()) << s;
    ExpectClose(Fetch(ws, "loss"), Npy("train_loss"), 1e-6);
    ExpectClose(Fetch(ws, "fc_w"), Npy("train_fc_w"), 1e-6);
    ExpectClose(Fetch(ws, "fc_b"), Npy("train_fc_b"), 1e-6);
  }
}

// ConstantFill value given as i, a uint8 blob as mobile_exporter writes it,
// partition_info and qtensors in the file.
TEST(Caffe2NetsTest, MiscInitNet) {
  for (const std::string ext : {".pb", ".pbtxt"}) {
    SCOPED_TRACE(ext);
    const NetDef n = Net("misc_init" + ext);
    EXPECT_EQ(n.partition_info_size(), 1);
    ASSERT_EQ(n.arg_size(), 1);
    EXPECT_EQ(n.arg(0).qtensors_size(), 1);
    Workspace ws;
    absl::Status s = ws.RunNetOnce(n);
    ASSERT_TRUE(s.ok()) << s;
    const Tensor iter = Fetch(ws, "iter");
    EXPECT_EQ(iter.type(), (TensorType{DType::kInt64, {1}}));
    EXPECT_EQ(ToVector<int64_t>(iter), std::vector<int64_t>{0});
    EXPECT_EQ(Fetch(ws, "zeros_i").type(), (TensorType{DType::kInt64, {2}}));
    const Tensor u8 = Fetch(ws, "u8");
    EXPECT_EQ(u8.type(), Npy("u8").type());
    EXPECT_EQ(ToVector<uint8_t>(u8), ToVector<uint8_t>(Npy("u8")));
  }
}

// mobile_exporter.Export of a string blob, a uint8 blob and a weight: the
// init net fills them, Copy passes the strings on, and exporting the
// workspace again writes the same fill operators.
TEST(Caffe2NetsTest, MobileExporterStringAndUint8Blobs) {
  auto expected = ReadTensorsFile(NetsDir() + "strings_class_names.pb");
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(expected->size(), 1u);
  const Tensor& names = (*expected)[0].tensor;
  ASSERT_EQ(names.type(), (TensorType{DType::kString, {4}}));
  EXPECT_EQ(ToVector<std::string>(names)[3], std::string("caf\xc3\xa9\0", 6));
  for (const std::string ext : {".pb", ".pbtxt"}) {
    SCOPED_TRACE(ext);
    Workspace ws;
    absl::Status s = ws.RunNetOnce(Net("strings_init" + ext));
    ASSERT_TRUE(s.ok()) << s;
    s = ws.RunNetOnce(Net("strings_predict" + ext));
    ASSERT_TRUE(s.ok()) << s;
    for (const char* blob : {"class_names", "names_out"}) {
      const Tensor got = Fetch(ws, blob);
      ASSERT_EQ(got.type(), names.type()) << blob;
      EXPECT_EQ(ToVector<std::string>(got), ToVector<std::string>(names)) << blob;
    }
    const Tensor lut = Fetch(ws, "lut_out");
    EXPECT_EQ(lut.type(), Npy("strings_lut").type());
    EXPECT_EQ(ToVector<uint8_t>(lut), ToVector<uint8_t>(Npy("strings_lut")));
    EXPECT_EQ(ToVector<float>(Fetch(ws, "shifted")), std::vector<float>{2.5f});
    absl::StatusOr<NetDef> again = ExportInitNet(ws, {"class_names", "lut", "scale"});
    ASSERT_TRUE(again.ok()) << again.status();
    const NetDef original = Net("strings_init" + ext);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(again->op(i).type(), original.op(i).type());
      EXPECT_EQ(SerializeDeterministic(again->op(i).arg(1)),
                SerializeDeterministic(original.op(i).arg(1)));
    }
  }
}

TEST(Caffe2NetsTest, OldDeviceFieldNameIsRefusedNamingTheNewOne) {
  absl::StatusOr<NetDef> n = ReadNetFile(NetsDir() + "old_device_name.pbtxt");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("cuda_gpu_id"), std::string::npos) << n.status();
  EXPECT_NE(n.status().message().find("write device_id instead"), std::string::npos) << n.status();
}

// Serialized blobs: a BlobProto of a tensor and a TensorProtos of two.
TEST(Caffe2NetsTest, TensorFiles) {
  auto blob = ReadTensorsFile(NetsDir() + "data_blob.pb");
  ASSERT_TRUE(blob.ok()) << blob.status();
  ASSERT_EQ(blob->size(), 1u);
  EXPECT_EQ((*blob)[0].name, "data");
  ExpectClose((*blob)[0].tensor, Npy("blob_data"), 0);
  auto single = ReadTensorFile(NetsDir() + "data_blob.pb");
  ASSERT_TRUE(single.ok()) << single.status();
  auto many = ReadTensorsFile(NetsDir() + "data_label_protos.pb");
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].name, "data");
  EXPECT_EQ((*many)[1].name, "label");
  EXPECT_EQ(ToVector<int32_t>((*many)[1].tensor), (std::vector<int32_t>{0, 1, 2, 0, 1}));
  auto ambiguous = ReadTensorFile(NetsDir() + "data_label_protos.pb");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("holds 2 tensors (data, label)"), std::string::npos)
      << ambiguous.status();
}

// A field opgraph's format does not declare survives .pb -> .pb byte for
// byte, and writing it as text is refused instead of losing it.
TEST(Caffe2NetsTest, UnknownFieldsAndConversion) {
  NetDef n = Net("mlp_predict.pb");
  n.mutable_op(0)->GetReflection()->MutableUnknownFields(n.mutable_op(0))->AddVarint(99, 5);
  const std::string dir = ::testing::TempDir();
  ASSERT_TRUE(WriteProtoFile(dir + "/unknown.pb", n).ok());
  absl::StatusOr<NetDef> back = ReadNetFile(dir + "/unknown.pb");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(SerializeDeterministic(*back), SerializeDeterministic(n));
  absl::Status text = WriteProtoFile(dir + "/unknown.pbtxt", *back);
  EXPECT_EQ(text.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(text.message().find("op[0]: opgraph.OperatorDef field 99"), std::string::npos) << text;
}

}  // namespace
}  // namespace opgraph
