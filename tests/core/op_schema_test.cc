#include "core/op_schema.h"

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::IntArg;
using testing::IntsArg;
using testing::MakeOp;

OpSchema TestSchema() {
  OpSchema s("TestOp", __FILE__, __LINE__);
  s.NumInputs(1, 2)
      .NumOutputs({1, 3})
      .AllowInplace({{0, 0}})
      .Arg("alpha", 1.5f, "a float")
      .Arg("axis", 1, "an int")
      .RequiredArg("dims", ArgKind::kInts, "required ints")
      .IdenticalTypeAndShape();
  return s;
}

TEST(OpSchemaTest, AcceptsAValidDefinition) {
  OpSchema s = TestSchema();
  EXPECT_TRUE(s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1})})).ok());
  EXPECT_TRUE(s.Verify(MakeOp("TestOp", {"x", "z"}, {"a", "b", "c"},
                              {IntsArg("dims", {}), FloatArg("alpha", 2)}))
                  .ok());
  EXPECT_TRUE(s.Verify(MakeOp("TestOp", {"x"}, {"x"}, {IntsArg("dims", {1})})).ok());
}

TEST(OpSchemaTest, ArityIsChecked) {
  OpSchema s = TestSchema();
  absl::Status st = s.Verify(MakeOp("TestOp", {"a", "b", "c"}, {"y"}, {IntsArg("dims", {1})}));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("takes 1-2 input(s), got 3"), std::string::npos) << st;
  st = s.Verify(MakeOp("TestOp", {"a"}, {"y", "z"}, {IntsArg("dims", {1})}));
  EXPECT_NE(st.message().find("takes {1, 3} output(s), got 2"), std::string::npos) << st;
}

TEST(OpSchemaTest, UndeclaredArgumentIsRejectedByName) {
  OpSchema s = TestSchema();
  absl::Status st =
      s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntArg("axsi", 0)}));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'axsi'"), std::string::npos) << st;
  EXPECT_NE(st.message().find("TestOp"), std::string::npos) << st;
}

Argument StringArg(const std::string& name, const std::string& v) {
  Argument a;
  a.set_name(name);
  a.set_s(v);
  return a;
}

// brew's arg_scope writes these on every operator of a Caffe2 model.
TEST(OpSchemaTest, FrameworkWideArgumentsAreAcceptedOnEveryOperator) {
  OpSchema s = TestSchema();
  const OperatorDef def =
      MakeOp("TestOp", {"x"}, {"y"},
             {IntsArg("dims", {1}), StringArg("order", "NHWC"), IntArg("use_cudnn", 1),
              IntArg("cudnn_exhaustive_search", 0), IntArg("exhaustive_search", 0),
              IntArg("ws_nbytes_limit", 67108864)});
  EXPECT_TRUE(s.Verify(def).ok()) << s.Verify(def);
  EXPECT_TRUE(s.UnknownArguments(def).empty());
  EXPECT_EQ(OpSchema::FrameworkArgs().size(), 5u);
  EXPECT_NE(s.FindArgOrFramework("ws_nbytes_limit"), nullptr);
  EXPECT_EQ(s.FindArg("ws_nbytes_limit"), nullptr);
}

TEST(OpSchemaTest, FrameworkArgumentsAreKindAndValueChecked) {
  OpSchema s = TestSchema();
  absl::Status st =
      s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), StringArg("order", "NCWH")}));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'order' is \"NCWH\"; expected \"NCHW\" or \"NHWC\""),
            std::string::npos)
      << st;
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), FloatArg("use_cudnn", 1)}));
  EXPECT_NE(st.message().find("'use_cudnn' must be a int, got float"), std::string::npos) << st;
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntArg("order", 0)}));
  EXPECT_NE(st.message().find("'order' must be a string, got int"), std::string::npos) << st;
}

TEST(OpSchemaTest, UnknownArgumentSuggestsTheClosestDeclaredName) {
  OpSchema s = TestSchema();
  absl::Status st =
      s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntArg("axsi", 0)}));
  EXPECT_NE(st.message().find("has no argument 'axsi'; did you mean 'axis'?"), std::string::npos)
      << st;
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), FloatArg("alpah", 0)}));
  EXPECT_NE(st.message().find("did you mean 'alpha'?"), std::string::npos) << st;
  // Nothing is close: no suggestion, but the declared and framework names are listed.
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntArg("momentum", 0)}));
  EXPECT_EQ(st.message().find("did you mean"), std::string::npos) << st;
  EXPECT_NE(st.message().find("it takes: alpha, axis, dims; every operator also takes order"),
            std::string::npos)
      << st;
  // A one-letter name is never "close" to anything.
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntArg("a", 0)}));
  EXPECT_EQ(st.message().find("did you mean"), std::string::npos) << st;
}

