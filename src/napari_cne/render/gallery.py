"""Gallery tiles of objects: crops of their images with their outlines (no Qt).

Every object is cut out of its own image (:func:`crop_object`): a square
window around its bounding box with a margin, the object's mask beside it.
:func:`render_tiles` turns the crops into RGB tiles of one size:

* intensities scaled per channel between percentiles (1 and 99.5) of the
  pixels of *all* crops together (``contrast="gallery"``), so a bright
  object looks brighter than a dim one, as in the image; ``"tile"`` scales
  every crop on its own (faint structure in dim objects);
* one channel in grey; several as a composite, each in its own colour
  (:func:`channel_colors`: green, magenta, cyan, ...; red, green, blue for
  the ``_R``/``_G``/``_B`` channels of an RGB image); no image: the mask;
* the object's outline (its inner boundary, one tile pixel wide) in
  yellow; the part of the window outside the image in dark grey;
* by default one window size for all (that of the largest object with its
  margin), so objects keep their relative sizes; ``same_scale=False``
  fills every tile with its object.

:func:`gallery_grid` assembles tiles into one image, each framed in the
colour of its kind (:data:`KIND_COLORS`: which tiles are central and which
random, see :mod:`napari_cne.analysis.gallery`) with an optional caption.
3-D objects show the plane (z) where they are largest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb
from scipy import ndimage
from skimage.segmentation import find_boundaries
from skimage.transform import resize

__all__ = [
    "KIND_COLORS",
    "OUTLINE",
    "Crop",
    "channel_colors",
    "channel_limits",
    "box_side",
    "crop_object",
    "frame_tile",
    "gallery_grid",
    "object_boxes",
    "render_tiles",
]

#: the frame of a tile, per kind (orange and blue: told apart by all)
KIND_COLORS = {"central": "#ff8c00", "random": "#1e90ff"}
#: the object's outline (the colour of a selection in the image)
OUTLINE = "#ffd800"
#: the window outside the image
OUTSIDE = (0.16, 0.16, 0.16)
#: composite colours of channels 1, 2, ... (several channels)
CHANNEL_COLORS = ("#00ff00", "#ff00ff", "#00ffff", "#ffff00", "#ff0000", "#0000ff")
_RGB = {"R": "#ff0000", "G": "#00ff00", "B": "#0000ff"}


@dataclass(eq=False)
class Crop:
    """A square window around one object.

    Attributes
    ----------
    channels : ndarray of float32, shape (n_channels, side, side)
        The images in the window (NaN outside the image).
    mask : bool ndarray, shape (side, side)
        The object's pixels.
    inside : bool ndarray, shape (side, side)
        The window's pixels that lie in the image.
    origin : tuple of int
        The window's top-left corner in the image (may be negative).
    plane : int or None
        3-D labels: the plane (z) shown.
    """

    channels: np.ndarray
    mask: np.ndarray
    inside: np.ndarray
    origin: tuple
    plane: int | None = None

    @property
    def centre(self) -> tuple[float, ...]:
        """The window's centre in the image: ``(y, x)``, or ``(z, y, x)``."""
        side = self.mask.shape[0]
        yx = tuple(float(o + side / 2 - 0.5) for o in self.origin)
        return yx if self.plane is None else (float(self.plane), *yx)


def object_boxes(labels: np.ndarray, ids) -> dict[int, tuple[slice, ...]]:
    """Return the bounding box (slices) of every object of ``ids``, in one pass.

    Objects that are not in ``labels`` are left out of the answer.
    """
    labels = np.asarray(labels)
    ids = np.unique(np.asarray(ids, np.int64))
    if not ids.size:
        return {}
    pos = np.searchsorted(ids, labels)
    hit = ids[np.minimum(pos, ids.size - 1)] == labels
    index = np.where(hit, pos + 1, 0)
    boxes = ndimage.find_objects(index, max_label=ids.size)
    return {int(i): b for i, b in zip(ids, boxes, strict=True) if b is not None}


