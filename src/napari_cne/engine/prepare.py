"""What a fit sets up before the first epoch: data, graph, layout, backend.

:func:`prepare` is the pipeline from the estimator's parameters and its
inputs to a ready-to-run :class:`Setup`; the estimator keeps the setup and
exposes the fitted attributes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from . import params, threads, validation
from .backends import Backend, choose_backend
from .devices import deterministic
from .graph import graph_from_knn, graph_from_user, tsne_weights
from .initialization import initial_layout
from .losses import NceNormaliser
from .neighbors import knn, resolve_metric
from .spectrum import SpectrumMap

__all__ = ["Setup", "make_backend", "prepare"]


@dataclass
class Setup:
    """A model ready to run its first epoch (see :func:`prepare`)."""

    seed: int
    n_jobs: int
    device: str
    metric: str
    callbacks: list[Callable]
    X: np.ndarray | None
    feature_columns: list | None
    kept_columns: np.ndarray | None
    graph: sp.csr_matrix
    tsne_weights: np.ndarray
    n_neighbors: int | None
    knn_method: str
    batch_size: int
    spectrum: SpectrumMap
    backend: Backend
    network: object | None  # ParametricNetwork
    nce: NceNormaliser | None
    timings: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        """Points in the graph (and the layout)."""
        return self.graph.shape[0]


def prepare(p: dict, X, graph, log: Callable[[str], None]) -> Setup:
    """Validate the parameters ``p`` and the inputs; build everything a fit needs.

    Parameters
    ----------
    p : dict
        The estimator's ``get_params()``.
    X : array-like or None
        Data.
    graph : scipy sparse matrix, tuple (indices, distances) or None
        A precomputed graph.
    log : callable
        Where progress messages go.

    Returns
    -------
    Setup
    """
    params.check_params(p)
    n_jobs = threads.resolve_n_jobs(p["n_jobs"])
    device = params.resolve_device(p["device"])
    seed = p["random_state"]
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    seed = int(seed)
    rng = np.random.default_rng(seed)
    data = _data(p, X, graph)
    t0 = time.perf_counter()
    seeded = p["random_state"] is not None
    with threads.limited(n_jobs), deterministic(device, seeded):
        A, S, k, method = _graph(p, data[0], graph, seed, device, n_jobs)
    timings = {"knn": time.perf_counter() - t0, "init": 0.0, "optimize": 0.0}
    if A.nnz == 0:
        raise ValueError("the kNN graph has no edges; nothing to embed")
    n = A.shape[0]
    batch = params.auto_batch_size(
        p["batch_size"], A.nnz, device, bool(p["parametric"])
    )
    log(
        f"{n} points, {A.nnz} directed edges, kNN by {method} in {timings['knn']:.1f} s"
    )
    t0 = time.perf_counter()
    Y0 = initial_layout(p["init"], data[0], A, p["n_components"], rng)
    timings["init"] = time.perf_counter() - t0
    nce = NceNormaliser() if p["loss"] == "nce" else None
    backend, network = make_backend(p, A, S, Y0, data[0], seed, device, batch, nce)
    spectrum = SpectrumMap.of(p, n)
    metric, callbacks = resolve_metric(p["metric"]), params.as_callbacks(p["callbacks"])
    return Setup(
        seed, n_jobs, device, metric, callbacks, *data, A, S, k, method, batch,
        spectrum, backend, network, nce, timings,
    )  # fmt: skip


def _data(p: dict, X, graph) -> tuple:
    """Return ``(X, columns, kept)``: the checked data (None: no X)."""
    if X is None:
        if graph is None:
            raise ValueError("fit needs data X, a kNN graph (graph=...), or both")
        return None, None, None
    shape = getattr(X, "shape", None)  # refuse a huge input before converting it
    if isinstance(shape, tuple) and len(shape) == 2:
        n_rows, n_cols = shape
        k = p["n_neighbors"] if isinstance(p["n_neighbors"], int) else 15
        validation.check_memory(n_rows, n_cols, k, int(p["n_components"]))
    return validation.check_data(X)


def _graph(p: dict, X, graph, seed: int, device, n_jobs: int):
    """Return the graph, its t-SNE weights, the neighbours used and the kNN method."""
    n = None if X is None else X.shape[0]
    if graph is not None:
        A = graph_from_user(graph, n, p["edge_weights"])
        ind, dist = graph if isinstance(graph, tuple) else (None, None)
        return A, tsne_weights(A, ind, dist), None, "precomputed"
    if n < 3:
        raise ValueError(f"need at least 3 samples to embed; got n_samples = {n}")
    k = int(p["n_neighbors"])
    if k >= n:
        warnings.warn(
            f"n_neighbors={k} needs more than {k} points; using "
            f"n_neighbors={n - 1} for {n} points",
            UserWarning,
            stacklevel=6,
        )
        k = n - 1
    ind, dist, method = knn(
        X,
        k,
        resolve_metric(p["metric"]),
        method=p["knn_method"],
        # a seed asks for the same graph on any number of threads
        random_state=None if p["random_state"] is None else seed,
        device=device,
        n_jobs=n_jobs,
    )
    A = graph_from_knn(ind, dist, n, p["edge_weights"])
    return A, tsne_weights(A, ind, dist), k, method


def make_backend(p: dict, A, S, Y0, X, seed: int, device, batch: int, nce):
    """Return the backend that runs the epochs (and the network, if any).

    ``A``: the training graph; ``S``: its edges' t-SNE weights
    (:func:`.graph.tsne_weights`, in ``A.data``'s order).
    """
    from .backends.numba_cpu import NumbaBackend

    coo = A.tocoo()
    edges = (
        coo.row.astype(np.int64),
        coo.col.astype(np.int64),
        coo.data.astype(np.float32),
        np.asarray(S, np.float32),
    )
    network = None
    if p["parametric"]:
        from .parametric import ParametricNetwork

        if X is None:
            raise ValueError("parametric=True needs the data X, not only a graph")
        lr = params.resolve_learning_rate(p["learning_rate"], parametric=True)
        network = ParametricNetwork(X, int(p["n_components"]), device, seed, lr)
    name = choose_backend(p["backend"], device, bool(p["parametric"]))
    common = {
        "loss": p["loss"],
        "batch_size": batch,
        "negative_samples": int(p["negative_samples"]),
        "nce": nce,
    }
    if name == "numba":
        nf = p["near_field"]
        backend = NumbaBackend(
            Y0,
            *edges,
            seed=seed,
            near_pairs=nf if nf == "auto" else float(nf),
            far_field=p["far_field"],
            **common,
        )
    else:
        import torch

        from .backends.torch_backend import TorchBackend

        generator = torch.Generator(device=device)
        generator.manual_seed(seed)
        backend = TorchBackend(
            Y0,
            *edges,
            device=torch.device(device),
            generator=generator,
            network=network,
            **common,
        )
    return backend, network