TEST(OpSchemaTest, UnknownArgumentsAreListedOnce) {
  OpSchema s = TestSchema();
  const OperatorDef def =
      MakeOp("TestOp", {"x"}, {"y"},
             {IntArg("foo", 1), IntsArg("dims", {1}), IntArg("bar", 2), IntArg("foo", 3)});
  EXPECT_EQ(s.UnknownArguments(def), (std::vector<std::string>{"foo", "bar"}));
}

TEST(OpSchemaTest, ArgumentOfTheWrongKindIsRejected) {
  OpSchema s = TestSchema();
  absl::Status st =
      s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntsArg("alpha", {1, 2})}));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("'alpha' must be a float, got ints"), std::string::npos) << st;
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), FloatArg("axis", 1)}));
  EXPECT_NE(st.message().find("'axis' must be a int, got float"), std::string::npos) << st;
}

TEST(OpSchemaTest, RequiredAndDuplicateArguments) {
  OpSchema s = TestSchema();
  absl::Status st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}));
  EXPECT_NE(st.message().find("requires argument 'dims'"), std::string::npos) << st;
  st = s.Verify(MakeOp("TestOp", {"x"}, {"y"}, {IntsArg("dims", {1}), IntsArg("dims", {2})}));
  EXPECT_NE(st.message().find("given twice"), std::string::npos) << st;
}

TEST(OpSchemaTest, InplaceOnlyWhereAllowed) {
  OpSchema s = TestSchema();
  absl::Status st = s.Verify(MakeOp("TestOp", {"x", "z"}, {"z"}, {IntsArg("dims", {1})}));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("cannot run in place: input 1 and output 0"), std::string::npos)
      << st;
}

TEST(OpSchemaTest, EnforcedInplace) {
  OpSchema s("Acc", "f", 1);
  s.NumInputs(1).NumOutputs(1).EnforceInplace({{0, 0}}).IdenticalTypeAndShape();
  EXPECT_TRUE(s.Verify(MakeOp("Acc", {"x"}, {"x"})).ok());
  EXPECT_NE(s.Verify(MakeOp("Acc", {"x"}, {"y"})).message().find("must run in place"),
            std::string::npos);
}

TEST(OpSchemaTest, DuplicateOrEmptyBlobNames) {
  OpSchema s = TestSchema();
  EXPECT_FALSE(s.Verify(MakeOp("TestOp", {"x"}, {"a", "a", "c"}, {IntsArg("dims", {1})})).ok());
  EXPECT_FALSE(s.Verify(MakeOp("TestOp", {""}, {"y"}, {IntsArg("dims", {1})})).ok());
}

TEST(OpSchemaTest, InferenceChecksTypesAndShapes) {
  OpSchema s("Add2", "f", 1);
  s.NumInputs(2)
      .NumOutputs(1)
      .AllowedTypes({DType::kFloat32})
      .InputsHaveSameTypeAndShape()
      .IdenticalTypeAndShape();
  const OperatorDef def = MakeOp("Add2", {"a", "b"}, {"c"});
  TensorType f23{DType::kFloat32, {2, 3}};
  auto out = s.InferTensors(def, {f23, f23});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0], f23);
  auto bad = s.InferTensors(def, {f23, TensorType{DType::kFloat32, {3, 2}}});
  EXPECT_NE(bad.status().message().find("input 1 is float32[3, 2] but input 0 is float32[2, 3]"),
            std::string::npos)
      << bad.status();
  auto wrong_type =
      s.InferTensors(def, {TensorType{DType::kInt32, {2}}, TensorType{DType::kInt32, {2}}});
  EXPECT_NE(wrong_type.status().message().find("expected one of float32"), std::string::npos)
      << wrong_type.status();
}

TEST(OpSchemaTest, ArityStrings) {
  OpSchema s("X", "f", 1);
  s.NumInputs(1, INT32_MAX).NumOutputs(2);
  EXPECT_EQ(s.InputArityString(), "1+");
  EXPECT_EQ(s.OutputArityString(), "2");
}

}  // namespace
}  // namespace opgraph
