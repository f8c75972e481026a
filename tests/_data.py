"""Shared test data loaders (real data from ../shared; missing data fails)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: the tests need ../shared beside the repository"
        )
    return path


@lru_cache
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


@lru_cache
def digits_graph():
    import scipy.sparse as sp

    return sp.load_npz(shared_path("reference", "outputs", "digits__knn15_graph.npz"))


@lru_cache
def mnist_pca(n: int, dims: int = 50):
    d = np.load(shared_path("data", "mnist.npz"))
    X = d["X"][:n].astype(np.float32)
    y = d["y"][:n]
    X -= X.mean(axis=0)
    _, _, vt = np.linalg.svd(X[: min(n, 10000)], full_matrices=False)
    return np.ascontiguousarray(X @ vt[:dims].T), y
