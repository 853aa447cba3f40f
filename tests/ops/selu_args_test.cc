// The operators that apply selu (ops/selu_args.h) refuse non-finite alpha
// and scale when created, naming the argument: NaN, +inf and -inf each,
// for Selu, SeluGradient, SeluSoftmax, SeluSoftmaxGradient and FCSelu.
// Finite values in range are accepted.
#include <limits>
#include <string>
#include <vector>

#include "core/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::FloatArg;
using testing::MakeOp;

struct SeluUser {
  std::string type;
  int inputs;
};

const std::vector<SeluUser>& SeluUsers() {
  static const auto* users = new std::vector<SeluUser>{{"Selu", 1},
                                                       {"SeluGradient", 2},
                                                       {"SeluSoftmax", 1},
                                                       {"SeluSoftmaxGradient", 3},
                                                       {"FCSelu", 3}};
  return *users;
}

OperatorDef Def(const SeluUser& u, const std::string& arg, float value) {
  std::vector<std::string> ins;
  for (int i = 0; i < u.inputs; ++i) ins.push_back("in" + std::to_string(i));
  return MakeOp(u.type, ins, {"out"}, {FloatArg(arg, value)});
}

TEST(SeluArgsTest, NonFiniteAlphaAndScaleAreRefusedNamingTheArgument) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const SeluUser& u : SeluUsers()) {
    for (const std::string arg : {"alpha", "scale"}) {
      for (float v : {nan, inf, -inf}) {
        SCOPED_TRACE(u.type + " " + arg + "=" + std::to_string(v));
        absl::StatusOr<std::unique_ptr<OperatorBase>> op =
            OpRegistry::Global().CreateOperator(Def(u, arg, v));
        ASSERT_FALSE(op.ok());
        EXPECT_EQ(op.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_THAT(std::string(op.status().message()),
                    ::testing::AllOf(::testing::HasSubstr("argument '" + arg + "' must be"),
                                     ::testing::HasSubstr("finite")));
      }
    }
  }
}

TEST(SeluArgsTest, FiniteValuesInRangeAreAccepted) {
  for (const SeluUser& u : SeluUsers()) {
    SCOPED_TRACE(u.type);
    EXPECT_TRUE(OpRegistry::Global().CreateOperator(Def(u, "alpha", 0.0f)).ok());
    EXPECT_TRUE(OpRegistry::Global().CreateOperator(Def(u, "scale", 1e30f)).ok());
  }
}

}  // namespace
}  // namespace opgraph
