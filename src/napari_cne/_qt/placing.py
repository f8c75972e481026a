"""Placing the objects of another Labels layer into the fitted map (no Qt).

Fit once, then place new fields of view without refitting: the objects of
a Labels layer are measured in its images, paired with the fit's channels
(the k-th image of the new layer is the fit's k-th channel, as for several
Labels layers in :mod:`.sources`), scaled with the fit's
:class:`~napari_cne.features.FeatureScaling` and placed with
:meth:`napari_cne.ContrastiveEmbedding.transform`.

* GUI thread: ``panels/place_input.place_context`` captures the layer and
  its images (a missing channel is an error naming the columns it would
  give); :func:`place_job` makes the job; :func:`placed_coords`,
  :func:`placed_colors` and :func:`placed_metadata` make the new Points
  layer like the embedding layer.
* Worker thread: :func:`place_gen` measures and places (never touching a
  layer).

:func:`save_fitted` writes the fitted model in the format ``napari-cne
transform`` reads (:mod:`napari_cne.features.saved`).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..engine.provenance import jsonable, provenance
from ..features import is_numeric, object_features
from ..features.saved import save_with_scaling
from ..render.colors import color_range, column_colors
from ..render.layout import fit_box
from ..render.position_colors import position_bounds, position_colors
from .jobs import USER_ERRORS, Context, Job
from .outputs import ALL_COORDS

__all__ = [
    "PLACE_EPOCHS",
    "PLACE_METHODS",
    "fit_layers",
    "is_placeable",
    "place_gen",
    "place_job",
    "placed_colors",
    "placed_coords",
    "placed_matrix",
    "placed_metadata",
    "resolve_method",
    "save_fitted",
]

#: the ways of placing (``auto``: the network of a parametric fit, else
#: ``interpolate``, fast: one nearest-neighbour search)
PLACE_METHODS = ("auto", "network", "interpolate", "optimize")
#: epochs of ``method="optimize"`` (each new point against the fixed layout)
PLACE_EPOCHS = 100


def is_placeable(ctx: Context | None) -> bool:
    """Return whether a fit's input was measured in Labels layers (placing works)."""
    return ctx is not None and ctx.mode in ("labels", "sources")


def fit_layers(ctx: Context) -> list:
    """Return the Labels layers a fit measured."""
    return [p.source for p in ctx.parts] if ctx.mode == "sources" else [ctx.source]


def resolve_method(method: str, model) -> str:
    """Return the transform method to use (ValueError for a bad one)."""
    if method not in PLACE_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(PLACE_METHODS)}; got {method!r}"
        )
    network = getattr(model, "_network", None) is not None
    if method == "auto":
        return "network" if network else "interpolate"
    if method == "network" and not network:
        raise ValueError(
            "method='network' needs a parametric fit (Advanced → Parametric)"
        )
    return method


def place_job(session, ctx: Context, method: str) -> Job:
    """Return the job that places ``ctx`` with the session's model."""
    return Job(
        token=session.new_token(),
        kind="place",
        ctx=ctx,
        n_epochs=PLACE_EPOCHS,
        s=session.s,
        interval=0.0,
        model=session.model,
        params={"method": method, "map": session.ctx.source_name},
    )


