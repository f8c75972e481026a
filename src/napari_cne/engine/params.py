"""Checks of the estimator's parameters, and the resolution of its "auto" values.

The constructor of :class:`~.estimator.ContrastiveEmbedding` only stores
its parameters (scikit-learn style); :func:`check_params` validates them when
a fit starts, and the ``auto_*`` / ``resolve_*`` functions turn "auto" into
numbers once the data (and its graph) are known.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from . import spectrum, threads
from .devices import is_cuda, resolve_device
from .losses import LOSSES
from .neighbors import KNN_METHODS, resolve_metric

__all__ = [
    "BACKENDS",
    "Parameters",
    "EDGE_WEIGHTS",
    "INITS",
    "KNN_METHODS",
    "LR_SCHEDULES",
    "as_callbacks",
    "auto_batch_size",
    "auto_n_epochs",
    "check_lr_schedule",
    "check_params",
    "check_s",
    "early_epochs",
    "resolve_device",
    "resolve_learning_rate",
]

LR_SCHEDULES = ("linear", "cosine", "constant")
BACKENDS = ("auto", "numba", "torch")
EDGE_WEIGHTS = ("auto", "fuzzy", "binary")
INITS = ("pca", "spectral", "random")
#: ``n_epochs="auto"``: this many epochs up to ``AUTO_EPOCHS_SMALL_N`` points,
#: half as many above (where every epoch already takes many SGD steps).
AUTO_EPOCHS = 200
AUTO_EPOCHS_SMALL_N = 10_000
#: ``batch_size="auto"``: edges per SGD step of a free layout (as the
#: reference), of a big graph on a GPU, and of the parametric network.
BATCH_CPU, BATCH_GPU, BATCH_NETWORK = 32768, 262144, 1024
#: ... on the CPU at least this many steps per epoch, of at least so many edges
CPU_MIN_STEPS, BATCH_CPU_MIN = 32, 256
#: ``learning_rate="auto"``: plain SGD on a free layout, Adam on the network.
LR_LAYOUT, LR_NETWORK = 1.0, 1e-3


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


def check_params(p: Mapping) -> None:
    """Validate the constructor parameters ``p`` (a ``get_params()`` dict).

    Raises
    ------
    ValueError, TypeError
        With a message that names the parameter and what it accepts.
    """
    if p["loss"] not in LOSSES:
        raise ValueError(
            f"unknown loss {p['loss']!r}; choose one of {', '.join(LOSSES)}"
        )
    resolve_metric(p["metric"])
    check_s(p["s"])
    if p["n_components"] not in (1, 2, 3):
        raise ValueError(f"n_components must be 2 or 3; got {p['n_components']!r}")
    _positive_int("n_neighbors", p["n_neighbors"])
    _positive_int("n_epochs", p["n_epochs"], auto=True)
    _positive_int("negative_samples", p["negative_samples"])
    _positive_int("batch_size", p["batch_size"], auto=True)
    every = p["callbacks_every"]
    if not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError("callbacks_every must be a positive integer")
    if p["learning_rate"] != "auto":
        lr = float(p["learning_rate"])
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError("learning_rate must be 'auto' or a positive number")
    if not (float(p["exaggeration"]) > 0):
        raise ValueError("exaggeration must be positive")
    # eps: 1 / (eps + d^2) is infinite where two points coincide
    _auto_or_positive("eps", p["eps"])
    fixed_b = _auto_or_positive("b", p["b"])
    if fixed_b and p["loss"] not in ("neg", "nce") and float(p["b"]) != 1.0:
        raise ValueError(
            f"b applies to the 'neg' and 'nce' losses; loss {p['loss']!r} "
            "uses the kernel 1 / (eps + d^2)"
        )
    nf = p["near_field"]
    nf_ok = (isinstance(nf, str) and nf == "auto") or (
        isinstance(nf, (int, float))
        and not isinstance(nf, bool)
        and math.isfinite(nf)
        and nf >= 0
    )
    if not nf_ok:
        raise ValueError("near_field must be 'auto' or a number >= 0")
    ff = p["far_field"]
    if not (isinstance(ff, (bool, np.bool_)) or (isinstance(ff, str) and ff == "auto")):
        raise ValueError("far_field must be 'auto', True or False")
    _one_of("edge_weights", p["edge_weights"], EDGE_WEIGHTS)
    check_lr_schedule(p["lr_schedule"])
    _one_of("backend", p["backend"], BACKENDS)
    _one_of("knn_method", p["knn_method"], KNN_METHODS)
    spectrum.z_tsne(100, p["tsne_z"])  # validates tsne_z
    spectrum.noise_ratio(0.0, 5, p["noise_ratio"])  # validates noise_ratio
    init = p["init"]
    if isinstance(init, str) and init not in INITS:
        raise ValueError(
            f"init must be 'pca', 'spectral', 'random' or an array; got {init!r}"
        )
    as_callbacks(p["callbacks"])
    threads.resolve_n_jobs(p["n_jobs"])


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


def auto_n_epochs(n_epochs, n: int) -> int:
    """Return the epochs of a fit (``"auto"``: 200 up to 10 000 points, 100 above)."""
    if n_epochs == "auto":
        return AUTO_EPOCHS if n <= AUTO_EPOCHS_SMALL_N else AUTO_EPOCHS // 2
    return int(n_epochs)


def auto_batch_size(batch_size, n_edges: int, device: str, parametric: bool) -> int:
    """Return the edges per SGD step.

    ``"auto"``: 1024 for the network (Adam needs many small steps); on a GPU
    262 144 for graphs of at least eight such batches (small steps are
    launch-bound there), else 32 768 as the reference; on the CPU 32 768 as
    the reference, but at least :data:`CPU_MIN_STEPS` steps per epoch (and
    at least :data:`BATCH_CPU_MIN` edges a step). Each step computes all its
    forces from where the points were when it began (the batch rule), so a
    point should not take part in many edges of one step: in a few large
    steps its summed moves overshoot and small layouts come out inflated.
    """
    if batch_size != "auto":
        return int(batch_size)
    if parametric:
        return BATCH_NETWORK
    if is_cuda(device):
        return BATCH_GPU if n_edges >= 8 * BATCH_GPU else BATCH_CPU
    return int(min(BATCH_CPU, max(BATCH_CPU_MIN, n_edges // CPU_MIN_STEPS)))


def resolve_learning_rate(learning_rate, parametric: bool) -> float:
    """Return the initial learning rate ("auto": 1 for a layout, 1e-3 for a network)."""
    lr = learning_rate
    if lr == "auto":
        lr = LR_NETWORK if parametric else LR_LAYOUT
    lr = float(lr)
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError("learning_rate must be a positive number")
    return lr


def early_epochs(early_exaggeration: bool, loss: str, n_epochs: int) -> int:
    """Return the epochs of the early-exaggeration phase (the first third)."""
    if early_exaggeration and loss in spectrum.SPECTRUM_LOSSES:
        return n_epochs // 3
    return 0


class Parameters:
    """The scikit-learn parameter protocol: ``get_params``, ``set_params``, repr.

    The parameters are the constructor's arguments, stored as attributes of
    the same names.
    """

    def get_params(self, deep: bool = True) -> dict:
        """Return the constructor parameters (scikit-learn convention)."""
        code = type(self).__init__.__code__
        names = code.co_varnames[1 : code.co_argcount]
        return {k: getattr(self, k) for k in names}

    def set_params(self, **params):
        """Set constructor parameters; they take effect at the next fit/optimize."""
        valid = self.get_params()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = {
            k: v
            for k, v in self.get_params().items()
            if not isinstance(v, np.ndarray) and v != defaults[k]
        }
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"{type(self).__name__}({args})"
