"""Building nets in Python, in the style of caffe2.python.core.

    net = core.Net("mlp")
    h = net.FC(["X", "W1", "b1"], "h")
    y = net.Selu(h, "y", alpha=1.7)
    net.Proto()            # the opgraph_pb2.NetDef

Any registered operator type is a method of Net (and of BlobReference, which
then becomes the first input). Keyword arguments become operator Arguments:
int -> i, float -> f, str/bytes -> s, a list of ints -> ints, of numbers ->
floats, of strings -> strings, a Net/NetDef -> n. Where the operator's
schema declares a float (floats) argument, ints are stored as floats, so
``alpha=2`` works. The schemas check every argument when the net is created
(a misspelt one is refused, naming it).
"""

import numbers

import numpy as np

import _opgraph

from . import opgraph_pb2


class BlobReference:
    """The name of a blob, with the net it belongs to (may be None)."""

    def __init__(self, name, net=None):
        self._name = str(name)
        self._from_net = net

    def Net(self):
        return self._from_net

    def GetUnscopedName(self):
        return self._name

    def __str__(self):
        return self._name

    def __repr__(self):
        return "BlobReference(%r)" % self._name

    def __eq__(self, other):
        if isinstance(other, (BlobReference, str)):
            return self._name == str(other)
        return NotImplemented

    def __hash__(self):
        return hash(self._name)

    def __add__(self, suffix):
        return BlobReference(self._name + str(suffix), self._from_net)

    def __getattr__(self, op_type):
        # blob.Op(more_inputs, outputs, ...) is net.Op([blob] + more_inputs, ...).
        if op_type.startswith("_") or self._from_net is None:
            raise AttributeError(op_type)
        method = getattr(self._from_net, op_type)

        def call(inputs=None, *args, **kwargs):
            return method([self] + _as_names(inputs or []), *args, **kwargs)

        return call


def _as_names(blobs):
    if isinstance(blobs, (str, BlobReference)):
        return [str(blobs)]
    return [str(b) for b in blobs]


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim else value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _is_int(v):
    return isinstance(v, numbers.Integral)


def _netdef_of(value):
    if isinstance(value, Net):
        return value.Proto()
    if isinstance(value, opgraph_pb2.NetDef):
        return value
    return None


def MakeArgument(key, value, kind=None):
    """An opgraph_pb2.Argument named ``key``; ``kind`` (a schema's "float",
    "floats", ...) lets ints stand for floats."""
    arg = opgraph_pb2.Argument(name=key)
    value = _plain(value)
    if isinstance(value, (list, tuple)):
        items = [_plain(v) for v in value]
        nets = [_netdef_of(v) for v in items]
        if all(_is_int(v) for v in items) and kind != "floats":
            arg.ints.extend(int(v) for v in items)
        elif all(isinstance(v, numbers.Real) for v in items):
            arg.floats.extend(float(v) for v in items)
        elif all(isinstance(v, (str, bytes)) for v in items):
            arg.strings.extend(v.encode() if isinstance(v, str) else v for v in items)
        elif items and all(n is not None for n in nets):
            for n in nets:
                arg.nets.add().CopyFrom(n)
        else:
            raise TypeError("argument '%s': cannot store list %r (mixed or unsupported types)"
                            % (key, value))
    elif _is_int(value) and kind != "float":
        arg.i = int(value)
    elif isinstance(value, numbers.Real):
        arg.f = float(value)
    elif isinstance(value, str):
        arg.s = value.encode()
    elif isinstance(value, bytes):
        arg.s = value
    elif _netdef_of(value) is not None:
        arg.n.CopyFrom(_netdef_of(value))
    elif isinstance(value, opgraph_pb2.TensorProto):
        arg.t.CopyFrom(value)
    else:
        raise TypeError("argument '%s': cannot store a %s" % (key, type(value).__name__))
    return arg


