"""What a finished job writes: feature tables, coordinates, metadata.

The embedding layer's ``features`` (object id, the input's columns, raw
coordinates ``cne_0``/``cne_1``), its ``metadata["napari_cne"]``
(parameters and provenance), and the coordinates written back into the
source layer's ``features`` under names that clash with no user column
(:func:`napari_cne.features.output_columns`); and one finding per object
(``cne_cluster``, ``cne_trust``, ``cne_predicted``, ``cne_confidence``)
into the embedding layer and, matched by object key, into the source
layer(s) (:func:`write_object_columns`): napari-cne's own names, which it
rewrites. Works on napari layers and tables only; no Qt. Called on the GUI
thread.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from napari.layers import Labels
from napari.utils.notifications import show_info

from ..app.fit import Fit
from ..app.metadata import CLASS_KEY, WRITTEN_KEY
from ..app.provenance import fit_record, sweep_record
from ..app.sweep import Sweep
from ..app.targets import (
    SourcesTarget,
    Target,
    key_column,
    keys_from_table,
    parts_of,
)
from ..engine.provenance import jsonable
from ..features import output_columns
from ..features.sources import SOURCE_COLUMN
from ..render.layout import fit_box
from .layer_inputs import Origin

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
    "write_object_columns",
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


def world(separate: bool, box, Y: np.ndarray) -> np.ndarray:
    """Return the world coordinates of a layout: beside the image, or raw."""
    if separate:
        return np.array(Y, dtype=np.float64)
    return fit_box(Y, box)


def points_features(
    table: pd.DataFrame,
    kept: np.ndarray,
    id_name: str,
    Y: np.ndarray | None = None,
    n_components: int = 2,
) -> pd.DataFrame:
    """Return the embedding layer's table: id, every input column, ``cne_0/1``.

    One row per embedded row of ``table`` (``kept``). All of the input's
    columns travel along (to colour by any of them, categorical ones
    included, e.g. the ``source`` of many Labels layers); ``Y=None`` leaves
    the ``n_components`` coordinates NaN.
    """
    rows = table.loc[kept].reset_index(drop=True)
    keep = [c for c in rows.columns if c not in (id_name, *ALL_COORDS)]
    # a column selection keeps the dtypes (categorical columns included)
    df = rows[[id_name, *keep]].copy()
    if Y is None:
        Y = np.full((len(df), n_components), np.nan)
    Y = np.asarray(Y, float)
    for j, name in enumerate(coord_names(Y.shape[1])):
        df[name] = Y[:, j]
    return df


def target_of(origin: Origin) -> Target:
    """Where the objects of an input live in the image (made once per input)."""
    if origin.target is None:
        src = origin.source
        if origin.mode == "sources":
            parts = [target_of(part) for part in origin.parts]
            names = [p.source.name for p in origin.parts]
            origin.target = SourcesTarget(parts, names)
        elif origin.mode == "labels":
            origin.target = Target.for_labels(src, origin.labels, origin.time_axis)
        elif origin.mode == "pixels":
            origin.target = Target(
                "pixels",
                src,
                shape=origin.input.spatial,
                scale=origin.pixel_scale,
                translate=origin.pixel_translate,
            )
        elif (
            isinstance(src, Labels)
            and not src.multiscale
            and origin.input.id_name in ("label", "index")
        ):
            origin.target = Target.for_labels(src, np.asarray(src.data))
        else:
            origin.target = Target("rows", src)
    return origin.target


def class_column(origin: Origin, table: pd.DataFrame) -> str:
    """Return the class column: the one we wrote before, or a free name."""
    layers = [p.source for p in origin.parts] if origin.parts else [origin.source]
    ours = getattr(layers[0], "metadata", {}).get(CLASS_KEY)
    if ours:
        return ours
    taken = set(table.columns)
    for layer in layers:
        taken |= set(getattr(layer, "features", {}).keys())
    return next(c for c in ("class", "cne_class", "cne_class_2") if c not in taken)


def run_metadata(fit: Fit, kind: str, names, widget: dict, elapsed: float) -> dict:
    """Return ``metadata["napari_cne"]`` of the embedding layer after a run.

    Parameters
    ----------
    fit : Fit
        The map (its model and input).
    kind : {"fit", "optimize"}
        The run that ended.
    names : list of str or None
        The columns the coordinates went to in the source layer.
    widget : dict
        The workflow's settings (recorded in the provenance).
    elapsed : float
        Seconds of the run.
    """
    inp, matrix, model = fit.input, fit.matrix, fit.model
    origin = fit.origin
    meta = {
        "source": inp.name,
        "kind": "embedding",
        "input_layers": list(inp.layers),
        "mode": origin.mode,
        "columns": matrix.used,
        "standardize": fit.standardize,
        "n_objects": fit.n_objects,
        "s": float(model.s_),
        "loss": model.loss,
        "output_columns": list(names) if names else None,
        "params": jsonable(model.get_params()),
        "provenance": fit_record(
            fit,
            kind=kind,
            elapsed=elapsed,
            extra={"mode": origin.mode, "widget": widget},
        ),
    }
    if origin.mode == "sources":
        meta["sources"] = [p.source.name for p in origin.parts]
        meta["channels"] = {k: list(v) for k, v in inp.channels.items()}
    if origin.mode == "pixels":
        meta["every_pixel"] = bool(origin.every_pixel)
    return meta


def sweep_metadata(sweep: Sweep, fit: Fit, elapsed: float) -> dict:
    """Return ``metadata["napari_cne"]`` of a sweep layer."""
    done = [sweep.s_values[i] for i in sweep.done()]
    return {
        "source": fit.input.name,
        "kind": "sweep",
        "s_values": done,
        "anchor_s": sweep.anchor,
        "n_epochs_each": sweep.n_epochs_each,
        "input_layers": list(fit.input.layers),
        "columns": fit.matrix.used,
        "params": jsonable(sweep.model.get_params()),
        "provenance": sweep_record(
            sweep, inputs=fit.input.layers, columns=fit.matrix.used, elapsed=elapsed
        ),
    }


def write_source(
    origin: Origin, table: pd.DataFrame, kept: np.ndarray, Y: np.ndarray, alive=None
) -> list[str] | None:
    """Write the coordinates into the source layer's features table.

    Only for inputs whose rows are the source layer's objects (labels,
    several Labels layers (each gets its own rows) and layer tables, not
    pixels or files). ``table``/``kept``: the measured rows and those
    embedded (``Y``). The table is re-assigned, so ``events.features``
    fires; user columns are never overwritten. ``alive(layer)``: whether a
    source layer is still there (default: all are). Returns the column
    names (of the first source), or None when nothing was written.
    """
    Y = np.asarray(Y, float)
    if origin.mode == "sources":
        codes = table[SOURCE_COLUMN].cat.codes.to_numpy()
        written = []
        for i, part in enumerate(origin.parts):
            rows = codes == i
            part_table = table.loc[rows].drop(columns=SOURCE_COLUMN)
            part_Y = Y[codes[kept] == i]
            written.append(
                write_source(
                    part, part_table.reset_index(drop=True), kept[rows], part_Y, alive
                )
            )
        return next((w for w in written if w), None)
    layer = origin.source
    if origin.mode in ("pixels", "file") or (alive is not None and not alive(layer)):
        return None  # no features table, or not the user's own rows
    df = layer.features.copy()
    names, stale = _names(df, layer.metadata.get(WRITTEN_KEY), Y.shape[1])
    df = df.drop(columns=stale)
    values = _source_rows(origin, table, kept, df, Y)
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


def _source_rows(origin: Origin, table, kept, df: pd.DataFrame, Y: np.ndarray):
    """Return the source table to write and the coordinates of its rows.

    Rows without an embedded object get NaN; None when the rows cannot be
    matched to the objects (the user is told).
    """
    layer = origin.source
    id_name = "label" if origin.mode == "labels" else origin.input.id_name
    if origin.mode == "table":
        if len(df) != len(kept):
            show_info(
                f"{layer.name!r} changed during the run; coordinates were not "
                "written to its features"
            )
            return None
        full = np.full((len(kept), Y.shape[1]), np.nan)
        full[kept] = Y
        return df, full
    if df.shape[1] == 0 or len(df) == 0:  # labels without a table: make one
        ids = table[id_name].to_numpy()[kept]
        df = table.loc[kept].reset_index(drop=True)
        df.insert(0, "index", ids)
        return df, Y
    key = next((c for c in ("index", "label") if c in df.columns), None)
    target = target_of(origin)
    obj = keys_from_table(table.loc[kept], target, id_name)
    pos = pd.Series(np.arange(len(obj)), index=obj)
    timed = target.time_axis is not None
    if key is not None and (not timed or "frame" in df.columns):
        rows = pd.Series(keys_from_table(df, target, key)).map(pos)
    elif not timed and len(df) == int(table[id_name].max()) + 1:
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


def _with_columns(df: pd.DataFrame, columns: Mapping[str, object]) -> pd.DataFrame:
    out = df.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def _values(values):
    """Return the values of a Series by position (not by its index)."""
    return values.array if isinstance(values, pd.Series) else values


def write_object_columns(selection, columns: Mapping[str, object]) -> None:
    """Write one value per embedded object into both layers' ``features``.

    Parameters
    ----------
    selection : SelectionPanel
        Its embedding layer (``points``, one row per object in
        ``linker.keys`` order), its ``target`` (where the objects live,
        :mod:`napari_cne.app.targets`) and the sources' ``id_name``.
    columns : mapping of str to array-like, or DataFrame
        Column name -> one value per point (categoricals stay categorical);
        source rows without an embedded object get a missing value.

    Raises
    ------
    ValueError
        When the embedding layer no longer has one row per object.
    """
    point_keys = np.asarray(selection.linker.keys, np.int64)
    series = {
        str(name): pd.Series(_values(values), index=point_keys)
        for name, values in dict(columns).items()
    }
    points = selection.points
    if points is not None:
        if len(points.features) != len(point_keys):
            raise ValueError("the embedding layer changed; run the embedding again")
        points.features = _with_columns(
            points.features, {n: s.array for n, s in series.items()}
        )
    for part, offset in parts_of(selection.target):
        df = getattr(part.layer, "features", None)
        if df is None or len(df) == 0:
            continue
        try:
            keys = keys_from_table(df, part, key_column(df, selection.id_name))
        except KeyError:
            continue  # rows that cannot be matched to objects: leave them
        values = {n: s.reindex(keys + offset).array for n, s in series.items()}
        layer = part.layer
        layer.features = _with_columns(df, values)
        written = list(layer.metadata.get(WRITTEN_KEY, ()))
        written += [n for n in series if n not in written]
        layer.metadata = {**layer.metadata, WRITTEN_KEY: written}
