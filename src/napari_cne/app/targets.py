"""Where the embedded objects live in the image, and how a selection is drawn.

Every embedded object has an integer *key* that names it in the image:

* ``"labels"``: the label id, or for a time-lapse ``frame * n_ids + label``
  (the same id in two frames is two objects);
* ``"pixels"``: the flat (C-order) index of the pixel in the spatial grid;
* ``"rows"``: the row of the source layer's features table (points,
  shapes, ... whose items are the objects);
* ``"sources"``: several Labels layers, each one's keys shifted by an
  offset (:class:`SourcesTarget`).

A selection is a set of keys, so it belongs to objects, not to coordinates,
and survives re-running the embedding. In the image it is drawn as an
*overlay* Labels layer on top of the source (the user's layers are never
recoloured): selected objects bright, other objects dimmed, classified
objects in their class colour. :func:`render_overlay` draws it with one
lookup-table gather over the label image, so its cost grows with the image,
not with the number of objects (timings: docs/performance.md, from
``benchmarks/brushing.py``).

Everything here is numpy / pandas only; the widget's ``Linker``
(``_qt/linking.py``) connects the layers and colours the overlay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..features.sources import SOURCE_COLUMN

__all__ = [
    "CLASS0",
    "DIMMED",
    "SELECTED",
    "SourcesTarget",
    "Target",
    "key_column",
    "keys_from_table",
    "local_keys",
    "overlay_transform",
    "parts_of",
    "render_overlay",
    "unwrap",
]

#: overlay values: 0 transparent, then these, then one per class
SELECTED, DIMMED, CLASS0 = 1, 2, 3


def unwrap(obj):
    """Return the object behind napari's PublicOnlyProxy (for identity tests)."""
    return getattr(obj, "__wrapped__", obj)


@dataclass(eq=False)
class Target:
    """Where the embedded objects live in the image.

    Attributes
    ----------
    kind : str
        ``"labels"``, ``"pixels"`` or ``"rows"``.
    layer : napari layer
        The source layer (Labels, Image, or a layer with a features table).
    shape : tuple of int
        Shape of the label image (labels, time axis included) or of the
        pixel grid (pixels, channel axis removed); ``()`` for rows.
    labels : ndarray or None
        The label image (labels only).
    time_axis : int or None
        Axis of ``labels`` that is time (labels only).
    n_ids : int
        ``labels.max() + 1``: the key stride per frame.
    scale, translate : tuple of float, optional
        World transform of the overlay when it differs from the layer's
        (pixels of a multichannel image: the channel axis is dropped).
    """

    kind: str
    layer: Any
    shape: tuple[int, ...] = ()
    labels: np.ndarray | None = None
    time_axis: int | None = None
    n_ids: int = 0
    scale: tuple[float, ...] | None = None  # of the overlay (default: layer's)
    translate: tuple[float, ...] | None = None
    ids: np.ndarray | None = None  # sparse ids: the sorted object ids
    dense: np.ndarray | None = None  # ... and the labels renumbered 1..N

    #: above this largest label id, ids are renumbered for the lookup tables
    SPARSE_IDS = 2**24

    @classmethod
    def for_labels(cls, layer, labels: np.ndarray, time_axis: int | None = None):
        """Target for a label image; renumbers huge or sparse ids internally."""
        top = int(labels.max()) if labels.size else 0
        common = {"shape": labels.shape, "labels": labels, "time_axis": time_axis}
        if top <= cls.SPARSE_IDS:
            return cls("labels", layer, n_ids=top + 1, **common)
        from skimage.segmentation import relabel_sequential

        ids = np.unique(labels)
        ids = ids[ids > 0].astype(np.int64)
        dense = relabel_sequential(labels)[0]
        return cls("labels", layer, n_ids=len(ids) + 1, ids=ids, dense=dense, **common)

    def object_keys(self, ids, frames=None) -> np.ndarray:
        """Keys of objects given their label ids (and frames, time-lapse)."""
        ids = np.asarray(ids, np.int64)
        if self.ids is not None:
            pos = np.searchsorted(self.ids, ids)
            pos = np.minimum(pos, len(self.ids) - 1)
            ids = np.where(self.ids[pos] == ids, pos + 1, 0)
        if self.time_axis is not None:
            return np.asarray(frames, np.int64) * self.n_ids + ids
        return ids

    @property
    def has_image(self) -> bool:
        """Whether the selection can be drawn as an overlay on an image."""
        return self.kind in ("labels", "pixels")

    def key_of(self, value, frame: int | None = None) -> int | None:
        """Key of the object under the cursor (label value), or None."""
        if value is None:
            return None
        try:
            value = int(value)
        except (TypeError, ValueError):
            return None
        if value <= 0:
            return None
        if self.time_axis is not None and frame is None:
            return None
        key = int(self.object_keys([value], None if frame is None else [frame])[0])
        return key if key % max(self.n_ids, 1) else None

    def frames_of(self, keys: np.ndarray) -> np.ndarray | None:
        """Frame of every key (time-lapse labels), else None."""
        if self.kind != "labels" or self.time_axis is None:
            return None
        return np.asarray(keys, np.int64) // self.n_ids

    @property
    def identity(self) -> tuple:
        """What the keys refer to: the same layer, kind and grid (the objects)."""
        return (id(unwrap(self.layer)), self.kind, tuple(self.shape))


