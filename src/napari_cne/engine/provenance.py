"""What produced an embedding: versions, resolved parameters, inputs, timings.

napari-free and Qt-free. :func:`provenance` turns a fitted
:class:`~napari_cne.ContrastiveEmbedding` into a JSON-serialisable dict (the
``napari-cne embed`` command writes it beside every output as
``<output>.json``); :func:`save_params` and :func:`load_params` write and
read a parameter set, so that

>>> from napari_cne import ContrastiveEmbedding
>>> from napari_cne.provenance import load_params, save_params
>>> save_params("params.json", ContrastiveEmbedding(s=0.3, random_state=1))
>>> model = ContrastiveEmbedding(**load_params("params.json"))

rebuilds the same estimator. :func:`load_params` also reads a whole
provenance record (it takes the ``"params"`` section), so a run can be
repeated from the sidecar of its output.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import sys
import warnings
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__

__all__ = ["jsonable", "load_params", "provenance", "save_params"]

#: Version of the layout of the provenance record (bump on incompatible change).
FORMAT = 1

#: Fitted attributes recorded under ``"resolved"`` when the model has them.
_RESOLVED = (
    "s_",
    "n_epochs_",
    "n_neighbors_",
    "learning_rate_",
    "device_",
    "backend_",
    "knn_method_",
    "n_jobs_",
    "n_samples_",
    "n_features_in_",
    "z_bar_",
    "nu_",
    "noise_ratio_",
    "eps_",
    "b_",
    "b_weight_",
    "near_radius_",
    "rho_",
    "z_",
    "stopped_early_",
    "timings_",
)

#: Arrays up to this many elements are written out as lists, larger ones
#: as a short description (an ``init`` layout of a million points does not
#: belong in a provenance record).
MAX_ARRAY_ELEMENTS = 1000


def jsonable(value: Any) -> Any:
    """Return ``value`` converted to plain JSON types, recursively.

    numpy scalars become Python numbers, small arrays lists (larger ones a
    ``"ndarray(shape=..., dtype=...)"`` description), tuples and sets lists,
    paths and ``torch.device`` objects strings, callables their ``repr``,
    non-finite floats the strings ``"nan"``, ``"inf"`` and ``"-inf"``
    (standard JSON has no such numbers); anything else its ``str``.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    if isinstance(value, np.ndarray):
        if value.size <= MAX_ARRAY_ELEMENTS and value.dtype.kind in "biuf":
            return jsonable(value.tolist())
        return f"ndarray(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v) for v in items]
    if isinstance(value, Path):
        return str(value)
    if callable(value):
        return repr(value)
    return str(value)  # torch.device, dtypes, ...


