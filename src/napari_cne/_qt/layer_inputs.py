"""The viewer's layers turned into a workflow's input, and where it lives there.

The input pages of the "Input" panel, and the "Fitted map" panel, capture
the chosen layers at Run into an :class:`Origin`: the app's input (an
:class:`~napari_cne.app.inputs.ObjectsInput`, ``TableInput`` or
``PixelsInput``, plain arrays and tables) with what only the widget needs:
the layer that receives the coordinates, the box beside the image where
the embedding is drawn, the label image its objects are found in.

:func:`fits` and :func:`image_channels` say whether an Image layer lines
up with a Labels layer (a multichannel one: with one axis more,
:func:`napari_cne.features.sources.channel_axis_of`) and split it into the
channels that get measured. Several Labels layers become one input, each
measured in its own images; the k-th images of all of them are one channel
(:func:`napari_cne.app.pairing.channel_names`), and every Labels layer
keeps its own :class:`Origin` (``parts``), into which its rows,
coordinates and classes are written. GUI thread; layers are only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from napari.layers import Image, Labels

from ..app.inputs import LabelsSource, ObjectsInput
from ..app.metadata import is_ours
from ..app.pairing import channel_names, pair_images
from ..app.targets import unwrap
from ..features import check_labels
from ..features.sources import channel_axis_of
from ..render.layout import Box, box_beside

__all__ = [
    "Origin",
    "fits",
    "image_channels",
    "objects_origin",
    "place_origin",
]


@dataclass(eq=False)
class Origin:
    """A workflow's input, and where it lives in the viewer.

    Attributes
    ----------
    mode : {"labels", "sources", "table", "file", "pixels"}
        What the user chose.
    input : ObjectsInput, TableInput or PixelsInput
        The app's input (what gets measured).
    source : napari layer or None
        The layer that receives the coordinates (the first Labels layer of
        several; a file's linked Labels layer, or None).
    box : Box
        Where the embedding is drawn beside the image.
    parts : list of Origin
        Several Labels layers: one each.
    labels : ndarray, optional
        The checked label image (a Labels layer's objects).
    time_axis : int, optional
    pixel_scale, pixel_translate : tuple, optional
        Pixels: the world transform of the pixel grid.
    every_pixel : bool
        Pixels: place every pixel after the fit.
    target : Target, optional
        Where the objects live in the image (made once, on demand).
    """

    mode: str
    input: Any
    source: Any
    box: Box
    parts: list = field(default_factory=list)
    labels: np.ndarray | None = None
    time_axis: int | None = None
    pixel_scale: tuple | None = None
    pixel_translate: tuple | None = None
    every_pixel: bool = False
    target: Any = None

    @property
    def name(self) -> str:
        """The input's name (a layer's, several layers' joined, a file's)."""
        return self.input.name if self.input is not None else self.source.name

    @property
    def layers(self) -> list:
        """The Labels layers measured (objects)."""
        if self.mode == "sources":
            return [p.source for p in self.parts]
        return [self.source] if self.mode == "labels" else []


def fits(image, labels) -> bool:
    """Return whether an Image layer lines up with a Labels layer's pixels."""
    if image.multiscale:
        return False
    shape = tuple(np.shape(image.data))
    return channel_axis_of(shape, np.shape(labels.data), image.rgb) is not False


def image_channels(img, shape: tuple, labels_name: str, prefix=None, lazy=False):
    """Return the channels of an Image layer measured in labels of ``shape``.

    ``{prefix: image}``, or ``{prefix_ch0: ..., prefix_ch1: ...}`` (``_R``,
    ``_G``, ... for RGB) for a multichannel image; ``prefix`` defaults to
    the layer's name. ``lazy``: dask data stay lazy (read in the worker).

    Raises
    ------
    ValueError
        When the image does not line up with the labels (names both).
    """
    axis = channel_axis_of(np.shape(img.data), shape, img.rgb)
    if axis is False:
        raise ValueError(
            f"image {img.name!r} has shape {np.shape(img.data)} but labels "
            f"{labels_name!r} have shape {shape}"
        )
    prefix = img.name if prefix is None else prefix
    arr = img.data if lazy else np.asarray(img.data)
    if axis is None:
        return {prefix: arr}
    rgb = "RGBA" if img.rgb else None
    out = {}
    for i in range(np.shape(arr)[axis]):
        index = [slice(None)] * len(np.shape(arr))
        index[axis] = i
        out[f"{prefix}_{rgb[i] if rgb else f'ch{i}'}"] = arr[tuple(index)]
    return out


def _check_alike(labels_layers) -> tuple[float, ...]:
    """Return the common pixel size; the layers must have the same axes and scale."""
    first = labels_layers[0]
    for lay in labels_layers[1:]:
        if lay.ndim != first.ndim:
            raise ValueError(
                f"Labels layers {first.name!r} ({first.ndim}-D) and {lay.name!r} "
                f"({lay.ndim}-D) have different numbers of axes"
            )
        if not np.allclose(lay.scale, first.scale):
            raise ValueError(
                f"Labels layers {first.name!r} and {lay.name!r} have different "
                f"pixel sizes (scale {tuple(first.scale)} vs {tuple(lay.scale)}); "
                "shape features would not compare"
            )
    return tuple(float(v) for v in first.scale)


def _box(labels_layers) -> Box:
    ext = np.stack(
        [np.asarray(lay.extent.world, float)[:, -2:] for lay in labels_layers]
    )
    return box_beside(np.array([ext[:, 0].min(axis=0), ext[:, 1].max(axis=0)]))


def objects_origin(labels_layers, images_of: dict, time_axis) -> Origin:
    """Capture one or several Labels layers, each with its images, as one input.

    Parameters
    ----------
    labels_layers : list of napari Labels layers
    images_of : dict
        Labels layer name -> the Image layers it is measured in.
    time_axis : int or None

    Raises
    ------
    ValueError
        For multiscale labels, layers of different axes or pixel sizes,
        different numbers of images, or an image that does not line up with
        its labels (the messages name the layers).
    """
    for lay in labels_layers:
        if lay.multiscale:
            raise ValueError(f"multiscale labels ({lay.name!r}) are not supported")
    spacing = _check_alike(labels_layers)
    names = {lab.name: [im.name for im in images_of[lab.name]] for lab in labels_layers}
    one = len(labels_layers) == 1
    # one layer: its images measured under their own names; several: the
    # k-th images of all of them under one channel name
    channels = list(names[labels_layers[0].name]) if one else channel_names(names)
    sources, parts = [], []
    for lab in labels_layers:
        data = check_labels(lab.data, time_axis=time_axis)
        images = {}
        for ch, img in zip(channels, images_of[lab.name], strict=True):
            images.update(image_channels(img, data.shape, lab.name, ch, lazy=not one))
        sources.append(
            LabelsSource(lab.name, data, images, [lab.name, *names[lab.name]])
        )
        parts.append(
            Origin(
                "labels",
                None,
                lab,
                box_beside(lab.extent.world),
                labels=data,
                time_axis=time_axis,
            )
        )
    channel_map = {
        ch: [imgs[k] for imgs in names.values()] for k, ch in enumerate(channels)
    }
    inp = ObjectsInput(sources, spacing, time_axis, channel_map)
    if one:
        part = parts[0]
        part.input = inp
        return part
    return Origin(
        "sources",
        inp,
        labels_layers[0],
        _box(labels_layers),
        parts,
        time_axis=time_axis,
    )


# ------------------------------------------------------------------ placing
def _images(labels, images, viewers) -> list:
    """Return the images of ``labels``: given, or paired as ``set_input`` does.

    Without ``images``, every image that fits the labels, less those lying
    on another Labels layer of the viewer (:func:`~napari_cne.app.pairing.pair_images`).
    """
    if images is not None:
        out = []
        for im in images:
            layer = viewers.layer(viewers.name_of(im))
            if not isinstance(layer, Image):
                raise ValueError(f"layer {viewers.name_of(im)!r} is not an Image layer")
            out.append(layer)
        return out
    candidates = [
        lay
        for lay in viewers.main.layers
        if isinstance(lay, Image) and not is_ours(lay) and fits(lay, labels)
    ]
    others = [
        lay
        for lay in viewers.main.layers
        if isinstance(lay, Labels)
        and not is_ours(lay)
        and unwrap(lay) is not unwrap(labels)
    ]
    return pair_images([labels, *others], candidates, fits)[labels.name]


def _check_layer(labels, fit: Origin) -> None:
    if not isinstance(labels, Labels):
        raise ValueError(f"layer {labels.name!r} is not a Labels layer")
    if labels.multiscale:
        raise ValueError(f"multiscale labels ({labels.name!r}) are not supported")
    if any(unwrap(lay) is unwrap(labels) for lay in fit.layers):
        raise ValueError(
            f"{labels.name!r} is part of the fit: its objects are in the map already"
        )
    spacing = tuple(float(v) for v in labels.scale)
    fitted = fit.input.spacing
    if fitted is not None and (
        len(spacing) != len(fitted) or not np.allclose(spacing, fitted)
    ):
        raise ValueError(
            f"{labels.name!r} has {len(spacing)} axes and pixel size {spacing}; the "
            f"map was fitted on {len(fitted)} axes of pixel size "
            f"{tuple(fitted)} (shape features would not compare)"
        )


def _columns_of(channel: str, columns: list[str]) -> list[str]:
    return [c for c in columns if str(c).startswith(f"{channel}_")]


def place_origin(labels, images, viewers, fit: Origin, columns: list) -> Origin:
    """Capture a Labels layer and its images for placing them in the fitted map.

    The k-th image is the fit's k-th channel and is measured under that
    channel's name, so the new table has the fit's ``columns``.

    Parameters
    ----------
    labels : napari Labels layer
    images : list of Image layers or names, or None
        The images, in the order of the fit's channels; None: as
        ``set_input`` pairs them (those that fit, at this layer's place).
    viewers : Viewers
    fit : Origin
        The fit's input (its channels, pixel size, time axis).
    columns : list of str
        The map's columns.

    Raises
    ------
    ValueError
        For a layer that is no Labels layer or part of the fit, other axes
        or pixel size, more images than the fit's channels, or a channel
        without an image (the message names the columns it would give).
    """
    _check_layer(labels, fit)
    imgs = _images(labels, images, viewers)
    channels = list(fit.input.channels)
    names = [im.name for im in imgs]
    if len(imgs) > len(channels):
        raise ValueError(
            f"{labels.name!r} fits {len(imgs)} images ({', '.join(names)}) but the "
            f"map was fitted on {len(channels)} channel(s) "
            f"({', '.join(channels) or 'shape only'}); give images=[...] in the "
            "order of the fit's channels"
        )
    lacking = [ch for ch in channels[len(imgs) :] if _columns_of(ch, columns)]
    if lacking:
        missing = [c for ch in lacking for c in _columns_of(ch, columns)]
        raise ValueError(
            f"{labels.name!r} has no image for the channel(s) "
            f"{', '.join(map(repr, lacking))} of the map: the column(s) "
            f"{', '.join(map(repr, missing))} are missing; add its image(s), or "
            "give them with images=[...]"
        )
    time_axis = fit.input.time_axis
    try:
        data = check_labels(labels.data, time_axis=time_axis)
    except ValueError as err:
        raise ValueError(f"{labels.name!r}: {err}") from None
    measured = {}
    for ch, img in zip(channels, imgs, strict=False):
        measured.update(image_channels(img, data.shape, labels.name, ch))
    source = LabelsSource(labels.name, data, measured, [labels.name, *names])
    spacing = tuple(float(v) for v in labels.scale)
    inp = ObjectsInput(
        [source],
        spacing,
        time_axis,
        {ch: [n] for ch, n in zip(channels, names, strict=False)},
    )
    return Origin("labels", inp, labels, fit.box, labels=data, time_axis=time_axis)
