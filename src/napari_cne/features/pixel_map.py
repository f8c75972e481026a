"""Every pixel of an image through a fitted model, tile by tile.

A pixel embedding is fitted on a subsample (:func:`~.pixels.pixel_features`
with ``max_pixels``); :func:`map_pixels` then gives **every** pixel (or every
pixel in a mask) its coordinates: each tile of the image is read (a numpy,
dask or Zarr array: never the whole image at once), scaled as the fit's
features were (:class:`~.matrix.FeatureScaling`) and placed by a
:class:`PixelMapper` (the distance-weighted position of its nearest fitted
pixels in feature space, or the parametric network). The tiles run here,
one after the other, or as tasks of a dask.distributed cluster; the result
goes to a numpy array or, for images larger than memory, a Zarr array on
disk.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .matrix import FeatureScaling

__all__ = [
    "TILE_PIXELS",
    "PixelMap",
    "PixelMapper",
    "map_pixels",
    "memory_needed",
    "output_array",
    "pixel_mapper",
    "tiles",
]

#: pixels per tile (about 2 MiB of coordinates and a few of features)
TILE_PIXELS = 2**18


@dataclass
class PixelMapper:
    """What a task needs to place pixels: a small, picklable object.

    Attributes
    ----------
    scaling : FeatureScaling
        The fit's columns are the image's channels, in order.
    X_train, Y_train : ndarray
        The fitted pixels (scaled) and their layout.
    metric : str
    k : int
        Neighbours averaged by ``"interpolate"``.
    network : list of ndarray, optional
        A parametric model's network (its layers, as
        :meth:`~napari_cne.engine.parametric.ParametricNetwork.layers` gives
        them) and its input scaling (``x_mean``, ``x_std``): then it places
        the pixels, each on its own (:func:`.kernels.mlp.forward` of the engine).
    channels : list of int, optional
        The image's channels the fit used (a constant one is left out of
        the fit): the values of the others are dropped first.
    """

    scaling: FeatureScaling
    X_train: np.ndarray
    Y_train: np.ndarray
    metric: str = "euclidean"
    k: int = 10
    network: list | None = None
    x_mean: np.ndarray | None = None
    x_std: np.ndarray | None = None
    n_jobs: int | None = None
    channels: list | None = None

    @property
    def n_components(self) -> int:
        """Coordinates per pixel."""
        return int(self.Y_train.shape[1])

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Return the coordinates of rows of channel values (n, n_ch) -> (n, c)."""
        from ..engine.kernels.mlp import forward
        from ..engine.transform import interpolate_points

        if self.channels is not None:
            values = values[:, self.channels]
        X = self.scaling.transform_values(values)
        if self.network is not None:
            return forward(X, self.x_mean, self.x_std, self.network)
        return interpolate_points(
            self.X_train, self.Y_train, X, self.k, self.metric, self.n_jobs
        )


def pixel_mapper(
    model, scaling: FeatureScaling, method: str, channels: list | None = None
) -> PixelMapper:
    """Return the mapper of a model fitted on pixels scaled by ``scaling``.

    ``method``: ``"network"`` (a parametric model's) or ``"interpolate"``
    (the fitted pixels nearest in feature space), as resolved by the
    workflow (:func:`napari_cne.app.every_pixel.pixel_method`);
    ``channels``: the image's channels the fit used.
    """
    if method not in ("network", "interpolate"):
        raise ValueError(f"pixels are placed by network or interpolate; got {method!r}")
    net = model.network_ if method == "network" else None
    if method == "network" and net is None:
        raise ValueError("method='network' needs a parametric model")
    return PixelMapper(
        scaling,
        np.asarray(model.training_data_, np.float32),
        np.asarray(model.embedding_, np.float32),
        model.metric_,
        network=None if net is None else net.layers(),
        x_mean=None if net is None else np.asarray(net.x_mean, np.float32),
        x_std=None if net is None else np.asarray(net.x_std, np.float32),
        n_jobs=getattr(model, "n_jobs_", None),
        channels=None if channels is None else list(channels),
    )


def tiles(spatial: tuple[int, ...], tile_pixels: int = TILE_PIXELS) -> list[tuple]:
    """Return the spatial slices that cut ``spatial`` into tiles of about that size."""
    side = max(1, int(round(tile_pixels ** (1.0 / len(spatial)))))
    steps = [range(0, n, side) for n in spatial]
    return [
        tuple(slice(a, min(a + side, n)) for a, n in zip(corner, spatial, strict=True))
        for corner in itertools.product(*steps)
    ]


@dataclass
class PixelMap:
    """The coordinates of every pixel: ``coords[c, *pixel]`` (NaN: not placed).

    Attributes
    ----------
    coords : numpy array or zarr array, shape (n_components, *spatial)
    complete : bool
        False when the run was stopped: only ``done`` of the tiles hold
        coordinates.
    done, total : int
        Tiles placed, and in all.
    """

    coords: object
    complete: bool
    done: int
    total: int

    @property
    def fraction(self) -> float:
        """Share of the tiles placed."""
        return self.done / max(self.total, 1)


def _channels_first(image, channel_axis):
    if channel_axis is None:
        return image[None] if hasattr(image, "ndim") and image.ndim else image
    axis = channel_axis % image.ndim
    if axis == 0:
        return image
    import dask.array as da

    if isinstance(image, np.ndarray):
        return np.moveaxis(image, axis, 0)
    return da.moveaxis(da.asarray(image), axis, 0)


