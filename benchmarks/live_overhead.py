"""Throughput lost to live snapshots: ``fit`` versus ``iter_fit`` at 5 per second.

MNIST (PCA-50) ``--n`` rows, s = 1, the kNN graph computed once and passed
to every fit (so only the optimisation is compared). Alternates a plain
``fit`` and an ``iter_fit(min_interval=0.2)`` whose snapshots (copies of the
layout) are consumed as a display would, ``--repeats`` times each; prints the
median optimisation times and their ratio. Target (performance issue): at
most 10 % slower with snapshots.

    .venv/bin/python benchmarks/live_overhead.py --n 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_mnist import DEFAULT_DATA, prepare_data  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--interval", type=float, default=0.2)
    args = ap.parse_args(argv)

    from napari_cne import ContrastiveEmbedding

    x, _ = prepare_data(DEFAULT_DATA, args.n, HERE / "results")
    X = np.load(x)
    graph = ContrastiveEmbedding(n_epochs=1, random_state=0).fit(X).graph_
    ContrastiveEmbedding(n_epochs=2, random_state=0).fit(X[:2000])  # compile

    plain, live, n_snaps = [], [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ContrastiveEmbedding(random_state=0).fit(X, graph=graph)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        k = 0
        model = ContrastiveEmbedding(random_state=0)
        for snap in model.iter_fit(X, graph=graph, min_interval=args.interval):
            k += 1
            _ = float(snap.embedding[0, 0])  # a consumer touching the copy
        live.append(time.perf_counter() - t0)
        n_snaps.append(k)
    p, q = statistics.median(plain), statistics.median(live)
    rate = statistics.median(k / t for k, t in zip(n_snaps, live, strict=True))
    print("| n | fit s (median) | iter_fit s (median) | snapshots/s | ratio |")
    print("|---|---|---|---|---|")
    print(f"| {args.n} | {p:.2f} | {q:.2f} | {rate:.1f} | {q / p:.3f} |")


if __name__ == "__main__":
    main()
