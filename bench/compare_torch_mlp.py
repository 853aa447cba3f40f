"""The self-normalizing MLP (FC 784->512, Selu, FC 512->512, Selu, FC 512->10,
Softmax; float32; one thread) in opgraph and in PyTorch eager, in one run.

  /usr/bin/python3 bench/compare_torch_mlp.py [BUILD_DIR] [REPETITIONS]

opgraph: `opgraph bench` on a net this script writes, the weights and the
input fed once from .npy files (so FC packs W in Prepare), --threads 1 and 2,
optimized (FC+Selu fused into FCSelu) and with --no-optimize; plus one
training step (forward, SoftmaxWithLoss, the backward net from
`opgraph grad`, SGD by WeightedSum) at batch 256 and 16; and the same MLP
exported by torch.onnx.export (opset 13), run by `opgraph bench MODEL.onnx`
and by ONNX Runtime (bench/ort_bench.js, npm onnxruntime-node, one intra-op
thread; skipped with its reason when `scripts/install_deps.sh --ort` has not
installed it). PyTorch:
torch.no_grad() forward and an autograd + torch.optim.SGD step, one thread
(torch.set_num_threads(1); OPENBLAS_NUM_THREADS=1 and OMP_NUM_THREADS=1 are
set for every process this script starts). Every figure is a median.
The environment is passed through unchanged (OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE included); the script prints what they were.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import numpy as np  # noqa: E402

SIZES = [784, 512, 512, 10]
BATCHES = [1, 16, 256]
TRAIN_BATCHES = [256, 16]


def weights(seed=1):
    rng = np.random.default_rng(seed)
    ps = {}
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:]), start=1):
        ps[f"W{i}"] = (rng.standard_normal((fan_out, fan_in)) / np.sqrt(fan_in)).astype(np.float32)
        ps[f"b{i}"] = (0.01 * rng.standard_normal(fan_out)).astype(np.float32)
    return ps


def forward_ops(train):
    ops = []
    h = "X"
    for i in range(1, len(SIZES)):
        out = f"h{i}" if i < len(SIZES) - 1 else "logits"
        ops.append(f'op {{ type: "FC" input: "{h}" input: "W{i}" input: "b{i}" output: "{out}" }}')
        if i < len(SIZES) - 1:
            ops.append(f'op {{ type: "Selu" input: "{out}" output: "{out}" }}')
        h = out
    if train:
        ops.append('op { type: "SoftmaxWithLoss" input: "logits" input: "label" '
                   'output: "P" output: "loss" }')
    else:
        ops.append('op { type: "Softmax" input: "logits" output: "Y" }')
    return ops


def write_net(path, name, ops, outputs):
    inputs = ["X"] + [f"{p}{i}" for i in range(1, len(SIZES)) for p in ("W", "b")]
    with open(path, "w") as f:
        f.write(f'name: "{name}"\n' + "\n".join(ops) + "\n")
        for i in inputs:
            f.write(f'external_input: "{i}"\n')
        for o in outputs:
            f.write(f'external_output: "{o}"\n')


def og_bench(opgraph, net, feeds, extra, iters):
    cmd = [opgraph, "bench", net, "--json", "--warmup", "20", "--iters", str(iters)] + extra
    for name, path in feeds.items():
        cmd += ["--input", f"{name}={path}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def per_call(fn, reps, min_seconds=0.2):
    fn()
    n = 1
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt >= min_seconds / 4 or n >= 1 << 20:
            break
        n *= 4
    n = max(1, int(n * min_seconds / max(dt, 1e-9)))
    samples = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples)


def fmt(s):
    for u, f in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= f:
            return f"{s / f:.3g} {u}"
    return f"{s / 1e-9:.3g} ns"


def export_onnx(torch, ps, path):
    """The inference MLP as torch.nn modules with the same weights, exported
    by torch.onnx.export at opset 13 with a dynamic batch dimension."""
    layers = []
    for i in range(1, len(SIZES)):
        lin = torch.nn.Linear(SIZES[i - 1], SIZES[i])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(ps[f"W{i}"]))
            lin.bias.copy_(torch.from_numpy(ps[f"b{i}"]))
        layers.append(lin)
        layers.append(torch.nn.SELU() if i < len(SIZES) - 1 else torch.nn.Softmax(dim=1))
    model = torch.nn.Sequential(*layers).eval()
    torch.onnx.export(model, torch.zeros(1, SIZES[0]), path, input_names=["X"],
                      output_names=["Y"], dynamic_axes={"X": {0: "batch"}, "Y": {0: "batch"}},
                      opset_version=13)


def ort_times(model, reps, threads=1):
    """{batch: seconds per run} from ONNX Runtime, or a string saying why not."""
    node = shutil.which("node")
    ort_dir = os.environ.get("OPGRAPH_ORT_DIR", "/usr/local/lib/opgraph-ort")
    if node is None:
        return "skipped: no node on PATH (scripts/install_deps.sh --ort)"
    if not os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")):
        return f"skipped: onnxruntime-node not in {ort_dir} (scripts/install_deps.sh --ort)"
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ort_bench.js")
    r = subprocess.run([node, script, model, "X", str(SIZES[0]),
                        ",".join(map(str, BATCHES)), str(reps), str(threads)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return f"failed: {r.stderr.strip()[-300:]}"
    return {int(k): v for k, v in json.loads(r.stdout).items()}


def read_bandwidth(build, nbytes, reps):
    """Median bytes/s of one thread reading a warm nbytes buffer (fc_bench's
    BM_ReadBandwidth), or None when fc_bench is not built."""
    exe = os.path.join(build, "bench", "fc_bench")
    if not os.path.exists(exe):
        return None
    out = subprocess.run([exe, f"--benchmark_filter=BM_ReadBandwidth/bytes:{nbytes}$",
                          "--benchmark_format=json", f"--benchmark_repetitions={reps}",
                          "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    runs = json.loads(out)["benchmarks"]
    medians = [b for b in runs if b.get("aggregate_name") == "median"]
    # One repetition reports no aggregates, only the run itself.
    return (medians or runs)[0]["bytes_per_second"] if runs else None


def main(argv):
    build = argv[0] if argv else os.path.join(os.path.dirname(__file__), "..", "build")
    reps = int(argv[1]) if len(argv) > 1 else 5
    opgraph = os.path.join(build, "tools", "opgraph")
    import torch
    torch.set_num_threads(1)
    # Debian's build says BLAS_INFO=generic: it calls whatever libblas.so.3
    # the alternatives system points to (printed below).
    blas = [w.strip() for w in torch.__config__.show().replace("\n", ",").split(",")
            if w.strip().split(": ")[-1].startswith(("BLAS_INFO", "USE_MKLDNN", "USE_OPENMP"))]
    blas.append("libblas.so.3 -> " + os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"))
    print(f"machine: {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].split(chr(10))[0].strip()}, "
          f"{os.cpu_count()} CPUs, load {open('/proc/loadavg').read().split()[:3]}")
    print(f"torch {torch.__version__}, capability "
          f"{torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, 'cpu') else '?'}, "
          f"threads {torch.get_num_threads()}; {'; '.join(blas)}")
    print("OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s" % (os.environ.get("OPENBLAS_CORETYPE"),
                                                       os.environ.get("OPENBLAS_L2_SIZE")))
    ps = weights()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        feeds = {}
        for k, v in ps.items():
            feeds[k] = os.path.join(tmp, f"{k}.npy")
            np.save(feeds[k], v)
        net = os.path.join(tmp, "mlp.pbtxt")
        write_net(net, "mlp", forward_ops(False), ["Y"])
        tw = {k: torch.from_numpy(v) for k, v in ps.items()}
        onnx_model = os.path.join(tmp, "mlp.onnx")
        export_onnx(torch, ps, onnx_model)
        ort = ort_times(onnx_model, reps)
        if isinstance(ort, str):
            print(f"ONNX Runtime: {ort}")
        else:
            print("ONNX Runtime: onnxruntime-node " + json.load(open(os.path.join(
                os.environ.get("OPGRAPH_ORT_DIR", "/usr/local/lib/opgraph-ort"), "node_modules",
                "onnxruntime-node", "package.json")))["version"] + ", 1 intra-op thread")
        for batch in BATCHES:
            x = np.random.default_rng(batch).uniform(-1, 1, (batch, SIZES[0])).astype(np.float32)
            f = dict(feeds, X=os.path.join(tmp, f"X{batch}.npy"))
            np.save(f["X"], x)
            iters = {1: 20000, 16: 5000, 256: 400}[batch]
            res = {}
            for label, extra in (("fused", ["--threads", "1"]),
                                 ("unfused", ["--threads", "1", "--no-optimize"]),
                                 ("fused 2 threads", ["--threads", "2"])):
                meds = [og_bench(opgraph, net, f, extra, iters)["net_time"]["median_us"] * 1e-6
                        for _ in range(reps)]
                res[label] = statistics.median(meds)
            meds = [og_bench(opgraph, onnx_model, {"X": f["X"]}, ["--threads", "1"],
                             iters)["net_time"]["median_us"] * 1e-6 for _ in range(reps)]
            res["onnx"] = statistics.median(meds)
            if not isinstance(ort, str):
                res["ort"] = ort[batch]
            xt = torch.from_numpy(x)

            def fwd():
                with torch.no_grad():
                    h = torch.selu(torch.nn.functional.linear(xt, tw["W1"], tw["b1"]))
                    h = torch.selu(torch.nn.functional.linear(h, tw["W2"], tw["b2"]))
                    return torch.softmax(torch.nn.functional.linear(h, tw["W3"], tw["b3"]), 1)
            # Same function of the same inputs: the outputs agree closely.
            res["torch"] = per_call(fwd, reps)
            rows.append((f"MLP forward, batch {batch}", res))

        # Training step: forward + loss + backward + SGD, weights updated in place.
        tnet = os.path.join(tmp, "mlp_train_fwd.pbtxt")
        write_net(tnet, "mlp_train", forward_ops(True), ["loss"])
        gnet = os.path.join(tmp, "mlp_train_grad.pbtxt")
        subprocess.run([opgraph, "grad", tnet, "--loss", "loss", "-o", gnet], check=True,
                       capture_output=True, text=True)
        with open(gnet) as fsrc:
            text = fsrc.read()
        for i in range(1, len(SIZES)):
            for p in ("W", "b"):
                text += (f'op {{ type: "WeightedSum" input: "{p}{i}" input: "ONE" '
                         f'input: "{p}{i}_grad" input: "MINUS_LR" output: "{p}{i}" }}\n')
        snet = os.path.join(tmp, "mlp_train_sgd.pbtxt")
        with open(snet, "w") as fdst:
            fdst.write(text)
        np.save(os.path.join(tmp, "ONE.npy"), np.array([1.0], np.float32))
        np.save(os.path.join(tmp, "MINUS_LR.npy"), np.array([-1e-4], np.float32))
        for batch in TRAIN_BATCHES:
            rng = np.random.default_rng(100 + batch)
            x = rng.uniform(-1, 1, (batch, SIZES[0])).astype(np.float32)
            lab = rng.integers(0, SIZES[-1], batch).astype(np.int32)
            f = dict(feeds, X=os.path.join(tmp, f"TX{batch}.npy"),
                     label=os.path.join(tmp, f"L{batch}.npy"),
                     ONE=os.path.join(tmp, "ONE.npy"), MINUS_LR=os.path.join(tmp, "MINUS_LR.npy"))
            np.save(f["X"], x)
            np.save(f["label"], lab)
            iters = {16: 2000, 256: 200}[batch]
            res = {}
            for label, extra in (("fused", ["--threads", "1"]),
                                 ("unfused", ["--threads", "1", "--no-optimize"])):
                meds = [og_bench(opgraph, snet, f, extra, iters)["net_time"]["median_us"] * 1e-6
                        for _ in range(reps)]
                res[label] = statistics.median(meds)
            params = [torch.from_numpy(ps[k].copy()).requires_grad_() for k in
                      ("W1", "b1", "W2", "b2", "W3", "b3")]
            opt = torch.optim.SGD(params, lr=1e-4)
            xt = torch.from_numpy(x)
            lt = torch.from_numpy(lab.astype(np.int64))

            def step():
                opt.zero_grad(set_to_none=True)
                h = torch.selu(torch.nn.functional.linear(xt, params[0], params[1]))
                h = torch.selu(torch.nn.functional.linear(h, params[2], params[3]))
                loss = torch.nn.functional.cross_entropy(
                    torch.nn.functional.linear(h, params[4], params[5]), lt)
                loss.backward()
                opt.step()
            res["torch"] = per_call(step, reps)
            rows.append((f"training step, batch {batch}", res))

    print()
    print("| case | opgraph (fused) | opgraph (--no-optimize) | opgraph 2 threads | "
          "opgraph, ONNX model | PyTorch | ONNX Runtime | x vs PyTorch (fused) | "
          "x vs ONNX Runtime (fused) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case, r in rows:
        def cell(key):
            return fmt(r[key]) if key in r else "-"
        x_ort = f"{r['ort'] / r['fused']:.2f}" if "ort" in r else "-"
        print(f"| {case} | {fmt(r['fused'])} | {fmt(r['unfused'])} | {cell('fused 2 threads')} | "
              f"{cell('onnx')} | {fmt(r['torch'])} | {cell('ort')} | "
              f"{r['torch'] / r['fused']:.2f} | {x_ort} |")
    print("\nx = peer time / opgraph time; > 1: opgraph faster. Medians of "
          f"{reps} runs of `opgraph bench` (each a median over its iterations), of "
          f"{reps} PyTorch samples and of {reps} ONNX Runtime samples.")
    weight_bytes = 4 * sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:]))
    bw = read_bandwidth(build, weight_bytes, reps)
    if bw is None:
        print("weight-streaming bound: build fc_bench (cmake --build build --target fc_bench)")
    else:
        bound = weight_bytes / bw
        one = rows[0][1]["fused"]
        print(f"weight-streaming bound at batch 1: {weight_bytes} weight bytes / "
              f"{bw / 1e9:.1f} GB/s (one thread reading them warm, fc_bench "
              f"BM_ReadBandwidth) = {fmt(bound)}; opgraph batch 1 takes {one / bound:.2f}x it")
    print(f"load after: {open('/proc/loadavg').read().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
