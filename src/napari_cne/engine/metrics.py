"""Quality metrics for embeddings (numpy/torch; no scikit-learn needed).

* :func:`neighbor_preservation` - mean fraction of the ``k`` exact nearest
  neighbours in the input space that are also among the ``k`` nearest
  neighbours in the embedding ("recall@k" in algorithm.md);
  :func:`preservation_per_point` - that fraction for every point (the
  global readouts are its mean).
* :func:`knn_accuracy` - leave-one-out ``k``-NN classification accuracy in
  the embedding.
* :func:`centroid_spearman` - Spearman correlation between class-centroid
  distances in the input and in the embedding (global structure).
* :func:`quality_report` / :func:`format_quality` - the readout printed by
  ``napari-cne embed``: neighbour preservation (and, with labels, ``10``-NN
  accuracy) on a random subsample of query points, as a dict and as a line.
"""

from __future__ import annotations

import numpy as np

from .neighbors import drop_self, exact_knn, knn, layout_knn

__all__ = [
    "checked_pair",
    "centroid_spearman",
    "format_quality",
    "knn_accuracy",
    "neighbor_overlap",
    "neighbor_preservation",
    "preservation_per_point",
    "quality_report",
]


def _queries(n: int, n_queries: int | None, random_state) -> np.ndarray:
    if n_queries is None or n_queries >= n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=n_queries, replace=False))


def _knn_of(
    data: np.ndarray, q: np.ndarray, k: int, metric: str = "euclidean"
) -> np.ndarray:
    if q.size == data.shape[0]:
        return exact_knn(data, k, metric)[0]
    ind, dist = exact_knn(data, k + 1, metric, query=data[q])
    return drop_self(ind, dist, own=q)[0]


