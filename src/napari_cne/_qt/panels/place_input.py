"""What gets placed in the fitted map: a Labels layer and its images, captured.

The images of the new layer are given, or paired as ``set_input`` pairs
them (:func:`..sources.pair_images`: those that fit its shape, less those
lying on another Labels layer); the k-th image is the fit's k-th
channel and is measured under that channel's name (:func:`.input_sources.
image_channels`), so the new table has the fit's columns. GUI thread;
layers are only read.
"""

from __future__ import annotations

import numpy as np
from napari.layers import Image, Labels

from ...features import check_labels
from ..jobs import Context
from ..metadata import is_ours
from ..placing import fit_layers
from ..sources import pair_images
from ..targets import unwrap
from .input_sources import fits, image_channels

__all__ = ["place_context"]


def _images(labels, images, viewers) -> list:
    """Return the images of ``labels``: given, or paired as ``set_input`` does.

    Without ``images``, every image that fits the labels, less those lying
    on another Labels layer of the viewer (:func:`.sources.pair_images`).
    """
    if images is not None:
        out = []
        for im in images:
            layer = viewers.layer(viewers.name_of(im))
            if not isinstance(layer, Image):
                raise ValueError(f"layer {layer.name!r} is not an Image layer")
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


def _check_layer(labels, fit: Context) -> None:
    if not isinstance(labels, Labels):
        raise ValueError(f"layer {labels.name!r} is not a Labels layer")
    if labels.multiscale:
        raise ValueError(f"multiscale labels ({labels.name!r}) are not supported")
    if any(unwrap(lay) is unwrap(labels) for lay in fit_layers(fit)):
        raise ValueError(
            f"{labels.name!r} is part of the fit: its objects are in the map already"
        )
    spacing = tuple(float(v) for v in labels.scale)
    if fit.spacing is not None and (
        len(spacing) != len(fit.spacing) or not np.allclose(spacing, fit.spacing)
    ):
        raise ValueError(
            f"{labels.name!r} has {len(spacing)} axes and pixel size {spacing}; the "
            f"map was fitted on {len(fit.spacing)} axes of pixel size "
            f"{tuple(fit.spacing)} (shape features would not compare)"
        )


def place_context(labels, images, viewers, fit: Context) -> Context:
    """Capture a Labels layer and its images for placing them in the fitted map.

    Parameters
    ----------
    labels : napari Labels layer
    images : list of Image layers or names, or None
        The images, in the order of the fit's channels; None: as
        ``set_input`` pairs them (those that fit, at this layer's place).
    viewers : Viewers
    fit : Context
        The input the model was fitted on (its channels and scaling).

    Raises
    ------
    ValueError
        For a layer that is no Labels layer or part of the fit, other axes
        or pixel size, more images than the fit's channels, or a channel
        without an image (the message names the columns it would give).
    """
    _check_layer(labels, fit)
    imgs = _images(labels, images, viewers)
    channels = list(fit.channel_map)
    names = [im.name for im in imgs]
    if len(imgs) > len(channels):
        raise ValueError(
            f"{labels.name!r} fits {len(imgs)} images ({', '.join(names)}) but the "
            f"map was fitted on {len(channels)} channel(s) "
            f"({', '.join(channels) or 'shape only'}); give images=[...] in the "
            "order of the fit's channels"
        )
    cols = list(fit.scaling.columns)
    lacking = [ch for ch in channels[len(imgs) :] if _columns_of(ch, cols)]
    if lacking:
        missing = [c for ch in lacking for c in _columns_of(ch, cols)]
        raise ValueError(
            f"{labels.name!r} has no image for the channel(s) "
            f"{', '.join(map(repr, lacking))} of the map: the column(s) "
            f"{', '.join(map(repr, missing))} are missing; add its image(s), or "
            "give them with images=[...]"
        )
    try:
        data = check_labels(labels.data, time_axis=fit.time_axis)
    except ValueError as err:
        raise ValueError(f"{labels.name!r}: {err}") from None
    measured = {}
    for ch, img in zip(channels, imgs, strict=False):
        measured.update(image_channels(img, data.shape, labels.name, ch))
    return Context(
        mode="labels",
        source=labels,
        source_name=labels.name,
        input_layers=[labels.name, *names],
        standardize=fit.standardize,
        box=fit.box,
        labels_data=data,
        images=measured,
        channel_map={ch: [n] for ch, n in zip(channels, names, strict=False)},
        spacing=tuple(float(v) for v in labels.scale),
        time_axis=fit.time_axis,
        id_name="label",
        columns=cols,
        used_columns=cols,
        scaling=fit.scaling,
    )


def _columns_of(channel: str, columns: list[str]) -> list[str]:
    return [c for c in columns if str(c).startswith(f"{channel}_")]
