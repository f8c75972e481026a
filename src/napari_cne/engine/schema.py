"""The estimator's parameters declared once: default, what each takes, what it means.

:data:`PARAMETERS` has one :class:`Parameter` row per keyword of
:class:`~.estimator.ContrastiveEmbedding`, in the order of its signature
(a test holds the two together). :func:`check_params` validates a fit's
parameters row by row; the front ends build their form and their command
line options (defaults, help, choices) from the same rows
(:mod:`napari_cne.app.settings`). Adding a parameter: the estimator's
signature and docstring, one row here, and where it acts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from . import spectrum, threads
from .losses import LOSSES
from .neighbors import KNN_METHODS, METRICS, resolve_metric

__all__ = [
    "BACKENDS",
    "EDGE_WEIGHTS",
    "INITS",
    "LR_SCHEDULES",
    "PARAMETER",
    "PARAMETERS",
    "Parameter",
    "as_callbacks",
    "check_lr_schedule",
    "check_params",
    "check_s",
]

LR_SCHEDULES = ("linear", "cosine", "constant")
BACKENDS = ("auto", "numba", "torch")
EDGE_WEIGHTS = ("auto", "fuzzy", "binary")
INITS = ("pca", "spectral", "random")


def check_s(s) -> float:
    """Return ``s`` as a float, or raise for a non-number or non-finite value."""
    try:
        s = float(s)
    except (TypeError, ValueError):
        raise TypeError(f"s must be a real number; got {s!r}") from None
    if not math.isfinite(s):
        raise ValueError(f"s must be finite; got {s}")
    return s


def _positive_int(name: str, value, auto: bool = False) -> None:
    if auto and isinstance(value, str) and value == "auto":
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def _auto_or_positive(name: str, value) -> bool:
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


def _one_of(name: str, value, choices) -> None:
    if value not in choices:
        quoted = [f"'{c}'" for c in choices]
        raise ValueError(f"{name} must be {', '.join(quoted[:-1])} or {quoted[-1]}")


def check_lr_schedule(schedule) -> None:
    """Raise for an unknown learning-rate schedule."""
    _one_of("lr_schedule", schedule, LR_SCHEDULES)


def as_callbacks(callbacks) -> list[Callable]:
    """Return the callbacks as a list (one callable, a sequence, or None)."""
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    out = list(callbacks)
    for cb in out:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables; got {type(cb).__name__}")
    return out


def _check_b(value) -> None:
    _auto_or_positive("b", value)


def _check_init(init) -> None:
    if isinstance(init, str) and init not in INITS:
        raise ValueError(
            f"init must be 'pca', 'spectral', 'random' or an array; got {init!r}"
        )


def _check_near_field(nf) -> None:
    ok = (isinstance(nf, str) and nf == "auto") or (
        isinstance(nf, (int, float))
        and not isinstance(nf, bool)
        and math.isfinite(nf)
        and nf >= 0
    )
    if not ok:
        raise ValueError("near_field must be 'auto' or a number >= 0")


def _check_far_field(ff) -> None:
    if not (isinstance(ff, (bool, np.bool_)) or (isinstance(ff, str) and ff == "auto")):
        raise ValueError("far_field must be 'auto', True or False")


def _check_loss(loss) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def _check_n_components(n) -> None:
    if n not in (1, 2, 3):
        raise ValueError(f"n_components must be 2 or 3; got {n!r}")


def _check_learning_rate(lr) -> None:
    if lr != "auto":
        try:
            lr = float(lr)
        except (TypeError, ValueError):
            lr = float("nan")
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError("learning_rate must be 'auto' or a positive number")


def _check_seed(seed) -> None:
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"random_state must be None or an integer >= 0; got {seed!r}")


def _check_bool(name: str):
    def check(value) -> None:
        if not isinstance(value, (bool, np.bool_, int, np.integer)):
            raise ValueError(f"{name} must be True or False; got {value!r}")

    return check


def _check_device(device) -> None:
    if type(device).__name__ == "device":  # a torch.device (torch not imported here)
        return
    if not isinstance(device, str):
        raise TypeError(f"device must be a string; got {type(device).__name__}")
    if device not in ("auto", "cpu"):
        import torch

        try:
            torch.device(device)
        except RuntimeError as err:
            raise ValueError(f"unknown device {device!r} ({err})") from None


def _anything(_value) -> None:
    """No check (verbose: any value's truth is used)."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of the estimator, declared once.

    The estimator's checks (:func:`check_params`), and the front ends' form
    and command-line options (``napari_cne.app.settings``: their defaults,
    help and choices) are made from these rows; a test holds the
    estimator's signature against them.

    Attributes
    ----------
    name : str
        The constructor keyword.
    default : object
        Its default (the estimator's signature repeats it; a test compares).
    kind : {"float", "int", "choice", "bool", "seed", "device", "other"}
        What it takes: a number, a whole number, one of ``choices``, a
        truth value, a seed (an integer or None), a torch device, or
        something the front ends do not offer (arrays, callables).
    help : str
        One sentence: what it does (the CLI's help and the widget's tip).
    check : callable
        ``check(value)`` raises ``ValueError`` or ``TypeError`` with a
        message naming the parameter and what it accepts.
    low, high : float, optional
        Bounds of a number (``low`` excluded when ``open_low``).
    auto : bool
        ``"auto"`` is accepted (the engine chooses).
    choices : tuple
        The values of a ``"choice"`` (as the front ends list them).
    offered : bool
        The widget and the command line offer it (the others are set from
        Python or a parameter file).
    """

    name: str
    default: Any
    kind: str
    help: str
    check: Callable[[Any], None]
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    auto: bool = False
    choices: tuple = ()
    offered: bool = False


def _int(name, default, help_, low=1, auto=False, offered=False) -> Parameter:
    return Parameter(
        name,
        default,
        "int",
        help_,
        partial(_positive_int, name, auto=auto),
        low=low,
        auto=auto,
        offered=offered,
    )


def _auto_number(name, default, help_, check, low=0.0, offered=False) -> Parameter:
    return Parameter(
        name,
        default,
        "float",
        help_,
        check,
        low=low,
        open_low=True,
        auto=True,
        offered=offered,
    )


def _choice(name, default, help_, choices, check=None, offered=False) -> Parameter:
    check = check or partial(_one_of, name, choices=choices)
    return Parameter(
        name, default, "choice", help_, check, choices=tuple(choices), offered=offered
    )


#: Every parameter of :class:`~.estimator.ContrastiveEmbedding`, in the
#: order of its signature.
PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "s",
        1.0,
        "float",
        "spectrum position: 0 t-SNE-like (finer clusters, local detail), 1 "
        "UMAP-like (tighter clusters, more global layout); below 0 and above "
        "1 extrapolate",
        check_s,
        offered=True,
    ),
    _choice(
        "loss",
        "neg",
        "contrastive loss: neg and infonce follow s, nce and umap ignore it",
        LOSSES,
        _check_loss,
        offered=True,
    ),
    _int("n_neighbors", 15, "neighbours per row in the kNN graph", offered=True),
    _choice(
        "metric",
        "euclidean",
        "distance between rows in feature space (for the kNN graph)",
        METRICS,
        resolve_metric,
        offered=True,
    ),
    Parameter(
        "n_components",
        2,
        "choice",
        "dimensions of the embedding",
        _check_n_components,
        choices=(1, 2, 3),
        offered=True,
    ),
    _int(
        "n_epochs",
        "auto",
        "optimisation epochs (passes over all kNN edges); "
        "auto: 200 up to 10 000 rows, 100 above",
        auto=True,
        offered=True,
    ),
    _int("negative_samples", 5, "negatives drawn per positive pair", offered=True),
    _auto_number(
        "noise_ratio",
        "auto",
        "NEG's noise ratio of the objective; "
        "auto: from 1000 negative_samples at s <= 0 to negative_samples "
        "at s >= 1",
        lambda v: spectrum.noise_ratio(0.0, 5, v),
    ),
    _int("batch_size", "auto", "positive edges per SGD step", auto=True),
    _auto_number(
        "learning_rate",
        "auto",
        "initial learning rate; auto: 1 for a free layout, 0.001 for the network",
        _check_learning_rate,
        offered=True,
    ),
    Parameter(
        "early_exaggeration",
        True,
        "bool",
        "run the first third of a fit at max(s, 1) (neg and infonce losses)",
        _check_bool("early_exaggeration"),
        offered=True,
    ),
    _auto_number(
        "exaggeration",
        "auto",
        "factor on the attractive force in every epoch: above 1 pulls "
        "neighbours closer; auto: 2 at the t-SNE end, 1 at the UMAP end",
        lambda v: spectrum.exaggeration_factor(0.0, v),
        offered=True,
    ),
    _choice(
        "init",
        "pca",
        "initial layout (or an array of shape (n, n_components) from Python)",
        INITS,
        _check_init,
        offered=True,
    ),
    Parameter(
        "parametric",
        False,
        "bool",
        "train a small network from features "
        "to coordinates (torch): new rows and pixels are placed by it",
        _check_bool("parametric"),
        offered=True,
    ),
    Parameter(
        "device",
        "auto",
        "device",
        "where the optimisation runs: auto, "
        "cpu, cuda or cuda:N; auto: the GPU when there is one",
        _check_device,
        offered=True,
    ),
    Parameter(
        "random_state",
        None,
        "seed",
        "seed of the run (None: a new one "
        "each run); with n_jobs=1 the result is bit-identical",
        _check_seed,
        low=0,
        offered=True,
    ),
    Parameter(
        "n_jobs",
        -1,
        "int",
        "CPU threads of the optimisation and the kNN "
        "search: -1 all cores, -2 all but one, or a number of threads",
        threads.resolve_n_jobs,
        offered=True,
    ),
    Parameter(
        "callbacks",
        None,
        "other",
        "callback(epoch, loss, embedding) -> "
        "bool every callbacks_every epochs; True stops",
        as_callbacks,
    ),
    _int("callbacks_every", 1, "callback cadence in epochs"),
    Parameter("verbose", False, "bool", "log progress", _anything),
    _choice(
        "knn_method",
        "auto",
        "kNN search: auto, exact, ivf, hnsw or pynndescent",
        KNN_METHODS,
    ),
    _auto_number(
        "tsne_z",
        "auto",
        "normaliser of the t-SNE end: auto, reference or a positive number",
        lambda v: spectrum.z_tsne(100, v),
    ),
    _auto_number(
        "eps",
        "auto",
        "kernel offset of 1 / (eps + d^2)",
        partial(_auto_or_positive, "eps"),
    ),
    _choice(
        "edge_weights",
        "auto",
        "fuzzy: UMAP's membership weights; binary: every edge every epoch",
        EDGE_WEIGHTS,
    ),
    _choice("lr_schedule", "linear", "learning-rate decay over each run", LR_SCHEDULES),
    _choice(
        "backend",
        "auto",
        "auto: the numba kernel for a free layout on the CPU, torch otherwise",
        BACKENDS,
    ),
    _auto_number(
        "near_field",
        "auto",
        "NEG's exact close-pair repulsion: the partners per point (0: off)",
        _check_near_field,
    ),
    Parameter(
        "far_field",
        "auto",
        "choice",
        "with the near field: the far repulsion on an FFT mesh",
        _check_far_field,
        choices=("auto", True, False),
    ),
    _auto_number(
        "b", "auto", "kernel exponent for neg and nce, 1 / (eps + d^(2b))", _check_b
    ),
)

#: the rows by name
PARAMETER = {p.name: p for p in PARAMETERS}


def check_params(p: Mapping) -> None:
    """Validate the constructor parameters ``p`` (a ``get_params()`` dict).

    Every row of :data:`PARAMETERS` checks its own value, the loss first
    (it decides what some others mean); then the values that must go
    together.

    Raises
    ------
    ValueError, TypeError
        With a message that names the parameter and what it accepts.
    """
    PARAMETER["loss"].check(p["loss"])
    for row in PARAMETERS:
        row.check(p[row.name])
    if (
        _auto_or_positive("b", p["b"])
        and p["loss"] not in ("neg", "nce")
        and float(p["b"]) != 1.0
    ):
        raise ValueError(
            f"b applies to the 'neg' and 'nce' losses; loss {p['loss']!r} "
            "uses the kernel 1 / (eps + d^2)"
        )
