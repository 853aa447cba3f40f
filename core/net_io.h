// Reading and writing NetDef files.
//
// A file is read as binary protobuf, and when that fails, as text format.
// Names ending in ".pbtxt", ".prototxt" or ".txt" (in any case) are read as
// text only.
//
// Thread safety: every function here keeps no state and may be called
// concurrently (on different messages). Limits are passed in; the defaults
// are those of docs/SECURITY.md.
#ifndef OPGRAPH_CORE_NET_IO_H_
#define OPGRAPH_CORE_NET_IO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net.h"
#include "google/protobuf/message.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// Limits on what a message file may be; see docs/SECURITY.md.
struct ProtoLimits {
  int64_t max_file_bytes = int64_t{1} << 30;  // 1 GiB
  int max_recursion_depth = 64;               // Nets nested inside arguments.
};

// True when `path` names a text-format file by its extension.
bool IsTextProtoPath(const std::string& path);

// Parses `bytes` into `msg`, binary then text. On failure, InvalidArgument
// naming `source` and the reason (for text, protobuf's line and column).
absl::Status ParseProto(const std::string& bytes, const std::string& source, bool text_only,
                        google::protobuf::Message* msg, const ProtoLimits& limits = {});

// Reads a message file. NotFound when it cannot be opened; InvalidArgument
// when it does not parse; ResourceExhausted when over the size limit.
absl::Status ReadProtoFile(const std::string& path, google::protobuf::Message* msg,
                           const ProtoLimits& limits = {});
// ReadNetFile also applies `net_limits` while reading: a binary file is
// scanned for its operator count before it is parsed (ResourceExhausted
// naming NetLimits::max_ops, with nothing allocated per operator), and the
// parsed net, binary or text, passes CheckNetLimits. Reading a net needs at
// most the file's size once for its bytes plus the parsed message (see
// docs/SECURITY.md for measured figures).
absl::StatusOr<NetDef> ReadNetFile(const std::string& path, const ProtoLimits& limits = {},
                                   const NetLimits& net_limits = {});
// What ReadNetFile does once it has the file's bytes (read by the caller,
// e.g. once from a FIFO to sniff its format): `path` names the source in
// messages and decides text-only parsing by its extension.
absl::StatusOr<NetDef> ParseNetBytes(std::string bytes, const std::string& path,
                                     const ProtoLimits& limits = {},
                                     const NetLimits& net_limits = {});

// "Type field N" (prefixed with the path of nested fields, "op[2]: ...")
// for the fields of `msg` and its nested messages that its schema does not
// declare (kept by protobuf as unknown fields); at most 8. Empty when every
// field is declared.
std::vector<std::string> UnknownFields(const google::protobuf::Message& msg);

// The bytes WriteProtoFile writes for `msg`. ResourceExhausted naming
// `path` and protobuf's 2 GiB message limit when the binary message would
// be larger (checked before anything is serialized).
absl::StatusOr<std::string> SerializeProtoFile(const std::string& path,
                                               const google::protobuf::Message& msg);

// Writes `msg` as text when IsTextProtoPath(path) (extension matched
// ignoring case), else binary. Binary
// output is deterministic (fields in number order), so a round trip is byte
// stable. Text output of a message with unknown fields (UnknownFields) is
// refused with InvalidArgument listing them: text format would write them
// as bare numbers that no parser reads back. The file is replaced atomically (WriteStringToFile):
// on an I/O failure, an error naming the path, and the old file is untouched.
absl::Status WriteProtoFile(const std::string& path, const google::protobuf::Message& msg);

// Serializes deterministically to binary.
std::string SerializeDeterministic(const google::protobuf::Message& msg);

// Reads a whole file. NotFound / ResourceExhausted (over max_file_bytes) /
// Internal on a read error.
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             const ProtoLimits& limits = {});
// Replaces the file `path` with `bytes` atomically: WriteFileAtomically
// (core/file_util.h), whose errors it returns.
absl::Status WriteStringToFile(const std::string& path, const std::string& bytes);

}  // namespace opgraph

#endif  // OPGRAPH_CORE_NET_IO_H_
