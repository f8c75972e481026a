"""Every pixel placed after a pixel fit (worker thread; no Qt, no layers).

A pixel embedding is fitted on a subsample; with "Place every pixel" the
fit job goes on to give **every** pixel (in the mask) its coordinates with
:func:`napari_cne.features.pixel_map.map_pixels`, one band of tiles at a
time: the image (numpy, dask, Zarr, or a pyramid's finest level) is read
tile by tile, never whole. After every band the job yields its progress,
and :attr:`.jobs.Job.pixel_map` always holds what was placed so far, so a
stopped run hands over a partial map that the GUI marks as partial.
Before the run starts, :func:`memory_problem` checks that the results fit
into the memory available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..features.pixel_map import (
    TILE_PIXELS,
    PixelMap,
    map_pixels,
    memory_needed,
    pixel_mapper,
    tiles,
)
from ..features.pixel_sample import is_lazy

__all__ = [
    "MEMORY_SHARE",
    "ChannelPick",
    "available_memory",
    "finest_level",
    "memory_problem",
    "place_every_pixel",
]

#: the results may take at most this share of the memory available now
MEMORY_SHARE = 0.8
#: bytes per pixel beside the coordinates: the RGBA colours, the lasso mask
#: and the selection overlay of the sampled pixels
EXTRA_BYTES = 6


def available_memory() -> int:
    """Return the bytes of memory available now (psutil, else /proc/meminfo)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with distributed
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    return 2**63  # pragma: no cover - unknown: do not refuse


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def memory_problem(spatial: tuple[int, ...], n_components: int) -> str | None:
    """Return why every pixel cannot be placed in memory, or None if it fits.

    The coordinates (float32 per component), the RGBA image of position
    colours, the lasso mask and the selection overlay (6 bytes) per pixel,
    against
    :data:`MEMORY_SHARE` of the memory available.
    """
    need = memory_needed(spatial, n_components) + EXTRA_BYTES * math.prod(spatial)
    have = available_memory()
    if have is None or need <= MEMORY_SHARE * have:
        return None
    size = " × ".join(map(str, spatial))
    return (
        f"placing every pixel of {size} needs {_gib(need)} of memory but "
        f"{_gib(have)} is available; use a mask, a smaller image (or a "
        "coarser pyramid level), or untick 'Place every pixel'"
    )


def finest_level(pixel_data):
    """Return the full-resolution image: a pyramid's (list of levels) level 0."""
    if isinstance(pixel_data, (list, tuple)):
        return pixel_data[0]
    return pixel_data


@dataclass
class ChannelPick:
    """A mapper fed only the channels the fit kept (constant ones are dropped)."""

    mapper: object
    index: list

    @property
    def n_components(self) -> int:
        """Coordinates per pixel."""
        return self.mapper.n_components

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Place rows of all channel values."""
        return self.mapper(values[:, self.index])


def _mapper(job):
    ctx = job.ctx
    mapper = pixel_mapper(job.model, ctx.scaling)
    names = list(ctx.channel_names)
    used = list(ctx.scaling.columns)
    if used != names:
        mapper = ChannelPick(mapper, [names.index(c) for c in used])
    return mapper


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


def place_every_pixel(job):
    """Worker: place every pixel of a fitted pixel job, band by band.

    Yields ``(token, "map", (done, total))`` after every band (tiles done);
    :attr:`job.pixel_map` holds the coordinates placed so far throughout.
    Stops after the tile at hand once the job is cancelled.
    """
    ctx = job.ctx
    job.phase = "map"
    mapper = _mapper(job)
    image = finest_level(ctx.pixel_data)
    if is_lazy(image) and not hasattr(image, "dask"):
        import dask.array as da

        image = da.from_array(image, chunks=image.chunks)
    spatial = tuple(ctx.pixel_shape)
    tile = int(ctx.tile_pixels or TILE_PIXELS)
    coords = np.full((mapper.n_components, *spatial), np.nan, np.float32)
    pm = PixelMap(coords, False, 0, len(tiles(spatial, tile)))
    job.pixel_map = pm
    yield job.token, "map", (0, pm.total)
    client = job.client.get()
    for band in _bands(spatial, tile):
        part = map_pixels(
            _band_of(image, ctx.channel_axis, band),
            mapper,
            channel_axis=ctx.channel_axis,
            mask=None if ctx.mask is None else ctx.mask[band],
            tile_pixels=tile,
            should_stop=lambda: job.cancelled,
            client=client,
        )
        coords[:, band] = part.coords
        pm.done += part.done
        pm.complete = pm.done == pm.total
        yield job.token, "map", (pm.done, pm.total)
        if job.cancelled or not part.complete:
            break
