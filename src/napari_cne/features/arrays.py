"""Checks shared by the feature extractors: lazy arrays, pixel spacing, axes."""

from __future__ import annotations

import numpy as np

__all__ = ["AXES", "check_spacing", "materialize"]

#: Names of the spatial axes, by their count.
AXES = {2: ("y", "x"), 3: ("z", "y", "x")}


def materialize(data) -> np.ndarray:
    """Return ``data`` as a numpy array (computing dask and similar lazy arrays)."""
    if hasattr(data, "compute") and not isinstance(data, np.ndarray):
        data = data.compute()
    return np.asarray(data)


def check_spacing(
    spacing, ndim: int, time_axis: int | None = None
) -> tuple[float, ...] | None:
    """Return the spacing of the spatial axes (``ndim`` counts all axes, time too).

    A full layer scale that includes the time axis is accepted: its time
    entry is dropped. ``None`` stays ``None``.
    """
    if spacing is None:
        return None
    sp = np.atleast_1d(np.asarray(spacing, float))
    n_spatial = ndim - (time_axis is not None)
    if sp.ndim != 1:
        raise ValueError(f"spacing must be a number or a sequence; got {spacing!r}")
    if sp.size == ndim and time_axis is not None:
        sp = np.delete(sp, time_axis)  # a full layer scale: drop the time entry
    elif sp.size == 1:
        sp = np.repeat(sp, n_spatial)
    elif sp.size != n_spatial:
        raise ValueError(
            f"spacing {tuple(sp.tolist())} has {sp.size} values but the labels "
            f"have {n_spatial} spatial axes"
            + ("" if time_axis is None else f" (plus time axis {time_axis})")
        )
    if not all(np.isfinite(v) and v > 0 for v in sp):
        raise ValueError(f"spacing must be positive numbers; got {spacing!r}")
    return tuple(float(v) for v in sp)
