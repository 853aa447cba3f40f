"""The operator catalog, plugins and the gradient checker from Python."""
import os

import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core  # noqa: E402


def by_type():
    return {o["type"]: o for o in opgraph.operators()}


def test_operators_lists_schemas_with_docs_and_arguments():
    ops = by_type()
    assert {"Selu", "Softmax", "FC", "SoftmaxWithLoss", "WeightedSum",
            "GivenTensorFill"} <= set(ops)
    selu = ops["Selu"]
    assert selu["source"] == "built-in" and selu["has_kernel"]
    assert selu["doc"]
    assert selu["num_inputs"] == "1" and selu["num_outputs"] == "1"
    args = {a["name"]: a for a in selu["args"]}
    assert args["alpha"]["kind"] == "float" and not args["alpha"]["required"]
    assert args["alpha"]["default"] == pytest.approx(1.6732632, rel=1e-6)
    assert args["scale"]["doc"]
    fill = {a["name"]: a for a in ops["GivenTensorFill"]["args"]}
    assert fill["values"]["required"] and fill["values"]["kind"] == "floats or ints"
    assert not fill["shape"]["required"] and fill["shape"]["kind"] == "ints"
    assert fill["shape"]["default"] is None
    assert [i["name"] for i in ops["FC"]["inputs"]][:1] == ["X"]
    types = [o["type"] for o in opgraph.operators()]
    assert types == sorted(types)


def test_load_plugin_adds_its_operators(example_plugin):
    opgraph.load_plugin(example_plugin)
    opgraph.load_plugin(example_plugin)  # again: nothing happens
    ops = by_type()
    assert "ScaledTanh" in ops
    assert os.path.realpath(example_plugin) == ops["ScaledTanh"]["source"]
    assert os.path.realpath(example_plugin) in opgraph.loaded_plugins()
    net = core.Net("plugin")
    net.ScaledTanh("X", "Y", a=1.5, b=0.75)
    x = np.linspace(-3, 3, 13).astype(np.float64)
    out = opgraph.Workspace().run(net, {"X": x}, outputs=["Y"])["Y"]
    np.testing.assert_allclose(out, 1.5 * np.tanh(0.75 * x), rtol=1e-12, atol=1e-15)
    r = opgraph.check_gradient(net.Proto().op[0], [x + 0.01])
    assert r.ok, r.summary


def test_load_plugin_errors(tmp_path):
    with pytest.raises(KeyError):
        opgraph.load_plugin(str(tmp_path / "missing.so"))
    not_a_library = tmp_path / "libfake.so"
    not_a_library.write_bytes(b"not an ELF file")
    with pytest.raises(ValueError, match="libfake.so"):
        opgraph.load_plugin(not_a_library)


def test_check_gradient_of_builtin_operators():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (3, 4))
    x[np.abs(x) < 0.05] = 0.3  # away from Selu's kink
    r = opgraph.check_gradient(core.CreateOperator("Selu", ["x"], ["y"]), [x])
    assert r.ok, r.summary
    assert r.compute_dtype == "float64" and r.step == 1e-5
    (c,) = r.inputs
    assert c.blob == "x" and c.analytic.shape == (3, 4)
    np.testing.assert_allclose(c.analytic, c.numeric, rtol=1e-6, atol=1e-8)
    assert c.max_abs_error < 1e-7

    fc = core.CreateOperator("FC", ["X", "W", "b"], ["Y"])
    r = opgraph.check_gradient(fc, [rng.standard_normal((2, 3)), rng.standard_normal((4, 3)),
                                    rng.standard_normal(4)])
    assert r.ok and [c.blob for c in r.inputs] == ["X", "W", "b"]
    r = opgraph.check_gradient(fc, [rng.standard_normal((2, 3)).astype(np.float32),
                                    rng.standard_normal((4, 3)).astype(np.float32),
                                    rng.standard_normal(4).astype(np.float32)],
                               check_inputs=[1])
    assert [c.blob for c in r.inputs] == ["W"]
    assert r.compute_dtype == "float64"  # float32 inputs checked in float64


def test_check_gradient_tolerance_and_errors():
    x = np.array([[0.5, -1.0, 2.0]])
    sm = core.CreateOperator("Softmax", ["x"], ["y"])
    strict = opgraph.check_gradient(sm, [x], atol=0.0, rtol=0.0)
    assert not strict.ok and strict.tolerance_error
    with pytest.raises(ValueError):
        strict.raise_if_failed()
    assert opgraph.check_gradient(sm, [x]).raise_if_failed().ok
    with pytest.raises(RuntimeError, match="WeightedSum"):
        opgraph.check_gradient(core.CreateOperator("WeightedSum", ["a", "w"], ["y"]),
                               [np.ones(2), np.ones(1)])
    with pytest.raises(ValueError):
        opgraph.check_gradient(sm, [x, x])  # one input too many
