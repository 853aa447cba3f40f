// Every limit of docs/SECURITY.md: hitting it gives the documented code
// (ResourceExhausted for sizes, InvalidArgument for malformed structure)
// and a message that names the limit; just under it works; and a limit
// passed in (WorkspaceOptions, the readers' ProtoLimits and TensorLimits
// arguments) takes effect there and nowhere else.
#include <cstdio>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/net_io.h"
#include "core/tensor.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::MakeOp;

::testing::AssertionResult Contains(const absl::Status& s, const std::string& part) {
  if (std::string(s.message()).find(part) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << part << "' not in: " << s;
}

class LimitsTest : public ::testing::Test {};

TEST_F(LimitsTest, DefaultsAreTheDocumentedOnes) {
  EXPECT_EQ(TensorLimits().max_rank, 32);
  EXPECT_EQ(TensorLimits().max_bytes, int64_t{16} << 30);
  EXPECT_EQ(ProtoLimits().max_file_bytes, int64_t{1} << 30);
  EXPECT_EQ(ProtoLimits().max_recursion_depth, 64);
  EXPECT_EQ(NetLimits().max_ops, 1000000);
  EXPECT_EQ(NetLimits().max_nesting_depth, 32);
  const WorkspaceOptions options;
  EXPECT_EQ(options.tensor.max_bytes, int64_t{16} << 30);
  EXPECT_EQ(options.net.max_ops, 1000000);
  EXPECT_EQ(options.memory_budget_bytes, DefaultMemoryBudgetBytes());
  EXPECT_GT(options.memory_budget_bytes, 0);
  EXPECT_EQ(options.num_threads, 0);
}

// ------------------------------------------------------------ TensorLimits

TEST_F(LimitsTest, RankLimit) {
  Tensor t;
  EXPECT_TRUE(t.Resize(DType::kFloat32, std::vector<int64_t>(32, 1)).ok());
  absl::Status s = t.Resize(DType::kFloat32, std::vector<int64_t>(33, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s, "TensorLimits::max_rank"));
  TensorLimits small;
  small.max_rank = 2;
  s = t.Resize(DType::kFloat32, {1, 1, 1}, small);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s, "limit of 2"));
}

TEST_F(LimitsTest, AllocationLimit) {
  TensorLimits small;
  small.max_bytes = 1024;
  Tensor t;
  EXPECT_TRUE(t.Resize(DType::kFloat32, {256}, small).ok());
  absl::Status s = t.Resize(DType::kFloat32, {257}, small);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(s, "TensorLimits::max_bytes"));
  EXPECT_TRUE(Contains(s, "1024"));
  // The element size counts: 128 doubles fit, 129 do not.
  EXPECT_TRUE(t.Resize(DType::kFloat64, {128}, small).ok());
  EXPECT_EQ(t.Resize(DType::kFloat64, {129}, small).code(), absl::StatusCode::kResourceExhausted);
  // On error the tensor is unchanged.
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{128}));
}

TEST_F(LimitsTest, DimsProductOverflowingInt64) {
  const std::vector<std::vector<int64_t>> overflowing = {
      {int64_t{1} << 32, int64_t{1} << 32},
      {INT64_MAX, 2},
      {3037000500, 3037000500},  // Just above sqrt(2^63).
      {int64_t{1} << 62, 2, 0},  // Overflows before the zero.
  };
  for (const auto& dims : overflowing) {
    absl::StatusOr<int64_t> n = CheckedNumElements(dims, DType::kUint8);
    ASSERT_FALSE(n.ok()) << DimsToString(dims);
    EXPECT_EQ(n.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_TRUE(Contains(n.status(), "overflows int64"));
  }
  // The largest product that fits is fine as a count; only the allocation
  // limit refuses it.
  absl::StatusOr<int64_t> n =
      CheckedNumElements({int64_t{1} << 31, int64_t{1} << 31}, DType::kUndefined);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, int64_t{1} << 62);
}

TEST_F(LimitsTest, NegativeDimIsInvalidArgument) {
  absl::StatusOr<int64_t> n = CheckedNumElements({2, -3}, DType::kFloat32);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(n.status(), "negative"));
}

TEST_F(LimitsTest, AllocationLimitAppliesToShapeInferenceAtNetCreation) {
  WorkspaceOptions options;
  options.tensor.max_bytes = 4096;
  NetDef net;
  *net.add_op() = MakeOp("ConstantFill", {}, {"Y"}, {testing::IntsArg("shape", {32, 33})});
  // The default workspace accepts it; the limit is the workspace's own.
  EXPECT_TRUE(Workspace().CreateNet(net).ok());
  Workspace ws(options);
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(created.status(), "TensorLimits::max_bytes"));
  EXPECT_TRUE(Contains(created.status(), "operator #0 ConstantFill"));
  EXPECT_TRUE(ws.Blobs().empty());
}

