"""String blobs in Python: fetched as numpy object arrays of bytes, fed
from object arrays of bytes or bytes ('S') arrays, made by
GivenTensorStringFill, exported again by export_init_net."""
import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core  # noqa: E402

WORDS = [b"cat", b"", b"caf\xc3\xa9\x00", b"x" * 100]


def test_fetch_of_a_string_fill_is_an_object_array_of_bytes():
    net = core.Net("init")
    net.GivenTensorStringFill([], ["w"], shape=[2, 2], values=WORDS)
    ws = opgraph.Workspace()
    ws.run_net_once(net)
    got = ws.fetch_blob("w")
    assert got.dtype == np.dtype(object)
    assert got.shape == (2, 2)
    assert got.ravel().tolist() == WORDS
    assert all(type(v) is bytes for v in got.ravel())


def test_feed_object_and_bytes_arrays_then_copy():
    ws = opgraph.Workspace()
    ws.feed_blob("o", np.array(WORDS, dtype=object).reshape(2, 2))
    ws.feed_blob("s", np.array([b"ab", b"c"]))  # dtype 'S2'
    net = core.Net("copy")
    net.Copy(["o"], ["o2"])
    ws.run_net_once(net)
    assert ws.fetch_blob("o2").ravel().tolist() == WORDS
    assert ws.fetch_blob("s").tolist() == [b"ab", b"c"]
    empty = np.empty((0, 3), dtype=object)
    ws.feed_blob("e", empty)
    assert ws.fetch_blob("e").shape == (0, 3)


@pytest.mark.parametrize("bad", [np.array(["text"], dtype=object), np.array([object()]),
                                 np.array([b"a", 1], dtype=object)])
def test_feed_refuses_objects_that_are_not_bytes(bad):
    ws = opgraph.Workspace()
    with pytest.raises(TypeError, match="a string blob holds bytes"):
        ws.feed_blob("x", bad)
    assert not ws.has_blob("x")


def test_numeric_operators_refuse_a_string_blob():
    ws = opgraph.Workspace()
    ws.feed_blob("w", np.array([b"a"], dtype=object))
    net = core.Net("bad")
    net.Relu(["w"], ["y"])
    with pytest.raises(ValueError, match="Relu does not take string tensors"):
        ws.run_net_once(net)


def test_export_init_net_writes_string_and_uint8_fills(tmp_path):
    ws = opgraph.Workspace()
    ws.feed_blob("w", np.array(WORDS, dtype=object))
    ws.feed_blob("u", np.array([[0, 255], [7, 128]], np.uint8))
    path = tmp_path / "init.pb"
    ws.export_init_net(["w", "u"], path)
    types = [op.type for op in opgraph.read_net(path).op]
    assert types == ["GivenTensorStringFill", "GivenTensorByteStringToUInt8Fill"]
    fresh = opgraph.Workspace()
    fresh.run_net_once(path)
    assert fresh.fetch_blob("w").tolist() == WORDS
    np.testing.assert_array_equal(fresh.fetch_blob("u"), [[0, 255], [7, 128]])
