"""The graph the engine trains on, from neighbour lists or from the user.

The binary kNN relation symmetrised by union (``A_ij = 1`` if ``j`` is among
the ``k`` nearest neighbours of ``i`` or vice versa), without self-loops, as
in Damrich et al. (2023), or the same pattern with UMAP's fuzzy membership
weights. Each undirected edge becomes two directed training edges.

Beside the training graph, :func:`tsne_weights` gives its edges t-SNE's
affinities on the same kNN relation: each point's Gaussian over its
neighbours at a perplexity of :data:`TSNE_PERPLEXITY_SHARE` of them,
symmetrised, so that a pair counts about twice when each point is among the
other's nearest and once when one is.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

__all__ = [
    "binarize_symmetric",
    "fuzzy_graph",
    "graph_from_knn",
    "graph_from_user",
    "symmetric_graph",
    "tsne_weights",
]


#: The bisection for UMAP's ``sigma`` stops when every row's sum is this
#: close to its target (umap-learn's tolerance).
FUZZY_TOLERANCE = 1e-5

#: t-SNE's perplexity at the t-SNE end, as a share of each point's
#: neighbours (1: every neighbour alike). A little below 1 the nearest count
#: a little more, and both neighbour preservation and kNN accuracy rose on
#: MNIST (the sweep in docs/performance.md).
TSNE_PERPLEXITY_SHARE = 0.85

#: The bisection for t-SNE's bandwidths stops at this error in the entropy
#: (nats).
PERPLEXITY_TOLERANCE = 1e-5
#: The least conditional affinity of a listed neighbour (float32 keeps it).
AFFINITY_FLOOR = 1e-30


def _bisect_rows(value, target, tolerance: float, start: np.ndarray) -> np.ndarray:
    """Return per row the ``x > 0`` where ``value(x)`` (increasing) meets ``target``.

    All rows at once, from ``start``: doubling ``x`` until it passes the
    target, then halving the interval, until every row is within
    ``tolerance``.
    """
    x = np.asarray(start, np.float64)
    lo = np.zeros(len(x))
    hi = np.full(len(x), np.inf)
    for _ in range(64):
        v = value(x)
        if np.abs(v - target).max() < tolerance:
            break
        big = v > target  # too wide: shrink x
        hi = np.where(big, x, hi)
        lo = np.where(big, lo, x)
        x = np.where(np.isfinite(hi), (lo + hi) / 2, x * 2)
    return x


def symmetric_graph(ind: np.ndarray, n: int | None = None) -> sp.csr_matrix:
    """Binary union-symmetrised adjacency matrix from neighbour lists.

    Negative indices (missing neighbours) are ignored; self-loops are
    removed.
    """
    ind = np.asarray(ind)
    n = ind.shape[0] if n is None else n
    rows = np.repeat(np.arange(ind.shape[0]), ind.shape[1])
    cols = ind.ravel()
    ok = (cols >= 0) & (cols != rows)
    A = sp.csr_matrix(
        (np.ones(int(ok.sum()), dtype=np.float32), (rows[ok], cols[ok])), shape=(n, n)
    )
    return binarize_symmetric(A)


def fuzzy_graph(
    ind: np.ndarray, dist: np.ndarray, n: int | None = None
) -> sp.csr_matrix:
    """Union-symmetrised kNN graph with UMAP's fuzzy membership weights.

    For point ``i`` with neighbour distances ``d_ij``, ``rho_i`` is the
    distance to its nearest (non-identical) neighbour and ``sigma_i`` solves
    ``sum_j exp(-(d_ij - rho_i) / sigma_i) = log2(k)`` (bisection, all rows
    at once); the directed weight is ``v_ij = exp(-(d_ij - rho_i)/sigma_i)``
    and the symmetric one the fuzzy union ``v_ij + v_ji - v_ij v_ji``
    (McInnes et al. 2018). The nearest neighbour of every point has weight 1,
    farther ones less. The sparsity pattern equals :func:`symmetric_graph`'s.
    """
    ind = np.asarray(ind)
    d = np.asarray(dist, dtype=np.float64).copy()
    n = ind.shape[0] if n is None else n
    rows = np.repeat(np.arange(ind.shape[0]), ind.shape[1])
    ok = (ind >= 0) & (ind != rows.reshape(ind.shape))
    d[~ok] = np.inf
    pos = np.where(ok & (d > 0), d, np.inf)
    rho = pos.min(axis=1)
    rho[~np.isfinite(rho)] = 0.0
    excess = np.where(ok, np.maximum(d - rho[:, None], 0.0), np.inf)
    target = np.log2(max(int(ok.sum(axis=1).max()), 2))
    sigma = _bisect_rows(
        lambda sigma: np.exp(-excess / sigma[:, None]).sum(axis=1),
        target,
        FUZZY_TOLERANCE,
        np.ones(len(d)),
    )
    # a floor as in UMAP, so that rows of identical distances stay finite
    mean_d = np.where(ok, d, 0.0).sum(axis=1) / np.maximum(ok.sum(axis=1), 1)
    sigma = np.maximum(
        sigma, 1e-3 * np.where(rho > 0, mean_d, max(mean_d.mean(), 1e-12))
    )
    v = np.exp(-excess / sigma[:, None])
    cols = ind.ravel()
    keep = ok.ravel()
    V = sp.csr_matrix(
        (v.ravel()[keep].astype(np.float32), (rows[keep], cols[keep])), shape=(n, n)
    )
    V.sum_duplicates()
    W = (V + V.T - V.multiply(V.T)).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    return W


def binarize_symmetric(A: sp.spmatrix) -> sp.csr_matrix:
    """Union-symmetrise the sparsity pattern of ``A`` and drop the diagonal."""
    A = sp.csr_matrix(A, dtype=np.float32, copy=True)
    A.data[:] = 1.0
    A = (A + A.T).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    A.data[:] = 1.0
    A.sort_indices()
    return A


def tsne_weights(
    A: sp.csr_matrix, ind: np.ndarray | None = None, dist: np.ndarray | None = None
) -> np.ndarray:
    """Return t-SNE's affinities on the edges of ``A``, in ``A.data``'s order.

    Point ``i`` with ``m_i`` neighbours (``ind``: the neighbour lists the
    graph was built from, ``dist``: their distances) has t-SNE's
    conditional affinities ``p_j|i ~ exp(-d_ij^2 / sigma_i)``, ``sigma_i``
    set so that their perplexity is :data:`TSNE_PERPLEXITY_SHARE` of
    ``m_i``. A pair's weight is t-SNE's symmetrisation ``(m_i p_j|i + m_j
    p_i|j) / 2``, scaled so that equal distances give 1 where ``i`` and
    ``j`` are among each other's neighbours and 1/2 where only one is
    (what every pair gets without ``dist``). The weight is the edge's
    expected updates an epoch at the t-SNE end, so it may exceed 1. Without
    neighbour lists (a user's symmetric graph) every edge has weight 1.

    Returns
    -------
    float32 array (A.nnz,)
    """
    if ind is None:
        return np.ones(A.nnz, np.float32)
    ind = np.asarray(ind)
    rows = np.arange(ind.shape[0])[:, None]
    ok = (ind >= 0) & (ind != rows)
    # a neighbour listed twice counts once
    order = np.argsort(ind, axis=1, kind="stable")
    seen = np.zeros_like(ok)
    ranked = np.take_along_axis(ind, order, 1)
    np.put_along_axis(seen, order[:, 1:], ranked[:, 1:] == ranked[:, :-1], 1)
    ok &= ~seen
    # float32: the (n, k) arrays of the bisection are the memory it takes
    d2 = np.zeros(ind.shape, np.float32)
    if dist is not None:
        d2 = np.asarray(dist, np.float32) ** 2
    p = _conditional_affinities(np.where(ok, d2, np.inf), ok)
    p *= ok.sum(axis=1, keepdims=True)
    n = A.shape[0]
    P = sp.csr_matrix(
        (p[ok], (np.broadcast_to(rows, ind.shape)[ok], ind[ok])), shape=(n, n)
    )
    pattern = sp.csr_matrix(A, dtype=np.float64, copy=True)
    pattern.data[:] = 1.0
    # on A's edges only (a fuzzy weight that underflowed to 0 is no edge)
    S = pattern.multiply((P + P.T) / 2).tocsr()
    S.sort_indices()
    if S.nnz != A.nnz:
        raise ValueError("the neighbour lists do not match the graph's edges")
    return S.data.astype(np.float32)


def _conditional_affinities(d2: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Return t-SNE's ``p_j|i`` over each row's squared distances (inf: none).

    The bandwidths solve each row's entropy for ``log(TSNE_PERPLEXITY_SHARE
    m_i)``, or for ``log`` of its ties at the nearest where more are tied
    than that (the entropy cannot fall below it).
    """
    nearest = d2.min(axis=1, keepdims=True)
    d2 = d2 - np.where(np.isfinite(nearest), nearest, np.float32(0.0))
    m = ok.sum(axis=1)
    ties = np.maximum((d2 == 0).sum(axis=1), 1)
    target = np.log(np.maximum(TSNE_PERPLEXITY_SHARE * m, ties))
    finite = np.where(ok, d2, np.float32(0.0))

    def weights(sigma):
        return np.exp(-d2 / sigma[:, None].astype(np.float32))

    def entropy(sigma):
        e = weights(sigma)
        z = np.maximum(e.sum(axis=1), 1.0)  # the nearest gives 1
        return np.log(z) + (e * finite).sum(axis=1) / sigma / z

    spread = finite.sum(axis=1) / np.maximum(m, 1)
    start = np.where(spread > 0, spread, 1.0)
    sigma = _bisect_rows(entropy, target, PERPLEXITY_TOLERANCE, start)
    e = weights(sigma)
    p = e / np.maximum(e.sum(axis=1, keepdims=True), 1.0)
    # a neighbour far beyond tied nearest ones underflows to 0; it stays an
    # edge of the graph (that almost never runs at the t-SNE end)
    return np.where(ok, np.maximum(p, AFFINITY_FLOOR), 0.0)


def graph_from_knn(ind, dist, n: int, edge_weights: str) -> sp.csr_matrix:
    """Return the training graph of neighbour lists (fuzzy unless "binary")."""
    if edge_weights != "binary":
        return fuzzy_graph(ind, dist, n)
    return symmetric_graph(ind, n)


def graph_from_user(graph, n: int | None, edge_weights: str) -> sp.csr_matrix:
    """Check a graph passed to ``fit(graph=...)`` and return the training graph.

    Parameters
    ----------
    graph : scipy.sparse matrix or tuple (indices, distances)
        A sparse matrix (only its sparsity pattern is used: binarised and
        union-symmetrised) or neighbour lists (``-1`` for a missing one).
    n : int or None
        Rows of the data, when given as well.
    edge_weights : str
        The estimator's ``edge_weights`` (for neighbour lists).

    Raises
    ------
    ValueError, TypeError
        For malformed graphs, or one whose size differs from the data's.
    """
    if isinstance(graph, tuple) and len(graph) == 2:
        ind = np.asarray(graph[0])
        dist = np.asarray(graph[1], dtype=np.float64)
        if ind.ndim != 2 or ind.dtype.kind not in "iu":
            raise ValueError(
                "graph=(indices, distances): indices must be a 2-D integer array"
            )
        m = ind.shape[0]
        if ind.size and (ind.max() >= m or ind.min() < -1):
            raise ValueError(
                "graph indices must lie in [0, n) (or -1 for a missing neighbour)"
            )
        if dist.shape != ind.shape or not np.isfinite(dist[ind >= 0]).all():
            raise ValueError(
                "graph=(indices, distances): distances must be finite and "
                "have the shape of indices"
            )
        A = graph_from_knn(ind, dist, m, edge_weights)
    elif sp.issparse(graph):
        if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
            raise ValueError(f"graph must be square; got shape {graph.shape}")
        A = binarize_symmetric(graph)
    else:
        raise TypeError(
            "graph must be a scipy sparse matrix or a tuple (indices, distances); "
            f"got {type(graph).__name__}"
        )
    if n is not None and A.shape[0] != n:
        raise ValueError(
            f"graph has {A.shape[0]} nodes but X has {n} rows; they must match"
        )
    if A.shape[0] < 3:
        n = A.shape[0]
        raise ValueError(f"need at least 3 samples to embed; got n_samples = {n}")
    isolated = int((np.diff(A.indptr) == 0).sum())
    if isolated:
        warnings.warn(
            f"{isolated} point(s) have no neighbours in the graph; they are only "
            "repelled and will drift to the edge of the layout",
            UserWarning,
            stacklevel=5,
        )
    return A
