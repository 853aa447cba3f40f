"""opgraph from Python: workspaces, nets built in Python, the operator
catalog, plugins, gradient checks. See docs/PYTHON.md.

    import numpy as np
    import opgraph
    from opgraph import core

    net = core.Net("example")
    net.Softmax(net.Selu("X", "H"), "Y", axis=1)
    ws = opgraph.Workspace()
    out = ws.run(net, {"X": np.ones((2, 4), np.float32)}, outputs=["Y"])
"""

import _opgraph

from . import errors
from .errors import (AlreadyExistsError, Error, FailedPreconditionError, InternalError,
                     InvalidArgumentError, NotFoundError, OutOfRangeError,
                     ResourceExhaustedError, UnimplementedError)

_opgraph._set_error_types(errors.BY_CODE)

from . import opgraph_pb2  # noqa: E402  (after the error types are set)
from . import core, workspace  # noqa: E402
from .gradient_checker import GradientCheckResult, check_gradient  # noqa: E402
from .workspace import Workspace, export_init_net  # noqa: E402

NetDef = opgraph_pb2.NetDef
OperatorDef = opgraph_pb2.OperatorDef


def load_plugin(path):
    """Loads an operator plugin (a shared library built with
    opgraph_add_plugin); its operators then work like built-ins, also as
    core.Net methods. Loading the same file again does nothing."""
    import os
    _opgraph.load_plugin(os.fspath(path))


def loaded_plugins():
    return _opgraph.loaded_plugins()


def operators():
    """Every registered operator: a list of dicts with type, doc, source
    ("built-in" or a plugin path), num_inputs/num_outputs (arity strings),
    inputs/outputs ([{name, doc}]) and args ([{name, kind, required,
    default, doc}]), sorted by type."""
    return _opgraph.operators()


def import_onnx(model):
    """An ONNX model as the NetDef pair (init_net, predict_net) that opgraph
    runs (docs/ONNX.md): run init_net once in a workspace to fill the
    model's weights, then predict_net reads the graph inputs by their ONNX
    names. `model` is the serialized ModelProto (bytes), a path to a model
    file, or an object with SerializeToString() (an onnx.ModelProto).
    Raises UnimplementedError naming the node for what opgraph does not
    support, InvalidArgumentError for a malformed model."""
    import os
    if hasattr(model, "SerializeToString"):
        data = model.SerializeToString()
    elif isinstance(model, (bytes, bytearray)):
        data = bytes(model)
    else:
        with open(os.fspath(model), "rb") as f:
            data = f.read()
    init, predict = _opgraph.import_onnx(data)
    return opgraph_pb2.NetDef.FromString(init), opgraph_pb2.NetDef.FromString(predict)


def read_net(path):
    """The NetDef in a .pb or .pbtxt file (read by the C++ reader, with its
    limits and error messages)."""
    import os
    return opgraph_pb2.NetDef.FromString(_opgraph.read_net_file(os.fspath(path)))


def write_net(net, path):
    """Writes a NetDef (or core.Net) as text for .pbtxt/.prototxt/.txt,
    else binary."""
    import os
    _opgraph.write_net_file(workspace._net_bytes(net), os.fspath(path))


__all__ = [
    "AlreadyExistsError", "Error", "FailedPreconditionError", "GradientCheckResult",
    "InternalError", "InvalidArgumentError", "NetDef", "NotFoundError", "OperatorDef",
    "OutOfRangeError", "ResourceExhaustedError", "UnimplementedError", "Workspace",
    "check_gradient", "core", "errors", "export_init_net", "load_plugin", "loaded_plugins",
    "operators", "opgraph_pb2", "read_net", "workspace", "write_net",
]
