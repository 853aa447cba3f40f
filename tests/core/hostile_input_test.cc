// Hostile files: every malformed or malicious input gives a clear error and
// never a crash, a hang or an unbounded allocation. Also replays the fuzz
// seed corpora and every saved fuzz finding (tests/fuzz/corpus/<target>/,
// tests/fuzz/regressions/<target>/) through the fuzz target bodies, so a
// finding stays fixed in the ordinary test suite.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/net_io.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/fuzz/fuzz_targets.h"
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

std::string SourceDir() {
  const char* dir = std::getenv("OPGRAPH_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  return out;
}

// ------------------------------------------------------------ fuzz replays

TEST(FuzzReplayTest, SeedCorporaAndRegressionsRunCleanly) {
  for (const fuzz::FuzzTarget& target : fuzz::AllFuzzTargets()) {
    const std::vector<std::string> seeds =
        FilesIn(SourceDir() + "/tests/fuzz/corpus/" + target.name);
    EXPECT_GE(seeds.size(), 5u) << "seed corpus of " << target.name;
    std::vector<std::string> files = seeds;
    for (const std::string& f : FilesIn(SourceDir() + "/tests/fuzz/regressions/" + target.name)) {
      files.push_back(f);
    }
    for (const std::string& f : files) {
      SCOPED_TRACE(f);
      absl::StatusOr<std::string> bytes = ReadFileToString(f);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      target.run(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
    }
  }
}

TEST(FuzzReplayTest, SeedNetsRunWithoutError) {
  // Seeds that fail would only teach the fuzzer error paths.
  const std::vector<std::string> files = FilesIn(SourceDir() + "/tests/fuzz/corpus/net_run");
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    absl::StatusOr<NetDef> def = ReadNetFile(f, fuzz::FuzzLimitsInUse().proto);
    ASSERT_TRUE(def.ok()) << def.status();
    Workspace ws(fuzz::FuzzWorkspaceOptions());
    fuzz::FeedFuzzInputs(&ws);
    absl::StatusOr<Net*> net = ws.CreateNet(*def);
    ASSERT_TRUE(net.ok()) << f << ": " << net.status();
    EXPECT_TRUE((*net)->Run().ok()) << f;
  }
}

// Found by the net_run fuzzer: the FC gradient maker read input 2 of an FC
// with one input (heap overflow), since GetGradientDefs did not verify the
// definition against the schema first.
TEST(FuzzRegressionTest, GradientOfOperatorWithWrongArityIsAnError) {
  for (const char* type : {"FC", "Selu", "Softmax", "SoftmaxWithLoss", "Sum"}) {
    OperatorDef def = MakeOp(type, {}, {});
    absl::StatusOr<GradientOpsMeta> g = GetGradientDefs(def);
    ASSERT_FALSE(g.ok()) << type;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
    EXPECT_TRUE(Contains(g.status(), type));
  }
  OperatorDef fc = MakeOp("FC", {"X"}, {"Y"});
  absl::StatusOr<GradientOpsMeta> g = GetGradientDefs(fc);
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Contains(g.status(), "input"));
}

// ------------------------------------------------------------- binary nets

NetDef SmallNet() {
  NetDef net;
  net.set_name("small");
  *net.add_op() = MakeOp("Selu", {"X"}, {"Y"}, {testing::FloatArg("alpha", 1.5f)});
  *net.add_op() = MakeOp("Softmax", {"Y"}, {"P"});
  return net;
}

TEST(HostileNetTest, EveryTruncationOfABinaryNetIsHandled) {
  const std::string bytes = SerializeDeterministic(SmallNet());
  int errors = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    NetDef net;
    absl::Status s = ParseProto(bytes.substr(0, n), "cut.pb", false, &net);
    if (s.ok()) continue;  // Some prefixes are themselves valid messages.
    ++errors;
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(Contains(s, "cut.pb"));
    EXPECT_TRUE(Contains(s, "opgraph.NetDef"));
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) / 2);
}

TEST(HostileNetTest, GarbageBytesAreAnErrorOrAHarmlessNet) {
  testing::Rng rng(42);
  for (int round = 0; round < 500; ++round) {
    std::string bytes(1 + rng.Next() % 200, '\0');
    for (char& c : bytes) c = static_cast<char>(rng.Next());
    NetDef net;
    absl::Status s = ParseProto(bytes, "garbage.pb", false, &net);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    Workspace ws(fuzz::FuzzWorkspaceOptions());
    absl::StatusOr<Net*> created = ws.CreateNet(net);
    if (created.ok()) (*created)->Run().IgnoreError();
  }
}

