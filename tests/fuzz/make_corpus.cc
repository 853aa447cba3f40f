// Writes the seed corpora of the fuzz targets into <dir>/<target>/ (the
// committed copy is tests/fuzz/corpus/):
//   net_parse, net_run  small valid nets over the blobs FeedFuzzInputs feeds,
//                       each as text and as binary
//   npy                 .npy files of every supported dtype, a scalar, an
//                       empty tensor, format 1.0 and 2.0 headers
//   tensor_proto        TensorProtos of every supported dtype, typed fields
//                       and raw_data, binary and text
// Usage: make_corpus <dir>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "core/tensor_io.h"
#include "google/protobuf/text_format.h"
#include "tests/fuzz/fuzz_targets.h"

namespace opgraph {
namespace {

// Nets over X float[2,3], W float[4,3], b float[4], D double[2,2],
// I int32[2], L int64[3], B bool[2], S float[].
const char* const kNets[] = {
    R"(name: "selu_softmax"
op { type: "Selu" input: "X" output: "Y" }
op { type: "Softmax" input: "Y" output: "P" arg { name: "axis" i: 1 } })",

    R"(name: "fc_loss"
op { type: "FC" input: "X" input: "W" input: "b" output: "F" }
op { type: "SoftmaxWithLoss" input: "F" input: "I" output: "P" output: "loss" }
op { type: "Accuracy" input: "P" input: "I" output: "acc" })",

    R"(name: "fills"
op { type: "GivenTensorFill" output: "G" arg { name: "shape" ints: 2 ints: 2 }
     arg { name: "values" floats: 1 floats: -2 floats: 3.5 floats: 0 } }
op { type: "ConstantFill" output: "C" arg { name: "shape" ints: 3 } arg { name: "value" f: 2 } }
op { type: "UniformFill" output: "U" arg { name: "shape" ints: 2 ints: 3 } arg { name: "seed" i: 7 } }
op { type: "GaussianFill" output: "N" arg { name: "shape" ints: 4 } arg { name: "seed" i: 3 } }
op { type: "Sum" input: "X" input: "U" output: "Z" })",

    R"(name: "typed_fills"
op { type: "GivenTensorDoubleFill" output: "gd" arg { name: "shape" ints: 2 ints: 2 }
     arg { name: "values" floats: 1 floats: 2 floats: 3 floats: 4 } }
op { type: "GivenTensorIntFill" output: "gi" arg { name: "shape" ints: 3 }
     arg { name: "values" ints: 1 ints: -2 ints: 3 } }
op { type: "GivenTensorInt64Fill" output: "gl" arg { name: "shape" ints: 1 }
     arg { name: "values" ints: 9000000000 } }
op { type: "GivenTensorBoolFill" output: "gb" arg { name: "shape" ints: 2 }
     arg { name: "values" ints: 1 ints: 0 } }
op { type: "Sum" input: "D" input: "gd" output: "sd" })",

    R"(name: "grads"
op { type: "Selu" input: "X" output: "X" }
op { type: "SeluGradient" input: "X" input: "X" output: "dX" }
op { type: "Softmax" input: "X" output: "P" }
op { type: "SoftmaxGradient" input: "P" input: "dX" output: "dP" }
op { type: "Copy" input: "dP" output: "dQ" })",

    R"(name: "nested" type: "simple"
external_input: "X" external_output: "Y"
arg { name: "inner" n { name: "inner" op { type: "Copy" input: "X" output: "Y" } } }
op { type: "Copy" input: "X" output: "Y" name: "copy" })",

    R"(name: "weighted"
op { type: "WeightedSum" input: "X" input: "S" input: "X" input: "S" output: "ws" })",
};

bool Write(const std::string& path, const std::string& bytes) {
  absl::Status s = WriteStringToFile(path, bytes);
  if (!s.ok()) std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
  return s.ok();
}

