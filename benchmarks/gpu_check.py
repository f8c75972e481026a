"""GPU check: CUDA against CPU on MNIST-70k, and timings at 70k and 1M points.

Run on a machine with an NVIDIA GPU::

    PYTHONPATH=src python benchmarks/gpu_check.py --mnist path/to/mnist.npz

Prints a Markdown table (and writes JSON with ``--out``): for each run the
device, n, s, batch size, kNN / optimisation / total seconds, neighbour
preservation @15 and 10-NN accuracy (MNIST) or the embedding spread
(synthetic 1M Gaussian mixture).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

import numpy as np
import torch

from napari_cne import ContrastiveEmbedding
from napari_cne.engine.losses import pair_gradients
from napari_cne.engine.metrics import knn_accuracy, neighbor_preservation


def pca50(X: np.ndarray) -> np.ndarray:
    Xt = torch.as_tensor(X, dtype=torch.float32, device="cuda")
    Xt = Xt - Xt.mean(0)
    _, _, V = torch.linalg.svd(Xt[:20000], full_matrices=False)
    return (Xt @ V[:50].T).cpu().numpy()


def mixture(n: int, d: int = 50, k: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, (k, d)).astype(np.float32)
    lab = rng.integers(0, k, n)
    X = centres[lab] + rng.normal(0, 1, (n, d)).astype(np.float32)
    return X, lab


def run(X, y, device, s, batch="auto", metrics=True, seed=0):
    torch.cuda.synchronize()
    t = time.perf_counter()
    m = ContrastiveEmbedding(s=s, random_state=seed, device=device, batch_size=batch)
    Y = m.fit_transform(X)
    torch.cuda.synchronize()
    total = time.perf_counter() - t
    row = {
        "device": device,
        "backend": m.backend_,
        "n": len(X),
        "s": s,
        "batch": m.batch_size_,
        "knn_s": round(m.timings_["knn"], 2),
        "optim_s": round(m.timings_["optimize"], 2),
        "total_s": round(total, 2),
        "std": round(float(Y.std()), 2),
        "seeded": seed is not None,
        "sha256": hashlib.sha256(Y.tobytes()).hexdigest()[:12],
    }
    if metrics:
        row["NP@15"] = round(neighbor_preservation(X, Y, 15, n_queries=5000), 3)
        row["10NN_acc"] = round(knn_accuracy(Y, y, 10, n_queries=5000), 3)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnist", required=True)
    ap.add_argument("--out")
    ap.add_argument("--big", type=int, default=1_000_000)
    args = ap.parse_args()
    print(torch.cuda.get_device_name(0), torch.__version__, flush=True)
    rows = []
    # 1. loss gradients identical on both devices
    g = torch.Generator().manual_seed(0)
    d2p, d2n = torch.rand(4096, generator=g) * 50, torch.rand(4096, 5, generator=g) * 50
    for loss in ("neg", "nce", "umap", "infonce"):
        a = pair_gradients(loss, d2p, d2n, nu=0.3, rho=2.0)
        b = pair_gradients(loss, d2p.cuda(), d2n.cuda(), nu=0.3, rho=2.0)
        err = max(
            float((a.g_pos - b.g_pos.cpu()).abs().max()),
            float((a.g_neg - b.g_neg.cpu()).abs().max()),
        )
        print(f"gradient check {loss}: max |cpu - cuda| = {err:.2e}", flush=True)
        assert err < 1e-5
    # 2. MNIST 70k: CUDA vs CPU, both ends of the spectrum
    d = np.load(args.mnist)
    X, y = pca50(d["X"].astype(np.float32)), d["y"]
    run(X[:5000], y[:5000], "cuda", 1.0, metrics=False)  # warm-up (CUDA init)
    for s in (1.0, 0.0):
        rows.append(run(X, y, "cuda", s))
    rows.append(run(X, y, "cpu", 1.0))
    rows.append(run(X, y, "cuda", 1.0, batch=262144))
    # a seed on CUDA: torch's deterministic algorithms (same hash twice), and
    # what they cost against an unseeded run
    for s in (1.0, 0.0):
        twice = [run(X, y, "cuda", s, metrics=False) for _ in range(2)]
        free = run(X, y, "cuda", s, metrics=False, seed=None)
        rows += [*twice, free]
        same = twice[0]["sha256"] == twice[1]["sha256"]
        print(
            f"seeded CUDA s={s}: same layout twice: {same}; optimisation "
            f"{twice[0]['optim_s']} s seeded vs {free['optim_s']} s unseeded",
            flush=True,
        )
    # 3. synthetic 1M
    Xb, yb = mixture(args.big)
    for s, b in ((1.0, "auto"), (1.0, 262144), (0.0, 262144)):
        rows.append(run(Xb, yb, "cuda", s, batch=b, metrics=False))
    print(
        "\n| device | backend | n | s | batch | kNN s | optim s | total s | std "
        "| NP@15 | 10-NN acc | seeded | sha256 |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['device']} | {r['backend']} | {r['n']} | {r['s']} | {r['batch']} "
            f"| {r['knn_s']} | {r['optim_s']} | {r['total_s']} | {r['std']} "
            f"| {r.get('NP@15', '-')} | {r.get('10NN_acc', '-')} "
            f"| {r['seeded']} | {r['sha256']} |"
        )
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
