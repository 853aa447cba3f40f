"""Scoring a dataset on a Dask cluster with opgraph.

Trains a small classifier on scikit-learn's digits (shipped with
python3-sklearn) with opgraph in this process, writes it as a predict net
and an init net, then starts a LocalCluster of worker processes on this
machine, splits the data into partitions and has each worker load the two
nets with opgraph and score its partition. The gathered scores are checked
against scoring the whole set in this process.

    PYTHONPATH=build/python /usr/bin/python3 examples/dask_scoring/score.py
"""

import argparse
import os
import sys
import tempfile

import numpy as np

import opgraph
from opgraph import core

PARAMS = ["W1", "b1", "W2", "b2"]


def load_digits():
    from sklearn.datasets import load_digits as sklearn_digits
    digits = sklearn_digits()
    x = (digits.data / 16.0).astype(np.float32)  # pixels 0..16 -> [0, 1]
    return x, digits.target.astype(np.int32)


def forward(net, x):
    h = net.FC([x, "W1", "b1"], "h")
    z = net.FC([net.Selu(h, "a"), "W2", "b2"], "z")
    return z


def predict_net():
    net = core.Net("digits_predict")
    net.Softmax(forward(net, "X"), "P", axis=1)
    net.AddExternalInput("X", *PARAMS)
    net.AddExternalOutput("P")
    return net


def train(x, labels, hidden=32, steps=150, lr=0.5, seed=0):
    """A workspace holding trained parameters: FC-Selu-FC, full-batch SGD."""
    rng = np.random.default_rng(seed)
    k, c = x.shape[1], int(labels.max()) + 1
    ws = opgraph.Workspace()
    ws.feed_blob("W1", (rng.standard_normal((hidden, k)) / np.sqrt(k)).astype(np.float32))
    ws.feed_blob("b1", np.zeros(hidden, np.float32))
    ws.feed_blob("W2", (rng.standard_normal((c, hidden)) / np.sqrt(hidden)).astype(np.float32))
    ws.feed_blob("b2", np.zeros(c, np.float32))
    ws.feed_blob("X", x)
    ws.feed_blob("labels", labels)
    ws.feed_blob("ONE", np.ones(1, np.float32))
    ws.feed_blob("MINUS_LR", np.full(1, -lr, np.float32))
    net = core.Net("digits_train")
    net.SoftmaxWithLoss([forward(net, "X"), "labels"], ["P", "loss"])
    grads = net.AddGradientOperators(["loss"])
    for p in PARAMS:
        net.WeightedSum([p, "ONE", grads[p], "MINUS_LR"], p)
    ws.create_net(net)
    for _ in range(steps):
        ws.run_net(net)
    return ws, float(ws.fetch_blob("loss"))


def save_model(ws, directory):
    """Writes predict_net.pb and init_net.pb; returns their paths."""
    predict_path = os.path.join(directory, "predict_net.pb")
    init_path = os.path.join(directory, "init_net.pb")
    opgraph.write_net(predict_net(), predict_path)
    opgraph.export_init_net(ws, PARAMS, init_path)
    return predict_path, init_path


def score_partition(predict_path, init_path, x):
    """What a worker runs: a fresh workspace, the init net, the predict net."""
    ws = opgraph.Workspace(num_threads=1)
    ws.run_net_once(init_path)
    return ws.run(predict_path, {"X": x})["P"]


def score_on_cluster(predict_path, init_path, x, partitions=4, workers=2):
    """Scores `x` in `partitions` pieces on a LocalCluster of `workers`
    processes (loopback only); returns the stacked probabilities."""
    import cloudpickle
    from dask.distributed import Client, LocalCluster

    if __name__ != "__main__":
        # Imported (e.g. by the tests) under a name the workers cannot import:
        # send this module's functions by value.
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # Worker processes import opgraph like this one, also when it was found
    # through sys.path rather than PYTHONPATH.
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(opgraph.__file__)))
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if package_parent not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([package_parent] + paths)
    parts = np.array_split(x, partitions)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        futures = [client.submit(score_partition, predict_path, init_path, part, pure=False)
                   for part in parts]
        results = client.gather(futures)
    return np.concatenate(results, axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    x, labels = load_digits()
    ws, loss = train(x, labels)
    with tempfile.TemporaryDirectory() as tmp:
        predict_path, init_path = save_model(ws, tmp)
        single = score_partition(predict_path, init_path, x)
        distributed = score_on_cluster(predict_path, init_path, x, args.partitions,
                                       args.workers)
    same = np.array_equal(single, distributed)
    accuracy = float(np.mean(np.argmax(distributed, axis=1) == labels))
    print("digits: %d samples, training loss %.4f, accuracy %.4f" % (len(x), loss, accuracy))
    print("%d partitions on %d workers: %s single-process scoring"
          % (args.partitions, args.workers, "identical to" if same else "DIFFERENT from"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
