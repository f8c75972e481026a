"""The epoch loop: learning-rate schedule, early exaggeration, snapshots, stopping.

:func:`run_epochs` drives a backend (:mod:`.backends`) for one run of
epochs and yields :class:`Snapshot` objects at the requested cadence.
Yielding never touches a random number generator, so the result does not
depend on how often snapshots are taken; a callback or a stop request ends
the run after the current epoch (:class:`Stopped`).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .backends import Backend
from .spectrum import SpectrumMap, early_s

__all__ = [
    "History",
    "Run",
    "Snapshot",
    "Stopped",
    "exclusive",
    "learning_rate_at",
    "run_epochs",
]


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


class Stopped(Exception):
    """Raised inside the loop when a callback or a stop request ends a run."""


@dataclass(frozen=True)
class Run:
    """One run of epochs: how long, where on the spectrum, how fast.

    Attributes
    ----------
    n_epochs : int
    s : float
        Spectrum position (the first ``early_epochs`` run at
        :func:`~.spectrum.early_s` of it).
    learning_rate : float
        Initial learning rate of the schedule.
    early_epochs : int
    exaggeration : float
        Factor on the attraction.
    schedule : {"linear", "cosine", "constant"}
    every : int
        Yield at most every ``every`` epochs ...
    min_interval : float
        ... and at least this many seconds apart (the last epoch always).
    """

    n_epochs: int
    s: float
    learning_rate: float
    early_epochs: int = 0
    exaggeration: float = 1.0
    schedule: str = "linear"
    every: int = 1
    min_interval: float = 0.0


@dataclass
class History:
    """What all runs of one model did: loss per epoch, epochs in total."""

    losses: list[float] = field(default_factory=list)

    @property
    def total_epochs(self) -> int:
        """Epochs run since the model was first fitted."""
        return len(self.losses)


def learning_rate_at(lr0: float, epoch: int, n_epochs: int, schedule: str) -> float:
    """Return the learning rate of ``epoch`` (0-based) of a run of ``n_epochs``."""
    if schedule == "constant":
        return lr0
    if schedule == "cosine":
        return lr0 * 0.5 * (1.0 + math.cos(math.pi * epoch / n_epochs))
    return lr0 * max(0.0, 1.0 - epoch / n_epochs)


def run_epochs(
    backend: Backend,
    spectrum: SpectrumMap,
    run: Run,
    history: History,
    *,
    loss: str,
    callbacks: Sequence[Callable] = (),
    callbacks_every: int = 1,
    should_stop: Callable[[], bool] = lambda: False,
    log: Callable[[str], None] | None = None,
) -> Iterator[Snapshot]:
    """Run the epochs of ``run`` on ``backend``, yielding snapshots.

    Raises
    ------
    Stopped
        When a callback returns a truthy value or ``should_stop()`` turns
        true (checked after every epoch, and once before the first).
    FloatingPointError
        When the loss is no longer finite (the optimisation diverged).
    """
    s_early = early_s(run.s, loss)
    specs = {}  # one EpochSpec per spectrum position of this run
    last_yield = time.perf_counter()
    if should_stop():  # a stop arrived while the model was being prepared
        raise Stopped
    for e in range(run.n_epochs):
        s_e = s_early if e < run.early_epochs else run.s
        if s_e not in specs:
            specs[s_e] = spectrum.at(s_e)
        lr = learning_rate_at(run.learning_rate, e, run.n_epochs, run.schedule)
        loss_e = backend.epoch(lr, specs[s_e], run.exaggeration)
        if not math.isfinite(loss_e):
            raise FloatingPointError(
                f"the optimisation diverged at epoch {e} (loss {loss_e}); "
                "try a smaller learning_rate"
            )
        history.losses.append(loss_e)
        epoch = e + 1
        done = epoch == run.n_epochs
        if log is not None and (epoch % max(1, run.n_epochs // 5) == 0 or done):
            log(f"epoch {epoch}/{run.n_epochs}  loss {loss_e:.4f}")
        total = history.total_epochs
        if callbacks and (total % int(callbacks_every) == 0 or done):
            emb = backend.layout()
            for cb in callbacks:
                if cb(total, loss_e, emb):
                    raise Stopped
        now = time.perf_counter()
        if done or (epoch % run.every == 0 and now - last_yield >= run.min_interval):
            last_yield = now
            yield Snapshot(
                epoch, run.n_epochs, total, loss_e, s_e, backend.layout(), done
            )
        if should_stop():
            raise Stopped


_RUN_LOCK = threading.Lock()


def exclusive(gen_method):
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
