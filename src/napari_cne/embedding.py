"""The :class:`ContrastiveEmbedding` estimator.

One engine for the whole t-SNE <-> UMAP spectrum of Damrich et al. (ICLR
2023): a binary symmetric kNN graph supplies positive pairs, negatives are
drawn from the current batch, and one of four contrastive losses (NEG, NCE,
InfoNCE, UMAP) is minimised by SGD with closed-form gradients, per-coordinate
gradient clipping and a linearly decaying learning rate.  The spectrum
position ``s`` (see :mod:`napari_cne.spectrum`) sets the balance between
attraction and repulsion.

The optimisation is a generator underneath (:meth:`iter_fit`,
:meth:`iter_optimize`), so a GUI can show the layout while it moves and stop
it at any time; :meth:`fit` simply runs that generator to the end.  Yielding
never touches the random number generator, so the result does not depend on
how often snapshots are taken.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from . import _validation, spectrum
from ._validation import check_data
from .initialization import pca_init, random_init, rescale, spectral_init
from .losses import LOSSES, kernel_term, pair_gradients
from .neighbors import (
    binarize_symmetric,
    exact_knn,
    fuzzy_graph,
    knn,
    resolve_metric,
    symmetric_graph,
)

__all__ = ["ContrastiveEmbedding", "Snapshot"]

log = logging.getLogger("napari_cne")

GRAD_CLIP = 4.0
#: ``near_field="auto"``: exact partners per point towards the t-SNE end.
NEAR_FIELD_PAIRS = 50
#: Far-field mesh: nodes per near-field radius, and at most per axis.
FAR_FIELD_NODES_PER_H = 3
FAR_FIELD_MAX_NODES = 1024
#: Far field: the most a point moves per epoch by it, per coordinate, in
#: units of the learning rate, in the first epoch at a new share and later
#: (see ``_epoch_numba``).
FAR_FIELD_CLIP = (GRAD_CLIP, 2 * GRAD_CLIP)
NCE_LR = 1e-3


@dataclass(frozen=True)
class Snapshot:
    """State of a running optimisation, as yielded by the ``iter_*`` methods.

    Attributes
    ----------
    epoch : int
        Epochs completed in the current run (1 ... ``n_epochs``).
    n_epochs : int
        Length of the current run.
    total_epochs : int
        Epochs completed since the model was first fitted.
    loss : float
        Mean loss per positive edge, estimated on the first batch of the
        last epoch.
    s : float
        Spectrum position in effect during the last epoch (early
        exaggeration included).
    embedding : numpy.ndarray
        A copy of the layout, shape ``(n_samples, n_components)``.
    done : bool
        True for the last snapshot of a run.
    """

    epoch: int
    n_epochs: int
    total_epochs: int
    loss: float
    s: float
    embedding: np.ndarray
    done: bool


class _Stop(Exception):
    """Raised internally when a callback asks to stop."""


def _as_list(callbacks) -> list:
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    out = list(callbacks)
    for cb in out:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables; got {type(cb).__name__}")
    return out


_RUN_LOCK = threading.Lock()


def _exclusive(gen_method):
    """Let one fit/optimisation at a time run on a model (any thread).

    Two threads driving the same model would overwrite each other's layout
    and graph; the second one gets a clear error instead. (A module-level
    lock, so that models stay deep-copyable.)
    """

    @functools.wraps(gen_method)
    def wrapper(self, *args, **kwargs):
        with _RUN_LOCK:
            if self.__dict__.get("_busy", False):
                raise RuntimeError(
                    "this ContrastiveEmbedding is already fitting or optimising "
                    "(in another thread, or an unfinished iter_fit/iter_optimize "
                    "generator); wait for it to finish or use a second model"
                )
            self._busy = True
        try:
            yield from gen_method(self, *args, **kwargs)
        finally:
            self._busy = False

    return wrapper


class ContrastiveEmbedding:
    """Contrastive neighbor embedding across the t-SNE <-> UMAP spectrum.

    The constructor only stores parameters (scikit-learn style); they are
    checked when :meth:`fit` runs.

    Parameters
    ----------
    s : float, default 1.0
        Spectrum position: 0 is t-SNE-like (more repulsion, finer local
        structure, bigger layout), 1 is UMAP-like (tighter clusters, more
        global structure); values below 0 and above 1 extrapolate.
    loss : {"neg", "nce", "infonce", "umap"}, default "neg"
        Contrastive loss. ``"neg"`` (negative sampling) follows the spectrum
        through the fixed normaliser ``Zbar(s)``; ``"infonce"`` through
        ``rho = 4**s``; ``"nce"`` learns its normaliser (lands between
        t-SNE and UMAP; ``s`` is ignored); ``"umap"`` is UMAP's own loss
        (``s`` is ignored).
    n_neighbors : int, default 15
        Neighbours per point in the kNN graph. With fewer than
        ``n_neighbors + 1`` points it is reduced to ``n - 1`` with a warning.
    metric : {"euclidean", "cosine", "correlation", "manhattan"}
        Input-space distance for the kNN graph.
    n_components : {2, 3}, default 2
        Embedding dimension.
    n_epochs : int or "auto"
        Passes over all graph edges in :meth:`fit`. ``"auto"``: 200 up to
        10 000 points (as contrastive-ne), 100 above, where every epoch
        already takes many SGD steps (MNIST-20k: neighbour preservation
        0.171 vs 0.173 and 10-NN accuracy 0.945 vs 0.946 at s = 1, in half
        the time).
    negative_samples : int, default 5
        Negatives drawn per positive pair, from the current batch. The
        cost of an epoch is proportional to ``1 + negative_samples``.
    noise_ratio : "auto" or float
        NEG: the noise ratio of the objective (the ``m`` in
        ``nu = m Zbar / n^2``), which the drawn negatives estimate, each
        weighted by ``noise_ratio / negative_samples``. ``"auto"`` moves
        with ``s``: ``1000 * negative_samples`` at ``s <= 0``, where NEG
        becomes t-SNE's loss with the normaliser ``Zbar`` (finer local
        structure: MNIST-70k neighbour preservation 0.22 instead of 0.08
        at the same cost), ``negative_samples`` at ``s >= 1`` (UMAP's loss),
        log-linear between; see :func:`napari_cne.spectrum.noise_ratio`.
        ``noise_ratio=negative_samples`` is contrastive-ne's NEG.
    batch_size : int or "auto"
        Positive edges per SGD step (the loss is a sum over the batch).
        ``"auto"``: 32768 for a free layout (as contrastive-ne), 262144 on a
        GPU for graphs of more than two million edges, 1024 for the
        parametric network (Adam needs many small steps).
    learning_rate : float or "auto"
        ``"auto"``: 1.0 (plain SGD) for a free layout, 1e-3 (Adam) for the
        parametric network.
    early_exaggeration : bool, default True
        Run the first third of the epochs of :meth:`fit` at ``max(s, 1)``
        (NEG and InfoNCE only), which untangles the layout before the
        requested ``s`` takes over.
    exaggeration : float, default 1.0
        Factor on the attractive force (the attraction-repulsion spectrum of
        Böhm et al. 2022), on top of ``s``.
    init : {"pca", "spectral", "random"} or array of shape (n, n_components)
        Initial layout, rescaled to first-coordinate std 1e-4.
    parametric : bool, default False
        Learn an MLP (100-100-100 ReLU) mapping inputs to the embedding;
        :meth:`transform` then runs the network on new data.
    device : {"auto", "cpu", "cuda"} or torch.device
        ``"auto"`` uses CUDA when available, else the CPU.
    random_state : int or None
        Seed. With a seed and one CPU thread the result is bit-identical
        between runs.
    callbacks : callable or list of callables, optional
        ``callback(epoch, loss, embedding) -> bool``, called every
        ``callbacks_every`` epochs with a copy of the layout; a truthy return
        stops the optimisation (the layout so far is kept).
    callbacks_every : int, default 1
        Callback cadence in epochs.
    verbose : bool, default False
        Log progress (``logging`` logger ``"napari_cne"``, printed when no
        handler is configured).
    knn_method : {"auto", "exact", "pynndescent"}
        ``"auto"`` uses exact search when it is cheap (``n^2 d <= 1e9`` on
        the CPU, or ``<= 4e11`` while pynndescent has not been compiled in
        this process yet), pynndescent otherwise.
    tsne_z : {"auto", "reference"} or float
        Normaliser of the t-SNE end (see :mod:`napari_cne.spectrum`).
    eps : "auto" or float
        Kernel offset, similarity ``1 / (eps + d^2)`` (``d^(2b)`` for NEG
        and NCE, see ``b``). ``"auto"``: for NEG
        on a free layout 1 at ``s <= 0`` (t-SNE's kernel), 1e-3 at
        ``s >= 1`` (UMAP's, close to ``1 / d^2``), log-linear between
        (:func:`napari_cne.spectrum.kernel_eps`); 1 for the other losses and
        for parametric models. ``eps=1`` is the reference's.
    edge_weights : {"auto", "fuzzy", "binary"}
        Weights of the kNN graph's edges. ``"fuzzy"``: UMAP's fuzzy
        membership (:func:`napari_cne.neighbors.fuzzy_graph`; the nearest
        neighbour 1, farther ones less), and an edge takes part in an epoch
        with probability equal to its weight, as umap-learn samples edges.
        ``"binary"``: every edge every epoch (the paper's and the
        reference's graph). ``"auto"`` moves with ``s``: probability
        ``weight**s`` for ``s`` in [0, 1], so binary at the t-SNE end and
        UMAP's at the UMAP end, where it keeps more neighbours in a third of
        the updates (MNIST-70k NP@15 0.12 instead of 0.10); binary for
        the other losses and for parametric models. A graph passed as a
        sparse matrix is binary.
    lr_schedule : {"linear", "cosine", "constant"}
        Learning-rate decay over each optimisation run.
    backend : {"auto", "numba", "torch"}
        ``"auto"``: a fused numba kernel for a free layout on the CPU, torch
        otherwise (CUDA, parametric mode). Both compute the same updates;
        they draw different random numbers.
    near_field : "auto" or float
        NEG on the CPU kernel for ``s < 1``, where each drawn negative
        stands for many: the repulsion between points closer than a radius
        ``h`` is computed exactly (its expectation, from a grid) instead of
        from the drawn negatives, whose rare close hits give huge kicks that
        the gradient clip cuts down. ``h`` is steered so that a point has
        this many such partners on average; ``"auto"`` is 50, ``0`` turns
        it off (the reference's estimate). The exact share is ``1 - s`` on
        [0, 1], so the layout moves continuously with ``s``. The torch path
        (CUDA, parametric) uses the drawn negatives only.
    far_field : "auto", True or False
        With the near field, in 1-D and 2-D: the rest of that exact share,
        the repulsion from all farther points, is computed on a mesh by FFT
        (:func:`mesh_repulsion`) instead of from drawn negatives, so at
        ``s = 0`` no negative is drawn (MNIST-70k: NP@15 0.28 -> 0.33 and a
        third less time). ``"auto"``/``True``: on; ``False``: drawn
        negatives beyond the near field. 3-D layouts and the torch path
        keep the drawn negatives.
    b : "auto" or float
        Kernel exponent for NEG and NCE: similarity ``1 / (eps + d^(2b))``
        (umap-learn's ``1 / (1 + a d^(2b))`` is NEG's posterior with this
        kernel at ``eps -> 0``, up to the scale ``a``). ``"auto"``: for NEG
        on a free layout ``1 / (eps + (1 - t) d^2 + t d^(7/4))`` with ``t``
        = ``s`` clipped to [0, 1]: t-SNE's kernel at ``s <= 0``, ``b = 7/8``
        at ``s >= 1`` (umap-learn's default is 0.895), a blend between
        (:func:`napari_cne.spectrum.kernel_mix`); ``b = 1`` for NCE and
        parametric models. The heavier tail at the UMAP end keeps more
        neighbours (MNIST-70k NP@15 0.14 instead of 0.12). ``b = 1`` and
        ``7/8`` cost three square roots at most; any other value a ``pow``
        per pair (an epoch about a third slower). Below ``b = 1/2`` a
        pair's force grows without bound as the points meet (only the
        gradient clip holds it). Other losses take ``b=1`` only.

    Attributes
    ----------
    embedding_ : ndarray, shape (n_samples, n_components)
        The layout.
    graph_ : scipy.sparse.csr_matrix
        Binary symmetric kNN graph the layout was trained on.
    losses_ : list of float
        Loss per epoch (see :class:`Snapshot`), over all runs.
    s_ : float
        Spectrum position of the last run.
    n_neighbors_, learning_rate_, device_, knn_method_ : resolved parameters.
    batch_size_ : int
        Edges per SGD step (``batch_size="auto"`` resolved).
    seed_ : int
        The seed in use (drawn at random when ``random_state`` is None).
    z_bar_, nu_ : float
        NEG normaliser and ``nu = noise_ratio_ * z_bar_ / n^2`` at ``s_``
        (NEG only).
    noise_ratio_ : float
        NEG: the objective's noise ratio at ``s_``.
    eps_, b_, b_weight_ : float
        Kernel offset, exponent and the exponent's weight ``t`` at ``s_``
        (``1 / (eps + (1 - t) d^2 + t d^(2b))``).
    near_radius_ : float or None
        Radius of the exact near field at ``s_`` (None where it is off).
    rho_ : float
        InfoNCE spectrum factor (InfoNCE only).
    z_ : float
        NCE: the learned normaliser ``Z`` (in units of ``1/n^2``).
    n_epochs_ : int
        Epochs run in total.
    timings_ : dict
        Seconds spent in ``"knn"``, ``"init"`` and ``"optimize"``.
    stopped_early_ : bool
        True when a callback or :meth:`stop` ended the last run.

    Examples
    --------
    >>> from napari_cne import ContrastiveEmbedding
    >>> Y = ContrastiveEmbedding(s=0.5, random_state=0).fit_transform(X)
    >>> for snap in model.iter_optimize(30, s=1.0):  # glide to UMAP-like
    ...     draw(snap.embedding)
    """

    def __init__(
        self,
        s: float = 1.0,
        loss: str = "neg",
        n_neighbors: int = 15,
        metric: str = "euclidean",
        n_components: int = 2,
        n_epochs: int | str = "auto",
        negative_samples: int = 5,
        noise_ratio: str | float = "auto",
        batch_size: int | str = "auto",
        learning_rate: float | str = "auto",
        early_exaggeration: bool = True,
        exaggeration: float = 1.0,
        init: str | np.ndarray = "pca",
        parametric: bool = False,
        device: str | torch.device = "auto",
        random_state: int | None = None,
        callbacks: Callable | Sequence[Callable] | None = None,
        callbacks_every: int = 1,
        verbose: bool = False,
        knn_method: str = "auto",
        tsne_z: str | float = "auto",
        eps: float | str = "auto",
        edge_weights: str = "auto",
        lr_schedule: str = "linear",
        backend: str = "auto",
        near_field: str | float = "auto",
        far_field: str | bool = "auto",
        b: float | str = "auto",
    ):
        self.s = s
        self.loss = loss
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.n_components = n_components
        self.n_epochs = n_epochs
        self.negative_samples = negative_samples
        self.noise_ratio = noise_ratio
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_exaggeration = early_exaggeration
        self.exaggeration = exaggeration
        self.init = init
        self.parametric = parametric
        self.device = device
        self.random_state = random_state
        self.callbacks = callbacks
        self.callbacks_every = callbacks_every
        self.verbose = verbose
        self.knn_method = knn_method
        self.tsne_z = tsne_z
        self.eps = eps
        self.edge_weights = edge_weights
        self.near_field = near_field
        self.far_field = far_field
        self.b = b
        self.lr_schedule = lr_schedule
        self.backend = backend

    # ------------------------------------------------------------------ params
    def get_params(self, deep: bool = True) -> dict:
        """Return the constructor parameters (scikit-learn convention)."""
        names = self.__init__.__code__.co_varnames[
            1 : self.__init__.__code__.co_argcount
        ]
        return {k: getattr(self, k) for k in names}

    def set_params(self, **params) -> ContrastiveEmbedding:
        """Set constructor parameters; takes effect at the next fit/optimize."""
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = ContrastiveEmbedding().get_params()
        changed = {
            k: v
            for k, v in self.get_params().items()
            if not isinstance(v, np.ndarray) and v != defaults[k]
        }
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"ContrastiveEmbedding({args})"

    def _check_params(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(
                f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}"
            )
        self._metric = resolve_metric(self.metric)
        self._check_s(self.s)
        if self.n_components not in (1, 2, 3):
            raise ValueError(f"n_components must be 2 or 3; got {self.n_components!r}")
        self._batch = self.batch_size  # "auto" is resolved once the graph exists
        for name in ("n_neighbors", "n_epochs", "negative_samples", "_batch"):
            v = getattr(self, name)
            if name in ("_batch", "n_epochs") and v == "auto":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer; got {v!r}")
        if not isinstance(self.callbacks_every, (int, np.integer)) or (
            self.callbacks_every < 1
        ):
            raise ValueError("callbacks_every must be a positive integer")
        if self.learning_rate != "auto":
            lr = float(self.learning_rate)
            if not (lr > 0 and math.isfinite(lr)):
                raise ValueError("learning_rate must be 'auto' or a positive number")
        if not (float(self.exaggeration) > 0):
            raise ValueError("exaggeration must be positive")
        # eps: 1 / (eps + d^2) is infinite where two points coincide
        _check_auto_or_positive("eps", self.eps)
        fixed_b = _check_auto_or_positive("b", self.b)
        if fixed_b and self.loss not in ("neg", "nce") and float(self.b) != 1.0:
            raise ValueError(
                f"b applies to the 'neg' and 'nce' losses; loss {self.loss!r} "
                "uses the kernel 1 / (eps + d^2)"
            )
        nf = self.near_field
        nf_ok = (isinstance(nf, str) and nf == "auto") or (
            isinstance(nf, (int, float))
            and not isinstance(nf, bool)
            and math.isfinite(nf)
            and nf >= 0
        )
        if not nf_ok:
            raise ValueError("near_field must be 'auto' or a number >= 0")
        ff = self.far_field
        if not (
            isinstance(ff, (bool, np.bool_)) or (isinstance(ff, str) and ff == "auto")
        ):
            raise ValueError("far_field must be 'auto', True or False")
        if self.edge_weights not in ("auto", "fuzzy", "binary"):
            raise ValueError("edge_weights must be 'auto', 'fuzzy' or 'binary'")
        if self.lr_schedule not in ("linear", "cosine", "constant"):
            raise ValueError("lr_schedule must be 'linear', 'cosine' or 'constant'")
        if self.backend not in ("auto", "numba", "torch"):
            raise ValueError("backend must be 'auto', 'numba' or 'torch'")
        if self.knn_method not in ("auto", "exact", "pynndescent"):
            raise ValueError("knn_method must be 'auto', 'exact' or 'pynndescent'")
        spectrum.z_tsne(100, self.tsne_z)  # validates tsne_z
        spectrum.noise_ratio(0.0, 5, self.noise_ratio)  # validates noise_ratio
        if isinstance(self.init, str) and self.init not in (
            "pca",
            "spectral",
            "random",
        ):
            raise ValueError(
                "init must be 'pca', 'spectral', 'random' or an array; "
                f"got {self.init!r}"
            )
        self._callbacks = _as_list(self.callbacks)
        self._device = self._resolve_device(self.device)
        self.device_ = str(self._device)

    @staticmethod
    def _check_s(s) -> float:
        try:
            s = float(s)
        except (TypeError, ValueError):
            raise TypeError(f"s must be a real number; got {s!r}") from None
        if not math.isfinite(s):
            raise ValueError(f"s must be finite; got {s}")
        return s

    @staticmethod
    def _resolve_device(device) -> torch.device:
        if isinstance(device, str) and device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dev = torch.device(device)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' requested but CUDA is not available")
        return dev

    def _log(self, msg: str) -> None:
        if self.verbose:
            if log.hasHandlers():
                log.info(msg)
            else:
                print(f"[napari-cne] {msg}", flush=True)

    # -------------------------------------------------------------- preparation
    def _prepare(self, X, graph) -> None:
        """Validate inputs, build the graph and the initial layout."""
        self._check_params()
        seed = self.random_state
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self._seed = int(seed)
        self.seed_ = self._seed
        rng = np.random.default_rng(self._seed)
        dev = self._device
        timings = {"knn": 0.0, "init": 0.0, "optimize": 0.0}

        self._X = None
        self.feature_columns_ = None
        if X is not None and np.ndim(X) == 2:
            n_rows, n_cols = np.shape(X)
            k = self.n_neighbors if isinstance(self.n_neighbors, int) else 15
            _validation.check_memory(n_rows, n_cols, k, int(self.n_components))
        if X is not None:
            Xv, columns, kept = check_data(X)
            self._X = Xv
            self.feature_columns_ = columns
            self._kept_columns = kept
            self.n_features_in_ = int(Xv.shape[1])
            self._n_features_orig = (
                int(np.asarray(X).shape[1]) if np.ndim(X) == 2 else 0
            )
            n = Xv.shape[0]
        elif graph is None:
            raise ValueError("fit needs data X, a kNN graph (graph=...), or both")
        else:
            n = None

        t0 = time.perf_counter()
        if graph is not None:
            A = self._graph_from_user(graph, n)
            n = A.shape[0]
            self.n_neighbors_ = None
            self.knn_method_ = "precomputed"
        else:
            if n < 3:
                raise ValueError(f"need at least 3 points to embed; got {n}")
            k = int(self.n_neighbors)
            if k >= n:
                warnings.warn(
                    f"n_neighbors={k} needs more than {k} points; using "
                    f"n_neighbors={n - 1} for {n} points",
                    UserWarning,
                    stacklevel=3,
                )
                k = n - 1
            ind, dist, method = knn(
                self._X,
                k,
                self._metric,
                method=self.knn_method,
                random_state=self._seed,
                device=dev,
            )
            A = self._graph_from_knn(ind, dist, n)
            self.n_neighbors_ = k
            self.knn_method_ = method
        timings["knn"] = time.perf_counter() - t0
        if A.nnz == 0:
            raise ValueError("the kNN graph has no edges; nothing to embed")
        self.graph_ = A
        self.n_samples_ = n
        if self.batch_size == "auto":
            self._batch = self._auto_batch(A.nnz)
        self.batch_size_ = int(self._batch)
        coo = A.tocoo()
        self._heads = torch.as_tensor(coo.row.astype(np.int64), device=dev)
        self._tails = torch.as_tensor(coo.col.astype(np.int64), device=dev)
        self._weights = torch.as_tensor(coo.data.astype(np.float32), device=dev)
        self._log(
            f"{n} points, {A.nnz} directed edges, kNN by {self.knn_method_} "
            f"in {timings['knn']:.1f} s"
        )

        t0 = time.perf_counter()
        Y0 = self._initial_layout(A, rng)
        timings["init"] = time.perf_counter() - t0

        self._gen = torch.Generator(device=dev)
        self._gen.manual_seed(self._seed)
        self._log_z = 0.0  # NCE: log Z, Z initialised to 1
        self._net = None
        if self.parametric:
            self._setup_network(Y0)
        self._Y = torch.as_tensor(Y0, device=dev).contiguous()
        self._setup_backend()
        self.losses_ = []
        self.n_epochs_ = 0
        self.timings_ = timings
        self.s_ = self._check_s(self.s)
        self._update_spectrum_attrs(self.s_)
        self.embedding_ = self._current_numpy()

    def _auto_batch(self, n_edges: int) -> int:
        if self.parametric:
            return 1024  # Adam needs many small steps
        if self._device.type == "cuda" and n_edges >= 8 * 262144:
            # on a GPU small steps are launch-bound; big graphs keep >= 8
            # steps per epoch (MNIST-70k on an H100: same quality, 6x faster)
            return 262144
        return 32768

    def _setup_backend(self) -> None:
        use_numba = (
            self.backend != "torch" and self._device.type == "cpu" and self._net is None
        )
        if use_numba and self.backend == "auto":
            try:
                import numba  # noqa: F401
            except ImportError:  # pragma: no cover - numba comes with pynndescent
                use_numba = False
        if self.backend == "numba" and not use_numba:
            raise ValueError(
                "backend='numba' needs device='cpu' and a non-parametric model"
            )
        self.backend_ = "numba" if use_numba else "torch"
        if not use_numba:
            return
        self._Y = self._Y.cpu().contiguous()
        self._np_rng = np.random.default_rng(self._seed)
        # int32 edge arrays in a random order, reshuffled window by window
        # every epoch (_kernels.shuffle_windows)
        order = self._np_rng.permutation(self._heads.shape[0])
        self._H = self._heads.cpu().numpy()[order].astype(np.int32)
        self._T = self._tails.cpu().numpy()[order].astype(np.int32)
        self._W = self._weights.cpu().numpy()[order].astype(np.float32)
        self._step_count = 0
        self._epoch_count = 0
        self._near_h = None  # near-field radius, steered epoch by epoch
        self._near_deg = None
        nf = self.near_field
        self._near_target = NEAR_FIELD_PAIRS if nf == "auto" else float(nf)
        self._far_on = bool(self.far_field) and self._near_target > 0
        self._far_share = None  # the far field's share in the last epoch

    def _epoch_numba(self, lr, spec, exag, want_loss) -> float:
        import numba

        from ._kernels import LOSS_CODES, near_field, sgd_window, shuffle_windows

        H, T, W = self._H, self._T, self._W
        E = H.shape[0]
        b = int(self._batch)
        # cut the windows somewhere else each epoch, then shuffle inside them
        shift = int(self._np_rng.integers(E))
        H[:] = np.roll(H, shift)
        T[:] = np.roll(T, shift)
        W[:] = np.roll(W, shift)
        shuffle_windows(H, T, W, b, self._seed, self._epoch_count)
        self._epoch_count += 1
        code = LOSS_CODES[self.loss]
        n_parts = numba.get_num_threads()  # this thread's setting
        Y = self._Y.numpy()  # a view: the kernel updates self._Y in place
        first = None
        m = m_draw = int(self.negative_samples)
        r2, far = 0.0, None
        near = self._near_field_grid(Y, spec, E)
        n_win = (E + b - 1) // b
        if near is not None:
            n = Y.shape[0]
            # a point meets ~2 m E K / n^2 close negatives per epoch (K
            # partners); the exact force is applied in as many passes, so
            # that no step is larger than the sampled ones it replaces
            # (every point at least once per epoch: every other epoch with
            # twice the weight costs MNIST-70k 0.02 of NP@15 at s = 0)
            passes = math.ceil(2.0 * m * E * self._near_target / n**2)
            visits = passes * n
            # the mesh has the rest of the exact share, applied in equal
            # parts after each window; the drawn negatives keep the share s
            far = self._far_field(Y, spec, E, near[-1])
            near_args = (
                *self._near_deg[1:],
                spec["near"] * m / (E * passes),
                float(spec["w"]),
                float(spec["nu"]),
                float(spec["eps"]),
                float(lr),
                GRAD_CLIP,
                far is not None,
                float(spec["b"]),
                float(spec["bt"]),
            )
            found = 0
            r2 = near[-1] ** 2
            if far is not None:
                r2 = math.inf  # every drawn negative keeps the share 1 - near
                if spec["near"] >= 1.0:
                    m_draw = 0  # (but the loss is estimated from window 0)
                # the mesh is evaluated once per epoch: without feedback
                # within the epoch a point right after the early phase (a
                # compact layout) would fly in one go as far as the drawn
                # negatives push it over many small steps that weaken as it
                # moves, so its epoch's move is bounded
                fresh = self._far_share != spec["near"]
                bound = FAR_FIELD_CLIP[0 if fresh else 1]
                np.clip(far, -bound, bound, out=far)
                far = (far * (lr / n_win)).astype(np.float32)
        self._far_share = None if far is None else spec["near"]
        for win, start in enumerate(range(0, E, b)):
            if near is not None:  # this window's share of the passes
                lo_v = win * visits // n_win
                hi_v = (win + 1) * visits // n_win
                while lo_v < hi_v:
                    stop_v = min(hi_v, (lo_v // n + 1) * n)
                    found += near_field(
                        Y, *near, lo_v % n, stop_v - (lo_v // n) * n, *near_args
                    )
                    lo_v = stop_v
            loss, dth = sgd_window(
                Y,
                H,
                T,
                W,
                float(spec["wpow"]),
                start,
                min(start + b, E),
                m if want_loss and start == 0 else m_draw,
                self._seed,
                self._step_count,
                code,
                float(self._nu(spec)),
                float(spec.get("rho", 1.0)),
                float(spec["eps"]),
                float(exag),
                float(spec.get("w", 1.0)),
                float(lr),
                GRAD_CLIP,
                want_loss and start == 0,
                n_parts,
                r2,
                1.0 - spec.get("near", 0.0),
                float(spec["b"]),
                float(spec["bt"]),
            )
            self._step_count += 1
            if far is not None:
                Y += far
            if start == 0:
                first = loss
            if self.loss == "nce":
                self._log_z -= NCE_LR * max(-GRAD_CLIP, min(GRAD_CLIP, dth))
        if near is not None:  # steer the radius towards the target pair count
            per_point = max(found, 1) / visits
            target = min(self._near_target, 0.5 * (Y.shape[0] - 1))
            ratio = min(max(target / per_point, 0.25), 4.0)
            reach = float(np.ptp(Y, axis=0).max()) + 1e-6
            self._near_h = min(self._near_h * ratio ** (1.0 / Y.shape[1]), reach)
        return first

    def _near_field_grid(self, Y: np.ndarray, spec: dict, E: int):
        """Return this epoch's grid for the exact near field (None: off).

        NEG draws each negative with weight ``w = noise_ratio / m``; towards
        the t-SNE end ``w`` is large and the few negatives that land close
        to their head give rare, huge kicks that the gradient clip cuts
        down. For the pairs closer than ``h`` the share ``near`` (``1 - s``
        on [0, 1]) of that repulsion is therefore the exact expectation
        (:func:`near_field`) and the drawn negatives keep the rest of their
        weight; ``h`` is steered so that a point has ``near_field`` such
        partners on average.
        """
        if spec.get("near", 0.0) <= 0.0 or not self._near_target:
            return None
        from ._kernels import build_grid

        n, d = Y.shape
        wpow = float(spec["wpow"])
        if self._near_deg is None or self._near_deg[0] != wpow:
            H, W = self._H, self._W
            deg = np.bincount(H, minlength=n).astype(np.float32)
            eff = deg
            if wpow > 0:  # edges take part with probability W ** wpow
                eff = np.bincount(H, weights=W**wpow, minlength=n).astype(np.float32)
            self._near_deg = (wpow, deg, eff)
        lo = Y.min(axis=0).astype(np.float64)
        extent = np.maximum(Y.max(axis=0) - lo, 1e-6).astype(np.float64)
        if self._near_h is None:
            # the median distance of a sample of points to their K-th nearest
            # in the layout (a uniform-density guess gave 115 partners for 50
            # on MNIST-70k after the early phase; the mesh takes over at h)
            k = int(min(max(self._near_target, 1), n - 1))
            rows = self._np_rng.choice(n, min(n, 256), replace=False)
            kth = np.concatenate(
                [  # 8 rows at a time: 8 x n distances (64 MB at 1M points)
                    np.partition(((Y[r, None, :] - Y[None]) ** 2).sum(-1), k, 1)[:, k]
                    for r in np.array_split(rows, max(1, len(rows) // 8))
                ]
            )  # the k-th smallest: column 0 is the point itself
            self._near_h = max(float(np.sqrt(np.median(kth))), 1e-6)
        h = float(self._near_h)
        # cells of side g >= h, about 2 per point at most (also for a flat
        # layout in 3-D, where the volume says little about the cell count)
        g = max(h, float(np.prod(extent) / (2 * n + 64)) ** (1.0 / d))
        side = np.floor(extent / g).astype(np.int64) + 1
        while float(np.prod(side.astype(np.float64))) > 4 * n + 64:
            g *= 1.5
            side = np.floor(extent / g).astype(np.int64) + 1
        starts, members = build_grid(Y, g, lo, side)
        return starts, members, lo, side, g, h

    def _far_field(self, Y: np.ndarray, spec: dict, E: int, h: float):
        """Return the far field's force on each point for one epoch (None: off).

        The rest of the exact share ``near`` that :func:`near_field` leaves
        (:func:`mesh_repulsion`); 1-D and 2-D layouts only (in 3-D the mesh
        would be large: there the drawn negatives keep the repulsion beyond
        ``h``).
        """
        if not self._far_on or Y.shape[1] > 2:
            return None
        import numba

        _, deg, eff = self._near_deg
        cw = spec["near"] * int(self.negative_samples) / E
        return mesh_repulsion(
            Y,
            deg,
            eff if spec["wpow"] > 0 else None,
            h,
            float(spec["nu"]),
            float(spec["eps"]),
            2.0 * spec["w"] * cw,
            workers=numba.get_num_threads(),
            b=float(spec["b"]),
            bt=float(spec["bt"]),
        )

    def _graph_from_user(self, graph, n) -> sp.csr_matrix:
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
            A = self._graph_from_knn(ind, dist, m)
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
            raise ValueError(f"need at least 3 points to embed; got {A.shape[0]}")
        isolated = int((np.diff(A.indptr) == 0).sum())
        if isolated:
            warnings.warn(
                f"{isolated} point(s) have no neighbours in the graph; they are only "
                "repelled and will drift to the edge of the layout",
                UserWarning,
                stacklevel=4,
            )
        return A

    def _graph_from_knn(self, ind, dist, n) -> sp.csr_matrix:
        if self.edge_weights != "binary":
            return fuzzy_graph(ind, dist, n)
        return symmetric_graph(ind, n)

    def _initial_layout(self, A, rng) -> np.ndarray:
        n, d = A.shape[0], int(self.n_components)
        init = self.init
        if isinstance(init, str):
            if init == "pca" and self._X is None:
                init = "spectral"
            if init == "pca":
                return pca_init(self._X, d, rng)
            if init == "spectral":
                return spectral_init(A, d, rng)
            return random_init(n, d, rng)
        Y0 = np.asarray(init, dtype=np.float64)
        if Y0.shape != (n, d):
            raise ValueError(f"init array must have shape ({n}, {d}); got {Y0.shape}")
        if not np.isfinite(Y0).all():
            raise ValueError("init array contains NaN or infinite values")
        return rescale(Y0)

    def _setup_network(self, Y0) -> None:
        if self._X is None:
            raise ValueError("parametric=True needs the data X, not only a graph")
        from .parametric import make_network

        X = self._X
        self._x_mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std == 0] = 1.0
        self._x_std = std
        torch.manual_seed(self._seed)  # network weights
        self._net = make_network(X.shape[1], int(self.n_components)).to(self._device)
        self._Xs = torch.as_tensor(
            (X - self._x_mean) / self._x_std, device=self._device
        )
        lr = 1e-3 if self.learning_rate == "auto" else float(self.learning_rate)
        self._opt = torch.optim.Adam(self._net.parameters(), lr=lr)

    # --------------------------------------------------------------- spectrum
    def _spec(self, s: float) -> dict:
        n, m = self.n_samples_, int(self.negative_samples)
        # "auto" sharpens the kernel for NEG only: InfoNCE and UMAP clamp q
        # at 1, i.e. need eps ~ 1; the network (parametric) learns worse
        sharp = self.loss == "neg" and not self.parametric
        eps = self.eps
        if isinstance(eps, str):  # "auto"
            eps = spectrum.kernel_eps(s) if sharp else 1.0
        b, bt = self.b, 1.0
        if isinstance(b, str):  # "auto": as eps
            b, bt = (spectrum.UMAP_B, spectrum.kernel_mix(s)) if sharp else (1.0, 1.0)
        if self.edge_weights == "fuzzy":
            wpow = 1.0
        elif self.loss != "neg" or self.parametric:
            # "auto" follows s for NEG on a free layout only: the other losses
            # ignore s or were not measured with weights, and thinning the
            # edges costs the network Adam steps
            wpow = 0.0
        else:
            wpow = spectrum.edge_weight_power(s)
        out = {"eps": float(eps), "b": float(b), "bt": float(bt), "wpow": wpow}
        if self.loss == "neg":
            ratio = spectrum.noise_ratio(s, m, self.noise_ratio)
            out.update(nu=spectrum.neg_nu(s, n, ratio, self.tsne_z), w=ratio / m)
            # numba kernel only (_near_field_grid)
            out["near"] = spectrum.near_field_share(s)
        elif self.loss == "infonce":
            out["rho"] = spectrum.infonce_rho(s)
        return out

    def _nu(self, spec: dict) -> float:
        """NEG's fixed noise ratio, or NCE's current learned one."""
        if self.loss == "nce":
            return int(self.negative_samples) * math.exp(self._log_z)
        return spec.get("nu", 1.0)

    def _update_spectrum_attrs(self, s: float) -> None:
        n = self.n_samples_
        spec = self._spec(s)
        self.eps_, self.b_, self.b_weight_ = spec["eps"], spec["b"], spec["bt"]
        near = spec.get("near", 0.0) > 0 and self.backend_ == "numba"
        self.near_radius_ = getattr(self, "_near_h", None) if near else None
        if self.loss == "neg":
            self.z_bar_ = spectrum.z_bar(s, n, self.tsne_z)
            self.nu_ = spec["nu"]
            self.noise_ratio_ = spec["w"] * int(self.negative_samples)
        elif self.loss == "infonce":
            self.rho_ = spectrum.infonce_rho(s)
        elif self.loss == "nce":
            self.z_ = math.exp(self._log_z)

    # ------------------------------------------------------------------ steps
    def _negatives(self, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Negatives for each head: random other slots of the batch (2b slots)."""
        bb = h.shape[0]
        m = min(int(self.negative_samples), 2 * bb - 2) if bb > 1 else 1
        slots = torch.cat([h, t])
        r = torch.randint(
            0, max(2 * bb - 1, 1), (bb, m), generator=self._gen, device=h.device
        )
        pos = (torch.arange(bb, device=h.device)[:, None] + 1 + r) % (2 * bb)
        return slots[pos]

    def _forces(self, Y, h, t, neg, spec, exag, want_loss):
        yh = Y[h]
        dpos = yh - Y[t]
        dneg = yh[:, None, :] - Y[neg]
        d2pos = dpos.square().sum(-1)
        d2neg = dneg.square().sum(-1)
        nu = self._nu(spec)
        pg = pair_gradients(
            self.loss,
            d2pos,
            d2neg,
            nu=nu,
            rho=spec.get("rho", 1.0),
            eps=float(spec["eps"]),
            b=float(spec["b"]),
            bt=float(spec["bt"]),
            exaggeration=exag,
            neg_weight=spec.get("w", 1.0),
            compute_loss=want_loss,
        )
        fpos = dpos.mul_(2.0 * pg.g_pos[:, None])
        fneg = dneg.mul_(2.0 * pg.g_neg[..., None])
        idx = torch.cat([h, t, neg.reshape(-1)])
        val = torch.cat(
            [fpos + fneg.sum(1), fpos.neg_(), fneg.reshape(-1, Y.shape[1]).neg_()]
        )
        return idx, val, pg

    def _step(self, h, t, lr, spec, exag, want_loss):
        neg = self._negatives(h, t)
        if self._net is None:
            Y = self._Y
            idx, val, pg = self._forces(Y, h, t, neg, spec, exag, want_loss)
            grad = torch.zeros_like(Y)
            grad.index_add_(0, idx, val)
            grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
            Y.add_(grad, alpha=-lr)
        else:
            allidx = torch.cat([h, t, neg.reshape(-1)])
            uniq, inv = torch.unique(allidx, return_inverse=True)
            bb, m = h.shape[0], neg.shape[1]
            hi, ti, ni = inv[:bb], inv[bb : 2 * bb], inv[2 * bb :].reshape(bb, m)
            for group in self._opt.param_groups:
                group["lr"] = lr
            Yu = self._net(self._Xs[uniq])
            with torch.no_grad():
                idx, val, pg = self._forces(
                    Yu.detach(), hi, ti, ni, spec, exag, want_loss
                )
                grad = torch.zeros_like(Yu)
                grad.index_add_(0, idx, val)
            self._opt.zero_grad(set_to_none=True)
            Yu.backward(grad)
            for p in self._net.parameters():
                p.grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
            self._opt.step()
        if self.loss == "nce":
            dth = float(pg.d_theta)
            self._log_z -= NCE_LR * max(-GRAD_CLIP, min(GRAD_CLIP, dth))
        return pg.loss

    def _lr_at(self, lr0: float, e: int, n_epochs: int, schedule: str) -> float:
        if schedule == "constant":
            return lr0
        if schedule == "cosine":
            return lr0 * 0.5 * (1.0 + math.cos(math.pi * e / n_epochs))
        return lr0 * max(0.0, 1.0 - e / n_epochs)

    def _current(self) -> torch.Tensor:
        if self._net is None:
            return self._Y
        with torch.no_grad():
            out = [
                self._net(self._Xs[i : i + 65536])
                for i in range(0, self.n_samples_, 65536)
            ]
        return torch.cat(out)

    def _current_numpy(self) -> np.ndarray:
        return self._current().detach().cpu().numpy().copy()

    def _run(
        self,
        n_epochs: int,
        s: float,
        lr0: float,
        ee_epochs: int,
        exaggeration: float,
        schedule: str,
        every: int,
        min_interval: float,
    ) -> Iterator[Snapshot]:
        """Run ``n_epochs`` epochs; yield snapshots at the requested cadence."""
        self.stopped_early_ = False
        E = self._heads.shape[0]
        b = int(self._batch)
        dev = self._device
        s_early = max(s, 1.0) if self.loss in ("neg", "infonce") else s
        last_yield = time.perf_counter()
        t_start = time.perf_counter()
        self._log(
            f"optimising {n_epochs} epochs at s={s:g} ({self.loss}"
            + (f", first {ee_epochs} at s={s_early:g}" if ee_epochs else "")
            + f") on {dev}"
        )
        try:
            if self._stop_requested:  # stop() arrived while preparing
                raise _Stop
            with torch.no_grad() if self._net is None else torch.enable_grad():
                for e in range(n_epochs):
                    s_e = s_early if e < ee_epochs else s
                    spec = self._spec(s_e)
                    lr = self._lr_at(lr0, e, n_epochs, schedule)
                    if self.backend_ == "numba":
                        loss_val = self._epoch_numba(lr, spec, exaggeration, True)
                    else:
                        perm = torch.randperm(E, generator=self._gen, device=dev)
                        if spec["wpow"] > 0:  # each edge with probability w**p
                            w = self._weights[perm].pow(spec["wpow"])
                            r = torch.rand(E, generator=self._gen, device=dev)
                            perm = perm[r < w]
                        heads = self._heads[perm]
                        tails = self._tails[perm]
                        loss_val = None
                        for start in range(0, max(heads.shape[0], 1), b):
                            h = heads[start : start + b]
                            t = tails[start : start + b]
                            out = self._step(h, t, lr, spec, exaggeration, start == 0)
                            if start == 0:
                                loss_val = out
                    n_first = min(b, E)
                    loss_e = float(loss_val) / n_first
                    if not math.isfinite(loss_e):
                        raise FloatingPointError(
                            f"the optimisation diverged at epoch {e} (loss {loss_e}); "
                            "try a smaller learning_rate"
                        )
                    self.losses_.append(loss_e)
                    self.n_epochs_ += 1
                    epoch = e + 1
                    done = epoch == n_epochs
                    if self.verbose and (epoch % max(1, n_epochs // 5) == 0 or done):
                        self._log(f"epoch {epoch}/{n_epochs}  loss {loss_e:.4f}")
                    if self._callbacks and (
                        self.n_epochs_ % int(self.callbacks_every) == 0 or done
                    ):
                        emb = self._current_numpy()
                        for cb in self._callbacks:
                            if cb(self.n_epochs_, loss_e, emb):
                                raise _Stop
                    now = time.perf_counter()
                    if done or (
                        epoch % every == 0 and now - last_yield >= min_interval
                    ):
                        last_yield = now
                        yield Snapshot(
                            epoch,
                            n_epochs,
                            self.n_epochs_,
                            loss_e,
                            s_e,
                            self._current_numpy(),
                            done,
                        )
                    if self._stop_requested:
                        raise _Stop
        except _Stop:
            self.stopped_early_ = True
            self._log("stopped early")
        except GeneratorExit:  # the consumer closed the generator
            self.stopped_early_ = True
            raise
        finally:
            self.timings_["optimize"] += time.perf_counter() - t_start
            self.s_ = s
            self._update_spectrum_attrs(s)
            self.embedding_ = self._current_numpy()

    # ------------------------------------------------------------- public API
    @_exclusive
    def iter_fit(
        self, X=None, y=None, *, graph=None, every: int = 1, min_interval: float = 0.0
    ) -> Iterator[Snapshot]:
        """Fit, yielding :class:`Snapshot` objects while the layout moves.

        Parameters
        ----------
        X : array-like or DataFrame, shape (n_samples, n_features), optional
            Data. Optional when ``graph`` is given (then ``init`` falls back
            to "spectral").
        y : ignored
        graph : scipy.sparse matrix or tuple (indices, distances), optional
            A precomputed kNN graph; only its sparsity pattern is used
            (binarised and union-symmetrised).
        every : int
            Yield at most every ``every`` epochs.
        min_interval : float
            ... and at least ``min_interval`` seconds apart (the last epoch
            is always yielded).

        Yields
        ------
        Snapshot
        """
        self._stop_requested = False
        self._prepare(X, graph)
        n_epochs = self.n_epochs
        if n_epochs == "auto":
            n_epochs = 200 if self.n_samples_ <= 10_000 else 100
        ee = (
            n_epochs // 3
            if (self.early_exaggeration and self.loss in ("neg", "infonce"))
            else 0
        )
        yield from self._run(
            n_epochs,
            self.s_,
            self._lr0(),
            ee,
            float(self.exaggeration),
            self.lr_schedule,
            max(1, int(every)),
            float(min_interval),
        )

    def _lr0(self, learning_rate=None) -> float:
        lr = self.learning_rate if learning_rate is None else learning_rate
        if lr == "auto":
            lr = 1e-3 if self.parametric else 1.0
        lr = float(lr)
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError("learning_rate must be a positive number")
        self.learning_rate_ = lr
        return lr

    def fit(self, X=None, y=None, *, graph=None) -> ContrastiveEmbedding:
        """Compute the embedding of ``X`` (and/or a kNN ``graph``).

        Returns
        -------
        self
        """
        for _ in self.iter_fit(X, y, graph=graph, every=10**9):
            pass
        return self

    def fit_transform(self, X=None, y=None, *, graph=None) -> np.ndarray:
        """Fit and return the embedding, shape ``(n_samples, n_components)``."""
        return self.fit(X, y, graph=graph).embedding_

    def _check_fitted(self) -> None:
        if not hasattr(self, "_Y"):
            raise RuntimeError("this ContrastiveEmbedding is not fitted yet; call fit")

    @_exclusive
    def iter_optimize(
        self,
        n_epochs: int = 50,
        *,
        s: float | None = None,
        learning_rate: float | str | None = None,
        exaggeration: float | None = None,
        early_exaggeration: bool = False,
        lr_schedule: str | None = None,
        every: int = 1,
        min_interval: float = 0.0,
    ) -> Iterator[Snapshot]:
        """Continue optimising from the current layout (warm start), yielding.

        Parameters
        ----------
        n_epochs : int
            Epochs to run.
        s : float, optional
            New spectrum position (default: keep the current one).
        learning_rate : float, optional
            Initial learning rate of this run (default: the fitted one).
        exaggeration : float, optional
            Attraction factor for this run.
        early_exaggeration : bool
            Run the first third at ``max(s, 1)``.
        lr_schedule : str, optional
            Schedule for this run.
        every, min_interval :
            Snapshot cadence, as in :meth:`iter_fit`.

        Yields
        ------
        Snapshot
        """
        self._check_fitted()
        self._stop_requested = False
        n_epochs = int(n_epochs)
        if n_epochs < 1:
            raise ValueError("n_epochs must be a positive integer")
        s = self.s_ if s is None else self._check_s(s)
        schedule = self.lr_schedule if lr_schedule is None else lr_schedule
        if schedule not in ("linear", "cosine", "constant"):
            raise ValueError("lr_schedule must be 'linear', 'cosine' or 'constant'")
        exag = float(self.exaggeration if exaggeration is None else exaggeration)
        ee = (
            n_epochs // 3
            if (early_exaggeration and self.loss in ("neg", "infonce"))
            else 0
        )
        yield from self._run(
            n_epochs,
            s,
            self._lr0(learning_rate),
            ee,
            exag,
            schedule,
            max(1, int(every)),
            float(min_interval),
        )

    def optimize(self, n_epochs: int = 50, **kwargs) -> ContrastiveEmbedding:
        """Continue optimising (warm start); see :meth:`iter_optimize`.

        Returns
        -------
        self
        """
        kwargs.setdefault("every", 10**9)
        for _ in self.iter_optimize(n_epochs, **kwargs):
            pass
        return self

    def stop(self) -> None:
        """Ask a running ``iter_*`` loop to stop after the current epoch.

        Safe to call from another thread.
        """
        self._stop_requested = True

    def transform(self, X_new, n_epochs: int = 100) -> np.ndarray:
        """Embed new points into the fitted layout.

        Parametric models run the network. Otherwise each new point starts
        at the mean position of its ``n_neighbors`` nearest training points
        and is optimised against the fixed training layout with the fitted
        loss and spectrum (the training layout does not move).

        Parameters
        ----------
        X_new : array-like, shape (n_new, n_features)
        n_epochs : int
            Optimisation epochs for the non-parametric placement.

        Returns
        -------
        ndarray, shape (n_new, n_components)
        """
        self._check_fitted()
        if self._X is None:
            raise ValueError("transform needs a model fitted on data X, not a graph")
        Xn, _, _ = check_data(X_new, name="X_new", drop_constant=False)
        if Xn.shape[1] == self._n_features_orig:
            Xn = np.ascontiguousarray(Xn[:, self._kept_columns])
        elif Xn.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X_new has {Xn.shape[1]} features; the model was fitted on "
                f"{self._n_features_orig}"
            )
        dev = self._device
        if self._net is not None:
            Xs = torch.as_tensor((Xn - self._x_mean) / self._x_std, device=dev)
            with torch.no_grad():
                return self._net(Xs).cpu().numpy()
        k = min(self.n_neighbors_ or 15, self._X.shape[0])
        ind, _ = exact_knn(self._X, k, self._metric, query=Xn, device=dev)
        Yt = self._Y
        ind_t = torch.as_tensor(ind, device=dev)
        Ynew = Yt[ind_t].mean(dim=1).clone()
        nn = Ynew.shape[0]
        h = torch.arange(nn, device=dev).repeat_interleave(k)
        t = ind_t.reshape(-1)
        m = int(self.negative_samples)
        gen = torch.Generator(device=dev)
        gen.manual_seed(self._seed + 1)
        spec = self._spec(self.s_)
        lr0 = self.learning_rate_ if not self.parametric else 1.0
        E = self._heads.shape[0]
        with torch.no_grad():
            for e in range(int(n_epochs)):
                lr = lr0 * (1.0 - e / n_epochs)
                # noise like in training: endpoints of random edges (degree-weighted)
                neg = self._heads[
                    torch.randint(0, E, (h.shape[0], m), generator=gen, device=dev)
                ]
                yh = Ynew[h]
                dpos = yh - Yt[t]
                dneg = yh[:, None, :] - Yt[neg]
                nu = self._nu(spec)
                pg = pair_gradients(
                    self.loss,
                    dpos.square().sum(-1),
                    dneg.square().sum(-1),
                    nu=nu,
                    rho=spec.get("rho", 1.0),
                    eps=float(spec["eps"]),
                    b=float(spec["b"]),
                    bt=float(spec["bt"]),
                    neg_weight=spec.get("w", 1.0),
                    compute_loss=False,
                )
                f = 2.0 * (
                    pg.g_pos[:, None] * dpos + (pg.g_neg[..., None] * dneg).sum(1)
                )
                grad = torch.zeros_like(Ynew).index_add_(0, h, f)
                grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
                Ynew.add_(grad, alpha=-lr)
        return Ynew.cpu().numpy()


def _check_auto_or_positive(name: str, value) -> bool:
    """Raise unless ``value`` is "auto" or a positive finite number.

    Returns True for a number (False for "auto").
    """
    if isinstance(value, str) and value == "auto":
        return False
    try:
        ok = float(value) > 0 and math.isfinite(float(value))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be 'auto' or a positive number")
    return True


def mesh_repulsion(
    Y, deg, eff, h, nu, eps, scale, workers=1, b=1.0, bt=1.0
) -> np.ndarray:
    """NEG's expected repulsion on each point beyond the near field, on a mesh.

    The drawn negatives' repulsion in expectation over *all* pairs, exactly
    as :func:`napari_cne._kernels.near_field` weights a pair (unclipped),
    with the pair kernel faded in by ``1 - (1 - r^2/h^2)^2``: the near field
    with ``fade`` has the complement, and the kernel is smooth enough for a
    mesh. The degrees are spread onto a regular mesh of spacing ``h / 3``
    (cloud-in-cell), convolved with the kernel by FFT and read back at the
    points, so no negative need be drawn for that share. The mesh has at
    most ``FAR_FIELD_MAX_NODES`` nodes per axis: a layout wider than about
    340 h gets a coarser one, which smooths the kernel near ``h`` more.

    Parameters
    ----------
    Y : float32 array (n, d), d <= 2
    deg, eff : float32 arrays (n,)
        Degrees, over all edges and over the edges taking part (``eff=None``:
        the same).
    h : float
        Near-field radius.
    nu, eps : float
        NEG's noise ratio and kernel offset (one negative's force on a pair
        at squared distance ``r2`` is ``2 w r / ((1 + nu (r2 + eps)) (r2 +
        eps))``).
    scale : float
        ``2 w cw``: the negative's weight times the pair rate ``cw`` (see
        ``near_field``).
    workers : int
        Threads for the FFTs.
    b, bt : float
        Kernel exponent and its weight: ``r2`` above stands for ``D = (1 -
        bt) r2 + bt r2**b``, and the force has the factor ``dD/dr2`` (the
        chain rule).

    Returns
    -------
    float64 array (n, d)
        Force per point for one epoch.
    """
    from scipy import fft

    from ._kernels import mesh_gather, mesh_spread

    n, d = Y.shape
    span = np.ptp(Y, axis=0).astype(np.float64)
    dx = max(h / FAR_FIELD_NODES_PER_H, float(span.max()) / (FAR_FIELD_MAX_NODES - 3))
    lo = Y.min(axis=0).astype(np.float64) - dx
    nodes = [int(math.ceil(e / dx)) + 3 for e in span] + [1] * (2 - d)
    weights = np.stack([deg] if eff is None else [deg, eff]).astype(np.float32)
    rho = np.zeros((weights.shape[0], *nodes), dtype=np.float32)
    mesh_spread(Y, weights, lo, dx, rho)
    # linear (not circular) convolution: offsets -(N - 1) .. N - 1 per axis
    size = [fft.next_fast_len(2 * k - 1, real=True) if k > 1 else 1 for k in nodes]
    off = [np.where(np.arange(m) < k, np.arange(m), np.arange(m) - m) * dx
           for m, k in zip(size, nodes)]  # fmt: skip
    R = np.meshgrid(*off, indexing="ij")
    r2 = R[0] ** 2 + R[1] ** 2
    sw = np.clip(1.0 - r2 / (h * h), 0.0, None) ** 2
    pb, slope = kernel_term(r2, b, bt)  # at the origin 1 - sw = 0
    kern = (1.0 - sw) * slope / ((1.0 + nu * (pb + eps)) * (pb + eps))
    comps = np.stack([kern * R[a] for a in range(d)]).astype(np.float32)
    kf = fft.rfftn(comps, axes=(1, 2), workers=workers)
    rf = fft.rfftn(rho, s=size, axes=(1, 2), workers=workers)
    fields = fft.irfftn(rf[:, None] * kf[None], s=size, axes=(2, 3), workers=workers)
    fields = fields[:, :, : nodes[0], : nodes[1]].reshape(-1, nodes[0], nodes[1])
    vals = mesh_gather(Y, np.ascontiguousarray(fields), lo, dx).reshape(n, -1, d)
    f_deg, f_eff = vals[:, 0], vals[:, -1]  # (n, axis) per mass channel
    e = deg if eff is None else eff
    return scale * (e[:, None] * f_deg + deg[:, None] * f_eff)