std::vector<std::pair<std::string, Tensor>> SampleTensors() {
  std::vector<std::pair<std::string, Tensor>> out;
  out.push_back(
      {"f32", *Tensor::FromVector<float>({2, 3}, std::vector<float>{1, -2, 3, 0.5f, 0, -0.25f})});
  out.push_back({"f64", *Tensor::FromVector<double>({3}, std::vector<double>{1e300, -1, 0})});
  out.push_back({"i32", *Tensor::FromVector<int32_t>({2, 2}, std::vector<int32_t>{1, -1, 7, 0})});
  out.push_back({"i64", *Tensor::FromVector<int64_t>({2}, std::vector<int64_t>{1, -9000000000})});
  const bool flags[] = {true, false, true};
  out.push_back({"bool", *Tensor::FromVector<bool>({3}, absl::Span<const bool>(flags))});
  out.push_back({"u8", *Tensor::FromVector<uint8_t>({1, 4}, std::vector<uint8_t>{0, 1, 128, 255})});
  out.push_back({"scalar", *Tensor::FromVector<float>({}, std::vector<float>{3})});
  out.push_back({"empty", *Tensor::Zeros(DType::kFloat32, {0, 5})});
  return out;
}

int Main(const std::string& dir) {
  bool ok = true;
  for (const char* target : {"net_parse", "net_run"}) {
    int i = 0;
    for (const char* text : kNets) {
      NetDef net;
      if (!google::protobuf::TextFormat::ParseFromString(text, &net)) {
        std::fprintf(stderr, "seed net %d does not parse\n", i);
        return 1;
      }
      // A seed that fails creation would only teach the fuzzer the error path.
      Workspace ws(fuzz::FuzzWorkspaceOptions());
      fuzz::FeedFuzzInputs(&ws);
      absl::StatusOr<Net*> created = ws.CreateNet(net);
      absl::Status run = created.ok() ? (*created)->Run() : created.status();
      if (!run.ok()) {
        std::fprintf(stderr, "seed net %s fails: %s\n", net.name().c_str(),
                     std::string(run.message()).c_str());
        return 1;
      }
      const std::string base = absl::StrCat(dir, "/", target, "/", net.name());
      ok &= Write(base + ".pbtxt", text);
      ok &= Write(base + ".pb", SerializeDeterministic(net));
      ++i;
    }
  }
  for (const auto& [name, t] : SampleTensors()) {
    ok &= Write(absl::StrCat(dir, "/npy/", name, ".npy"), SerializeNpy(t));
    TensorProto proto = TensorToProto(t, name);
    ok &= Write(absl::StrCat(dir, "/tensor_proto/", name, ".pb"), SerializeDeterministic(proto));
    std::string text;
    google::protobuf::TextFormat::PrintToString(proto, &text);
    ok &= Write(absl::StrCat(dir, "/tensor_proto/", name, ".pbtxt"), text);
  }
  // raw_data instead of the typed field.
  TensorProto raw;
  raw.set_name("raw");
  raw.set_data_type(TensorProto::FLOAT);
  raw.add_dims(2);
  const float values[] = {1.5f, -2};
  raw.set_raw_data(std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  ok &= Write(dir + "/tensor_proto/raw_f32.pb", SerializeDeterministic(raw));
  // A format 2.0 .npy header (4-byte length), by hand.
  {
    std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
    while ((12 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string npy = "\x93NUMPY";
    npy += '\x02';
    npy += '\x00';
    const uint32_t len = static_cast<uint32_t>(header.size());
    for (int b = 0; b < 4; ++b) npy += static_cast<char>((len >> (8 * b)) & 0xff);
    npy += header;
    const int32_t data[] = {5, -6};
    npy.append(reinterpret_cast<const char*>(data), sizeof(data));
    ok &= Write(dir + "/npy/v2_i32.npy", npy);
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace opgraph

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus <dir>\n");
    return 2;
  }
  return opgraph::Main(argv[1]);
}
