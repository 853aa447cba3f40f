// _opgraph: the compiled half of the Python API (the `opgraph` package in
// python/opgraph/ is the other half and the one users import).
//
// Nets and operators cross the boundary as serialized protobuf bytes, so
// the Python protobuf runtime and the C++ one never share objects. Tensors
// cross as NumPy arrays and are always copied. A failing absl::Status is
// raised as one of the exception classes the package registers with
// _set_error_types (see opgraph/errors.py); before that, as RuntimeError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/backward.h"
#include "core/gradient_checker.h"
#include "core/net_io.h"
#include "core/op_schema.h"
#include "core/plugin.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "core/workspace.h"
#include "onnx_import/import.h"
#include "ops/export_init_net.h"
#include "proto/opgraph.pb.h"

namespace py = pybind11;

namespace opgraph {
namespace python {
namespace {

// ---------------------------------------------------------------------------
// Errors

// A failed status on its way to Python; translated by the handler below.
struct StatusError {
  absl::Status status;
};

// Status code -> Python exception class, filled by _set_error_types. The
// objects are kept alive by this map for the life of the process.
std::map<absl::StatusCode, py::object>& ErrorTypes() {
  static auto* types = new std::map<absl::StatusCode, py::object>();
  return *types;
}

void RaiseIfError(const absl::Status& s) {
  if (!s.ok()) throw StatusError{s};
}

template <typename T>
T ValueOrRaise(absl::StatusOr<T> v) {
  RaiseIfError(v.status());
  return *std::move(v);
}

void TranslateStatusError(const StatusError& e) {
  const std::string message(e.status.message());
  const std::string code = absl::StatusCodeToString(e.status.code());
  auto& types = ErrorTypes();
  auto it = types.find(e.status.code());
  if (it == types.end()) it = types.find(absl::StatusCode::kUnknown);
  if (it == types.end()) {
    PyErr_SetString(PyExc_RuntimeError, absl::StrCat(code, ": ", message).c_str());
    return;
  }
  py::object instance = it->second(message);
  instance.attr("code") = code;
  PyErr_SetObject(it->second.ptr(), instance.ptr());
}

// ---------------------------------------------------------------------------
// Tensors <-> NumPy

// The opgraph dtype of a NumPy dtype, or TypeError naming it.
DType DTypeOfArray(const py::dtype& dt) {
  const char kind = dt.kind();
  const py::ssize_t size = dt.itemsize();
  if (kind == 'f' && size == 4) return DType::kFloat32;
  if (kind == 'f' && size == 8) return DType::kFloat64;
  if (kind == 'i' && size == 4) return DType::kInt32;
  if (kind == 'i' && size == 8) return DType::kInt64;
  if (kind == 'b' && size == 1) return DType::kBool;
  if (kind == 'u' && size == 1) return DType::kUint8;
  throw py::type_error(
      absl::StrCat("unsupported dtype ", std::string(py::str(static_cast<const py::object&>(dt))),
                   ": opgraph holds float32, float64, int32, int64, bool, uint8 and strings "
                   "(an object array of bytes)"));
}

py::dtype NumpyDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return py::dtype::of<float>();
    case DType::kFloat64:
      return py::dtype::of<double>();
    case DType::kInt32:
      return py::dtype::of<int32_t>();
    case DType::kInt64:
      return py::dtype::of<int64_t>();
    case DType::kBool:
      return py::dtype::of<bool>();
    case DType::kUint8:
      return py::dtype::of<uint8_t>();
    default:
      break;
  }
  throw StatusError{absl::InternalError("tensor of undefined dtype")};
}

// `obj` as a C-contiguous, aligned, native-endian array (copied only when
// it is not one already) and its DType. Needs the GIL.
py::array ContiguousArray(const py::handle& obj, const std::string& what, DType* dtype) {
  if (!py::isinstance<py::array>(obj)) {
    throw py::type_error(absl::StrCat(what, ": expected a numpy.ndarray, got ",
                                      std::string(py::str(obj.get_type()))));
  }
  py::array given = py::reinterpret_borrow<py::array>(obj);
  *dtype = DTypeOfArray(given.dtype());
  if (given.dtype().attr("byteorder").cast<std::string>() == ">") {
    throw py::type_error(absl::StrCat(what,
                                      ": big-endian arrays are not supported; use "
                                      "arr.astype(arr.dtype.newbyteorder('='))"));
  }
  py::array arr = py::array::ensure(given, py::array::c_style);
  if (!arr) throw py::error_already_set();
  return arr;
}

// A copy of `obj` (anything np.asarray accepts is made an array by the
// Python side first) as a Tensor. Needs the GIL.
Tensor TensorFromArray(const py::handle& obj, const std::string& what) {
  DType dtype;
  py::array arr = ContiguousArray(obj, what, &dtype);
  std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
  Tensor t;
  absl::Status s = t.Resize(dtype, dims);
  if (!s.ok()) throw StatusError{absl::Status(s.code(), absl::StrCat(what, ": ", s.message()))};
  if (t.nbytes() > 0) std::memcpy(t.raw_mutable_data(), arr.data(), t.nbytes());
  return t;
}

// True for the NumPy arrays that feed a string tensor: object arrays (of
// bytes) and fixed-width byte-string arrays ('S').
bool IsStringArray(const py::handle& obj) {
  if (!py::isinstance<py::array>(obj)) return false;
  const char kind = py::reinterpret_borrow<py::array>(obj).dtype().kind();
  return kind == 'O' || kind == 'S';
}

// A string tensor from an object array whose elements are all bytes, or
// from an 'S' array (NumPy drops an element's trailing zero bytes, as it
// does when reading one). TypeError naming the first element that is not
// bytes (str included: say which encoding with .encode()). Needs the GIL.
Tensor StringTensorFromArray(const py::handle& obj, const std::string& what) {
  py::array arr = py::reinterpret_borrow<py::array>(obj);
  std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
  Tensor t;
  absl::Status s = t.Resize(DType::kString, dims);
  if (!s.ok()) throw StatusError{absl::Status(s.code(), absl::StrCat(what, ": ", s.message()))};
  py::list flat = arr.attr("ravel")().attr("tolist")();
  std::string* out = t.mutable_data<std::string>();
  for (size_t i = 0; i < flat.size(); ++i) {
    py::handle item = flat[i];
    if (!PyBytes_Check(item.ptr())) {
      throw py::type_error(
          absl::StrCat(what, ": element ", i, " of the object array is ",
                       std::string(py::str(item.get_type().attr("__name__"))),
                       "; a string blob holds bytes (encode str values, e.g. s.encode('utf-8'))"));
    }
    out[i] = item.cast<std::string>();
  }
  return t;
}

// A string tensor as a NumPy object array of bytes. Needs the GIL.
py::array StringArrayFromTensor(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.dims().begin(), t.dims().end());
  py::array arr(py::dtype("O"), shape);
  py::array flat = arr.attr("reshape")(-1);
  const std::string* v = t.data<std::string>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    flat.attr("__setitem__")(i, py::bytes(v[i]));
  }
  return arr;
}

