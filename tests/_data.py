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


# --------------------------------------------- small synthetic label images
def discs(shape, centres, radii, first_id=1):
    """Labels with one disc per centre (ids first_id, first_id + 1, ...)."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    lab = np.zeros(shape, np.int32)
    for k, ((cy, cx), r) in enumerate(zip(centres, radii)):
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= r**2] = first_id + k
    return lab


def grid_discs(n, side=20, seed=0):
    """``n`` discs of varied radius on a grid, and a matching image."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    centres = [
        (side * (k // cols) + side / 2, side * (k % cols) + side / 2) for k in range(n)
    ]
    radii = rng.uniform(3, 7, n)
    lab = discs((rows * side, cols * side), centres, radii)
    image = (rng.normal(10, 1, lab.shape) + 5.0 * lab).astype(np.float32)
    return lab, image


def make_stack(n_side=4, depth=12, cell=14, seed=0):
    """(z, y, x) labels with n_side**2 balls of two sizes, and an image."""
    rng = np.random.default_rng(seed)
    size = n_side * cell
    zz, yy, xx = np.mgrid[0:depth, 0:size, 0:size]
    lab = np.zeros((depth, size, size), np.uint16)
    for k in range(n_side * n_side):
        r, c = divmod(k, n_side)
        radius = 5.0 if k % 2 == 0 else 3.0
        ball = (zz - depth / 2) ** 2 + (yy - r * cell - cell / 2) ** 2
        lab[ball + (xx - c * cell - cell / 2) ** 2 <= radius**2] = k + 1
    image = (rng.normal(5, 1, lab.shape) + 10.0 * (lab % 2)).astype(np.float32)
    return lab, image


def make_movie(seed=0):
    """(t, y, x) labels: ids 1..9 on a grid, some missing per frame."""
    rng = np.random.default_rng(seed)
    frames = []
    present = [range(1, 10), [1, 2, 3, 5, 6, 8, 9], [2, 3, 4, 5, 6, 7, 8, 9]]
    centres = [(10 + 20 * (k // 3), 10 + 20 * (k % 3)) for k in range(9)]
    for ids in present:
        lab = np.zeros((60, 60), np.int32)
        for i in ids:
            one = discs((60, 60), [centres[i - 1]], [rng.uniform(3, 8)], first_id=i)
            lab[one > 0] = i
        frames.append(lab)
    lab = np.stack(frames)
    image = (rng.normal(5, 1, lab.shape) + 3.0 * lab).astype(np.float32)
    return lab, image
