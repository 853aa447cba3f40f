// Tests of Copy (ops/copy_op.cc).
#include <string>
#include <vector>

#include "core/gradient.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::FloatArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RunOp;
using testing::ToVector;

// MakeTensor cannot take std::vector<bool>, which has no data().
template <typename T>
Tensor Make(const std::vector<int64_t>& dims, const std::vector<T>& values) {
  Tensor t;
  EXPECT_TRUE(t.Resize(DTypeOf<T>::value, dims).ok());
  for (size_t i = 0; i < values.size(); ++i) t.mutable_data<T>()[i] = values[i];
  return t;
}

template <typename T>
void CheckCopy(const std::vector<int64_t>& dims, const std::vector<T>& values) {
  const Tensor x = Make<T>(dims, values);
  auto out = RunOp(MakeOp("Copy", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  const Tensor& y = (*out)[0];
  EXPECT_EQ(y.dtype(), x.dtype());
  EXPECT_EQ(y.dims(), dims);
  EXPECT_EQ(ToVector<T>(y), values);
}

TEST(CopyOpTest, CopiesEveryType) {
  CheckCopy<float>({2, 3}, {1.5f, -2, 0, 3.25f, -0.0f, 7});
  CheckCopy<double>({3}, {1e300, -1e-300, 2});
  CheckCopy<int32_t>({2, 1}, {INT32_MIN, INT32_MAX});
  CheckCopy<int64_t>({2}, {INT64_MIN, 42});
  CheckCopy<bool>({3}, {true, false, true});
  CheckCopy<uint8_t>({2}, {0, 255});
  CheckCopy<float>({}, {3.0f});  // a scalar
  CheckCopy<float>({4, 0}, {});  // no elements
}

TEST(CopyOpTest, InPlaceKeepsTheValues) {
  const Tensor x = MakeTensor<int32_t>({3}, {5, -6, 7});
  auto out = RunOp(MakeOp("Copy", {"X"}, {"X"}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(ToVector<int32_t>((*out)[0]), (std::vector<int32_t>{5, -6, 7}));
}

// The output is a separate tensor: changing the copy leaves the input.
TEST(CopyOpTest, OutputDoesNotShareStorage) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
  NetDef net;
  net.set_name("copy");
  *net.add_op() = MakeOp("Copy", {"X"}, {"Y"});
  ASSERT_TRUE(ws.RunNetOnce(net).ok());
  ASSERT_TRUE(ws.FeedBlob("Y", MakeTensor<float>({2}, {9, 9})).ok());
  auto x = ws.FetchBlob("X");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(ToVector<float>(*x), (std::vector<float>{1, 2}));
}

TEST(CopyOpTest, RejectsWrongArityAndArguments) {
  const Tensor x = MakeTensor<float>({1}, {1});
  EXPECT_EQ(CreateStatus(MakeOp("Copy", {"X", "X2"}, {"Y"}), {x, x}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateStatus(MakeOp("Copy", {"X"}, {"Y", "Z"}), {x}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateStatus(MakeOp("Copy", {}, {"Y"}), {}).code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = CreateStatus(MakeOp("Copy", {"X"}, {"Y"}, {FloatArg("scale", 2)}), {x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("'scale'"), std::string::npos) << s;
}

TEST(CopyOpTest, GradientIsACopyOfTheOutputGradient) {
  absl::StatusOr<GradientOpsMeta> meta = GetGradientDefs(MakeOp("Copy", {"X"}, {"Y"}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  const OperatorDef& g = meta->ops[0];
  EXPECT_EQ(g.type(), "Copy");
  ASSERT_EQ(g.input_size(), 1);
  EXPECT_EQ(g.input(0), "Y_grad");
  ASSERT_EQ(g.output_size(), 1);
  EXPECT_EQ(g.output(0), "X_grad");
  EXPECT_TRUE(g.is_gradient_op());
  EXPECT_EQ(meta->g_input, std::vector<std::string>({"X_grad"}));
  // No gradient flowing into Y: none for X either.
  meta = GetGradientDefs(MakeOp("Copy", {"X"}, {"Y"}), {""});
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_TRUE(meta->ops.empty());
  EXPECT_EQ(meta->g_input, std::vector<std::string>({""}));
}

}  // namespace
}  // namespace opgraph
