"""k nearest neighbours: which search runs, and the one place that runs it.

This module owns the search; :mod:`.graph` turns neighbour lists into the
graph the engine trains on. Three searches:

- exact: faiss's flat index on the CPU (:mod:`.search_faiss`), blocked
  brute force with torch on a GPU or without faiss (:mod:`.search_torch`);
- ``"ivf"``: faiss's inverted-file index, approximate (recall about 0.995
  at k = 15), fast up to some hundred thousand rows;
- ``"hnsw"``: faiss's HNSW graph, approximate, for millions of rows;
- ``"pynndescent"``: NN-descent, approximate; its first call in a process
  compiles for half a minute.

``method="auto"`` is exact where the distance computation is cheap
(``n^2 d`` below a budget), IVF above and HNSW for the largest inputs;
pynndescent only without faiss (docs/performance.md has the measurements
behind the budgets).
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from . import search_faiss
from .devices import is_cuda

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "KNN_METHODS",
    "METRICS",
    "drop_self",
    "exact_knn",
    "hnsw_knn",
    "ivf_knn",
    "knn",
    "knn_graph",
    "layout_knn",
    "nndescent_knn",
    "prepare_rows",
    "pynndescent_is_warm",
    "resolve_metric",
    "warm_up",
]

METRICS = ("euclidean", "cosine", "correlation", "manhattan")
KNN_METHODS = ("auto", "exact", "ivf", "hnsw", "pynndescent")
_ALIASES = {"l2": "euclidean", "l1": "manhattan", "cityblock": "manhattan"}

#: ``n^2 * d`` up to which ``method="auto"`` searches exactly on the CPU
#: with faiss (where its flat index is as fast as HNSW), ...
EXACT_BUDGET = 2e10
#: ... with torch, when faiss is missing, ...
TORCH_EXACT_BUDGET = 1e9
#: ... on a GPU (torch), ...
GPU_EXACT_BUDGET = 2.5e12
#: rows above which ``method="auto"`` takes HNSW rather than IVF (IVF's cost
#: grows as n^1.5, HNSW's as n log n)
IVF_MAX_ROWS = 300_000
#: ... and, without faiss, while pynndescent is not compiled in this process
#: (its first call compiles for longer than exact search takes up to here).
COLD_EXACT_BUDGET = 4e11
#: metrics pynndescent has been compiled for by our own calls
_NND_WARM: set[str] = set()


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


def prepare_rows(X, metric: str) -> np.ndarray:
    """Return ``X`` as C-contiguous float32 rows ready for the metric's search.

    Cosine and correlation distances become inner products of normalised
    (for correlation: centred, then normalised) rows.

    Raises
    ------
    ValueError
        For rows whose cosine or correlation distance is undefined.
    """
    X = np.asarray(X, dtype=np.float32)
    if metric == "correlation":
        X = X - X.mean(axis=1, keepdims=True)
    if metric in ("cosine", "correlation"):
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        if (norms == 0).any():
            bad = int((norms[:, 0] == 0).sum())
            what = "constant rows" if metric == "correlation" else "all-zero rows"
            raise ValueError(
                f"the {metric} distance is undefined for {bad} {what} of X; "
                "remove them or use metric='euclidean'"
            )
        X = X / norms
    return np.ascontiguousarray(X, dtype=np.float32)


def _finish(ind, dist, metric: str, self_query: bool):
    """Drop each row itself from a self-query; Euclidean distances, not squared."""
    if self_query:
        ind, dist = drop_self(ind, dist)
    if metric == "euclidean":
        dist = np.sqrt(np.maximum(dist, 0.0))
    return np.ascontiguousarray(ind), np.ascontiguousarray(dist, dtype=np.float32)


def exact_knn(
    X: np.ndarray | torch.Tensor,
    k: int,
    metric: str = "euclidean",
    *,
    query: np.ndarray | torch.Tensor | None = None,
    device: str | torch.device = "cpu",
    block_bytes: float | None = None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (faiss's flat index on the CPU, torch on a GPU).

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
        torch: memory for one block of the distance matrix (default 200 MB
        on the CPU, 2 GB on a GPU).
    n_jobs : int, optional
        Threads (default: as set for the process).

    Returns
    -------
    indices : ndarray of int64, shape (n_q, k)
    distances : ndarray of float32, shape (n_q, k)
        Distances in the chosen metric (Euclidean, not squared).
    """
    metric = resolve_metric(metric)
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    Xp = prepare_rows(X, metric)
    self_query = query is None
    Qp = None if self_query else prepare_rows(np.asarray(query), metric)
    kk = k + 1 if self_query else k
    if kk > Xp.shape[0]:
        raise ValueError(f"cannot find {k} neighbours among {Xp.shape[0]} points")
    on_cpu = not is_cuda(device)
    if on_cpu and search_faiss.faiss_available():
        Q = Xp if self_query else Qp
        ind, dist = search_faiss.flat_knn(Xp, Q, kk, metric, n_jobs)
    else:
        from .search_torch import torch_knn

        ind, dist = torch_knn(Xp, Qp, kk, metric, device, block_bytes)
    return _finish(ind, dist, metric, self_query)


#: layouts with at most this many dimensions are searched with a KD-tree
LAYOUT_MAX_DIMS = 3


