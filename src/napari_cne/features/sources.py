"""Many fields of view in one table: one row per object of every source.

Each source (a label image with its intensity images: a well, a field, a
file) is measured by :func:`~.objects.object_features`; the tables are
stacked with a ``source`` column first, so every object keeps where it came
from (``source``, ``label``, and ``frame`` for a time-lapse). The sources
may run as tasks of a dask.distributed cluster (``client``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .arrays import materialize
from .objects import object_features, object_positions

__all__ = [
    "MAX_CHANNELS",
    "SOURCE_COLUMN",
    "channel_axis_of",
    "split_channels",
    "sources_features",
]

#: the column that names each object's source
SOURCE_COLUMN = "source"
#: at most this many channels along a multichannel image's first axis
MAX_CHANNELS = 64


def channel_axis_of(shape, labels_shape, rgb: bool | None = None):
    """Return how an image of ``shape`` lines up with labels: the one rule.

    None: the labels' shape (one channel); an int: the channel axis of a
    multichannel image (the first, at most :data:`MAX_CHANNELS` channels, or
    the last); False: it does not line up. ``rgb`` (a napari layer's flag):
    True allows only the last axis, False only the first; None (a file)
    tries the first, then the last.
    """
    shape, labels_shape = tuple(shape), tuple(labels_shape)
    if shape == labels_shape:
        return False if rgb else None
    if len(shape) != len(labels_shape) + 1:
        return False
    if not rgb and shape[1:] == labels_shape and shape[0] <= MAX_CHANNELS:
        return 0
    if rgb is not False and shape[:-1] == labels_shape:
        return len(shape) - 1
    return False


def split_channels(image, labels_shape: tuple, name: str = "") -> dict:
    """Split a multichannel image into one array per channel (``ch0``, ...).

    The channel axis is the first one (at most 64 channels) or the last one
    (RGB-like; :func:`channel_axis_of`); an image of the labels' shape is
    one channel.
    """
    shape = tuple(np.shape(image))
    axis = channel_axis_of(shape, labels_shape)
    if axis is None:
        return {name or "intensity": image}
    prefix = f"{name}_" if name else ""
    if axis is not False and axis == 0:
        return {f"{prefix}ch{i}": image[i] for i in range(shape[0])}
    if axis is not False:
        return {f"{prefix}ch{i}": image[..., i] for i in range(shape[-1])}
    raise ValueError(
        f"image {name!r} of shape {shape} does not match labels of shape "
        f"{tuple(labels_shape)} (nor with one channel axis more)"
    )


def _load(value):
    """Read a path (numpy in memory), or compute a lazy array."""
    from pathlib import Path

    if isinstance(value, (str, Path)):
        from .images import read_image

        value = read_image(value, lazy=False)
    return materialize(value)


def _measure_one(
    name: str, labels, images: Mapping, time_axis, spacing, positions: bool = False
):
    """Return the table of one source, with its ``source`` column first."""
    lab = _load(labels)
    chans = {}
    for ch_name, img in images.items():
        chans.update(split_channels(_load(img), lab.shape, ch_name))
    table = object_features(lab, chans, spacing, time_axis=time_axis)
    if positions:
        ids = ["label", "frame"] if time_axis is not None else ["label"]
        where = object_positions(lab, time_axis).drop(columns=ids)
        for i, col in enumerate(where.columns):
            table.insert(len(ids) + i, col, where[col].to_numpy())
    table.insert(0, SOURCE_COLUMN, name)
    return table


def _check_channels(tables: Sequence[pd.DataFrame], names: Sequence[str]) -> None:
    first = list(tables[0].columns)
    for name, t in zip(names[1:], tables[1:], strict=True):
        if list(t.columns) != first:
            extra = sorted(set(t.columns) ^ set(first))
            raise ValueError(
                f"source {name!r} has other features than {names[0]!r} "
                f"(differing columns: {extra}); give every source the same "
                "channels, named alike"
            )


def sources_features(
    sources: Sequence,
    *,
    time_axis: int | None = None,
    spacing=None,
    client=None,
    positions: bool = False,
) -> pd.DataFrame:
    """Measure every object of every source: one table, a ``source`` column first.

    Parameters
    ----------
    sources : sequence of :class:`~.images.Source` or (name, labels, images)
        ``labels`` and the ``images`` values are arrays (numpy or lazy) or
        file paths; ``images`` maps channel names to images (a multichannel
        image is split into ``<name>_ch0``, ...).
    time_axis : int, optional
        As for :func:`~.objects.object_features`.
    spacing : optional
        Pixel size, the same for every source.
    client : dask.distributed.Client, optional
        Measure the sources as tasks on its cluster (the files are read by
        the workers); without it, one after the other here.
    positions : bool
        Add every object's centroid and bounding box (in pixels,
        :func:`~.objects.object_positions`) after its ids.

    Returns
    -------
    pandas.DataFrame
        ``source``, ``label`` (``frame``), then the features; the sources in
        the order given.

    Raises
    ------
    ValueError
        For no sources, two with one name, or sources with different
        channels (the message names them).
    """
    items = [
        (s.name, s.labels, s.images) if hasattr(s, "labels") else tuple(s)
        for s in sources
    ]
    if not items:
        raise ValueError("no sources to measure")
    names = [str(n) for n, _, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must differ; got {names}")
    if client is None:
        tables = [
            _measure_one(n, lab, imgs, time_axis, spacing, positions)
            for n, lab, imgs in items
        ]
    else:
        futures = [
            client.submit(
                _measure_one,
                n,
                lab,
                dict(imgs),
                time_axis,
                spacing,
                positions,
                pure=False,
            )
            for n, lab, imgs in items
        ]
        tables = client.gather(futures)
    _check_channels(tables, names)
    out = pd.concat(tables, ignore_index=True)
    out[SOURCE_COLUMN] = pd.Categorical(out[SOURCE_COLUMN], categories=names)
    return out
