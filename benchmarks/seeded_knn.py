"""What a seed costs the kNN search of the largest inputs (HNSW on one thread).

From :data:`napari_cne.engine.neighbors.IVF_MAX_ROWS` rows on, the kNN graph
comes from faiss's HNSW index, whose parallel build links rows in the order
the threads reach them. A seeded fit builds it on one thread so that the
graph, and so the layout, is the same on any thread count. This times the
search with and without a seed, in alternating rounds, each in a fresh
process, and checks that two seeded searches on different thread counts
give the same graph::

    .venv/bin/python benchmarks/seeded_knn.py --n 300000 --rounds 3 --threads 2

The rows are MNIST (PCA-50) repeated with a little noise to reach ``--n``
(the package's own input for pixels and objects is of this width).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import markdown_table  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "mnist.npz"

CHILD = """
import hashlib, json, sys, time, numpy as np
from napari_cne.engine.neighbors import knn
X = np.load(sys.argv[1])
seed = None if sys.argv[2] == "none" else int(sys.argv[2])
threads = int(sys.argv[3])
t = time.perf_counter()
ind, dist, method = knn(X, 15, method="hnsw", random_state=seed, n_jobs=threads)
sec = time.perf_counter() - t
digest = hashlib.sha256(ind.tobytes() + dist.tobytes()).hexdigest()[:16]
print(json.dumps({"sec": sec, "method": method, "digest": digest}))
"""


def rows(n: int, cache: Path) -> Path:
    """MNIST's PCA-50, tiled with noise to ``n`` rows, cached as .npy."""
    if cache.exists():
        return cache
    from sklearn.decomposition import PCA

    X = np.load(DATA)["X"].reshape(-1, 784).astype(np.float32)
    P = PCA(50, random_state=0).fit_transform(X).astype(np.float32)
    rng = np.random.default_rng(0)
    reps = -(-n // len(P))
    tiled = np.concatenate([P] * reps)[:n]
    tiled += rng.normal(scale=0.05 * P.std(), size=tiled.shape).astype(np.float32)
    np.save(cache, tiled)
    return cache


def run(path: Path, seed: str, threads: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), seed, str(threads)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", type=Path, default=Path("/tmp"))
    a = ap.parse_args()
    path = rows(a.n, a.cache / f"seeded_knn_{a.n}.npy")
    times = {"unseeded": [], "seeded": []}
    digests = set()
    for r in range(a.rounds):
        for case, seed in (("unseeded", "none"), ("seeded", "0")):
            res = run(path, seed, a.threads)
            times[case].append(res["sec"])
            if case == "seeded":
                digests.add(res["digest"])
            print(f"round {r + 1}: {case} {res['sec']:.1f} s", flush=True)
    one = run(path, "0", 1)
    digests.add(one["digest"])
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        markdown_table(
            ["n", "threads", "unseeded (s)", "seeded (s)", "seeded / unseeded"],
            [
                [
                    str(a.n),
                    str(a.threads),
                    f"{med['unseeded']:.1f}",
                    f"{med['seeded']:.1f}",
                    f"{med['seeded'] / med['unseeded']:.2f}",
                ]
            ],
        )
    )
    same = len(digests) == 1
    print(f"seeded graphs on {a.threads} threads and on 1 thread identical: {same}")


if __name__ == "__main__":
    main()
