#include "core/net_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/wire_format_lite.h"

namespace opgraph {
namespace {

class TextErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      // Protobuf counts from 0.
      first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
      // Caffe2 renamed DeviceOption field 2; old text nets still spell it
      // the old way. The binary form carries only the number and reads.
      for (const char* old_name : {"\"cuda_gpu_id\"", "\"hip_gpu_id\""}) {
        if (absl::StrContains(message, old_name)) {
          absl::StrAppend(&first_, " (Caffe2 renamed DeviceOption.", old_name,
                          " to \"device_id\", the same field 2; write device_id instead)");
        }
      }
    }
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// The number of `op` fields (NetDef field 2) at the top level of the binary
// NetDef `bytes`, counting no further than `stop_after` + 1. Walks the wire
// format without parsing or allocating; stops early, with the count so far,
// at bytes that are not a valid message (the parser reports those).
// `*whole` tells whether the bytes were walked to their end (a
// well-formed binary message as far as the wire format goes).
int64_t CountTopLevelOps(const std::string& bytes, int64_t stop_after, bool* whole) {
  *whole = false;
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return 0;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(INT32_MAX);
  constexpr int kOpField = NetDef::kOpFieldNumber;
  int64_t ops = 0;
  while (ops <= stop_after) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {
      *whole = in.CurrentPosition() == static_cast<int>(bytes.size());
      break;
    }
    if (google::protobuf::internal::WireFormatLite::GetTagFieldNumber(tag) == kOpField &&
        google::protobuf::internal::WireFormatLite::GetTagWireType(tag) ==
            google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      ++ops;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) break;
  }
  return ops;
}

// The number of `op` fields at the top level of the text-format NetDef
// `bytes`, counting no further than `stop_after` + 1: the identifiers "op"
// outside every message (braces or angle brackets), skipping strings and
// comments. Reads the bytes once and allocates nothing; on bytes that are
// not text format it counts something meaningless, which the parser then
// refuses anyway.
int64_t CountTopLevelTextOps(const std::string& b, int64_t stop_after) {
  auto ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  const size_t n = b.size();
  int64_t ops = 0;
  int64_t depth = 0;
  size_t i = 0;
  while (i < n && ops <= stop_after) {
    const char c = b[i];
    if (c == '#') {
      while (i < n && b[i] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      for (++i; i < n && b[i] != c && b[i] != '\n'; ++i) {
        if (b[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '{' || c == '<') {
      ++depth;
      ++i;
    } else if (c == '}' || c == '>') {
      if (depth > 0) --depth;
      ++i;
    } else if (ident(c)) {
      size_t j = i;
      while (j < n && ident(b[j])) ++j;
      if (depth == 0 && j - i == 2 && b[i] == 'o' && b[i + 1] == 'p') ++ops;
      i = j;
    } else {
      ++i;
    }
  }
  return ops;
}

}  // namespace

bool IsTextProtoPath(const std::string& path) {
  return absl::EndsWithIgnoreCase(path, ".pbtxt") || absl::EndsWithIgnoreCase(path, ".prototxt") ||
         absl::EndsWithIgnoreCase(path, ".txt");
}

absl::Status ParseProto(const std::string& bytes, const std::string& source, bool text_only,
                        google::protobuf::Message* msg, const ProtoLimits& limits) {
  if (static_cast<int64_t>(bytes.size()) > limits.max_file_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(source, ": ", bytes.size(), " bytes exceeds the limit of ",
                     limits.max_file_bytes, " (ProtoLimits::max_file_bytes)"));
  }
  // Protobuf addresses a message with int: nothing of 2 GiB or more parses,
  // whatever max_file_bytes says, and the casts below must not wrap.
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::ResourceExhaustedError(
        absl::StrCat(source, ": ", bytes.size(), " bytes exceeds protobuf's message size limit of ",
                     INT32_MAX, " bytes"));
  }
  std::string binary_error;
  if (!text_only) {
    google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream in(&raw);
    in.SetRecursionLimit(limits.max_recursion_depth);
    in.SetTotalBytesLimit(static_cast<int>(std::min<int64_t>(limits.max_file_bytes, INT32_MAX)));
    msg->Clear();
    if (msg->MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage() &&
        msg->IsInitialized()) {
      return absl::OkStatus();
    }
    binary_error =
        msg->IsInitialized()
            ? absl::StrCat("not a valid binary ", msg->GetTypeName(),
                           " (or nested deeper than the limit of ", limits.max_recursion_depth,
                           " messages, ProtoLimits::max_recursion_depth)")
            : "binary " + msg->GetTypeName() +
                  " is missing required fields: " + msg->InitializationErrorString();
  }
  msg->Clear();
  TextErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.SetRecursionLimit(limits.max_recursion_depth);
  if (parser.ParseFromString(bytes, msg)) return absl::OkStatus();
  msg->Clear();
  if (text_only) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a valid text-format ",
                                                   msg->GetTypeName(), ": ", errors.first()));
  }
  return absl::InvalidArgumentError(absl::StrCat(source, ": cannot parse as ", msg->GetTypeName(),
                                                 ": ", binary_error,
                                                 "; as text format: ", errors.first()));
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, const ProtoLimits& limits) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  std::string out;
  char buf[1 << 16];
  const int64_t limit = limits.max_file_bytes;
  // Reserve the file's size up front (when it has one within the limit), so
  // that the bytes are held once, not grown by doubling.
  struct stat st;
  const bool have_stat = fstat(fileno(f), &st) == 0;
  if (have_stat && S_ISDIR(st.st_mode)) {
    std::fclose(f);
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  // Anything else that is not a regular file (a pipe, a FIFO, a character
  // device, /dev/stdin) is read as a stream up to the limit.
  if (have_stat && S_ISREG(st.st_mode) && st.st_size >= 0 && st.st_size <= limit) {
    out.reserve(static_cast<size_t>(st.st_size) + 1);
  }
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
    out.append(buf, n);
    if (static_cast<int64_t>(out.size()) > limit) {
      std::fclose(f);
      return absl::ResourceExhaustedError(absl::StrCat(path, ": larger than the limit of ", limit,
                                                       " bytes (ProtoLimits::max_file_bytes)"));
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return absl::InternalError(absl::StrCat(path, ": read error"));
  return out;
}

absl::Status WriteStringToFile(const std::string& path, const std::string& bytes) {
  return WriteFileAtomically(path, bytes);
}

absl::Status ReadProtoFile(const std::string& path, google::protobuf::Message* msg,
                           const ProtoLimits& limits) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path, limits);
  if (!bytes.ok()) return bytes.status();
  return ParseProto(*bytes, path, IsTextProtoPath(path), msg, limits);
}

