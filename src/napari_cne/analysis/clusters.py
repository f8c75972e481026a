"""Clusters of a fitted map: Leiden, HDBSCAN and k-means.

* :func:`leiden` partitions the fit's own kNN graph (``model.graph_``), the
  graph every spectrum position is trained on: the clusters do not move
  with ``s``. Leiden (Traag et al. 2019; igraph's) on modularity with a
  resolution, which sets how fine the clusters are.
* :func:`hdbscan` runs scikit-learn's HDBSCAN on a layout (it depends on
  ``s``; objects in no cluster are ``-1``).
* :func:`kmeans` runs scikit-learn's k-means on the feature matrix.

All return int arrays numbered by size: 0 is the largest cluster, ties
broken by the smallest member index, so the numbers depend only on the
partition; ``-1`` is noise. :func:`parse_spec` reads the command line's
``leiden[:RES]``, ``hdbscan[:MIN_SIZE]`` and ``kmeans[:K]``;
:func:`cluster` dispatches by name.
"""

from __future__ import annotations

import random
import threading

import numpy as np
import scipy.sparse as sp

__all__ = [
    "DEFAULT_RESOLUTION",
    "METHODS",
    "cluster",
    "default_min_cluster_size",
    "hdbscan",
    "kmeans",
    "leiden",
    "parse_spec",
    "renumber_by_size",
]

#: the clustering methods, and what each works on
METHODS = {
    "leiden": "the fit's kNN graph (the same at every s)",
    "hdbscan": "the layout (changes with s)",
    "kmeans": "the features",
}
#: igraph's random number generator is global: one Leiden at a time
_IGRAPH_RNG = threading.Lock()
#: Leiden's default resolution (modularity's)
DEFAULT_RESOLUTION = 1.0
#: k-means' default number of clusters
DEFAULT_K = 8


def renumber_by_size(labels) -> np.ndarray:
    """Renumber cluster labels 0, 1, ... from the largest cluster down.

    Ties are broken by the smallest index of a member; negative labels
    (noise) become ``-1``.
    """
    labels = np.asarray(labels).ravel()
    out = np.full(labels.shape, -1, dtype=np.int64)
    ok = labels >= 0
    if not ok.any():
        return out
    values, first, inverse, counts = np.unique(
        labels[ok], return_index=True, return_inverse=True, return_counts=True
    )
    first = np.flatnonzero(ok)[first]
    order = np.lexsort((first, -counts))  # by size, then first member
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    out[ok] = rank[inverse]
    return out


def _check_graph(graph) -> sp.csr_matrix:
    if graph is None:
        raise ValueError("leiden needs the fit's kNN graph; run an embedding first")
    if not sp.issparse(graph) or graph.shape[0] != graph.shape[1]:
        raise ValueError("the graph must be a square scipy.sparse matrix")
    g = sp.csr_matrix(graph, dtype=np.float64)
    if g.nnz and (not np.isfinite(g.data).all() or g.data.min() < 0):
        raise ValueError("the graph's edge weights must be finite and >= 0")
    return g


def leiden(graph, resolution: float = DEFAULT_RESOLUTION, random_state=0) -> np.ndarray:
    """Leiden clusters of a weighted kNN graph.

    igraph's Leiden (``Graph.community_leiden``: the algorithm of Traag, van
    Eck & Waltman in igraph's C core), on modularity with a resolution: the
    objective of leidenalg's ``RBConfigurationVertexPartition``, about ten
    times faster (docs/performance.md, "Clusters").

    Parameters
    ----------
    graph : scipy.sparse matrix, shape (n, n)
        The fit's symmetric kNN graph (``ContrastiveEmbedding.graph_``); its
        weights are the edge weights (the upper triangle is used, so each
        undirected edge counts once).
    resolution : float
        Modularity's resolution (> 0): larger gives more, smaller clusters;
        1 is modularity.
    random_state : int
        Seed of the Leiden optimisation (same seed, same clusters).

    Returns
    -------
    ndarray of int, shape (n,)
        Clusters numbered by size (0 the largest).
    """
    import igraph

    g = _check_graph(graph)
    resolution = float(resolution)
    if not np.isfinite(resolution) or resolution <= 0:
        raise ValueError(f"the Leiden resolution must be > 0; got {resolution:g}")
    n = g.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    upper = sp.triu(g.maximum(g.T), k=1).tocoo()
    # pairs of Python ints: igraph reads them 4x faster than a NumPy array
    ig = igraph.Graph(n=n, edges=list(zip(upper.row.tolist(), upper.col.tolist())))
    with _IGRAPH_RNG:  # igraph draws from one process-wide generator
        igraph.set_random_number_generator(random.Random(_seed(random_state)))
        try:
            part = ig.community_leiden(
                objective_function="modularity",
                weights=upper.data.tolist(),
                resolution=resolution,
                n_iterations=2,  # until stable: 2.4x the time, the same ARI
            )
        finally:
            igraph.set_random_number_generator(random)
    return renumber_by_size(part.membership)


