"""Many Labels layers in one embedding: images per source, keys, the target.

Several Labels layers (fields of view, wells, tiles of a slide) are
measured together by :func:`napari_cne.features.sources.sources_features`
into one table with a categorical ``source`` column (the layer names).

* :func:`pair_images`: which ticked images belong to which Labels layer:
  those of its shape (a multichannel image: with one axis more); an image
  that fits several of them goes to the ones at its place in the world
  (same extent), else to all of them (two segmentations of one field).
* :func:`channel_names`: every source must have as many images; the k-th
  images of all sources are one channel, named by what their names have in
  common (``DNA top`` and ``DNA bottom``: ``DNA``), else ``ch<k>``.
* :class:`SourcesTarget`: the objects of all sources as one key space,
  every source's keys shifted by an offset, so that selections and classes
  span the sources and each Labels layer lights up its own objects.

No Qt here; napari layers are only read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..features.sources import SOURCE_COLUMN
from .targets import Target, keys_from_table

__all__ = [
    "SourcesTarget",
    "channel_names",
    "common_name",
    "local_keys",
    "pair_images",
    "parts_of",
    "same_place",
]

_SEP = " _-.:/"


def same_place(image, labels) -> bool:
    """Return whether an image covers the same world region as a Labels layer."""
    n = labels.ndim
    a = np.asarray(image.extent.world, float)[:, -n:]
    b = np.asarray(labels.extent.world, float)[:, -n:]
    return a.shape == b.shape and np.allclose(a, b)


def pair_images(labels_layers, images, fits) -> dict[str, list]:
    """Return the images of every Labels layer (by its name), in ``images`` order.

    Parameters
    ----------
    labels_layers : list of napari Labels layers
    images : list of napari Image layers
        The candidates (the ticked ones).
    fits : callable
        ``fits(image, labels)``: whether the shapes line up.
    """
    fit = {lab.name: [im for im in images if fits(im, lab)] for lab in labels_layers}
    out = {}
    for lab in labels_layers:
        mine = []
        for im in fit[lab.name]:
            owners = [other for other in labels_layers if im in fit[other.name]]
            if len(owners) > 1:
                here = [other for other in owners if same_place(im, other)]
                if here and lab not in here:
                    continue  # it lies on another Labels layer
            mine.append(im)
        out[lab.name] = mine
    return out


def _trim_prefix(p: str, names: list[str]) -> str:
    """Cut a common prefix back to a word boundary (``DNA 1``, ``DNA 10``: ``DNA``)."""
    if all(len(n) == len(p) or n[len(p)] in _SEP for n in names) or p[-1:] in _SEP:
        return p
    cut = max(p.rfind(c) for c in _SEP)
    return p[: cut + 1] if cut >= 0 else ""


def common_name(names: list[str]) -> str:
    """Return what a list of names shares: its common prefix and suffix, whole words."""
    names = [str(n) for n in names]
    if len(set(names)) == 1:
        return names[0]
    pre = _trim_prefix(os.path.commonprefix(names), names)
    rest = [n[len(pre) :] for n in names]
    rev = [n[::-1] for n in rest]
    suf = _trim_prefix(os.path.commonprefix(rev), rev)[::-1]
    return re.sub(r"\s+", " ", (pre + suf).strip(_SEP))


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[ _\-.:/]+", name) if w]


def channel_names(per_source: dict[str, list[str]]) -> list[str]:
    """Return the channel names of sources' images (the k-th of each: channel k).

    A channel is named by what its images' names share, less the words all
    the sources' (Labels layers') names share: ``DNA field 1``, ``DNA field
    2`` of ``nuclei field 1``, ``nuclei field 2`` give ``DNA``.

    Raises
    ------
    ValueError
        When the sources have different numbers of images (names them).
    """
    items = list(per_source.items())
    counts = {name: len(images) for name, images in items}
    if len(set(counts.values())) > 1:
        listed = "; ".join(
            f"{name!r}: {', '.join(map(repr, imgs)) or 'none'}" for name, imgs in items
        )
        raise ValueError(
            "every Labels layer needs the same channels (as many images, in the "
            f"same order); the ticked images per layer are {listed}"
        )
    # words every source's own name has ("field" of "nuclei field 1", ...)
    # say nothing about the channel
    shared = set(_words(common_name([name for name, _ in items])))
    out: list[str] = []
    for k in range(len(items[0][1])):
        name = common_name([imgs[k] for _, imgs in items])
        kept = [w for w in re.split(r"([ _\-.:/]+)", name) if w not in shared]
        name = (
            "".join(kept).strip(_SEP) if _words("".join(kept)) else name
        ) or f"ch{k}"
        while name in out:
            name = f"{name}_{k}"
        out.append(name)
    return out


@dataclass(eq=False)
class SourcesTarget:
    """The objects of several Labels layers, as one key space.

    A key is ``offsets[i] + key`` of source ``i``'s own
    :class:`~.targets.Target` (its label id, or ``frame * n_ids + id``).

    Attributes
    ----------
    parts : list of Target
        One ``"labels"`` target per source, in the table's order.
    names : list of str
        The sources (the Labels layers' names): the categories of the
        ``source`` column.
    """

    parts: list[Target]
    names: list[str]
    offsets: list[int] = field(default_factory=list)
    kind: str = "sources"

    def __post_init__(self) -> None:
        sizes = [_key_space(p) for p in self.parts]
        self.offsets = [int(v) for v in np.concatenate([[0], np.cumsum(sizes)[:-1]])]

    @property
    def layer(self):
        """The first source's layer (where the viewer and time are read)."""
        return self.parts[0].layer

    @property
    def time_axis(self):
        """The time axis of the sources (all alike)."""
        return self.parts[0].time_axis

    @property
    def shape(self) -> tuple[int, ...]:
        """The first source's shape."""
        return self.parts[0].shape

    @property
    def has_image(self) -> bool:
        """Selections are drawn on every source's image."""
        return True

    @property
    def identity(self) -> tuple:
        """The sources' layers, kinds and grids."""
        return ("sources", *(p.identity for p in self.parts))

    def keys_of_table(self, df: pd.DataFrame, id_name: str) -> np.ndarray:
        """Return the key of every row of a table with a ``source`` column."""
        codes = pd.Categorical(df[SOURCE_COLUMN], categories=self.names).codes
        out = np.full(len(df), -1, np.int64)
        for i, part in enumerate(self.parts):
            rows = np.flatnonzero(codes == i)
            if rows.size:
                local = keys_from_table(df.iloc[rows], part, id_name)
                out[rows] = local + self.offsets[i]
        return out

    def local(self, i: int, keys) -> np.ndarray:
        """Return the keys of source ``i`` among ``keys``, as its own keys."""
        keys = np.asarray(keys, np.int64)
        lo = self.offsets[i]
        hi = lo + _key_space(self.parts[i])
        return keys[(keys >= lo) & (keys < hi)] - lo

    def local_codes(self, i: int, keys, codes) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`local`, with the class codes that go with the keys."""
        keys, codes = np.asarray(keys, np.int64), np.asarray(codes, np.int64)
        lo = self.offsets[i]
        inside = (keys >= lo) & (keys < lo + _key_space(self.parts[i]))
        return keys[inside] - lo, codes[inside]

    def frames_of(self, keys) -> np.ndarray | None:
        """Frame of every key (time-lapse sources), else None."""
        if self.time_axis is None:
            return None
        keys = np.asarray(keys, np.int64)
        out = np.zeros(len(keys), np.int64)
        for i, part in enumerate(self.parts):
            lo, size = self.offsets[i], _key_space(part)
            inside = (keys >= lo) & (keys < lo + size)
            out[inside] = (keys[inside] - lo) // part.n_ids
        return out


def _key_space(part: Target) -> int:
    """How many keys one source's objects may take."""
    frames = 1 if part.time_axis is None else part.shape[part.time_axis]
    return int(frames * max(part.n_ids, 1))


def parts_of(target) -> list[tuple[Target, int]]:
    """Return ``(target, key offset)`` of every source (one for single targets)."""
    if target is None:
        return []
    if target.kind == "sources":
        return list(zip(target.parts, target.offsets, strict=True))
    return [(target, 0)]


def local_keys(target, i: int, keys, codes=None):
    """Return the keys (and codes) of part ``i`` of ``target`` as its own keys."""
    if target.kind != "sources":
        keys = np.asarray(keys, np.int64)
        return keys if codes is None else (keys, np.asarray(codes, np.int64))
    if codes is None:
        return target.local(i, keys)
    return target.local_codes(i, keys, codes)