TEST(HostileNetTest, LengthPrefixLargerThanTheFileIsAnError) {
  // Field 2 (op), wire type 2, length 2^31 - 1, then 3 bytes.
  const std::string bytes = std::string("\x12\xff\xff\xff\xff\x07", 6) + "abc";
  NetDef net;
  absl::Status s = ParseProto(bytes, "lies.pb", false, &net);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

// --------------------------------------------------------------- text nets

TEST(HostileNetTest, TextSyntaxErrorNamesLineAndColumn) {
  const std::string text =
      "name: \"t\"\n"
      "op { type: \"Selu\" input: \"X\" output: \"Y\" }\n"
      "op { type: \"Softmax\" input: \"Y\" output \"P\" }\n";
  NetDef net;
  absl::Status s = ParseProto(text, "bad.pbtxt", true, &net);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(Contains(s, "bad.pbtxt"));
  EXPECT_TRUE(Contains(s, "line 3, column"));
}

TEST(HostileNetTest, UnknownTextFieldIsAnError) {
  NetDef net;
  absl::Status s = ParseProto("name: \"t\"\nbogus_field: 3\n", "x.pbtxt", true, &net);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s, "line 2"));
  EXPECT_TRUE(Contains(s, "bogus_field"));
}

// ----------------------------------------------------------- deep nesting

// A net whose first argument holds a net whose first argument ... `depth`
// levels deep, as text (no protobuf recursion needed to build it).
std::string NestedNetText(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "arg { name: \"a\" n { ";
  for (int i = 0; i < depth; ++i) text += "} } ";
  return text;
}

// The same as binary: each level is Argument.n (field 8) inside NetDef.arg
// (field 6).
std::string NestedNetBinary(int depth) {
  std::string inner;
  auto varint = [](size_t v) {
    std::string out;
    while (v >= 0x80) {
      out += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out += static_cast<char>(v);
    return out;
  };
  for (int i = 0; i < depth; ++i) {
    const std::string arg = "\x42" + varint(inner.size()) + inner;  // Argument.n
    inner = "\x32" + varint(arg.size()) + arg;                      // NetDef.arg
  }
  return inner;
}

TEST(HostileNetTest, NestingBeyondTheRecursionLimitIsAnError) {
  for (int depth : {40, 1000, 100000}) {
    NetDef net;
    absl::Status text = ParseProto(NestedNetText(depth), "deep.pbtxt", true, &net);
    EXPECT_EQ(text.code(), absl::StatusCode::kInvalidArgument) << depth;
    EXPECT_TRUE(Contains(text, "deep.pbtxt"));
    if (depth > 5000) continue;  // Building the binary form is quadratic.
    absl::Status binary = ParseProto(NestedNetBinary(depth), "deep.pb", false, &net);
    EXPECT_EQ(binary.code(), absl::StatusCode::kInvalidArgument) << depth;
    EXPECT_TRUE(Contains(binary, "ProtoLimits::max_recursion_depth"));
  }
  // Within the limit (64 messages, 2 per level here) both parse.
  NetDef net;
  EXPECT_TRUE(ParseProto(NestedNetText(20), "ok.pbtxt", true, &net).ok());
  EXPECT_TRUE(ParseProto(NestedNetBinary(20), "ok.pb", false, &net).ok());
}

// --------------------------------------------------------- huge repetition

TEST(HostileNetTest, OperatorWithAMillionInputsGivesAShortError) {
  NetDef net;
  net.set_name("wide");
  OperatorDef* op = net.add_op();
  op->set_type("Selu");
  for (int i = 0; i < 1000000; ++i) op->add_input("X");
  op->add_output("Y");
  // Through the file format, as a hostile file would arrive.
  NetDef parsed;
  ASSERT_TRUE(ParseProto(SerializeDeterministic(net), "wide.pb", false, &parsed).ok());
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", testing::MakeTensor<float>({1}, {1})).ok());
  absl::StatusOr<Net*> created = ws.CreateNet(parsed);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(created.status(), "takes 1 input(s), got 1000000"));
  // The message names a few inputs, not a million.
  EXPECT_LT(created.status().message().size(), 2000u) << created.status().message().size();
  EXPECT_TRUE(Contains(created.status(), "999984 more"));
  EXPECT_EQ(ws.Blobs(), std::vector<std::string>{"X"});
}

