// The bodies of opgraph's fuzz targets, shared by the libFuzzer executables
// (tests/fuzz/*_fuzzer.cc) and by the ordinary test that replays the seed
// corpora and every saved regression input (tests/core/hostile_input_test.cc).
//
// Each target takes arbitrary bytes and must return normally: a crash, a
// sanitizer report, a hang or an allocation beyond the limits of
// FuzzLimitsInUse() is a finding. Beyond "no crash", each target checks an
// invariant and traps when it breaks:
//   net_parse     a parsed NetDef serializes, parses back, and serializes to
//                 the same bytes; CheckNetLimits and the text printer work on it.
//   net_run       a net that fails creation leaves the workspace as it was;
//                 one that is created runs (or fails cleanly) twice and again
//                 after an input changes shape; a failed run leaves the
//                 inputs it does not write unchanged.
//   npy           a parsed .npy file serializes and parses back to the same
//                 dtype, dims and bytes.
//   tensor_proto  a tensor read from a TensorProto converts back to a proto
//                 that reads back to the same tensor.
//
// Header-only on purpose: the test executables are one source file each.
#ifndef OPGRAPH_TESTS_FUZZ_FUZZ_TARGETS_H_
#define OPGRAPH_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/gradient.h"
#include "core/net.h"
#include "core/net_io.h"
#include "core/tensor.h"
#include "core/tensor_io.h"
#include "core/workspace.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/text_format.h"
#include "proto/opgraph.pb.h"

