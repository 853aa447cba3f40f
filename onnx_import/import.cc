#include "onnx_import/import.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "onnx_import/import_context.h"
#include "ops/export_init_net.h"

namespace opgraph {
namespace {

using google::protobuf::internal::WireFormatLite;
using onnx_import::ImportContext;

constexpr int kModelIrVersionField = 1;
constexpr int kModelGraphField = 7;

absl::Status WithContext(const absl::Status& s, const std::string& context) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

OnnxValueInfo ValueInfoOf(const onnx::ValueInfoProto& vi) {
  OnnxValueInfo out;
  out.name = vi.name();
  if (vi.type().has_tensor_type()) {
    const onnx::TypeProto::Tensor& t = vi.type().tensor_type();
    out.dtype = onnx_import::DTypeFromOnnx(t.elem_type());
    if (t.has_shape()) {
      out.has_shape = true;
      for (const onnx::TensorShapeProto::Dimension& d : t.shape().dim()) {
        out.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
      }
    }
  }
  return out;
}

int RankOf(const OnnxValueInfo& info) {
  return info.has_shape ? static_cast<int>(info.dims.size()) : -1;
}

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

std::string NodeLabel(int index, const onnx::NodeProto& node, int64_t opset) {
  return absl::StrCat("node #", index, " '", node.name(), "' (op_type ", node.op_type(),
                      ", domain '", node.domain(), "', opset ", opset, ")");
}

absl::StatusOr<int64_t> DefaultOpset(const onnx::ModelProto& model) {
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (IsDefaultDomain(o.domain())) opset = o.version();
  }
  if (opset < 0) {
    return absl::UnimplementedError(
        "the model imports no opset of the default domain ('' / 'ai.onnx')");
  }
  if (opset < kMinOnnxOpset || opset > kMaxOnnxOpset) {
    return absl::UnimplementedError(absl::StrCat("default-domain opset ", opset,
                                                 " is not supported (", kMinOnnxOpset, " to ",
                                                 kMaxOnnxOpset, " are)"));
  }
  return opset;
}

}  // namespace

bool LooksLikeOnnxModel(const std::string& bytes) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  bool ir_version = false, graph = false;
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    const int field = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    const WireFormatLite::WireType type = WireFormatLite::GetTagWireType(tag);
    if (field == kModelIrVersionField) {
      if (type != WireFormatLite::WIRETYPE_VARINT) return false;
      ir_version = true;
    } else if (field == kModelGraphField) {
      if (type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return false;
      graph = true;
    }
    if (!WireFormatLite::SkipField(&in, tag)) return false;
  }
  return ir_version && graph && static_cast<size_t>(in.CurrentPosition()) == bytes.size();
}

