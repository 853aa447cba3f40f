// Tests of ExportInitNet and GivenTensorFillDef (ops/export_init_net.cc):
// every exported blob comes back with its dtype, shape and values when the
// init net runs in a fresh workspace.
#include "ops/export_init_net.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeTensor;
using testing::StatusIs;
using testing::ToVector;

TEST(ExportInitNetTest, RoundTripsEveryFilledDtype) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("f", MakeTensor<float>({2, 2}, {1.5f, -2, 0, 3e-7f})).ok());
  ASSERT_TRUE(ws.FeedBlob("d", MakeTensor<double>({3}, {0.5, -4, 1e10})).ok());
  ASSERT_TRUE(ws.FeedBlob("i", MakeTensor<int32_t>({2}, {INT32_MIN, 7})).ok());
  ASSERT_TRUE(ws.FeedBlob("l", MakeTensor<int64_t>({1, 2}, {int64_t{1} << 40, -3})).ok());
  Tensor b;  // MakeTensor cannot take a std::vector<bool>.
  ASSERT_TRUE(b.Resize(DType::kBool, {3}).ok());
  b.mutable_data<bool>()[0] = true;
  b.mutable_data<bool>()[1] = false;
  b.mutable_data<bool>()[2] = true;
  ASSERT_TRUE(ws.FeedBlob("b", std::move(b)).ok());
  ASSERT_TRUE(ws.FeedBlob("s", MakeTensor<float>({}, {42})).ok());

  auto net = ExportInitNet(ws, {"f", "d", "i", "l", "b", "s"}, "params");
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(net->name(), "params");
  EXPECT_EQ(net->op_size(), 6);
  EXPECT_EQ(net->op(0).type(), "GivenTensorFill");
  EXPECT_EQ(net->op(1).type(), "GivenTensorDoubleFill");
  EXPECT_EQ(net->op(4).type(), "GivenTensorBoolFill");
  EXPECT_THAT(net->external_output(), ElementsAre("f", "d", "i", "l", "b", "s"));

  Workspace fresh;
  ASSERT_TRUE(fresh.RunNetOnce(*net).ok());
  EXPECT_EQ(fresh.GetBlob("f")->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<float>(*fresh.GetBlob("f")), (std::vector<float>{1.5f, -2, 0, 3e-7f}));
  EXPECT_EQ(ToVector<double>(*fresh.GetBlob("d")), (std::vector<double>{0.5, -4, 1e10}));
  EXPECT_EQ(ToVector<int32_t>(*fresh.GetBlob("i")), (std::vector<int32_t>{INT32_MIN, 7}));
  EXPECT_EQ(ToVector<int64_t>(*fresh.GetBlob("l")), (std::vector<int64_t>{int64_t{1} << 40, -3}));
  EXPECT_EQ(fresh.GetBlob("l")->dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(ToVector<bool>(*fresh.GetBlob("b")), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(fresh.GetBlob("s")->ndim(), 0);
  EXPECT_EQ(ToVector<float>(*fresh.GetBlob("s")), (std::vector<float>{42}));
}

// uint8 and string blobs are written as Caffe2's mobile_exporter writes
// them: one byte string for a uint8 array, one string per element.
TEST(ExportInitNetTest, RoundTripsUint8AndStringAsMobileExporterWritesThem) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("u", MakeTensor<uint8_t>({2, 2}, {0, 1, 128, 255})).ok());
  const std::vector<std::string> words = {"cat", std::string("a\0b", 3), "", "\xff\xfe"};
  ASSERT_TRUE(ws.FeedBlob("w", MakeTensor<std::string>({4}, words)).ok());
  auto net = ExportInitNet(ws, {"u", "w"});
  ASSERT_TRUE(net.ok()) << net.status();
  EXPECT_EQ(net->op(0).type(), "GivenTensorByteStringToUInt8Fill");
  ASSERT_EQ(net->op(0).arg(1).strings_size(), 1);
  EXPECT_EQ(net->op(0).arg(1).strings(0), std::string("\x00\x01\x80\xff", 4));
  EXPECT_EQ(net->op(1).type(), "GivenTensorStringFill");
  EXPECT_THAT(net->op(1).arg(1).strings(), ElementsAre("cat", words[1], "", words[3]));

  Workspace fresh;
  ASSERT_TRUE(fresh.RunNetOnce(*net).ok());
  EXPECT_EQ(fresh.GetBlob("u")->dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ToVector<uint8_t>(*fresh.GetBlob("u")), (std::vector<uint8_t>{0, 1, 128, 255}));
  ASSERT_EQ(fresh.GetBlob("w")->dtype(), DType::kString);
  EXPECT_EQ(ToVector<std::string>(*fresh.GetBlob("w")), words);
}

TEST(ExportInitNetTest, RefusesWhatItCannotExport) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({1}, {1})).ok());
  ws.CreateBlob("empty");
  EXPECT_THAT(ExportInitNet(ws, {"nope"}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
  EXPECT_THAT(ExportInitNet(ws, {"empty"}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("'empty'")));
  EXPECT_THAT(ExportInitNet(ws, {"x", "x"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(ExportInitNet(ws, {}).status(), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

}  // namespace
}  // namespace opgraph
