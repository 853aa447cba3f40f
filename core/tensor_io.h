// Reading and writing tensors: TensorProto messages and NumPy .npy files.
//
// Every function here validates its input completely before it allocates
// the tensor, and every error names the source (tensor name or file) and
// what is wrong. Nothing here keeps state; all functions may be called
// concurrently.
#ifndef OPGRAPH_CORE_TENSOR_IO_H_
#define OPGRAPH_CORE_TENSOR_IO_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net_io.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The tensor carried by `proto`, following Caffe2's conventions:
//   FLOAT   float_data, or raw_data (4 bytes per element, little-endian)
//   DOUBLE  double_data, or raw_data
//   INT32   int32_data, or raw_data
//   INT64   int64_data, or byte_data / raw_data (8 bytes per element)
//   BOOL    int32_data (0 or 1), or byte_data / raw_data (one byte, 0 or 1)
//   UINT8   int32_data (0..255), or byte_data / raw_data
//   STRING  string_data, one (byte) string per element
// Empty dims mean a scalar (one element).
// InvalidArgument, naming the tensor (proto.name()), when: data_type is not
// one of the seven above (FLOAT16, BYTE, ... are named in the
// message); a dim is negative; the number of values carried differs from
// the product of dims (both counts are given); raw_data or byte_data is not
// a whole number of elements; values sit in a field that does not belong to
// the data_type, or in two fields at once; a BOOL value is not 0 or 1, or
// a UINT8 value is outside 0..255; a segment (chunked tensor) is present.
// ResourceExhausted when the dims overflow or exceed `limits` (for STRING,
// when the element array plus the strings' bytes exceed limits.max_bytes).
absl::StatusOr<Tensor> TensorFromProto(const TensorProto& proto, const TensorLimits& limits = {});

// `tensor` as a TensorProto named `name`, with the values in the typed field
// Caffe2 uses for the dtype (BOOL and UINT8 in int32_data). `tensor` must be
// initialized (a programmer error otherwise).
TensorProto TensorToProto(const Tensor& tensor, const std::string& name);

// NumPy .npy files: format versions 1.0, 2.0 and 3.0, C order, dtypes
// '<f4' '<f8' '<i4' '<i8' '|b1' '|u1' (float32, float64, int32, int64, bool,
// uint8).
//
// Parses the bytes of a .npy file. `source` names them in error messages
// (usually the path). InvalidArgument, naming `source` and the problem, for:
// a wrong magic string or unknown version; a header length that runs past
// the end; a header that is not the dict {'descr': ..., 'fortran_order':
// ..., 'shape': (...)} followed by spaces and one newline (missing,
// duplicate or unknown keys, bad literals); an unsupported dtype (a
// big-endian dtype such as '>f4' is named as such); fortran_order True;
// a negative dim; data bytes that are too few or too many for the shape
// (both sizes are given); a bool byte other than 0 or 1.
// ResourceExhausted when the shape overflows or exceeds `limits`.
absl::StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& source,
                                const TensorLimits& limits = {});

// Reads a .npy file with the checks of ParseNpy; the data is read straight
// into the tensor. NotFound when the file cannot be opened; Internal on a
// read error.
absl::StatusOr<Tensor> ReadNpy(const std::string& path, const TensorLimits& limits = {});

// The .npy bytes of `tensor`, exactly as numpy.save writes them: format 1.0
// (2.0 only when the header needs it), header padded with spaces to a
// multiple of 64 bytes. `tensor` must be initialized and numeric (a string
// tensor is a programmer error; WriteNpy and WriteTensorFile refuse it).
std::string SerializeNpy(const Tensor& tensor);

// Writes SerializeNpy(tensor) to `path`; an error naming the path on I/O
// failure, InvalidArgument for a string tensor.
absl::Status WriteNpy(const std::string& path, const Tensor& tensor);

// True when `path` ends in ".npy", ignoring case ("x.NPY" is NumPy too).
bool IsNpyPath(const std::string& path);

// Reads a file of one tensor by its name: IsNpyPath as NumPy; anything else
// (".pb", ".pbtxt", ...) as a TensorProto, a BlobProto holding a tensor, or
// a TensorProtos of exactly one tensor (ReadTensorsFile), binary or text
// (".pbtxt"/".prototxt"/".txt" are text only). The errors of ReadNpy,
// ReadProtoFile and TensorFromProto, each naming `path`, under the limits
// given; InvalidArgument when a TensorProtos holds several tensors.
absl::StatusOr<Tensor> ReadTensorFile(const std::string& path, const ProtoLimits& proto_limits = {},
                                      const TensorLimits& tensor_limits = {});

// One tensor of a tensor file and the name the file gives it ("" when it
// gives none).
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Reads every tensor of a tensor file, in the formats Caffe2 writes:
//   .npy (any case)          one tensor, no name;
//   TensorProto              one tensor, its `name`;
//   BlobProto of a tensor    one tensor (type "Tensor"), named by the
//                            blob's name, else the tensor's;
//   TensorProtos             each tensor, under its own `name`.
// Text files (.pbtxt, .prototxt, .txt) are told apart by their field names.
// A binary file is read as the first of BlobProto, TensorProtos and
// TensorProto that parses with no undeclared fields (the three share field
// numbers with other types, so an undeclared field means "not this one").
// Errors as ReadTensorFile's, naming `path`; InvalidArgument for a
// BlobProto that does not hold a tensor (its type is named).
absl::StatusOr<std::vector<NamedTensor>> ReadTensorsFile(const std::string& path,
                                                         const ProtoLimits& proto_limits = {},
                                                         const TensorLimits& tensor_limits = {});

// The size in bytes of TensorToProto(tensor, name) serialized, computed
// without building it (reads the values of integer tensors, whose varints
// vary in length). `tensor` must be initialized.
absl::StatusOr<int64_t> TensorProtoByteSize(const Tensor& tensor, const std::string& name);

// ResourceExhausted naming the tensor, its size, protobuf's 2 GiB message
// limit and suggesting .npy when TensorToProto(tensor, name) would exceed
// 2^31 - 1 bytes (or hold more than 2^31 - 1 values); OK otherwise.
absl::Status CheckFitsTensorProto(const Tensor& tensor, const std::string& name);

// The bytes WriteTensorFile writes: SerializeNpy for IsNpyPath, else the
// TensorProto named `name`, text for text-format names and binary
// otherwise, after CheckFitsTensorProto (its error prefixed by `path`).
absl::StatusOr<std::string> SerializeTensorFile(const std::string& path, const Tensor& tensor,
                                                const std::string& name);

// Writes SerializeTensorFile(path, tensor, name) to `path` atomically; its
// errors, or an error naming the path on I/O failure (the old file is then
// untouched). A tensor too large for a TensorProto writes nothing.
absl::Status WriteTensorFile(const std::string& path, const Tensor& tensor,
                             const std::string& name);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_TENSOR_IO_H_
