"""Fit a map: objects, table rows or pixels embedded from scratch; and re-optimise it.

:class:`FitRequest` measures the input (:mod:`.inputs`), makes the matrix,
fits a :class:`~napari_cne.ContrastiveEmbedding` while reporting its live
layouts and, for pixels asked to, goes on to place every pixel
(:class:`~.every_pixel.EveryPixelRequest`). Its result is a :class:`Fit`:
the model, the input and its matrix, what the front ends write and what
placing and sweeping start from. :class:`OptimizeRequest` moves a fit's
layout on (more epochs, or another spectrum position: the widget's slider).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.estimator import ContrastiveEmbedding
from ..engine.params import auto_n_epochs
from .drawing import POINTS_DRAW_COST, draw_cost
from .events import Layout, Note, Partial, Progress, Request
from .every_pixel import EveryPixelRequest
from .inputs import Input, Matrix, PixelsInput, prepare_matrix
from .models import FittedMap
from .scheduler import Scheduler

__all__ = ["Fit", "FitRequest", "OptimizeRequest", "live_interval"]


def live_interval(
    interval: float, n: int, per_point: float = POINTS_DRAW_COST
) -> float:
    """Return the seconds between live layouts: the setting, stretched for big n.

    Drawing a new layout costs the GUI thread time in proportion to the
    number of points (``per_point`` seconds each: napari's Points update
    and the canvas, or a density picture; :mod:`.drawing`). Updates at
    least ``per_point * n`` seconds apart leave the GUI thread idle most of
    the time, so the viewer stays responsive during large fits; the
    measurements behind the factors (``benchmarks/gui_stall.py``,
    ``benchmarks/million.py``) are in docs/performance.md.
    """
    return max(float(interval), float(per_point) * int(n))


@dataclass(eq=False)
class Fit:
    """A fitted map: the model, the input and the matrix it was fitted on.

    Attributes
    ----------
    input : ObjectsInput, TableInput or PixelsInput
    matrix : Matrix
    model : ContrastiveEmbedding
    standardize : bool
    origin : object
        Where the input came from in the front end (the widget's layers);
        never read here.
    pixel_map : PixelMap or None
        Every pixel placed (pixels asked to), complete or not.
    elapsed : float
        Seconds of the run.
    """

    input: Input
    matrix: Matrix
    model: ContrastiveEmbedding
    standardize: bool = True
    origin: Any = None
    pixel_map: Any = None
    elapsed: float = 0.0

    @property
    def n_objects(self) -> int:
        """Rows embedded."""
        return int(self.matrix.kept.sum())

    def fitted_map(self, kind: str | None = None, **info) -> FittedMap:
        """Return the map to place into or save.

        ``kind``: what a saved map places (default ``"pixels"`` for pixels,
        else ``"table"``: rows of the same columns; ``embed-images`` says
        ``"objects"``); ``info``: where the data came from.
        """
        inp = self.input
        channels = list(getattr(inp, "channel_names", None) or [])
        if inp.kind == "objects":
            channels = list(inp.channels)
        info = {"input": inp.name, "input_layers": list(inp.layers), **info}
        if inp.kind == "pixels":
            info["channel_axis"] = inp.channel_axis
            kind = "pixels"
        return FittedMap(
            self.model, self.matrix.scaling, kind or "table", channels, info
        )


@dataclass(eq=False)
class FitRequest(Request):
    """Embed an input from scratch.

    Parameters
    ----------
    input : ObjectsInput, TableInput or PixelsInput
    params : mapping
        The estimator's parameters (complete, as the settings give them).
    standardize : bool
        z-score every column (constant ones are dropped).
    log : sequence of str
        Names or patterns of the columns to ``log1p`` first.
    interval : float
        Seconds between live layouts (0: every epoch); stretched for big
        inputs (:func:`live_interval`).
    draw : {"points", "auto", "density"}
        How the front end draws the live layouts (:mod:`.drawing`): what
        stretches ``interval``.
    every_pixel : dict, optional
        Pixels: after the fit, place every pixel (the keywords of
        :class:`~.every_pixel.EveryPixelRequest` beyond the map and image).
    scheduler : str or Scheduler
        The dask scheduler: an address (connected and closed here), or the
        caller's :class:`~.scheduler.Scheduler`.
    origin : object
        Handed on to the :class:`Fit` (the front end's own record).
    """

    input: Input
    params: Mapping
    standardize: bool = True
    log: Sequence[str] = ()
    interval: float = 0.0
    draw: str = "points"
    every_pixel: dict | None = None
    scheduler: Any = ""
    origin: Any = None
    kind = "fit"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.params = {
            k: v for k, v in dict(self.params).items() if k not in ("callbacks",)
        }
        self.model = ContrastiveEmbedding(**self.params)
        self.map_request: EveryPixelRequest | None = None
        self.notes: list[str] = []
        #: the input's matrix, once measured (before the first layout)
        self.matrix: Matrix | None = None

    def _check(self) -> None:
        from ..engine.schema import check_params

        check_params(self.model.get_params())
        inp = self.input
        if inp.kind == "pixels" and len(inp.spatial) not in (2, 3):
            raise ValueError(
                f"{inp.name!r} has {len(inp.spatial)} spatial axes after the "
                "channel axis; pixels of 2-D or 3-D images only"
            )
        if self.every_pixel is not None:
            if inp.kind != "pixels":
                raise ValueError("every pixel is placed after a fit on pixels only")
            self.notes = self._map_request(None).check_before_fit(
                bool(self.params.get("parametric")),
                int(self.params.get("n_components", 2)),
            )

    def _map_request(self, fit: Fit | None) -> EveryPixelRequest:
        inp: PixelsInput = self.input
        mask = inp.mask if fit is None else inp.resolve_mask()
        return EveryPixelRequest(
            None if fit is None else fit.fitted_map(),
            inp.image,
            inp.channel_axis,
            list(inp.channel_names),
            mask=None if isinstance(mask, str) else mask,
            name=repr(inp.name),
            **self.every_pixel,
        )

    def _run(self) -> Iterator:
        scheduler = self.scheduler
        if isinstance(scheduler, Scheduler):  # the caller's: it closes it
            yield from self._work(scheduler)
            return
        with Scheduler(scheduler) as own:
            yield from self._work(own)

    def _work(self, scheduler: Scheduler) -> Iterator:
        t0 = time.perf_counter()
        inp = self.input
        if self.every_pixel is not None or inp.kind == "objects":
            scheduler.get()  # a bad address fails now, before the work
        what = {"objects": "objects", "pixels": "pixels", "table": "rows"}
        yield Progress("measure", text=f"Measuring {what[inp.kind]}…")
        seed = self.params.get("random_state")
        table = inp.measure(scheduler.get(), seed)
        matrix = self.matrix = self._matrix(table)
        for note in self.notes + self._notes(matrix):
            yield Note(note)
        if self.stopped:
            yield self._end(None)
            return
        yield from self._fit(matrix)
        fit = Fit(inp, matrix, self.model, self.standardize, self.origin)
        if self.every_pixel is not None and not self.stopped:
            yield from self._every_pixel(fit, scheduler)
        fit.elapsed = time.perf_counter() - t0
        yield self._end(fit)

    def _matrix(self, table) -> Matrix:
        columns = self.input.feature_columns(table)
        return prepare_matrix(
            table, columns, standardize=self.standardize, log=self.log
        )

    def _notes(self, matrix: Matrix) -> list[str]:
        notes = []
        if matrix.dropped:
            what = "channel(s)" if self.input.kind == "pixels" else "column(s)"
            notes.append(
                f"{what} {', '.join(map(str, matrix.dropped))} are constant and "
                "were left out"
            )
        one = self.input.kind == "pixels" and len(matrix.chosen) == 1
        if one and self.input.mask is None:
            notes.append(
                f"{self.input.name!r} has one channel: the embedding orders its "
                "pixels by brightness alone (the background's illumination "
                "gradient too); use a multichannel image, or a mask of the "
                "foreground ('foreground': Otsu's threshold)"
            )
        return notes

    def _fit(self, matrix: Matrix) -> Iterator:
        n, f = matrix.X.shape
        n_epochs = auto_n_epochs(self.model.n_epochs, n)
        left = matrix.left_out
        text = f"Embedding {n} objects × {f} features…" + (
            f" ({left} rows with missing values left out)" if left else ""
        )
        yield Progress("fit", 0, n_epochs, "epoch", text)
        self.engine_model = self.model
        dims = int(self.params.get("n_components", 2))
        interval = live_interval(self.interval, n, draw_cost(self.draw, n, dims))
        for snap in self.model.iter_fit(matrix.X, min_interval=interval):
            yield Layout(snap)
            if self.stopped:  # also a stop asked before the engine started
                self.model.stop()

    def _every_pixel(self, fit: Fit, scheduler: Scheduler) -> Iterator:
        request = self._map_request(fit)
        request.scheduler = scheduler
        request.checked = True  # before the fit, with what the fit would give
        request.resolve(fit.model)
        self.map_request = request
        for event in request.run():
            if isinstance(event, (Partial, Progress)):
                yield event
            if isinstance(event, Partial) or not isinstance(event, (Progress, Note)):
                fit.pixel_map = event.result

    def stop(self) -> None:
        """Stop the fit, or the placing of every pixel after it."""
        super().stop()
        if self.map_request is not None:
            self.map_request.stop()


@dataclass(eq=False)
class OptimizeRequest(Request):
    """Move a fit's layout on: more epochs, or to another spectrum position.

    Parameters
    ----------
    fit : Fit
    n_epochs : int or "auto"
        ``"auto"``: as many as the fit's ``n_epochs="auto"`` would run.
    s : float
        The spectrum position to optimise at.
    learning_rate : float, optional
        The rate of this run (default: the fitted one).
    lr_factor : float, optional
        ... or this factor times the fitted one.
    interval : float
        Seconds between live layouts.
    draw : {"points", "auto", "density"}
        How the front end draws them (stretches ``interval``; :mod:`.drawing`).
    """

    fit: Fit
    n_epochs: Any
    s: float
    learning_rate: float | None = None
    lr_factor: float | None = None
    interval: float = 0.0
    draw: str = "points"
    kind = "optimize"

    def _check(self) -> None:
        if self.fit is None:
            raise ValueError("run an embedding first")
        model = self.fit.model
        self.epochs = auto_n_epochs(self.n_epochs, model.n_samples_)
        if self.lr_factor is not None and self.learning_rate is None:
            self.learning_rate = self.lr_factor * float(model.learning_rate_)

    def _run(self) -> Iterator:
        model = self.fit.model
        self.engine_model = model
        yield Progress("fit", 0, self.epochs, "epoch")
        if self.stopped:
            yield self._end(self.fit)
            return
        n, dims = model.n_samples_, int(getattr(model, "n_components", 2))
        interval = live_interval(self.interval, n, draw_cost(self.draw, n, dims))
        for snap in model.iter_optimize(
            self.epochs,
            s=self.s,
            learning_rate=self.learning_rate,
            min_interval=interval,
        ):
            yield Layout(snap)
            if self.stopped:  # also a stop asked before the engine started
                model.stop()
        yield self._end(self.fit)
