"""k nearest neighbours: exact (torch, blockwise) and approximate (pynndescent).

This module owns the search; :mod:`.graph` turns neighbour lists into the
graph the engine trains on.

Exact search computes all distances block by block with torch (a matrix
product for Euclidean, cosine and correlation distances, ``cdist`` for
Manhattan) and keeps the ``k`` smallest.  It avoids pynndescent's numba
compilation (about 30 s in every new process) and is faster for small and
medium data.  ``method="auto"`` picks exact search when the distance
computation is cheap (``n^2 * d`` below a budget) and pynndescent otherwise.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import scipy.sparse as sp
import torch

__all__ = [
    "METRICS",
    "drop_self",
    "exact_knn",
    "knn",
    "knn_graph",
    "nndescent_knn",
    "resolve_metric",
    "warm_up",
]

METRICS = ("euclidean", "cosine", "correlation", "manhattan")
_ALIASES = {"l2": "euclidean", "l1": "manhattan", "cityblock": "manhattan"}

#: ``n^2 * d`` below which ``method="auto"`` uses exact search on the CPU
#: once pynndescent is compiled. MNIST PCA-50 on 2 cores, medians of 3:
#: exact 0.14 / 0.46 / 1.44 s at n = 5 000 / 10 000 / 20 000, a warm
#: pynndescent 0.08 / 0.14 / 0.27 s with recall 0.995-0.996; so exact only
#: where it costs nothing (n = 4 500 at d = 50), and for tiny inputs it is
#: exact and deterministic.
EXACT_BUDGET = 1e9
#: ... on a GPU (one H100: exact MNIST-70k in 0.33 s).
GPU_EXACT_BUDGET = 2.5e12
#: ... and the same while pynndescent has not run yet in this process: its
#: first call compiles for 30-40 s, so exact search is faster up to here
#: (cold MNIST-70k on 2 cores: exact 18 s, pynndescent 42 s).
COLD_EXACT_BUDGET = 4e11
_NND = {"warm": False}  # pynndescent has run (compiled) in this process


def resolve_metric(metric: str) -> str:
    """Return the canonical metric name or raise ``ValueError``."""
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a string; got {type(metric).__name__}")
    name = _ALIASES.get(metric.lower(), metric.lower())
    if name not in METRICS:
        raise ValueError(
            f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}"
        )
    return name


def _prepare(X: torch.Tensor, metric: str) -> torch.Tensor:
    if metric == "correlation":
        X = X - X.mean(dim=1, keepdim=True)
    if metric in ("cosine", "correlation"):
        norms = torch.linalg.vector_norm(X, dim=1, keepdim=True)
        if bool((norms == 0).any()):
            bad = int((norms[:, 0] == 0).sum())
            what = "constant rows" if metric == "correlation" else "all-zero rows"
            raise ValueError(
                f"the {metric} distance is undefined for {bad} {what} of X; "
                "remove them or use metric='euclidean'"
            )
        X = X / norms
    return X


def _block_distances(
    Q: torch.Tensor, X: torch.Tensor, sq_x: torch.Tensor | None, metric: str
) -> torch.Tensor:
    if metric == "manhattan":
        return torch.cdist(Q, X, p=1)
    if metric == "euclidean":
        d = Q @ X.T
        d.mul_(-2.0).add_(sq_x[None, :]).add_((Q * Q).sum(dim=1, keepdim=True))
        return d.clamp_min_(0.0)  # squared distances: same order
    return 1.0 - Q @ X.T  # cosine / correlation on normalised rows


def exact_knn(
    X: np.ndarray | torch.Tensor,
    k: int,
    metric: str = "euclidean",
    *,
    query: np.ndarray | torch.Tensor | None = None,
    device: str | torch.device = "cpu",
    block_bytes: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by blocked brute force.

    Parameters
    ----------
    X : array, shape (n, d)
        Data (the index).
    k : int
        Number of neighbours.
    metric : str
        One of :data:`METRICS`.
    query : array, shape (n_q, d), optional
        Query points. When omitted, the neighbours of the rows of ``X``
        among the *other* rows are returned (a point is never its own
        neighbour, duplicates of it are).
    device : str or torch.device
        Where to compute.
    block_bytes : float, optional
        Memory for one block of the distance matrix (default 200 MB on the
        CPU, 2 GB on a GPU).

    Returns
    -------
    indices : ndarray of int64, shape (n_q, k)
    distances : ndarray of float32, shape (n_q, k)
        Distances in the chosen metric (Euclidean, not squared).
    """
    metric = resolve_metric(metric)
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
    self_query = query is None
    Qt = (
        Xt
        if self_query
        else torch.as_tensor(np.asarray(query, dtype=np.float32), device=device)
    )
    Xt = _prepare(Xt, metric)
    Qt = Xt if self_query else _prepare(Qt, metric)
    n = Xt.shape[0]
    kk = k + 1 if self_query else k
    if kk > n:
        raise ValueError(f"cannot find {k} neighbours among {n} points")
    if block_bytes is None:
        block_bytes = 2.0e9 if torch.device(device).type == "cuda" else 2.0e8
    sq_x = (Xt * Xt).sum(dim=1) if metric == "euclidean" else None
    rows = max(1, int(block_bytes // (4 * n)))
    out_i = torch.empty((Qt.shape[0], kk), dtype=torch.int64, device=device)
    out_d = torch.empty((Qt.shape[0], kk), dtype=torch.float32, device=device)
    for start in range(0, Qt.shape[0], rows):
        stop = min(start + rows, Qt.shape[0])
        d = _block_distances(Qt[start:stop], Xt, sq_x, metric)
        if self_query:  # the point itself first, whatever its duplicates do
            r = torch.arange(start, stop, device=device)
            d[r - start, r] = -1.0
        vals, idx = torch.topk(d, kk, dim=1, largest=False, sorted=True)
        out_i[start:stop] = idx
        out_d[start:stop] = vals
    if self_query:
        out_i, out_d = out_i[:, 1:], out_d[:, 1:]
    if metric == "euclidean":
        out_d = out_d.clamp_min(0.0).sqrt()
    return out_i.cpu().numpy(), out_d.cpu().numpy()


def nndescent_knn(
    X: np.ndarray,
    k: int,
    metric: str = "euclidean",
    *,
    random_state: int | None = None,
    n_jobs: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate k nearest neighbours with pynndescent (self removed)."""
    from pynndescent import NNDescent

    metric = resolve_metric(metric)
    X = np.ascontiguousarray(X, dtype=np.float32)
    index = NNDescent(
        X,
        n_neighbors=k + 1,
        metric=metric,
        random_state=random_state,
        n_jobs=n_jobs,
        low_memory=True,
        compressed=True,
    )
    ind, dist = index.neighbor_graph
    _NND["warm"] = True
    return drop_self(ind, dist)


def warm_up() -> None:
    """Compile pynndescent's numba code now (about 30 s once per process).

    Call it in a background thread when a GUI opens, so that the first
    large embedding does not wait for the compiler.
    """
    if importlib.util.find_spec("pynndescent") is None:
        return
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    nndescent_knn(X, 5, random_state=0)


def drop_self(
    ind: np.ndarray, dist: np.ndarray, own: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own index from ``k + 1`` neighbour lists.

    ``own`` holds the index of each row's point (default ``0 .. n-1``).
    Rows that do not contain themselves (possible with duplicates)
    lose their last, farthest entry instead.
    """
    n = ind.shape[0]
    own = np.arange(n) if own is None else np.asarray(own)
    is_self = ind == own[:, None]
    first = np.argmax(is_self, axis=1)
    has = is_self[np.arange(n), first]
    drop = np.where(has, first, ind.shape[1] - 1)
    keep = np.ones_like(is_self)
    keep[np.arange(n), drop] = False
    k = ind.shape[1] - 1
    return ind[keep].reshape(n, k), dist[keep].reshape(n, k)


def knn(
    X: np.ndarray,
    k: int,
    metric: str = "euclidean",
    *,
    method: str = "auto",
    random_state: int | None = None,
    device: str | torch.device = "cpu",
) -> tuple[np.ndarray, np.ndarray, str]:
    """K nearest neighbours of every row (self excluded).

    Returns
    -------
    indices, distances : ndarray, shape (n, k)
    method : str
        ``"exact"`` or ``"pynndescent"``, whichever was used.
    """
    n, d = X.shape
    if method == "auto":
        on_gpu = torch.device(device).type == "cuda"
        budget = GPU_EXACT_BUDGET if on_gpu else EXACT_BUDGET
        if not on_gpu and not _NND["warm"]:
            budget = COLD_EXACT_BUDGET
        method = "exact" if float(n) * n * max(d, 8) <= budget else "pynndescent"
        if method == "pynndescent" and importlib.util.find_spec("pynndescent") is None:
            method = "exact"  # slower for huge n, but always available
    if method == "exact":
        ind, dist = exact_knn(X, k, metric, device=device)
    elif method == "pynndescent":
        ind, dist = nndescent_knn(X, k, metric, random_state=random_state)
    else:
        raise ValueError(
            f"unknown kNN method {method!r}; use 'auto', 'exact' or 'pynndescent'"
        )
    return ind, dist, method


def knn_graph(
    X: np.ndarray,
    k: int = 15,
    metric: str = "euclidean",
    **kwargs,
) -> sp.csr_matrix:
    """Binary, union-symmetrised kNN graph of the rows of ``X``."""
    from .graph import symmetric_graph

    ind, _, _ = knn(X, k, metric, **kwargs)
    return symmetric_graph(ind, X.shape[0])
