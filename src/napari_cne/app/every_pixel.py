"""Map every pixel: each pixel of an image placed in a map fitted on pixels.

A pixel embedding is fitted on a sample of pixels; :class:`EveryPixelRequest`
then gives **every** pixel (in the mask) its coordinates with
:func:`napari_cne.features.pixel_map.map_pixels`, one band of tiles at a
time: the image (numpy, dask, Zarr, or a pyramid's finest level) is read
tile by tile, never whole; the tiles run here or as tasks of a
dask.distributed cluster; the coordinates go to a numpy array or, for
images larger than memory, a Zarr array on disk. After every band the run
reports its progress and the :class:`~napari_cne.features.pixel_map.PixelMap`
so far, so a stopped run hands over a partial map, marked as such.

The method is resolved once (:func:`pixel_method`): the network of a
parametric fit, else ``interpolate``; pixels are never placed with
``optimize`` (millions of points each optimised: far too slow). Before the
run, :meth:`EveryPixelRequest.check` checks that the results fit into
memory (:mod:`.memory`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.path import Path as MplPath

from ..features.pixel_map import (
    TILE_PIXELS,
    PixelMap,
    map_pixels,
    memory_needed,
    output_array,
    pixel_mapper,
    tiles,
)
from ..features.pixel_sample import is_lazy
from .events import Note, Partial, Progress, Request
from .inputs import PixelGrid
from .memory import check_memory
from .models import FittedMap
from .scheduler import Scheduler

__all__ = [
    "PIXEL_METHODS",
    "EveryPixelRequest",
    "pixel_method",
    "pixels_in_polygon",
]

#: the ways every pixel is placed (``auto``: the network if there is one)
PIXEL_METHODS = ("auto", "network", "interpolate")
#: rows of the pixel grid tested against a polygon at a time
POLYGON_ROWS = 256


def pixel_method(has_network: bool, method: str = "auto") -> str:
    """Return how every pixel is placed: ``"network"`` or ``"interpolate"``.

    ``"auto"``: the network of a parametric fit, else ``interpolate``.

    Raises
    ------
    ValueError
        For ``optimize`` (objects and table rows only), a network without
        a parametric fit, or an unknown method.
    """
    if method == "optimize":
        raise ValueError(
            "pixels are placed with interpolate or network; optimize places "
            "objects and table rows"
        )
    if method not in PIXEL_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(PIXEL_METHODS)}; got {method!r}"
        )
    if method == "network" and not has_network:
        raise ValueError("method 'network' needs a parametric fit")
    if method == "auto":
        return "network" if has_network else "interpolate"
    return method


def _bands(spatial: tuple[int, ...], tile_pixels: int) -> list[slice]:
    """Slabs along the first spatial axis, one row of tiles high each."""
    first = tiles(spatial, tile_pixels)
    starts = sorted({sl[0].start for sl in first})
    stops = starts[1:] + [spatial[0]]
    return [slice(a, b) for a, b in zip(starts, stops, strict=True)]


def _band_of(image, channel_axis, band: slice):
    """Return the part of ``image`` (channel axis kept) in a band of spatial axis 0."""
    axis = 0
    if channel_axis is not None and channel_axis % image.ndim == 0:
        axis = 1
    index = [slice(None)] * image.ndim
    index[axis] = band
    return image[tuple(index)]


@dataclass(eq=False)
class EveryPixelRequest(Request, PixelGrid):
    """Place every pixel of an image in a map fitted on pixels.

    Parameters
    ----------
    fitted : FittedMap
        The map (a model fitted on pixels, the scaling of their channels).
    image : array-like or list of array-like
        numpy, dask or Zarr, with its channel axis (a pyramid: its levels,
        finest first; the finest is placed).
    channel_axis : int or None
    channel_names : list of str
        The image's channels, in order (the map may use fewer).
    mask : bool array of the spatial shape, optional
        Pixels outside stay NaN.
    method : {"auto", "network", "interpolate"}
    tile_pixels : int
        Pixels per tile (a task of the cluster).
    out : path, optional
        A Zarr array to write the coordinates to (default: in memory).
    scheduler : Scheduler or str
        Where the tiles run (shared with the fit before it).
    memory : mapping
        Further bytes the front end keeps per run (pictures, layers).
    remedy : str
        What the user can do when it does not fit (the memory message).
    """

    fitted: FittedMap
    image: Any
    channel_axis: int | None
    channel_names: list
    mask: Any = None
    method: str = "auto"
    tile_pixels: int = TILE_PIXELS
    out: Any = None
    scheduler: Any = ""
    memory: Mapping = field(default_factory=dict)
    remedy: str = "use a mask or a smaller image"
    name: str = "the image"
    kind = "every_pixel"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.resolved_method = ""
        self.notes: list[str] = []

    def used_channels(self) -> list[int]:
        """Return the image's channels the map uses (their positions)."""
        names = list(self.channel_names)
        return [names.index(c) for c in self.fitted.scaling.columns]

    def resolve(self, model) -> None:
        """Resolve the method with the fitted model (its network or not)."""
        self.resolved_method = pixel_method(model.network_ is not None, self.method)

    def check_before_fit(self, parametric: bool, n_components: int) -> list[str]:
        """Check what can be checked before the fit; return notes for the user.

        The method, the mask and the memory; the channels are checked once
        the map is fitted.
        """
        self.resolved_method = pixel_method(parametric, self.method)
        if self.mask is not None and tuple(np.shape(self.mask)) != self.spatial:
            raise ValueError(
                f"the mask has shape {tuple(np.shape(self.mask))} but the pixels "
                f"of {self.name} have shape {self.spatial}"
            )
        parts = dict(self.memory)
        if self.out is None:
            parts["coordinates"] = memory_needed(self.spatial, n_components)
        size = " × ".join(map(str, self.spatial))
        note = check_memory(
            parts, f"placing every pixel of {self.name} ({size})", self.remedy
        )
        self.notes = [note] if note else []
        return self.notes

    def _check(self) -> None:
        model = self.fitted.model
        shape = np.shape(self.finest)
        n = 1 if self.channel_axis is None else shape[self.channel_axis % len(shape)]
        fitted = list(self.fitted.channels)
        names = list(self.channel_names)
        if n != len(names) or not set(self.fitted.scaling.columns) <= set(names):
            raise ValueError(
                f"{self.name} has {n} channel(s); the map was fitted on "
                f"{len(fitted)} ({', '.join(map(str, fitted))})"
            )
        n_components = int(np.shape(model.embedding_)[1])
        self.check_before_fit(model.network_ is not None, n_components)

    def _run(self) -> Iterator:
        for text in self.notes:
            yield Note(text)
        scheduler = self.scheduler
        own = not isinstance(scheduler, Scheduler)
        if own:
            scheduler = Scheduler(scheduler)
        try:
            yield from self._map(scheduler.get())
        finally:
            if own:
                scheduler.close()

    def _map(self, client) -> Iterator:
        mapper = pixel_mapper(
            self.fitted.model,
            self.fitted.scaling,
            self.resolved_method,
            channels=self.used_channels(),
        )
        image = self.finest
        if is_lazy(image) and not hasattr(image, "dask"):
            import dask.array as da

            image = da.from_array(image, chunks=image.chunks)
        spatial, tile = self.spatial, int(self.tile_pixels or TILE_PIXELS)
        coords = output_array((mapper.n_components, *spatial), self.out)
        pm = PixelMap(coords, False, 0, len(tiles(spatial, tile)))
        yield Progress("map", 0, pm.total, "tile", "Placing every pixel… 0%")
        for band in _bands(spatial, tile):
            part = map_pixels(
                _band_of(image, self.channel_axis, band),
                mapper,
                channel_axis=self.channel_axis,
                mask=None if self.mask is None else self.mask[band],
                tile_pixels=tile,
                should_stop=lambda: self.stopped,
                client=client,
            )
            coords[:, band] = part.coords
            pm.done += part.done
            pm.complete = pm.done == pm.total
            percent = 100 * pm.done // max(pm.total, 1)
            text = f"Placing every pixel… {percent}%"
            yield Progress("map", pm.done, pm.total, "tile", text)
            yield Partial(pm)
            if self.stopped or not part.complete:
                break
        yield self._end(pm)


def pixels_in_polygon(
    coords, polygon: np.ndarray, rows: int = POLYGON_ROWS
) -> np.ndarray:
    """Return where per-pixel coordinates ``coords`` (c, *spatial) lie in a polygon.

    ``polygon`` is in the coordinates' own units (first two components);
    unplaced (NaN) pixels are outside. Computed ``rows`` at a time.
    """
    spatial = tuple(coords.shape[1:])
    out = np.zeros(spatial, np.uint8)
    path = MplPath(np.asarray(polygon, float))
    for start in range(0, spatial[0], rows):
        block = np.asarray(coords[:2, start : start + rows], np.float64)
        flat = block.reshape(2, -1).T
        ok = np.isfinite(flat).all(axis=1)
        inside = np.zeros(len(flat), bool)
        if ok.any():
            inside[ok] = path.contains_points(flat[ok])
        out[start : start + rows] = inside.reshape(block.shape[1:])
    return out


def pixel_bytes(spatial: tuple[int, ...], per_pixel: int) -> int:
    """Bytes of ``per_pixel`` bytes for every pixel of ``spatial``."""
    return int(per_pixel * math.prod(spatial))
