"""Optimisation time (and quality) of two source trees, the kNN graph fixed.

For changes to the optimiser: the kNN graph of MNIST's first ``--n`` rows
(PCA-50) is computed once and cached, then each tree fits it with
``fit(X, graph=(ind, dist))`` in fresh processes, in alternating rounds,
and the medians of the optimisation seconds are printed side by side
(with ``--quality``, NP@15 and 10-NN accuracy per seed as well)::

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/optim_ab.py /tmp/before/src src --s 0 0.5 1 --threads 2
    .venv/bin/python benchmarks/optim_ab.py /tmp/before/src src --threads 1 \\
        --seeds 0 1 --rounds 1 --quality

``OMP_WAIT_POLICY=PASSIVE`` is set for both trees, so that only the code
differs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import markdown_table  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "mnist.npz"

CHILD = """
import json, sys, numpy as np
z = np.load(sys.argv[1])
X, ind, dist, y = z["X"], z["ind"], z["dist"], z["y"]
s, seed, threads = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
quality = sys.argv[5] == "1"
from napari_cne import ContrastiveEmbedding
ContrastiveEmbedding(s=s, n_epochs=2, random_state=0, n_jobs=threads).fit(X[:500])
m = ContrastiveEmbedding(s=s, random_state=seed, n_jobs=threads)
m.fit(X, graph=(ind, dist))
out = {"optim_s": m.timings_["optimize"]}
if quality:
    from napari_cne.engine.metrics import knn_accuracy, neighbor_preservation
    out["np15"] = neighbor_preservation(X, m.embedding_, k=15, random_state=0)
    out["acc"] = knn_accuracy(m.embedding_, y)
print(json.dumps(out))
"""


def cached_graph(n: int, folder: Path) -> Path:
    """PCA-50 rows of MNIST and their kNN graph (IVF above 30 000 rows), cached."""
    path = folder / f"mnist{n}_graph.npz"
    if path.exists():
        return path
    import numpy as np
    from sklearn.decomposition import PCA

    from napari_cne.engine.neighbors import exact_knn, ivf_knn

    d = np.load(DATA)
    X = d["X"].reshape(len(d["X"]), -1)[:n].astype(np.float32)
    X = PCA(50, random_state=0).fit_transform(X).astype(np.float32)
    ind, dist = (ivf_knn if n > 30000 else exact_knn)(X, 15, n_jobs=1)
    np.savez(path, X=X, ind=ind, dist=dist, y=d["y"][:n])
    return path


def fit(src: Path, graph: Path, s, seed, threads, quality) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src.resolve()), "OMP_WAIT_POLICY": "PASSIVE"}
    args = [str(graph), str(s), str(seed), str(threads), "1" if quality else "0"]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path, help="the first tree's src/")
    ap.add_argument("after", type=Path, help="the second tree's src/")
    ap.add_argument("--n", type=int, default=70000)
    ap.add_argument("--s", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--cache", type=Path, default=HERE / "results")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    graph = cached_graph(args.n, args.cache)
    trees = {"before": args.before, "after": args.after}
    runs: dict = {}
    for r in range(args.rounds):
        for s in args.s:
            for seed in args.seeds:
                for name, src in trees.items():
                    res = fit(src, graph, s, seed, args.threads, args.quality)
                    runs.setdefault((s, name), []).append(res)
                    print(
                        f"round {r + 1} s={s:g} seed={seed} {name}: {res}", flush=True
                    )
    rows = []
    for s in args.s:
        t = {k: [x["optim_s"] for x in runs[(s, k)]] for k in trees}
        b, a = statistics.median(t["before"]), statistics.median(t["after"])
        row = [f"{s:g}", *(
            f"{statistics.median(t[k]):.2f} ({min(t[k]):.2f}-{max(t[k]):.2f})"
            for k in trees
        ), f"{a / b:.2f}"]  # fmt: skip
        if args.quality:
            for k in trees:
                row.append(", ".join(f"{x['np15']:.4f}" for x in runs[(s, k)]))
                row.append(", ".join(f"{x['acc']:.3f}" for x in runs[(s, k)]))
        rows.append(row)
    head = ["s", "before optim s", "after optim s", "after / before"]
    if args.quality:
        head += ["NP@15 before", "acc before", "NP@15 after", "acc after"]
    print(f"\n{args.n} rows, {args.threads} thread(s), medians of {args.rounds} "
          "alternating rounds\n")  # fmt: skip
    print(markdown_table(head, rows))


if __name__ == "__main__":
    main()