def _versions() -> dict:
    out = {
        "napari_cne": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    # read without importing torch (a fit on the CPU never loads it)
    try:
        out["torch"] = metadata.version("torch")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        out["torch"] = None
    torch = sys.modules.get("torch")
    out["cuda"] = torch.version.cuda if torch is not None else None
    out["platform"] = platform.platform()
    return out


def provenance(
    model,
    *,
    inputs: str | Path | Sequence[str | Path] | None = None,
    columns: Sequence[str] | None = None,
    elapsed: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """Record what produced an embedding, as a JSON-serialisable dict.

    Parameters
    ----------
    model : ContrastiveEmbedding
        Fitted (or not: then ``"resolved"`` is empty and ``"seed"`` is the
        ``random_state`` parameter).
    inputs : str, path or sequence of them, optional
        Names of the inputs (files, layers).
    columns : sequence of str, optional
        Feature columns that were embedded.
    elapsed : float, optional
        Wall time in seconds of the whole job.
    extra : mapping, optional
        Anything else worth keeping (converted with :func:`jsonable`).

    Returns
    -------
    dict
        ``format``, ``created`` (ISO 8601 UTC), ``software`` (napari_cne,
        python, numpy, torch, cuda, platform), ``params`` (the constructor
        parameters, :meth:`~napari_cne.ContrastiveEmbedding.get_params`),
        ``resolved`` (values in effect after fitting: ``s_``, ``n_epochs_``
        (epochs run in total), ``n_neighbors_``, ``batch_size_``,
        ``learning_rate_``, ``device_``, ``backend_``, ``knn_method_``,
        spectrum constants, ``timings_``, ``final_loss`` ...), ``seed``
        (the seed actually used, also when ``random_state`` was ``None``),
        ``inputs``, ``columns``, ``elapsed_s`` and ``extra``.
    """
    params = model.get_params()
    resolved: dict[str, Any] = {}
    for name in _RESOLVED:
        if hasattr(model, name):
            resolved[name] = getattr(model, name)
    if hasattr(model, "batch_size_") and hasattr(model, "embedding_"):
        resolved["batch_size_"] = model.batch_size_  # resolved "auto"
    losses = getattr(model, "losses_", None)
    if losses:
        resolved["final_loss"] = losses[-1]
    if hasattr(model, "embedding_"):
        resolved["n_components"] = int(np.asarray(model.embedding_).shape[1])
    seed = getattr(model, "seed_", params.get("random_state"))
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    record = {
        "format": FORMAT,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "software": _versions(),
        "params": params,
        "resolved": resolved,
        "seed": seed,
        "inputs": None if inputs is None else [str(p) for p in inputs],
        "columns": None if columns is None else [str(c) for c in columns],
        "elapsed_s": None if elapsed is None else round(float(elapsed), 3),
        "extra": dict(extra) if extra is not None else {},
    }
    return jsonable(record)


def _valid_names() -> dict:
    from .estimator import ContrastiveEmbedding

    return ContrastiveEmbedding().get_params()


def _params_of(model_or_params) -> dict:
    if hasattr(model_or_params, "get_params"):
        return dict(model_or_params.get_params())
    if isinstance(model_or_params, Mapping):
        return dict(model_or_params)
    raise TypeError(
        "save_params needs a ContrastiveEmbedding or a dict of parameters; got "
        f"{type(model_or_params).__name__}"
    )


def _check_names(params: Mapping, source: str) -> None:
    valid = _valid_names()
    unknown = sorted(str(k) for k in params if k not in valid)
    if unknown:
        raise ValueError(
            f"{source}: unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"valid names: {', '.join(valid)}"
        )


def _drop_unloadable(params: dict, source: str) -> dict:
    """Remove values that cannot rebuild an estimator (with a warning)."""
    out = dict(params)
    cb = out.get("callbacks")
    if cb is not None and not callable(cb):
        warnings.warn(
            f"{source}: callbacks cannot be stored in JSON; ignoring {cb!r}",
            UserWarning,
            stacklevel=3,
        )
        out.pop("callbacks")
    init = out.get("init")
    if isinstance(init, str) and init not in ("pca", "spectral", "random"):
        warnings.warn(
            f"{source}: init {init!r} is not 'pca', 'spectral' or 'random' (an "
            "array init is not stored); using the default",
            UserWarning,
            stacklevel=3,
        )
        out.pop("init")
    return out


def save_params(path: str | Path, model_or_params) -> Path:
    """Write a parameter set as JSON.

    Parameters
    ----------
    path : str or Path
        File to write (overwritten).
    model_or_params : ContrastiveEmbedding or dict
        The estimator (its :meth:`get_params`) or a dict of constructor
        parameters (all of them or some; names are checked).

    Returns
    -------
    Path
        The file written. It holds one flat JSON object ``{name: value}``;
        callbacks and array ``init`` layouts cannot be stored and are left
        out (with a warning).

    Raises
    ------
    ValueError
        For unknown parameter names.
    """
    params = _params_of(model_or_params)
    _check_names(params, "save_params")
    out = {}
    for k, v in params.items():
        if k == "callbacks" and v is not None:
            warnings.warn(
                "save_params: callbacks cannot be stored in JSON; left out",
                UserWarning,
                stacklevel=2,
            )
            continue
        if k == "init" and not isinstance(v, str):
            warnings.warn(
                "save_params: an array init cannot be stored in a parameter set; "
                "left out",
                UserWarning,
                stacklevel=2,
            )
            continue
        out[k] = jsonable(v)
    path = Path(path)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return path


def load_params(path: str | Path) -> dict:
    """Read a parameter set written by :func:`save_params` (or a provenance).

    Parameters
    ----------
    path : str or Path
        A JSON file holding either a flat object of constructor parameters
        (any subset), or a provenance record (as written by
        :func:`provenance` / ``napari-cne embed``), whose ``"params"``
        section is used.

    Returns
    -------
    dict
        Keyword arguments for :class:`~napari_cne.ContrastiveEmbedding`.
        Values that cannot rebuild an estimator (a callback's ``repr``, an
        array ``init`` description) are dropped with a warning.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not JSON, not an object, or names unknown parameters
        (the message lists them).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a JSON object of parameters; got {type(data).__name__}"
        )
    # a provenance record (or {"params": {...}}): take its parameter section
    if isinstance(data.get("params"), dict) and ("format" in data or len(data) == 1):
        data = data["params"]
    _check_names(data, str(path))
    return _drop_unloadable(data, str(path))