def keys_from_table(df: pd.DataFrame, target: Target, id_name: str) -> np.ndarray:
    """Object key of every row of a table (see :mod:`.linking`).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows = objects; holds ``id_name`` (labels), ``frame`` (time-lapse)
        or ``pixel`` (pixels).
    target : Target
    id_name : str
        The id column (labels mode).

    Raises
    ------
    KeyError
        When a needed column is missing.
    """
    if target.kind == "pixels":
        return df["pixel"].to_numpy(np.int64)
    if target.kind == "sources":  # several Labels layers
        return target.keys_of_table(df, id_name)
    if target.kind == "rows":
        return np.arange(len(df), dtype=np.int64)
    ids = df[id_name].to_numpy(np.int64)
    frames = df["frame"].to_numpy(np.int64) if target.time_axis is not None else None
    return target.object_keys(ids, frames)


def key_column(df: pd.DataFrame, id_name: str) -> str:
    """Return the column of a source layer's table that holds the object ids."""
    for c in (id_name, "label", "index"):
        if c in df.columns:
            return c
    raise KeyError(id_name)


def render_overlay(
    target: Target,
    selected: np.ndarray,
    class_keys: np.ndarray | None = None,
    class_codes: np.ndarray | None = None,
    out: np.ndarray | None = None,
    dim: bool = False,
) -> np.ndarray:
    """Draw a selection (and classes) as overlay values, one per pixel.

    Parameters
    ----------
    target : Target
        ``"labels"`` or ``"pixels"``.
    selected : array of int
        Keys of the selected objects.
    class_keys, class_codes : arrays of int, optional
        Classified objects and the index of their class.
    out : ndarray of uint8, optional
        Written in place when given (same shape as the image).
    dim : bool
        Dim the unselected objects even when none of them is selected (a
        selection in another source of the same embedding).

    Returns
    -------
    ndarray of uint8, shape ``target.shape``
        0 = transparent, :data:`SELECTED`, :data:`DIMMED` (an unselected,
        unclassified object while something is selected), ``CLASS0 + code``.
    """
    selected = np.asarray(selected, np.int64)
    if out is None:
        out = np.zeros(target.shape, np.uint8)
    if target.kind == "pixels":
        flat = out.reshape(-1)
        flat[:] = 0
        if class_keys is not None and len(class_keys):
            flat[class_keys] = CLASS0 + np.asarray(class_codes)
        flat[selected] = SELECTED
        return out
    if target.kind != "labels":
        raise ValueError(f"no overlay for {target.kind!r} targets")
    n_frames = 1 if target.time_axis is None else target.shape[target.time_axis]
    fill = DIMMED if len(selected) or dim else 0
    lut = np.full((n_frames, target.n_ids), fill, np.uint8)
    lut[:, 0] = 0
    flat_lut = lut.reshape(-1)  # index = frame * n_ids + label = the key
    if class_keys is not None and len(class_keys):
        flat_lut[class_keys] = CLASS0 + np.asarray(class_codes)
    flat_lut[selected] = SELECTED
    image = target.labels if target.dense is None else target.dense
    if target.time_axis is None:
        np.take(lut[0], image, out=out)
    else:
        labels = np.moveaxis(image, target.time_axis, 0)
        view = np.moveaxis(out, target.time_axis, 0)
        for t in range(n_frames):  # per frame: no big temporary index arrays
            np.take(lut[t], labels[t], out=view[t])
    return out


def overlay_transform(target: Target) -> dict:
    """Scale and translate (etc.) that put an overlay on the source layer."""
    src = target.layer
    if target.scale is not None:
        return {"scale": target.scale, "translate": target.translate}
    return {
        "scale": src.scale,
        "translate": src.translate,
        "rotate": src.rotate,
        "shear": src.shear,
    }


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
