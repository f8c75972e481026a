"""What the estimator's "auto" values become, and its parameter protocol.

The constructor of :class:`~.estimator.ContrastiveEmbedding` only stores
its parameters (scikit-learn style); :func:`check_params` (declared with
every parameter in :mod:`.schema`) validates them when a fit starts, and
the ``auto_*`` / ``resolve_*`` functions here turn "auto" into numbers once
the data (and its graph) are known.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import spectrum
from .neighbors import KNN_METHODS
from .schema import (
    BACKENDS,
    EDGE_WEIGHTS,
    INITS,
    LR_SCHEDULES,
    as_callbacks,
    check_lr_schedule,
    check_params,
    check_s,
)

__all__ = [
    "BACKENDS",
    "EDGE_WEIGHTS",
    "INITS",
    "KNN_METHODS",
    "LR_SCHEDULES",
    "Parameters",
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

#: ``n_epochs="auto"``: this many epochs up to ``AUTO_EPOCHS_SMALL_N`` points,
#: half as many above (where every epoch already takes many SGD steps).
AUTO_EPOCHS = 200
AUTO_EPOCHS_SMALL_N = 10_000
#: ``batch_size="auto"``: edges per SGD step of a free layout (as the
#: reference), of a big graph on a GPU, and of the parametric network.
BATCH_CPU, BATCH_GPU, BATCH_NETWORK = 32768, 262144, 1024
#: ``learning_rate="auto"``: plain SGD on a free layout, Adam on the network.
LR_LAYOUT, LR_NETWORK = 1.0, 1e-3


def resolve_device(device) -> torch.device:
    """Return the torch device: "auto" is CUDA when available, else the CPU."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' requested but CUDA is not available")
    return dev


def auto_n_epochs(n_epochs, n: int) -> int:
    """Return the epochs of a fit (``"auto"``: 200 up to 10 000 points, 100 above)."""
    if n_epochs == "auto":
        return AUTO_EPOCHS if n <= AUTO_EPOCHS_SMALL_N else AUTO_EPOCHS // 2
    return int(n_epochs)


def auto_batch_size(
    batch_size, n_edges: int, device: torch.device, parametric: bool
) -> int:
    """Return the edges per SGD step.

    ``"auto"``: 1024 for the network (Adam needs many small steps); on a GPU
    262 144 for graphs of at least eight such batches (small steps are
    launch-bound there); 32 768 otherwise, as the reference.
    """
    if batch_size != "auto":
        return int(batch_size)
    if parametric:
        return BATCH_NETWORK
    if device.type == "cuda" and n_edges >= 8 * BATCH_GPU:
        return BATCH_GPU
    return BATCH_CPU


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
