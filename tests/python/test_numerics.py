"""Selu, Softmax and FC run through Python against NumPy in float64."""
import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core  # noqa: E402

from test_workspace import SELU_ALPHA, SELU_SCALE, selu64, softmax64  # noqa: E402

# float32 kernels: a few units in the last place.
TOL32 = dict(rtol=4e-7 * 4, atol=1e-7)
TOL64 = dict(rtol=1e-13, atol=1e-15)


def run_one(op_type, inputs, dtype, **kwargs):
    ws = opgraph.Workspace()
    names = []
    for i, x in enumerate(inputs):
        ws.feed_blob("in%d" % i, np.asarray(x, dtype))
        names.append("in%d" % i)
    net = core.Net("one")
    getattr(net, op_type)(names, "out", **kwargs)
    ws.run_net_once(net)
    return ws.fetch_blob("out")


@pytest.mark.parametrize("dtype,tol", [(np.float32, TOL32), (np.float64, TOL64)])
@pytest.mark.parametrize("kwargs", [{}, {"alpha": 1.2, "scale": 2.0}, {"alpha": 2, "scale": 3}])
def test_selu(dtype, tol, kwargs):
    x = np.random.default_rng(1).uniform(-6, 6, (7, 33)).astype(dtype)
    y = run_one("Selu", [x], dtype, **kwargs)
    assert y.dtype == dtype
    # A given argument travels as a float (Argument.f), so it is the float32
    # nearest to the Python value; the defaults keep full precision.
    alpha = float(np.float32(kwargs["alpha"])) if "alpha" in kwargs else SELU_ALPHA
    scale = float(np.float32(kwargs["scale"])) if "scale" in kwargs else SELU_SCALE
    np.testing.assert_allclose(y, selu64(x.astype(np.float64), alpha, scale), **tol)


@pytest.mark.parametrize("dtype,tol", [(np.float32, TOL32), (np.float64, TOL64)])
@pytest.mark.parametrize("shape,axis", [((5, 17), 1), ((3, 4, 6), 1), ((3, 4, 6), 2),
                                        ((2, 1000), 1)])
def test_softmax(dtype, tol, shape, axis):
    x = np.random.default_rng(2).uniform(-20, 20, shape).astype(dtype)
    y = run_one("Softmax", [x], dtype, axis=axis)
    # Caffe2's Softmax flattens to [prod(dims[:axis]), prod(dims[axis:])].
    flat = x.astype(np.float64).reshape(int(np.prod(shape[:axis])), -1)
    expected = softmax64(flat, axis=1).reshape(shape)
    np.testing.assert_allclose(y, expected, **tol)
    np.testing.assert_allclose(y.reshape(flat.shape).sum(axis=1), 1, rtol=1e-5)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 2e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("m,k,n", [(1, 3, 2), (16, 64, 10), (33, 100, 7)])
def test_fc(dtype, rtol, m, k, n):
    rng = np.random.default_rng(m * 1000 + k)
    x = rng.standard_normal((m, k)).astype(dtype)
    w = rng.standard_normal((n, k)).astype(dtype)
    b = rng.standard_normal(n).astype(dtype)
    y = run_one("FC", [x, w, b], dtype)
    assert y.shape == (m, n) and y.dtype == dtype
    expected = x.astype(np.float64) @ w.astype(np.float64).T + b
    # Error relative to the magnitude of the sum's terms.
    scale = np.abs(x.astype(np.float64)) @ np.abs(w.astype(np.float64)).T + np.abs(b)
    assert np.all(np.abs(y - expected) <= rtol * scale + 1e-30)


def test_fc_flattens_at_axis():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 10
    w = np.ones((5, 12))
    b = np.zeros(5)
    y = run_one("FC", [x, w, b], np.float64, axis=1)
    np.testing.assert_allclose(y, x.reshape(2, 12) @ w.T)
