#include "core/tensor.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace opgraph {
namespace {

TEST(TensorTest, ResizeSetsTypeShapeAndAlignment) {
  Tensor t;
  EXPECT_FALSE(t.initialized());
  ASSERT_TRUE(t.Resize(DType::kFloat32, {2, 3, 4}).ok());
  EXPECT_TRUE(t.initialized());
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96u);
  EXPECT_EQ(t.ndim(), 3);
  EXPECT_EQ(t.DebugString(), "float32[2, 3, 4]");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
}

TEST(TensorTest, StorageIsReusedWhenTheSizeFits) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {1000}).ok());
  const void* before = t.raw_data();
  ASSERT_TRUE(t.Resize(DType::kFloat32, {10, 100}).ok());
  EXPECT_EQ(t.raw_data(), before);
  ASSERT_TRUE(t.Resize(DType::kInt32, {500}).ok());
  EXPECT_EQ(t.raw_data(), before);
  ASSERT_TRUE(t.Resize(DType::kFloat64, {1000}).ok());  // 8000 bytes > 4000.
  EXPECT_GE(t.capacity(), 8000u);
}

TEST(TensorTest, ScalarAndEmptyShapes) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat64, {}).ok());
  EXPECT_EQ(t.numel(), 1);
  ASSERT_TRUE(t.Resize(DType::kFloat64, {3, 0, 5}).ok());
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.nbytes(), 0u);
}

TEST(TensorTest, NegativeDimIsInvalid) {
  Tensor t;
  absl::Status s = t.Resize(DType::kFloat32, {2, -1});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("negative"), std::string::npos);
  EXPECT_FALSE(t.initialized());
}

TEST(TensorTest, OverflowingDimsAreRejectedAndTensorUnchanged) {
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {4}).ok());
  const int64_t big = int64_t{1} << 40;
  absl::Status s = t.Resize(DType::kFloat32, {big, big});  // 2^80 elements.
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("overflows int64"), std::string::npos);
  EXPECT_EQ(t.dims(), std::vector<int64_t>({4}));
}

TEST(TensorTest, AllocationLimitIsEnforcedBeforeAllocating) {
  // 2^35 floats = 128 GiB, above the 16 GiB default: refused, never attempted.
  Tensor t;
  absl::Status s = t.Resize(DType::kFloat32, {int64_t{1} << 35});
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("allocation limit"), std::string::npos);
}

TEST(TensorTest, RankLimit) {
  Tensor t;
  std::vector<int64_t> dims(TensorLimits().max_rank + 1, 1);
  EXPECT_EQ(t.Resize(DType::kFloat32, dims).code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorTest, CloneDuplicatesData) {
  absl::StatusOr<Tensor> a = Tensor::FromVector<int64_t>({3}, std::vector<int64_t>{1, 2, 3});
  ASSERT_TRUE(a.ok());
  absl::StatusOr<Tensor> clone = a->Clone();
  ASSERT_TRUE(clone.ok()) << clone.status();
  Tensor b = *std::move(clone);
  b.mutable_data<int64_t>()[0] = 42;
  EXPECT_EQ(a->data<int64_t>()[0], 1);
  EXPECT_EQ(b.data<int64_t>()[0], 42);
  EXPECT_EQ(b.dims(), a->dims());
}

TEST(TensorTest, FromVectorChecksCount) {
  absl::StatusOr<Tensor> t = Tensor::FromVector<float>({2, 2}, std::vector<float>{1, 2, 3});
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorTest, DTypeFromProtoMatchesCaffe2Values) {
  // Values of caffe2.proto's TensorProto.DataType.
  EXPECT_EQ(*DTypeFromProto(1), DType::kFloat32);
  EXPECT_EQ(*DTypeFromProto(2), DType::kInt32);
  EXPECT_EQ(*DTypeFromProto(5), DType::kBool);
  EXPECT_EQ(*DTypeFromProto(6), DType::kUint8);
  EXPECT_EQ(*DTypeFromProto(10), DType::kInt64);
  EXPECT_EQ(*DTypeFromProto(13), DType::kFloat64);
  EXPECT_EQ(DTypeFromProto(12).status().code(), absl::StatusCode::kInvalidArgument);  // FLOAT16
  EXPECT_EQ(*DTypeFromProto(4), DType::kString);
}

}  // namespace
}  // namespace opgraph

namespace opgraph {
namespace {

TEST(TensorTest, CloneOfAnUninitializedTensorIsUninitialized) {
  Tensor t;
  absl::StatusOr<Tensor> c = t.Clone();
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->initialized());
}

TEST(TensorTest, CloneBeyondTheAllocationLimitIsResourceExhausted) {
  // Resize succeeds within the default limit; the copy, under a smaller
  // limit, is refused (a Status, never an abort).
  Tensor t;
  ASSERT_TRUE(t.Resize(DType::kFloat32, {1024}).ok());
  TensorLimits small;
  small.max_bytes = 1024;
  absl::StatusOr<Tensor> c = t.Clone(small);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(TensorTest, VersionChangesOnEveryWriteAndAssignment) {
  Tensor t;
  const uint64_t v0 = t.version();
  ASSERT_TRUE(t.Resize(DType::kFloat32, {4}).ok());
  const uint64_t v1 = t.version();
  EXPECT_NE(v1, v0);
  t.mutable_data<float>()[0] = 1;
  const uint64_t v2 = t.version();
  EXPECT_NE(v2, v1);
  (void)t.data<float>();  // reading does not count
  EXPECT_EQ(t.version(), v2);
  Tensor other;
  ASSERT_TRUE(other.Resize(DType::kFloat32, {4}).ok());
  t = std::move(other);
  EXPECT_GT(t.version(), v2);
}

TEST(TensorTest, SetTypeWithinCapacityNeverAllocates) {
  Tensor t;
  ASSERT_TRUE(t.Reserve(64).ok());
  const void* storage = t.raw_data();
  EXPECT_TRUE(t.SetTypeWithinCapacity(TensorType{DType::kFloat32, {4, 4}}, 16));
  EXPECT_EQ(t.raw_data(), storage);
  EXPECT_EQ(t.dims(), (std::vector<int64_t>{4, 4}));
  EXPECT_FALSE(t.SetTypeWithinCapacity(TensorType{DType::kFloat64, {4, 4}}, 16));
  EXPECT_EQ(t.dtype(), DType::kFloat32);  // unchanged on refusal
}

TEST(TensorTest, ReserveKeepsTheContents) {
  absl::StatusOr<Tensor> a = Tensor::FromVector<float>({3}, std::vector<float>{1, 2, 3});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->Reserve(1 << 20).ok());
  EXPECT_GE(a->capacity(), size_t{1} << 20);
  EXPECT_EQ(a->dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(a->data<float>()[2], 3.0f);
}

}  // namespace
}  // namespace opgraph