def neighbor_overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return how many indices every row of ``a`` shares with that row of ``b``.

    ``a`` and ``b`` are neighbour lists, shape ``(n, k)``, without repeats
    within a row; negative entries (no neighbour found) never count.
    """
    both = np.sort(np.concatenate([a, b], axis=1), axis=1)
    same = (both[:, 1:] == both[:, :-1]) & (both[:, 1:] >= 0)
    return same.sum(axis=1)


def preservation_per_point(
    X: np.ndarray,
    Y: np.ndarray,
    k: int = 15,
    *,
    metric: str = "euclidean",
    queries: np.ndarray | None = None,
    method: str = "exact",
    random_state: int | None = 0,
) -> np.ndarray:
    """Return each point's share of ``X``-neighbours that are ``Y``-neighbours.

    For every point, the fraction of its ``k`` nearest neighbours in ``X``
    (itself excluded) that are also among its ``k`` nearest in ``Y``.

    Parameters
    ----------
    X, Y : ndarray, shape (n, d) and (n, d_emb)
        Input data and embedding (same row order, finite).
    k : int
        Neighbourhood size (``< n``).
    metric : str
        Distance in ``X``; the embedding is Euclidean.
    queries : array of int, optional
        The points to measure (default all); their neighbours are searched
        among all ``n`` points.
    method : str
        Search in ``X`` when every point is measured (``"exact"``, or
        ``"auto"`` etc. of :func:`~.neighbors.knn`: approximate for large
        ``n``); the given ``queries`` are always searched exactly. The
        embedding is always searched exactly (:func:`~.neighbors.layout_knn`).
    random_state : int or None
        Seed of an approximate search.

    Returns
    -------
    ndarray of float64, shape (n_q,)
        Values ``0, 1/k, ..., 1``.
    """
    X = np.asarray(X, dtype=np.float32)
    if queries is None:
        if method == "exact":
            nx = exact_knn(X, k, metric)[0]
        else:
            nx = knn(X, k, metric, method=method, random_state=random_state)[0]
        ny = layout_knn(Y, k)
    else:
        q = np.asarray(queries)
        nx = _knn_of(X, q, k, metric)
        ny = layout_knn(Y, k, query=q)
    return neighbor_overlap(nx, ny) / k


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
    return float(preservation_per_point(X, Y, k, queries=q).mean())


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


def checked_pair(X, Y, k, dtype=np.float32, what: str = "this") -> tuple:
    """Return features ``X``, layout ``Y`` (as ``dtype``) and ``k``, checked.

    The same rows, at least 3, finite values, ``k`` a positive integer
    (at most ``n - 1``).

    Raises
    ------
    ValueError
        One line naming the problem (``what`` needs at least 3 points).
    """
    X = np.asarray(X, dtype=np.float32)
    Y = np.asarray(Y, dtype=dtype)
    if X.ndim != 2 or Y.ndim != 2:
        raise ValueError(f"X and Y must be 2-D; got shapes {X.shape} and {Y.shape}")
    n = X.shape[0]
    if Y.shape[0] != n:
        raise ValueError(
            f"X and Y must have the same number of rows; got {n} and {Y.shape[0]}"
        )
    if n < 3:
        raise ValueError(f"need at least 3 points for {what}; got {n}")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ValueError("X and Y must be finite (drop rows with missing values)")
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    return X, Y, min(int(k), n - 1)


def quality_report(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    k: int = 15,
    labels: np.ndarray | None = None,
    max_points: int | None = 5000,
    random_state: int | None = 0,
    metric: str = "euclidean",
    label_k: int = 10,
) -> dict:
    """Quality readout of an embedding, cheap enough for any ``n``.

    What is measured, precisely: ``q`` query points are drawn at random
    without replacement (``q = min(n, max_points)``; all points when
    ``max_points`` is ``None`` or ``>= n``). For every query point the ``k``
    exact nearest neighbours *among all n points* (itself excluded) are
    found in ``X`` (distance ``metric``) and in ``Y`` (Euclidean);
    ``neighbor_preservation`` is the mean over the query points of the
    fraction of the ``X``-neighbours that are also ``Y``-neighbours, the
    same number as :func:`neighbor_preservation` with
    ``n_queries=max_points``. Only the queries are subsampled, never the
    points they search among, so the value does not drift with the
    subsample size (it is an unbiased estimate of the all-points value).
    A layout with no relation to ``X`` scores ``k / (n - 1)`` on average
    (``neighbor_preservation_random``); an exact copy scores 1.

    With ``labels``, ``knn_accuracy`` is the leave-one-out ``label_k``-NN
    majority vote accuracy (:func:`knn_accuracy`) of the same query points,
    their neighbours again searched among all points of ``Y``.
    ``knn_accuracy_chance`` is the share of the most frequent class among
    the query points (what always guessing that class scores).

    Exact search is blockwise brute force (``q x n`` distances); timings
    are in docs/performance.md.

    Parameters
    ----------
    X : array-like, shape (n, d)
        The data that was embedded (as embedded: after any column
        selection and scaling).
    Y : array-like, shape (n, d_emb)
        The embedding, same row order, finite.
    k : int, default 15
        Neighbourhood size; reduced to ``n - 1`` for tiny data (the key
        ``"k"`` holds the value used).
    labels : array-like, shape (n,), optional
        Class of every point (any hashable values, no missing ones).
    max_points : int or None, default 5000
        At most this many query points.
    random_state : int or None, default 0
        Seed for choosing the query points (same seed, same points).
    metric : str, default "euclidean"
        Distance in ``X`` (one of :data:`napari_cne.neighbors.METRICS`);
        use the metric the embedding was fitted with.
    label_k : int, default 10
        Neighbours that vote in the accuracy (reduced to ``n - 1``).

    Returns
    -------
    dict
        ``n``, ``n_sampled``, ``k``, ``metric``, ``neighbor_preservation``,
        ``neighbor_preservation_random``, ``label_k``, ``knn_accuracy`` and
        ``knn_accuracy_chance`` (the last three ``None`` without labels),
        ``random_state``. All values are plain Python numbers or strings.

    Raises
    ------
    ValueError
        For mismatched shapes, fewer than 3 points, non-finite values,
        ``k < 1``, ``max_points < 1`` or labels of the wrong length or with
        missing values.
    """
    X, Y, k = checked_pair(X, Y, k, np.float32, "a quality readout")
    n = X.shape[0]
    if max_points is not None and (
        isinstance(max_points, bool) or int(max_points) != max_points or max_points < 1
    ):
        raise ValueError(f"max_points must be a positive integer; got {max_points!r}")
    q = _queries(n, None if max_points is None else int(max_points), random_state)
    per_point = preservation_per_point(X, Y, k, metric=metric, queries=q)
    report = {
        "n": int(n),
        "n_sampled": int(q.size),
        "k": k,
        "metric": str(metric),
        "neighbor_preservation": float(per_point.mean()),
        "neighbor_preservation_random": k / (n - 1),
        "label_k": None,
        "knn_accuracy": None,
        "knn_accuracy_chance": None,
        "random_state": random_state,
    }
    if labels is not None:
        lab = np.asarray(labels)
        if lab.ndim != 1 or lab.shape[0] != n:
            raise ValueError(
                f"labels must have one entry per point ({n}); got shape {lab.shape}"
            )
        import pandas as pd

        if pd.isna(lab).any():
            raise ValueError(
                f"labels have {int(pd.isna(lab).sum())} missing values; "
                "give every point a class"
            )
        lk = min(int(label_k), n - 1)
        _, codes = np.unique(lab, return_inverse=True)
        report["label_k"] = lk
        report["knn_accuracy"] = knn_accuracy(
            Y,
            codes,
            lk,
            n_queries=q.size if q.size < n else None,
            random_state=random_state,
        )
        report["knn_accuracy_chance"] = float(np.bincount(codes[q]).max() / q.size)
    return report


def format_quality(report: dict) -> str:
    """Return one line summarising a :func:`quality_report` result.

    For example ``neighbour preservation@15 0.412 (random 0.000), 10-NN
    accuracy 0.951 (majority 0.112), on 5000 of 70000 points`` (without
    labels the accuracy part is left out).
    """
    text = (
        f"neighbour preservation@{report['k']} "
        f"{report['neighbor_preservation']:.3f} "
        f"(random {report['neighbor_preservation_random']:.3f})"
    )
    if report.get("knn_accuracy") is not None:
        text += (
            f", {report['label_k']}-NN accuracy {report['knn_accuracy']:.3f} "
            f"(majority {report['knn_accuracy_chance']:.3f})"
        )
    if report["n_sampled"] < report["n"]:
        text += f", on {report['n_sampled']} of {report['n']} points"
    else:
        text += f", on all {report['n']} points"
    return text