TEST_F(LimitsTest, WorkspaceTensorLimitAppliesToFedBlobs) {
  WorkspaceOptions options;
  options.tensor.max_bytes = 1024;
  Workspace ws(options);
  EXPECT_TRUE(ws.FeedBlob("A", testing::MakeTensor<float>({256}, std::vector<float>(256))).ok());
  absl::Status s = ws.FeedBlob("B", testing::MakeTensor<float>({257}, std::vector<float>(257)));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(s, "blob 'B'"));
  EXPECT_TRUE(Contains(s, "TensorLimits::max_bytes"));
  EXPECT_FALSE(ws.HasBlob("B"));
}

// ------------------------------------------------------------- ProtoLimits

TEST_F(LimitsTest, FileSizeLimitWhenParsing) {
  ProtoLimits small;
  small.max_file_bytes = 16;
  NetDef net;
  net.set_name(std::string(20, 'n'));
  EXPECT_TRUE(ParseProto(SerializeDeterministic(net), "big.pb", false, &net).ok());
  absl::Status s = ParseProto(SerializeDeterministic(net), "big.pb", false, &net, small);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(s, "ProtoLimits::max_file_bytes"));
  EXPECT_TRUE(Contains(s, "big.pb"));
  net.set_name(std::string(10, 'n'));
  EXPECT_TRUE(ParseProto(SerializeDeterministic(net), "small.pb", false, &net, small).ok());
}

TEST_F(LimitsTest, FileSizeLimitWhenReading) {
  const std::string path = ::testing::TempDir() + "/limits_test_big.pbtxt";
  ASSERT_TRUE(WriteStringToFile(path, "name: \"" + std::string(200000, 'x') + "\"\n").ok());
  ProtoLimits limits;
  limits.max_file_bytes = 100000;
  absl::StatusOr<NetDef> net = ReadNetFile(path, limits);
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(net.status(), "ProtoLimits::max_file_bytes"));
  limits.max_file_bytes = 300000;
  EXPECT_TRUE(ReadNetFile(path, limits).ok());
  std::remove(path.c_str());
}

// `levels` nets, each in the first argument of the one above.
NetDef NestedNet(int levels) {
  NetDef top;
  NetDef* cur = &top;
  for (int i = 0; i < levels; ++i) {
    Argument* a = cur->add_arg();
    a->set_name("inner");
    cur = a->mutable_n();
    cur->set_name("level" + std::to_string(i + 1));
  }
  return top;
}

TEST_F(LimitsTest, RecursionLimitWhenParsing) {
  // NetDef -> Argument -> NetDef: two messages per level.
  ProtoLimits limits;
  limits.max_recursion_depth = 10;
  for (bool text : {false, true}) {
    std::string bytes;
    const NetDef deep = NestedNet(6);
    if (text) {
      ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(deep, &bytes));
    } else {
      bytes = SerializeDeterministic(deep);
    }
    NetDef net;
    absl::Status s = ParseProto(bytes, "deep", text, &net, limits);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    if (!text) {
      EXPECT_TRUE(Contains(s, "ProtoLimits::max_recursion_depth"));
    }
    if (text) {
      EXPECT_TRUE(Contains(s, "recursion")) << s;
    }
    const NetDef shallow = NestedNet(4);
    bytes.clear();
    if (text) {
      ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(shallow, &bytes));
    } else {
      bytes = SerializeDeterministic(shallow);
    }
    EXPECT_TRUE(ParseProto(bytes, "shallow", text, &net, limits).ok()) << text;
  }
}

// --------------------------------------------------------------- NetLimits

NetDef CopyChain(int n) {
  NetDef net;
  net.set_name("chain");
  for (int i = 0; i < n; ++i) {
    *net.add_op() = MakeOp("Copy", {"b" + std::to_string(i)}, {"b" + std::to_string(i + 1)});
  }
  return net;
}

