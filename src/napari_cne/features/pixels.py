"""Per-pixel features of a (multichannel) image, and mapping rows back to pixels."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arrays import AXES, check_spacing, materialize

__all__ = [
    "channels_first",
    "foreground_mask",
    "pixel_features",
    "pixel_index",
    "pixel_mask",
    "pixel_rows",
]


def pixel_features(
    image,
    channel_axis: int | None = 0,
    *,
    channel_names: Sequence[str] | None = None,
    mask=None,
    max_pixels: int | None = None,
    random_state=0,
    spacing: float | Sequence[float] | None = None,
) -> pd.DataFrame:
    """One row per pixel (or voxel): its channel values and position.

    Parameters
    ----------
    image : array-like
        Numeric image: 2-D or 3-D per channel, plus the channel axis. A
        2-D time-lapse ``(t, y, x)`` is handled as a 3-D ``(z, y, x)`` grid
        (the time index is then the ``z`` column). An RGB(A) image works with
        ``channel_axis=-1``.
    channel_axis : int or None, default 0
        Axis that holds the channels; ``None`` for a single-channel image.
    channel_names : sequence of str, optional
        One name per channel; default ``ch0``, ``ch1``, ...
    mask : array-like of bool, optional
        Of the spatial shape (the image without its channel axis): only
        pixels where it is True (non-zero) are kept.
    max_pixels : int, optional
        Keep at most this many pixels, drawn uniformly at random without
        replacement (after ``mask``).
    random_state : int, numpy.random.Generator or None, default 0
        Seed of the subsampling.
    spacing : float or sequence of float, optional
        Pixel size per spatial axis. When given, the columns ``y_scaled``,
        ``x_scaled`` (and ``z_scaled``) hold the coordinates times
        ``spacing``.

    Returns
    -------
    pandas.DataFrame
        One row per kept pixel, sorted by ``pixel``. Columns: ``pixel``, the
        flat (C-order) index into the spatial shape, which maps every row
        back to its pixel (see :func:`pixel_mask` and :func:`pixel_rows`);
        the integer pixel indices ``y``, ``x`` (3-D: ``z``, ``y``, ``x``);
        the ``<axis>_scaled`` coordinates if ``spacing`` is given; then one
        column per channel, in the image's dtype. The index is
        ``0 .. n - 1``.

    Raises
    ------
    ValueError
        For non-numeric data, a channel axis out of range, an image that is
        not 2-D or 3-D per channel, wrong or clashing channel names, a mask
        of another shape or without any True pixel, a non-positive
        ``max_pixels`` or bad spacing.

    Notes
    -----
    Only the embedded columns are the channels: pass them explicitly to
    :func:`feature_matrix` (its default would also take the coordinates).
    """
    arr = channels_first(image, channel_axis)
    spatial = arr.shape[1:]
    axes = AXES[len(spatial)]
    n_ch = arr.shape[0]
    names = (
        [f"ch{i}" for i in range(n_ch)]
        if channel_names is None
        else [str(n) for n in channel_names]
    )
    if len(names) != n_ch:
        raise ValueError(
            f"{len(names)} channel names for {n_ch} channels (channel_axis="
            f"{channel_axis}, image shape {np.shape(image)})"
        )
    coord_cols = ["pixel", *axes]
    if spacing is not None:
        sp = check_spacing(spacing, len(spatial))
        coord_cols += [f"{a}_scaled" for a in axes]
    if len(set(names)) != n_ch or set(names) & set(coord_cols):
        raise ValueError(
            f"channel names {names!r} must be unique and differ from the columns "
            f"{coord_cols!r}"
        )

    idx = pixel_index(spatial, mask, max_pixels, random_state, np.shape(image))

    coords = np.unravel_index(idx, spatial)
    columns: dict[str, np.ndarray] = {"pixel": idx}
    for a, c in zip(axes, coords, strict=True):
        columns[a] = c.astype(np.int64, copy=False)
    if spacing is not None:
        for a, c, s in zip(axes, coords, sp, strict=True):
            columns[f"{a}_scaled"] = c * s
    values = arr[(slice(None), *coords)]  # (n_ch, n): gathers kept pixels only
    for name, v in zip(names, values, strict=True):
        columns[name] = v
    return pd.DataFrame(columns)


def channels_first(image, channel_axis: int | None) -> np.ndarray:
    """Return the image with its channels along axis 0 (one channel: a new axis).

    Raises
    ------
    ValueError, TypeError
        For non-numeric data, a bad channel axis, or an image that is not
        2-D or 3-D per channel.
    """
    arr = materialize(image)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ValueError(f"image must be numeric; got dtype {arr.dtype}")
    if channel_axis is None:
        arr = arr[np.newaxis]
    else:
        try:
            ax = operator.index(channel_axis)
        except TypeError:
            raise TypeError(
                f"channel_axis must be an int or None; got {channel_axis!r}"
            ) from None
        if not -arr.ndim <= ax < arr.ndim:
            raise ValueError(
                f"channel_axis={ax} is out of range for an image of shape "
                f"{arr.shape}; use channel_axis=None for a single-channel image"
            )
        arr = np.moveaxis(arr, ax, 0)
    spatial = arr.shape[1:]
    if len(spatial) not in (2, 3):
        raise ValueError(
            f"image must be 2-D or 3-D per channel; got shape {arr.shape[1:]} "
            f"after removing the channel axis (image shape {np.shape(image)}); "
            "check channel_axis"
        )
    return arr


def pixel_index(
    spatial: tuple[int, ...], mask, max_pixels, random_state, image_shape=None
) -> np.ndarray:
    """Return the sorted flat indices of the pixels to embed.

    Those inside ``mask`` (all pixels without one), subsampled uniformly
    without replacement to at most ``max_pixels`` (seeded by
    ``random_state``).
    """
    n_total = int(np.prod(spatial))
    if mask is not None:
        m = materialize(mask)
        if m.shape != spatial:
            raise ValueError(
                f"mask has shape {m.shape} but the image's spatial shape is "
                f"{spatial} (image shape {image_shape})"
            )
        idx = np.flatnonzero(m)
        if idx.size == 0:
            raise ValueError("mask selects no pixel (it is False everywhere)")
    else:
        idx = None
    n_cand = n_total if idx is None else idx.size
    if max_pixels is not None:
        k = operator.index(max_pixels)
        if k < 1:
            raise ValueError(f"max_pixels must be at least 1; got {max_pixels}")
        if k < n_cand:
            pick = np.random.default_rng(random_state).choice(
                n_cand, size=k, replace=False
            )
            idx = np.sort(pick if idx is None else idx[pick])
    if idx is None:
        idx = np.arange(n_total)
    idx = idx.astype(np.int64, copy=False)

    return idx


def _flat_indices(pixels) -> np.ndarray:
    if isinstance(pixels, pd.DataFrame):
        if "pixel" not in pixels.columns:
            raise ValueError(
                "the table has no 'pixel' column (make it with pixel_features)"
            )
        pixels = pixels["pixel"]
    idx = np.asarray(pixels)
    if idx.ndim != 1 or idx.dtype == bool or idx.dtype.kind not in "iu":
        raise ValueError(
            "pixels must be a 1-D array of flat pixel indices (the 'pixel' column "
            f"of pixel_features) or that table; got dtype {idx.dtype}, shape "
            f"{idx.shape}"
        )
    return idx.astype(np.int64, copy=False)


def pixel_mask(pixels, spatial_shape: Sequence[int]) -> np.ndarray:
    """Boolean image that is True at the given pixels.

    Parameters
    ----------
    pixels : pandas.DataFrame or array-like of int
        A table from :func:`pixel_features` (or some of its rows), or flat
        C-order pixel indices (its ``pixel`` column).
    spatial_shape : sequence of int
        Shape of the pixel grid (the image without its channel axis).

    Returns
    -------
    ndarray of bool, shape ``spatial_shape``

    Raises
    ------
    ValueError
        If an index lies outside the grid or ``pixels`` holds no indices.
    """
    idx = _flat_indices(pixels)
    shape = tuple(operator.index(s) for s in spatial_shape)
    n = int(np.prod(shape))
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(
            f"pixel indices must lie in 0 .. {n - 1} for spatial shape {shape}; "
            f"got {idx.min()} .. {idx.max()}"
        )
    out = np.zeros(n, dtype=bool)
    out[idx] = True
    return out.reshape(shape)


def pixel_rows(pixels, selection) -> np.ndarray:
    """Row positions of a pixel table whose pixel is in a selection.

    Parameters
    ----------
    pixels : pandas.DataFrame or array-like of int
        A table from :func:`pixel_features`, or its ``pixel`` column.
    selection : array-like
        Either an image of the spatial shape (2-D or 3-D; True / non-zero
        = selected, e.g. a painted Labels layer), a flat boolean mask of
        ``prod(spatial_shape)`` entries, or a 1-D array of flat pixel
        indices.

    Returns
    -------
    ndarray of int64
        Positions (for ``table.iloc``) of the selected rows, ascending.

    Raises
    ------
    ValueError
        If the table refers to pixels outside a mask ``selection``.
    """
    idx = _flat_indices(pixels)
    sel = materialize(selection)
    if sel.ndim >= 2 or sel.dtype == bool:
        flat = sel.ravel() != 0
        if idx.size and (idx.min() < 0 or idx.max() >= flat.size):
            raise ValueError(
                f"the table has pixel indices up to {idx.max()} but the selection "
                f"mask (shape {sel.shape}) has only {flat.size} pixels"
            )
        hit = flat[idx]
    elif sel.dtype.kind in "iu":
        hit = np.isin(idx, sel)
    else:
        raise ValueError(
            "selection must be a mask image or flat pixel indices; got dtype "
            f"{sel.dtype}, shape {sel.shape}"
        )
    return np.flatnonzero(hit).astype(np.int64)


def foreground_mask(image, channel_axis: int | None = 0) -> np.ndarray:
    """Return the foreground of an image: brighter than Otsu's threshold.

    The threshold (:func:`skimage.filters.threshold_otsu`) is taken on the
    mean over the channels; NaN pixels are background. For a one-channel
    image, whose pixel embedding would otherwise order the background's
    illumination gradient, this keeps the pixels of the specimen. A lazy
    (dask, Zarr) image is read chunk by chunk; the mask (one byte per
    pixel) is in memory.

    Raises
    ------
    ValueError
        For an image of one value (no foreground to find).
    """
    from skimage.filters import threshold_otsu

    lazy = hasattr(image, "chunks") and not isinstance(image, np.ndarray)
    if lazy:
        import dask.array as da

        arr = image if hasattr(image, "dask") else da.from_array(image)
    else:
        arr = np.asarray(image, np.float32)
    mean = arr if channel_axis is None else arr.mean(axis=channel_axis % arr.ndim)
    # the threshold from every pixel, or a regular grid of about 4 million
    step = max(1, int((math.prod(mean.shape) / 4e6) ** (1 / mean.ndim)))
    sample = np.asarray(mean[(slice(None, None, step),) * mean.ndim], np.float32)
    values = sample[np.isfinite(sample)]
    if values.size == 0 or values.min() == values.max():
        raise ValueError("the image has one value: there is no foreground to find")
    fg = mean > threshold_otsu(values)  # NaN pixels compare False: background
    return np.asarray(fg.compute() if lazy else fg, bool)
