"""The "Input" panel: what to embed, one page per kind of source.

The pages (:mod:`.input_labels`, :mod:`.input_tables`, :mod:`.input_pixels`)
follow the viewer's layers and turn the choice into an
:class:`..layer_inputs.Origin` (the app's input, and where it lives) at Run.
"""

from __future__ import annotations

from napari.layers import Image, Labels
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QComboBox, QFormLayout, QGroupBox, QStackedWidget

from ...app.metadata import is_ours, kind_of
from ..layer_inputs import Origin
from ..viewers import Viewers
from .input_labels import LabelsPage
from .input_pixels import PixelsPage
from .input_tables import FilePage, TablePage, table_layers

__all__ = ["InputPanel"]


class InputPanel(QGroupBox):
    """Source of the embedding: labels + images, a layer table, pixels, a file.

    Parameters
    ----------
    viewers : Viewers

    Signals
    -------
    status(str), error(str)
        Messages for the status line (e.g. reading a table file).
    """

    status = Signal(str)
    error = Signal(str)

    def __init__(self, viewers: Viewers):
        super().__init__("Input")
        self.viewers = viewers
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels = LabelsPage(viewers)
        self.table = TablePage(viewers)
        self.pixels = PixelsPage(viewers)
        self.file = FilePage(viewers)
        self.pages = (self.labels, self.table, self.pixels, self.file)
        self.mode_combo = QComboBox()
        self.mode_combo.addItems([page.title for page in self.pages])
        self.mode_combo.setToolTip("\n".join(page.help for page in self.pages))
        form.addRow("Source", self.mode_combo)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.stack.addWidget(page)
        form.addRow(self.stack)
        self._mode_user_set = False  # the user chose the source: keep it
        self.mode_combo.activated.connect(self._on_mode_chosen)
        self.mode_combo.currentIndexChanged.connect(self.stack.setCurrentIndex)
        self.file.status.connect(self.status)
        self.file.error.connect(self.error)

    def _on_mode_chosen(self, *_) -> None:
        self._mode_user_set = True

    def reset_choices(self) -> None:
        """Offer the viewer's current layers on every page."""
        layers = self.viewers.main.layers
        labels = [
            lay.name
            for lay in layers
            if isinstance(lay, Labels)
            and kind_of(lay) not in ("selection", "lasso_pixels")
        ]
        tables = [lay.name for lay in table_layers(layers)]
        # multiscale images too: pixels are sampled from a pyramid level; not
        # our every-pixel results
        images = [
            lay.name for lay in layers if isinstance(lay, Image) and not is_ours(lay)
        ]
        for page in self.pages:
            page.set_choices(labels=labels, tables=tables, images=images)
        if not self._mode_user_set:
            self.mode_combo.setCurrentIndex(0 if labels or not tables else 1)
        for page in self.pages:
            page.refresh()

    def set_input(
        self,
        labels=None,
        images=None,
        *,
        table_layer=None,
        columns=None,
        time_axis: int | None = None,
        image=None,
        channel_axis: int | None = None,
        mask=None,
        max_pixels: int | None = None,
        every_pixel: bool | None = None,
        table_file=None,
        link_labels=None,
    ) -> None:
        """Choose what to embed.

        Give one of ``labels``, ``table_layer``, ``image`` or ``table_file``.

        Parameters
        ----------
        labels : Labels layer or str, or a list of them, optional
            Objects to embed; ``images`` (layers or names, same shape) are
            measured inside them. ``images=None`` uses every matching image.
            Several Labels layers are embedded together (one table with a
            ``source`` column): each is measured in the given images that
            fit its shape (and its place in the world, when several fit).
        images : list of Image layers or str, or dict, optional
            For several Labels layers also ``{labels: [images]}``, the
            images of each one explicitly.
        table_layer : layer or str, optional
            A layer whose ``features`` table is embedded.
        columns : list of str, optional
            Columns of ``table_layer`` or ``table_file`` (default: numeric,
            non-id columns; :func:`napari_cne.features.default_columns`).
        time_axis : {None, 0}
            For 3-D labels: ``0`` means the first axis is time (objects per
            frame); ``None`` means 3-D objects. 4-D labels are always
            ``(t, z, y, x)``.
        image : Image layer or str, optional
            Embed the pixels of this image (one point per pixel).
        channel_axis : int or None
            The image's channel axis (None: one channel; RGB images: ignored).
        mask : Labels layer or str, optional
            Only pixels inside its objects; ``"foreground"``: the pixels
            brighter than Otsu's threshold of the channels' mean.
        max_pixels : int, optional
            Subsample to at most this many pixels.
        every_pixel : bool, optional
            After the fit, place every pixel (in the mask) and add the
            coordinate and position-colour layers ("Place every pixel").
        table_file : str or path, optional
            A .csv/.tsv/.parquet/.npy file of one row per object.
        link_labels : Labels layer or str, optional
            For ``table_file``: the Labels layer whose objects the rows are
            (by the table's ``label`` column), for linked selection.

        Raises
        ------
        ValueError
            For unknown layers, files or columns, or when several kinds are
            given.
        """
        given = [x is not None for x in (labels, table_layer, image, table_file)]
        if sum(given) != 1:
            raise ValueError(
                "give one of labels=..., table_layer=..., image=... or table_file=..."
            )
        self.reset_choices()
        if table_file is not None:
            page = self.file
            page.choose(table_file, columns, link_labels)
        elif image is not None:
            page = self.pixels
            page.choose(
                self.viewers.name_of(image), channel_axis, mask, max_pixels, every_pixel
            )
        elif labels is not None:
            page = self.labels
            many = isinstance(labels, (list, tuple))
            name = [self.viewers.name_of(x) for x in labels] if many else labels
            name = name if many else self.viewers.name_of(labels)
            if isinstance(images, dict):
                images = {
                    self.viewers.name_of(k): [self.viewers.name_of(im) for im in v]
                    for k, v in images.items()
                }
            elif images is not None:
                images = [self.viewers.name_of(im) for im in images]
            page.choose(name, images, time_axis)
        else:
            page = self.table
            page.choose(self.viewers.name_of(table_layer), columns)
        self._mode_user_set = True
        self.mode_combo.setCurrentIndex(self.pages.index(page))

    def capture(self) -> Origin:
        """Capture the chosen input for a run (ValueError if it is incomplete)."""
        return self.pages[self.mode_combo.currentIndex()].capture()
