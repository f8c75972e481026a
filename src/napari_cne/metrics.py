"""Quality metrics for embeddings (numpy/torch; no scikit-learn needed).

* :func:`neighbor_preservation` - mean fraction of the ``k`` exact nearest
  neighbours in the input space that are also among the ``k`` nearest
  neighbours in the embedding ("recall@k" in algorithm.md).
* :func:`knn_accuracy` - leave-one-out ``k``-NN classification accuracy in
  the embedding.
* :func:`centroid_spearman` - Spearman correlation between class-centroid
  distances in the input and in the embedding (global structure).
"""

from __future__ import annotations

import numpy as np

from .neighbors import drop_self, exact_knn

__all__ = ["centroid_spearman", "knn_accuracy", "neighbor_preservation"]


def _queries(n: int, n_queries: int | None, random_state) -> np.ndarray:
    if n_queries is None or n_queries >= n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=n_queries, replace=False))


def _knn_of(data: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    if q.size == data.shape[0]:
        return exact_knn(data, k)[0]
    ind, dist = exact_knn(data, k + 1, query=data[q])
    return drop_self(ind, dist, own=q)[0]


def neighbor_preservation(
    X: np.ndarray,
    Y: np.ndarray,
    k: int = 15,
    *,
    n_queries: int | None = 5000,
    random_state: int | None = 0,
) -> float:
    """Mean overlap of exact ``k``-NN sets in ``X`` and in ``Y``.

    Parameters
    ----------
    X, Y : ndarray, shape (n, d) and (n, d_emb)
        Input data and embedding (same row order).
    k : int
        Neighbourhood size.
    n_queries : int or None
        Evaluate on this many random points (all points if ``None``).
    random_state : int or None
        Seed for choosing the query points.

    Returns
    -------
    float in [0, 1]
    """
    X = np.asarray(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=np.float32)
    if X.shape[0] != Y.shape[0]:
        raise ValueError("X and Y must have the same number of rows")
    q = _queries(X.shape[0], n_queries, random_state)
    nx = _knn_of(X, q, k)
    ny = _knn_of(Y, q, k)
    hits = [np.intersect1d(a, b, assume_unique=True).size for a, b in zip(nx, ny)]
    return float(np.mean(hits) / k)


def knn_accuracy(
    Y: np.ndarray,
    labels: np.ndarray,
    k: int = 10,
    *,
    n_queries: int | None = None,
    random_state: int | None = 0,
) -> float:
    """Leave-one-out ``k``-NN majority-vote accuracy of ``labels`` in ``Y``."""
    Y = np.asarray(Y, dtype=np.float32)
    labels = np.asarray(labels)
    _, codes = np.unique(labels, return_inverse=True)
    q = _queries(Y.shape[0], n_queries, random_state)
    nb = _knn_of(Y, q, k)
    votes = codes[nb]
    n_cls = codes.max() + 1
    counts = np.zeros((q.size, n_cls), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(q.size), k), votes.ravel()), 1)
    # ties: the class of the nearest neighbour among the tied ones wins
    best = counts.max(axis=1, keepdims=True)
    tied = counts == best
    pred = np.array([next(c for c in row_v if t[c]) for row_v, t in zip(votes, tied)])
    return float(np.mean(pred == codes[q]))


def centroid_spearman(X: np.ndarray, Y: np.ndarray, labels: np.ndarray) -> float:
    """Spearman correlation of class-centroid distances in ``X`` and ``Y``."""
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    labels = np.asarray(labels)
    classes = np.unique(labels)
    if classes.size < 3:
        raise ValueError("centroid_spearman needs at least 3 classes")
    cx = np.stack([np.asarray(X)[labels == c].mean(axis=0) for c in classes])
    cy = np.stack([np.asarray(Y)[labels == c].mean(axis=0) for c in classes])
    return float(spearmanr(pdist(cx), pdist(cy)).statistic)
