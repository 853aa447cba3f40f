// Building small ONNX models in memory with Debian's onnx_proto classes, and
// running an imported model, for the tests of onnx_import/.
#ifndef OPGRAPH_TESTS_ONNX_IMPORT_ONNX_TEST_UTIL_H_
#define OPGRAPH_TESTS_ONNX_IMPORT_ONNX_TEST_UTIL_H_

#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/net.h"
#include "core/status_macros.h"
#include "core/workspace.h"
#include "onnx/onnx_pb.h"
#include "onnx_import/import.h"

namespace opgraph {
namespace testing {

class OnnxModelBuilder {
 public:
  explicit OnnxModelBuilder(int64_t opset = 13, const std::string& domain = "") {
    model_.set_ir_version(8);
    model_.set_producer_name("opgraph tests");
    onnx::OperatorSetIdProto* o = model_.add_opset_import();
    o->set_domain(domain);
    o->set_version(opset);
    model_.mutable_graph()->set_name("g");
  }

  // A graph input of element type `elem_type` (onnx::TensorProto::FLOAT,
  // ...); a dim of -1 is a symbolic "N".
  OnnxModelBuilder& Input(const std::string& name, const std::vector<int64_t>& dims,
                          int elem_type = onnx::TensorProto::FLOAT) {
    Describe(model_.mutable_graph()->add_input(), name, dims, elem_type);
    return *this;
  }
  OnnxModelBuilder& Output(const std::string& name, const std::vector<int64_t>& dims = {},
                           int elem_type = onnx::TensorProto::FLOAT) {
    Describe(model_.mutable_graph()->add_output(), name, dims, elem_type);
    return *this;
  }

  onnx::NodeProto* Node(const std::string& op_type, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    onnx::NodeProto* n = model_.mutable_graph()->add_node();
    n->set_op_type(op_type);
    n->set_name(name);
    for (const std::string& s : inputs) n->add_input(s);
    for (const std::string& s : outputs) n->add_output(s);
    return n;
  }

  // A float initializer, in raw_data or float_data.
  onnx::TensorProto* FloatInit(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values, bool raw = true) {
    onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
    FillFloat(t, name, dims, values, raw);
    return t;
  }
  onnx::TensorProto* Init(const std::string& name) {
    onnx::TensorProto* t = model_.mutable_graph()->add_initializer();
    t->set_name(name);
    return t;
  }

  static void FillFloat(onnx::TensorProto* t, const std::string& name,
                        const std::vector<int64_t>& dims, const std::vector<float>& values,
                        bool raw) {
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    if (raw) {
      std::string bytes(values.size() * sizeof(float), '\0');
      if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
      t->set_raw_data(bytes);
    } else {
      for (float v : values) t->add_float_data(v);
    }
  }

  onnx::ModelProto& model() { return model_; }
  std::string Bytes() const { return model_.SerializeAsString(); }
  absl::StatusOr<ImportedModel> Import() const { return ImportOnnxModel(Bytes()); }

 private:
  static void Describe(onnx::ValueInfoProto* vi, const std::string& name,
                       const std::vector<int64_t>& dims, int elem_type) {
    vi->set_name(name);
    onnx::TypeProto::Tensor* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(elem_type);
    onnx::TensorShapeProto* shape = t->mutable_shape();
    for (int64_t d : dims) {
      if (d < 0) {
        shape->add_dim()->set_dim_param("N");
      } else {
        shape->add_dim()->set_dim_value(d);
      }
    }
  }

  onnx::ModelProto model_;
};

inline onnx::AttributeProto* FloatAttr(onnx::NodeProto* n, const std::string& name, float f) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(f);
  return a;
}

inline onnx::AttributeProto* IntAttr(onnx::NodeProto* n, const std::string& name, int64_t i) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(i);
  return a;
}

// Runs the init net once, feeds `inputs`, runs the predict net and fetches
// its external outputs.
inline absl::StatusOr<std::map<std::string, Tensor>> RunImported(
    const ImportedModel& m, const std::vector<std::pair<std::string, TensorRef>>& inputs) {
  Workspace ws;
  OPGRAPH_RETURN_IF_ERROR(ws.RunNetOnce(m.init_net));
  for (const auto& [name, t] : inputs) OPGRAPH_RETURN_IF_ERROR(ws.FeedBlob(name, t.get()));
  OPGRAPH_ASSIGN_OR_RETURN(Net * net, ws.CreateNet(m.predict_net));
  OPGRAPH_RETURN_IF_ERROR(net->Run());
  std::map<std::string, Tensor> out;
  for (const std::string& name : m.predict_net.external_output()) {
    OPGRAPH_ASSIGN_OR_RETURN(Tensor t, ws.FetchBlob(name));
    out.emplace(name, std::move(t));
  }
  return out;
}

}  // namespace testing
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_ONNX_IMPORT_ONNX_TEST_UTIL_H_