absl::StatusOr<ImportedModel> ImportOnnxModel(const std::string& bytes,
                                              const OnnxImportOptions& options) {
  if (static_cast<int64_t>(bytes.size()) > options.max_model_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("ONNX model of ", bytes.size(), " bytes is over the limit of ",
                     options.max_model_bytes, " bytes (OnnxImportOptions::max_model_bytes)"));
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "ONNX model of ", bytes.size(), " bytes is over protobuf's limit of 2 GiB per message"));
  }
  onnx::ModelProto model;
  {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    in.SetRecursionLimit(options.max_recursion_depth);
    if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
      return absl::InvalidArgumentError(
          "not an ONNX model: the bytes do not parse as an ONNX ModelProto");
    }
  }
  if (!model.has_ir_version() || !model.has_graph()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an ONNX model: a ModelProto needs ir_version and graph (",
                     model.has_ir_version() ? "graph" : "ir_version", " is missing)"));
  }
  OPGRAPH_ASSIGN_OR_RETURN(const int64_t opset, DefaultOpset(model));
  const onnx::GraphProto& graph = model.graph();
  if (graph.node_size() > options.max_nodes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("graph has ", graph.node_size(), " nodes, over the limit of ",
                     options.max_nodes, " (OnnxImportOptions::max_nodes)"));
  }
  if (graph.sparse_initializer_size() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        "sparse initializer '", graph.sparse_initializer(0).values().name(), "' is not supported"));
  }

  ImportedModel out;
  out.ir_version = model.ir_version();
  out.opset = opset;
  const std::string name = graph.name().empty() ? std::string("onnx") : graph.name();
  out.predict_net.set_name(name);
  out.init_net.set_name(absl::StrCat(name, "_init"));
  ImportContext ctx(opset, options, &out.predict_net);

  // Every name of the graph, so that made-up names never collide.
  for (const auto& vi : graph.input()) ctx.ReserveName(vi.name());
  for (const auto& vi : graph.output()) ctx.ReserveName(vi.name());
  for (const auto& t : graph.initializer()) ctx.ReserveName(t.name());
  for (const auto& node : graph.node()) {
    for (const std::string& s : node.input()) ctx.ReserveName(s);
    for (const std::string& s : node.output()) ctx.ReserveName(s);
  }
  std::map<std::string, int> declared_ranks;
  for (const auto& vi : graph.value_info()) declared_ranks[vi.name()] = RankOf(ValueInfoOf(vi));

  for (const onnx::TensorProto& t : graph.initializer()) {
    if (t.name().empty()) return absl::InvalidArgumentError("an initializer has no name");
    if (ctx.Defined(t.name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", t.name(), "' is given more than once"));
    }
    absl::StatusOr<Tensor> value = onnx_import::TensorFromOnnx(t, options.tensor_limits);
    OPGRAPH_RETURN_IF_ERROR(WithContext(value.status(), "initializer"));
    OPGRAPH_RETURN_IF_ERROR(ctx.AddConstant(t.name(), *std::move(value)));
  }
  std::set<std::string> input_names;
  for (const onnx::ValueInfoProto& vi : graph.input()) {
    if (vi.name().empty()) return absl::InvalidArgumentError("a graph input has no name");
    if (!input_names.insert(vi.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", vi.name(), "' is declared more than once"));
    }
    // Before IR version 4 initializers are listed among the inputs too.
    if (ctx.Constant(vi.name()) != nullptr) continue;
    if (vi.has_type() && !vi.type().has_tensor_type()) {
      return absl::UnimplementedError(
          absl::StrCat("graph input '", vi.name(),
                       "' is not a tensor (sequences, maps and optionals are not "
                       "supported)"));
    }
    OnnxValueInfo info = ValueInfoOf(vi);
    ctx.Define(vi.name(), RankOf(info));
    out.predict_net.add_external_input(vi.name());
    out.inputs.push_back(std::move(info));
  }

  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::string label = NodeLabel(i, node, opset);
    if (!IsDefaultDomain(node.domain())) {
      return absl::UnimplementedError(absl::StrCat(label, ": domain '", node.domain(),
                                                   "' is not supported (only the "
                                                   "default domain is)"));
    }
    for (const std::string& in : node.input()) {
      if (!in.empty() && !ctx.Defined(in)) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": input '", in,
            "' is not a graph input, an initializer or the output of an earlier node"));
      }
    }
    for (const std::string& o : node.output()) {
      if (!o.empty() && ctx.Defined(o)) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": output '", o, "' is already defined (an ONNX graph assigns each name once)"));
      }
    }
    OPGRAPH_RETURN_IF_ERROR(WithContext(onnx_import::ConvertNode(node, ctx), label));
    for (const std::string& o : node.output()) {
      auto it = declared_ranks.find(o);
      if (!o.empty() && ctx.Rank(o) < 0 && it != declared_ranks.end()) ctx.Define(o, it->second);
    }
  }

  for (const onnx::ValueInfoProto& vi : graph.output()) {
    if (!ctx.Defined(vi.name())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "graph output '", vi.name(), "' is not computed by any node, input or initializer"));
    }
    if (vi.has_type() && !vi.type().has_tensor_type()) {
      return absl::UnimplementedError(
          absl::StrCat("graph output '", vi.name(),
                       "' is not a tensor (sequences, maps and optionals are not "
                       "supported)"));
    }
    out.predict_net.add_external_output(vi.name());
    out.outputs.push_back(ValueInfoOf(vi));
  }

  // The init net fills the constants the predict net reads or outputs.
  std::set<std::string> used(out.predict_net.external_output().begin(),
                             out.predict_net.external_output().end());
  for (const OperatorDef& op : out.predict_net.op())
    used.insert(op.input().begin(), op.input().end());
  for (const std::string& c : ctx.constant_order()) {
    if (used.count(c) == 0) continue;
    absl::StatusOr<OperatorDef> fill = GivenTensorFillDef(*ctx.Constant(c), c);
    if (!fill.ok()) {
      return absl::Status(absl::StatusCode::kUnimplemented,
                          absl::StrCat("constant '", c, "': ", fill.status().message()));
    }
    *out.init_net.add_op() = *std::move(fill);
    out.init_net.add_external_output(c);
    out.predict_net.add_external_input(c);
  }
  return out;
}

}  // namespace opgraph