def crop_object(
    labels: np.ndarray,
    images: Sequence = (),
    label: int = 1,
    *,
    margin: float = 0.25,
    side: int | None = None,
    box: tuple[slice, ...] | None = None,
) -> Crop:
    """Cut the square window around one object out of its labels and images.

    Parameters
    ----------
    labels : ndarray, 2-D (or 3-D: the plane where the object is largest)
        The label image of the object's own field (and frame).
    images : sequence of array-like
        The channels, each of the shape of ``labels`` (numpy, dask, ...:
        only the window is read).
    label : int
        The object's id.
    margin : float
        Room around the object, as a share of its bounding box's longer
        side, on each side (``side`` None).
    side : int, optional
        The window's side in pixels (the same for all objects of a
        gallery); the object is centred in it.
    box : tuple of slice, optional
        The object's bounding box (:func:`object_boxes`), found here when
        not given.

    Raises
    ------
    ValueError
        When the object is not in ``labels``, or an image has another shape.
    """
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3):
        raise ValueError(f"gallery crops need 2-D or 3-D labels, got {labels.ndim}-D")
    if box is None:
        box = object_boxes(labels, [label]).get(int(label))
        if box is None:
            raise ValueError(f"label {label} is not in the image")
    z = None
    if labels.ndim == 3:  # the plane where the object is largest
        area = (labels[box] == label).sum(axis=(1, 2))
        z = box[0].start + int(np.argmax(area))
    plane = labels if z is None else labels[z]
    (y0, y1), (x0, x1) = [(s.start, s.stop) for s in box[-2:]]
    if side is None:
        side = box_side(box, margin)
    side = max(int(side), 4)
    top = (y0 + y1 - side) // 2
    left = (x0 + x1 - side) // 2
    h, w = plane.shape
    sy = slice(max(top, 0), min(top + side, h))
    sx = slice(max(left, 0), min(left + side, w))
    dst = (slice(sy.start - top, sy.stop - top), slice(sx.start - left, sx.stop - left))
    mask = np.zeros((side, side), bool)
    mask[dst] = plane[sy, sx] == label
    inside = np.zeros((side, side), bool)
    inside[dst] = True
    channels = np.full((len(images), side, side), np.nan, np.float32)
    for c, img in enumerate(images):
        if tuple(np.shape(img)) != labels.shape:
            raise ValueError(
                f"image of shape {tuple(np.shape(img))} does not match the "
                f"labels {labels.shape}"
            )
        index = (sy, sx) if z is None else (z, sy, sx)
        channels[c][dst] = np.asarray(img[index], dtype=np.float32)
    return Crop(channels, mask, inside, (top, left), z)


def box_side(box: tuple[slice, ...], margin: float = 0.25) -> int:
    """Return the window side of a box: its longer (y, x) side with the margin."""
    longest = max(s.stop - s.start for s in box[-2:])
    return max(int(np.ceil(longest * (1 + 2 * float(margin)))), 4)


def channel_colors(n: int, names: Sequence[str] | None = None) -> list[tuple]:
    """Return the composite colour (RGB in 0 ... 1) of each of ``n`` channels.

    One channel: white (grey scale). The ``_R``/``_G``/``_B`` channels of
    an RGB image (by ``names``): red, green, blue. Otherwise green,
    magenta, cyan, yellow, red, blue, again from the start after six.
    """
    if n == 1:
        return [(1.0, 1.0, 1.0)]
    if names is not None and n and all(str(s)[-2:-1] == "_" for s in names):
        ends = [str(s)[-1] for s in names]
        if set(ends) <= set(_RGB):
            return [to_rgb(_RGB[e]) for e in ends]
    return [to_rgb(CHANNEL_COLORS[i % len(CHANNEL_COLORS)]) for i in range(n)]


def channel_limits(
    crops: Sequence[Crop], percentiles=(1.0, 99.5)
) -> list[tuple[float, float]]:
    """Return each channel's display range over the pixels of all crops."""
    n = len(crops[0].channels) if crops else 0
    out = []
    for c in range(n):
        values = np.concatenate([k.channels[c][k.inside] for k in crops])
        values = values[np.isfinite(values)]
        if not values.size:
            out.append((0.0, 1.0))
            continue
        lo, hi = np.percentile(values, percentiles)
        out.append((float(lo), float(hi) if hi > lo else float(lo) + 1.0))
    return out


