"""opgraph.Workspace: feeding and fetching every dtype, nets in every form."""
import os

import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core, opgraph_pb2  # noqa: E402

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu64(x, alpha=SELU_ALPHA, scale=SELU_SCALE):
    x = np.asarray(x, np.float64)
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softmax64(x, axis=-1):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.bool_,
                                   np.uint8])
def test_feed_fetch_round_trips_every_dtype(dtype):
    ws = opgraph.Workspace()
    value = (np.arange(24).reshape(2, 3, 4) % 7 - 2).astype(dtype)
    ws.feed_blob("x", value)
    out = ws.fetch_blob("x")
    assert out.dtype == np.dtype(dtype)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, value)


def test_feed_and_fetch_copy():
    ws = opgraph.Workspace()
    value = np.array([1.0, 2.0, 3.0], np.float32)
    ws.feed_blob("x", value)
    value[0] = 100  # the blob keeps what was fed
    first = ws.fetch_blob("x")
    first[1] = -5  # a fetched array is the caller's
    np.testing.assert_array_equal(ws.fetch_blob("x"), [1, 2, 3])
    assert first.flags.writeable and first.flags.c_contiguous


def test_feed_into_an_existing_blob_reuses_or_replaces_it_correctly():
    # Feeds that fit the blob's storage are copied into it; others replace
    # it. Either way the blob holds exactly what was fed.
    ws = opgraph.Workspace()
    rng = np.random.default_rng(5)
    feeds = [rng.standard_normal((100, 8)).astype(np.float32),   # new blob
             rng.standard_normal((100, 8)).astype(np.float32),   # same shape: reused
             rng.standard_normal((90, 8)).astype(np.float32),    # shorter: reused
             rng.integers(-9, 9, (100, 8)).astype(np.int32),     # other dtype, same bytes
             rng.standard_normal((3, )).astype(np.float64),      # much smaller: replaced
             rng.standard_normal((400, 8)).astype(np.float32),   # larger: replaced
             np.zeros((0, 8), np.float32)]                        # empty: replaced
    for value in feeds:
        ws.feed_blob("x", value)
        got = ws.fetch_blob("x")
        assert got.dtype == value.dtype and got.shape == value.shape
        np.testing.assert_array_equal(got, value)
        if value.size:
            value[...] = 0  # the blob kept its own copy
            assert not np.array_equal(ws.fetch_blob("x"), value)
    # A net created on the blob sees every fed block, also in place.
    net = core.Net("copy")
    net.Copy("a", "b")
    ws.feed_blob("a", np.ones((4, 2), np.float32))
    ws.create_net(net)
    for rows in (4, 4, 3, 4):
        block = np.arange(rows * 2, dtype=np.float32).reshape(rows, 2) + rows
        ws.feed_blob("a", block)
        ws.run_net(net)
        np.testing.assert_array_equal(ws.fetch_blob("b"), block)


def test_feed_accepts_views_scalars_lists_and_other_byte_orders():
    ws = opgraph.Workspace()
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    ws.feed_blob("t", base.T)  # not C-contiguous
    np.testing.assert_array_equal(ws.fetch_blob("t"), base.T)
    ws.feed_blob("strided", base[:, ::2])
    np.testing.assert_array_equal(ws.fetch_blob("strided"), base[:, ::2])
    ws.feed_blob("s", np.float32(2.5))
    s = ws.fetch_blob("s")
    assert s.shape == () and s.dtype == np.float32 and s == 2.5
    ws.feed_blob("l", [[1, 2], [3, 4]])  # np.asarray: int64
    assert ws.fetch_blob("l").dtype == np.int64
    ws.feed_blob("be", np.array([1.5, -2], dtype=">f4"))
    be = ws.fetch_blob("be")
    assert be.dtype == np.float32
    np.testing.assert_array_equal(be, [1.5, -2])
    ws.feed_blob("empty", np.zeros((0, 3), np.float32))
    assert ws.fetch_blob("empty").shape == (0, 3)


@pytest.mark.parametrize("bad", [np.zeros(2, np.float16), np.zeros(2, np.complex64),
                                 np.array(["a"]),
                                 np.zeros(2, np.int16)])
def test_feed_refuses_unsupported_dtypes(bad):
    ws = opgraph.Workspace()
    with pytest.raises(TypeError, match="unsupported dtype"):
        ws.feed_blob("x", bad)
    assert not ws.has_blob("x")