def layout_knn(Y: np.ndarray, k: int, *, query: np.ndarray | None = None) -> np.ndarray:
    """Exact Euclidean k nearest neighbours in a 2-D or 3-D layout.

    A KD-tree (scipy's ``cKDTree``): in two or three dimensions it costs
    about ``n log n``, where the flat search of :func:`exact_knn` costs
    ``n^2``. Higher-dimensional layouts go to :func:`exact_knn`.

    Parameters
    ----------
    Y : array, shape (n, d)
        The layout.
    k : int
        Number of neighbours.
    query : array of int, optional
        Rows of ``Y`` whose neighbours are wanted (default: all); a row is
        never its own neighbour, a duplicate of it may be.

    Returns
    -------
    ndarray of int64, shape (n_q, k)
    """
    Y = np.asarray(Y, dtype=np.float64)
    own = np.arange(Y.shape[0]) if query is None else np.asarray(query)
    if k + 1 > Y.shape[0]:
        raise ValueError(f"cannot find {k} neighbours among {Y.shape[0]} points")
    if Y.shape[1] > LAYOUT_MAX_DIMS:
        if query is None:
            return exact_knn(Y, k)[0]
        ind, dist = exact_knn(Y, k + 1, query=Y[own])
        return drop_self(ind, dist, own=own)[0]
    from scipy.spatial import cKDTree

    dist, ind = cKDTree(Y).query(Y[own], k + 1, workers=-1)
    return drop_self(ind.astype(np.int64), dist, own=own)[0]


def hnsw_knn(
    X, k: int, metric: str = "euclidean", *, n_jobs: int | None = None, seeded=False
):
    """Approximate k nearest neighbours with faiss's HNSW graph (self removed).

    ``seeded``: the same on any number of threads (the graph is built on one).
    """
    metric = resolve_metric(metric)
    Xp = prepare_rows(X, metric)
    ind, dist = search_faiss.hnsw_knn(Xp, k + 1, metric, n_jobs, seeded)
    return _finish(ind, dist, metric, True)


def ivf_knn(
    X, k: int, metric: str = "euclidean", *, n_jobs: int | None = None, seed: int = 0
):
    """Approximate k nearest neighbours with faiss's IVF index (self removed)."""
    metric = resolve_metric(metric)
    Xp = prepare_rows(X, metric)
    ind, dist = search_faiss.ivf_knn(Xp, k + 1, metric, n_jobs, seed)
    return _finish(ind, dist, metric, True)


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

    from .threads import start_numba

    start_numba()  # pynndescent's numba threads: not spinning

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
    _NND_WARM.add(metric)
    return drop_self(ind, dist)


def pynndescent_is_warm(metric: str = "euclidean") -> bool:
    """Whether pynndescent's NN-descent is compiled in this process for ``metric``.

    By our own calls, or, for the Euclidean distance, by anyone's (umap-learn
    fitted first compiles it): its numba dispatcher then holds signatures.
    """
    if metric in _NND_WARM:
        return True
    module = sys.modules.get("pynndescent.pynndescent_")
    dispatcher = getattr(module, "nn_descent", None)
    return metric == "euclidean" and bool(getattr(dispatcher, "signatures", None))


def warm_up(metric: str = "euclidean") -> None:
    """Compile pynndescent's numba code for ``metric`` now (half a minute, once).

    Only needed where pynndescent runs: with ``knn_method="pynndescent"``,
    or without faiss.
    """
    if importlib.util.find_spec("pynndescent") is None:
        return
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    nndescent_knn(X, 5, metric, random_state=0)


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


def _auto_method(n: int, d: int, metric: str, device) -> str:
    """Return the search ``method="auto"`` picks for ``n`` rows of ``d`` features."""
    cost = float(n) * n * max(d, 8)
    have_faiss = search_faiss.faiss_available()
    if is_cuda(device):
        if cost <= GPU_EXACT_BUDGET:
            return "exact"
    elif cost <= (EXACT_BUDGET if have_faiss else TORCH_EXACT_BUDGET):
        return "exact"
    if have_faiss:
        return "ivf" if n <= IVF_MAX_ROWS else "hnsw"
    if importlib.util.find_spec("pynndescent") is None:
        return "exact"  # slower for huge n, but always available
    if pynndescent_is_warm(metric) or cost > COLD_EXACT_BUDGET:
        return "pynndescent"
    return "exact"


def knn(
    X: np.ndarray,
    k: int,
    metric: str = "euclidean",
    *,
    method: str = "auto",
    random_state: int | None = None,
    device: str | torch.device = "cpu",
    n_jobs: int = -1,
) -> tuple[np.ndarray, np.ndarray, str]:
    """K nearest neighbours of every row (self excluded).

    With a ``random_state`` the result is the same on any number of threads
    (HNSW builds its graph, pynndescent runs, on one thread).

    Returns
    -------
    indices, distances : ndarray, shape (n, k)
    method : str
        ``"exact"``, ``"ivf"``, ``"hnsw"`` or ``"pynndescent"``, whichever ran.
    """
    metric = resolve_metric(metric)
    if method == "auto":
        method = _auto_method(X.shape[0], X.shape[1], metric, device)
    if method == "exact":
        ind, dist = exact_knn(X, k, metric, device=device, n_jobs=n_jobs)
    elif method == "ivf":
        seed = 0 if random_state is None else int(random_state)
        ind, dist = ivf_knn(X, k, metric, n_jobs=n_jobs, seed=seed)
    elif method == "hnsw":
        seeded = random_state is not None
        ind, dist = hnsw_knn(X, k, metric, n_jobs=n_jobs, seeded=seeded)
    elif method == "pynndescent":
        # its threads update shared neighbour heaps: one thread with a seed
        jobs = 1 if random_state is not None else n_jobs
        ind, dist = nndescent_knn(X, k, metric, random_state=random_state, n_jobs=jobs)
    else:
        raise ValueError(
            f"unknown kNN method {method!r}; use one of {', '.join(KNN_METHODS)}"
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