// An array that owns `t` (moved into a capsule): no further copy. Needs the
// GIL.
py::array ArrayFromTensor(Tensor t) {
  if (t.dtype() == DType::kString) return StringArrayFromTensor(t);
  const py::dtype dt = NumpyDType(t.dtype());
  std::vector<py::ssize_t> shape(t.dims().begin(), t.dims().end());
  if (t.numel() == 0) return py::array(dt, shape);
  auto* owned = new Tensor(std::move(t));
  py::capsule base(owned, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(dt, shape, owned->raw_data(), base);
}

// ---------------------------------------------------------------------------
// Protobuf bytes

template <typename Message>
Message Parse(const py::bytes& bytes, const char* what) {
  Message m;
  const std::string s = bytes;
  if (!m.ParseFromString(s)) {
    throw StatusError{absl::InvalidArgumentError(
        absl::StrCat("cannot parse the ", what, " passed from Python (", s.size(), " bytes)"))};
  }
  return m;
}

py::bytes Serialize(const google::protobuf::Message& m) {
  return py::bytes(SerializeDeterministic(m));
}

// ---------------------------------------------------------------------------
// Workspace

// A Workspace with a lock, so that Python threads sharing one cannot run
// into each other while the GIL is released. The lock is only ever taken
// with the GIL released, so the two cannot deadlock.
class PyWorkspace {
 public:
  explicit PyWorkspace(int num_threads) { ws_.set_num_threads(num_threads); }

  // Runs fn(ws) without the GIL, holding the workspace lock.
  template <typename Fn>
  auto Locked(Fn&& fn) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mu_);
    return fn(ws_);
  }

 private:
  std::mutex mu_;
  Workspace ws_;
};

