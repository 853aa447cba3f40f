"""A self-normalizing MLP on scikit-learn's handwritten digits, trained
with opgraph from Python.

Loads the 1797 8x8 digits that python3-sklearn ships (no download), splits
them 75/25 with a fixed seed, adds copies of the training images moved by
one pixel, standardizes the pixels with the training set's mean and
deviation, and trains two FC+Selu layers of 256 (LeCun-normal weights, zero
biases) and a final FC with SoftmaxWithLoss by mini-batch SGD: the gradient
net comes from AddGradientOperators, the update is one WeightedSum per
parameter. It then

- draws the loss and accuracy curves and the mean and variance of every
  Selu layer's activations over training (PNG files, matplotlib's Agg);
- shows softmax(selu(x)) along dim 0: a vector through a two-operator net
  (Selu, Softmax), a matrix through the fused SeluSoftmax, each against a
  NumPy formula;
- exports the trained model (the standardization folded into the first
  layer) with opgraph.export_init_net and scores the test set with
  `opgraph run` and with opgraph.dask.predict on a LocalCluster.

    PYTHONPATH=build/python /usr/bin/python3 examples/digits/digits.py --out examples/digits
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import opgraph
from opgraph import core

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.dirname(HERE)


def _load(name, relpath):
    """A module of another example, imported by path."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, relpath))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The digits loader of examples/dask_scoring, the Selu constants of
# examples/selu_softmax (its independent double-precision check).
dask_scoring = _load("dask_scoring_example", "dask_scoring/score.py")
selu_reference = _load("selu_softmax_check", "selu_softmax/check_expected.py")

# --------------------------------------------------------------------------
# Data


def split_digits(seed=0, test_fraction=0.25):
    """(x_train, y_train, x_test, y_test): pixels scaled to [0, 1], float32,
    labels int32; the split is a permutation drawn from `seed`."""
    x, y = dask_scoring.load_digits()
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def shifted_copies(x, y):
    """`x` (flattened 8x8 images) with four copies moved by one pixel up,
    down, left and right (zeros shifted in), and the labels to match: a
    simple augmentation that makes the classifier less sensitive to where
    the digit sits."""
    images = x.reshape(-1, 8, 8)
    out = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        edge = 0 if step == 1 else -1
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        out.append(moved)
    return np.concatenate(out).reshape(-1, 64), np.tile(y, len(out))


def standardizer(x_train, floor=0.1):
    """Per-pixel mean and deviation of the training set. Deviations are at
    least `floor` (pixels are in [0, 1]): a pixel almost always blank in
    training (a corner) would otherwise blow up on a test image that
    touches it."""
    mean = x_train.mean(axis=0)
    std = np.maximum(x_train.std(axis=0), floor)
    return mean.astype(np.float32), std.astype(np.float32)


# --------------------------------------------------------------------------
# The model


def param_names(n_layers):
    return [n for i in range(n_layers) for n in ("W%d" % i, "b%d" % i)]


def forward(net, x, n_layers):
    """FC+Selu for every layer but the last, which gives the logits.
    Returns (logits, [the Selu outputs])."""
    activations = []
    h = x
    for i in range(n_layers):
        h = net.FC([h, "W%d" % i, "b%d" % i], "z%d" % i)
        if i < n_layers - 1:
            h = net.Selu(h, "a%d" % i)
            activations.append(h)
    return h, activations


def predict_net(n_layers, input="X", output="P"):
    """Softmax of the logits: the scoring net."""
    net = core.Net("digits_snn_predict")
    logits, _ = forward(net, input, n_layers)
    net.Softmax(logits, output, axis=1)
    net.AddExternalInput(input, *param_names(n_layers))
    net.AddExternalOutput(output)
    return net


