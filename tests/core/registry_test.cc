#include "core/registry.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace opgraph {
namespace {

// The operators opgraph ships. Each must be registered with a schema and a
// CPU kernel as soon as libopgraph is loaded, whatever links it.
TEST(RegistryTest, EveryBuiltinOperatorIsRegistered) {
  const std::vector<std::string> kBuiltins = {"Selu",
                                              "SeluGradient",
                                              "Softmax",
                                              "SoftmaxGradient",
                                              "Sum",
                                              "Copy",
                                              "GivenTensorFill",
                                              "GivenTensorDoubleFill",
                                              "GivenTensorIntFill",
                                              "GivenTensorInt64Fill",
                                              "GivenTensorBoolFill",
                                              "FC",
                                              "FCGradient",
                                              "ConstantFill",
                                              "GaussianFill",
                                              "UniformFill",
                                              "XavierFill",
                                              "MSRAFill",
                                              "GivenTensorByteStringToUInt8Fill",
                                              "GivenTensorStringFill",
                                              "SoftmaxWithLoss",
                                              "SoftmaxWithLossGradient",
                                              "Accuracy",
                                              "WeightedSum",
                                              "SeluSoftmax",
                                              "SeluSoftmaxGradient",
                                              "Relu",
                                              "ReluGradient",
                                              "SoftmaxAlongAxis",
                                              "SoftmaxAlongAxisGradient",
                                              "Sigmoid",
                                              "SigmoidGradient",
                                              "Tanh",
                                              "TanhGradient",
                                              "LeakyRelu",
                                              "LeakyReluGradient",
                                              "Elu",
                                              "EluGradient",
                                              "Exp",
                                              "ExpGradient",
                                              "Log",
                                              "LogGradient",
                                              "Sqrt",
                                              "SqrtGradient",
                                              "Negative",
                                              "Abs",
                                              "AbsGradient",
                                              "Flatten",
                                              "ResizeLike",
                                              "Reshape",
                                              "Transpose",
                                              "Concat",
                                              "ConcatGradient",
                                              "Split",
                                              "Cast",
                                              "Dropout",
                                              "DropoutGrad",
                                              "LogSoftmax",
                                              "LogSoftmaxGradient",
                                              "LogSoftmaxAlongAxis",
                                              "LogSoftmaxAlongAxisGradient"};
  for (const std::string& type : kBuiltins) {
    SCOPED_TRACE(type);
    const OpSchema* schema = OpRegistry::Global().FindSchema(type);
    ASSERT_NE(schema, nullptr);
    EXPECT_EQ(schema->type(), type);
    EXPECT_TRUE(OpRegistry::Global().HasKernel(type));
    EXPECT_EQ(OpRegistry::Global().SourceOf(type), "built-in");
  }
}

TEST(RegistryTest, UnknownTypeIsNotFound) {
  OperatorDef def;
  def.set_type("NoSuchOp");
  def.add_input("x");
  def.add_output("y");
  auto op = OpRegistry::Global().CreateOperator(def);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(op.status().message().find("NoSuchOp"), std::string::npos);
}

TEST(RegistryTest, BatchIsAllOrNothing) {
  RegistrationBatch batch("test-batch");
  auto schema = std::make_unique<OpSchema>("BatchOnlyOp", __FILE__, __LINE__);
  ASSERT_TRUE(batch.AddSchema(std::move(schema)).ok());
  // A second part of the batch collides with a built-in: nothing applies.
  ASSERT_TRUE(batch.AddKernel("Selu", nullptr).ok());
  absl::Status s = OpRegistry::Global().Apply(std::move(batch));
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("test-batch"), std::string::npos);
  EXPECT_NE(s.message().find("built-in"), std::string::npos);
  EXPECT_EQ(OpRegistry::Global().FindSchema("BatchOnlyOp"), nullptr);
}

TEST(RegistryTest, KernelWithoutSchemaIsRejected) {
  RegistrationBatch batch("test-batch");
  ASSERT_TRUE(batch
                  .AddKernel("KernelOnlyOp",
                             [](const OperatorDef&, const OpSchema&) {
                               return std::unique_ptr<OperatorBase>();
                             })
                  .ok());
  absl::Status s = OpRegistry::Global().Apply(std::move(batch));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(OpRegistry::Global().HasKernel("KernelOnlyOp"));
}

TEST(RegistryTest, DuplicateWithinBatchIsRecorded) {
  RegistrationBatch batch("dup");
  ASSERT_TRUE(batch.AddSchema(std::make_unique<OpSchema>("DupOp", "f", 1)).ok());
  EXPECT_EQ(batch.AddSchema(std::make_unique<OpSchema>("DupOp", "f", 2)).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(batch.first_error().ok());
  EXPECT_FALSE(OpRegistry::Global().Apply(std::move(batch)).ok());
  EXPECT_EQ(OpRegistry::Global().FindSchema("DupOp"), nullptr);
}

using ::opgraph::testing::IsOk;
using ::opgraph::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(RegistryTest, BuiltinRolesAreGivenNextToTheirOperators) {
  EXPECT_EQ(OpRegistry::Global().TypeForRole(OpRole::kGradientAccumulation).value_or(""), "Sum");
  EXPECT_EQ(OpRegistry::Global().TypeForRole(OpRole::kGradientSeed).value_or(""), "ConstantFill");
}

TEST(RegistryTest, RoleNobodyHasIsFailedPreconditionNamingIt) {
  OpRegistry empty;
  EXPECT_THAT(empty.TypeForRole(OpRole::kGradientAccumulation),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("GradientAccumulation"), HasSubstr("REGISTER_OP_ROLE"))));
  RegistrationBatch batch("role-source");
  ASSERT_THAT(batch.AddRole(OpRole::kGradientAccumulation, "MySum"), IsOk());
  ASSERT_THAT(empty.Apply(std::move(batch)), IsOk());
  EXPECT_EQ(empty.TypeForRole(OpRole::kGradientAccumulation).value_or(""), "MySum");
  EXPECT_THAT(empty.TypeForRole(OpRole::kGradientSeed),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("GradientSeed")));
}

TEST(RegistryTest, RoleGivenTwiceIsAlreadyExistsNamingBothAndAppliesNothing) {
  RegistrationBatch batch("role-batch");
  ASSERT_THAT(batch.AddSchema(std::make_unique<OpSchema>("RoleBatchOp", "f", 1)), IsOk());
  ASSERT_THAT(batch.AddRole(OpRole::kGradientAccumulation, "RoleBatchOp"), IsOk());
  EXPECT_THAT(OpRegistry::Global().Apply(std::move(batch)),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("GradientAccumulation"), HasSubstr("RoleBatchOp"),
                             HasSubstr("role-batch"), HasSubstr("'Sum'"), HasSubstr("built-in"))));
  EXPECT_EQ(OpRegistry::Global().FindSchema("RoleBatchOp"), nullptr);
  EXPECT_EQ(OpRegistry::Global().TypeForRole(OpRole::kGradientAccumulation).value_or(""), "Sum");

  RegistrationBatch twice("twice");
  ASSERT_THAT(twice.AddRole(OpRole::kGradientSeed, "A"), IsOk());
  EXPECT_THAT(twice.AddRole(OpRole::kGradientSeed, "B"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("GradientSeed")));
  EXPECT_FALSE(twice.first_error().ok());
}

}  // namespace
}  // namespace opgraph
