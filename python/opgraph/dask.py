"""Scoring Dask collections with an opgraph net, block by block, on every
Dask worker.

    import dask.array as da
    import opgraph.dask

    x = da.from_zarr(...)                       # [rows, features], any row chunks
    y = opgraph.dask.predict("predict_net.pb", "init_net.pb", x,
                             input="X", output="P", num_threads=2)
    y.compute()                                 # or y.to_zarr(...), ...

What travels: the two nets are serialized here, in the calling process, and
the bytes become one key of the task graph. A path names a file on THIS
machine: its contents are sent, so workers need no shared file system. Each
worker process fetches that key once, builds one opgraph Workspace from it
the first time a block arrives (running the init net, creating the predict
net) and keeps it in a per-process cache keyed by a SHA-256 of the bytes;
every later block on that worker only feeds, runs and fetches. Plugins are
different: they are shared libraries, loaded by path on each worker, so the
file must exist at that path on every worker.

See docs/PYTHON.md and, for a cluster of several machines, docs/SCALE.md.
"""

import collections
import hashlib
import os
import threading

import numpy as np

from . import workspace as _workspace
from .workspace import Workspace

# Models built in this process: key -> _Model, least recently used first.
_MODELS = collections.OrderedDict()
_MODELS_LOCK = threading.Lock()
# How many different models one process keeps; the least recently used one
# is dropped beyond that.
MAX_CACHED_MODELS = 4
# Models built since the process started (or since clear_cache()), by key.
_LOADS = collections.Counter()


class _Model:
    """One loaded model: a workspace holding the parameters and the created
    predict net. Blocks are scored one at a time (a lock), so several Dask
    threads in one worker share the model; the parallelism inside a block is
    the workspace's num_threads."""

    def __init__(self, predict_bytes, init_bytes, plugins):
        from . import NetDef, load_plugin
        for path in plugins:
            load_plugin(path)
        self.lock = threading.Lock()
        self.ws = Workspace()
        if init_bytes:
            self.ws.run_net_once(init_bytes)
        net = NetDef.FromString(predict_bytes)
        net.name = "opgraph_dask_predict"
        self.net_bytes = net.SerializeToString()
        self.created = False
        self.blocks = 0

    def score(self, block, input, output, num_threads):
        with self.lock:
            if num_threads is not None:
                self.ws.num_threads = num_threads
            self.ws.feed_blob(input, block)
            if not self.created:
                # Created once the input exists, so that shape checks see it;
                # later blocks may have another row count.
                self.ws.create_net(self.net_bytes)
                self.created = True
            self.ws.run_net("opgraph_dask_predict")
            self.blocks += 1
            return self.ws.fetch_blob(output)


class _Nets:
    """The serialized nets and plugin paths, as one object in the task graph
    (not a tuple, which Dask's graph tools would read as a task)."""

    __slots__ = ("predict", "init", "plugins")

    def __init__(self, predict, init, plugins):
        self.predict, self.init, self.plugins = predict, init, plugins

    def __getstate__(self):
        return (self.predict, self.init, self.plugins)

    def __setstate__(self, state):
        self.predict, self.init, self.plugins = state


def _model(key, nets):
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            _MODELS.move_to_end(key)
            return model
        model = _Model(nets.predict, nets.init, nets.plugins)
        _MODELS[key] = model
        _LOADS[key] += 1
        while len(_MODELS) > MAX_CACHED_MODELS:
            _MODELS.popitem(last=False)
        return model


def _score_block(block, nets, model_key, in_blob, out_blob, threads, cast):
    if cast is not None and block.dtype != cast:
        block = block.astype(cast)
    result = _model(model_key, nets).score(np.ascontiguousarray(block), in_blob, out_blob,
                                           threads)
    if result.ndim != 2 or result.shape[0] != block.shape[0]:
        raise ValueError("opgraph.dask.predict: output '%s' has shape %s for an input block of "
                         "%d rows; the net must give [rows, columns]"
                         % (out_blob, list(result.shape), block.shape[0]))
    return result


def cache_info():
    """This process's models: {key: {"loads": times built, "blocks": blocks
    scored by the cached copy}}. On a cluster, ``client.run(cache_info)``
    asks every worker."""
    with _MODELS_LOCK:
        return {key: {"loads": _LOADS[key],
                      "blocks": _MODELS[key].blocks if key in _MODELS else 0}
                for key in _LOADS}


def clear_cache():
    """Drops this process's models (and their counts)."""
    with _MODELS_LOCK:
        _MODELS.clear()
        _LOADS.clear()


def model_key(predict_net, init_net=None, plugins=()):
    """The cache key of a model: a SHA-256 over the serialized nets and the
    plugin paths."""
    return _key(*_serialize(predict_net, init_net, plugins))


