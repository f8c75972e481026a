"""Point colours of the embedding layers (numpy / pandas / matplotlib only).

The widget computes every point's RGBA itself instead of handing a column to
napari's colour cycles: class colours must match the colours the user chose,
and the time-lapse emphasis and the selection outline are drawn on top of
whatever the base colouring is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba, to_rgba_array

from ..features import is_numeric

__all__ = [
    "CATEGORY_COLORS",
    "MISSING_RGBA",
    "UNIFORM_COLOR",
    "color_range",
    "column_colors",
    "gradient",
    "next_color",
]

UNIFORM_COLOR = "#3fa9f5"
#: colours of categorical columns (matplotlib's tab10)
CATEGORY_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
#: points with a missing value (NaN, or no class)
MISSING_RGBA = (0.55, 0.55, 0.55, 0.6)


def next_color(used) -> str:
    """First palette colour not in ``used`` (cycling when all are taken)."""
    taken = {str(c).lower() for c in used}
    for c in CATEGORY_COLORS:
        if c not in taken:
            return c
    return CATEGORY_COLORS[len(taken) % len(CATEGORY_COLORS)]


def color_range(values: pd.Series | None) -> tuple[float, float] | None:
    """Return the values at the ends of the colormap (1st, 99th percentile)."""
    if values is None or not is_numeric(values):
        return None
    v = values.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    lo, hi = np.percentile(v, [1, 99])
    return float(lo), float(hi)


def gradient(cmap: str = "viridis", width: int = 96, height: int = 12) -> np.ndarray:
    """RGBA uint8 image of a colormap, left (low) to right (high)."""
    row = colormaps[cmap](np.linspace(0, 1, width))
    return np.ascontiguousarray(
        np.repeat((255 * row[None]).astype(np.uint8), height, axis=0)
    )


def column_colors(
    values: pd.Series | None,
    n: int,
    *,
    cmap: str = "viridis",
    mapping: Mapping[str, str] | None = None,
) -> np.ndarray:
    """RGBA colour per row for a feature column.

    Parameters
    ----------
    values : pandas.Series or None
        The column (None: one uniform colour).
    n : int
        Number of rows (used when ``values`` is None).
    cmap : str
        Matplotlib colormap for numeric columns (scaled to the 1st-99th
        percentile, so a few outliers do not flatten the rest).
    mapping : dict of str to colour, optional
        Fixed colours of categories (e.g. the user's class colours); other
        categories take palette colours in category order.

    Returns
    -------
    ndarray of float32, shape (n, 4)
        Missing values get :data:`MISSING_RGBA`.
    """
    if values is None:
        return np.tile(np.asarray(to_rgba(UNIFORM_COLOR), np.float32), (n, 1))
    out = np.tile(np.asarray(MISSING_RGBA, np.float32), (len(values), 1))
    if is_numeric(values):
        v = values.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(v)
        if ok.any():
            lo, hi = color_range(values)
            t = np.clip((v[ok] - lo) / (hi - lo), 0, 1) if hi > lo else 0.5 * ok[ok]
            out[ok] = colormaps[cmap](t).astype(np.float32)
        return out
    cat = values.astype("category")
    mapping = {str(k): v for k, v in (mapping or {}).items()}
    palette = [c for c in CATEGORY_COLORS if c not in set(mapping.values())]
    palette = palette or list(CATEGORY_COLORS)
    table = []
    k = 0
    for name in cat.cat.categories:
        if str(name) in mapping:
            table.append(mapping[str(name)])
        else:
            table.append(palette[k % len(palette)])
            k += 1
    if table:
        rgba = to_rgba_array(table).astype(np.float32)
        codes = cat.cat.codes.to_numpy()
        ok = codes >= 0
        out[ok] = rgba[codes[ok]]
    return out
