// A tensor too large for a TensorProto (protobuf's 2 GiB message limit) is
// refused before anything is serialized or written, with a message naming
// the limit and suggesting .npy; the size is computed exactly without
// building the message.
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/net_io.h"
#include "core/tensor.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::MakeTensor;

// The computed size against protobuf's own (ByteSizeLong of the built
// message), for every dtype, with varints of every length.
TEST(ProtoSizeLimitTest, ByteSizeMatchesProtobuf) {
  std::vector<Tensor> tensors;
  tensors.push_back(MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
  tensors.push_back(MakeTensor<double>({1}, {0.5}));
  tensors.push_back(MakeTensor<int32_t>({5}, {0, 1, 127, 128, -1}));
  tensors.push_back(MakeTensor<int32_t>({2}, {std::numeric_limits<int32_t>::min(), 1 << 30}));
  tensors.push_back(MakeTensor<int64_t>({4}, {0, -1, int64_t{1} << 62, 300}));
  tensors.push_back(MakeTensor<uint8_t>({3}, {0, 127, 255}));
  tensors.push_back(*Tensor::Zeros(DType::kBool, {2}));
  tensors.push_back(MakeTensor<float>({0, 4}, {}));
  tensors.push_back(MakeTensor<float>({}, {7}));
  for (const Tensor& t : tensors) {
    for (const std::string& name : {std::string(), std::string("a_name")}) {
      SCOPED_TRACE(t.type().ToString() + " '" + name + "'");
      absl::StatusOr<int64_t> size = TensorProtoByteSize(t, name);
      ASSERT_TRUE(size.ok()) << size.status();
      EXPECT_EQ(*size, static_cast<int64_t>(TensorToProto(t, name).ByteSizeLong()));
      EXPECT_TRUE(CheckFitsTensorProto(t, name).ok());
    }
  }
}

// 2^29 + 1 float32 values are 2 GiB + 4 bytes of data. The tensor's pages
// are never touched (the size of a float tensor follows from its shape),
// so this needs address space, not memory.
TEST(ProtoSizeLimitTest, TensorOverTwoGiBIsRefusedBeforeWriting) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {(int64_t{1} << 29) + 1}).ok());
  ASSERT_TRUE(t.initialized());
  absl::Status fits = CheckFitsTensorProto(t, "Y");
  EXPECT_EQ(fits.code(), absl::StatusCode::kResourceExhausted) << fits;
  EXPECT_THAT(std::string(fits.message()),
              AllOf(HasSubstr("tensor 'Y'"), HasSubstr("2147483652 bytes"),
                    HasSubstr("limited to 2 GiB"), HasSubstr(".npy")));

  const std::string dir = ::testing::TempDir();
  for (const char* ext : {".pb", ".pbtxt"}) {
    const std::string path = dir + "/proto_size_limit_y" + std::string(ext);
    ASSERT_TRUE(WriteStringToFile(path, "old contents").ok());
    absl::Status w = WriteTensorFile(path, t, "Y");
    EXPECT_EQ(w.code(), absl::StatusCode::kResourceExhausted) << w;
    EXPECT_THAT(std::string(w.message()),
                AllOf(HasSubstr(path), HasSubstr("2 GiB"), HasSubstr("write it as .npy")));
    absl::StatusOr<std::string> kept = ReadFileToString(path);
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ(*kept, "old contents");
  }
  // Just under the limit by shape: 2^29 - 16 values fit.
  Tensor small;
  ASSERT_TRUE(small.Resize(DType::kFloat32, {(int64_t{1} << 29) - 16}).ok());
  EXPECT_TRUE(CheckFitsTensorProto(small, "Y").ok());
}

// More values than a repeated field can count (2^31 bools), whatever they
// are, never fit. The check stops at the element count: no value is read.
TEST(ProtoSizeLimitTest, MoreValuesThanARepeatedFieldHoldsAreRefused) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kBool, {int64_t{1} << 31}).ok());
  EXPECT_EQ(CheckFitsTensorProto(t, "B").code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace opgraph
