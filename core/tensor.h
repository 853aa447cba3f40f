// Tensor: a typed, dense, C-order array with 64-byte-aligned storage.
//
// Thread safety: a Tensor is not synchronized. Concurrent const access is
// safe; any mutation needs exclusive access.
#ifndef OPGRAPH_CORE_TENSOR_H_
#define OPGRAPH_CORE_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "glog/logging.h"

namespace opgraph {

// Element types. The values are those of TensorProto::DataType, so a dtype
// converts to and from the wire format by a cast.
enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kInt32 = 2,
  // std::string elements (Caffe2's STRING: a blob of byte strings). Only the
  // operators that say so take them (OpSchema::AcceptsStrings); the values
  // live in a std::vector<std::string>, never in the aligned byte storage.
  kString = 4,
  kBool = 5,
  kUint8 = 6,
  kInt64 = 10,
  kFloat64 = 13,
};

// Size in bytes of one element; 0 for kUndefined. For kString it is
// sizeof(std::string), the fixed part of an element: limits on element
// counts use it, and the bytes of the strings themselves are counted apart
// (Tensor::string_bytes()).
size_t DTypeSize(DType dtype);
// "float32", "float64", "int32", "int64", "bool", "uint8", "string" or
// "undefined".
const char* DTypeName(DType dtype);
// The dtype for a TensorProto::DataType value, or InvalidArgument naming the
// value when opgraph does not support it.
absl::StatusOr<DType> DTypeFromProto(int32_t data_type);

template <typename T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kFloat64;
};
template <>
struct DTypeOf<int32_t> {
  static constexpr DType value = DType::kInt32;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kInt64;
};
template <>
struct DTypeOf<bool> {
  static constexpr DType value = DType::kBool;
};
template <>
struct DTypeOf<uint8_t> {
  static constexpr DType value = DType::kUint8;
};
template <>
struct DTypeOf<std::string> {
  static constexpr DType value = DType::kString;
};

// Limits on what a tensor may hold. They guard against hostile files that
// declare absurd shapes; see docs/SECURITY.md. A plain value: a workspace
// holds its own (WorkspaceOptions, core/workspace.h), the file readers take
// them as an argument, and a default-constructed one holds the defaults.
struct TensorLimits {
  int max_rank = 32;
  // Largest single allocation, in bytes. Default 16 GiB.
  int64_t max_bytes = int64_t{16} << 30;
};

// The number of elements of `dims`: InvalidArgument for a negative dim or a
// rank above limits.max_rank, ResourceExhausted when the product overflows
// int64 or `dims` times the element size exceeds limits.max_bytes.
absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> dims, DType dtype,
                                           const TensorLimits& limits = {});

// "[2, 3, 4]".
std::string DimsToString(absl::Span<const int64_t> dims);

// The type and shape of a tensor, without data. Used by shape inference.
struct TensorType {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> dims;

  bool operator==(const TensorType& o) const { return dtype == o.dtype && dims == o.dims; }
  bool operator!=(const TensorType& o) const { return !(*this == o); }
  // "float32[2, 3]".
  std::string ToString() const;
};

class Tensor {
 public:
  Tensor() = default;
  // No implicit copies: a copy allocates, so it is an explicit Clone().
  Tensor(const Tensor& other) = delete;
  Tensor& operator=(const Tensor& other) = delete;
  // Moving leaves `other` empty (uninitialized). The target's version()
  // moves past both tensors' versions, so a net watching the target sees
  // the change.
  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;

  // A deep copy. ResourceExhausted when the storage cannot be allocated or
  // the tensor is over `limits` (for kString, the element array plus the
  // strings' bytes must fit in limits.max_bytes).
  absl::StatusOr<Tensor> Clone(const TensorLimits& limits = {}) const;

  // Sets dtype and dims. Existing storage is kept when it is large enough
  // (its contents are then unspecified), so rewriting an output of the same
  // size allocates nothing. Returns the errors of CheckedNumElements(dims,
  // dtype, limits); on error the tensor is unchanged. For kString the
  // elements are std::string objects: those kept keep their value, new ones
  // are empty, and leaving kString destroys them all.
  absl::Status Resize(DType dtype, absl::Span<const int64_t> dims, const TensorLimits& limits = {});
  absl::Status ResizeLike(const Tensor& other) { return Resize(other.dtype(), other.dims()); }
  absl::Status Resize(const TensorType& type) { return Resize(type.dtype, type.dims); }

