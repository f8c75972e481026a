"""Images lined up with labels, and several Labels layers as one input.

:func:`channel_axis` and :func:`fits` say whether an image (a multichannel
one: with one axis more) lines up with a label image, and
:func:`image_channels` splits it into the channels that get measured.

Each Labels layer becomes one source of
:func:`napari_cne.features.sources.sources_features` (its name is the
``source``), measured in its own images; the k-th images of all sources
are one channel (:func:`..sources.channel_names`). The embedding goes
beside all of them; every source keeps its own Context (``ctx.parts``),
into which its rows, coordinates and classes are written. GUI thread.
"""

from __future__ import annotations

import numpy as np

from ...features import check_labels
from ...render.layout import box_beside
from ..jobs import Context
from ..sources import channel_names

__all__ = [
    "MAX_CHANNELS",
    "channel_axis",
    "fits",
    "image_channels",
    "sources_context",
]

#: at most this many channels along a multichannel image's channel axis
MAX_CHANNELS = 64


def channel_axis(img_shape: tuple, labels_shape: tuple, rgb: bool):
    """Return how an image lines up with labels.

    None: same shape; an int: the channel axis of a multichannel image (the
    first, or the last for RGB; at most 64 channels); False: no match.
    """
    if img_shape == labels_shape:
        return None if not rgb else False
    if len(img_shape) == len(labels_shape) + 1:
        if rgb and img_shape[:-1] == labels_shape:
            return len(img_shape) - 1
        if not rgb and img_shape[1:] == labels_shape and img_shape[0] <= MAX_CHANNELS:
            return 0
    return False


def fits(image, labels) -> bool:
    """Return whether an Image layer lines up with a Labels layer's pixels."""
    if image.multiscale:
        return False
    shape = tuple(np.shape(image.data))
    return channel_axis(shape, tuple(np.shape(labels.data)), image.rgb) is not False


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
    axis = channel_axis(tuple(np.shape(img.data)), shape, img.rgb)
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


def _box(labels_layers):
    ext = np.stack(
        [np.asarray(lay.extent.world, float)[:, -2:] for lay in labels_layers]
    )
    return box_beside(np.array([ext[:, 0].min(axis=0), ext[:, 1].max(axis=0)]))


def sources_context(labels_layers, images_of: dict, time_axis, common: dict) -> Context:
    """Capture several Labels layers, each with its images, as one input.

    Parameters
    ----------
    labels_layers : list of napari Labels layers
    images_of : dict
        Labels layer name -> the Image layers it is measured in.
    time_axis : int or None
    common : dict
        ``standardize``, ``log_patterns``.

    Raises
    ------
    ValueError
        For layers of different axes or pixel sizes, different numbers of
        images, or an image that does not line up with its labels (the
        messages name the layers).
    """
    spacing = _check_alike(labels_layers)
    names = {lab.name: [im.name for im in images_of[lab.name]] for lab in labels_layers}
    channels = channel_names(names)
    parts = []
    for lab in labels_layers:
        data = check_labels(lab.data, time_axis=time_axis)
        images = {}
        for ch, img in zip(channels, images_of[lab.name], strict=True):
            images.update(image_channels(img, data.shape, lab.name, ch, lazy=True))
        parts.append(
            Context(
                mode="labels",
                source=lab,
                source_name=lab.name,
                input_layers=[lab.name, *names[lab.name]],
                standardize=common["standardize"],
                box=box_beside(lab.extent.world),
                labels_data=data,
                images=images,
                spacing=spacing,
                time_axis=time_axis,
                id_name="label",
            )
        )
    return Context(
        mode="sources",
        source=labels_layers[0],
        source_name=" + ".join(names),
        input_layers=[n for lab, imgs in names.items() for n in (lab, *imgs)],
        box=_box(labels_layers),
        parts=parts,
        channel_map={ch: [imgs[k] for imgs in names.values()] for k, ch in
                     enumerate(channels)},
        spacing=spacing,
        time_axis=time_axis,
        id_name="label",
        **common,
    )  # fmt: skip