def lecun_normal(sizes, seed):
    """{name: array} of W_i ~ N(0, 1/fan_in) [out, in] and zero b_i, for
    layer sizes [in, hidden..., out]: the initialization SELU's fixed point
    of mean 0 and variance 1 assumes."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)
        params["W%d" % i] = w.astype(np.float32)
        params["b%d" % i] = np.zeros(fan_out, np.float32)
    return params


def init_net(params, name="init"):
    """An init net of GivenTensorFill operators holding `params`, made by
    opgraph.export_init_net from a workspace."""
    ws = opgraph.Workspace()
    for k, v in params.items():
        ws.feed_blob(k, v)
    return opgraph.export_init_net(ws, sorted(params), name=name)


SIZES = (64, 256, 256, 10)


def train(x_train, y_train, x_test, y_test, sizes=SIZES, epochs=30, batch=64, lr=0.1,
          weight_decay=1e-4, seed=0, log=print):
    """Trains by mini-batch SGD with L2 weight decay, p <- (1 - lr wd) p -
    lr grad as one WeightedSum, lr on a cosine schedule. Returns (workspace,
    history). The history has per-epoch train loss, train and test
    accuracy, and per-layer activation mean and variance on the test set
    (at initialization, then after each epoch)."""
    n_layers = len(sizes) - 1
    params = lecun_normal(list(sizes), seed)
    ws = opgraph.Workspace()
    for k, v in params.items():
        ws.feed_blob(k, v)

    net = core.Net("digits_snn_train")
    logits, _ = forward(net, "X", n_layers)
    net.SoftmaxWithLoss([logits, "labels"], ["P", "loss"])
    grads = net.AddGradientOperators(["loss"])
    for p in param_names(n_layers):
        net.WeightedSum([p, "DECAY", grads[p], "MINUS_LR"], p)

    # Evaluation: probabilities and every Selu output, no update.
    eval_net = core.Net("digits_snn_eval")
    eval_logits, activations = forward(eval_net, "X", n_layers)
    eval_net.Softmax(eval_logits, "P", axis=1)
    eval_ws_outputs = ["P"] + [str(a) for a in activations]

    def evaluate(x):
        out = ws.run(eval_net, {"X": x}, outputs=eval_ws_outputs)
        return out["P"], [out[str(a)] for a in activations]

    rng = np.random.default_rng(seed + 1)
    history = {"loss": [], "train_acc": [], "test_acc": [], "act_mean": [], "act_var": []}
    # The activations at initialization: epoch 0 of the pictures.
    _, acts = evaluate(x_test)
    history["act_mean"].append([float(a.mean()) for a in acts])
    history["act_var"].append([float(a.var()) for a in acts])
    created = False
    for epoch in range(epochs):
        # A cosine schedule from lr down to lr / 20.
        lr_now = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * epoch / epochs)))
        ws.feed_blob("DECAY", np.full(1, 1.0 - lr_now * weight_decay, np.float32))
        ws.feed_blob("MINUS_LR", np.full(1, -lr_now, np.float32))
        order = rng.permutation(len(x_train))
        losses = []
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            ws.feed_blob("X", x_train[rows])
            ws.feed_blob("labels", y_train[rows])
            if not created:
                ws.create_net(net)
                created = True
            ws.run_net(net)
            losses.append(float(ws.fetch_blob("loss")) * len(rows))
        p_train, _ = evaluate(x_train)
        p_test, acts = evaluate(x_test)
        history["loss"].append(sum(losses) / len(x_train))
        history["train_acc"].append(float(np.mean(p_train.argmax(1) == y_train)))
        history["test_acc"].append(float(np.mean(p_test.argmax(1) == y_test)))
        history["act_mean"].append([float(a.mean()) for a in acts])
        history["act_var"].append([float(a.var()) for a in acts])
        if log and (epoch % 10 == 9 or epoch == epochs - 1):
            log("epoch %3d  loss %.4f  train acc %.4f  test acc %.4f" %
                (epoch + 1, history["loss"][-1], history["train_acc"][-1],
                 history["test_acc"][-1]))
    return ws, history


def folded_params(ws, n_layers, mean, std):
    """The trained parameters with the standardization (x - mean) / std
    folded into the first layer, so that the exported model takes the
    [0, 1] pixels: W0' = W0 / std, b0' = b0 - W0' mean."""
    params = {p: ws.fetch_blob(p) for p in param_names(n_layers)}
    w0 = params["W0"].astype(np.float64) / std
    params["W0"] = w0.astype(np.float32)
    params["b0"] = (params["b0"] - w0 @ mean).astype(np.float32)
    return params


def export_model(ws, n_layers, mean, std, directory):
    """predict_net.pb and init_net.pb in `directory` (the export goes
    through opgraph.export_init_net); returns their paths."""
    predict_path = os.path.join(directory, "predict_net.pb")
    init_path = os.path.join(directory, "init_net.pb")
    export_ws = opgraph.Workspace()
    for k, v in folded_params(ws, n_layers, mean, std).items():
        export_ws.feed_blob(k, v)
    opgraph.export_init_net(export_ws, param_names(n_layers), init_path)
    opgraph.write_net(predict_net(n_layers), predict_path)
    return predict_path, init_path