namespace opgraph {
namespace fuzz {

// A broken invariant: stop here so that libFuzzer (or the test) reports it
// with a stack trace.
#define OPGRAPH_FUZZ_ASSERT(cond)                                                             \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

// The limits the fuzz targets run under: small enough that no input can
// make one execution take long or use much memory, large enough for every
// seed.
struct FuzzLimits {
  TensorLimits tensor;
  ProtoLimits proto;
  NetLimits net;
};

inline FuzzLimits SmallFuzzLimits() {
  FuzzLimits l;
  l.tensor.max_rank = 8;
  l.tensor.max_bytes = int64_t{256} << 10;  // 256 KiB per tensor.
  l.proto.max_file_bytes = int64_t{1} << 20;
  l.net.max_ops = 32;
  return l;
}

// The limits every target passes to the readers and workspaces it uses.
inline const FuzzLimits& FuzzLimitsInUse() {
  static const FuzzLimits* limits = new FuzzLimits(SmallFuzzLimits());
  return *limits;
}

// A workspace under the fuzz limits, with a 16 MiB memory budget.
inline WorkspaceOptions FuzzWorkspaceOptions() {
  WorkspaceOptions o;
  o.tensor = FuzzLimitsInUse().tensor;
  o.net = FuzzLimitsInUse().net;
  o.memory_budget_bytes = int64_t{16} << 20;
  return o;
}

// Once per process, from LLVMFuzzerInitialize: protobuf's log messages
// about malformed input silenced (they are expected).
inline void InitFuzzing() { google::protobuf::SetLogHandler(nullptr); }

inline std::string AsString(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// ---------------------------------------------------------------- net_parse

inline void FuzzNetParse(const uint8_t* data, size_t size) {
  const std::string bytes = AsString(data, size);
  for (bool text_only : {false, true}) {
    NetDef net;
    if (!ParseProto(bytes, "fuzz", text_only, &net, FuzzLimitsInUse().proto).ok()) continue;
    CheckNetLimits(net, FuzzLimitsInUse().net).IgnoreError();
    const std::string once = SerializeDeterministic(net);
    NetDef again;
    OPGRAPH_FUZZ_ASSERT(ParseProto(once, "reserialized", false, &again).ok());
    OPGRAPH_FUZZ_ASSERT(SerializeDeterministic(again) == once);
    std::string text;
    google::protobuf::TextFormat::PrintToString(net, &text);
  }
}

// ------------------------------------------------------------------ net_run

// The blobs every net_run input can read. Short names, so that the fuzzer
// finds them; the seed corpus uses them too.
inline void FeedFuzzInputs(Workspace* ws) {
  auto feed = [&](const std::string& name, absl::StatusOr<Tensor> t) {
    OPGRAPH_FUZZ_ASSERT(t.ok());
    OPGRAPH_FUZZ_ASSERT(ws->FeedBlob(name, *std::move(t)).ok());
  };
  feed("X", Tensor::FromVector<float>({2, 3}, std::vector<float>{-2, -0.5f, 0, 0.5f, 1, 3}));
  feed("W", Tensor::FromVector<float>({4, 3}, std::vector<float>(12, 0.25f)));
  feed("b", Tensor::FromVector<float>({4}, std::vector<float>{0, 1, -1, 2}));
  feed("D", Tensor::FromVector<double>({2, 2}, std::vector<double>{-1, 0, 1, 2}));
  feed("I", Tensor::FromVector<int32_t>({2}, std::vector<int32_t>{1, 0}));
  feed("L", Tensor::FromVector<int64_t>({3}, std::vector<int64_t>{0, 2, 1}));
  const bool flags[] = {true, false};  // std::vector<bool> has no span.
  feed("B", Tensor::FromVector<bool>({2}, absl::Span<const bool>(flags)));
  feed("S", Tensor::FromVector<float>({}, std::vector<float>{0.5f}));
}

// Snapshot of a workspace: every blob's name, type and bytes.
struct BlobSnapshot {
  std::string name;
  bool initialized = false;
  TensorType type;
  std::string bytes;
  bool operator==(const BlobSnapshot& o) const {
    return name == o.name && initialized == o.initialized && type == o.type && bytes == o.bytes;
  }
};

// A tensor's values as bytes: the raw storage of a numeric tensor; for a
// string tensor (whose elements are std::string objects, not bytes) each
// element's length and bytes in turn.
inline std::string ValueBytes(const Tensor& t) {
  if (t.dtype() != DType::kString) {
    return std::string(static_cast<const char*>(t.raw_data()), t.nbytes());
  }
  std::string out;
  const std::string* e = t.data<std::string>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    out += std::to_string(e[i].size());
    out += ':';
    out += e[i];
  }
  return out;
}

inline std::vector<BlobSnapshot> Snapshot(const Workspace& ws) {
  std::vector<BlobSnapshot> out;
  for (const std::string& name : ws.Blobs()) {
    const Tensor* t = ws.GetBlob(name);
    BlobSnapshot s;
    s.name = name;
    s.initialized = t->initialized();
    if (s.initialized) {
      s.type = t->type();
      s.bytes = ValueBytes(*t);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The snapshot entries of blobs that no operator of `net` writes.
inline std::vector<BlobSnapshot> NotWrittenBy(const NetDef& net, std::vector<BlobSnapshot> snap) {
  std::vector<BlobSnapshot> out;
  for (BlobSnapshot& s : snap) {
    bool written = false;
    for (const OperatorDef& op : net.op()) {
      for (const std::string& o : op.output()) written = written || o == s.name;
    }
    if (!written) out.push_back(std::move(s));
  }
  return out;
}

inline void RunAndCheck(Workspace* ws, Net* net) {
  const std::vector<BlobSnapshot> before = NotWrittenBy(net->def(), Snapshot(*ws));
  absl::Status s = net->Run();
  if (!s.ok()) {
    OPGRAPH_FUZZ_ASSERT(!s.message().empty());
    OPGRAPH_FUZZ_ASSERT(NotWrittenBy(net->def(), Snapshot(*ws)) == before);
  }
}

inline void FuzzNetRun(const uint8_t* data, size_t size) {
  NetDef def;
  if (!ParseProto(AsString(data, size), "fuzz", false, &def, FuzzLimitsInUse().proto).ok()) {
    return;
  }
  // Gradient makers must cope with any operator definition.
  for (const OperatorDef& op : def.op()) GetGradientDefs(op).status().IgnoreError();

  Workspace ws(FuzzWorkspaceOptions());
  FeedFuzzInputs(&ws);
  const std::vector<BlobSnapshot> before = Snapshot(ws);
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  if (!net.ok()) {
    OPGRAPH_FUZZ_ASSERT(!net.status().message().empty());
    OPGRAPH_FUZZ_ASSERT(Snapshot(ws) == before);
    return;
  }
  RunAndCheck(&ws, *net);
  RunAndCheck(&ws, *net);  // Reuses the outputs of the first run.
  // A new shape for an input forces inference again at run time.
  OPGRAPH_FUZZ_ASSERT(
      ws.FeedBlob("X", *Tensor::FromVector<float>({3, 1}, std::vector<float>{4, -4, 0.25f})).ok());
  RunAndCheck(&ws, *net);
}

// ---------------------------------------------------------------------- npy

inline void FuzzNpy(const uint8_t* data, size_t size) {
  absl::StatusOr<Tensor> t = ParseNpy(AsString(data, size), "fuzz.npy", FuzzLimitsInUse().tensor);
  if (!t.ok()) {
    OPGRAPH_FUZZ_ASSERT(!t.status().message().empty());
    return;
  }
  absl::StatusOr<Tensor> back = ParseNpy(SerializeNpy(*t), "reserialized.npy");
  OPGRAPH_FUZZ_ASSERT(back.ok());
  OPGRAPH_FUZZ_ASSERT(back->type() == t->type());
  OPGRAPH_FUZZ_ASSERT(ValueBytes(*back) == ValueBytes(*t));
}

// ------------------------------------------------------------- tensor_proto

inline void FuzzTensorProto(const uint8_t* data, size_t size) {
  TensorProto proto;
  if (!ParseProto(AsString(data, size), "fuzz", false, &proto, FuzzLimitsInUse().proto).ok()) {
    return;
  }
  absl::StatusOr<Tensor> t = TensorFromProto(proto, FuzzLimitsInUse().tensor);
  if (!t.ok()) {
    OPGRAPH_FUZZ_ASSERT(!t.status().message().empty());
    return;
  }
  absl::StatusOr<Tensor> back = TensorFromProto(TensorToProto(*t, proto.name()));
  OPGRAPH_FUZZ_ASSERT(back.ok());
  OPGRAPH_FUZZ_ASSERT(back->type() == t->type());
  OPGRAPH_FUZZ_ASSERT(ValueBytes(*back) == ValueBytes(*t));
}

// Every target by name, for the replay test and the fuzz script.
struct FuzzTarget {
  const char* name;
  void (*run)(const uint8_t*, size_t);
};
inline const std::vector<FuzzTarget>& AllFuzzTargets() {
  static const std::vector<FuzzTarget>* targets = new std::vector<FuzzTarget>{
      {"net_parse", FuzzNetParse},
      {"net_run", FuzzNetRun},
      {"npy", FuzzNpy},
      {"tensor_proto", FuzzTensorProto},
  };
  return *targets;
}

}  // namespace fuzz
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_FUZZ_FUZZ_TARGETS_H_
