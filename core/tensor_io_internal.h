// Helpers shared by core/tensor_io.cc (TensorProto) and core/npy_io.cc
// (.npy); not part of the public API.
#ifndef OPGRAPH_CORE_TENSOR_IO_INTERNAL_H_
#define OPGRAPH_CORE_TENSOR_IO_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace opgraph {
namespace internal {

// For bool tensors, InvalidArgument naming `label` and the element when a
// byte is neither 0 nor 1; OK for every other dtype.
absl::Status CheckByteValues(const uint8_t* p, size_t n, DType dtype, const std::string& label);

// InvalidArgument naming `where`: a string tensor has no .npy form here
// (numpy keeps byte strings in object arrays, which .npy stores as pickles).
absl::Status NpyRefusesStrings(const std::string& where);

}  // namespace internal
}  // namespace opgraph

#endif  // OPGRAPH_CORE_TENSOR_IO_INTERNAL_H_
