"""Point colours: one palette for the widget, the command line and the GIFs.

numpy / pandas / matplotlib only. Every RGBA is computed here instead of
handing a column to napari's colour cycles or to matplotlib's colormaps at
draw time: class colours must match the colours the user chose, the
time-lapse emphasis and the selection outline are drawn on top of whatever
the base colouring is, and a PNG written by ``napari-cne embed`` should look
like the layer in napari.

The rules, in one place:

* no column: one uniform colour, :data:`UNIFORM_COLOR`;
* a numeric column (:func:`is_categorical` says which are not): viridis
  from its 1st to its 99th percentile (:func:`color_range`; a few
  outliers do not flatten the rest);
* anything else (text, categorical, bool, integers with at most 20
  distinct values) is categorical: the categories in
  their sorted order take tab10 (up to 10) or tab20 (up to 20) colours;
  with more than 20, the 19 most frequent keep their own colour and the rest
  share one, ``"(other)"`` (:func:`category_colors`);
* a missing value is grey, :data:`MISSING_RGBA`.
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
    "OTHER",
    "UNIFORM_COLOR",
    "category_colors",
    "color_range",
    "colors_like",
    "column_colors",
    "gradient",
    "is_categorical",
    "next_color",
    "palette",
]

#: the colour of points when nothing colours them
UNIFORM_COLOR = "#3fa9f5"
#: colours of new classes and of up to 10 categories (matplotlib's tab10)
CATEGORY_COLORS = tuple(
    "#{:02x}{:02x}{:02x}".format(*(int(round(255 * v)) for v in rgb))
    for rgb in colormaps["tab10"].colors
)
#: points with a missing value (NaN, or no class)
MISSING_RGBA = (0.55, 0.55, 0.55, 0.6)
#: the shared category of the less frequent ones beyond 20
OTHER = "(other)"
#: most categories with a colour of their own
MAX_CATEGORIES = 20


def palette(n: int) -> list[str]:
    """Return ``n`` category colours: tab10 up to 10, tab20 up to 20, then cycling."""
    if n <= len(CATEGORY_COLORS):
        return list(CATEGORY_COLORS[:n])
    rgb = colormaps["tab20"].colors
    return [
        "#{:02x}{:02x}{:02x}".format(*(int(round(255 * v)) for v in rgb[i % 20]))
        for i in range(n)
    ]


def next_color(used) -> str:
    """Return the first palette colour not in ``used`` (cycling when all are taken)."""
    taken = {str(c).lower() for c in used}
    for c in CATEGORY_COLORS:
        if c not in taken:
            return c
    return CATEGORY_COLORS[len(taken) % len(CATEGORY_COLORS)]


def is_categorical(series: pd.Series) -> bool:
    """Whether a column is coloured by category rather than by a colormap.

    Text, categorical and boolean columns, and integer columns with at most
    :data:`MAX_CATEGORIES` distinct values (class codes, a few frames).
    """
    if not is_numeric(series) or pd.api.types.is_bool_dtype(series):
        return True
    if pd.api.types.is_integer_dtype(series):
        return series.nunique(dropna=True) <= MAX_CATEGORIES
    return False


def color_range(values: pd.Series | None) -> tuple[float, float] | None:
    """Return the values at the ends of the colormap (1st, 99th percentile)."""
    if values is None or not is_numeric(values) or is_categorical(values):
        return None
    v = values.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    lo, hi = np.percentile(v, [1, 99])
    return float(lo), float(hi)


def gradient(cmap: str = "viridis", width: int = 96, height: int = 12) -> np.ndarray:
    """Return an RGBA uint8 image of a colormap, left (low) to right (high)."""
    row = colormaps[cmap](np.linspace(0, 1, width))
    return np.ascontiguousarray(
        np.repeat((255 * row[None]).astype(np.uint8), height, axis=0)
    )


def _sorted(cats: list) -> list:
    try:
        return sorted(cats, key=lambda v: (isinstance(v, str), v))
    except TypeError:
        return sorted(cats, key=str)


def category_colors(
    values: pd.Series, mapping: Mapping[str, str] | None = None
) -> tuple[np.ndarray, dict]:
    """Return the RGBA of every row of a categorical column, and its legend.

    Parameters
    ----------
    values : pandas.Series
        Any values; missing ones are grey.
    mapping : dict of str to colour, optional
        Fixed colours of categories (e.g. the user's class colours); the
        other categories take the remaining palette colours in sorted order.

    Returns
    -------
    rgba : ndarray of float32, shape (len(values), 4)
    legend : dict
        ``{category: RGBA}`` in display order, ``"(missing)"`` last when some
        value is missing.
    """
    mapping = {str(k): v for k, v in (mapping or {}).items()}
    obj = values.astype("object")
    missing = obj.isna().to_numpy()
    counts = obj[~missing].value_counts()
    cats = list(counts.index)
    if len(cats) > MAX_CATEGORIES:
        keep = [c for c in cats if str(c) in mapping]
        keep += [c for c in cats if str(c) not in mapping][: MAX_CATEGORIES - 1]
        keep = keep[: max(MAX_CATEGORIES - 1, len(mapping))]
        obj = obj.where(obj.isin(keep) | missing, OTHER)
        cats = [*_sorted(keep), OTHER]
    else:
        cats = _sorted(cats)
    free = [c for c in palette(len(cats) + len(mapping)) if c not in mapping.values()]
    legend, k = {}, 0
    for c in cats:
        if str(c) in mapping:
            legend[c] = tuple(to_rgba(mapping[str(c)]))
        else:
            legend[c] = tuple(to_rgba(free[k % len(free)] if free else "grey"))
            k += 1
    rgba = np.tile(np.asarray(MISSING_RGBA, np.float32), (len(values), 1))
    if legend:
        table = to_rgba_array(list(legend.values())).astype(np.float32)
        codes = pd.Categorical(obj, categories=list(legend)).codes
        ok = codes >= 0
        rgba[ok] = table[codes[ok]]
    if missing.any():
        legend["(missing)"] = MISSING_RGBA
    return rgba, legend


def column_colors(
    values: pd.Series | None,
    n: int,
    *,
    cmap: str = "viridis",
    mapping: Mapping[str, str] | None = None,
    value_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Return the RGBA colour of every row for a feature column.

    Parameters
    ----------
    values : pandas.Series or None
        The column (None: one uniform colour).
    n : int
        Number of rows (used when ``values`` is None).
    cmap : str
        Matplotlib colormap for numeric columns, over :func:`color_range`.
    mapping : dict of str to colour, optional
        Fixed colours of categories (see :func:`category_colors`).
    value_range : (float, float), optional
        The numbers at the ends of the colormap instead of the column's own
        :func:`color_range` (new points coloured like the layer they join).

    Returns
    -------
    ndarray of float32, shape (n, 4)
        Missing values get :data:`MISSING_RGBA`.
    """
    if values is None:
        return np.tile(np.asarray(to_rgba(UNIFORM_COLOR), np.float32), (n, 1))
    if is_categorical(values):
        return category_colors(values, mapping)[0]
    out = np.tile(np.asarray(MISSING_RGBA, np.float32), (len(values), 1))
    v = values.to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(v)
    if ok.any():
        lo, hi = color_range(values) if value_range is None else value_range
        t = np.clip((v[ok] - lo) / (hi - lo), 0, 1) if hi > lo else 0.5 * ok[ok]
        out[ok] = colormaps[cmap](t).astype(np.float32)
    return out


def colors_like(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """Return the colours of ``values`` on the scale ``reference`` is coloured on.

    Numbers over the reference's colour range, categories in the colours
    the reference's categories get (new ones after them): new points drawn
    as the points already shown.
    """
    a, b = reference, values
    if not (is_numeric(a) and is_numeric(b)):  # categories: one set of colours
        a, b = a.astype(object), b.astype(object)
    both = pd.concat([a, b], ignore_index=True)
    rgba = column_colors(both, len(both), value_range=color_range(reference))
    return rgba[len(reference) :]
