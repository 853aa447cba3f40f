"""opgraph.core.Net: operators by attribute, arguments, names, gradients."""
import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core, opgraph_pb2  # noqa: E402


def arg(op, name):
    (a,) = [a for a in op.arg if a.name == name]
    return a


def test_operator_methods_build_the_netdef():
    net = core.Net("mlp")
    y = net.FC(["X", "W", "b"], "Y")
    z = net.Selu(y, "Z", alpha=1.7)
    assert isinstance(y, core.BlobReference) and y == "Y" and str(z) == "Z"
    proto = net.Proto()
    assert isinstance(proto, opgraph_pb2.NetDef)
    assert proto.name == "mlp"
    assert [(op.type, list(op.input), list(op.output)) for op in proto.op] == [
        ("FC", ["X", "W", "b"], ["Y"]), ("Selu", ["Y"], ["Z"])]
    a = arg(proto.op[1], "alpha")
    assert a.HasField("f") and a.f == pytest.approx(1.7)


def test_python_values_become_the_right_argument_fields():
    op = core.CreateOperator(
        "NotAnOperator", [], ["y"], i=3, f=0.5, b=True, s="text", by=b"raw", ints=[1, 2],
        floats=[1, 2.5], strings=["a", "b"], n=core.Net("inner"), npf=np.float32(0.25),
        npi=np.int64(7), arr=np.array([1.0, 2.0]))
    assert arg(op, "i").i == 3 and arg(op, "i").HasField("i")
    assert arg(op, "f").f == 0.5 and arg(op, "f").HasField("f")
    assert arg(op, "b").i == 1
    assert arg(op, "s").s == b"text" and arg(op, "by").s == b"raw"
    assert list(arg(op, "ints").ints) == [1, 2]
    assert list(arg(op, "floats").floats) == [1.0, 2.5]
    assert list(arg(op, "strings").strings) == [b"a", b"b"]
    assert arg(op, "n").n.name == "inner"
    assert arg(op, "npf").f == 0.25 and arg(op, "npi").i == 7
    assert list(arg(op, "arr").floats) == [1.0, 2.0]
    with pytest.raises(TypeError, match="bad"):
        core.CreateOperator("X", [], [], bad=object())
    with pytest.raises(TypeError, match="mixed"):
        core.CreateOperator("X", [], [], mixed=[1, "a"])


def test_schema_floats_accept_python_ints():
    net = core.Net("ints_for_floats")
    net.Selu("X", "Y", alpha=2, scale=3)
    op = net.Proto().op[0]
    assert arg(op, "alpha").HasField("f") and arg(op, "alpha").f == 2.0
    ws = opgraph.Workspace()
    ws.feed_blob("X", np.array([-1.0, 1.0], np.float32))
    ws.run_net_once(net)
    np.testing.assert_allclose(ws.fetch_blob("Y"), [3 * 2 * np.expm1(-1), 3], rtol=1e-6)


def test_automatic_output_names_and_several_outputs():
    net = core.Net("auto")
    h = net.Selu("X")
    p, loss = net.SoftmaxWithLoss([h, "labels"], 2)
    assert str(h).startswith("auto/Selu_")
    assert str(p) != str(loss)
    assert list(net.Proto().op[1].output) == [str(p), str(loss)]
    a, b = net.SoftmaxWithLoss([h, "labels"], ["P", "L"])
    assert (a, b) == ("P", "L")


def test_blob_reference_methods_prepend_the_blob():
    net = core.Net("chain")
    x = net.AddExternalInput("X")
    y = x.Selu([], "Y").Softmax([], "Z", axis=1)
    assert y == "Z"
    assert [list(op.input) for op in net.Proto().op] == [["X"], ["Y"]]
    assert list(net.Proto().external_input) == ["X"]


def test_unknown_operator_is_attribute_error():
    net = core.Net("n")
    with pytest.raises(AttributeError, match="NoSuchOperator"):
        net.NoSuchOperator("X", "Y")
    assert len(net.Proto().op) == 0


def test_clone_and_net_from_proto_copy():
    net = core.Net("a")
    net.Selu("X", "Y")
    clone = net.Clone("b")
    clone.Softmax("Y", "Z")
    assert len(net.Proto().op) == 1 and len(clone.Proto().op) == 2
    assert clone.Name() == "b"
    again = core.Net(clone.Proto())
    assert again.Proto() == clone.Proto() and again.Proto() is not clone.Proto()


def test_add_gradient_operators_uses_the_cpp_pass():
    net = core.Net("train")
    h = net.FC(["X", "W", "b"], "h")
    s = net.Selu(h, "s")
    net.SoftmaxWithLoss([s, "labels"], ["P", "loss"])
    grads = net.AddGradientOperators(["loss"])
    assert grads["W"] == "W_grad" and grads["b"] == "b_grad" and grads["X"] == "X_grad"
    types = [op.type for op in net.Proto().op]
    assert types[:3] == ["FC", "Selu", "SoftmaxWithLoss"]
    assert "SoftmaxWithLossGradient" in types and "SeluGradient" in types
    assert "FCGradient" in types
    assert all(op.is_gradient_op for op in net.Proto().op[3:])
    with pytest.raises(ValueError):
        net.AddGradientOperators(["not_a_loss"])
