"""What a fitted :class:`~.estimator.ContrastiveEmbedding` offers beyond the fit.

:class:`FittedModel` is the estimator's public surface once fitted, in the
way openTSNE's ``TSNEEmbedding`` is: the data and layout it holds, the
metric and network it places new rows with, the constants of each spectrum
position, and its whole state as plain values and arrays
(:meth:`~FittedModel.fitted_state`, read back by
:meth:`~FittedModel.from_fitted_state`) for :mod:`.persistence` to write.
Other modules use this surface, never the estimator's private attributes.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from .optimizer import History
from .spectrum import SpectrumMap

__all__ = ["FITTED_ATTRIBUTES", "FittedModel"]

#: The fitted attributes a saved model keeps (besides its arrays).
FITTED_ATTRIBUTES = (
    "s_",
    "seed_",
    "n_jobs_",
    "n_samples_",
    "n_features_in_",
    "feature_names_in_",
    "feature_columns_",
    "n_neighbors_",
    "knn_method_",
    "learning_rate_",
    "batch_size_",
    "device_",
    "backend_",
    "losses_",
    "timings_",
)


class FittedModel:
    """The fitted estimator's public surface (a mixin of the estimator)."""

    def _check_fitted(self) -> None:
        check_is_fitted(self)

    def __sklearn_tags__(self):
        """Declare the output's dtype: float32, whatever the input's."""
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        """Whether :meth:`fit` has run (or the model was loaded)."""
        return hasattr(self, "_backend")

    def live_layout(self) -> np.ndarray | None:
        """Return a copy of the layout as the optimisation holds it now.

        For a live view of a long fit: another thread may call it while
        :meth:`iter_fit` or :meth:`iter_optimize` runs (the CPU kernels
        release the GIL). Between epochs it is the last epoch's layout;
        during one, some points have made this epoch's move and the rest
        have not. ``embedding_`` stays the result. None before a fit has
        built its layout.
        """
        backend = getattr(self, "_backend", None)
        return None if backend is None else backend.layout()

    @property
    def training_data_(self) -> np.ndarray | None:
        """The rows the model was fitted on, as it uses them (None: a graph alone).

        float32, the columns ``kept_features_`` of ``X``.
        """
        self._check_fitted()
        return self._X

    @property
    def kept_features_(self) -> np.ndarray | None:
        """The columns of ``X`` the model uses (None for a graph alone)."""
        self._check_fitted()
        return self._kept_columns

    @property
    def metric_(self) -> str:
        """The input-space metric in use (the canonical name of ``metric``)."""
        self._check_fitted()
        return self._metric

    @property
    def network_(self):
        """The parametric network (:class:`~.parametric.ParametricNetwork`) or None."""
        self._check_fitted()
        return self._network

    @property
    def spectrum_(self) -> SpectrumMap:
        """How this model turns a spectrum position into an epoch's constants."""
        self._check_fitted()
        return self._spectrum

    def resolve_transform_method(self, method: str = "auto") -> str:
        """Return the :meth:`transform` method that ``method`` stands for.

        ``"auto"``: ``"network"`` for a parametric model, else
        ``"optimize"``. Raises ``ValueError`` for an unknown method or one
        this model cannot run.
        """
        from .transform import resolve_method

        self._check_fitted()
        return resolve_method(method, self._network is not None, self._X is not None)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Return the names of the layout's columns: ``cne_0``, ``cne_1``, ...

        The names the plugin and the command line give them too.
        """
        self._check_fitted()
        n = self.embedding_.shape[1]
        return np.asarray([f"cne_{i}" for i in range(n)], dtype=object)

    def set_embedding(self, Y):
        """Replace the layout (a warm start from elsewhere); return self.

        ``Y`` has the shape of ``embedding_``; the next ``optimize`` starts
        from it. Not for a parametric model, whose layout is its network's.
        """
        self._check_fitted()
        Y = np.asarray(Y, dtype=np.float32)
        if Y.shape != self.embedding_.shape:
            raise ValueError(
                f"the layout must have shape {self.embedding_.shape}; got {Y.shape}"
            )
        self._backend.set_layout(Y)
        self.embedding_ = self._backend.layout()
        return self

    # ------------------------------------------------------------ whole state
    def fitted_state(self) -> dict:
        """Return the fitted model as plain values and arrays.

        Keys: ``params`` (the constructor's, without callbacks and an array
        ``init``), ``fitted`` (the attributes of :data:`FITTED_ATTRIBUTES`
        and the metric, kept columns and NCE's log-normaliser), ``X``,
        ``embedding``, ``graph`` (CSR) and ``network`` (None, or the weights
        and input scaling of the parametric network).

        Raises
        ------
        ValueError
            For a model fitted on a graph alone (it cannot place new rows).
        """
        self._check_fitted()
        if self._X is None:
            raise ValueError("only a model fitted on data X can be saved for transform")
        params = dict(self.get_params())
        params.pop("callbacks", None)
        if not isinstance(params.get("init"), str):
            params["init"] = "pca"  # an array init is not part of the model
        fitted = {a: getattr(self, a) for a in FITTED_ATTRIBUTES if hasattr(self, a)}
        fitted["metric"] = self._metric
        fitted["kept_columns"] = np.asarray(self._kept_columns).tolist()
        fitted["log_z"] = None if self._nce is None else self._nce.log_z
        net = self._network
        network = None
        if net is not None:
            network = {
                "weights": {k: v.cpu() for k, v in net.net.state_dict().items()},
                "x_mean": np.asarray(net.x_mean, np.float32),
                "x_std": np.asarray(net.x_std, np.float32),
            }
        return {
            "params": params,
            "fitted": fitted,
            "X": np.ascontiguousarray(self._X),
            "embedding": np.ascontiguousarray(self.embedding_),
            "graph": self.graph_.tocsr(),
            "tsne_weights": np.asarray(self.tsne_weights_, np.float32),
            "network": network,
        }

    @classmethod
    def from_fitted_state(cls, state: dict, device: str = "cpu"):
        """Return a fitted model from :meth:`fitted_state`'s values.

        ``device``: where it runs (``transform``, further ``optimize``).
        """
        import torch

        from . import params as checks
        from .losses import NceNormaliser
        from .prepare import make_backend

        fitted = state["fitted"]
        model = cls(**{**state["params"], "device": device})
        p = model.get_params()
        for name in FITTED_ATTRIBUTES:
            if name in fitted and name not in ("device_", "losses_", "timings_"):
                setattr(model, name, fitted[name])
        if "feature_names_in_" in fitted:
            model.feature_names_in_ = np.asarray(fitted["feature_names_in_"], object)
        if "n_features_orig" in fitted:  # files from before n_features_in_ meant X's
            model.n_features_in_ = int(fitted["n_features_orig"])
        model.device_ = checks.resolve_device(p["device"])
        model.seed_, model._metric = int(fitted["seed_"]), fitted["metric"]
        model._callbacks, model._stop_requested = [], False
        model._X = np.asarray(state["X"], np.float32)
        model._kept_columns = np.asarray(fitted["kept_columns"], np.int64)
        model.graph_ = sp.csr_matrix(state["graph"])
        # files from before t-SNE's weights were kept: every edge counts fully
        weights = state.get("tsne_weights")
        model.tsne_weights_ = (
            np.ones(model.graph_.nnz, np.float32)
            if weights is None
            else np.asarray(weights, np.float32)
        )
        log_z = fitted.get("log_z")
        model._nce = None if log_z is None else NceNormaliser(log_z)
        model._backend, model._network = make_backend(
            p,
            model.graph_,
            model.tsne_weights_,
            np.array(state["embedding"], np.float32),
            model._X,
            model.seed_,
            model.device_,
            int(fitted["batch_size_"]),
            model._nce,
        )
        net, saved = model._network, state.get("network")
        if net is not None and saved is not None:
            net.net.load_state_dict(saved["weights"])
            net.x_mean, net.x_std = saved["x_mean"], saved["x_std"]
            Xs = (model._X - net.x_mean) / net.x_std
            net.inputs = torch.as_tensor(Xs, device=model.device_)
        model.backend_ = model._backend.name
        model._spectrum = SpectrumMap.of(p, model.graph_.shape[0])
        model._history = History(list(fitted.get("losses_", [])))
        model.losses_ = model._history.losses
        model.timings_ = dict(fitted.get("timings_") or {})
        model.timings_.setdefault("optimize", 0.0)
        model.embedding_ = model._backend.layout()
        model._update_spectrum_attrs(float(model.s_))
        return model
