"""Rows per second of opgraph.dask.predict on a LocalCluster of 1 and of 2
worker processes (one Dask thread and one opgraph thread each), on the same
input: ROWS x 64 float32 rows in blocks, scored by the 64-128-10 MLP of
tests/python/test_dask_predict.py (FC, Selu, FC, Softmax; LeCun-normal
weights from examples/digits).

The input is generated on the workers and persisted before the clock
starts; each timing is the best of --repeat runs of persisting the scores
(every block scored, results kept on the workers, nothing gathered; each
run on a new input, so that no result is reused). The
first run on a fresh cluster also builds the model on each worker; it is a
warm-up and not counted. For comparison, the same blocks scored one after
another in this process with one thread.

    PYTHONPATH=build/python /usr/bin/python3 bench/dask_predict.py [--rows 1000000]
"""

import argparse
import importlib.util
import os
import sys
import time

import numpy as np

import opgraph
import opgraph.dask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def digits_example():
    path = os.path.join(ROOT, "examples", "digits", "digits.py")
    spec = importlib.util.spec_from_file_location("digits_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def on_cluster(workers, predict, init, args):
    import dask.array as da
    from dask.distributed import Client, LocalCluster, futures_of, wait

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        times = []
        for run in range(args.repeat + 1):
            # A new input (new keys) for every run, so no result is reused.
            x = da.random.RandomState(1234 + run).standard_normal(
                (args.rows, args.features), chunks=(args.block_rows, args.features))
            x = client.persist(x.astype(np.float32))
            wait(x)
            scores = opgraph.dask.predict(predict, init, x, input="X", output="P",
                                          num_threads=1)
            start = time.perf_counter()
            done = client.persist(scores)
            wait(done)
            times.append(time.perf_counter() - start)
            assert all(f.status == "finished" for f in futures_of(done))
            del done, scores, x
        return min(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--block-rows", type=int, default=62_500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    parent = os.path.dirname(os.path.dirname(os.path.abspath(opgraph.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    digits = digits_example()
    predict = digits.predict_net(2, input="X", output="P")
    init = digits.init_net(digits.lecun_normal([args.features, 128, 10], seed=7))

    # One process, one thread, the same block size.
    rng = np.random.default_rng(0)
    block = rng.standard_normal((args.block_rows, args.features)).astype(np.float32)
    ws = opgraph.Workspace(num_threads=1)
    ws.run_net_once(init)
    ws.feed_blob("X", block)
    ws.create_net(predict)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in range(args.rows // args.block_rows):
            ws.feed_blob("X", block)
            ws.run_net(predict)
            ws.fetch_blob("P")
        best = min(best, time.perf_counter() - start)
    rows = args.rows // args.block_rows * args.block_rows
    print("%d rows x %d features, blocks of %d rows, MLP %d-128-10; %d CPUs, load average "
          "%.1f" % (args.rows, args.features, args.block_rows, args.features, os.cpu_count(),
                    os.getloadavg()[0]))
    print("in process, 1 thread : %8.3f s  %10.0f rows/s" % (best, rows / best))
    for workers in (1, 2):
        seconds = on_cluster(workers, predict, init, args)
        print("Dask, %d worker%s     : %8.3f s  %10.0f rows/s"
              % (workers, " " if workers == 1 else "s", seconds, args.rows / seconds))


if __name__ == "__main__":
    main()
