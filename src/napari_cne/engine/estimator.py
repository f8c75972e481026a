"""The :class:`ContrastiveEmbedding` estimator: the engine's scikit-learn face.

One estimator for the whole t-SNE <-> UMAP spectrum of Damrich et al. (ICLR
2023). It stores its parameters, and at :meth:`~ContrastiveEmbedding.fit`
wires the pipeline together: the data are checked (:mod:`.validation`), the
kNN graph built (:mod:`.neighbors`, :mod:`.graph`), the initial layout made
(:mod:`.initialization`), a backend chosen (:mod:`.backends`), and the epochs
run by :func:`.optimizer.run_epochs` at the constants :mod:`.spectrum` gives
for each spectrum position.

The optimisation is a generator underneath (:meth:`~ContrastiveEmbedding.iter_fit`,
:meth:`~ContrastiveEmbedding.iter_optimize`), so a GUI can show the layout
while it moves and stop it at any time; ``fit`` simply runs that generator
to the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

from . import params, threads
from .devices import deterministic
from .fitted import FittedModel
from .optimizer import History, Run, Snapshot, Stopped, exclusive, run_epochs
from .prepare import prepare
from .spectrum import early_s

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["ContrastiveEmbedding"]

log = logging.getLogger("napari_cne")


class ContrastiveEmbedding(FittedModel, TransformerMixin, BaseEstimator):
    """Contrastive neighbor embedding across the t-SNE <-> UMAP spectrum.

    A scikit-learn transformer: the constructor only stores parameters,
    checked when :meth:`fit` runs; it works in a ``Pipeline``, with
    ``clone`` and ``set_output``. docs/engine.md explains every choice
    below, with measurements.

    Parameters
    ----------
    s : float, default 1.0
        Spectrum position: 0 is t-SNE-like (more repulsion, finer local
        structure), 1 UMAP-like (tighter clusters, more global structure);
        values below 0 and above 1 extrapolate.
    loss : {"neg", "nce", "infonce", "umap"}, default "neg"
        ``"neg"`` follows the spectrum through the normaliser ``Zbar(s)``,
        ``"infonce"`` through ``rho = 4**s``; ``"nce"`` learns its
        normaliser and ``"umap"`` is UMAP's loss (both ignore ``s``).
    n_neighbors : int, default 15
        Neighbours per point in the kNN graph (reduced to ``n - 1``, with a
        warning, for fewer points).
    metric : {"euclidean", "cosine", "correlation", "manhattan"}
        Input-space distance for the kNN graph.
    n_components : {1, 2, 3}, default 2
        Embedding dimension.
    n_epochs : int or "auto"
        Passes over all graph edges in :meth:`fit`; ``"auto"``: 200 up to
        10 000 points, 100 above.
    negative_samples : int, default 5
        Negatives drawn per positive pair, from the current batch.
    noise_ratio : "auto" or float
        NEG: the noise ratio ``M`` of the objective (``nu = M Zbar / n^2``),
        estimated by the drawn negatives, each weighted ``M /
        negative_samples``. ``"auto"``: ``1000 negative_samples`` at ``s <=
        0`` (t-SNE's loss), ``negative_samples`` at ``s >= 1`` (UMAP's),
        log-linear between (:func:`.spectrum.noise_ratio`).
    batch_size : int or "auto"
        Positive edges per SGD step (on the CPU, where the spectrum thins
        the edges by their weights, the share of them that takes part, so
        that an epoch has as many steps); ``"auto"``: 32768 (on the CPU at
        most a 32nd of the edges, at least 256), 262144 for big graphs on
        a GPU, 1024 for the parametric network.
    learning_rate : float or "auto"
        ``"auto"``: 1.0 (SGD) for a free layout, 1e-3 (Adam) for a network.
    early_exaggeration : bool, default True
        Run the first third of :meth:`fit` at ``max(s, 1)`` (NEG, InfoNCE).
    exaggeration : float or "auto", default "auto"
        Factor on the attractive force, on top of ``s``, in every epoch of
        a run; ``"auto"``: 2 at the t-SNE end, 1 at UMAP's, log-linear
        between (NEG on a free layout; 1 otherwise).
    init : {"pca", "spectral", "random"} or array of shape (n, n_components)
        Initial layout, rescaled to first-coordinate std 1e-4.
    parametric : bool, default False
        Learn an MLP (100-100-100 ReLU) from inputs to layout;
        :meth:`transform` then runs it on new data.
    device : {"auto", "cpu", "cuda"} or torch.device
        ``"auto"``: CUDA when available, else the CPU.
    random_state : int or None
        Seed: with it the layout depends only on the data, the parameters
        and the seed, bit for bit, on the CPU (any ``n_jobs``, a fresh
        process or not; docs/engine.md "Threads and seeds").
    n_jobs : int, default -1
        CPU threads (scikit-learn's convention: -1 all cores, -2 all but
        one); they change the speed, never the result.
    callbacks : callable or list of callables, optional
        ``callback(epoch, loss, embedding) -> bool`` every
        ``callbacks_every`` epochs, with a copy of the layout; a truthy
        return stops the optimisation (the layout so far is kept).
    callbacks_every : int, default 1
        Callback cadence in epochs.
    verbose : bool, default False
        Log progress (logger ``"napari_cne"``; printed without a handler).
    knn_method : {"auto", "exact", "ivf", "hnsw", "pynndescent"}
        ``"auto"``: exact search where it is cheap, faiss's IVF index above,
        its HNSW graph for the largest inputs (:mod:`.neighbors`).
    tsne_z : {"auto", "reference"} or float
        Normaliser of the t-SNE end (:mod:`.spectrum`).
    eps : "auto" or float
        Kernel offset of ``1 / (eps + d^2)``; ``"auto"``: for NEG on a free
        layout 1 at ``s <= 0`` to 1e-3 at ``s >= 1``
        (:func:`.spectrum.kernel_eps`), else 1 (the reference's).
    edge_weights : {"auto", "fuzzy", "binary"}
        ``"fuzzy"``: UMAP's membership weights (:func:`.graph.fuzzy_graph`),
        an edge taking part in an epoch with probability equal to its
        weight; ``"binary"``: every edge every epoch (the reference);
        ``"auto"``: probability ``weight**s`` for NEG on a free layout
        (:func:`.spectrum.edge_weight_power`), else binary.
    lr_schedule : {"linear", "cosine", "constant"}
        Learning-rate decay over each optimisation run.
    backend : {"auto", "numba", "torch"}
        ``"auto"``: the fused numba kernel for a free layout on the CPU,
        torch otherwise (:mod:`.backends`).
    near_field : "auto" or float
        NEG on the numba backend for ``s < 1``: the repulsion between
        points closer than a radius steered to give each point this many
        partners (``"auto"``: 50 at ``s <= 0``, 25 from ``s = 0.25``, the
        mesh taking the rest; 0: off) is computed exactly, for the share
        ``1 - s`` on [0, 1] (:class:`.fields.NearField`).
    far_field : "auto", True or False
        With the near field, in 1-D and 2-D: the rest of that share, from
        all farther points, on an FFT mesh (:class:`.fields.FarField`).
    b : "auto" or float
        Kernel exponent for NEG and NCE, ``1 / (eps + d^(2b))``. ``"auto"``:
        for NEG on a free layout the blend ``1 / (eps + (1 - t) d^2 + t
        d^(7/4))``, ``t = s`` clipped to [0, 1] (:func:`.spectrum.kernel_mix`),
        else 1. Values other than 1 and 7/8 cost a ``pow`` per pair; other
        losses take ``b=1`` only.

    Attributes
    ----------
    embedding_ : ndarray of float32, shape (n_samples, n_components)
        The layout.
    n_features_in_ : int
        Columns of the ``X`` given to :meth:`fit`.
    feature_names_in_ : ndarray of str
        Their names, for a DataFrame with string column names.
    kept_features_ : ndarray of int
        The columns of ``X`` the model uses (constant ones are dropped).
    training_data_ : ndarray of float32 or None
        Those columns of ``X`` (None for a fit on a graph alone).
    metric_ : str
        The input-space metric (canonical name).
    network_ : ParametricNetwork or None
        Parametric mode's network.
    spectrum_ : SpectrumMap
        How this model turns a spectrum position into an epoch's constants.
    graph_ : scipy.sparse.csr_matrix
        The kNN graph the layout was trained on (fuzzy weights or binary).
    tsne_weights_ : ndarray of float32
        t-SNE's weights of ``graph_``'s edges, in ``graph_.data``'s order
        (:func:`.graph.tsne_weights`).
    losses_ : list of float
        Loss per epoch (see :class:`~.optimizer.Snapshot`), over all runs.
    s_, n_epochs_ : float, int
        Spectrum position of the last run; epochs run in total.
    n_neighbors_, learning_rate_, batch_size_, device_, backend_, knn_method_, n_jobs_
        Resolved parameters ("auto" and the like).
    seed_ : int
        The seed in use (drawn at random when ``random_state`` is None).
    z_bar_, nu_, noise_ratio_ : float
        NEG at ``s_``: normaliser, ``nu = noise_ratio_ * z_bar_ / n^2``, and
        the objective's noise ratio.
    eps_, b_, b_weight_ : float
        Kernel offset, exponent and the exponent's weight ``t`` at ``s_``
        (``1 / (eps + (1 - t) d^2 + t d^(2b))``).
    near_radius_ : float or None
        Radius of the exact near field at ``s_`` (None where it is off).
    rho_, z_ : float
        InfoNCE's spectrum factor; NCE's learned normaliser (units of 1/n^2).
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
        exaggeration: float | str = "auto",
        init: str | np.ndarray = "pca",
        parametric: bool = False,
        device: str | torch.device = "auto",
        random_state: int | None = None,
        n_jobs: int = -1,
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
        self.n_jobs = n_jobs
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

    @property
    def n_epochs_(self) -> int:
        """Epochs run in total, over all runs."""
        return self._history.total_epochs

    def _log(self, msg: str) -> None:
        if self.verbose:
            if log.hasHandlers():
                log.info(msg)
            else:
                print(f"[napari-cne] {msg}", flush=True)

    # ------------------------------------------------------------ preparation
    def _prepare(self, X, graph) -> None:
        """Validate inputs, build the graph, the initial layout and the backend."""
        st = prepare(self.get_params(), X, graph, self._log)
        if X is not None:  # n_features_in_, feature_names_in_ (checked already)
            validate_data(self, X, reset=True, skip_check_array=True)
        self.n_jobs_ = st.n_jobs
        self.seed_, self.device_ = st.seed, st.device
        self._metric, self._callbacks = st.metric, st.callbacks
        self._X, self.feature_columns_ = st.X, st.feature_columns
        self._kept_columns = st.kept_columns
        self.graph_, self.n_samples_ = st.graph, st.n_samples
        self.tsne_weights_ = st.tsne_weights
        self.n_neighbors_, self.knn_method_ = st.n_neighbors, st.knn_method
        self.batch_size_ = st.batch_size
        self._backend, self._network, self._nce = st.backend, st.network, st.nce
        self.backend_ = st.backend.name
        self._spectrum = st.spectrum
        self._history = History()
        self.losses_ = self._history.losses
        self.timings_ = st.timings
        self.s_ = params.check_s(self.s)
        self._update_spectrum_attrs(self.s_)
        self.embedding_ = self._backend.layout()

    def _update_spectrum_attrs(self, s: float) -> None:
        spec = self._spectrum.at(s)
        self.eps_, self.b_, self.b_weight_ = spec.eps, spec.b, spec.blend
        near = spec.near_share > 0 and self.backend_ == "numba"
        self.near_radius_ = self._backend.near_radius if near else None
        if self.loss == "neg":
            self.z_bar_ = spec.z_bar
            self.nu_ = spec.nu
            self.noise_ratio_ = spec.neg_weight * int(self.negative_samples)
        elif self.loss == "infonce":
            self.rho_ = spec.rho
        elif self.loss == "nce":
            self.z_ = self._nce.z

    # -------------------------------------------------------------------- runs
    def _run(
        self, n_epochs, s, early, exaggeration=None, schedule=None, every=1, wait=0.0
    ) -> Iterator[Snapshot]:
        """Run epochs towards ``s`` (:class:`~.optimizer.Run`; None: the model's)."""
        run = Run(
            n_epochs,
            s,
            self.learning_rate_,
            params.early_epochs(early, self.loss, n_epochs),
            self._spectrum.exaggeration_at(s, exaggeration),
            self.lr_schedule if schedule is None else schedule,
            max(1, int(every)),
            float(wait),
        )
        self.stopped_early_ = False
        t_start = time.perf_counter()
        self._log(
            f"optimising {run.n_epochs} epochs at s={run.s:g} ({self.loss}"
            + (
                f", first {run.early_epochs} at s={early_s(run.s, self.loss):g}"
                if run.early_epochs
                else ""
            )
            + f") on {self.device_}"
        )
        try:
            seeded = self.random_state is not None
            with threads.limited(self.n_jobs_), deterministic(self.device_, seeded):
                yield from run_epochs(
                    self._backend,
                    self._spectrum,
                    run,
                    self._history,
                    loss=self.loss,
                    callbacks=self._callbacks,
                    callbacks_every=int(self.callbacks_every),
                    should_stop=lambda: self._stop_requested,
                    log=self._log if self.verbose else None,
                )
        except Stopped:
            self.stopped_early_ = True
            self._log("stopped early")
        except GeneratorExit:  # the consumer closed the generator
            self.stopped_early_ = True
            raise
        finally:
            self.timings_["optimize"] += time.perf_counter() - t_start
            self.s_ = run.s
            self._update_spectrum_attrs(run.s)
            self.embedding_ = self._backend.layout()

    # -------------------------------------------------------------- public API
    @exclusive
    def iter_fit(
        self, X=None, y=None, *, graph=None, every: int = 1, min_interval: float = 0.0
    ) -> Iterator[Snapshot]:
        """Fit, yielding :class:`~.optimizer.Snapshot` objects while the layout moves.

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
        n_epochs = params.auto_n_epochs(self.n_epochs, self.n_samples_)
        self.learning_rate_ = params.resolve_learning_rate(
            self.learning_rate, bool(self.parametric)
        )
        early, s = self.early_exaggeration, self.s_
        yield from self._run(n_epochs, s, early, every=every, wait=min_interval)

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

    @exclusive
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
        exaggeration : float or "auto", optional
            Attraction factor for this run (default: the model's, at ``s``).
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
        s = self.s_ if s is None else params.check_s(s)
        schedule = self.lr_schedule if lr_schedule is None else lr_schedule
        params.check_lr_schedule(schedule)
        lr = self.learning_rate if learning_rate is None else learning_rate
        self.learning_rate_ = params.resolve_learning_rate(lr, bool(self.parametric))
        yield from self._run(
            n_epochs, s, early_exaggeration, exaggeration, schedule, every, min_interval
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

    def transform(self, X_new, n_epochs: int = 100, method: str = "auto") -> np.ndarray:
        """Embed new points into the fitted layout (:mod:`.transform`).

        Parameters
        ----------
        X_new : array-like, shape (n_new, n_features)
        n_epochs : int
            Optimisation epochs for ``method="optimize"``.
        method : {"auto", "network", "optimize", "interpolate"}
            ``"network"``: run the parametric model's network; ``"optimize"``:
            start at the mean of the nearest training points and optimise
            against the fixed training layout with the fitted loss and
            spectrum; ``"interpolate"``: the distance-weighted mean of the
            nearest training points' positions (one kNN search, fast for
            millions of rows). ``"auto"``: the network when there is one,
            else ``"optimize"``.

        A row lands on the same place alone, in any batch, in any order and
        on any number of threads; a row of the training data lands on its
        own place in ``embedding_`` (so ``fit(X).transform(X)`` is
        ``fit_transform(X)``).

        Returns
        -------
        ndarray of float32, shape (n_new, n_components)
        """
        from .transform import transform

        self._check_fitted()
        method = self.resolve_transform_method(method)
        return transform(self, X_new, int(n_epochs), method)
