"""Saving a fitted model and loading it again: torch's own format, no pickle.

:func:`save_model` writes one file with ``torch.save``: tensors (the data,
the layout, the graph, a network's weights) and JSON strings (parameters,
fitted attributes, anything the caller adds, e.g. how table columns became
the matrix). :func:`load_model` reads it with ``torch.load(...,
weights_only=True)``, which restores tensors and plain values only and runs
no code from the file, so a model from someone else is safe to open. A
readable copy of the parameters goes beside it as ``<file>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch

from .optimizer import History
from .provenance import jsonable
from .spectrum import SpectrumMap

__all__ = ["FORMAT", "load_model", "save_model"]

#: the ``format`` entry of a saved model
FORMAT = "napari-cne/model"
VERSION = 1

#: fitted attributes kept (besides the tensors)
_FITTED = (
    "s_",
    "seed_",
    "n_jobs_",
    "n_samples_",
    "n_features_in_",
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


def _params(model) -> dict:
    p = dict(model.get_params())
    p.pop("callbacks", None)
    if not isinstance(p.get("init"), str):
        p["init"] = "pca"  # an array init is not part of the model
    return jsonable(p)


def save_model(model, path: str | Path, extra: dict | None = None) -> Path:
    """Write a fitted :class:`~napari_cne.ContrastiveEmbedding` to ``path``.

    Parameters
    ----------
    model : ContrastiveEmbedding
        Fitted on data ``X`` (a model fitted on a graph alone cannot place
        new points and is refused).
    path : str or Path
        The file (``.pt`` by convention); ``<path>.json`` gets a readable
        copy of the parameters and ``extra``.
    extra : dict, optional
        JSON-serialisable information to keep with the model.

    Returns
    -------
    Path
    """
    model._check_fitted()
    if model._X is None:
        raise ValueError("only a model fitted on data X can be saved for transform")
    fitted = {a: getattr(model, a) for a in _FITTED if hasattr(model, a)}
    fitted["metric"] = model._metric
    fitted["kept_columns"] = np.asarray(model._kept_columns).tolist()
    fitted["n_features_orig"] = model._n_features_orig
    fitted["log_z"] = None if model._nce is None else model._nce.log_z
    A = model.graph_.tocsr()
    state = {
        "format": FORMAT,
        "version": VERSION,
        "params": json.dumps(_params(model)),
        "fitted": json.dumps(jsonable(fitted)),
        "extra": json.dumps(jsonable(extra or {})),
        "X": torch.as_tensor(np.ascontiguousarray(model._X)),
        "embedding": torch.as_tensor(np.ascontiguousarray(model.embedding_)),
        "graph_indptr": torch.as_tensor(A.indptr.astype(np.int64)),
        "graph_indices": torch.as_tensor(A.indices.astype(np.int64)),
        "graph_data": torch.as_tensor(A.data.astype(np.float32)),
    }
    net = model._network
    if net is not None:
        state["network"] = {k: v.cpu() for k, v in net.net.state_dict().items()}
        state["x_mean"] = torch.as_tensor(np.asarray(net.x_mean, np.float32))
        state["x_std"] = torch.as_tensor(np.asarray(net.x_std, np.float32))
    path = Path(path)
    torch.save(state, path)
    readable = {"format": FORMAT, "params": json.loads(state["params"])}
    readable["fitted"] = {k: v for k, v in json.loads(state["fitted"]).items()
                          if k not in ("losses_", "kept_columns")}  # fmt: skip
    readable["extra"] = json.loads(state["extra"])
    path.with_name(path.name + ".json").write_text(
        json.dumps(readable, indent=2) + "\n", encoding="utf-8"
    )
    return path


def load_model(path: str | Path, device: str = "cpu"):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
    device : str
        Where the loaded model runs (``transform``, further ``optimize``).

    Returns
    -------
    ContrastiveEmbedding
        Fitted: ``transform`` places new rows, ``iter_optimize`` /
        ``optimize`` continue from the saved layout. The ``extra`` given at
        saving is in its ``saved_extra_`` attribute.

    Raises
    ------
    ValueError
        For a file that is not a saved napari-cne model.
    """
    from .estimator import ContrastiveEmbedding

    try:
        state = torch.load(Path(path), weights_only=True, map_location="cpu")
    except Exception as err:  # noqa: BLE001 - any unreadable file
        raise ValueError(f"{path}: not a saved napari-cne model ({err})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a saved napari-cne model")
    params = json.loads(state["params"])
    params["device"] = device
    model = ContrastiveEmbedding(**params)
    _restore(model, state, json.loads(state["fitted"]))
    model.saved_extra_ = json.loads(state["extra"])
    return model


def _restore(model, state: dict, fitted: dict) -> None:
    """Give a fresh estimator the fitted state of a saved one."""
    from . import params as checks
    from .losses import NceNormaliser
    from .prepare import make_backend

    p = model.get_params()
    for name in _FITTED:
        if name in fitted and name not in ("device_", "losses_", "timings_"):
            setattr(model, name, fitted[name])
    model._device = checks.resolve_device(p["device"])
    model.device_ = str(model._device)
    model._seed, model._metric = int(fitted["seed_"]), fitted["metric"]
    model._callbacks, model._stop_requested = [], False
    model._X = state["X"].numpy()
    model._kept_columns = np.asarray(fitted["kept_columns"], np.int64)
    model._n_features_orig = int(fitted["n_features_orig"])
    Y = state["embedding"].numpy().copy()
    n = Y.shape[0]
    model.graph_ = sp.csr_matrix(
        (state["graph_data"].numpy(), state["graph_indices"].numpy(),
         state["graph_indptr"].numpy()), shape=(n, n),
    )  # fmt: skip
    model._nce = None if fitted.get("log_z") is None else NceNormaliser(fitted["log_z"])
    batch = int(fitted["batch_size_"])
    model._backend, model._network = make_backend(
        p, model.graph_, Y, model._X, model._seed, model._device, batch, model._nce
    )
    if model._network is not None:
        model._network.net.load_state_dict(state["network"])
        model._network.x_mean = state["x_mean"].numpy()
        model._network.x_std = state["x_std"].numpy()
        Xs = (model._X - model._network.x_mean) / model._network.x_std
        model._network.inputs = torch.as_tensor(Xs, device=model._device)
    model.backend_ = model._backend.name
    model._spectrum = SpectrumMap.of(p, n)
    model._history = History(list(fitted.get("losses_", [])))
    model.losses_ = model._history.losses
    model.timings_ = dict(fitted.get("timings_") or {})
    model.timings_.setdefault("optimize", 0.0)
    model.embedding_ = model._backend.layout()
    model._update_spectrum_attrs(float(model.s_))