  // Makes a tensor of the given type and shape, zero-filled.
  static absl::StatusOr<Tensor> Zeros(DType dtype, absl::Span<const int64_t> dims);
  // Makes a tensor holding `values` with the given dims; InvalidArgument when
  // the counts differ.
  template <typename T>
  static absl::StatusOr<Tensor> FromVector(absl::Span<const int64_t> dims,
                                           absl::Span<const T> values);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  int ndim() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * DTypeSize(dtype_); }
  TensorType type() const { return TensorType{dtype_, dims_}; }
  // True once Resize succeeded at least once.
  bool initialized() const { return dtype_ != DType::kUndefined; }

  template <typename T>
  bool IsType() const {
    return dtype_ == DTypeOf<T>::value;
  }

  // Typed access. The dtype must match T (checked: a mismatch is a
  // programmer error, since kernels run only after type inference).
  // data<std::string>() gives the elements of a kString tensor.
  template <typename T>
  const T* data() const {
    CHECK(IsType<T>()) << "tensor holds " << DTypeName(dtype_);
    if constexpr (std::is_same_v<T, std::string>) {
      return strings_.data();
    } else {
      return static_cast<const T*>(raw_data());
    }
  }
  template <typename T>
  T* mutable_data() {
    CHECK(IsType<T>()) << "tensor holds " << DTypeName(dtype_);
    if constexpr (std::is_same_v<T, std::string>) {
      ++version_;
      return strings_.data();
    } else {
      return static_cast<T*>(raw_mutable_data());
    }
  }
  // The element bytes of a numeric tensor. A kString tensor has none (its
  // elements are objects, not bytes): asking is a programmer error, checked,
  // so no code path can memcpy a std::string.
  const void* raw_data() const {
    CHECK(dtype_ != DType::kString) << "raw_data() of a string tensor";
    return storage_.get();
  }
  void* raw_mutable_data() {
    CHECK(dtype_ != DType::kString) << "raw_mutable_data() of a string tensor";
    ++version_;
    return storage_.get();
  }
  // Bytes held: the byte storage, which may exceed nbytes(), plus, for a
  // kString tensor, the element array and the strings' own buffers.
  size_t capacity() const;
  // The total length of the strings of a kString tensor; 0 otherwise.
  size_t string_bytes() const;

  // Grows the storage to at least `bytes`, keeping dtype, dims and the
  // current contents. ResourceExhausted when allocation fails (the tensor is
  // then unchanged).
  absl::Status Reserve(size_t bytes);
  // Sets dtype and dims without allocating: false (and no change) when the
  // storage is smaller than the new shape needs. The contents are then
  // unspecified. kString is the exception: its elements are objects, which
  // are constructed (empty) or destroyed here, and leaving kString frees
  // them. `numel` must be the element count of `type` (the caller
  // has it from shape inference). Used by Net before each operator runs.
  bool SetTypeWithinCapacity(const TensorType& type, int64_t numel);

  // Changes whenever the tensor may have changed: every mutable access,
  // Resize, Reserve and assignment. Nets compare it to notice that a blob
  // they treat as constant (packed weights) was rewritten.
  uint64_t version() const { return version_; }

  // "float32[2, 3]".
  std::string DebugString() const { return type().ToString(); }

 private:
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  // Makes strings_ hold `numel` elements when `new_dtype` is kString (false,
  // and strings_ unchanged, when that cannot be allocated), and frees it
  // otherwise.
  bool SetStringCount(DType new_dtype, int64_t numel);
  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  std::unique_ptr<void, FreeDeleter> storage_;
  size_t capacity_ = 0;  // bytes of storage_
  // The elements of a kString tensor (numel_ of them); empty otherwise.
  std::vector<std::string> strings_;
  uint64_t version_ = 0;
};

// A borrowed tensor, for arguments that read tensors without copying them:
// converts implicitly from an lvalue or a temporary (which lives until the
// end of the full expression that made it).
class TensorRef {
 public:
  TensorRef(const Tensor& t) : t_(&t) {}  // NOLINT(google-explicit-constructor)
  const Tensor& get() const { return *t_; }
  const Tensor* operator->() const { return t_; }

 private:
  const Tensor* t_;
};

template <typename T>
absl::StatusOr<Tensor> Tensor::FromVector(absl::Span<const int64_t> dims,
                                          absl::Span<const T> values) {
  Tensor t;
  absl::Status s = t.Resize(DTypeOf<T>::value, dims);
  if (!s.ok()) return s;
  if (static_cast<size_t>(t.numel()) != values.size()) {
    return absl::InvalidArgumentError("shape " + DimsToString(dims) + " holds " +
                                      std::to_string(t.numel()) + " elements but " +
                                      std::to_string(values.size()) + " values were given");
  }
  T* out = t.template mutable_data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace opgraph

#endif  // OPGRAPH_CORE_TENSOR_H_
