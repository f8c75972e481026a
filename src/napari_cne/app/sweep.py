"""A spectrum sweep: one input embedded at several positions ``s``, in a chain.

:class:`SweepRequest` fits an anchor model at the position of ``s_values``
closest to 1 (UMAP-like: the most stable start, as
:func:`napari_cne.spectrum_sweep` does) and walks it along the spectrum,
every position warm-started from its neighbour
(:func:`~napari_cne.engine.sweep.iter_spectrum_sweep`). The anchor depends
on the positions alone, not on where the widget's slider stands, so the
widget, the command line (``--sweep``) and :func:`~napari_cne.spectrum_sweep`
give the same layouts for the same data, parameters and seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..engine.estimator import ContrastiveEmbedding
from ..engine.params import auto_n_epochs
from ..engine.spectrum import SPECTRUM_LOSSES
from ..engine.sweep import iter_spectrum_sweep
from .events import Partial, Progress, Request
from .inputs import Matrix

__all__ = ["SWEEP_EPOCHS", "SWEEP_S", "Sweep", "SweepRequest", "anchor_of"]

#: spectrum positions of the default sweep
SWEEP_S = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)
#: epochs per position (as :func:`napari_cne.spectrum_sweep`)
SWEEP_EPOCHS = 100


def anchor_of(s_values: Sequence[float]) -> float:
    """Return where a sweep is fitted: the position closest to 1."""
    s = np.asarray(s_values, float)
    return float(s[int(np.argmin(np.abs(s - 1.0)))])


@dataclass(eq=False)
class Sweep:
    """The layouts of a sweep (those done so far, after a stop).

    Attributes
    ----------
    s_values : list of float
        The positions asked for.
    layouts : dict of int to ndarray
        Position index -> layout (the engine's raw coordinates).
    model : ContrastiveEmbedding
        The anchor model, after the last step of the chain.
    anchor : float
    fit_epochs, n_epochs_each : int
    matrix : Matrix or None
        What was swept (the fit's matrix): tells whether a sweep belongs to
        the map shown.
    """

    s_values: list
    layouts: dict = field(default_factory=dict)
    model: object = None
    anchor: float = 1.0
    fit_epochs: int = 0
    n_epochs_each: int = SWEEP_EPOCHS
    matrix: object = None

    def done(self) -> list[int]:
        """Return the indices of the positions done, in the order of ``s``."""
        return sorted(self.layouts, key=lambda i: self.s_values[i])


@dataclass(eq=False)
class SweepRequest(Request):
    """Embed a matrix at several spectrum positions, warm-started in a chain.

    Parameters
    ----------
    matrix : Matrix
        The fit's matrix (or the command line's input).
    params : mapping
        The estimator's parameters (``s`` is the anchor's).
    s_values : sequence of float
    n_epochs : int
        Epochs per position after the anchor's fit.
    """

    matrix: Matrix
    params: Mapping
    s_values: Sequence[float] = SWEEP_S
    n_epochs: int = SWEEP_EPOCHS
    kind = "sweep"

    def _check(self) -> None:
        if self.matrix is None or self.params is None:
            raise ValueError("run an embedding first, then sweep the spectrum")
        self.s_values = [float(v) for v in self.s_values]
        if not self.s_values:
            raise ValueError("s_values is empty")
        if len(set(self.s_values)) != len(self.s_values):
            raise ValueError(f"repeated spectrum positions in {self.s_values}")
        loss = self.params.get("loss", "neg")
        if loss not in SPECTRUM_LOSSES:
            raise ValueError(
                f"loss {loss!r} ignores s; a sweep needs "
                + " or ".join(map(repr, SPECTRUM_LOSSES))
            )
        if int(self.n_epochs) < 1:
            raise ValueError(f"epochs per position must be >= 1; got {self.n_epochs}")
        self.anchor = anchor_of(self.s_values)

    def _run(self) -> Iterator:
        params = {k: v for k, v in self.params.items() if k != "callbacks"}
        model = ContrastiveEmbedding(**{**params, "s": self.anchor})
        self.engine_model = model
        n = len(self.matrix.X)
        total = auto_n_epochs(model.n_epochs, n)
        sweep = Sweep(
            list(self.s_values), {}, model, self.anchor, 0, self.n_epochs, self.matrix
        )
        text = f"Sweep: fitting the anchor at s = {self.anchor:+.2f}…"
        yield Progress("anchor", 0, total, "epoch", text)
        for snap in model.iter_fit(self.matrix.X, min_interval=0.3):
            yield Progress("anchor", snap.epoch, total, "epoch", text)
            if self.stopped:  # also a stop asked before the engine started
                model.stop()
        sweep.fit_epochs = model.n_epochs_
        if self.stopped:
            yield self._end(sweep)
            return
        count = len(self.s_values)
        yield Progress("sweep", 0, count, "position")
        chain = iter_spectrum_sweep(model, self.s_values, n_epochs=int(self.n_epochs))
        try:
            for i, snap in chain:
                if self.stopped:  # this position was cut short: not kept
                    break
                sweep.layouts[i] = snap.embedding
                text = (
                    f"Sweep: s = {self.s_values[i]:+.2f} done "
                    f"({len(sweep.layouts)}/{count})"
                )
                yield Progress("sweep", len(sweep.layouts), count, "position", text)
                yield Partial(sweep)
        finally:
            chain.close()
        yield self._end(sweep)
