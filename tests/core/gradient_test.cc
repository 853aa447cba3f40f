#include "core/gradient.h"

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::MakeOp;

TEST(GradientTest, SeluGradientConsumesForwardOutput) {
  OperatorDef fwd = MakeOp("Selu", {"x"}, {"y"}, {FloatArg("alpha", 1.5f)});
  fwd.mutable_device_option()->set_device_type(0);
  auto meta = GetGradientDefs(fwd);
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "SeluGradient");
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0), "y");
  EXPECT_EQ(g.input(1), "y_grad");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0), "x_grad");
  EXPECT_TRUE(g.is_gradient_op());
  ASSERT_EQ(g.arg_size(), 1);
  EXPECT_EQ(g.arg(0).name(), "alpha");
  EXPECT_EQ(g.arg(0).f(), 1.5f);
  EXPECT_TRUE(g.has_device_option());
  EXPECT_EQ(meta->g_input, std::vector<std::string>({"x_grad"}));
}

TEST(GradientTest, ExplicitOutputGradientNames) {
  auto meta = GetGradientDefs(MakeOp("Selu", {"x"}, {"y"}), {"dL_dy"});
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->ops[0].input(1), "dL_dy");
  EXPECT_EQ(GetGradientDefs(MakeOp("Selu", {"x"}, {"y"}), {"a", "b"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GradientTest, MissingAndForbiddenGradientsAreErrors) {
  auto missing = GetGradientDefs(MakeOp("NoSuchOp", {"x"}, {"y"}));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("NoSuchOp"), std::string::npos);
  auto forbidden = GetGradientDefs(MakeOp("SeluGradient", {"y", "dy"}, {"dx"}));
  EXPECT_EQ(forbidden.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(forbidden.status().message().find("SeluGradient"), std::string::npos);
}

}  // namespace
}  // namespace opgraph
