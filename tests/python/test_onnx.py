"""opgraph.import_onnx: an ONNX model built with onnx.helper runs in a
Workspace; expected values are computed here with NumPy from the ONNX
operator definitions (Gemm: A B' + C with transB = 1; Selu with ONNX's
default constants; Softmax over the last axis)."""
import pytest

from _deps import need

np = need("numpy")
onnx = need("onnx")
opgraph = need("opgraph")
from onnx import helper, numpy_helper  # noqa: E402


def mlp_model(opset=13):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
         helper.make_node("Selu", ["h"], ["s"], name="selu"),
         helper.make_node("Softmax", ["s"], ["y"], name="softmax", axis=-1)],
        "mlp",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 3])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return model, w, b


def reference(x, w, b):
    h = x.astype(np.float64) @ w.T.astype(np.float64) + b
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    s = scale * np.where(h > 0, h, alpha * np.expm1(h))
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("as_what", ["proto", "bytes", "path"])
def test_import_onnx_runs(as_what, tmp_path):
    model, w, b = mlp_model()
    if as_what == "proto":
        arg = model
    elif as_what == "bytes":
        arg = model.SerializeToString()
    else:
        arg = tmp_path / "m.onnx"
        onnx.save(model, str(arg))
    init, predict = opgraph.import_onnx(arg)
    assert [op.type for op in predict.op] == ["FC", "Selu", "Softmax"]
    assert list(predict.external_output) == ["y"]
    ws = opgraph.Workspace()
    ws.run_net_once(init)
    x = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    out = ws.run(predict, {"x": x}, outputs=["y"])
    np.testing.assert_allclose(out["y"], reference(x, w, b), rtol=1e-5)


def test_import_onnx_refusal_names_the_node():
    model, _, _ = mlp_model()
    model.graph.node[1].op_type = "Cos"
    with pytest.raises(opgraph.UnimplementedError, match=r"node #1 'selu' \(op_type Cos"):
        opgraph.import_onnx(model)
    with pytest.raises(opgraph.InvalidArgumentError, match="not an ONNX model"):
        opgraph.import_onnx(b"definitely not a model")
