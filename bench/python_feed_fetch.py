"""The cost of Workspace.feed_blob and fetch_blob for a 1M-element float32
array (4 MB), against np.copy of the same array: each should cost about
one copy. Also whether a fetched array is a copy (writable, its own
memory) or a view of the blob.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_feed_fetch.py
"""

import argparse
import timeit

import numpy as np

import opgraph


def best_us(stmt, number, repeat):
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=1_000_000)
    parser.add_argument("--number", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    x = np.random.default_rng(0).standard_normal(args.elements).astype(np.float32)
    ws = opgraph.Workspace()
    ws.feed_blob("x", x)

    fetched = ws.fetch_blob("x")
    again = ws.fetch_blob("x")
    fetched[0] += 1
    print("fetch_blob returns %s: writable=%s, owns its memory=%s, shares memory with "
          "another fetch=%s, a write changes the blob=%s"
          % ("a copy" if fetched.flags.writeable else "a read-only view",
             fetched.flags.writeable, fetched.base is None or not isinstance(
                 fetched.base, np.ndarray), np.shares_memory(fetched, again),
             ws.fetch_blob("x")[0] == fetched[0]))

    n, r = args.number, args.repeat
    shorter = np.ascontiguousarray(x[:-1])
    shapes = [x, shorter]

    def feed_other_shape():
        # The blob changes shape every call: a new tensor each time.
        shapes.reverse()
        ws.feed_blob("y", shapes[0])

    rows = [
        ("np.copy(x)", best_us(lambda: np.copy(x), n, r)),
        ("ws.feed_blob('x', x)", best_us(lambda: ws.feed_blob("x", x), n, r)),
        ("ws.fetch_blob('x')", best_us(lambda: ws.fetch_blob("x"), n, r)),
        ("Workspace._ws.feed_blob (no Python checks)",
         best_us(lambda: ws._ws.feed_blob("x", x), n, r)),
        ("Workspace._ws.fetch_blob", best_us(lambda: ws._ws.fetch_blob("x"), n, r)),
        ("ws.feed_blob, shape changing every call", best_us(feed_other_shape, n, r)),
    ]
    copy_us = rows[0][1]
    print("%d float32 elements (%.1f MB), best of %d x %d calls"
          % (args.elements, x.nbytes / 1e6, r, n))
    for name, us in rows:
        print("  %-44s %8.1f us  %5.2f copies  %6.2f GB/s"
              % (name, us, us / copy_us, x.nbytes / us / 1e3))


if __name__ == "__main__":
    main()