# --------------------------------------------------------------------------
# selu_softmax: softmax along dim 0 of selu(x)


def selu_softmax_numpy(x):
    """softmax(selu(x), dim 0) in float64, with the constants of
    examples/selu_softmax/check_expected.py."""
    x = np.asarray(x, np.float64)
    alpha, scale = selu_reference.ALPHA, selu_reference.SCALE
    s = np.where(x > 0, scale * x, scale * alpha * np.expm1(np.minimum(x, 0)))
    e = np.exp(s - s.max(axis=0))
    return e / e.sum(axis=0)


def selu_softmax_demo(seed=0):
    """The vector case as a two-operator net, the matrix case through the
    fused SeluSoftmax; returns {case: (opgraph result, max |error|)}."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(7).astype(np.float32) * 2
    m = rng.standard_normal((5, 3)).astype(np.float32) * 2

    vector_net = core.Net("selu_softmax_vector")
    vector_net.Softmax(vector_net.Selu("v", "sv"), "y", axis=0)  # [7] seen as [1, 7]
    y_vec = opgraph.Workspace().run(vector_net, {"v": v}, outputs=["y"])["y"]

    matrix_net = core.Net("selu_softmax_matrix")
    matrix_net.SeluSoftmax("m", "y", axis=0)  # each column sums to 1
    y_mat = opgraph.Workspace().run(matrix_net, {"m": m}, outputs=["y"])["y"]

    results = {}
    for case, got, x in (("vector", y_vec, v), ("matrix", y_mat, m)):
        ref = selu_softmax_numpy(x)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-7, err_msg=case)
        results[case] = (got, float(np.max(np.abs(got - ref))))
    return results


# --------------------------------------------------------------------------
# Scoring the exported model elsewhere


def score_with_cli(cli, predict_path, init_path, x, directory):
    """`opgraph run` on the exported nets, in a subprocess."""
    x_path = os.path.join(directory, "x_test.npy")
    p_path = os.path.join(directory, "p_cli.npy")
    np.save(x_path, x)
    subprocess.run([cli, "run", predict_path, "--init", init_path, "--input", "X=" + x_path,
                    "--output", "P=" + p_path], check=True, stdout=subprocess.DEVNULL)
    return np.load(p_path)


def score_with_dask(predict_path, init_path, x, workers=2, rows_per_block=150):
    """opgraph.dask.predict over a LocalCluster of `workers` processes, in
    blocks of `rows_per_block` rows."""
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    import opgraph.dask

    _export_pythonpath()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster):
        scores = opgraph.dask.predict(predict_path, init_path,
                                      da.from_array(x, chunks=(rows_per_block, -1)),
                                      input="X", output="P", num_threads=1)
        return scores.compute()


def _export_pythonpath():
    """Worker processes import opgraph as this process did."""
    parent = os.path.dirname(os.path.dirname(os.path.abspath(opgraph.__file__)))
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if parent not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([parent] + paths)


# --------------------------------------------------------------------------
# Pictures


def plot(history, directory):
    """training.png (loss, accuracy) and activations.png (per-layer mean and
    variance of the Selu outputs on the test set); returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_loss.plot(epochs, history["loss"])
    ax_loss.set_yscale("log")
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy)", title="Loss")
    ax_acc.plot(epochs, history["train_acc"], label="train")
    ax_acc.plot(epochs, history["test_acc"], label="test")
    ax_acc.axhline(0.97, color="gray", linestyle=":", label="97%")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Accuracy", ylim=(0.8, 1.005))
    ax_acc.legend(loc="lower right")
    fig.tight_layout()
    training = os.path.join(directory, "training.png")
    fig.savefig(training, dpi=90)
    plt.close(fig)

    means, variances = np.array(history["act_mean"]), np.array(history["act_var"])
    fig, (ax_m, ax_v) = plt.subplots(1, 2, figsize=(10, 3.8))
    at = np.arange(len(means))  # 0: at initialization
    for layer in range(means.shape[1]):
        ax_m.plot(at, means[:, layer], marker=".", label="Selu %d" % (layer + 1))
        ax_v.plot(at, variances[:, layer], marker=".", label="Selu %d" % (layer + 1))
    ax_m.axhline(0.0, color="gray", linestyle=":")
    ax_v.axhline(1.0, color="gray", linestyle=":")
    ax_m.set(xlabel="epoch", ylabel="mean", title="Activation mean (test set)")
    ax_v.set(xlabel="epoch", ylabel="variance", title="Activation variance (test set)")
    ax_m.legend()
    fig.tight_layout()
    activations = os.path.join(directory, "activations.png")
    fig.savefig(activations, dpi=90)
    plt.close(fig)
    return training, activations


