"""An MLP built with core.Net, differentiated by AddGradientOperators and
trained with WeightedSum SGD steps; the first step is checked against the
same step computed by hand in NumPy float64."""
from _deps import need

np = need("numpy")
opgraph = need("opgraph")
from opgraph import core  # noqa: E402

from test_workspace import SELU_ALPHA, SELU_SCALE, selu64, softmax64  # noqa: E402

PARAMS = ["W1", "b1", "W2", "b2"]
LR = 0.1


def make_data(n=32, k=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, k)).astype(np.float32)
    truth = rng.standard_normal((c, k))
    labels = np.argmax(x @ truth.T, axis=1).astype(np.int32)
    return x, labels


def init_params(k=6, hidden=8, c=3, seed=1):
    rng = np.random.default_rng(seed)
    return {
        "W1": (rng.standard_normal((hidden, k)) / np.sqrt(k)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "W2": (rng.standard_normal((c, hidden)) / np.sqrt(hidden)).astype(np.float32),
        "b2": np.zeros(c, np.float32),
    }


def build_train_net():
    net = core.Net("train")
    h = net.FC(["X", "W1", "b1"], "h")
    a = net.Selu(h, "a")
    z = net.FC([a, "W2", "b2"], "z")
    net.SoftmaxWithLoss([z, "labels"], ["P", "loss"])
    grads = net.AddGradientOperators(["loss"])
    for p in PARAMS:
        net.WeightedSum([p, "ONE", grads[p], "MINUS_LR"], p)
    return net, grads


def numpy_step(x, labels, params):
    """Loss and gradients of the same MLP in float64."""
    p = {k: v.astype(np.float64) for k, v in params.items()}
    x = x.astype(np.float64)
    h = x @ p["W1"].T + p["b1"]
    a = selu64(h)
    z = a @ p["W2"].T + p["b2"]
    prob = softmax64(z, axis=1)
    n = x.shape[0]
    loss = np.mean(-np.log(prob[np.arange(n), labels]))
    dz = prob.copy()
    dz[np.arange(n), labels] -= 1
    dz /= n
    da = dz @ p["W2"]
    dh = da * np.where(h > 0, SELU_SCALE, SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(h, 0)))
    grads = {"W2": dz.T @ a, "b2": dz.sum(0), "W1": dh.T @ x, "b1": dh.sum(0)}
    return loss, grads


def test_mlp_trains_and_its_first_step_matches_numpy():
    x, labels = make_data()
    params = init_params()
    net, grads = build_train_net()
    assert {p: str(grads[p]) for p in PARAMS} == {p: p + "_grad" for p in PARAMS}

    ws = opgraph.Workspace()
    ws.feed_blob("X", x)
    ws.feed_blob("labels", labels)
    ws.feed_blob("ONE", np.ones(1, np.float32))
    ws.feed_blob("MINUS_LR", np.full(1, -LR, np.float32))
    for name, value in params.items():
        ws.feed_blob(name, value)
    ws.create_net(net)

    ref_loss, ref_grads = numpy_step(x, labels, params)
    ws.run_net("train")
    assert abs(float(ws.fetch_blob("loss")) - ref_loss) < 1e-5 * ref_loss
    for p in PARAMS:
        got = ws.fetch_blob(p + "_grad")
        scale = np.abs(ref_grads[p]).max()
        np.testing.assert_allclose(got, ref_grads[p], atol=1e-5 * scale, err_msg=p)
        update = ws.fetch_blob(p).astype(np.float64) - params[p]
        np.testing.assert_allclose(update, -LR * ref_grads[p], atol=1e-6 + 1e-4 * LR * scale,
                                   err_msg=p)

    losses = [float(ws.fetch_blob("loss"))]
    for _ in range(60):
        ws.run_net("train")
        losses.append(float(ws.fetch_blob("loss")))
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(b <= a + 1e-6 for a, b in zip(losses[:10], losses[1:11])), losses[:11]
    accuracy = np.mean(np.argmax(ws.fetch_blob("P"), axis=1) == labels)
    assert accuracy > 0.8