def placed_matrix(table: pd.DataFrame, scaling, name: str):
    """Return the fit's matrix of a new table, and which rows are in it.

    Rows with a missing or infinite value in a column of the map are left
    out (``kept``).

    Raises
    ------
    ValueError
        For columns of the map the table lacks, or no complete row.
    """
    if not len(table):
        raise ValueError(f"{name!r} has no objects to place")
    cols = list(scaling.columns)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(
            f"the objects of {name!r} lack the column(s) "
            f"{', '.join(map(repr, missing))} the map was fitted on"
        )
    A = table[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    kept = np.isfinite(A).all(axis=1)
    if not kept.any():
        raise ValueError(
            f"no object of {name!r} has a finite value in every column of the map"
        )
    return scaling.transform_values(A[kept]), kept


def place_gen(job: Job):
    """Worker: measure the new objects, then place them (``job.results[0]``).

    Yields ``(token, kind, payload)`` messages: ``"measured"`` (the number
    of objects) and ``"error"``.
    """
    if job.cancelled:
        return
    ctx = job.ctx
    try:
        table = object_features(
            ctx.labels_data, ctx.images, spacing=ctx.spacing, time_axis=ctx.time_axis
        )
        yield job.token, "measured", len(table)
        if job.cancelled:
            return
        ctx.table = table
        ctx.X, ctx.kept = placed_matrix(table, ctx.scaling, ctx.source_name)
        Y = job.model.transform(
            ctx.X, n_epochs=job.n_epochs, method=job.params["method"]
        )
        job.results[0] = np.asarray(Y, np.float64)
    except USER_ERRORS as err:
        yield job.token, "error", str(err)


def placed_coords(Y: np.ndarray, fitted: np.ndarray, box, raw: bool) -> np.ndarray:
    """Return world coordinates of placed points: as the embedding layer's.

    ``raw`` (the separate viewer, 3-D): the layout's own coordinates; else
    scaled into ``box`` by the same factor and shift as the ``fitted``
    layout (:func:`napari_cne.render.layout.fit_box`).
    """
    Y = np.asarray(Y, np.float64)
    return Y.copy() if raw else fit_box(Y, box, like=fitted)


def _coords(df: pd.DataFrame) -> np.ndarray:
    return df[[c for c in ALL_COORDS if c in df.columns]].to_numpy(float)


def placed_colors(new: pd.DataFrame, main: pd.DataFrame | None, column: str,
                  position: bool) -> np.ndarray:  # fmt: skip
    """Return the colours of placed points, on the embedding layer's scale.

    ``position``: the colour of each point's place, over the fitted
    layout's range; a column both tables have: numbers over the embedding
    layer's colour range, categories in its colours; else one colour.
    """
    if main is None:
        return column_colors(None, len(new))
    if position:
        return position_colors(_coords(new), position_bounds(_coords(main)))
    if column not in new.columns or column not in main.columns:
        return column_colors(None, len(new))
    a, b = main[column], new[column]
    if not (is_numeric(a) and is_numeric(b)):  # categories: one set of colours
        a, b = a.astype(object), b.astype(object)
    both = pd.concat([a, b], ignore_index=True)
    rgba = column_colors(both, len(both), value_range=color_range(main[column]))
    return rgba[len(main) :]


def placed_metadata(job: Job, names: list[str] | None) -> dict:
    """Return ``metadata["napari_cne"]`` of a placed layer."""
    ctx, model, p = job.ctx, job.model, job.params
    kept = ctx.kept
    channels = {k: v[0] for k, v in ctx.channel_map.items()}
    return {
        "source": ctx.source_name,
        "kind": "placed",
        "map": p["map"],
        "method": p["method"],
        "input_layers": list(ctx.input_layers),
        "channels": channels,
        "columns": list(ctx.used_columns),
        "n_objects": int(kept.sum()),
        "left_out": int((~kept).sum()),
        "output_columns": list(names) if names else None,
        "s": float(model.s_),
        "params": jsonable(model.get_params()),
        "provenance": provenance(
            model,
            inputs=ctx.input_layers,
            columns=ctx.used_columns,
            elapsed=time.perf_counter() - job.t0,
            extra={
                "kind": "place",
                "method": p["method"],
                "map": p["map"],
                "channels": channels,
                "n_objects": int(kept.sum()),
            },
        ),  # fmt: skip
    }


def save_fitted(path, model, ctx: Context):
    """Save a fitted model for ``napari-cne transform`` (as ``--save-model`` does).

    The ``extra`` holds ``kind`` (``"pixels"`` for a pixel fit, else
    ``"table"``: a table of the same columns is placed), ``columns``,
    ``scaling``, ``input`` and where the data came from in the viewer.

    Raises
    ------
    OSError, RuntimeError, ValueError
        If the file cannot be written.
    """
    kind = "pixels" if ctx.mode == "pixels" else "table"
    info = {
        "input": ctx.source_name,
        "input_layers": list(ctx.input_layers),
        "widget_mode": ctx.mode,
    }
    if ctx.mode == "pixels":
        info["channel_axis"] = ctx.channel_axis
    if ctx.channel_map:
        info["channels"] = {k: list(v) for k, v in ctx.channel_map.items()}
    return save_with_scaling(path, model, ctx.scaling, kind, **info)