TEST(HostileNetTest, SumOfAMillionInputsIsBoundedByTheFile) {
  // Sum accepts any number of inputs: a long list is legal and linear.
  NetDef net;
  OperatorDef* op = net.add_op();
  op->set_type("Sum");
  for (int i = 0; i < 100000; ++i) op->add_input("X");
  op->add_output("Y");
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", testing::MakeTensor<float>({2}, {1, 2})).ok());
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE((*created)->Run().ok());
  EXPECT_EQ(testing::ToVector<float>(*ws.GetBlob("Y")), (std::vector<float>{100000, 200000}));
}

TEST(HostileNetTest, FillWithAMillionValuesForTwoElementsIsAnError) {
  Argument values;
  values.set_name("values");
  for (int i = 0; i < 1000000; ++i) values.add_floats(1.0f);
  NetDef net;
  *net.add_op() = MakeOp("GivenTensorFill", {}, {"Y"}, {testing::IntsArg("shape", {2}), values});
  Workspace ws;
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(created.status(), "1000000"));
  EXPECT_LT(created.status().message().size(), 2000u);
}

TEST(HostileNetTest, TensorProtoWithAMillionDimsIsAnError) {
  TensorProto proto;
  proto.set_name("t");
  for (int i = 0; i < 1000000; ++i) proto.add_dims(1);
  proto.add_float_data(1);
  absl::StatusOr<Tensor> t = TensorFromProto(proto);
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status(), "TensorLimits::max_rank")) << t.status().message().size();
  EXPECT_LT(t.status().message().size(), 4000u);
}

// ------------------------------------------------------------- huge dims

TEST(HostileNetTest, HugeFillShapeIsRefusedBeforeAllocating) {
  // 2^20 x 2^20 floats is 4 TiB: refused by shape inference at creation,
  // so no allocation is attempted (an attempt would fail or take minutes).
  const std::vector<std::vector<int64_t>> shapes = {
      {int64_t{1} << 20, int64_t{1} << 20},
      {int64_t{1} << 40, int64_t{1} << 40},  // Overflows int64.
      {INT64_MAX, 2},
  };
  for (const auto& shape : shapes) {
    NetDef net;
    *net.add_op() = MakeOp("GivenTensorFill", {}, {"Y"},
                           {testing::IntsArg("shape", shape), testing::FloatsArg("values", {1})});
    Workspace ws;
    absl::StatusOr<Net*> created = ws.CreateNet(net);
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.status().code(), absl::StatusCode::kResourceExhausted) << created.status();
    EXPECT_TRUE(ws.Blobs().empty());
  }
}

TEST(HostileNetTest, NegativeFillDimIsAnError) {
  NetDef net;
  *net.add_op() = MakeOp("ConstantFill", {}, {"Y"}, {testing::IntsArg("shape", {3, -1})});
  Workspace ws;
  absl::StatusOr<Net*> created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument) << created.status();
  EXPECT_TRUE(Contains(created.status(), "negative"));
}

TEST(HostileTensorTest, NpyDeclaringAHugeShapeIsRefusedBeforeAllocating) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4096), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string npy = std::string("\x93NUMPY\x01\x00", 8);
  npy += static_cast<char>(header.size() & 0xff);
  npy += static_cast<char>(header.size() >> 8);
  npy += header + "abcd";
  absl::StatusOr<Tensor> t = ParseNpy(npy, "huge.npy");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kResourceExhausted) << t.status();
  EXPECT_TRUE(Contains(t.status(), "huge.npy"));
}

TEST(HostileTensorTest, TruncatedNpyIsAnError) {
  absl::StatusOr<Tensor> t0 = Tensor::FromVector<float>({2, 2}, std::vector<float>{1, 2, 3, 4});
  ASSERT_TRUE(t0.ok());
  const std::string bytes = SerializeNpy(*t0);
  for (size_t n = 0; n < bytes.size(); ++n) {
    absl::StatusOr<Tensor> t = ParseNpy(bytes.substr(0, n), "cut.npy");
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << t.status();
    EXPECT_TRUE(Contains(t.status(), "cut.npy"));
  }
}

}  // namespace
}  // namespace opgraph