// Feeding a blob whose storage already fits the array (the steady state of
// a feed-run-fetch loop, also when the last block of a stream is shorter)
// copies into that storage: one copy and no allocation, where a fresh
// buffer per feed also pays for first-touch page faults
// (bench/python_feed_fetch.py, docs/PYTHON.md). The storage is reused only
// when the array needs at least half of it, so that a small feed does not
// keep a large buffer alive. Anything else makes a new tensor and goes
// through Workspace::FeedBlob and its checks (the memory budget included;
// reuse never grows the workspace).
void FeedBlob(PyWorkspace& self, const std::string& name, const py::handle& value) {
  const std::string what = absl::StrCat("blob '", name, "'");
  if (IsStringArray(value)) {
    Tensor t = StringTensorFromArray(value, what);
    RaiseIfError(self.Locked([&](Workspace& ws) { return ws.FeedBlob(name, std::move(t)); }));
    return;
  }
  DType dtype;
  py::array arr = ContiguousArray(value, what, &dtype);
  const std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
  const size_t nbytes = static_cast<size_t>(arr.nbytes());
  const void* src = arr.data();
  absl::StatusOr<bool> copied = self.Locked([&](Workspace& ws) -> absl::StatusOr<bool> {
    const Tensor* old = ws.GetBlob(name);
    if (old == nullptr || !old->initialized() || nbytes == 0 || old->capacity() < nbytes ||
        nbytes < old->capacity() / 2) {
      return false;
    }
    Tensor* blob = ws.GetMutableBlob(name);
    absl::Status s = blob->Resize(dtype, dims, ws.options().tensor);  // no allocation
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
    std::memcpy(blob->raw_mutable_data(), src, nbytes);
    return true;
  });
  if (ValueOrRaise(std::move(copied))) return;
  Tensor t = TensorFromArray(arr, what);
  RaiseIfError(self.Locked([&](Workspace& ws) { return ws.FeedBlob(name, std::move(t)); }));
}

py::array FetchBlob(PyWorkspace& self, const std::string& name) {
  absl::StatusOr<Tensor> t = self.Locked([&](Workspace& ws) { return ws.FetchBlob(name); });
  return ArrayFromTensor(ValueOrRaise(std::move(t)));
}

std::string CreateNet(PyWorkspace& self, const py::bytes& net_bytes, bool overwrite) {
  const NetDef def = Parse<NetDef>(net_bytes, "NetDef");
  absl::Status s =
      self.Locked([&](Workspace& ws) { return ws.CreateNet(def, overwrite).status(); });
  RaiseIfError(s);
  return def.name();
}

// ---------------------------------------------------------------------------
// Registry