def _seed(random_state) -> int:
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    return int(random_state) % (2**31 - 1)


def default_min_cluster_size(n: int) -> int:
    """HDBSCAN's smallest cluster for ``n`` objects: 1 % of them, 10 to 500.

    A fixed size (scikit-learn's 5) cuts a map of 10^5 objects into
    thousands of specks; 1 % keeps the clusters a person can look at,
    bounded so that small inputs still get clusters of 10 and large ones
    do not lose groups of a few hundred objects.
    """
    return int(np.clip(round(0.01 * int(n)), 10, 500))


def _matrix(values, what: str) -> np.ndarray:
    if values is None:
        raise ValueError(f"{what} is needed; run an embedding first")
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 2 or len(a) == 0:
        raise ValueError(f"{what} must be a non-empty 2-D array; got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    return a


def hdbscan(layout, min_cluster_size: int | None = None) -> np.ndarray:
    """HDBSCAN clusters of a layout (scikit-learn's; deterministic).

    Parameters
    ----------
    layout : array, shape (n, 2) or (n, 3)
    min_cluster_size : int, optional
        The smallest cluster (default :func:`default_min_cluster_size`).

    Returns
    -------
    ndarray of int, shape (n,)
        Clusters numbered by size (0 the largest); ``-1`` for noise.
    """
    from sklearn.cluster import HDBSCAN

    Y = _matrix(layout, "the layout")
    n = len(Y)
    size = default_min_cluster_size(n) if min_cluster_size is None else min_cluster_size
    if int(size) < 2:
        raise ValueError(f"the smallest HDBSCAN cluster must be >= 2; got {size}")
    if n < int(size):
        raise ValueError(f"{n} objects are fewer than the smallest cluster ({size})")
    labels = HDBSCAN(min_cluster_size=int(size), copy=True).fit_predict(Y)
    return renumber_by_size(labels)


def kmeans(features, n_clusters: int = DEFAULT_K, random_state=0) -> np.ndarray:
    """k-means clusters of the feature matrix (scikit-learn's, k-means++).

    Parameters
    ----------
    features : array, shape (n, f)
        The matrix the map was fitted on (standardised as the fit's was).
    n_clusters : int
    random_state : int

    Returns
    -------
    ndarray of int, shape (n,)
        Clusters numbered by size (0 the largest).
    """
    from sklearn.cluster import KMeans

    X = _matrix(features, "the feature matrix")
    k = int(n_clusters)
    if k < 1 or k > len(X):
        raise ValueError(f"k-means needs 1 <= k <= {len(X)} objects; got k = {k}")
    labels = KMeans(n_clusters=k, n_init="auto", random_state=random_state).fit_predict(
        X
    )
    return renumber_by_size(labels)


def parse_spec(spec: str) -> tuple[str, dict]:
    """Parse ``leiden[:RES]``, ``hdbscan[:MIN_SIZE]`` or ``kmeans[:K]``.

    Returns the method and the keywords of :func:`cluster`
    (``resolution``, ``min_cluster_size`` or ``n_clusters``).
    """
    method, sep, value = str(spec).strip().partition(":")
    method = method.strip().lower()
    if method not in METHODS:
        raise ValueError(
            f"unknown clustering {spec!r}; expected leiden[:RES], "
            "hdbscan[:MIN_SIZE] or kmeans[:K]"
        )
    if not sep:
        return method, {}
    value = value.strip()
    try:
        if method == "leiden":
            number = float(value)
            if not np.isfinite(number) or number <= 0:
                raise ValueError
            return method, {"resolution": number}
        number = int(value)
        if number < (2 if method == "hdbscan" else 1):
            raise ValueError
    except ValueError:
        what = {
            "leiden": "a resolution > 0",
            "hdbscan": "a smallest cluster size >= 2",
            "kmeans": "a number of clusters >= 1",
        }[method]
        raise ValueError(f"{spec!r}: expected {what} after '{method}:'") from None
    key = "min_cluster_size" if method == "hdbscan" else "n_clusters"
    return method, {key: number}


def cluster(
    method: str = "leiden",
    *,
    graph=None,
    layout=None,
    features=None,
    resolution: float = DEFAULT_RESOLUTION,
    n_clusters: int | None = None,
    min_cluster_size: int | None = None,
    random_state=0,
) -> np.ndarray:
    """Cluster with ``method`` (a name of :data:`METHODS`) on what it needs.

    ``leiden`` takes ``graph`` and ``resolution``; ``hdbscan`` takes
    ``layout`` and ``min_cluster_size``; ``kmeans`` takes ``features`` and
    ``n_clusters`` (default 8). Returns the labels, numbered by size.
    """
    if method == "leiden":
        return leiden(graph, resolution, random_state)
    if method == "hdbscan":
        return hdbscan(layout, min_cluster_size)
    if method == "kmeans":
        k = DEFAULT_K if n_clusters is None else n_clusters
        return kmeans(features, k, random_state)
    raise ValueError(f"unknown clustering {method!r}; expected one of {list(METHODS)}")
