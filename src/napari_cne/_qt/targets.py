"""Where the embedded objects live in the image, and how a selection is drawn.

Every embedded object has an integer *key* that names it in the image:

* ``"labels"``: the label id, or for a time-lapse ``frame * n_ids + label``
  (the same id in two frames is two objects);
* ``"pixels"``: the flat (C-order) index of the pixel in the spatial grid;
* ``"rows"``: the row of the source layer's features table (points,
  shapes, ... whose items are the objects);
* ``"sources"``: several Labels layers, each one's keys shifted by an
  offset (:class:`.sources.SourcesTarget`).

A selection is a set of keys, so it belongs to objects, not to coordinates,
and survives re-running the embedding. In the image it is drawn as an
*overlay* Labels layer on top of the source (the user's layers are never
recoloured): selected objects bright, other objects dimmed, classified
objects in their class colour. :func:`render_overlay` draws it with one
lookup-table gather over the label image, so its cost grows with the image,
not with the number of objects (timings: docs/performance.md, from
``benchmarks/brushing.py``).

Everything here is numpy / pandas only (napari is imported for the overlay
colormap alone); :class:`._linking.Linker` connects the layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba

__all__ = [
    "CLASS0",
    "DIMMED",
    "SELECTED",
    "Target",
    "current_index",
    "key_column",
    "keys_from_table",
    "overlay_colormap",
    "overlay_transform",
    "render_overlay",
    "unwrap",
]

#: overlay values: 0 transparent, then these, then one per class
SELECTED, DIMMED, CLASS0 = 1, 2, 3
SELECTED_RGBA = (1.0, 0.85, 0.0, 1.0)
DIMMED_RGBA = (0.0, 0.0, 0.0, 0.85)


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
    if target.kind == "sources":  # several Labels layers (.sources)
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


def overlay_colormap(class_colors: list[str]):
    """Return the napari colormap of the overlay values (0 transparent)."""
    from napari.utils.colormaps import DirectLabelColormap

    colors = {
        None: np.zeros(4),
        0: np.zeros(4),
        SELECTED: np.asarray(SELECTED_RGBA),
        DIMMED: np.asarray(DIMMED_RGBA),
    }
    for i, c in enumerate(class_colors):
        colors[CLASS0 + i] = np.asarray(to_rgba(c))
    return DirectLabelColormap(color_dict=colors)


def current_index(viewer, layer, axis: int) -> int | None:
    """Index along a data axis of ``layer`` at the viewer's current position."""
    if viewer is None:
        return None
    point = np.asarray(viewer.dims.point, float)[-layer.ndim :]
    data = np.asarray(layer.world_to_data(point), float)
    n = layer.data.shape[axis]
    return int(np.clip(np.round(data[axis]), 0, n - 1))


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
