"""Workspaces: named tensors ("blobs") and the nets that run on them.

``Workspace`` is the object API. The module-level functions with Caffe2's
names (``FeedBlob``, ``RunNetOnce``, ...) act on one default workspace, as
``caffe2.python.workspace`` does.

A net may be given as an ``opgraph_pb2.NetDef`` message (or any protobuf
message with the same wire format, such as Caffe2's), a ``core.Net``, the
path of a ``.pb``/``.pbtxt`` file, or serialized ``bytes``.
"""

import os

import numpy as np

import _opgraph

from . import opgraph_pb2

# (kind, itemsize) of the NumPy dtypes a blob can hold.
_SUPPORTED = {("f", 4), ("f", 8), ("i", 4), ("i", 8), ("b", 1), ("u", 1)}


def _net_bytes(net):
    """Serialized NetDef bytes for any accepted form of a net."""
    if isinstance(net, (bytes, bytearray)):
        return bytes(net)
    if isinstance(net, (str, os.PathLike)):
        return _opgraph.read_net_file(os.fspath(net))
    proto = getattr(net, "Proto", None)
    if callable(proto):  # core.Net
        net = proto()
    if hasattr(net, "SerializeToString"):
        return net.SerializeToString()
    raise TypeError("expected a NetDef, a core.Net, a file path or bytes; got %s"
                    % type(net).__name__)


def _net_def(net):
    """``net`` as an opgraph_pb2.NetDef message."""
    if isinstance(net, opgraph_pb2.NetDef):
        return net
    return opgraph_pb2.NetDef.FromString(_net_bytes(net))


def _as_array(name, value):
    arr = np.asarray(value)
    if arr.dtype.kind in "OS":
        # A string blob: bytes objects (or a fixed-width bytes array); the
        # module checks every element.
        return arr
    if (arr.dtype.kind, arr.dtype.itemsize) not in _SUPPORTED:
        raise TypeError("blob '%s': unsupported dtype %s: opgraph holds float32, float64, "
                        "int32, int64, bool, uint8 and strings (an object array of bytes)"
                        % (name, arr.dtype))
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _net_name(net):
    if isinstance(net, str):
        return net
    name = getattr(net, "Name", None)
    if callable(name):  # core.Net
        return name()
    if isinstance(net, opgraph_pb2.NetDef) or hasattr(net, "SerializeToString"):
        return net.name
    raise TypeError("expected a net name, a core.Net or a NetDef; got %s" % type(net).__name__)


class Workspace:
    """Named tensors and nets, over the C++ opgraph::Workspace.

    ``num_threads`` (0: the process default, ``OPGRAPH_NUM_THREADS`` or 1)
    is the number of threads an operator may use. Every method copies
    arrays in and out: changing a fetched array never changes the blob. One
    workspace may be shared by Python threads (calls are serialized); nets
    run without holding the GIL.
    """

    def __init__(self, num_threads=0):
        self._ws = _opgraph.Workspace(int(num_threads))

    @property
    def num_threads(self):
        return self._ws.num_threads

    @num_threads.setter
    def num_threads(self, n):
        self._ws.num_threads = int(n)

    def feed_blob(self, name, value):
        """Sets blob ``name`` to a copy of ``value`` (anything np.asarray
        takes, of dtype float32, float64, int32, int64, bool or uint8; or a
        string blob from an object array of bytes or a bytes 'S' array;
        TypeError otherwise)."""
        self._ws.feed_blob(str(name), _as_array(name, value))

    def fetch_blob(self, name):
        """A copy of blob ``name`` as an ndarray (a string blob as an
        object array of bytes). KeyError (NotFoundError)
        when absent; RuntimeError (FailedPreconditionError) when created
        by a net but never written."""
        return self._ws.fetch_blob(str(name))

    def has_blob(self, name):
        return self._ws.has_blob(str(name))

    def blobs(self):
        """Every blob name, sorted."""
        return self._ws.blobs()

    def remove_blob(self, name):
        self._ws.remove_blob(str(name))

    def create_net(self, net, overwrite=False):
        """Validates ``net`` (schemas, arguments, shapes) and keeps it under
        its name, which is returned. On error nothing changes."""
        return self._ws.create_net(_net_bytes(net), bool(overwrite))

    def run_net(self, name):
        """Runs a net made by create_net, by name (or the Net/NetDef)."""
        self._ws.run_net(_net_name(name))

    def run_net_once(self, net):
        """Creates, runs and forgets ``net``."""
        self._ws.run_net_once(_net_bytes(net))

    def delete_net(self, name):
        self._ws.delete_net(_net_name(name))

    def nets(self):
        return self._ws.nets()

    def run(self, net, inputs=None, outputs=None):
        """Feeds ``inputs`` (name -> array), runs ``net`` once and returns
        {name: array} for ``outputs`` (default: the net's external
        outputs)."""
        data = _net_bytes(net)
        for name, value in (inputs or {}).items():
            self.feed_blob(name, value)
        self._ws.run_net_once(data)
        if outputs is None:
            outputs = list(opgraph_pb2.NetDef.FromString(data).external_output)
        return {str(name): self.fetch_blob(name) for name in outputs}

    def export_init_net(self, blobs, path=None, name="init"):
        """An init net of GivenTensor*Fill operators that recreates
        ``blobs``; written to ``path`` too when given (.pbtxt text, else
        binary), so that ``opgraph run NET --init PATH`` loads them."""
        data = self._ws.export_init_net([str(b) for b in blobs], name)
        if path is not None:
            _opgraph.write_net_file(data, os.fspath(path))
        return opgraph_pb2.NetDef.FromString(data)


def export_init_net(workspace, blobs, path=None, name="init"):
    """``workspace.export_init_net(blobs, path, name)``; ``workspace`` None
    means the default workspace."""
    ws = workspace if workspace is not None else _default()
    return ws.export_init_net(blobs, path, name)


# ---------------------------------------------------------------------------
# Caffe2's module-level API on a default workspace.

_DEFAULT = None


def _default():
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Workspace()
    return _DEFAULT


def CurrentWorkspace():
    """The Workspace object behind the module-level functions."""
    return _default()


def ResetWorkspace():
    """Drops every blob and net of the default workspace."""
    global _DEFAULT
    _DEFAULT = Workspace()
    return True


def FeedBlob(name, arr):
    _default().feed_blob(str(name), arr)
    return True


def FetchBlob(name):
    return _default().fetch_blob(str(name))


def FetchBlobs(names):
    return [FetchBlob(n) for n in names]


def HasBlob(name):
    return _default().has_blob(str(name))


def Blobs():
    return _default().blobs()


def CreateNet(net, overwrite=False):
    _default().create_net(net, overwrite)
    return True


def RunNet(name):
    _default().run_net(name)
    return True


def RunNetOnce(net):
    _default().run_net_once(net)
    return True


def RunOperatorOnce(op):
    """Runs one OperatorDef (a message or its bytes) in the default
    workspace."""
    if isinstance(op, (bytes, bytearray)):
        op = opgraph_pb2.OperatorDef.FromString(bytes(op))
    net = opgraph_pb2.NetDef(name="run_operator_once")
    net.op.add().MergeFromString(op.SerializeToString())
    _default().run_net_once(net)
    return True
