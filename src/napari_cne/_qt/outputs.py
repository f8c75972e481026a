"""What a finished job writes: feature tables, coordinates, metadata.

The embedding layer's ``features`` (object id, the input's columns, raw
coordinates ``cne_0``/``cne_1``), its ``metadata["napari_cne"]``
(parameters and provenance), and the coordinates written back into the
source layer's ``features`` under names that clash with no user column
(:func:`napari_cne.features.output_columns`). Works on napari layers and
tables only; no Qt. Called on the GUI thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from napari.layers import Labels
from napari.utils.notifications import show_info

from ..engine.provenance import jsonable, provenance
from ..features import output_columns
from ..render.layout import fit_box
from .jobs import Context, Job
from .metadata import CLASS_KEY, WRITTEN_KEY
from .targets import Target, keys_from_table

__all__ = [
    "ALL_COORDS",
    "COORDS",
    "class_column",
    "coord_names",
    "points_features",
    "run_metadata",
    "sweep_metadata",
    "target_of",
    "world",
    "write_source",
    "write_table",
]

#: the raw coordinates in the embedding layer's features
COORDS = ["cne_0", "cne_1"]
#: ... of a 3-D embedding too
ALL_COORDS = ["cne_0", "cne_1", "cne_2"]


def coord_names(n: int) -> list[str]:
    """Return the names of the raw coordinates of an ``n``-D embedding."""
    return [f"cne_{i}" for i in range(n)]


def world(job: Job, Y: np.ndarray) -> np.ndarray:
    """Return the world coordinates of a layout: beside the image, or raw."""
    if job.separate:
        return np.array(Y, dtype=np.float64)
    return fit_box(Y, job.ctx.box)


def points_features(
    ctx: Context, Y: np.ndarray | None = None, n_components: int = 2
) -> pd.DataFrame:
    """Return the embedding layer's table: id, every input column, ``cne_0/1``.

    All of the input's columns travel along (to colour by any of them,
    categorical ones included, e.g. the ``source`` of many Labels layers);
    ``Y=None`` leaves the ``n_components`` coordinates NaN.
    """
    rows = ctx.table.loc[ctx.kept].reset_index(drop=True)
    keep = [c for c in rows.columns if c not in (ctx.id_name, *ALL_COORDS)]
    # a column selection keeps the dtypes (categorical columns included)
    df = rows[[ctx.id_name, *keep]].copy()
    if Y is None:
        Y = np.full((len(df), n_components), np.nan)
    Y = np.asarray(Y, float)
    for j, name in enumerate(coord_names(Y.shape[1])):
        df[name] = Y[:, j]
    return df


def target_of(ctx: Context) -> Target:
    """Where the objects of ``ctx`` live in the image (made once per input)."""
    if ctx.target is None:
        src = ctx.source
        if ctx.mode == "sources":
            from .sources import SourcesTarget

            parts = [target_of(part) for part in ctx.parts]
            ctx.target = SourcesTarget(parts, [p.source_name for p in ctx.parts])
        elif ctx.mode == "labels":
            ctx.target = Target.for_labels(src, ctx.labels_data, ctx.time_axis)
        elif ctx.mode == "pixels":
            ctx.target = Target(
                "pixels",
                src,
                shape=ctx.pixel_shape,
                scale=ctx.pixel_scale,
                translate=ctx.pixel_translate,
            )
        elif (
            isinstance(src, Labels)
            and not src.multiscale
            and ctx.id_name in ("label", "index")
        ):
            ctx.target = Target.for_labels(src, np.asarray(src.data))
        else:
            ctx.target = Target("rows", src)
    return ctx.target


def class_column(ctx: Context) -> str:
    """Return the class column: the one we wrote before, or a free name."""
    layers = [p.source for p in ctx.parts] if ctx.parts else [ctx.source]
    ours = getattr(layers[0], "metadata", {}).get(CLASS_KEY)
    if ours:
        return ours
    taken = set(ctx.table.columns)
    for layer in layers:
        taken |= set(getattr(layer, "features", {}).keys())
    return next(c for c in ("class", "cne_class", "cne_class_2") if c not in taken)


def run_metadata(job: Job, names: list[str] | None, widget: dict) -> dict:
    """Return ``metadata["napari_cne"]`` of the embedding layer after a fit.

    Parameters
    ----------
    job : Job
        The finished fit or re-optimisation (its model and input).
    names : list of str or None
        The columns the coordinates went to in the source layer.
    widget : dict
        The widget-only settings (recorded in the provenance).
    """
    ctx, model = job.ctx, job.model
    return {
        "source": ctx.source_name,
        "kind": "embedding",
        "input_layers": list(ctx.input_layers),
        "mode": ctx.mode,
        "columns": list(ctx.used_columns),
        "standardize": ctx.standardize,
        "n_objects": int(ctx.kept.sum()),
        **_input_details(ctx),
        "s": float(model.s_),
        "loss": model.loss,
        "output_columns": list(names) if names else None,
        "params": jsonable(model.get_params()),
        "provenance": provenance(
            model,
            inputs=ctx.input_layers,
            columns=ctx.used_columns,
            elapsed=time.perf_counter() - job.t0,
            extra={
                "kind": job.kind,
                "mode": ctx.mode,
                "standardize": ctx.standardize,
                "n_objects": int(ctx.kept.sum()),
                "widget": widget,
            },
        ),
    }


def _input_details(ctx: Context) -> dict:
    """Return what a many-sources or every-pixel input adds to the metadata."""
    out = {}
    if ctx.mode == "sources":
        out["sources"] = [p.source_name for p in ctx.parts]
        out["channels"] = {k: list(v) for k, v in ctx.channel_map.items()}
    if ctx.mode == "pixels":
        out["every_pixel"] = bool(ctx.every_pixel)
    return out


def sweep_metadata(job: Job, s_done: list[float]) -> dict:
    """Return ``metadata["napari_cne"]`` of a sweep layer."""
    ctx = job.ctx
    return {
        "source": ctx.source_name,
        "kind": "sweep",
        "s_values": s_done,
        "n_epochs_each": job.n_epochs,
        "input_layers": list(ctx.input_layers),
        "columns": list(ctx.used_columns),
        "params": jsonable(job.model.get_params()),
        "provenance": provenance(
            job.model,
            inputs=ctx.input_layers,
            columns=ctx.used_columns,
            elapsed=time.perf_counter() - job.t0,
            extra={"kind": "sweep", "s_values": s_done},
        ),
    }


def write_source(ctx: Context, Y: np.ndarray, alive=None) -> list[str] | None:
    """Write the coordinates into the source layer's features table.

    Only for inputs whose rows are the source layer's objects (labels,
    several Labels layers (each gets its own rows) and layer tables, not
    pixels or files). The table is re-assigned, so ``events.features``
    fires; user columns are never overwritten. ``alive(layer)``: whether a
    source layer is still there (default: all are). Returns the column
    names (of the first source), or None when nothing was written.
    """
    Y = np.asarray(Y, float)
    if ctx.mode == "sources":
        codes = ctx.table["source"].cat.codes.to_numpy()[ctx.kept]
        written = [
            write_source(part, Y[codes == i], alive) for i, part in enumerate(ctx.parts)
        ]
        return next((w for w in written if w), None)
    layer = ctx.source
    if ctx.mode in ("pixels", "file") or (alive is not None and not alive(layer)):
        return None  # no features table, or not the user's own rows
    df = layer.features.copy()
    names, stale = _names(df, layer.metadata.get(WRITTEN_KEY), Y.shape[1])
    df = df.drop(columns=stale)
    values = _source_rows(ctx, df, Y)
    if values is None:
        return None
    df, vals = values
    for j, name in enumerate(names):
        df[name] = vals[:, j]
    layer.features = df
    layer.metadata = {**layer.metadata, WRITTEN_KEY: names}
    return names


def _names(df: pd.DataFrame, prev, n: int) -> tuple[list[str], list[str]]:
    """Return the coordinate columns to write, and ours that are no longer used.

    The columns we wrote before are reused, also for another number of
    dimensions (``cne_0, cne_1`` then ``cne_0 ... cne_2``) unless a user
    column has a needed name; user columns are never touched.
    """
    prev = [str(v) for v in prev or ()]
    if prev:
        prefix = prev[0].rsplit("_", 1)[0]
        names = [f"{prefix}_{j}" for j in range(n)]
        user = set(map(str, df.columns)) - set(prev)
        if not user.intersection(names):
            return names, [c for c in prev if c not in names and c in df.columns]
    return output_columns(df.columns, n), []


def _source_rows(ctx: Context, df: pd.DataFrame, Y: np.ndarray):
    """Return the source table to write and the coordinates of its rows.

    Rows without an embedded object get NaN; None when the rows cannot be
    matched to the objects (the user is told).
    """
    layer = ctx.source
    if ctx.mode == "table":
        if len(df) != len(ctx.kept):
            show_info(
                f"{layer.name!r} changed during the run; coordinates were not "
                "written to its features"
            )
            return None
        full = np.full((len(ctx.kept), Y.shape[1]), np.nan)
        full[ctx.kept] = Y
        return df, full
    if df.shape[1] == 0 or len(df) == 0:  # labels without a table: make one
        ids = ctx.table[ctx.id_name].to_numpy()[ctx.kept]
        df = ctx.table.loc[ctx.kept].reset_index(drop=True)
        df.insert(0, "index", ids)
        return df, Y
    key = next((c for c in ("index", "label") if c in df.columns), None)
    target = target_of(ctx)
    obj = keys_from_table(ctx.table.loc[ctx.kept], target, ctx.id_name)
    pos = pd.Series(np.arange(len(obj)), index=obj)
    timed = target.time_axis is not None
    if key is not None and (not timed or "frame" in df.columns):
        rows = pd.Series(keys_from_table(df, target, key)).map(pos)
    elif not timed and len(df) == int(ctx.table[ctx.id_name].max()) + 1:
        rows = pd.Series(np.arange(len(df))).map(pos)  # row = label value
    else:
        show_info(
            f"could not match the rows of {layer.name!r}.features to its "
            "labels; coordinates were not written there"
        )
        return None
    vals = np.full((len(df), Y.shape[1]), np.nan)
    ok = rows.notna().to_numpy()
    vals[ok] = Y[rows[ok].astype(int).to_numpy()]
    return df, vals


def write_table(path, df: pd.DataFrame, meta: dict) -> None:
    """Write an embedding's table as CSV, its provenance beside it (``.json``).

    Raises
    ------
    OSError
        When a file cannot be written.
    """
    df.to_csv(path, index=False)
    if meta.get("provenance"):
        # what produced the coordinates, beside the table
        record = {**meta["provenance"], "quality": meta.get("quality")}
        Path(f"{path}.json").write_text(
            json.dumps(jsonable(record), indent=2) + "\n", encoding="utf-8"
        )
