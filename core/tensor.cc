#include "core/tensor.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"

namespace opgraph {
namespace {

constexpr size_t kAlignment = 64;
// Buffers at least this large are aligned to a huge page and advised to use
// transparent huge pages: first touch of 4 KiB pages is the dominant cost of
// a fresh large output on the machines we measure (docs/PERFORMANCE.md).
constexpr size_t kHugePage = size_t{2} << 20;

void* AllocateAligned(size_t bytes) {
  if (bytes == 0) bytes = kAlignment;
  const size_t align = bytes >= kHugePage ? kHugePage : kAlignment;
  const size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (p != nullptr && align == kHugePage) {
    madvise(p, rounded, MADV_HUGEPAGE);  // Advisory; failure is harmless.
  }
  return p;
}

}  // namespace

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kFloat64:
      return 8;
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kBool:
      return 1;
    case DType::kUint8:
      return 1;
    case DType::kString:
      return sizeof(std::string);
    case DType::kUndefined:
      return 0;
  }
  return 0;
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kBool:
      return "bool";
    case DType::kUint8:
      return "uint8";
    case DType::kString:
      return "string";
    case DType::kUndefined:
      return "undefined";
  }
  return "invalid";
}

absl::StatusOr<DType> DTypeFromProto(int32_t data_type) {
  switch (data_type) {
    case 1:
      return DType::kFloat32;
    case 2:
      return DType::kInt32;
    case 4:
      return DType::kString;
    case 5:
      return DType::kBool;
    case 6:
      return DType::kUint8;
    case 10:
      return DType::kInt64;
    case 13:
      return DType::kFloat64;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "unsupported data_type ", data_type,
          " (supported: FLOAT 1, INT32 2, STRING 4, BOOL 5, UINT8 6, INT64 10, DOUBLE 13)"));
  }
}

std::string DimsToString(absl::Span<const int64_t> dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ", "), "]");
}

std::string TensorType::ToString() const {
  return absl::StrCat(DTypeName(dtype), DimsToString(dims));
}

absl::StatusOr<int64_t> CheckedNumElements(absl::Span<const int64_t> dims, DType dtype,
                                           const TensorLimits& limits) {
  if (static_cast<int64_t>(dims.size()) > limits.max_rank) {
    return absl::InvalidArgumentError(absl::StrCat("rank ", dims.size(), " exceeds the limit of ",
                                                   limits.max_rank, " (TensorLimits::max_rank)"));
  }
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative dimension in shape ", DimsToString(dims)));
    }
    if (d != 0 && n > INT64_MAX / d) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the element count of shape ", DimsToString(dims), " overflows int64"));
    }
    n *= d;
  }
  // A zero dim after an overflowing prefix is not an overflow, but the loop
  // above already rejected it; that is the conservative choice.
  const int64_t elem = static_cast<int64_t>(DTypeSize(dtype));
  if (elem > 0 && n > limits.max_bytes / elem) {
    return absl::ResourceExhaustedError(
        absl::StrCat("shape ", DimsToString(dims), " of ", DTypeName(dtype), " needs ", n,
                     " elements, over the allocation limit of ", limits.max_bytes,
                     " bytes (TensorLimits::max_bytes)"));
  }
  return n;
}

void Tensor::FreeDeleter::operator()(void* p) const { std::free(p); }

Tensor::Tensor(Tensor&& other) noexcept { *this = std::move(other); }

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this == &other) return *this;
  const uint64_t version = std::max(version_, other.version_) + 1;
  dtype_ = other.dtype_;
  dims_ = std::move(other.dims_);
  numel_ = other.numel_;
  storage_ = std::move(other.storage_);
  capacity_ = other.capacity_;
  strings_ = std::move(other.strings_);
  version_ = version;
  other.dtype_ = DType::kUndefined;
  other.dims_.clear();
  other.numel_ = 0;
  other.capacity_ = 0;
  other.strings_.clear();
  ++other.version_;
  return *this;
}

absl::StatusOr<Tensor> Tensor::Clone(const TensorLimits& limits) const {
  Tensor t;
  if (!initialized()) return t;
  absl::Status s = t.Resize(dtype_, dims_, limits);
  if (!s.ok()) return s;
  if (dtype_ == DType::kString) {
    const size_t total = nbytes() + string_bytes();
    if (total > static_cast<uint64_t>(limits.max_bytes)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("copying ", type().ToString(), " needs ", total,
                       " bytes (elements and strings), over "
                       "the allocation limit of ",
                       limits.max_bytes, " bytes (TensorLimits::max_bytes)"));
    }
    try {
      t.strings_ = strings_;
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError(
          absl::StrCat("out of memory copying ", type().ToString(), " (", total, " bytes)"));
    }
    return t;
  }
  if (nbytes() > 0) std::memcpy(t.raw_mutable_data(), raw_data(), nbytes());
  return t;
}

