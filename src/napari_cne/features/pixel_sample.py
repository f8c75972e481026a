"""The fit's subsample of pixels from a lazy or multiscale image, chunk by chunk.

A dask or Zarr image (napari opens large files lazily, and pyramids as a
list of levels) is never read whole: :func:`pixel_sample` picks the
coarsest pyramid level that still holds enough pixels for the sample, draws
the pixels there, and reads them one chunk at a time
(:func:`gather_pixels`), so memory stays at one chunk plus the sample. The
table has the same columns as :func:`~.pixels.pixel_features`, with the
positions given in the finest level's pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arrays import AXES
from .pixels import pixel_features, pixel_index

__all__ = ["choose_level", "gather_pixels", "is_lazy", "pixel_sample"]

#: a level is chosen when it holds at least this many times the sample
LEVEL_MARGIN = 4


def is_lazy(image) -> bool:
    """Return True for a dask or Zarr array (read chunk by chunk)."""
    return not isinstance(image, np.ndarray) and hasattr(image, "chunks")


def _as_dask(image):
    import dask.array as da

    return image if hasattr(image, "dask") else da.from_array(image)


def _lazy_channels_first(image, channel_axis):
    import dask.array as da

    arr = _as_dask(image)
    if channel_axis is None:
        return arr[None]
    return da.moveaxis(arr, channel_axis % arr.ndim, 0)


def choose_level(levels: Sequence, channel_axis, max_pixels: int | None) -> int:
    """Return the index of the coarsest level with enough pixels for the sample."""
    if max_pixels is None or len(levels) == 1:
        return 0
    best = 0
    for i, level in enumerate(levels):
        shape = list(np.shape(level))
        if channel_axis is not None:
            del shape[channel_axis % len(shape)]
        if math.prod(shape) >= LEVEL_MARGIN * max_pixels:
            best = i
    return best


def gather_pixels(image_cf, flat: np.ndarray) -> np.ndarray:
    """Read the pixels ``flat`` (sorted flat indices) of a channels-first lazy image.

    One chunk row of the image is computed at a time; returns ``(n_ch, n)``.
    """
    arr = _as_dask(image_cf)
    spatial = arr.shape[1:]
    out = np.empty((arr.shape[0], flat.size), arr.dtype)
    coords = np.unravel_index(flat, spatial)
    first = coords[0]
    start = 0
    for size in arr.chunks[1]:  # slabs along the first spatial axis
        stop = start + size
        rows = np.flatnonzero((first >= start) & (first < stop))
        if rows.size:
            slab = np.asarray(arr[:, start:stop].compute())
            local = (first[rows] - start, *(c[rows] for c in coords[1:]))
            out[:, rows] = slab[(slice(None), *local)]
        start = stop
    return out


def pixel_sample(
    image,
    channel_axis: int | None = 0,
    *,
    channel_names: Sequence[str] | None = None,
    mask=None,
    max_pixels: int | None = None,
    random_state=0,
) -> pd.DataFrame:
    """Return the pixels to fit on, from a numpy, dask or Zarr image or pyramid.

    Parameters
    ----------
    image : array-like or list of array-like
        One image, or the levels of a pyramid, finest first (as napari's
        multiscale layers hold them).
    channel_axis, channel_names, mask, max_pixels, random_state
        As for :func:`~.pixels.pixel_features`. With a ``mask`` the finest
        level is used (the mask is of its shape).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~.pixels.pixel_features`, plus ``level`` when
        a coarser level was used; ``pixel`` and the positions are those of
        the finest level (the top-left pixel of a coarse pixel's region).
    """
    levels = list(image) if isinstance(image, (list, tuple)) else [image]
    level = 0 if mask is not None else choose_level(levels, channel_axis, max_pixels)
    data = levels[level]
    if not is_lazy(data):
        table = pixel_features(
            data,
            channel_axis,
            channel_names=channel_names,
            mask=mask,
            max_pixels=max_pixels,
            random_state=random_state,
        )
    else:
        table = _lazy_sample(
            data, channel_axis, channel_names, mask, max_pixels, random_state
        )
    if level:
        table = _to_finest(table, levels, level, channel_axis)
    return table


def _lazy_sample(data, channel_axis, channel_names, mask, max_pixels, random_state):
    arr = _lazy_channels_first(data, channel_axis)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"image must be numeric; got dtype {arr.dtype}")
    spatial = tuple(arr.shape[1:])
    if len(spatial) not in (2, 3):
        raise ValueError(
            f"image must be 2-D or 3-D per channel; got shape {spatial} after "
            f"removing the channel axis (image shape {tuple(data.shape)})"
        )
    names = channel_names or [f"ch{i}" for i in range(arr.shape[0])]
    if len(names) != arr.shape[0]:
        raise ValueError(f"{len(names)} channel names for {arr.shape[0]} channels")
    idx = pixel_index(spatial, mask, max_pixels, random_state, tuple(data.shape))
    values = gather_pixels(arr, idx)
    columns: dict[str, np.ndarray] = {"pixel": idx}
    for a, c in zip(AXES[len(spatial)], np.unravel_index(idx, spatial), strict=True):
        columns[a] = c.astype(np.int64)
    for name, v in zip(names, values, strict=True):
        columns[str(name)] = v
    return pd.DataFrame(columns)


def _spatial(level, channel_axis) -> list:
    shape = list(np.shape(level))
    if channel_axis is not None:
        del shape[channel_axis % len(shape)]
    return shape


def _to_finest(table: pd.DataFrame, levels, level: int, channel_axis) -> pd.DataFrame:
    """Give a coarse level's pixels the positions of the finest level."""
    fine = _spatial(levels[0], channel_axis)
    coarse = _spatial(levels[level], channel_axis)
    axes = AXES[len(fine)]
    table = table.copy()
    for a, nf, nc in zip(axes, fine, coarse, strict=True):
        table[a] = np.minimum((table[a] * (nf / nc)).astype(np.int64), nf - 1)
    table["pixel"] = np.ravel_multi_index(tuple(table[a] for a in axes), fine)
    table["level"] = level
    return table
