"""k nearest neighbours on the CPU with faiss: exact (flat), IVF and HNSW.

faiss ships compiled code, so there is no just-in-time compilation in a new
process (pynndescent's first call compiles for half a minute). Its flat
index is an exact brute force with BLAS; the inverted-file index (IVF)
searches the rows of the few k-means cells nearest to each query; the HNSW
graph walks a small-world graph. Distances are computed directly, not with
BLAS, so that the exact and IVF searches give the same result on any number
of threads (tests/test_inputs.py); so does HNSW when its graph is built on
one thread (``seeded=True``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import numpy as np

__all__ = ["faiss_available", "flat_knn", "hnsw_knn", "ivf_knn"]

#: HNSW graph degree and build effort; the search effort is at least
#: ``HNSW_EF_SEARCH`` and twice the neighbours asked for.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 16, 40, 64
#: IVF: k-means cells (about the square root of the rows, a power of two),
#: cells searched per query (a sixteenth of them, at least 16), rows of
#: the k-means sample per cell and k-means iterations.
IVF_MIN_CELLS, IVF_MAX_CELLS, IVF_PROBE_SHARE, IVF_MIN_PROBES = 64, 16384, 16, 16
IVF_SAMPLE_PER_CELL, IVF_ITERATIONS = 64, 10


def _faiss():
    """Return the faiss module, its OpenMP threads waiting passively.

    faiss brings its own GNU OpenMP runtime, which reads its wait policy
    when it is loaded (:func:`.threads.passive_wait`); once loaded, the
    environment is left alone.
    """
    faiss = sys.modules.get("faiss")
    if faiss is not None:
        return faiss
    from .threads import passive_wait

    with passive_wait():
        import faiss
    return faiss


def faiss_available() -> bool:
    """Whether faiss can be imported."""
    try:
        _faiss()
    except ImportError:
        return False
    return True


def _metric(metric: str):
    faiss = _faiss()

    if metric == "manhattan":
        return faiss.METRIC_L1
    if metric == "euclidean":
        return faiss.METRIC_L2
    return faiss.METRIC_INNER_PRODUCT  # cosine / correlation: normalised rows


#: faiss computes distances with BLAS from this many queries on (its
#: default: 20); BLAS's sums are grouped by its threads, so distances (and
#: near-ties between neighbours) would change with the thread count. Our
#: searches compute every distance directly, one query per thread.
NO_BLAS = 2**31 - 1


@contextlib.contextmanager
def _threads(n_jobs: int | None) -> Iterator[None]:
    """Run faiss with ``n_jobs`` threads and direct distances; restore after."""
    from .threads import resolve_n_jobs

    faiss = _faiss()

    old = faiss.omp_get_max_threads()
    old_blas = faiss.cvar.distance_compute_blas_threshold
    if n_jobs is not None:
        faiss.omp_set_num_threads(resolve_n_jobs(n_jobs))
    faiss.cvar.distance_compute_blas_threshold = NO_BLAS
    try:
        yield
    finally:
        faiss.omp_set_num_threads(old)
        faiss.cvar.distance_compute_blas_threshold = old_blas


def _search(index, Q, kk: int, metric: str):
    dist, ind = index.search(Q, kk)
    if metric in ("cosine", "correlation"):
        dist = 1.0 - dist  # inner product of normalised rows -> distance
    return ind.astype(np.int64, copy=False), dist.astype(np.float32, copy=False)


def flat_knn(X, Q, kk: int, metric: str, n_jobs: int | None = None):
    """Return the ``kk`` nearest rows of ``X`` to each row of ``Q``, exactly.

    ``X`` and ``Q`` are float32 and prepared for the metric
    (:func:`.neighbors.prepare_rows`); distances are squared for the
    Euclidean metric.
    """
    faiss = _faiss()

    with _threads(n_jobs):
        index = faiss.IndexFlat(X.shape[1], _metric(metric))
        index.add(X)
        return _search(index, Q, kk, metric)


def hnsw_knn(X, kk: int, metric: str, n_jobs: int | None = None, seeded=False):
    """Return ``kk`` approximate nearest rows of ``X`` to each of its rows (HNSW).

    faiss links the rows into its graph on all threads at once, with locks:
    which rows a row is linked to can then depend on the threads' timing.
    ``seeded``: build the graph on one thread, so that the result is the
    same on any number of threads (the search itself, one query per
    thread, is).
    """
    faiss = _faiss()

    with _threads(1 if seeded else n_jobs):
        index = faiss.IndexHNSWFlat(X.shape[1], HNSW_M, _metric(metric))
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.add(X)
    with _threads(n_jobs):
        index.hnsw.efSearch = max(HNSW_EF_SEARCH, 2 * kk)
        return _search(index, X, kk, metric)


def ivf_knn(X, kk: int, metric: str, n_jobs: int | None = None, seed: int = 0):
    """Return ``kk`` approximate nearest rows of ``X`` to each of its rows (IVF).

    k-means (seeded) on a sample puts the rows into about ``sqrt(n)``
    cells; each query searches the rows of its nearest sixteenth of them.
    """
    faiss = _faiss()

    n, d = X.shape
    cells = 2 ** round(np.log2(max(np.sqrt(n), 1.0)))
    cells = int(min(max(cells, IVF_MIN_CELLS), IVF_MAX_CELLS, max(n // 39, 1)))
    sample = min(n, IVF_SAMPLE_PER_CELL * cells)
    rows = np.random.default_rng(seed).choice(n, sample, replace=False)
    with _threads(n_jobs):
        metric_ = _metric(metric)
        quantizer = faiss.IndexFlat(d, metric_)
        index = faiss.IndexIVFFlat(quantizer, d, cells, metric_)
        index.cp.niter = IVF_ITERATIONS
        index.cp.seed = int(seed)
        index.train(np.ascontiguousarray(X[np.sort(rows)]))
        index.add(X)
        index.nprobe = min(cells, max(IVF_MIN_PROBES, cells // IVF_PROBE_SHARE))
        return _search(index, X, kk, metric)
