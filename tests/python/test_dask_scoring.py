"""examples/dask_scoring: partitions scored by Dask worker processes equal
single-process scoring. Needs python3-distributed and python3-sklearn
(`scripts/install_deps.sh --dask`; scripts/test.sh installs them)."""
import importlib.util
import os
import sys

import pytest

from _deps import need

np = need("numpy")
opgraph = need("opgraph")
pytest.importorskip("distributed", reason="python3-distributed is not installed "
                    "(scripts/install_deps.sh --dask)")
pytest.importorskip("sklearn", reason="python3-sklearn is not installed "
                    "(scripts/install_deps.sh --dask)")


def load_example(source_dir):
    path = os.path.join(source_dir, "examples", "dask_scoring", "score.py")
    spec = importlib.util.spec_from_file_location("dask_scoring_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_cluster_scoring_matches_single_process(source_dir, tmp_path):
    example = load_example(source_dir)
    x, labels = example.load_digits()
    assert x.shape == (1797, 64) and set(np.unique(labels)) == set(range(10))
    ws, loss = example.train(x, labels, steps=100)
    predict_path, init_path = example.save_model(ws, str(tmp_path))
    single = example.score_partition(predict_path, init_path, x)
    # The saved model scores like the workspace that trained it.
    np.testing.assert_allclose(single, ws.run(example.predict_net(), {"X": x})["P"],
                               rtol=1e-6, atol=1e-9)
    assert np.mean(np.argmax(single, axis=1) == labels) > 0.9
    scored = example.score_on_cluster(predict_path, init_path, x, partitions=3, workers=2)
    assert scored.shape == (1797, 10)
    # Each partition scored on a worker equals the same rows scored in one
    # process bit for bit; against the whole array scored at once, FC's GEMM
    # may round the last bits differently for another row count.
    blocks = np.concatenate([example.score_partition(predict_path, init_path, part)
                             for part in np.array_split(x, 3)])
    np.testing.assert_array_equal(scored, blocks)
    np.testing.assert_allclose(scored, single, rtol=1e-5, atol=1e-7)