# --------------------------------------------------------------------------


def run(out_dir, cli=None, epochs=30, dask_workers=2, seed=0, log=print):
    """The whole example; returns a dict of results (see main)."""
    start = time.time()
    x_train, y_train, x_test, y_test = split_digits(seed)
    x_train, y_train = shifted_copies(x_train, y_train)
    mean, std = standardizer(x_train)
    sizes = SIZES
    ws, history = train((x_train - mean) / std, y_train, (x_test - mean) / std, y_test,
                        sizes=sizes, epochs=epochs, seed=seed, log=log)
    results = {"test_acc": history["test_acc"][-1], "history": history,
               "train_seconds": time.time() - start}
    os.makedirs(out_dir, exist_ok=True)
    results["pictures"] = plot(history, out_dir)
    results["selu_softmax"] = selu_softmax_demo(seed)

    with tempfile.TemporaryDirectory() as tmp:
        predict_path, init_path = export_model(ws, len(sizes) - 1, mean, std, tmp)
        # The exported model takes the raw pixels (standardization folded in).
        p_local = _run_with_init(predict_path, init_path, x_test)
        results["p_local"] = p_local
        if cli:
            results["p_cli"] = score_with_cli(cli, predict_path, init_path, x_test, tmp)
        if dask_workers:
            rows = 150
            results["p_dask"] = score_with_dask(predict_path, init_path, x_test, dask_workers,
                                                rows)
            # The same blocks scored here: a GEMM may round differently for
            # another row count, so the blocks (not the whole set) are what
            # the workers must match bit for bit.
            results["p_blocks"] = np.concatenate([
                _run_with_init(predict_path, init_path, x_test[i:i + rows])
                for i in range(0, len(x_test), rows)])
    results["exported_test_acc"] = float(np.mean(p_local.argmax(1) == y_test))
    results["y_test"] = y_test
    results["seconds"] = time.time() - start
    return results


def _run_with_init(predict_path, init_path, x):
    ws = opgraph.Workspace()
    ws.run_net_once(init_path)
    return ws.run(predict_path, {"X": x})["P"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=HERE, help="where the PNG files go")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (0: no Dask)")
    parser.add_argument("--cli", default=None,
                        help="the opgraph binary (default: build/tools/opgraph if built)")
    args = parser.parse_args(argv)
    cli = args.cli or os.path.join(os.path.dirname(EXAMPLES), "build", "tools", "opgraph")
    if not os.path.exists(cli):
        print("no opgraph binary at %s: `opgraph run` is skipped" % cli)
        cli = None

    r = run(args.out, cli=cli, epochs=args.epochs, dask_workers=args.workers)
    print("test accuracy %.4f after %d epochs (%.1f s of training)"
          % (r["test_acc"], args.epochs, r["train_seconds"]))
    print("exported model (standardization folded into W0, b0): test accuracy %.4f"
          % r["exported_test_acc"])
    for case, (value, err) in r["selu_softmax"].items():
        print("selu_softmax %s: max |opgraph - numpy| = %.2g" % (case, err))
    ok = r["test_acc"] >= 0.97
    if "p_cli" in r:
        same = np.array_equal(r["p_cli"], r["p_local"])
        ok = ok and same
        print("opgraph run: %s the in-process scores" % ("identical to" if same else
                                                          "DIFFERENT from"))
    if "p_dask" in r:
        same = np.array_equal(r["p_dask"], r["p_blocks"])
        ok = ok and same
        print("opgraph.dask.predict on %d workers: %s the same blocks scored in process; "
              "max |difference| from the whole set scored at once %.2g"
              % (args.workers, "identical to" if same else "DIFFERENT from",
                 np.max(np.abs(r["p_dask"] - r["p_local"]))))
    print("pictures: %s" % ", ".join(r["pictures"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
