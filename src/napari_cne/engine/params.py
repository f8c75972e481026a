"""What the estimator's "auto" values become.

The constructor of :class:`~.estimator.ContrastiveEmbedding` only stores
its parameters (scikit-learn style); :func:`check_params` (declared with
every parameter in :mod:`.schema`) validates them when a fit starts, and
the ``auto_*`` / ``resolve_*`` functions here turn "auto" into numbers once
the data (and its graph) are known.
"""

from __future__ import annotations

import math

from . import spectrum
from .devices import is_cuda, resolve_device
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
#: ... on the CPU at least this many steps per epoch, of at least so many edges
CPU_MIN_STEPS, BATCH_CPU_MIN = 32, 256
#: ``learning_rate="auto"``: plain SGD on a free layout, Adam on the network.
LR_LAYOUT, LR_NETWORK = 1.0, 1e-3


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
