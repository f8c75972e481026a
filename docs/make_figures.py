"""Make the figures of docs/ (``make figures``).

``docs/figures/mnist_spectrum.png``: MNIST (first 20 000 digits, PCA to 50
dimensions) along the spectrum, each embedding warm-started from its
neighbour (``napari_cne.spectrum_sweep``). Needs ``../shared/data/mnist.npz``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from napari_cne import spectrum_sweep  # noqa: E402
from napari_cne.engine.metrics import knn_accuracy, neighbor_preservation  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
OUT = ROOT / "docs" / "figures"


def mnist_pca(n: int) -> tuple[np.ndarray, np.ndarray]:
    d = np.load(MNIST)
    X = d["X"][:n].astype(np.float32)
    X -= X.mean(axis=0)
    _, _, vt = np.linalg.svd(X[:10000], full_matrices=False)
    return X @ vt[:50].T, d["y"][:n]


def spectrum_figure(n: int = 20000) -> Path:
    X, y = mnist_pca(n)
    s_values = [-1.0, 0.0, 0.5, 1.0, 2.0]
    t = time.perf_counter()
    embs, _ = spectrum_sweep(X, s_values, n_epochs_each=100, random_state=0)
    print(
        f"sweep of {len(s_values)} embeddings of {n} points: "
        f"{time.perf_counter() - t:.0f} s"
    )
    fig, axes = plt.subplots(1, len(s_values), figsize=(4 * len(s_values), 4.4))
    cmap = plt.get_cmap("tab10")
    for ax, s, Y in zip(axes, s_values, embs):
        npres = neighbor_preservation(X, Y, 15, n_queries=3000)
        acc = knn_accuracy(Y, y, 10, n_queries=3000)
        ax.scatter(Y[:, 0], Y[:, 1], c=cmap(y % 10), s=0.3, rasterized=True)
        label = {0.0: " (t-SNE-like)", 1.0: " (UMAP-like)"}.get(s, "")
        ax.set_title(
            f"s = {s:g}{label}\nstd {Y.std():.1f}, NP@15 {npres:.2f}, "
            f"10-NN acc {acc:.3f}",
            fontsize=10,
        )
        ax.set_aspect("equal", "datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"MNIST ({n} digits, PCA-50) along the spectrum (NEG, "
        "each panel warm-started from its neighbour)"
    )
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "mnist_spectrum.png"
    fig.savefig(path, dpi=90)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    spectrum_figure(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
