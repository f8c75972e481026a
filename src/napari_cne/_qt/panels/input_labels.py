"""Input page "Labels + image layers": objects of Labels layers, measured.

One Labels layer, or several (``More labels``: fields of view, wells, ...)
embedded together: each is measured in the ticked images of its own shape
and place (:func:`napari_cne.app.pairing.pair_images`), into one table with
a ``source`` column (:func:`..layer_inputs.objects_origin`).
"""

from __future__ import annotations

import numpy as np
from napari.layers import Image
from qtpy.QtWidgets import QComboBox, QLabel, QListWidget, QListWidgetItem, QWidget

from ...app.metadata import is_ours
from ...app.pairing import pair_images
from ..controls import (
    add_check_item,
    checked,
    form_layout,
    is_checked,
    list_texts,
    set_checked,
    set_items,
)
from ..layer_inputs import Origin, fits, objects_origin
from ..viewers import Viewers

__all__ = ["STACK_CHOICES", "LabelsPage"]

#: what the first axis of 3-D labels means (the "Stack" items)
STACK_CHOICES = {
    "3-D objects (z, y, x)": None,
    "time-lapse (t, y, x): objects per frame": 0,
}


class LabelsPage(QWidget):
    """The Labels layer(s), what their first axis means (3-D), and the images.

    Parameters
    ----------
    viewers : Viewers

    Attributes
    ----------
    labels_combo : QComboBox
        The (first) Labels layer.
    more_list : QListWidget
        Further Labels layers embedded with it (ticked), one source each.
    images_list : QListWidget
        The images measured (ticked), those fitting any chosen layer.
    """

    title = "Labels + image layers"
    help = "Labels + images: measure shape and intensity of every object."

    def __init__(self, viewers: Viewers):
        super().__init__()
        self.viewers = viewers
        form = form_layout(self)
        self.labels_combo = QComboBox()
        self.labels_combo.setToolTip("Objects to embed (one point per label)")
        self.more_list = QListWidget()
        self.more_list.setToolTip(
            "Embed the objects of these Labels layers too (other fields of\n"
            "view, wells, ...): one embedding, one table with a 'source'\n"
            "column. Each layer is measured in the ticked images of its own\n"
            "shape (and, when several fit, of its place in the world)."
        )
        self.more_list.setMaximumHeight(60)
        self.images_list = QListWidget()
        self.images_list.setToolTip(
            "Intensity images measured inside every object (same shape as the labels)"
        )
        self.images_list.setMaximumHeight(60)
        self.pairing = QLabel()
        self.pairing.setWordWrap(True)
        self.pairing.setToolTip(
            "Which images each Labels layer is measured in; the k-th images of\n"
            "all layers are one channel, named by what their names share"
        )
        self.stack_combo = QComboBox()
        self.stack_combo.addItems(list(STACK_CHOICES))
        self.stack_combo.setToolTip(
            "What the first axis of a 3-D label image is: depth (3-D objects)\n"
            "or time (2-D objects in every frame; the same id in two frames\n"
            "is two objects, with a 'frame' column)"
        )
        form.addRow("Labels", self.labels_combo)
        form.addRow("More labels", self.more_list)
        form.addRow("Stack", self.stack_combo)
        form.addRow("Images", self.images_list)
        form.addRow(self.pairing)
        self._form = form
        self._image_checks: dict[str, bool] = {}  # the user's ticks, by name
        self._more_checks: dict[str, bool] = {}
        self._pairs: dict[str, list[str]] | None = None  # set_input(images={...})
        self._all_labels: list[str] = []
        self._stack_guessed: set[str] = set()
        self.labels_combo.currentIndexChanged.connect(self.refresh)
        self.images_list.itemChanged.connect(self._remember_check)
        self.more_list.itemChanged.connect(self._remember_more)

    def set_choices(self, labels: list[str], **_) -> None:
        """Offer these Labels layers."""
        set_items(self.labels_combo, labels)
        self._all_labels = list(labels)

    def has_choice(self, name: str) -> bool:
        """Return whether ``name`` is offered as a Labels layer."""
        return self.labels_combo.findText(name) >= 0

    def checked_images(self) -> list[str]:
        """Return the names of the ticked images."""
        return checked(self.images_list)

    def chosen_labels(self) -> list:
        """Return the chosen Labels layers: the first, then the ticked others."""
        names = [self.labels_combo.currentText(), *checked(self.more_list)]
        return [lay for lay in map(self.viewers.layer, names) if lay is not None]

    def _matching_images(self, labels_layers) -> list:
        return [
            lay
            for lay in self.viewers.main.layers
            if isinstance(lay, Image)
            and not is_ours(lay)  # our every-pixel layers are no stains
            and any(fits(lay, lab) for lab in labels_layers)
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
        others = [n for n in self._all_labels if n != self.current()]
        self.more_list.blockSignals(True)
        self.more_list.clear()
        for name in others:
            on = self._more_checks.get(name, False)
            add_check_item(self.more_list, name, None, on)
        self.more_list.blockSignals(False)
        self._form.setRowVisible(self.more_list, bool(others))
        self.images_list.blockSignals(True)
        self.images_list.clear()
        for lay in self._matching_images(self.chosen_labels()):
            on = self._image_checks.get(lay.name, True)
            add_check_item(self.images_list, lay.name, None, on)
        self.images_list.blockSignals(False)
        self._show_pairing()

    def current(self) -> str:
        """Return the name of the first chosen Labels layer."""
        return self.labels_combo.currentText()

    def _remember_check(self, item: QListWidgetItem) -> None:
        self._image_checks[item.text()] = is_checked(item)
        self._pairs = None  # the user's own ticks now
        self._show_pairing()

    def _remember_more(self, item: QListWidgetItem) -> None:
        self._more_checks[item.text()] = is_checked(item)
        self._pairs = None
        self.refresh()

    def images_of(self) -> dict[str, list]:
        """Return the Image layers each chosen Labels layer is measured in."""
        labels = self.chosen_labels()
        ticked = [self.viewers.layer(n) for n in self.checked_images()]
        ticked = [im for im in ticked if im is not None]
        if self._pairs is not None:
            return {
                lab.name: [im for im in ticked if im.name in self._pairs[lab.name]]
                for lab in labels
                if lab.name in self._pairs
            }
        pairs = pair_images(labels, ticked, fits)
        return {lab.name: pairs[lab.name] for lab in labels}

    def _show_pairing(self) -> None:
        labels = self.chosen_labels()
        self.pairing.setVisible(len(labels) > 1)
        if len(labels) > 1:
            pairs = self.images_of()
            text = "; ".join(
                f"{name} ← {', '.join(im.name for im in imgs) or 'no image'}"
                for name, imgs in pairs.items()
            )
            used = [im.name for imgs in pairs.values() for im in imgs]
            shared = sorted({n for n in used if used.count(n) > 1})
            if shared:  # fine for two segmentations of one field, not for two fields
                text += (
                    f" (shared: {', '.join(shared)}; for fields of view lying on "
                    "each other, move them apart or pair them in a script: "
                    "set_input(images={...}))"
                )
            self.pairing.setText(text)

    def choose(self, name, images, time_axis) -> None:
        """Choose the labels (a name, or a list: several sources), images, time axis.

        ``images``: None (every matching image), a list of names (each
        Labels layer gets those that fit it), or for several Labels layers
        a dict ``{labels name: [image names]}``.

        Raises
        ------
        ValueError
            For a layer that is not a Labels layer, a bad ``time_axis`` or
            an image whose shape does not match (naming both layers).
        """
        names = [name] if isinstance(name, str) else list(name)
        if not names:
            raise ValueError("give at least one Labels layer")
        for n in names:
            if self.labels_combo.findText(n) < 0:
                raise ValueError(f"layer {n!r} is not a Labels layer")
        if time_axis not in (None, 0):
            raise ValueError(f"time_axis must be None or 0; got {time_axis!r}")
        self.labels_combo.setCurrentIndex(self.labels_combo.findText(names[0]))
        self._more_checks = dict.fromkeys(names[1:], True)
        self._pairs = None
        self.refresh()
        self.stack_combo.setCurrentIndex(0 if time_axis is None else 1)
        available = list_texts(self.images_list)
        if isinstance(images, dict):
            self._check_pairs(names, images)
            wanted = [im for n in names for im in images.get(n, [])]
        else:
            wanted = available if images is None else list(images)
        for im in wanted:
            if im not in available:
                raise ValueError(
                    f"image {im!r} does not match the shape of labels "
                    + " or ".join(map(repr, names))
                )
        set_checked(self.images_list, wanted)
        if isinstance(images, dict):
            self._pairs = {n: list(images.get(n, [])) for n in names}
        self._show_pairing()

    def _check_pairs(self, names: list[str], images: dict) -> None:
        unknown = sorted(set(images) - set(names))
        if unknown:
            raise ValueError(f"images given for layers that are not chosen: {unknown}")
        for n in names:
            lab = self.viewers.layer(n)
            for im in images.get(n, []):
                img = self.viewers.layer(im)
                if not isinstance(img, Image):
                    raise ValueError(f"layer {im!r} is not an Image layer")
                if not fits(img, lab):
                    raise ValueError(
                        f"image {im!r} has shape {np.shape(img.data)} but labels "
                        f"{n!r} have shape {np.shape(lab.data)}"
                    )

    def _time_axis(self, labels):
        if labels.ndim == 3:
            return STACK_CHOICES[self.stack_combo.currentText()]
        return 0 if labels.ndim == 4 else None

    def capture(self) -> Origin:
        """Capture the chosen labels and images for a run."""
        chosen = self.chosen_labels()
        if not chosen:
            raise ValueError(
                "choose a Labels layer, or switch the source to a layer's "
                "features table"
            )
        time_axis = self._time_axis(chosen[0])
        if len(chosen) > 1:
            return objects_origin(chosen, self.images_of(), time_axis)
        ticked = [self.viewers.layer(n) for n in self.checked_images()]
        images = [im for im in ticked if im is not None]
        return objects_origin(chosen, {chosen[0].name: images}, time_axis)