def test_blobs_and_has_blob():
    ws = opgraph.Workspace()
    assert ws.blobs() == []
    ws.feed_blob("b", np.zeros(1, np.float32))
    ws.feed_blob("a", np.zeros(1, np.float32))
    assert ws.blobs() == ["a", "b"]
    assert ws.has_blob("a") and not ws.has_blob("c")
    ws.remove_blob("a")
    assert ws.blobs() == ["b"]


def selu_softmax_net(name="selu_softmax"):
    net = core.Net(name)
    h = net.Selu("X", "H")
    net.Softmax(h, "Y", axis=1)
    net.AddExternalInput("X")
    net.AddExternalOutput("Y")
    return net


X = np.array([[-2.0, -0.5, 0.0, 1.5], [3.0, -1.0, 0.25, -0.125]], np.float32)


def expected_y(x=X):
    return softmax64(selu64(x), axis=1)


def test_create_net_then_run_net_with_new_inputs():
    ws = opgraph.Workspace(num_threads=1)
    ws.feed_blob("X", X)
    assert ws.create_net(selu_softmax_net()) == "selu_softmax"
    assert ws.nets() == ["selu_softmax"]
    ws.run_net("selu_softmax")
    np.testing.assert_allclose(ws.fetch_blob("Y"), expected_y(), rtol=1e-6, atol=1e-7)
    x2 = np.linspace(-3, 3, 3 * 5, dtype=np.float32).reshape(3, 5)  # a new shape
    ws.feed_blob("X", x2)
    ws.run_net(selu_softmax_net())  # by Net object: its name
    np.testing.assert_allclose(ws.fetch_blob("Y"), expected_y(x2), rtol=1e-6, atol=1e-7)
    ws.delete_net("selu_softmax")
    assert ws.nets() == []


def test_run_net_once_leaves_no_net():
    ws = opgraph.Workspace()
    ws.feed_blob("X", X)
    ws.run_net_once(selu_softmax_net())
    assert ws.nets() == []
    assert set(ws.blobs()) == {"X", "H", "Y"}


def test_run_feeds_runs_and_fetches_external_outputs():
    ws = opgraph.Workspace()
    out = ws.run(selu_softmax_net(), {"X": X})
    assert list(out) == ["Y"]
    np.testing.assert_allclose(out["Y"], expected_y(), rtol=1e-6, atol=1e-7)
    both = ws.run(selu_softmax_net(), {"X": X}, outputs=["H", "Y"])
    np.testing.assert_allclose(both["H"], selu64(X), rtol=1e-6, atol=1e-7)


def test_nets_in_every_form(tmp_path, source_dir):
    example = os.path.join(source_dir, "examples", "selu_softmax")
    forms = {
        "pbtxt path": os.path.join(example, "predict_net.pbtxt"),
        "core.Net": selu_softmax_net(),
        "NetDef": selu_softmax_net().Proto(),
        "bytes": selu_softmax_net().Proto().SerializeToString(),
    }
    binary = tmp_path / "net.pb"
    opgraph.write_net(selu_softmax_net(), binary)
    forms["pb pathlib"] = binary
    ws = opgraph.Workspace()
    ws.run_net_once(os.path.join(example, "init_net.pbtxt"))  # writes X of the example
    x = ws.fetch_blob("X")
    np.testing.assert_array_equal(x, X)
    for what, net in forms.items():
        ws.feed_blob("Y", np.zeros(1, np.float32))
        ws.run_net_once(net)
        np.testing.assert_allclose(ws.fetch_blob("Y"), expected_y(), rtol=1e-6, atol=1e-7,
                                   err_msg=what)
    with pytest.raises(TypeError):
        ws.run_net_once(42)


def test_read_net_parses_text_like_the_cli(source_dir):
    net = opgraph.read_net(os.path.join(source_dir, "examples/selu_softmax/predict_net.pbtxt"))
    assert isinstance(net, opgraph_pb2.NetDef)
    assert [op.type for op in net.op] == ["Selu", "Softmax"]
    assert list(net.external_output) == ["Y"]


def test_num_threads():
    ws = opgraph.Workspace(num_threads=2)
    assert ws.num_threads == 2
    ws.num_threads = 1
    assert ws.num_threads == 1
    # Results do not depend on the thread count.
    x = np.random.default_rng(3).standard_normal((64, 1000)).astype(np.float32)
    ys = []
    for n in (1, 2):
        w = opgraph.Workspace(num_threads=n)
        ys.append(w.run(selu_softmax_net(), {"X": x})["Y"])
    np.testing.assert_array_equal(ys[0], ys[1])


def test_workspaces_are_independent():
    a, b = opgraph.Workspace(), opgraph.Workspace()
    a.feed_blob("x", np.ones(2, np.float32))
    assert not b.has_blob("x")