absl::StatusOr<NetDef> ReadNetFile(const std::string& path, const ProtoLimits& limits,
                                   const NetLimits& net_limits) {
  absl::StatusOr<std::string> bytes = ReadFileToString(path, limits);
  if (!bytes.ok()) return bytes.status();
  return ParseNetBytes(*std::move(bytes), path, limits, net_limits);
}

absl::StatusOr<NetDef> ParseNetBytes(std::string file_bytes, const std::string& path,
                                     const ProtoLimits& limits, const NetLimits& net_limits) {
  std::string* bytes = &file_bytes;
  const bool text_only = IsTextProtoPath(path);
  // Operators are counted before parsing: in the wire format for a binary
  // file, by a scan of the text otherwise (a text-only name, or bytes that
  // are not a whole binary message, which ParseProto reads as text).
  {
    bool whole = false;
    int64_t ops = text_only ? 0 : CountTopLevelOps(*bytes, net_limits.max_ops, &whole);
    if (!whole && ops <= net_limits.max_ops) {
      ops = CountTopLevelTextOps(*bytes, net_limits.max_ops);
    }
    if (ops > net_limits.max_ops) {
      return absl::ResourceExhaustedError(absl::StrCat(
          path, ": the net has more than ", net_limits.max_ops,
          " operators, over the limit NetLimits::max_ops (found while reading, before parsing)"));
    }
  }
  NetDef net;
  absl::Status s = ParseProto(*bytes, path, text_only, &net, limits);
  if (!s.ok()) return s;
  // The bytes are no longer needed; free them before the checks below.
  std::string().swap(*bytes);
  s = CheckNetLimits(net, net_limits);
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  return net;
}

std::string SerializeDeterministic(const google::protobuf::Message& msg) {
  std::string out;
  google::protobuf::io::StringOutputStream raw(&out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  msg.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

namespace {

void CollectUnknownFields(const google::protobuf::Message& msg, const std::string& where,
                          std::vector<std::string>* out) {
  const google::protobuf::Reflection* r = msg.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown = r->GetUnknownFields(msg);
  for (int i = 0; i < unknown.field_count() && out->size() < 8; ++i) {
    out->push_back(absl::StrCat(where, msg.GetTypeName(), " field ", unknown.field(i).number()));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(msg, f) && out->size() < 8; ++j) {
        CollectUnknownFields(r->GetRepeatedMessage(msg, f, j),
                             absl::StrCat(where, f->name(), "[", j, "]: "), out);
      }
    } else {
      CollectUnknownFields(r->GetMessage(msg, f), absl::StrCat(where, f->name(), ": "), out);
    }
  }
}

}  // namespace

std::vector<std::string> UnknownFields(const google::protobuf::Message& msg) {
  std::vector<std::string> out;
  CollectUnknownFields(msg, "", &out);
  return out;
}

absl::StatusOr<std::string> SerializeProtoFile(const std::string& path,
                                               const google::protobuf::Message& msg) {
  const size_t size = msg.ByteSizeLong();
  if (size > size_t{std::numeric_limits<int32_t>::max()}) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": the ", msg.GetDescriptor()->name(), " is ", size,
                     " bytes, over protobuf's message size limit of 2 GiB; it cannot be written"));
  }
  std::string bytes;
  if (IsTextProtoPath(path)) {
    // Text format would print unknown fields as bare numbers, which no text
    // parser reads back; refuse instead of writing a file that cannot be
    // read. Binary output keeps them byte for byte.
    const std::vector<std::string> unknown = UnknownFields(msg);
    if (!unknown.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": the ", msg.GetTypeName(), " holds fields that opgraph's format does not ",
          "declare (", absl::StrJoin(unknown, ", "), unknown.size() >= 8 ? ", ..." : "",
          "); text format cannot carry them so that they read back. Write binary (.pb) to keep "
          "them."));
    }
    if (!google::protobuf::TextFormat::PrintToString(msg, &bytes)) {
      return absl::InternalError(absl::StrCat(path, ": cannot print as text"));
    }
  } else {
    bytes = SerializeDeterministic(msg);
  }
  return bytes;
}

absl::Status WriteProtoFile(const std::string& path, const google::protobuf::Message& msg) {
  absl::StatusOr<std::string> bytes = SerializeProtoFile(path, msg);
  if (!bytes.ok()) return bytes.status();
  return WriteStringToFile(path, *bytes);
}

}  // namespace opgraph