def _composite(crop: Crop, limits, colors) -> np.ndarray:
    """Return the crop as RGB floats in 0 ... 1 (the mask without channels)."""
    side = crop.mask.shape[0]
    if not len(crop.channels):
        rgb = np.repeat(crop.mask[..., None].astype(np.float64) * 0.8, 3, axis=2)
    else:
        rgb = np.zeros((side, side, 3))
        for ch, (lo, hi), color in zip(crop.channels, limits, colors, strict=True):
            v = np.clip((np.nan_to_num(ch, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
            rgb += v[..., None] * np.asarray(color)
    rgb = np.clip(rgb, 0.0, 1.0)
    rgb[~crop.inside] = OUTSIDE
    return rgb


def render_tiles(
    crops: Sequence[Crop],
    *,
    size: int = 96,
    colors: Sequence | None = None,
    names: Sequence[str] | None = None,
    contrast: str = "gallery",
    percentiles=(1.0, 99.5),
    outline=OUTLINE,
) -> list[np.ndarray]:
    """Turn crops into RGB tiles of ``size`` x ``size`` with the objects' outlines.

    Parameters
    ----------
    crops : sequence of Crop
        From :func:`crop_object`, all with the same channels.
    size : int
        The tiles' side in pixels (crops are resized to it).
    colors : sequence of colours, optional
        One per channel (default :func:`channel_colors` of ``names``).
    contrast : {"gallery", "tile"}
        The display range of each channel: over all crops, or per crop.
    percentiles : (float, float)
        The display range's low and high percentiles.
    outline : colour or None
        The colour of the object's outline (None: no outline).

    Returns
    -------
    list of uint8 ndarray, shape (size, size, 3)
    """
    if contrast not in ("gallery", "tile"):
        raise ValueError(f"contrast must be 'gallery' or 'tile', got {contrast!r}")
    if int(size) < 8:
        raise ValueError(f"tiles need at least 8 pixels, got size={size}")
    if not crops:
        return []
    n = len(crops[0].channels)
    colors = channel_colors(n, names) if colors is None else [to_rgb(c) for c in colors]
    shared = channel_limits(crops, percentiles) if contrast == "gallery" else None
    tiles = []
    for crop in crops:
        limits = shared or channel_limits([crop], percentiles)
        rgb = _composite(crop, limits, colors)
        shape = (int(size), int(size))
        rgb = resize(rgb, (*shape, 3), order=1, anti_aliasing=rgb.shape[0] > size)
        if outline is not None:
            # bilinear, then halfway: a smooth outline, not pixel steps
            mask = resize(crop.mask.astype(float), shape, order=1) > 0.5
            rgb[find_boundaries(mask, mode="inner")] = to_rgb(outline)
        tiles.append(np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    return tiles


def frame_tile(tile: np.ndarray, kind: str, width: int = 3) -> np.ndarray:
    """Return the tile inside a frame of its kind's colour (:data:`KIND_COLORS`)."""
    if kind not in KIND_COLORS:
        raise ValueError(
            f"unknown tile kind {kind!r}; expected one of {list(KIND_COLORS)}"
        )
    color = np.round(np.asarray(to_rgb(KIND_COLORS[kind])) * 255).astype(np.uint8)
    h, w = tile.shape[:2]
    out = np.empty((h + 2 * width, w + 2 * width, 3), np.uint8)
    out[:] = color
    out[width : width + h, width : width + w] = tile
    return out


def _caption(tile: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in the tile's bottom-left corner (white on black)."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.fromarray(tile)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(9, tile.shape[0] // 8))
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    h = tile.shape[0]
    draw.rectangle((0, h - (y1 - y0) - 4, x1 - x0 + 4, h), fill=(0, 0, 0))
    draw.text((2 - x0, h - (y1 - y0) - 2 - y0), text, fill=(255, 255, 255), font=font)
    return np.asarray(img)


def gallery_grid(
    tiles: Sequence[np.ndarray],
    kinds: Sequence[str],
    captions: Sequence[str] | None = None,
    *,
    columns: int | None = None,
    frame: int = 3,
    gap: int = 2,
) -> np.ndarray:
    """Assemble tiles into one RGB image, row by row.

    Parameters
    ----------
    tiles : sequence of uint8 ndarray, shape (size, size, 3)
    kinds : sequence of str
        ``"central"`` or ``"random"`` per tile: the colour of its frame.
    captions : sequence of str, optional
        Written into each tile's corner (e.g. the object's id).
    columns : int, optional
        Tiles per row (default: a near-square grid, 8 for 48 tiles).
    frame, gap : int
        The frame's width and the black space between framed tiles.

    Returns
    -------
    uint8 ndarray, shape (height, width, 3)
    """
    if len(kinds) != len(tiles) or (
        captions is not None and len(captions) != len(tiles)
    ):
        raise ValueError("one kind (and caption) per tile is needed")
    if not len(tiles):
        raise ValueError("no tiles to assemble")
    n = len(tiles)
    columns = int(columns or np.ceil(np.sqrt(n * 4 / 3)))
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    framed = []
    for i, (tile, kind) in enumerate(zip(tiles, kinds, strict=True)):
        if captions is not None and captions[i]:
            tile = _caption(tile, str(captions[i]))
        framed.append(frame_tile(tile, kind, frame))
    th, tw = framed[0].shape[:2]
    out = np.zeros(
        (rows * th + (rows + 1) * gap, columns * tw + (columns + 1) * gap, 3), np.uint8
    )
    for i, tile in enumerate(framed):
        r, c = divmod(i, columns)
        y, x = gap + r * (th + gap), gap + c * (tw + gap)
        out[y : y + th, x : x + tw] = tile
    return out
