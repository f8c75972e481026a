"""Input page "Image pixels": one point per pixel (voxel) of an image.

The fit's pixels are a seeded subsample, read chunk by chunk from a lazy
(dask, Zarr) image or at the coarsest sufficient level of a multiscale
one (:func:`napari_cne.features.pixel_sample.pixel_sample`): the layer's
data are never read whole here. "Place every pixel" then places all of
them after the fit (:mod:`napari_cne.app.every_pixel`, tile by tile),
once the memory check says the results fit.
"""

from __future__ import annotations

import numpy as np
from napari.layers import Labels
from qtpy.QtWidgets import QCheckBox, QComboBox, QSpinBox, QWidget

from ...app.inputs import FOREGROUND, PixelsInput
from ...app.metadata import is_ours
from ...features.sources import MAX_CHANNELS
from ...render.layout import box_beside
from ..controls import NONE, form_layout, set_items
from ..layer_inputs import Origin
from ..viewers import Viewers

__all__ = ["PixelsPage"]

RGB_AXIS = "RGB(A) colour channels"
#: the mask item made from the image itself
FOREGROUND_ITEM = "(foreground: Otsu)"


def _axis_text(axis: int, n: int) -> str:
    return f"axis {axis} ({n} channels)"


class PixelsPage(QWidget):
    """The image, its channel axis, an optional mask and the subsample size.

    Attributes
    ----------
    every_pixel : QCheckBox
        "Place every pixel" after the fit (off by default).
    tile_pixels : int
        Pixels per tile when placing every pixel (0: the default of
        :func:`napari_cne.features.pixel_map.map_pixels`, 262 144).
    """

    title = "Image pixels"
    help = "Image pixels: one point per pixel of a multichannel image."

    def __init__(self, viewers: Viewers):
        super().__init__()
        self.viewers = viewers
        form = form_layout(self)
        self.image_combo = QComboBox()
        self.image_combo.setToolTip("Image whose pixels are embedded")
        self.channel_axis_combo = QComboBox()
        self.channel_axis_combo.setToolTip(
            "Axis of the image that holds the channels (one feature each)"
        )
        self.mask_combo = QComboBox()
        self.mask_combo.setToolTip(
            "Only pixels inside the objects of this Labels layer, or the\n"
            "foreground: the pixels brighter than Otsu's threshold of the\n"
            "channels' mean (for a one-channel image: the specimen, not the\n"
            "background's illumination gradient)"
        )
        self.max_pixels = QSpinBox()
        self.max_pixels.setRange(100, 10_000_000)
        self.max_pixels.setSingleStep(1000)
        self.max_pixels.setValue(20_000)
        self.max_pixels.setToolTip(
            "Random subsample of at most this many pixels (seeded)"
        )
        form.addRow("Image", self.image_combo)
        form.addRow("Channels", self.channel_axis_combo)
        form.addRow("Mask", self.mask_combo)
        form.addRow("Max pixels", self.max_pixels)
        self.every_pixel = QCheckBox("Place every pixel")
        self.every_pixel.setToolTip(
            "After the fit on the subsample, place every pixel (in the mask)\n"
            "tile by tile: new layers '<image> cne_0', 'cne_1' (coordinates)\n"
            "and '<image> position colours' (each pixel in the colour of its\n"
            "place in the embedding) over the image; a lasso then lights up\n"
            "every pixel inside it. Off by default: it reads the whole image\n"
            "and adds image-sized layers (about 14 bytes per pixel)."
        )
        form.addRow(self.every_pixel)
        self.tile_pixels = 0
        self.image_combo.currentIndexChanged.connect(self.refresh)

    def set_choices(self, images: list[str], **_) -> None:
        """Offer these Image layers."""
        set_items(self.image_combo, images)

    def _image(self):
        return self.viewers.layer(self.image_combo.currentText())

    def refresh(self, *_) -> None:
        """Offer the channel axes and the masks that fit the chosen image."""
        img = self._image()
        axes = []
        if img is not None:
            if img.rgb:
                axes = [RGB_AXIS]
            else:
                shape = np.shape(img.data)
                axes = [NONE] + [
                    _axis_text(i, n) for i, n in enumerate(shape) if n <= MAX_CHANNELS
                ]
        current = self.channel_axis_combo.currentText()
        set_items(self.channel_axis_combo, axes)
        if current not in axes and img is not None and not img.rgb:
            # default: the smallest axis of a >2-D image holds the channels
            shape = np.shape(img.data)
            if len(shape) > 2 and min(shape) <= MAX_CHANNELS:
                k = int(np.argmin(shape))
                self.channel_axis_combo.setCurrentText(_axis_text(k, shape[k]))
        spatial = self._spatial_shape(img)
        masks = [
            lay.name
            for lay in self.viewers.main.layers
            if isinstance(lay, Labels)
            and not is_ours(lay)
            and tuple(np.shape(lay.data)) == spatial
        ]
        set_items(self.mask_combo, [NONE, FOREGROUND_ITEM, *masks])

    def _channel_axis(self, img) -> int | None:
        if img is not None and img.rgb:
            return -1
        text = self.channel_axis_combo.currentText()
        if not text.startswith("axis "):
            return None
        return int(text.split()[1])

    def _spatial_shape(self, img) -> tuple[int, ...]:
        if img is None:
            return ()
        shape = list(np.shape(img.data))
        axis = self._channel_axis(img)
        if axis is not None:
            del shape[axis]
        return tuple(shape)

    def choose(self, name: str, channel_axis, mask, max_pixels, every=None) -> None:
        """Choose the image ``name``, its channel axis, a mask and the subsample.

        ``every``: tick (or untick) "Place every pixel" (None: leave it).

        Raises
        ------
        ValueError
            For a layer that is not an image, an axis that cannot hold
            channels, or a mask that does not match the pixel grid.
        """
        if self.image_combo.findText(name) < 0:
            raise ValueError(f"layer {name!r} is not an Image layer")
        self.image_combo.setCurrentText(name)
        self.refresh()
        img = self.viewers.layer(name)
        if not img.rgb:
            if channel_axis is None:
                self.channel_axis_combo.setCurrentText(NONE)
            else:
                ax = int(channel_axis) % img.ndim
                text = _axis_text(ax, np.shape(img.data)[ax])
                if self.channel_axis_combo.findText(text) < 0:
                    raise ValueError(f"axis {channel_axis} cannot be a channel axis")
                self.channel_axis_combo.setCurrentText(text)
            self.refresh()
        if isinstance(mask, str) and mask == FOREGROUND:
            m = FOREGROUND_ITEM
        else:
            m = NONE if mask is None else self.viewers.name_of(mask)
        if self.mask_combo.findText(m) < 0:
            raise ValueError(f"mask {m!r} does not match the image's pixel grid")
        self.mask_combo.setCurrentText(m)
        if max_pixels is not None:
            self.max_pixels.setValue(int(max_pixels))
        if every is not None:
            self.every_pixel.setChecked(bool(every))

    def capture(self) -> Origin:
        """Capture the chosen image, channels, mask and subsample size.

        Raises
        ------
        ValueError
            For no image.
        """
        img = self._image()
        if img is None:
            raise ValueError("choose an Image layer whose pixels to embed")
        axis = self._channel_axis(img)
        chosen = self.mask_combo.currentText()
        mask_layer = self.viewers.layer(chosen)
        mask = None if mask_layer is None else np.asarray(mask_layer.data) > 0
        if chosen == FOREGROUND_ITEM:
            mask = FOREGROUND  # made from the image in the worker
        scale, translate = list(img.scale), list(img.translate)
        if axis is not None and not img.rgb:
            del scale[axis], translate[axis]
        data = list(img.data) if img.multiscale else img.data
        inp = PixelsInput(
            data,
            axis,
            self._channel_names(img, axis),
            img.name,
            mask=mask,
            max_pixels=int(self.max_pixels.value()),
            layers=[img.name] + ([mask_layer.name] if mask_layer else []),
        )
        return Origin(
            "pixels",
            inp,
            img,
            box_beside(img.extent.world),
            pixel_scale=tuple(scale),
            pixel_translate=tuple(translate),
            every_pixel=self.every_pixel.isChecked(),
        )

    @staticmethod
    def _channel_names(img, axis: int | None) -> list[str]:
        if axis is None:
            return [img.name]
        n = np.shape(img.data)[axis]
        if img.rgb:
            return [f"{img.name}_{c}" for c in ("R", "G", "B", "A")[:n]]
        return [f"{img.name}_ch{i}" for i in range(n)]
