// Exporting blobs as an init net: a NetDef of GivenTensor*Fill operators
// that recreates chosen blobs of a workspace, so that parameters trained in
// one process (the Python API, a training program) can be loaded by another
// (`opgraph run --init`).
//
// It lives in ops/ rather than core/ because it names the fill operators
// (core/ names no operator; see tests/core/core_names_no_operator_test.cc).
#ifndef OPGRAPH_OPS_EXPORT_INIT_NET_H_
#define OPGRAPH_OPS_EXPORT_INIT_NET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The operator that writes `tensor` into blob `blob` when run:
//   float32 -> GivenTensorFill, float64 -> GivenTensorDoubleFill,
//   int32 -> GivenTensorIntFill, int64 -> GivenTensorInt64Fill,
//   bool -> GivenTensorBoolFill,
//   uint8 -> GivenTensorByteStringToUInt8Fill (one string of the bytes) and
//   string -> GivenTensorStringFill (one string per element), as Caffe2's
//   mobile_exporter writes them.
// float64 values are stored in the float field (as Caffe2 does), so they
// come back rounded to float32 precision.
// InvalidArgument, naming the blob, for an uninitialized tensor.
absl::StatusOr<OperatorDef> GivenTensorFillDef(const Tensor& tensor, const std::string& blob);

// A net named `net_name` with one fill per blob of `blobs`, in that order,
// each blob also listed as an external output. Errors, naming the blob:
// InvalidArgument for an empty list, a blob named twice, or a blob
// GivenTensorFillDef refuses; NotFound when `ws` has no such blob;
// FailedPrecondition when it was created but never written. Reads `ws` only.
absl::StatusOr<NetDef> ExportInitNet(const Workspace& ws, const std::vector<std::string>& blobs,
                                     const std::string& net_name = "init");

}  // namespace opgraph

#endif  // OPGRAPH_OPS_EXPORT_INIT_NET_H_
