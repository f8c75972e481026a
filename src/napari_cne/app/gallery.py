"""A gallery of a group's objects: which ones, and their crops (no Qt).

The widget (``widget.selection.gallery()``, the "Gallery" panel) and
scripts call :func:`group_gallery` with the fit's input, the keys of the
embedded objects with their layout, and the keys of a group (a selection,
a class, a cluster). It picks up to ``n`` of them
(:func:`napari_cne.analysis.gallery.pick_tiles`: the central ones and a
random sample), finds each key's field, frame and label id
(:func:`locate`), cuts every object out of its own field's label image
and images (for several Labels layers, each from its own; for a
time-lapse, from its own frame) and renders the tiles
(:mod:`napari_cne.render.gallery`). :func:`object_gallery` does the last
part for keys chosen elsewhere.

A gallery needs objects with outlines: an objects input, or the rows of a
Labels layer's table (then without images, the masks are shown). Pixels
and table rows without a label image get :data:`NEEDS_OBJECTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.gallery import CENTRAL, RANDOM, pick_tiles
from ..features.images import read_image
from ..features.sources import split_channels
from ..render.gallery import (
    box_side,
    crop_object,
    gallery_grid,
    object_boxes,
    render_tiles,
)
from .targets import SourcesTarget, Target, parts_of

__all__ = [
    "NEEDS_OBJECTS",
    "Gallery",
    "gallery_target",
    "group_gallery",
    "locate",
    "object_gallery",
]

NEEDS_OBJECTS = (
    "a gallery needs objects with outlines: embed a Labels layer "
    "(pixels and table rows have none)"
)


@dataclass(eq=False)
class Gallery:
    """The tiles of a gallery and the objects they show.

    Attributes
    ----------
    tiles : list of uint8 ndarray, shape (size, size, 3)
        One RGB tile per object (without frame or caption).
    table : pandas.DataFrame
        One row per tile: ``key`` (the object's key, see
        :mod:`.targets`), ``kind`` (``"central"`` or ``"random"``),
        ``source`` (the field's name, or None), ``label`` (its id there),
        ``frame`` (time-lapse, else -1), ``distance`` (to the group's
        centre in the layout; NaN for keys chosen elsewhere), and where the
        tile's centre is in the object's image: ``y``, ``x`` (and ``z``,
        the plane shown, for 3-D labels; else -1).
    group_size : int
        The group's members in the embedding (the tiles are up to n of them).
    """

    tiles: list
    table: pd.DataFrame
    group_size: int = 0
    options: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tiles)

    @property
    def keys(self) -> np.ndarray:
        """The key of each tile's object."""
        return self.table["key"].to_numpy(np.int64)

    @property
    def kinds(self) -> list[str]:
        """``"central"`` or ``"random"`` per tile."""
        return self.table["kind"].tolist()

    @property
    def captions(self) -> list[str]:
        """Each tile's caption: the label id (``"12 t3"``: in frame 3)."""
        return [
            f"{int(r.label)}" + (f" t{int(r.frame)}" if r.frame >= 0 else "")
            for r in self.table.itertuples()
        ]

    def describe(self, i: int) -> str:
        """Return what tile ``i`` shows, in words (a tooltip)."""
        r = self.table.iloc[i]
        where = f"{r['source']}, " if r["source"] is not None else ""
        when = f", frame {int(r['frame'])}" if r["frame"] >= 0 else ""
        why = (
            "one of the nearest to the group's centre in the map"
            if r["kind"] == CENTRAL
            else "a random member of the group"
        )
        return f"{where}label {int(r['label'])}{when}: {why}"

    def grid(self, columns: int | None = None, captions: bool = True) -> np.ndarray:
        """Return the tiles assembled into one RGB image, framed by kind."""
        return gallery_grid(
            self.tiles,
            self.kinds,
            self.captions if captions else None,
            columns=columns,
        )

    def save(self, path, columns: int | None = None) -> str:
        """Save :meth:`grid` as an image file (PNG, ...); returns the path."""
        import imageio.v3 as iio

        iio.imwrite(path, self.grid(columns))
        return str(path)


def _read(value):
    """Return an array: a file's (TIFF, .npy, Zarr; big ones lazily) or itself."""
    if isinstance(value, (str, Path)):
        return read_image(value)
    return value


def gallery_target(inp) -> Target | SourcesTarget:
    """Return the key space of an objects input's label images (no layers).

    The same keys as the widget's and the command line's
    (:func:`~.targets.keys_from_table` of the input's table), for scripts;
    label images given as files are read here.
    """
    if getattr(inp, "kind", None) != "objects":
        raise ValueError(NEEDS_OBJECTS)
    parts = [
        Target.for_labels(None, np.asarray(_read(s.labels)), inp.time_axis)
        for s in inp.sources
    ]
    if len(parts) == 1 and not inp.source_column:
        return parts[0]
    return SourcesTarget(parts, [s.name for s in inp.sources])


def locate(target, keys) -> pd.DataFrame:
    """Return where each key's object is: ``part``, ``label`` and ``frame``.

    ``part`` is the source's index in :func:`~.targets.parts_of`;
    ``frame`` is -1 without a time axis.

    Raises
    ------
    ValueError
        For pixels or table rows, or a key that names no object.
    """
    if target is None or target.kind not in ("labels", "sources"):
        raise ValueError(NEEDS_OBJECTS)
    keys = np.asarray(keys, np.int64)
    parts = parts_of(target)
    offsets = np.array([off for _, off in parts], np.int64)
    part = np.searchsorted(offsets, keys, side="right") - 1
    out = {"part": part, "label": np.zeros(len(keys), np.int64)}
    out["frame"] = np.full(len(keys), -1, np.int64)
    for i, (t, off) in enumerate(parts):
        at = np.flatnonzero(part == i)
        local = keys[at] - off
        n_ids = max(t.n_ids, 1)
        dense = local % n_ids if t.time_axis is not None else local
        if t.time_axis is not None:
            out["frame"][at] = local // n_ids
        frames = 1 if t.time_axis is None else t.shape[t.time_axis]
        bad = (dense <= 0) | (dense >= n_ids) | (local >= frames * n_ids)
        if bad.any():
            raise ValueError(f"key {int(keys[at][bad][0])} names no object")
        out["label"][at] = dense if t.ids is None else t.ids[dense - 1]
    if (part < 0).any():
        raise ValueError(f"key {int(keys[part < 0][0])} names no object")
    return pd.DataFrame(out)


def _at_frame(arr, frame: int, axis: int | None):
    """Return one frame of an array (numpy, dask, zarr: only it is read)."""
    if axis is None or frame < 0:
        return arr
    return arr[(slice(None),) * axis + (int(frame),)]


def _images_of(inp, target) -> tuple[list[dict], list[str]]:
    """Return each part's images (channel -> array) and the channels' names."""
    n = len(parts_of(target))
    if getattr(inp, "kind", None) != "objects":
        return [{} for _ in range(n)], []  # a Labels layer's table: masks only
    by_name = {s.name: s.images for s in inp.sources}
    names = getattr(target, "names", None)
    if names is not None and all(nm in by_name for nm in names):
        given = [by_name[nm] for nm in names]
    elif len(inp.sources) == n:
        given = [s.images for s in inp.sources]
    else:
        raise ValueError("the input's label images do not match the embedding's")
    images = []  # files read (lazily when big), multichannel ones split
    for (part, _), imgs in zip(parts_of(target), given, strict=True):
        split = {}
        for name, img in imgs.items():
            split.update(split_channels(_read(img), part.labels.shape, name))
        images.append(split)
    channels = list(images[0])
    for imgs in images:
        if list(imgs) != channels:
            raise ValueError("every field needs the same channels for a gallery")
    return images, channels


def object_gallery(
    inp,
    keys,
    kinds=None,
    *,
    target=None,
    size: int = 96,
    margin: float = 0.25,
    same_scale: bool = True,
    contrast: str = "gallery",
) -> Gallery:
    """Render the tiles of given objects (see :mod:`napari_cne.render.gallery`).

    Parameters
    ----------
    inp : ObjectsInput (or a Labels layer's TableInput, with ``target``)
        The fit's input: where the images are.
    keys : array-like of int
        The objects (keys of ``target``).
    kinds : sequence of str, optional
        ``"central"`` / ``"random"`` per key (default all random).
    target : Target or SourcesTarget, optional
        The key space (the widget's); default :func:`gallery_target`.
    size, margin, same_scale, contrast
        The tiles' side in pixels, the room around each object (a share of
        its size), one window size for all objects (relative sizes kept),
        and the display range (over the gallery or per tile).

    Raises
    ------
    ValueError
        For pixels or table rows (:data:`NEEDS_OBJECTS`) or unknown keys.
    """
    target = gallery_target(inp) if target is None else target
    keys = np.asarray(keys, np.int64)
    where = locate(target, keys)
    kinds = [RANDOM] * len(keys) if kinds is None else list(kinds)
    if len(kinds) != len(keys):
        raise ValueError("one kind per key is needed")
    images, channels = _images_of(inp, target)
    parts = parts_of(target)
    boxes = {}
    for (i, frame), rows in where.groupby(["part", "frame"]).groups.items():
        t = parts[i][0]
        labels = _at_frame(t.labels, frame, t.time_axis)
        found = object_boxes(labels, where.loc[rows, "label"])
        boxes.update({(i, frame, lab): b for lab, b in found.items()})
    slots = list(zip(where["part"], where["frame"], where["label"], strict=True))
    missing = [s for s in slots if s not in boxes]
    if missing:
        raise ValueError(f"label {missing[0][2]} is not in its image")
    side = max(box_side(boxes[s], margin) for s in slots) if same_scale else None
    crops = []
    for i, frame, label in slots:
        t = parts[i][0]
        crops.append(
            crop_object(
                _at_frame(t.labels, frame, t.time_axis),
                [_at_frame(images[i][c], frame, t.time_axis) for c in channels],
                label,
                margin=margin,
                side=side,
                box=boxes[(i, frame, label)],
            )
        )
    tiles = render_tiles(crops, size=size, names=channels, contrast=contrast)
    names = getattr(target, "names", None)
    table = pd.DataFrame(
        {
            "key": keys,
            "kind": kinds,
            "source": [None if names is None else names[i] for i in where["part"]],
            "label": where["label"].to_numpy(),
            "frame": where["frame"].to_numpy(),
            "distance": np.nan,
            "z": [-1 if c.plane is None else c.plane for c in crops],
            "y": [c.centre[-2] for c in crops],
            "x": [c.centre[-1] for c in crops],
        }
    )
    options = {"size": size, "margin": margin, "same_scale": same_scale}
    return Gallery(tiles, table, len(keys), {**options, "contrast": contrast})


def group_gallery(
    inp,
    layout,
    layout_keys,
    group_keys,
    *,
    target=None,
    n: int = 48,
    central: float = 0.5,
    random_state=0,
    **tile_options,
) -> Gallery:
    """Pick up to ``n`` objects of a group and render their tiles.

    Parameters
    ----------
    inp : ObjectsInput
        The fit's input (``fit.input``).
    layout : array-like, shape (n_objects, n_dims)
        The embedding (the layer's points or ``cne_*`` columns).
    layout_keys : array-like of int
        The key of each layout row.
    group_keys : array-like of int
        The group's objects (the selection, a class's or cluster's keys).
    target : Target or SourcesTarget, optional
        The key space (the widget's); default :func:`gallery_target`.
    n, central, random_state
        See :func:`napari_cne.analysis.gallery.pick_tiles`.
    **tile_options
        ``size``, ``margin``, ``same_scale``, ``contrast``
        (:func:`object_gallery`).

    Raises
    ------
    ValueError
        For pixels or table rows, or a group none of whose objects is in
        the embedding.
    """
    if target is not None and target.kind not in ("labels", "sources"):
        raise ValueError(NEEDS_OBJECTS)
    target = gallery_target(inp) if target is None else target
    layout_keys = np.asarray(layout_keys, np.int64)
    members = np.isin(layout_keys, np.asarray(group_keys, np.int64))
    if not members.any():
        raise ValueError("none of the group's objects is in the embedding")
    picked = pick_tiles(layout, members, n, central=central, random_state=random_state)
    keys = layout_keys[picked["row"].to_numpy()]
    gallery = object_gallery(
        inp, keys, picked["kind"].tolist(), target=target, **tile_options
    )
    gallery.table["distance"] = picked["distance"].to_numpy()
    gallery.group_size = int(members.sum())
    return gallery