py::object ArgumentValue(const Argument& a, ArgKind kind) {
  switch (kind) {
    case ArgKind::kFloat:
      return py::float_(a.f());
    case ArgKind::kInt:
      return py::int_(a.i());
    case ArgKind::kString:
      return py::str(a.s());
    case ArgKind::kFloats:
      return py::cast(std::vector<float>(a.floats().begin(), a.floats().end()));
    case ArgKind::kInts:
      return py::cast(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case ArgKind::kStrings:
      return py::cast(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    default:
      return py::none();
  }
}

py::list IoList(const std::vector<IoSpec>& specs) {
  py::list out;
  for (const IoSpec& s : specs) {
    py::dict d;
    d["name"] = s.name;
    d["doc"] = s.doc;
    out.append(d);
  }
  return out;
}

// One dict per registered operator type, sorted by type.
py::list Operators() {
  OpRegistry& reg = OpRegistry::Global();
  py::list out;
  for (const std::string& type : reg.Types()) {
    const OpSchema* schema = reg.FindSchema(type);
    if (schema == nullptr) continue;
    py::dict d;
    d["type"] = type;
    d["doc"] = schema->doc();
    d["source"] = reg.SourceOf(type);
    d["has_kernel"] = reg.HasKernel(type);
    d["num_inputs"] = schema->InputArityString();
    d["num_outputs"] = schema->OutputArityString();
    d["inputs"] = IoList(schema->inputs());
    d["outputs"] = IoList(schema->outputs());
    py::list args;
    for (const ArgSpec& a : schema->args()) {
      py::dict ad;
      ad["name"] = a.name;
      ad["kind"] = ArgKindName(a.kind);
      ad["required"] = a.required;
      ad["default"] = a.has_default ? ArgumentValue(a.default_value, a.kind) : py::none();
      ad["doc"] = a.doc;
      args.append(ad);
    }
    d["args"] = args;
    out.append(d);
  }
  return out;
}

// The kind of each declared argument of `type` ("float", "ints", ...), or
// None for an unknown type; used by core.Net to pick the Argument field.
py::object ArgKinds(const std::string& type) {
  const OpSchema* schema = OpRegistry::Global().FindSchema(type);
  if (schema == nullptr) return py::none();
  py::dict d;
  for (const ArgSpec& a : schema->args()) d[py::str(a.name)] = ArgKindName(a.kind);
  return d;
}

// ---------------------------------------------------------------------------
// Gradients

py::tuple AddGradients(const py::bytes& net_bytes, const std::vector<std::string>& losses) {
  NetDef net = Parse<NetDef>(net_bytes, "NetDef");
  GradientNetInfo info = ValueOrRaise(AddGradientOperators(&net, losses));
  return py::make_tuple(Serialize(net), info.gradient_of, info.num_forward_ops);
}

py::dict CheckGradientPy(const py::bytes& op_bytes, const py::list& inputs,
                         const std::vector<int>& check_inputs, const std::vector<int>& outputs,
                         bool use_float64, double step, uint64_t seed, double atol, double rtol) {
  const OperatorDef def = Parse<OperatorDef>(op_bytes, "OperatorDef");
  std::vector<Tensor> tensors;
  for (size_t i = 0; i < inputs.size(); ++i) {
    tensors.push_back(TensorFromArray(inputs[i], absl::StrCat("input ", i)));
  }
  GradientCheckOptions options;
  options.inputs = check_inputs;
  options.outputs = outputs;
  options.use_float64 = use_float64;
  options.step = step;
  options.seed = seed;
  absl::StatusOr<GradientCheckResult> r;
  absl::Status within;
  {
    py::gil_scoped_release release;
    std::vector<TensorRef> refs(tensors.begin(), tensors.end());
    r = CheckGradient(def, refs, options);
    if (r.ok()) within = GradientWithinTolerance(*r, atol, rtol);
  }
  const GradientCheckResult& result = ValueOrRaise(std::move(r));
  py::dict out;
  out["compute_dtype"] = DTypeName(result.compute_dtype);
  out["step"] = result.step;
  out["summary"] = result.Summary();
  out["tolerance_error"] = within.ok() ? std::string() : std::string(within.message());
  py::list per_input;
  for (const InputGradientCheck& c : result.inputs) {
    py::dict d;
    d["input"] = c.input;
    d["blob"] = c.blob;
    d["has_gradient"] = c.has_gradient;
    d["analytic"] =
        py::array_t<double>(static_cast<py::ssize_t>(c.analytic.size()), c.analytic.data());
    d["numeric"] =
        py::array_t<double>(static_cast<py::ssize_t>(c.numeric.size()), c.numeric.data());
    d["max_abs_error"] = c.max_abs_error;
    d["max_rel_error"] = c.max_rel_error;
    d["worst_index"] = c.worst_index;
    per_input.append(d);
  }
  out["inputs"] = per_input;
  return out;
}

}  // namespace
}  // namespace python
}  // namespace opgraph

