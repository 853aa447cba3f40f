"""examples/digits run in full (about 30 s here): the self-normalizing MLP
reaches >= 97% test accuracy on the fixed split; the pictures are written;
selu_softmax matches NumPy for a vector and a matrix; the exported model
scores the test set identically in this process, through `opgraph run` and,
block for block, through opgraph.dask.predict on two worker processes.
Needs python3-sklearn, python3-matplotlib and python3-distributed
(scripts/install_deps.sh --dask)."""
import importlib.util
import os
import sys

import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
for module in ("sklearn", "matplotlib", "distributed"):
    pytest.importorskip(module, reason="%s is not installed (scripts/install_deps.sh --dask)"
                        % module)


def load_example(source_dir):
    name = "digits_example"
    if name not in sys.modules:
        path = os.path.join(source_dir, "examples", "digits", "digits.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_split_is_fixed_and_augmentation_shifts(source_dir):
    digits = load_example(source_dir)
    a = digits.split_digits(0)
    b = digits.split_digits(0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    x_train, y_train, x_test, y_test = a
    assert len(x_train) + len(x_test) == 1797 and len(x_test) == 449
    xs, ys = digits.shifted_copies(x_train[:2], y_train[:2])
    assert xs.shape == (10, 64) and list(ys) == list(y_train[:2]) * 5
    img, down = x_train[0].reshape(8, 8), xs[2].reshape(8, 8)  # moved down one row
    np.testing.assert_array_equal(down[1:], img[:-1])
    np.testing.assert_array_equal(down[0], 0)


def test_lecun_normal_initialization(source_dir):
    digits = load_example(source_dir)
    params = digits.lecun_normal([400, 300, 10], seed=1)
    w = params["W0"]
    assert w.shape == (300, 400) and w.dtype == np.float32
    # Var(W) = 1 / fan_in: 120000 draws give the variance within a few %.
    assert abs(w.var() * 400 - 1) < 0.03 and abs(w.mean()) < 0.01
    np.testing.assert_array_equal(params["b0"], 0)


def test_selu_softmax_vector_and_matrix(source_dir):
    digits = load_example(source_dir)
    results = digits.selu_softmax_demo(seed=3)
    vec, err_v = results["vector"]
    mat, err_m = results["matrix"]
    assert vec.shape == (7, ) and mat.shape == (5, 3)
    np.testing.assert_allclose(vec.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(mat.sum(axis=0), np.ones(3), rtol=1e-6)  # along dim 0
    assert err_v < 1e-6 and err_m < 1e-6


def test_full_example(source_dir, cli, tmp_path):
    digits = load_example(source_dir)
    r = digits.run(str(tmp_path), cli=cli, dask_workers=2, log=None)
    print("digits: test accuracy %.4f, %.1f s" % (r["test_acc"], r["seconds"]))
    assert r["test_acc"] >= 0.97
    assert r["exported_test_acc"] >= 0.97
    hist = r["history"]
    assert len(hist["loss"]) == 30 and hist["loss"][-1] < hist["loss"][0]
    assert len(hist["act_mean"]) == 31 and len(hist["act_mean"][0]) == 2
    for path in r["pictures"]:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
    p = r["p_local"]
    assert p.shape == (449, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(r["p_cli"], p)
    np.testing.assert_array_equal(r["p_dask"], r["p_blocks"])
    np.testing.assert_allclose(r["p_dask"], p, rtol=1e-5, atol=1e-6)