size_t Tensor::capacity() const {
  if (dtype_ != DType::kString) return capacity_;
  return capacity_ + strings_.capacity() * sizeof(std::string) + string_bytes();
}

size_t Tensor::string_bytes() const {
  size_t total = 0;
  for (const std::string& s : strings_) total += s.size();
  return total;
}

bool Tensor::SetStringCount(DType new_dtype, int64_t numel) {
  if (new_dtype != DType::kString) {
    if (strings_.capacity() > 0) std::vector<std::string>().swap(strings_);
    return true;
  }
  try {
    strings_.resize(static_cast<size_t>(numel));
  } catch (const std::bad_alloc&) {
    return false;
  } catch (const std::length_error&) {
    return false;
  }
  return true;
}

absl::Status Tensor::Reserve(size_t bytes) {
  if (storage_ != nullptr && bytes <= capacity_) return absl::OkStatus();
  void* p = AllocateAligned(bytes);
  if (p == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "out of memory reserving ", bytes, " bytes for a ", type().ToString(), " tensor"));
  }
  // A string tensor's elements are not in storage_; there is nothing to copy.
  if (storage_ != nullptr && dtype_ != DType::kString && nbytes() > 0) {
    std::memcpy(p, storage_.get(), nbytes());
  }
  storage_.reset(p);
  capacity_ = bytes;
  ++version_;
  return absl::OkStatus();
}

bool Tensor::SetTypeWithinCapacity(const TensorType& type, int64_t numel) {
  if (type.dtype == DType::kString) {
    // The elements are objects in strings_, not bytes of storage_.
    if (!SetStringCount(type.dtype, numel)) return false;
  } else {
    const size_t bytes = static_cast<size_t>(numel) * DTypeSize(type.dtype);
    if (storage_ == nullptr || bytes > capacity_) return false;
    SetStringCount(type.dtype, numel);
  }
  dtype_ = type.dtype;
  dims_ = type.dims;
  numel_ = numel;
  ++version_;
  return true;
}

absl::Status Tensor::Resize(DType dtype, absl::Span<const int64_t> dims,
                            const TensorLimits& limits) {
  // Every operator run resizes its outputs; when nothing changes (the
  // steady state), return before any check, arithmetic or write.
  if (dtype == dtype_ && dtype != DType::kUndefined &&
      (storage_ != nullptr || dtype == DType::kString) && absl::MakeConstSpan(dims_) == dims) {
    return absl::OkStatus();
  }
  if (dtype == DType::kUndefined) {
    return absl::InvalidArgumentError("cannot resize a tensor to dtype undefined");
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(dims, dtype, limits);
  if (!n.ok()) return n.status();
  const size_t bytes = static_cast<size_t>(*n) * DTypeSize(dtype);
  if (dtype == DType::kString) {
    // std::string objects, constructed and destroyed by the vector; the
    // byte storage (if any) is kept for a later numeric type.
    if (!SetStringCount(dtype, *n)) {
      return absl::ResourceExhaustedError(
          absl::StrCat("out of memory allocating ", *n, " strings for ", DimsToString(dims)));
    }
  } else if (storage_ == nullptr || bytes > capacity_) {
    void* p = AllocateAligned(bytes);
    if (p == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "out of memory allocating ", bytes, " bytes for ", DTypeName(dtype), DimsToString(dims)));
    }
    storage_.reset(p);
    capacity_ = bytes;
  }
  if (dtype != DType::kString) SetStringCount(dtype, *n);
  dtype_ = dtype;
  dims_.assign(dims.begin(), dims.end());
  numel_ = *n;
  ++version_;
  return absl::OkStatus();
}

absl::StatusOr<Tensor> Tensor::Zeros(DType dtype, absl::Span<const int64_t> dims) {
  Tensor t;
  absl::Status s = t.Resize(dtype, dims);
  if (!s.ok()) return s;
  // Strings start empty; numbers are zeroed.
  if (dtype != DType::kString && t.nbytes() > 0) std::memset(t.raw_mutable_data(), 0, t.nbytes());
  return t;
}

}  // namespace opgraph
