"""Jobs of the dock widget: what runs in the worker thread (no Qt here).

A job is one worker run (a fit, a warm-started re-optimisation or a
spectrum sweep). The generator functions below run inside napari's
``thread_worker`` and only compute; they yield ``(token, kind, payload)``
messages that the widget turns into layer updates in the GUI thread.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.estimator import ContrastiveEmbedding
from ..engine.sweep import iter_spectrum_sweep
from ..features import fit_feature_matrix, log_columns, object_features
from ..features.pixel_sample import pixel_sample
from ..features.sources import SOURCE_COLUMN, sources_features
from ..render.layout import Box
from .cluster import LazyClient

__all__ = [
    "USER_ERRORS",
    "Context",
    "Job",
    "cancel",
    "fit_gen",
    "optimize_gen",
    "prepare_input",
    "sweep_gen",
]

# errors that mean "bad input or parameters": shown to the user, not raised
USER_ERRORS = (ValueError, TypeError, FloatingPointError, MemoryError)


@dataclass(eq=False)
class Context:
    """What is being embedded, captured in the GUI thread at Run."""

    mode: str  # "labels", "sources", "table", "pixels" or "file"
    source: Any  # layer whose features receive the coordinates
    source_name: str
    input_layers: list[str]
    standardize: bool
    box: Box
    labels_data: np.ndarray | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)
    spacing: tuple[float, ...] | None = None
    log_patterns: list[str] = field(default_factory=list)  # log1p columns
    time_axis: int | None = None  # labels: the axis that is time
    pixel_shape: tuple[int, ...] = ()  # pixels: the spatial grid
    pixel_data: Any = None  # pixels: the image (channel axis included)
    channel_axis: int | None = None
    channel_names: list[str] | None = None
    mask: np.ndarray | None = None
    max_pixels: int | None = None
    pixel_scale: tuple[float, ...] | None = None  # spatial axes only
    pixel_translate: tuple[float, ...] | None = None
    table: pd.DataFrame | None = None  # rows = objects
    columns: list[str] | None = None  # feature columns (table mode: chosen)
    id_name: str = "label"
    target: Any = None  # where the objects live in the image (GUI thread)
    parts: list = field(default_factory=list)  # sources: one labels Context each
    channel_map: dict = field(default_factory=dict)  # labels: channel -> images
    every_pixel: bool = False  # pixels: place every pixel after the fit
    tile_pixels: int = 0  # pixels: tile size of that (0: the default)
    # filled in the worker by prepare_input
    X: np.ndarray | None = None
    kept: np.ndarray | None = None  # bool mask over table rows
    used_columns: list[str] = field(default_factory=list)
    scaling: Any = None  # the FeatureScaling that made X


@dataclass(eq=False)
class Job:
    """One worker run: a fit, a warm-started re-optimisation or a sweep."""

    token: int
    kind: str  # "fit", "optimize", "sweep" or "place"
    ctx: Context | None
    n_epochs: int
    s: float
    interval: float
    model: ContrastiveEmbedding | None = None
    s_values: tuple[float, ...] = ()
    params: dict = field(default_factory=dict)
    lr_factor: float | None = None  # optimize: rate relative to the fitted one
    lr: float | None = None
    worker: Any = None
    engine_iter: Any = None
    cancelled: bool = False
    n_snapshots: int = 0
    layer_seen: bool = False
    layer_lost: bool = False
    error: str | None = None
    results: dict[int, np.ndarray] = field(default_factory=dict)
    last_epoch: int = 0
    separate: bool = False  # results shown in the separate embedding viewer
    t0: float = 0.0  # perf_counter at start
    viewer_closed: bool = False  # stopped because that viewer was closed
    client: LazyClient = field(default_factory=LazyClient)  # the dask cluster
    pixel_map: Any = None  # every pixel placed (so far): a PixelMap
    phase: str = ""  # "map" while every pixel is placed


def live_interval(interval: float, n: int) -> float:
    """Return the seconds between live updates: the setting, stretched for big n.

    Drawing a new layout costs the GUI thread time in proportion to the
    number of points (napari's Points update and the canvas). Updates at
    least ``3e-5 * n`` seconds apart leave the GUI thread idle most of the
    time, so the viewer stays responsive during large fits; the measurements
    behind the factor (``benchmarks/gui_stall.py``) are in
    docs/performance.md, "GUI responsiveness".
    """
    return max(float(interval), 3e-5 * int(n))


def prepare_input(ctx: Context, client: LazyClient | None = None) -> None:
    """Measure features and build the matrix; worker thread.

    Labels: :func:`~napari_cne.features.object_features`; several Labels
    layers: :func:`~napari_cne.features.sources.sources_features` (on the
    dask cluster of ``client`` when there is one); pixels: the subsample of
    :func:`~napari_cne.features.pixel_sample.pixel_sample`, read chunk by
    chunk from a lazy or multiscale image.
    """
    ids = ("label", "frame", SOURCE_COLUMN)
    if ctx.mode == "labels":
        table = object_features(
            ctx.labels_data, ctx.images, spacing=ctx.spacing, time_axis=ctx.time_axis
        )
        ctx.table = table
        ctx.columns = [c for c in table.columns if c not in ids]
    elif ctx.mode == "sources":
        sources = [(p.source_name, p.labels_data, p.images) for p in ctx.parts]
        table = sources_features(
            sources,
            time_axis=ctx.time_axis,
            spacing=ctx.spacing,
            client=None if client is None else client.get(),
        )
        ctx.table = table
        ctx.columns = [c for c in table.columns if c not in ids]
    elif ctx.mode == "pixels":
        ctx.table = pixel_sample(
            ctx.pixel_data,
            ctx.channel_axis,
            channel_names=ctx.channel_names,
            mask=ctx.mask,
            max_pixels=ctx.max_pixels,
        )
    with warnings.catch_warnings():
        # rows left out for missing values are reported in the status line
        warnings.simplefilter("ignore", UserWarning)
        X, kept, scaling = fit_feature_matrix(
            ctx.table,
            ctx.columns,
            standardize=ctx.standardize,
            log=log_columns(ctx.columns, ctx.log_patterns),
        )
    ctx.X, ctx.kept, ctx.scaling = X, kept, scaling
    ctx.used_columns = list(scaling.columns)
    if ctx.mode == "sources":
        split_sources(ctx)


def split_sources(ctx: Context) -> None:
    """Give every source's Context its rows of the measured table."""
    codes = ctx.table[SOURCE_COLUMN].cat.codes.to_numpy()
    for i, part in enumerate(ctx.parts):
        rows = codes == i
        part.table = ctx.table.loc[rows].drop(columns=SOURCE_COLUMN)
        part.table = part.table.reset_index(drop=True)
        part.kept = ctx.kept[rows]
        part.columns, part.used_columns = ctx.columns, ctx.used_columns


def _relay(job: Job, it, kind: str):
    """Pass the engine's snapshots on as ``(token, kind, snap)`` until done.

    Remembers the engine generator on the job (so that it can be closed
    after an abort) and closes it as soon as the job is cancelled.
    """
    job.engine_iter = it
    for snap in it:
        yield job.token, kind, snap
        if job.cancelled:
            it.close()
            return


def fit_gen(job: Job):
    """Worker: measure, fit, then (pixels) place every pixel.

    Yields ``(token, kind, payload)`` messages.
    """
    if job.cancelled:
        return
    try:
        if job.ctx.every_pixel:
            job.client.get()  # a cluster for the pixels: fail before the fit
        prepare_input(job.ctx, job.client)
        yield job.token, "ready", None
        if job.cancelled:
            return
        it = job.model.iter_fit(
            job.ctx.X, min_interval=live_interval(job.interval, len(job.ctx.X))
        )
        yield from _relay(job, it, "snap")
        if job.ctx.every_pixel and not job.cancelled:
            from .every_pixel import place_every_pixel

            yield from place_every_pixel(job)
    except USER_ERRORS as err:
        yield job.token, "error", str(err)


def optimize_gen(job: Job):
    """Worker: warm-started re-optimisation of the fitted model."""
    if job.cancelled:
        return
    try:
        if job.model is None:
            raise ValueError("run an embedding first")
        it = job.model.iter_optimize(
            job.n_epochs,
            s=job.s,
            learning_rate=job.lr,
            min_interval=live_interval(job.interval, job.model.n_samples_),
        )
        yield from _relay(job, it, "snap")
    except USER_ERRORS as err:
        yield job.token, "error", str(err)


def sweep_gen(job: Job):
    """Worker: fit an anchor model, then walk it along the spectrum.

    The anchor is a fresh fit with the live model's parameters at the
    current ``s`` (same data, same kNN graph), so the live model and its
    layer stay untouched.
    """
    if job.cancelled:
        return
    try:
        if job.ctx is None or job.ctx.X is None or not job.params:
            raise ValueError("run an embedding first")
        model = ContrastiveEmbedding(**job.params)
        job.model = model
        it = model.iter_fit(job.ctx.X, min_interval=0.3)
        yield from _relay(job, it, "anchor")
        if job.cancelled:
            return
        it = iter_spectrum_sweep(model, job.s_values, n_epochs=job.n_epochs)
        yield from _relay(job, it, "sweep")  # payload: (index, snapshot)
    except USER_ERRORS as err:
        yield job.token, "error", str(err)


def cancel(job: Job) -> None:
    """Ask a job to stop as soon as possible (any thread state).

    While every pixel is placed the worker is not aborted: it stops after
    the tile at hand and hands over what it placed, marked partial.
    """
    job.cancelled = True
    if job.model is not None:
        job.model.stop()
    if job.worker is not None and job.phase != "map":
        job.worker.quit()