def _tile_values(image_cf, mask, sl) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the tile's pixels as rows (in the mask only) and the mask."""
    region = np.asarray(image_cf[(slice(None), *sl)])
    if hasattr(region, "compute"):
        region = region.compute()
    values = region.reshape(region.shape[0], -1).T
    inside = None
    if mask is not None:
        inside = np.asarray(mask[sl]).reshape(-1) != 0
        values = values[inside]
    return values, inside


def _place_tile(mapper, image_cf, mask, sl):
    """Return the coordinates of one tile, shape (c, *tile) (NaN outside the mask)."""
    values, inside = _tile_values(image_cf, mask, sl)
    shape = tuple(s.stop - s.start for s in sl)
    out = np.full((mapper.n_components, int(np.prod(shape))), np.nan, np.float32)
    if values.shape[0]:
        Y = mapper(values)
        if inside is None:
            out[:] = Y.T
        else:
            out[:, inside] = Y.T
    return out.reshape(mapper.n_components, *shape)


def output_array(shape: tuple[int, ...], out=None):
    """Return the array the coordinates go to: numpy, or a Zarr array at ``out``.

    Filled with NaN (not placed).
    """
    if out is None:
        return np.full(shape, np.nan, np.float32)
    import zarr

    chunks = (shape[0], *[min(512, n) for n in shape[1:]])
    return zarr.open_array(
        str(out),
        mode="w",
        shape=shape,
        dtype="f4",
        fill_value=float("nan"),
        chunks=chunks,
    )


def map_pixels(
    image,
    mapper: PixelMapper,
    *,
    channel_axis: int | None = 0,
    mask=None,
    out=None,
    tile_pixels: int = TILE_PIXELS,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    client=None,
) -> PixelMap:
    """Place every pixel of ``image`` (in ``mask``), tile by tile.

    Parameters
    ----------
    image : array-like (numpy, dask or zarr)
        The image the fit's pixels came from (or another of the same
        channels), with its channel axis.
    mapper : PixelMapper
    channel_axis : int or None
    mask : array-like of bool, optional
        Of the spatial shape: pixels outside stay NaN.
    out : str or path, optional
        A Zarr array to write to (for images larger than memory); default
        a numpy array.
    tile_pixels : int
        Pixels per tile.
    progress : callable, optional
        ``progress(done, total)`` after every tile.
    should_stop : callable, optional
        Asked after every tile; True stops the run (the result says so).
    client : dask.distributed.Client, optional
        Run the tiles as tasks on its cluster.

    Returns
    -------
    PixelMap
    """
    image_cf = _channels_first(image, channel_axis)
    spatial = tuple(image_cf.shape[1:])
    if mask is not None and tuple(np.shape(mask)) != spatial:
        raise ValueError(
            f"the mask has shape {tuple(np.shape(mask))} but the image's pixels "
            f"are {spatial}"
        )
    parts = tiles(spatial, tile_pixels)
    coords = output_array((mapper.n_components, *spatial), out)
    done = 0

    def store(sl, values) -> None:
        coords[(slice(None), *sl)] = values

    if client is None:
        for sl in parts:
            store(sl, _place_tile(mapper, image_cf, mask, sl))
            done += 1
            if progress is not None:
                progress(done, len(parts))
            if should_stop is not None and should_stop():
                break
        return PixelMap(coords, done == len(parts), done, len(parts))
    return _map_distributed(
        client, mapper, image_cf, mask, parts, coords, store, progress, should_stop
    )


def _map_distributed(
    client, mapper, image_cf, mask, parts, coords, store, progress, should_stop
) -> PixelMap:
    """:func:`map_pixels` with the tiles as tasks of a dask.distributed cluster."""
    from distributed import as_completed

    # hash=False: keys of their own, so that a second call with the same data
    # does not race the release of the first call's (dask "lost dependencies")
    mapper_f = client.scatter(mapper, broadcast=True, hash=False)
    lazy = hasattr(image_cf, "dask")
    image_f = None
    if not lazy:
        image_f = client.scatter(np.asarray(image_cf), broadcast=True, hash=False)
    mask_f = None
    if mask is not None:
        mask_f = client.scatter(np.asarray(mask), broadcast=True, hash=False)
    futures = {}
    for sl in parts:
        img = image_cf[(slice(None), *sl)] if lazy else image_f
        tile_sl = tuple(slice(0, s.stop - s.start) for s in sl) if lazy else sl
        m = None
        if mask is not None:
            m = np.asarray(mask[sl]) if lazy else mask_f
        fut = client.submit(_remote_tile, mapper_f, img, m, tile_sl, lazy, pure=False)
        futures[fut] = sl
    done = 0
    stopped = False
    for fut in as_completed(list(futures), loop=client.loop):  # no default client
        store(futures[fut], fut.result())
        done += 1
        if progress is not None:
            progress(done, len(parts))
        if should_stop is not None and should_stop():
            stopped = True
            break
    if stopped:
        client.cancel(list(futures))
    return PixelMap(coords, done == len(parts), done, len(parts))


def _remote_tile(mapper, image, mask, sl, lazy: bool):
    """One tile on a worker (``image``: the tile itself when lazy, else all of it)."""
    if lazy and hasattr(image, "compute"):
        image = image.compute()
    if lazy and mask is not None:
        mask = np.asarray(mask)
    return _place_tile(mapper, image, mask, sl)


def memory_needed(spatial: tuple[int, ...], n_components: int) -> int:
    """Bytes of an in-memory :class:`PixelMap` (float32 coordinates)."""
    return int(4 * n_components * math.prod(spatial))