def _serialize(predict_net, init_net, plugins):
    predict_bytes = _workspace._net_bytes(predict_net)
    init_bytes = _workspace._net_bytes(init_net) if init_net is not None else b""
    if isinstance(plugins, (str, os.PathLike)):
        plugins = [plugins]
    return predict_bytes, init_bytes, tuple(os.fspath(p) for p in plugins)


def _key(predict_bytes, init_bytes, plugins):
    h = hashlib.sha256()
    for part in (predict_bytes, init_bytes, "\0".join(plugins).encode()):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def _as_dask_array(data):
    import dask.array as da
    if isinstance(data, da.Array):
        return data
    if hasattr(data, "to_dask_array"):  # a dask DataFrame
        # Partition lengths are computed (one pass) so that the result has
        # known chunks, like an array's.
        return data.to_dask_array(lengths=True)
    raise TypeError("opgraph.dask.predict: expected a dask.array.Array or a dask DataFrame, "
                    "got %s (wrap a NumPy array with dask.array.from_array)"
                    % type(data).__name__)


def _probe(nets, input, output, columns, dtype):
    """The output of scoring one row of zeros in this process: its dtype and
    its shape past the rows. Also catches a bad net before any block runs."""
    model = _Model(*nets)
    return model.score(np.zeros((1, columns), dtype), input, output, None)


def predict(predict_net, init_net, data, input="X", output="Y", num_threads=None,
            plugins=(), dtype=None, probe=True, out_dtype=None, out_columns=None):
    """Scores ``data`` with ``predict_net`` block by block on the Dask
    workers; returns a lazy dask array.

    predict_net, init_net: NetDef messages, ``core.Net`` objects, serialized
        bytes or paths of .pb/.pbtxt files on this machine (read here: the
        bytes are shipped, not the path). ``init_net`` (may be None) runs
        once per worker before the first block, to set the parameters.
    data: a 2-D dask.array, chunked along rows (column chunks are merged
        into one), or a dask DataFrame (its partitions become row blocks).
    input, output: the blob a block is fed as, and the blob fetched. The
        output must be [rows of the block, columns], columns the same for
        every block.
    num_threads: opgraph threads per block on a worker (None: the worker's
        default, OPGRAPH_NUM_THREADS or 1). With Dask's threads_per_worker
        = 1 this is the worker's whole parallelism.
    plugins: plugin paths, loaded on each worker (and here, by the probe);
        each file must exist at that path on every worker.
    dtype: cast each block to this dtype on the worker (e.g. np.float32 for
        a float64 DataFrame); None keeps the data's dtype.
    probe: score one row of zeros here first, to learn the output's dtype
        and columns and to report a bad net at once. With probe=False give
        ``out_dtype`` and ``out_columns``; a bad net then fails at the first
        block, and compute() raises its error.
    """
    import dask

    x = _as_dask_array(data)
    if x.ndim != 2:
        raise ValueError("opgraph.dask.predict: data must be 2-D [rows, features], got %d-D "
                         "with shape %s" % (x.ndim, x.shape))
    if x.numblocks[1] != 1:
        x = x.rechunk({1: -1})
    in_dtype = np.dtype(dtype) if dtype is not None else x.dtype
    nets = _serialize(predict_net, init_net, plugins)
    key = _key(*nets)
    if probe:
        sample = _probe(nets, input, output, x.shape[1], in_dtype)
        if sample.ndim != 2:
            raise ValueError("opgraph.dask.predict: output '%s' has shape %s for one input "
                             "row; a 2-D output [rows, columns] is needed"
                             % (output, list(sample.shape)))
        out_dtype, columns = sample.dtype, sample.shape[1]
    else:
        if out_dtype is None or out_columns is None:
            raise ValueError("opgraph.dask.predict: probe=False needs out_dtype and "
                             "out_columns")
        out_dtype, columns = np.dtype(out_dtype), int(out_columns)
    # One graph key holding the bytes: each worker fetches it once.
    shipped = dask.delayed(_Nets(*nets), name="opgraph-nets-" + key, traverse=False)
    # (map_blocks' own keywords are dtype, name, ...: the block function's
    # have other names.)
    return x.map_blocks(_score_block, shipped, model_key=key, in_blob=input, out_blob=output,
                        threads=None if num_threads is None else int(num_threads),
                        cast=None if dtype is None else np.dtype(dtype), dtype=out_dtype,
                        chunks=(x.chunks[0], (columns, )),
                        meta=np.empty((0, columns), out_dtype), name="opgraph-predict")


__all__ = ["MAX_CACHED_MODELS", "cache_info", "clear_cache", "model_key", "predict"]
