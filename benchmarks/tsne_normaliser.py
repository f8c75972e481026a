"""The t-SNE end's normaliser: NEG's fixed Zbar against t-SNE's own (self-consistent) Z.

At ``s = 0`` the engine repels with a fixed normaliser ``Zbar = z_tsne(n)``
(``tsne_z="auto"``). t-SNE's own normalised loss uses the layout's
``Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2)`` instead, which changes as the
layout does. This runs the engine at ``s = 0`` with several fixed ``Zbar``
(the default, smaller and larger ones), measures each final layout's ``Z``
(a Monte-Carlo estimate from 4 million random pairs), neighbour
preservation @15 and 10-NN accuracy, and openTSNE beside them: the ``Zbar``
where the layout's ``Z`` equals ``Zbar`` is the optimum of t-SNE's own loss
on our graph, what "the normaliser from the mesh each epoch" would
optimise.

    nice -n 5 .venv/bin/python benchmarks/tsne_normaliser.py --n 70000 \\
        --factors 0.5 1 2 --peer
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench_mnist import RESULTS_DIR, load_data
from napari_cne import ContrastiveEmbedding
from napari_cne.engine.metrics import quality_report
from napari_cne.engine.spectrum import z_tsne


def layout_z(Y: np.ndarray, pairs: int = 4_000_000, seed: int = 0) -> float:
    """Estimate ``sum_{i != j} 1 / (1 + d_ij^2)`` from random pairs."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(Y), (2, pairs))
    keep = i != j
    d2 = ((Y[i[keep]] - Y[j[keep]]) ** 2).sum(axis=1)
    return float((1.0 / (1.0 + d2)).mean() * len(Y) * (len(Y) - 1))


def row(name, X, y, Y, seconds, zbar=None) -> str:
    r = quality_report(X, Y, k=15, labels=y, max_points=5000, random_state=0)
    z = layout_z(np.asarray(Y, np.float64))
    zb = "-" if zbar is None else f"{zbar:.3g}"
    ratio = "-" if zbar is None else f"{z / zbar:.2f}"
    return (
        f"| {name} | {zb} | {z:.3g} | {ratio} | {r['neighbor_preservation']:.4f} "
        f"| {r['knn_accuracy']:.4f} | {seconds:.1f} |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=70000)
    p.add_argument("--factors", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--peer", action="store_true", help="openTSNE beside it")
    args = p.parse_args()
    X, y = load_data(args.n, cache_dir=RESULTS_DIR / "cache")
    auto = z_tsne(args.n)
    print(f"# MNIST-{args.n} (PCA-50), s = 0, {args.threads} threads, seed 0")
    print(f"z_tsne(n) = {auto:.4g} (tsne_z='auto')\n")
    print("| run | Zbar | Z of the layout | Z / Zbar | NP@15 | 10-NN acc | s |")
    print("|---|---|---|---|---|---|---|")
    for f in args.factors:
        model = ContrastiveEmbedding(
            s=0.0, random_state=0, n_jobs=args.threads, tsne_z=f * auto
        )
        t = time.perf_counter()
        Y = model.fit_transform(X)
        print(
            row(
                f"ours, Zbar = {f:g} x auto", X, y, Y, time.perf_counter() - t, f * auto
            )
        )
    if args.peer:
        import openTSNE

        t = time.perf_counter()
        Y = np.asarray(openTSNE.TSNE(n_jobs=args.threads, random_state=0).fit(X))
        print(row(f"openTSNE {openTSNE.__version__}", X, y, Y, time.perf_counter() - t))


if __name__ == "__main__":
    main()
