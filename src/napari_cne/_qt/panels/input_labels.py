"""Input page "Labels + image layers": objects of a Labels layer, measured."""

from __future__ import annotations

import numpy as np
from napari.layers import Image
from qtpy.QtWidgets import QComboBox, QListWidget, QListWidgetItem, QWidget

from ...features import check_labels
from ...render.layout import box_beside
from ..controls import (
    add_check_item,
    checked,
    form_layout,
    is_checked,
    list_texts,
    set_checked,
    set_items,
)
from ..jobs import Context
from ..viewers import Viewers

__all__ = ["STACK_CHOICES", "LabelsPage", "channel_axis"]

#: what the first axis of 3-D labels means (the "Stack" items)
STACK_CHOICES = {
    "3-D objects (z, y, x)": None,
    "time-lapse (t, y, x): objects per frame": 0,
}
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


class LabelsPage(QWidget):
    """The Labels layer, what its first axis means (3-D), and the images.

    Parameters
    ----------
    viewers : Viewers
    """

    title = "Labels + image layers"
    help = "Labels + images: measure shape and intensity of every object."

    def __init__(self, viewers: Viewers):
        super().__init__()
        self.viewers = viewers
        form = form_layout(self)
        self.labels_combo = QComboBox()
        self.labels_combo.setToolTip("Objects to embed (one point per label)")
        self.images_list = QListWidget()
        self.images_list.setToolTip(
            "Intensity images measured inside every object (same shape as the labels)"
        )
        self.images_list.setMaximumHeight(60)
        self.stack_combo = QComboBox()
        self.stack_combo.addItems(list(STACK_CHOICES))
        self.stack_combo.setToolTip(
            "What the first axis of a 3-D label image is: depth (3-D objects)\n"
            "or time (2-D objects in every frame; the same id in two frames\n"
            "is two objects, with a 'frame' column)"
        )
        form.addRow("Labels", self.labels_combo)
        form.addRow("Stack", self.stack_combo)
        form.addRow("Images", self.images_list)
        self._form = form
        self._image_checks: dict[str, bool] = {}  # the user's ticks, by name
        self._stack_guessed: set[str] = set()
        self.labels_combo.currentIndexChanged.connect(self.refresh)
        self.images_list.itemChanged.connect(self._remember_check)

    def set_choices(self, labels: list[str], **_) -> None:
        """Offer these Labels layers."""
        set_items(self.labels_combo, labels)

    def has_choice(self, name: str) -> bool:
        """Return whether ``name`` is offered as a Labels layer."""
        return self.labels_combo.findText(name) >= 0

    def checked_images(self) -> list[str]:
        """Return the names of the ticked images."""
        return checked(self.images_list)

    def _matching_images(self, labels) -> list:
        shape = tuple(np.shape(labels.data))
        return [
            lay
            for lay in self.viewers.main.layers
            if isinstance(lay, Image)
            and not lay.multiscale
            and channel_axis(tuple(np.shape(lay.data)), shape, lay.rgb) is not False
        ]

    def refresh(self, *_) -> None:
        """List the images that fit the chosen labels; guess what 3-D means."""
        labels = self.viewers.layer(self.labels_combo.currentText())
        ndim = labels.ndim if labels is not None else 2
        self._form.setRowVisible(self.stack_combo, ndim == 3)
        if ndim == 3 and labels.name not in self._stack_guessed:
            dims = self.viewers.main.dims
            axis = dims.axis_labels[-3] if dims.ndim >= 3 else ""
            self._stack_guessed.add(labels.name)
            timed = str(axis).lower() in ("t", "time", "frame")
            self.stack_combo.setCurrentIndex(1 if timed else 0)
        self.images_list.blockSignals(True)
        self.images_list.clear()
        for lay in self._matching_images(labels) if labels is not None else []:
            on = self._image_checks.get(lay.name, True)
            add_check_item(self.images_list, lay.name, None, on)
        self.images_list.blockSignals(False)

    def _remember_check(self, item: QListWidgetItem) -> None:
        self._image_checks[item.text()] = is_checked(item)

    def choose(self, name: str, images: list[str] | None, time_axis) -> None:
        """Choose the labels ``name``, their ``images`` (None: all) and time axis.

        Raises
        ------
        ValueError
            For a layer that is not a Labels layer, a bad ``time_axis`` or
            an image whose shape does not match.
        """
        idx = self.labels_combo.findText(name)
        if idx < 0:
            raise ValueError(f"layer {name!r} is not a Labels layer")
        self.labels_combo.setCurrentIndex(idx)
        self.refresh()
        if time_axis not in (None, 0):
            raise ValueError(f"time_axis must be None or 0; got {time_axis!r}")
        self.stack_combo.setCurrentIndex(0 if time_axis is None else 1)
        available = list_texts(self.images_list)
        wanted = available if images is None else images
        for im in wanted:
            if im not in available:
                raise ValueError(
                    f"image {im!r} does not match the shape of labels {name!r}"
                )
        set_checked(self.images_list, wanted)

    def context(self, **common) -> Context:
        """Capture the chosen labels and images (``common``: shared settings)."""
        labels = self.viewers.layer(self.labels_combo.currentText())
        if labels is None:
            raise ValueError(
                "choose a Labels layer, or switch the source to a layer's "
                "features table"
            )
        if labels.multiscale:
            raise ValueError("multiscale labels are not supported yet")
        if labels.ndim == 3:
            time_axis = STACK_CHOICES[self.stack_combo.currentText()]
        else:
            time_axis = 0 if labels.ndim == 4 else None
        data = check_labels(labels.data, time_axis=time_axis)
        images = self._images(labels, data.shape)
        return Context(
            mode="labels",
            source=labels,
            source_name=labels.name,
            input_layers=[labels.name, *images],
            box=box_beside(labels.extent.world),
            labels_data=data,
            images=images,
            spacing=tuple(float(v) for v in labels.scale),
            time_axis=time_axis,
            id_name="label",
            **common,
        )

    def _images(self, labels, shape: tuple) -> dict[str, np.ndarray]:
        """Return the ticked images by feature prefix (one per channel)."""
        images = {}
        for name in self.checked_images():
            img = self.viewers.layer(name)
            if img is None:
                continue
            axis = channel_axis(tuple(np.shape(img.data)), shape, img.rgb)
            if axis is False:
                raise ValueError(
                    f"image {name!r} has shape {np.shape(img.data)} but labels "
                    f"{labels.name!r} have shape {shape}"
                )
            arr = np.asarray(img.data)
            if axis is None:
                images[name] = arr
                continue
            rgb = "RGBA" if img.rgb else None
            for i in range(arr.shape[axis]):
                tag = rgb[i] if rgb else f"ch{i}"
                images[f"{name}_{tag}"] = np.take(arr, i, axis=axis)
        return images