PYBIND11_MODULE(_opgraph, m) {
  using namespace opgraph;
  using namespace opgraph::python;
  m.doc() = "Compiled part of the opgraph Python API; import `opgraph` instead.";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      TranslateStatusError(e);
    }
  });

  m.def(
      "_set_error_types",
      [](const std::map<std::string, py::object>& by_code) {
        for (int c = 0; c <= 16; ++c) {
          const auto code = static_cast<absl::StatusCode>(c);
          auto it = by_code.find(absl::StatusCodeToString(code));
          if (it != by_code.end()) ErrorTypes()[code] = it->second;
        }
      },
      "Maps status code names (\"INVALID_ARGUMENT\", ...) to exception classes.");
  m.def(
      "_raise_status",
      [](int code, const std::string& message) {
        RaiseIfError(absl::Status(static_cast<absl::StatusCode>(code), message));
      },
      "Raises the exception for a status; for tests of the mapping.");

  py::class_<PyWorkspace>(m, "Workspace")
      .def(py::init<int>(), py::arg("num_threads") = 0)
      .def_property(
          "num_threads",
          [](PyWorkspace& self) {
            return self.Locked([](Workspace& ws) { return ws.num_threads(); });
          },
          [](PyWorkspace& self, int n) {
            self.Locked([n](Workspace& ws) { ws.set_num_threads(n); });
          })
      .def("feed_blob", &FeedBlob, py::arg("name"), py::arg("value"))
      .def("fetch_blob", &FetchBlob, py::arg("name"))
      .def("has_blob",
           [](PyWorkspace& self, const std::string& name) {
             return self.Locked([&](Workspace& ws) { return ws.HasBlob(name); });
           })
      .def("blobs",
           [](PyWorkspace& self) { return self.Locked([](Workspace& ws) { return ws.Blobs(); }); })
      .def("remove_blob",
           [](PyWorkspace& self, const std::string& name) {
             RaiseIfError(self.Locked([&](Workspace& ws) { return ws.RemoveBlob(name); }));
           })
      .def("create_net", &CreateNet, py::arg("net"), py::arg("overwrite") = false)
      .def("run_net",
           [](PyWorkspace& self, const std::string& name) {
             RaiseIfError(self.Locked([&](Workspace& ws) { return ws.RunNet(name); }));
           })
      .def("run_net_once",
           [](PyWorkspace& self, const py::bytes& net_bytes) {
             const NetDef def = Parse<NetDef>(net_bytes, "NetDef");
             RaiseIfError(self.Locked([&](Workspace& ws) { return ws.RunNetOnce(def); }));
           })
      .def("delete_net",
           [](PyWorkspace& self, const std::string& name) {
             RaiseIfError(self.Locked([&](Workspace& ws) { return ws.DeleteNet(name); }));
           })
      .def("nets",
           [](PyWorkspace& self) { return self.Locked([](Workspace& ws) { return ws.Nets(); }); })
      .def("export_init_net",
           [](PyWorkspace& self, const std::vector<std::string>& blobs, const std::string& name) {
             absl::StatusOr<NetDef> net =
                 self.Locked([&](Workspace& ws) { return ExportInitNet(ws, blobs, name); });
             return Serialize(ValueOrRaise(std::move(net)));
           });

  m.def(
      "read_net_file",
      [](const std::string& path) { return Serialize(ValueOrRaise(ReadNetFile(path))); },
      "The NetDef in a .pb/.pbtxt file, serialized.");
  m.def(
      "write_net_file",
      [](const py::bytes& net_bytes, const std::string& path) {
        RaiseIfError(WriteProtoFile(path, Parse<NetDef>(net_bytes, "NetDef")));
      },
      "Writes a serialized NetDef as text (.pbtxt, ...) or binary by the path's name.");
  m.def(
      "import_onnx",
      [](const py::bytes& model) {
        const std::string bytes = model;
        absl::StatusOr<ImportedModel> imported;
        {
          py::gil_scoped_release release;
          imported = ImportOnnxModel(bytes);
        }
        const ImportedModel m = ValueOrRaise(std::move(imported));
        return py::make_tuple(Serialize(m.init_net), Serialize(m.predict_net));
      },
      "A serialized ONNX ModelProto as (init_net, predict_net), serialized NetDefs.");
  m.def("load_plugin", [](const std::string& path) {
    py::gil_scoped_release release;
    RaiseIfError(LoadPlugin(path));
  });
  m.def("loaded_plugins", &LoadedPlugins);
  m.def("operators", &Operators);
  m.def("operator_types", [] { return OpRegistry::Global().Types(); });
  m.def("arg_kinds", &ArgKinds);
  m.def("add_gradient_operators", &AddGradients);
  m.def("check_gradient", &CheckGradientPy, py::arg("op"), py::arg("inputs"),
        py::arg("check_inputs"), py::arg("outputs"), py::arg("use_float64"), py::arg("step"),
        py::arg("seed"), py::arg("atol"), py::arg("rtol"));
}
