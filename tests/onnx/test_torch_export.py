"""Models exported by PyTorch's torch.onnx.export (Debian's python3-torch),
run by `opgraph run MODEL.onnx` and compared with PyTorch's own output within
1e-5 relative (docs/ONNX.md).

Needs python3-torch and python3-onnx (scripts/install_deps.sh --torch); each
test skips, saying so, when one is missing. ctest runs it as
onnx_torch_export_test with OPGRAPH_CLI pointing at the built binary."""
import os
import subprocess

import pytest

torch = pytest.importorskip("torch", reason="python3-torch is not installed "
                            "(scripts/install_deps.sh --torch)")
onnx = pytest.importorskip("onnx", reason="python3-onnx is not installed "
                           "(scripts/install_deps.sh)")
np = pytest.importorskip("numpy", reason="python3-numpy is not installed")

SOURCE_DIR = os.environ.get("OPGRAPH_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("OPGRAPH_CLI") or os.path.join(SOURCE_DIR, "build", "tools", "opgraph")


def snn_mlp():
    """The self-normalizing MLP: Linear-SELU-Dropout-Linear-SELU-Linear-Softmax."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.SELU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(32, 32), torch.nn.SELU(),
        torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1)).eval()


def relu_mlp():
    """Linear-ReLU-Dropout-Linear-ReLU-Linear-Softmax."""
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(32, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1)).eval()


def export(model, path, opset, batch=5):
    x = torch.randn(batch, 16)
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    return onnx.load(path)


def run_opgraph(model_path, x, tmp_path):
    x_path = str(tmp_path / "x.npy")
    y_path = str(tmp_path / "y.npy")
    np.save(x_path, x)
    r = subprocess.run([CLI, "run", model_path, "--input", "x=" + x_path, "--output",
                        "y=" + y_path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.load(y_path)


@pytest.fixture
def cli():
    if not os.path.exists(CLI):
        pytest.skip("the opgraph command line is not built (%s)" % CLI)
    return CLI


@pytest.mark.parametrize("opset", [11, 12, 13, 14, 15, 16, 17])
@pytest.mark.parametrize("make,act", [(snn_mlp, "Selu"), (relu_mlp, "Relu")])
def test_mlp_matches_pytorch(make, act, opset, tmp_path, cli):
    model = make()
    path = str(tmp_path / "mlp.onnx")
    graph = export(model, path, opset).graph
    # nn.Linear on a 2-D input is a Gemm with transB = 1; in eval mode the
    # exporter drops the dropout.
    assert [n.op_type for n in graph.node] == ["Gemm", act, "Gemm", act, "Gemm", "Softmax"]
    for n in graph.node:
        if n.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            assert attrs.get("transB") == 1 and attrs.get("alpha", 1.0) == 1.0
    # Another batch size than the exported one: the batch dim is symbolic.
    x = np.random.default_rng(opset).standard_normal((7, 16)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = run_opgraph(path, x, tmp_path)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=0)


class ShapeNet(torch.nn.Module):
    """Flatten, Transpose, Reshape, Concat, Cast and LogSoftmax, as torch exports them."""

    def forward(self, x):  # [N, 2, 3, 4]
        a = torch.flatten(x, 1)
        b = x.permute(0, 3, 1, 2).reshape(-1, 24)
        c = torch.cat([a, b], dim=1).double()
        return torch.log_softmax(c, dim=1).float()


@pytest.mark.parametrize("opset", [11, 13, 17])
def test_shape_ops_match_pytorch(opset, tmp_path, cli):
    model = ShapeNet().eval()
    path = str(tmp_path / "shape.onnx")
    x = torch.randn(3, 2, 3, 4)
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["x"],
                      output_names=["y"])
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert {"Flatten", "Transpose", "Reshape", "Concat", "Cast", "LogSoftmax"} <= ops, ops
    xs = np.random.default_rng(opset).standard_normal((3, 2, 3, 4)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(xs)).numpy()
    got = run_opgraph(path, xs, tmp_path)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=0)


def test_snn_mlp_convert_runs_the_same(tmp_path, cli):
    model = snn_mlp()
    path = str(tmp_path / "snn.onnx")
    export(model, path, 13)
    net, init = str(tmp_path / "net.pbtxt"), str(tmp_path / "init.pb")
    r = subprocess.run([cli, "convert", path, net, "--init-out", init], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    x = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    direct = run_opgraph(path, x, tmp_path)
    x_path, y_path = str(tmp_path / "x2.npy"), str(tmp_path / "y2.npy")
    np.save(x_path, x)
    r = subprocess.run([cli, "run", net, "--init", init, "--input", "x=" + x_path, "--output",
                        "y=" + y_path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(y_path), direct)
