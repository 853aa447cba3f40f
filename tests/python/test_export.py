"""export_init_net: parameters trained in Python run from the command line."""
import subprocess

import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core  # noqa: E402

from test_training import PARAMS, build_train_net, init_params, make_data  # noqa: E402


def predict_net():
    net = core.Net("predict")
    h = net.FC(["X", "W1", "b1"], "h")
    z = net.FC([net.Selu(h, "a"), "W2", "b2"], "z")
    net.Softmax(z, "P", axis=1)
    net.AddExternalInput("X", *PARAMS)
    net.AddExternalOutput("P")
    return net


def trained_workspace():
    x, labels = make_data()
    ws = opgraph.Workspace()
    for name, value in dict(init_params(), X=x, labels=labels,
                            ONE=np.ones(1, np.float32),
                            MINUS_LR=np.full(1, -0.1, np.float32)).items():
        ws.feed_blob(name, value)
    net, _ = build_train_net()
    ws.create_net(net)
    for _ in range(5):
        ws.run_net("train")
    return ws, x


@pytest.mark.parametrize("suffix", [".pb", ".pbtxt"])
def test_trained_model_runs_from_the_cli(tmp_path, cli, suffix):
    ws, x = trained_workspace()
    init_path = tmp_path / ("init" + suffix)
    init = opgraph.export_init_net(ws, PARAMS, init_path)
    assert [op.type for op in init.op] == ["GivenTensorFill"] * 4
    assert list(init.external_output) == PARAMS
    predict_path = tmp_path / "predict.pbtxt"
    opgraph.write_net(predict_net(), predict_path)
    expected = ws.run(predict_net(), {"X": x})["P"]

    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "p.npy"
    subprocess.run([cli, "run", str(predict_path), "--init", str(init_path),
                    "--input", "X=%s" % (tmp_path / "x.npy"), "--output", "P=%s" % out],
                   check=True, capture_output=True, timeout=120)
    got = np.load(out)
    assert got.dtype == np.float32 and got.shape == (x.shape[0], 3)
    # Same kernels on the same machine; the CLI's graph passes keep results
    # bit-identical, tolerate a unit in the last place anyway.
    np.testing.assert_allclose(got, expected, rtol=3e-7, atol=1e-9)


def test_init_net_round_trips_in_python(tmp_path):
    ws = opgraph.Workspace()
    values = {"f": np.array([[1.5, -2.0]], np.float32), "i": np.array([3, -4], np.int32),
              "l": np.array([1 << 40], np.int64), "b": np.array([True, False]),
              "d": np.array([0.25, 8.0])}
    for k, v in values.items():
        ws.feed_blob(k, v)
    path = tmp_path / "init.pb"
    ws.export_init_net(list(values), path, name="params")
    fresh = opgraph.Workspace()
    fresh.run_net_once(path)
    assert opgraph.read_net(path).name == "params"
    for k, v in values.items():
        got = fresh.fetch_blob(k)
        assert got.dtype == v.dtype, k
        np.testing.assert_array_equal(got, v)


def test_export_errors(tmp_path):
    ws = opgraph.Workspace()
    with pytest.raises(KeyError, match="absent"):
        opgraph.export_init_net(ws, ["absent"])
    assert not (tmp_path / "x.pb").exists()
