"""Saving a fitted model and loading it again: torch's own format, no pickle.

:func:`save_model` writes one file with ``torch.save``: tensors (the data,
the layout, the graph, a network's weights) and JSON strings (parameters,
fitted attributes, anything the caller adds, e.g. how table columns became
the matrix). :func:`load_model` reads it with ``torch.load(...,
weights_only=True)``, which restores tensors and plain values only and runs
no code from the file, so a model from someone else is safe to open. A
readable copy of the parameters goes beside it as ``<file>.json``.

What is saved is the model's :meth:`~.fitted.FittedModel.fitted_state`;
this module only writes and reads the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .provenance import jsonable

__all__ = ["FORMAT", "load_model", "save_model"]

#: the ``format`` entry of a saved model
FORMAT = "napari-cne/model"
VERSION = 1


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
    import torch

    st = model.fitted_state()
    A = st["graph"]
    state = {
        "format": FORMAT,
        "version": VERSION,
        "params": json.dumps(jsonable(st["params"])),
        "fitted": json.dumps(jsonable(st["fitted"])),
        "extra": json.dumps(jsonable(extra or {})),
        "X": torch.as_tensor(st["X"]),
        "embedding": torch.as_tensor(st["embedding"]),
        "graph_indptr": torch.as_tensor(A.indptr.astype(np.int64)),
        "graph_indices": torch.as_tensor(A.indices.astype(np.int64)),
        "graph_data": torch.as_tensor(A.data.astype(np.float32)),
        "tsne_weights": torch.as_tensor(st["tsne_weights"]),
    }
    net = st["network"]
    if net is not None:
        state["network"] = net["weights"]
        state["x_mean"] = torch.as_tensor(net["x_mean"])
        state["x_std"] = torch.as_tensor(net["x_std"])
    path = Path(path)
    torch.save(state, path)
    readable = {"format": FORMAT, "params": json.loads(state["params"])}
    readable["fitted"] = {
        k: v
        for k, v in json.loads(state["fitted"]).items()
        if k not in ("losses_", "kept_columns")
    }
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
    import torch

    from .estimator import ContrastiveEmbedding

    try:
        state = torch.load(Path(path), weights_only=True, map_location="cpu")
    except Exception as err:  # noqa: BLE001 - any unreadable file
        raise ValueError(f"{path}: not a saved napari-cne model ({err})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a saved napari-cne model")
    Y = state["embedding"].numpy()
    n = Y.shape[0]
    graph = sp.csr_matrix(
        (
            state["graph_data"].numpy(),
            state["graph_indices"].numpy(),
            state["graph_indptr"].numpy(),
        ),
        shape=(n, n),
    )
    network = None
    if "network" in state:
        network = {
            "weights": state["network"],
            "x_mean": state["x_mean"].numpy(),
            "x_std": state["x_std"].numpy(),
        }
    model = ContrastiveEmbedding.from_fitted_state(
        {
            "params": json.loads(state["params"]),
            "fitted": json.loads(state["fitted"]),
            "X": state["X"].numpy(),
            "embedding": Y,
            "graph": graph,
            "tsne_weights": (
                state["tsne_weights"].numpy() if "tsne_weights" in state else None
            ),
            "network": network,
        },
        device=device,
    )
    model.saved_extra_ = json.loads(state["extra"])
    return model