TEST_F(LimitsTest, OperatorCountLimit) {
  WorkspaceOptions options;
  options.net.max_ops = 3;
  Workspace ws(options);
  ASSERT_TRUE(ws.FeedBlob("b0", testing::MakeTensor<float>({1}, {1})).ok());
  EXPECT_TRUE(ws.CreateNet(CopyChain(3)).ok());
  absl::StatusOr<Net*> created = ws.CreateNet(CopyChain(4), /*overwrite=*/true);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(created.status(), "NetLimits::max_ops"));
  EXPECT_TRUE(Contains(created.status(), "net 'chain'"));
  // Also through InferNetTypes directly, as the CLI's inspect uses it.
  absl::StatusOr<TypeMap> types = InferNetTypes(CopyChain(4), ws.BlobTypes(), {}, options.net);
  EXPECT_EQ(types.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(InferNetTypes(CopyChain(4), ws.BlobTypes()).ok());
}

TEST_F(LimitsTest, OperatorCountIncludesNestedNets) {
  NetLimits limits;
  limits.max_ops = 3;
  NetDef net = CopyChain(2);
  Argument* a = net.add_arg();
  a->set_name("body");
  *a->mutable_n() = CopyChain(2);
  absl::Status s = CheckNetLimits(net, limits);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Contains(s, "NetLimits::max_ops"));
  limits.max_ops = 4;
  EXPECT_TRUE(CheckNetLimits(net, limits).ok());
}

TEST_F(LimitsTest, NestingDepthLimit) {
  WorkspaceOptions options;
  options.net.max_nesting_depth = 3;
  EXPECT_TRUE(CheckNetLimits(NestedNet(3), options.net).ok());
  absl::Status s = CheckNetLimits(NestedNet(4), options.net);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s, "NetLimits::max_nesting_depth"));
  // CreateNet checks it before anything else.
  Workspace ws(options);
  absl::StatusOr<Net*> created = ws.CreateNet(NestedNet(4));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ws.Nets().empty());
}

TEST_F(LimitsTest, NestingDepthIsCheckedWithoutRecursion) {
  // Deeper than parsing would allow; the check must not recurse per level.
  // (Protobuf's own destructor recurses, so stay at a depth it handles.)
  const NetDef deep = NestedNet(2000);
  absl::Status s = CheckNetLimits(deep);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s, "33 levels"));
}

// ------------------------------------------------- values against shapes

TEST_F(LimitsTest, GivenTensorFillShapeDisagreeingWithValues) {
  NetDef net;
  *net.add_op() =
      MakeOp("GivenTensorFill", {}, {"Y"},
             {testing::IntsArg("shape", {2, 3}), testing::FloatsArg("values", {1, 2, 3, 4, 5})});
  Workspace ws;
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(created.status(), "[2, 3]"));
  EXPECT_TRUE(Contains(created.status(), "6 elements"));
  EXPECT_TRUE(Contains(created.status(), "has 5"));
  EXPECT_TRUE(ws.Blobs().empty());
}

TEST_F(LimitsTest, TensorProtoRawDataOfTheWrongLength) {
  TensorProto proto;
  proto.set_name("w");
  proto.set_data_type(TensorProto::FLOAT);
  proto.add_dims(2);
  proto.add_dims(2);
  proto.set_raw_data(std::string(12, '\0'));  // 3 floats for 4 elements.
  absl::StatusOr<Tensor> t = TensorFromProto(proto);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(t.status(), "'w'"));
  proto.set_raw_data(std::string(15, '\0'));  // Not a whole number of floats.
  t = TensorFromProto(proto);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  proto.set_raw_data(std::string(16, '\0'));
  EXPECT_TRUE(TensorFromProto(proto).ok());
}

TEST_F(LimitsTest, TensorProtoUnsupportedDataType) {
  for (auto type : {TensorProto::FLOAT16, TensorProto::INT8, TensorProto::UNDEFINED}) {
    TensorProto proto;
    proto.set_name("s");
    proto.set_data_type(type);
    proto.add_dims(1);
    proto.add_int32_data(1);
    absl::StatusOr<Tensor> t = TensorFromProto(proto);
    ASSERT_FALSE(t.ok()) << type;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
    EXPECT_TRUE(Contains(t.status(), TensorProto::DataType_Name(type)));
  }
}

TEST_F(LimitsTest, TensorProtoDimsOverAllocationLimit) {
  TensorLimits limits;
  limits.max_bytes = 1024;
  TensorProto proto;
  proto.set_name("big");
  proto.set_data_type(TensorProto::FLOAT);
  proto.add_dims(1 << 20);
  absl::StatusOr<Tensor> t = TensorFromProto(proto, limits);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted) << t.status();
  EXPECT_TRUE(Contains(t.status(), "TensorLimits::max_bytes"));
  proto.clear_dims();
  proto.add_dims(int64_t{1} << 40);
  proto.add_dims(int64_t{1} << 40);
  t = TensorFromProto(proto, limits);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted) << t.status();
}

}  // namespace
}  // namespace opgraph