def CreateOperator(op_type, inputs, outputs, name="", **kwargs):
    """An opgraph_pb2.OperatorDef."""
    op = opgraph_pb2.OperatorDef(type=op_type, name=name)
    op.input.extend(_as_names(inputs))
    op.output.extend(_as_names(outputs))
    kinds = _opgraph.arg_kinds(op_type) or {}
    for key, value in kwargs.items():
        if value is None:
            continue
        op.arg.add().CopyFrom(MakeArgument(key, value, kinds.get(key)))
    return op


class Net:
    """A NetDef under construction; see the module documentation."""

    def __init__(self, name_or_proto="net"):
        if isinstance(name_or_proto, opgraph_pb2.NetDef):
            self._net = opgraph_pb2.NetDef()
            self._net.CopyFrom(name_or_proto)
        elif isinstance(name_or_proto, Net):
            self._net = opgraph_pb2.NetDef()
            self._net.CopyFrom(name_or_proto.Proto())
        else:
            self._net = opgraph_pb2.NetDef(name=str(name_or_proto))
        self._next_id = 0

    def Proto(self):
        """The NetDef message itself (not a copy)."""
        return self._net

    def Name(self):
        return self._net.name

    def __str__(self):
        return str(self._net)

    def Clone(self, name):
        clone = Net(self._net)
        clone._net.name = name
        return clone

    def NextName(self, prefix="blob"):
        while True:
            candidate = "%s/%s_%d" % (self._net.name, prefix, self._next_id)
            self._next_id += 1
            if not self._uses(candidate):
                return BlobReference(candidate, self)

    def _uses(self, blob):
        return any(blob in op.input or blob in op.output for op in self._net.op)

    def AddExternalInput(self, *blobs):
        refs = [BlobReference(b, self) for blob in blobs for b in _as_names(blob)]
        self._net.external_input.extend(str(r) for r in refs)
        return refs[0] if len(refs) == 1 else refs

    def AddExternalOutput(self, *blobs):
        refs = [BlobReference(b, self) for blob in blobs for b in _as_names(blob)]
        self._net.external_output.extend(str(r) for r in refs)
        return refs[0] if len(refs) == 1 else refs

    def AddExternalInputs(self, *blobs):
        return self.AddExternalInput(*blobs)

    def AddExternalOutputs(self, *blobs):
        return self.AddExternalOutput(*blobs)

    def AddOperator(self, op_type, inputs, outputs=None, name="", **kwargs):
        """Appends an operator; returns its output BlobReference (a tuple
        for several outputs). ``outputs`` None or an int asks for that many
        (1) fresh names."""
        if outputs is None:
            outputs = 1
        if _is_int(outputs):
            outputs = [self.NextName(op_type) for _ in range(int(outputs))]
        op = CreateOperator(op_type, inputs, outputs, name=name, **kwargs)
        self._net.op.add().CopyFrom(op)
        refs = tuple(BlobReference(o, self) for o in op.output)
        return refs[0] if len(refs) == 1 else refs

    def AddGradientOperators(self, losses):
        """Appends the backward pass for ``losses`` (C++
        AddGradientOperators). Returns {blob: its gradient BlobReference}
        for every blob on a path to a loss. On error the net is unchanged."""
        data, gradient_of, _ = _opgraph.add_gradient_operators(
            self._net.SerializeToString(), _as_names(losses))
        self._net.ParseFromString(data)
        return {BlobReference(b, self): BlobReference(g, self) for b, g in gradient_of.items()}

    def __getattr__(self, op_type):
        if op_type.startswith("_"):
            raise AttributeError(op_type)
        if op_type not in _opgraph.operator_types():
            raise AttributeError("Net has no method %r, and no operator of that type is "
                                 "registered (see opgraph.operators())" % op_type)

        def add(inputs=None, outputs=None, name="", **kwargs):
            return self.AddOperator(op_type, [] if inputs is None else inputs, outputs,
                                    name=name, **kwargs)

        add.__name__ = op_type
        return add
