"""Where an epoch's time goes, along the spectrum and by thread count.

Fits MNIST (PCA-50, first ``--n`` rows) at several spectrum positions with
one kNN graph computed once, for each ``--threads`` value, and prints the
optimisation time split into the numba backend's phases (picking the edges
that take part, field set-up, near field, edge windows) with neighbour
preservation @15 and 10-NN accuracy. Medians over ``--repeats``.

    .venv/bin/python benchmarks/profile_epochs.py --n 70000 --threads 1 2

Not a race against the peers (that is bench_mnist.py): a tool for finding
what to make faster.
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

from bench_mnist import DEFAULT_DATA, RESULTS_DIR, prepare_data  # noqa: E402
from napari_cne import ContrastiveEmbedding  # noqa: E402
from napari_cne.engine.metrics import knn_accuracy, neighbor_preservation  # noqa: E402
from napari_cne.engine.neighbors import knn  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=70000)
    p.add_argument("--s", type=float, nargs="+", default=[-1, 0, 0.25, 0.5, 0.75, 1, 2])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--params", default="", help="extra parameters, k=v,k=v")
    args = p.parse_args(argv)
    extra = {}
    for item in filter(None, args.params.split(",")):
        k, v = item.split("=")
        extra[k] = float(v) if v.replace(".", "", 1).lstrip("-").isdigit() else v
    x_path, y_path = prepare_data(args.data, args.n, RESULTS_DIR)
    X, y = np.load(x_path), np.load(y_path)
    t = time.perf_counter()
    ind, dist, method = knn(X, 15)
    print(f"kNN ({method}) {time.perf_counter() - t:.2f} s", flush=True)
    head = "| s | threads | optim s | pick | fields | near | edges | NP@15 | 10-NN |"
    print(head)
    print("|---" * 9 + "|")
    for s in args.s:
        for threads in args.threads:
            rows = []
            for rep in range(args.repeats):
                m = ContrastiveEmbedding(s=s, random_state=rep, n_jobs=threads, **extra)
                m.fit(X, graph=(ind, dist))
                ph = getattr(m._backend, "phases", {})
                Y = m.embedding_
                rows.append(
                    (
                        m.timings_["optimize"],
                        *(
                            ph.get(k, float("nan"))
                            for k in ("pick", "fields", "near", "edges")
                        ),
                        neighbor_preservation(X, Y, 15, random_state=0),
                        knn_accuracy(Y, y, 10, n_queries=10000),
                    )
                )
            med = [statistics.median(c) for c in zip(*rows, strict=True)]
            print(
                f"| {s:g} | {threads} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} | "
                f"{med[3]:.2f} | {med[4]:.2f} | {med[5]:.3f} | {med[6]:.3f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
