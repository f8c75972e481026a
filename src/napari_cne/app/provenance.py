"""What produced a result: one provenance record per workflow, for both front ends.

Each function wraps :func:`napari_cne.engine.provenance.provenance` (the
software, the parameters, the resolved values, the seed) with what the
workflow knows: the input and its layers or files, the columns, the rows
embedded and left out, the sweep's position, the placing method, every
pixel's tiles. The front ends add their own part under ``extra`` (the
widget its settings, the command line its command, files and checksums):
the widget keeps the record in the result layer's metadata and beside a
saved table, the command line writes it beside every output
(``<output>.json``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..engine.provenance import provenance
from .fit import Fit
from .models import FittedMap
from .place import Placed
from .sweep import Sweep

__all__ = ["fit_record", "pixel_map_record", "place_record", "sweep_record"]

#: at most this many left-out row numbers are listed
LEFT_OUT_ROWS = 1000


def _rows(n: int, kept: np.ndarray, done: str) -> dict:
    return {
        "input": int(n),
        done: int(kept.sum()),
        "left_out": int((~kept).sum()),
        "left_out_rows": np.flatnonzero(~kept)[:LEFT_OUT_ROWS],
    }


def _pixel_map(pm, tile_pixels: int | None = None) -> dict:
    out = {"done": int(pm.done), "total": int(pm.total), "complete": pm.complete}
    if tile_pixels is not None:
        out["pixels_per_tile"] = int(tile_pixels)
    return out


def fit_record(
    fit: Fit, *, kind: str = "fit", elapsed: float | None = None, extra: Mapping = ()
) -> dict:
    """Return the record of a fit (``kind``: ``"optimize"`` after more epochs)."""
    inp, matrix = fit.input, fit.matrix
    record = {
        "kind": kind,
        "input": inp.kind,
        "rows": _rows(len(matrix.table), matrix.kept, "embedded"),
        "standardize": fit.standardize,
        "log_columns": matrix.log_columns,
        "dropped_constant_columns": matrix.dropped,
    }
    if inp.kind == "pixels":
        table = matrix.table
        record["sample"] = {
            "pixels": len(table),
            "max_pixels": inp.max_pixels,
            "level": int(table["level"].iloc[0]) if "level" in table else 0,
        }
        record["channel_axis"] = inp.channel_axis
        if fit.pixel_map is not None:
            record["every_pixel"] = _pixel_map(fit.pixel_map)
    if inp.kind == "objects" and inp.channels:
        record["channels"] = {k: list(v) for k, v in inp.channels.items()}
    return provenance(
        fit.model,
        inputs=inp.layers,
        columns=matrix.used,
        elapsed=fit.elapsed if elapsed is None else elapsed,
        extra={**record, **dict(extra)},
    )


def sweep_record(
    sweep: Sweep,
    *,
    inputs,
    columns,
    index: int | None = None,
    elapsed: float | None = None,
    extra: Mapping = (),
) -> dict:
    """Return the record of a sweep (``index``: of one of its positions).

    The model ends at the last position of the chain; the record of one
    position says its own ``s_`` and leaves out the constants of another.
    """
    done = [sweep.s_values[i] for i in sweep.done()]
    info = {
        "s_values": list(sweep.s_values),
        "s_done": done,
        "anchor_s": sweep.anchor,
        "fit_epochs": sweep.fit_epochs,
        "n_epochs_each": sweep.n_epochs_each,
        "warm_started": True,
    }
    if index is not None:
        info["s"] = sweep.s_values[index]
    record = provenance(
        sweep.model,
        inputs=inputs,
        columns=columns,
        elapsed=elapsed,
        extra={"kind": "sweep", "sweep": info, **dict(extra)},
    )
    if index is not None:
        record["resolved"]["s_"] = sweep.s_values[index]
        for key in ("z_bar_", "nu_", "rho_", "z_"):
            record["resolved"].pop(key, None)
    return record


def place_record(
    placed: Placed, fitted: FittedMap, *, map_name: str, extra: Mapping = ()
) -> dict:
    """Return the record of objects (rows) placed in a map."""
    info = {
        "kind": "place",
        "method": placed.method,
        "map": map_name,
        "map_kind": fitted.kind,
        "rows": _rows(len(placed.table), placed.kept, "placed"),
    }
    inp = placed.input
    if inp.kind == "objects" and inp.channels:
        info["channels"] = {k: list(v) for k, v in inp.channels.items()}
    return provenance(
        fitted.model,
        inputs=inp.layers or [inp.name],
        columns=list(fitted.scaling.columns),
        elapsed=placed.elapsed,
        extra={**info, **dict(extra)},
    )


def pixel_map_record(
    fitted: FittedMap,
    pm,
    *,
    inputs,
    method: str,
    tile_pixels: int,
    elapsed: float | None = None,
    extra: Mapping = (),
) -> dict:
    """Return the record of every pixel of an image placed in a saved map."""
    info = {
        "kind": "every_pixel",
        "method": method,
        "map_kind": fitted.kind,
        "tiles": _pixel_map(pm, tile_pixels),
    }
    return provenance(
        fitted.model,
        inputs=inputs,
        columns=list(fitted.scaling.columns),
        elapsed=elapsed,
        extra={**info, **dict(extra)},
    )
