"""The "Neighbor Embedding" dock widget.

It embeds per-object features (measured from a Labels layer and image
layers, or read from any layer's ``features`` table) with
:class:`napari_cne.ContrastiveEmbedding` in a worker thread, and shows the
layout live as a Points layer beside the image (or, optionally, in a second
napari viewer of its own). See ``docs/scripting.md`` for the scripting
contract.

Threading rules followed here: the engine runs only inside
``thread_worker`` generators, which never touch layers; every layer update
happens in slots connected to the worker signals (GUI thread). One worker
runs at a time; a new request either waits for the running one or stops it
first, and the model is never used by two threads at once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import threading
import time
import weakref
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd
from napari.layers import Image, Labels
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QSize, Qt, QTimer, Signal
from qtpy.QtGui import QImage, QPixmap
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QStyleOptionProgressBar,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from ..engine.estimator import ContrastiveEmbedding
from ..engine.metrics import format_quality, quality_report
from ..engine.provenance import jsonable, load_params, provenance
from ..engine.spectrum import describe_s
from ..features import ID_COLUMNS, check_labels, is_numeric, read_table
from ..render.colors import UNIFORM_COLOR, color_range, column_colors, gradient
from ..render.gif import align_layouts, save_sweep_gif
from ..render.layout import box_beside, fit_box, layout_span, point_size
from ._jobs import (
    USER_ERRORS,
    Context,
    Job,
    cancel,
    fit_gen,
    optimize_gen,
    sweep_gen,
)
from ._linking import Target, current_index
from ._selection import CLASS_KEY, SelectionPanel, keys_from_table
from ._spectrum import SpectrumSlider
from ._viewer2 import EmbeddingViewer, WindowWatcher

__all__ = ["SWEEP_S", "EmbeddingWidget", "Loss"]

#: Learning rate of slider re-optimisations, relative to the fitted one. A
#: warm restart at the full rate jolts the layout in its first epoch
#: (measured: correlation with the previous layout 0.76-0.89 after one
#: epoch at 1.0, 0.91-0.96 at 0.5) and reaches the same end point.
GLIDE_LR_FACTOR = 0.5

#: Spectrum positions of the default sweep.
SWEEP_S = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)

META_KEY = "napari_cne"
#: metadata key on a source layer listing the feature columns we wrote there
WRITTEN_KEY = "napari_cne_columns"
UNIFORM = "(uniform colour)"
#: what the first axis of 3-D labels means (stack_combo items)
STACK_CHOICES = {
    "3-D objects (z, y, x)": None,
    "time-lapse (t, y, x): objects per frame": 0,
}
NONE = "(none)"
#: alpha of the points of other frames (time-lapse emphasis of the current one)
OTHER_FRAME_ALPHA = 0.12


class Loss(str, Enum):
    """Contrastive losses of :class:`napari_cne.ContrastiveEmbedding`."""

    neg = "neg"
    nce = "nce"
    infonce = "infonce"
    umap = "umap"


LOSS_HELP = {
    "neg": "negative sampling: follows the spectrum slider",
    "nce": "noise-contrastive: learns its normaliser, ignores the slider",
    "infonce": "InfoNCE: follows the spectrum slider",
    "umap": "UMAP's own loss: ignores the slider",
}
_SPECTRUM_LOSSES = ("neg", "infonce")
#: In the separate viewer (raw coordinates), the point size follows the
#: layout's span, and the camera is re-fitted, once it changed by this factor.
REFRAME_FACTOR = 1.25


#: the widget starts compiling pynndescent this long after it opened
WARM_UP_DELAY_MS = 1500
_WARM = {"started": False}


def _warm_up_knn() -> None:
    """Compile pynndescent's numba code in a background thread, once.

    pynndescent (the kNN search above about 10 000 points) compiles for about
    30 s on its first call in every process; doing that while the user picks
    the input means the first large embedding starts at once. The compile
    runs in a plain daemon thread; set ``NAPARI_CNE_WARMUP=0`` to skip it
    (the test suite does). Measured effect on the GUI in
    ``benchmarks/warmup_stall.py``.
    """
    if _WARM["started"] or os.environ.get("NAPARI_CNE_WARMUP", "1") == "0":
        return
    _WARM["started"] = True
    from ..engine.neighbors import warm_up

    def run() -> None:
        with contextlib.suppress(Exception):
            warm_up()

    threading.Thread(
        target=run, name="napari-cne pynndescent warm-up", daemon=True
    ).start()


class _Guard:
    """Stops the running job when the widget's C++ object is destroyed.

    Connected to ``destroyed``; holds no strong reference to the widget.
    """

    def __init__(self, widget: EmbeddingWidget):
        self.job: Job | None = None
        self._widget = weakref.ref(widget)

    def shutdown(self, *_) -> None:
        job, self.job = self.job, None
        if job is not None:
            cancel(job)
        w = self._widget()
        if w is not None:
            w._closed = True
            w._queue = []


def _unwrap(obj):
    """Return the object behind napari's PublicOnlyProxy (for identity tests)."""
    return getattr(obj, "__wrapped__", obj)


class _ProgressBar(QProgressBar):
    """A QProgressBar whose value changes repaint asynchronously.

    ``QProgressBar.setValue`` repaints synchronously; in napari's window that
    forces the OpenGL canvas to re-render inside the slot, a second time
    per live update (measured: ~25 ms per call with software GL). Here the
    value is kept on the Python side and painted on the next paint event.
    """

    def __init__(self):
        super().__init__()
        self._value = 0

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802
        """Set the range (and reset the value to the minimum)."""
        self._value = minimum
        super().setRange(minimum, maximum)
        self.update()

    def setValue(self, value: int) -> None:  # noqa: N802
        """Set the value; repainted on the next paint event."""
        self._value = int(value)
        self.update()

    def value(self) -> int:
        """Return the current value."""
        return self._value

    def paintEvent(self, event) -> None:  # noqa: N802
        """Draw the bar with the Python-side value."""
        opt = QStyleOptionProgressBar()
        self.initStyleOption(opt)
        lo, hi = self.minimum(), self.maximum()
        if hi > lo:
            v = min(max(self._value, lo), hi)
            opt.progress = v
            opt.text = (
                self.format()
                .replace("%v", str(v))
                .replace("%m", str(hi))
                .replace("%p", str(round(100 * (v - lo) / (hi - lo))))
            )
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_ProgressBar, opt)


def _channel_axis(img_shape: tuple, labels_shape: tuple, rgb: bool):
    """Return how an image lines up with labels.

    None: same shape; an int: the channel axis of a multichannel image (the
    first, or the last for RGB; at most 64 channels); False: no match.
    """
    if img_shape == labels_shape:
        return None if not rgb else False
    if len(img_shape) == len(labels_shape) + 1:
        if rgb and img_shape[:-1] == labels_shape:
            return len(img_shape) - 1
        if not rgb and img_shape[1:] == labels_shape and img_shape[0] <= 64:
            return 0
    return False


def _check_item(text: str, data, checked: bool) -> QListWidgetItem:
    """Make a checkable list item (``data``: the value behind the text)."""
    item = QListWidgetItem(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return item


def _form_page(stack: QStackedWidget) -> QFormLayout:
    """Add a page to ``stack`` and return its margin-less form layout."""
    page = QWidget()
    form = QFormLayout(page)
    form.setContentsMargins(0, 0, 0, 0)
    stack.addWidget(page)
    return form


def _group(title: str) -> tuple[QGroupBox, QFormLayout]:
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setContentsMargins(6, 6, 6, 6)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return box, form


# ------------------------------------------------------------------- widget
class EmbeddingWidget(QWidget):
    """Dock widget: contrastive neighbor embedding of objects, live in napari.

    Parameters
    ----------
    napari_viewer : napari.viewer.Viewer
        The viewer (napari injects it by this parameter name).

    Attributes
    ----------
    points_layer : napari.layers.Points or None
        The live embedding layer of the last run.
    sweep_layer : napari.layers.Points or None
        The spectrum sweep layer (leading "spectrum" dimension).
    model : ContrastiveEmbedding or None
        The fitted model behind ``points_layer``.
    embedding_viewer : napari.Viewer or None
        The separate embedding viewer while it is open (see the
        ``separate_viewer`` parameter).
    worker : GeneratorWorker or None
        The running worker (None when idle).
    last_error : str or None
        The last error message shown to the user.

    Signals
    -------
    run_finished(str)
        After a run ended (``"fit"``, ``"optimize"`` or ``"sweep"``) and its
        results were written, also when it was stopped.
    layout_updated(Snapshot)
        After each live update of the Points layer, with the engine's
        :class:`napari_cne.Snapshot` (raw coordinates in ``.embedding``).
    """

    run_finished = Signal(str)
    layout_updated = Signal(object)

    def __init__(self, napari_viewer, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewer = napari_viewer
        self.model: ContrastiveEmbedding | None = None
        self.worker = None
        self.points_layer = None
        self.sweep_layer = None
        self.last_error: str | None = None
        self.quality: dict | None = None
        self._quality_worker = None
        self._quality_token = 0
        self._job: Job | None = None
        self._queue: list[Job] = []  # jobs waiting for the running one
        self._ctx: Context | None = None
        self._sweep_result: dict | None = None
        self._tokens = itertools.count(1)
        self._closed = False
        self._mode_user_set = False
        self._image_checks: dict[str, bool] = {}
        self._stack_guessed: set[str] = set()
        self._column_checks: dict[tuple[str, str], bool] = {}
        self._main_watcher: WindowWatcher | None = None
        self._main_closing = False
        self._frame_span: float | None = None  # separate viewer: size basis
        self._emb = EmbeddingViewer(parent=self)
        self._emb.closed.connect(self._on_embedding_viewer_closed)

        self._build_ui()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._on_spectrum_settled)
        self.spectrum.userChanged.connect(self._on_spectrum_moved)

        self._guard = _Guard(self)
        self.destroyed.connect(self._guard.shutdown)
        events = self.viewer.layers.events
        events.inserted.connect(self.reset_choices)
        events.removed.connect(self._on_layer_removed)
        self.viewer.dims.events.current_step.connect(self._on_dims_step)
        self.reset_choices()
        self._update_buttons()
        QTimer.singleShot(WARM_UP_DELAY_MS, _warm_up_knn)

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        self._scroll = scroll
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(4, 4, 4, 4)

        # input
        box, form = _group("Input")
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(
            [
                "Labels + image layers",
                "Layer features table",
                "Image pixels",
                "Table file (CSV, TSV, …)",
            ]
        )
        self.mode_combo.setToolTip(
            "Labels + images: measure shape and intensity of every object.\n"
            "Layer features table: embed rows of a layer's features table.\n"
            "Image pixels: one point per pixel of a multichannel image.\n"
            "Table file: embed rows of a CSV/TSV/Parquet/NumPy file."
        )
        form.addRow("Source", self.mode_combo)
        self.input_stack = QStackedWidget()
        pf = _form_page(self.input_stack)
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
        pf.addRow("Labels", self.labels_combo)
        pf.addRow("Stack", self.stack_combo)
        pf.addRow("Images", self.images_list)
        self._labels_form = pf
        pf = _form_page(self.input_stack)
        self.table_combo = QComboBox()
        self.table_combo.setToolTip("Layer whose features table holds the data")
        self.columns_list = QListWidget()
        self.columns_list.setMaximumHeight(110)
        self.columns_list.setToolTip("Feature columns to embed")
        pf.addRow("Layer", self.table_combo)
        pf.addRow("Columns", self.columns_list)

        pf = _form_page(self.input_stack)
        self.pixel_image_combo = QComboBox()
        self.pixel_image_combo.setToolTip("Image whose pixels are embedded")
        self.channel_axis_combo = QComboBox()
        self.channel_axis_combo.setToolTip(
            "Axis of the image that holds the channels (one feature each)"
        )
        self.mask_combo = QComboBox()
        self.mask_combo.setToolTip(
            "Only pixels inside the objects of this Labels layer (e.g. foreground)"
        )
        self.max_pixels = QSpinBox()
        self.max_pixels.setRange(100, 10_000_000)
        self.max_pixels.setSingleStep(1000)
        self.max_pixels.setValue(20_000)
        self.max_pixels.setToolTip(
            "Random subsample of at most this many pixels (seeded)"
        )
        pf.addRow("Image", self.pixel_image_combo)
        pf.addRow("Channels", self.channel_axis_combo)
        pf.addRow("Mask", self.mask_combo)
        pf.addRow("Max pixels", self.max_pixels)

        pf = _form_page(self.input_stack)
        row = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("path to .csv, .tsv, .parquet or .npy")
        self.browse_btn = QPushButton("…")
        self.browse_btn.setMaximumWidth(30)
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_btn)
        self.file_columns_list = QListWidget()
        self.file_columns_list.setMaximumHeight(110)
        self.file_columns_list.setToolTip("Feature columns to embed")
        self.link_combo = QComboBox()
        self.link_combo.setToolTip(
            "Labels layer whose objects the rows describe (matched by the\n"
            "table's 'label' column), for linked selection"
        )
        pf.addRow("File", row)
        pf.addRow("Columns", self.file_columns_list)
        pf.addRow("Objects in", self.link_combo)
        self._file_table: pd.DataFrame | None = None
        self._file_path: str | None = None
        form.addRow(self.input_stack)
        lay.addWidget(box)

        # parameters
        box, form = _group("Embedding")
        self.spectrum = SpectrumSlider()
        form.addRow(self.spectrum)
        self.loss_combo = QComboBox()
        for loss in Loss:
            self.loss_combo.addItem(loss.value)
            self.loss_combo.setItemData(
                self.loss_combo.count() - 1,
                LOSS_HELP[loss.value],
                Qt.ItemDataRole.ToolTipRole,
            )
        self.loss_combo.setToolTip("\n".join(f"{k}: {v}" for k, v in LOSS_HELP.items()))
        self.n_neighbors = QSpinBox()
        self.n_neighbors.setRange(2, 1000)
        self.n_neighbors.setValue(15)
        self.n_neighbors.setToolTip("Neighbours per object in the kNN graph")
        self.n_epochs = QSpinBox()
        self.n_epochs.setRange(1, 100000)
        self.n_epochs.setValue(200)
        self.n_epochs.setToolTip("Optimisation epochs (passes over all kNN edges)")
        row = QHBoxLayout()
        row.addWidget(self.loss_combo, 1)
        row.addWidget(QLabel("k"))
        row.addWidget(self.n_neighbors)
        row.addWidget(QLabel("epochs"))
        row.addWidget(self.n_epochs)
        form.addRow("Loss", row)

        self.advanced = QCollapsible("Advanced")
        adv = QWidget()
        af = QFormLayout(adv)
        af.setContentsMargins(0, 0, 0, 0)
        self.negative_samples = QSpinBox()
        self.negative_samples.setRange(1, 500)
        self.negative_samples.setValue(5)
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setRange(0.0, 1000.0)
        self.learning_rate.setDecimals(4)
        self.learning_rate.setSingleStep(0.1)
        self.learning_rate.setSpecialValueText("auto")
        self.learning_rate.setValue(0.0)
        self.init_combo = QComboBox()
        self.init_combo.addItems(["pca", "spectral", "random"])
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText("random")
        self.seed.setValue(0)
        self.device_combo = QComboBox()
        self.device_combo.addItems(self._devices())
        self.metric_combo = QComboBox()
        self.metric_combo.addItems(["euclidean", "cosine", "correlation", "manhattan"])
        self.standardize = QCheckBox("Standardise features")
        self.standardize.setChecked(True)
        self.standardize.setToolTip(
            "z-score every column (constant columns are dropped); recommended "
            "when features have different units"
        )
        self.log_columns = QLineEdit()
        self.log_columns.setPlaceholderText("e.g. *_integrated, area")
        self.log_columns.setToolTip(
            "Columns to log-transform, log(1 + x), before standardising:\n"
            "names or patterns (* and ? wildcards), separated by commas.\n"
            "For skewed, non-negative features such as areas or summed\n"
            "intensities."
        )
        self.early_exaggeration = QCheckBox("Early exaggeration")
        self.early_exaggeration.setChecked(True)
        self.glide_epochs = QSpinBox()
        self.glide_epochs.setRange(1, 10000)
        self.glide_epochs.setValue(60)
        self.glide_epochs.setToolTip(
            "Epochs of the re-optimisation after a slider move"
        )
        self.sweep_epochs = QSpinBox()
        self.sweep_epochs.setRange(1, 10000)
        self.sweep_epochs.setValue(100)
        self.sweep_epochs.setToolTip("Epochs per spectrum position in a sweep")
        self.update_interval = QDoubleSpinBox()
        self.update_interval.setRange(0.0, 10.0)
        self.update_interval.setSingleStep(0.05)
        self.update_interval.setValue(0.2)
        self.update_interval.setSuffix(" s")
        self.update_interval.setToolTip("Minimum time between live layout updates")
        self.separate_viewer = QCheckBox("Show embedding in a separate viewer")
        self.separate_viewer.setToolTip(
            "Put the embedding (and the spectrum sweep) into a second napari\n"
            "window, in the engine's own coordinates, instead of beside the\n"
            "image. Takes effect at the next Run or sweep."
        )
        af.addRow("Negative samples", self.negative_samples)
        af.addRow("Learning rate", self.learning_rate)
        af.addRow("Initialisation", self.init_combo)
        af.addRow("Random seed", self.seed)
        af.addRow("Device", self.device_combo)
        af.addRow("Metric", self.metric_combo)
        af.addRow(self.standardize)
        af.addRow("Log columns", self.log_columns)
        af.addRow(self.early_exaggeration)
        af.addRow("Slider epochs", self.glide_epochs)
        af.addRow("Sweep epochs", self.sweep_epochs)
        af.addRow("Live update every", self.update_interval)
        af.addRow(self.separate_viewer)
        row = QHBoxLayout()
        self.save_params_btn = QPushButton("Save parameters…")
        self.save_params_btn.setToolTip(
            "Save these settings (and, after a run, its provenance) as JSON"
        )
        self.load_params_btn = QPushButton("Load parameters…")
        self.load_params_btn.setToolTip(
            "Load settings from a saved parameter set, a result's provenance\n"
            "or a napari-cne embed sidecar JSON"
        )
        row.addWidget(self.save_params_btn)
        row.addWidget(self.load_params_btn)
        af.addRow(row)
        self.advanced.addWidget(adv)
        form.addRow(self.advanced)
        lay.addWidget(box)

        # actions
        grid = QGridLayout()
        self.run_btn = QPushButton("Run")
        self.run_btn.setToolTip("Embed the chosen input (restarts a running embedding)")
        self.stop_btn = QPushButton("Stop")
        self.continue_btn = QPushButton("Continue")
        self.continue_btn.setToolTip("Optimise the current layout for more epochs")
        self.sweep_btn = QPushButton("Spectrum sweep")
        self.sweep_btn.setToolTip(
            "Embeddings at s = "
            + ", ".join(f"{s:g}" for s in SWEEP_S)
            + " as one layer; scrub them with the 'spectrum s' slider"
        )
        self.gif_btn = QPushButton("Export GIF…")
        self.gif_btn.setToolTip("Save the spectrum sweep as an animated GIF")
        grid.addWidget(self.run_btn, 0, 0)
        grid.addWidget(self.stop_btn, 0, 1)
        grid.addWidget(self.continue_btn, 0, 2)
        grid.addWidget(self.sweep_btn, 1, 0, 1, 2)
        grid.addWidget(self.gif_btn, 1, 2)
        lay.addLayout(grid)

        self.progress = _ProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m")
        self.status = QLabel("Choose the input and press Run.")
        self.status.setWordWrap(True)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.quality_label = QLabel("")
        self.quality_label.setWordWrap(True)
        self.quality_label.setToolTip(
            "Neighbour preservation: share of each object's 15 nearest\n"
            "neighbours in feature space that are also its neighbours in the\n"
            "embedding (on up to 5000 random objects). With a class column:\n"
            "how often the 10 nearest points in the embedding vote for the\n"
            "object's own class. Computed in the background after each run."
        )
        self.quality_combo = QComboBox()
        self.quality_combo.setToolTip("Class column for the k-NN accuracy")
        row.addWidget(self.quality_label, 1)
        row.addWidget(QLabel("accuracy of"))
        row.addWidget(self.quality_combo)
        lay.addLayout(row)

        self.color_combo = QComboBox()
        self.color_combo.setToolTip("Colour the embedding points by a feature")
        row = QHBoxLayout()
        row.addWidget(QLabel("Colour by"))
        row.addWidget(self.color_combo, 1)
        lay.addLayout(row)
        self.color_legend = QWidget()
        legend = QHBoxLayout(self.color_legend)
        legend.setContentsMargins(0, 0, 0, 0)
        self.legend_lo, self.legend_bar, self.legend_hi = QLabel(), QLabel(), QLabel()
        legend.addStretch(1)
        for w in (self.legend_lo, self.legend_bar, self.legend_hi):
            legend.addWidget(w)
        self.color_legend.setVisible(False)
        lay.addWidget(self.color_legend)

        box = QGroupBox("Selection and classes")
        bl = QVBoxLayout(box)
        bl.setContentsMargins(6, 6, 6, 6)
        self.selection = SelectionPanel(self._viewer_of)
        bl.addWidget(self.selection)
        lay.addWidget(box)

        import pyqtgraph as pg

        self.loss_plot = pg.PlotWidget(background=None)
        self.loss_plot.setMinimumHeight(110)
        self.loss_plot.setMaximumHeight(150)
        self.loss_plot.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed
        )
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.setMouseEnabled(x=False, y=False)
        self.loss_plot.hideButtons()
        self._loss_raw = self.loss_plot.plot([], [], pen=pg.mkPen(63, 169, 245, 70))
        self._loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#3fa9f5", width=2))
        lay.addWidget(self.loss_plot)
        lay.addStretch(1)

        self.mode_combo.activated.connect(self._on_mode_chosen)
        self.mode_combo.currentIndexChanged.connect(self.input_stack.setCurrentIndex)
        self.labels_combo.currentIndexChanged.connect(self._refresh_images)
        self.pixel_image_combo.currentIndexChanged.connect(self._refresh_pixel_page)
        self.file_edit.editingFinished.connect(lambda: self._load_file())
        self.browse_btn.clicked.connect(self._browse_file)
        self.table_combo.currentIndexChanged.connect(self._refresh_columns)
        self.images_list.itemChanged.connect(self._remember_image_check)
        self.columns_list.itemChanged.connect(self._remember_column_check)
        self.loss_combo.currentTextChanged.connect(self._on_loss_changed)
        self.run_btn.clicked.connect(self.run)
        self.stop_btn.clicked.connect(self.stop)
        self.continue_btn.clicked.connect(self.continue_run)
        self.sweep_btn.clicked.connect(lambda: self.sweep())
        self.gif_btn.clicked.connect(lambda: self.export_gif())
        self.color_combo.currentTextChanged.connect(self._apply_colors)
        self.selection.classes_changed.connect(self._on_classes_changed)
        self.quality_combo.activated.connect(lambda *_: self.update_quality())
        self.save_params_btn.clicked.connect(lambda: self.save_parameters())
        self.load_params_btn.clicked.connect(lambda: self.load_parameters())

    def _content_width(self) -> int:
        inner = self._scroll.widget()
        bar = self._scroll.verticalScrollBar().sizeHint().width()
        return inner.minimumSizeHint().width() + bar + 4

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """Prefer a narrow dock, leaving the canvas most of the window."""
        hint = self._scroll.widget().sizeHint()
        return QSize(self._content_width(), min(hint.height(), 900))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As wide as the controls; scroll rather than grow the window."""
        return QSize(self._content_width(), 200)

    @staticmethod
    def _devices() -> list[str]:
        import torch

        out = ["auto", "cpu"]
        if torch.cuda.is_available():
            out.append("cuda")
        return out

    # -------------------------------------------------------------- choices
    def _layer(self, name: str | None):
        if not name:
            return None
        try:
            return self.viewer.layers[name]
        except (KeyError, ValueError):
            return None

    def _in_viewer(self, layer, viewer=None) -> bool:
        """Whether ``layer`` is in ``viewer`` (default: the main viewer)."""
        if layer is None:
            return False
        viewer = self.viewer if viewer is None else viewer
        target = _unwrap(layer)
        return any(_unwrap(lay) is target for lay in viewer.layers)

    def _viewer_of(self, layer):
        """Return the viewer (main or separate) holding ``layer``, or None."""
        for viewer in (self.viewer, self._emb.viewer):
            if viewer is not None and self._in_viewer(layer, viewer):
                return viewer
        return None

    def _alive(self, layer) -> bool:
        """Whether one of our result layers is still in one of the viewers."""
        return self._viewer_of(layer) is not None

    @property
    def embedding_viewer(self):
        """The separate embedding viewer while it is open, else None."""
        return self._emb.viewer

    @staticmethod
    def _is_ours(layer) -> bool:
        return META_KEY in getattr(layer, "metadata", {})

    def _table_layers(self) -> list:
        out = []
        for lay in self.viewer.layers:
            df = getattr(lay, "features", None)
            if not isinstance(df, pd.DataFrame) or self._is_ours(lay) or len(df) < 3:
                continue
            if any(is_numeric(df[c]) for c in df.columns):
                out.append(lay)
        return out

    def _matching_images(self, labels) -> list:
        if labels is None:
            return []
        shape = tuple(np.shape(labels.data))
        return [
            lay
            for lay in self.viewer.layers
            if isinstance(lay, Image)
            and not lay.multiscale
            and _channel_axis(tuple(np.shape(lay.data)), shape, lay.rgb) is not False
        ]

    @staticmethod
    def _set_items(combo: QComboBox, names: list[str]) -> None:
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if current in names:
            combo.setCurrentIndex(names.index(current))
        combo.blockSignals(False)

    def reset_choices(self, *_) -> None:
        """Refresh the layer and column choices from the viewer's layers."""
        if self._closed:
            return
        try:
            labels = [
                lay.name
                for lay in self.viewer.layers
                if isinstance(lay, Labels)
                and lay.metadata.get(META_KEY, {}).get("kind") != "selection"
            ]
            tables = [lay.name for lay in self._table_layers()]
            images = [
                lay.name
                for lay in self.viewer.layers
                if isinstance(lay, Image) and not lay.multiscale
            ]
            self._set_items(self.labels_combo, labels)
            self._set_items(self.table_combo, tables)
            self._set_items(self.pixel_image_combo, images)
            self._set_items(self.link_combo, [NONE, *labels])
            if not self._mode_user_set:
                self.mode_combo.setCurrentIndex(0 if labels or not tables else 1)
            self._refresh_images()
            self._refresh_columns()
            self._refresh_pixel_page()
        except RuntimeError:  # the Qt side is already gone (viewer closing)
            self._closed = True

    def _on_layer_removed(self, event=None) -> None:
        """Refresh the choices; stop a run whose embedding layer was deleted."""
        if self._closed:
            return
        job = self._job
        if (
            job is not None
            and job.layer_seen
            and job.kind != "sweep"
            and not self._alive(self.points_layer)
        ):
            self._layer_lost(job)
        self.reset_choices()

    def _layer_lost(self, job: Job) -> None:
        job.layer_lost = True
        cancel(job)
        self.status.setText(
            "The embedding viewer was closed or its layer deleted; run stopped."
            if job.separate
            else "The embedding layer was deleted; run stopped."
        )

    def _on_embedding_viewer_closed(self) -> None:
        """Stop a job that draws into the separate viewer, which is closing."""
        self._frame_span = None
        job = self._job
        if job is None or not job.separate or self._closed:
            return
        job.viewer_closed = True
        self.stop()
        self.status.setText("The embedding viewer was closed; run stopped.")

    def _refresh_images(self, *_) -> None:
        labels = self._layer(self.labels_combo.currentText())
        ndim = labels.ndim if labels is not None else 2
        self._labels_form.setRowVisible(self.stack_combo, ndim == 3)
        if ndim == 3 and labels is not None:
            axis = (
                self.viewer.dims.axis_labels[-3] if self.viewer.dims.ndim >= 3 else ""
            )
            guess = 1 if str(axis).lower() in ("t", "time", "frame") else 0
            if labels.name not in self._stack_guessed:
                self._stack_guessed.add(labels.name)
                self.stack_combo.setCurrentIndex(guess)
        self.images_list.blockSignals(True)
        self.images_list.clear()
        for lay in self._matching_images(labels):
            checked = self._image_checks.get(lay.name, True)
            self.images_list.addItem(_check_item(lay.name, None, checked))
        self.images_list.blockSignals(False)

    def _refresh_pixel_page(self, *_) -> None:
        img = self._layer(self.pixel_image_combo.currentText())
        axes = []
        if img is not None:
            if img.rgb:
                axes = ["RGB(A) colour channels"]
            else:
                shape = np.shape(img.data)
                axes = [NONE] + [
                    f"axis {i} ({n} channels)" for i, n in enumerate(shape) if n <= 64
                ]
        current = self.channel_axis_combo.currentText()
        self._set_items(self.channel_axis_combo, axes)
        if current not in axes and img is not None and not img.rgb:
            # default: the smallest axis of a >2-D image holds the channels
            shape = np.shape(img.data)
            if len(shape) > 2 and min(shape) <= 64:
                k = int(np.argmin(shape))
                self.channel_axis_combo.setCurrentText(
                    f"axis {k} ({shape[k]} channels)"
                )
        spatial = self._pixel_spatial_shape(img)
        masks = [
            lay.name
            for lay in self.viewer.layers
            if isinstance(lay, Labels)
            and not self._is_ours(lay)
            and tuple(np.shape(lay.data)) == spatial
        ]
        self._set_items(self.mask_combo, [NONE, *masks])

    def _pixel_channel_axis(self, img) -> int | None:
        text = self.channel_axis_combo.currentText()
        if img is not None and img.rgb:
            return -1
        if not text.startswith("axis "):
            return None
        return int(text.split()[1])

    def _pixel_spatial_shape(self, img) -> tuple[int, ...]:
        if img is None:
            return ()
        shape = list(np.shape(img.data))
        axis = self._pixel_channel_axis(img)
        if axis is not None:
            del shape[axis]
        return tuple(shape)

    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a feature table",
            "",
            "Tables (*.csv *.tsv *.tab *.txt *.parquet *.npy);;All files (*)",
        )
        if path:
            self.file_edit.setText(path)
            self._load_file()

    def _load_file(self, path: str | None = None) -> bool:
        """Read the table file and list its columns (False on error)."""
        path = self.file_edit.text().strip() if path is None else str(path)
        if not path or path == self._file_path:
            return self._file_table is not None
        try:
            table = read_table(path)
        except (OSError, ValueError, ImportError) as err:
            self._file_table, self._file_path = None, None
            self.file_columns_list.clear()
            self._error(f"cannot read {path!r}: {err}")
            return False
        self._file_table, self._file_path = table, path
        self.file_edit.setText(path)
        self.file_columns_list.clear()
        for c in table.columns:
            if is_numeric(table[c]):
                on = str(c).lower() not in ID_COLUMNS and table[c].notna().any()
                self.file_columns_list.addItem(_check_item(str(c), c, on))
        self.status.setText(
            f"{Path(path).name}: {len(table)} rows × {table.shape[1]} columns."
        )
        return True

    def _default_columns(self, layer) -> list[str]:
        df = layer.features
        ours = set(layer.metadata.get(WRITTEN_KEY, ()))
        return [
            c
            for c in df.columns
            if is_numeric(df[c])
            and str(c).lower() not in ID_COLUMNS
            and c not in ours
            and df[c].notna().any()
        ]

    def _refresh_columns(self, *_) -> None:
        layer = self._layer(self.table_combo.currentText())
        self.columns_list.blockSignals(True)
        self.columns_list.clear()
        if layer is not None:
            df = layer.features
            default = set(self._default_columns(layer))
            for c in df.columns:
                if is_numeric(df[c]):
                    key = (layer.name, str(c))
                    checked = self._column_checks.get(key, c in default)
                    self.columns_list.addItem(_check_item(str(c), c, checked))
        self.columns_list.blockSignals(False)

    def _remember_image_check(self, item: QListWidgetItem) -> None:
        self._image_checks[item.text()] = item.checkState() == Qt.CheckState.Checked

    def _remember_column_check(self, item: QListWidgetItem) -> None:
        key = (self.table_combo.currentText(), item.text())
        self._column_checks[key] = item.checkState() == Qt.CheckState.Checked

    def _on_mode_chosen(self, *_) -> None:
        self._mode_user_set = True

    @staticmethod
    def _checked(lst: QListWidget) -> list:
        out = []
        for i in range(lst.count()):
            item = lst.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                data = item.data(Qt.ItemDataRole.UserRole)
                out.append(item.text() if data is None else data)
        return out

    # ------------------------------------------------------ scripting API
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
        table_file=None,
        link_labels=None,
    ) -> None:
        """Choose what to embed.

        Give one of ``labels``, ``table_layer``, ``image`` or ``table_file``.

        Parameters
        ----------
        labels : Labels layer or str, optional
            Objects to embed; ``images`` (layers or names, same shape) are
            measured inside them. ``images=None`` uses every matching image.
        images : list of Image layers or str, optional
        table_layer : layer or str, optional
            A layer whose ``features`` table is embedded.
        columns : list of str, optional
            Columns of ``table_layer`` or ``table_file`` (default: numeric,
            non-id columns).
        time_axis : {None, 0}
            For 3-D labels: ``0`` means the first axis is time (objects per
            frame); ``None`` means 3-D objects. 4-D labels are always
            ``(t, z, y, x)``.
        image : Image layer or str, optional
            Embed the pixels of this image (one point per pixel).
        channel_axis : int or None
            The image's channel axis (None: one channel; RGB images: ignored).
        mask : Labels layer or str, optional
            Only pixels inside its objects.
        max_pixels : int, optional
            Subsample to at most this many pixels.
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
        if image is not None:
            self._set_pixel_input(image, channel_axis, mask, max_pixels)
            return
        if table_file is not None:
            self._set_file_input(table_file, columns, link_labels)
            return

        def name_of(x) -> str:
            name = x if isinstance(x, str) else getattr(x, "name", None)
            if name is None or self._layer(name) is None:
                raise ValueError(f"layer {x!r} is not in the viewer")
            return name

        self.reset_choices()
        self._mode_user_set = True
        if labels is not None:
            name = name_of(labels)
            idx = self.labels_combo.findText(name)
            if idx < 0:
                raise ValueError(f"layer {name!r} is not a Labels layer")
            self.mode_combo.setCurrentIndex(0)
            self.labels_combo.setCurrentIndex(idx)
            self._refresh_images()
            if time_axis not in (None, 0):
                raise ValueError(f"time_axis must be None or 0; got {time_axis!r}")
            self.stack_combo.setCurrentIndex(0 if time_axis is None else 1)
            available = [
                self.images_list.item(i).text() for i in range(self.images_list.count())
            ]
            wanted = available if images is None else [name_of(im) for im in images]
            for im in wanted:
                if im not in available:
                    raise ValueError(
                        f"image {im!r} does not match the shape of labels {name!r}"
                    )
            for i in range(self.images_list.count()):
                item = self.images_list.item(i)
                on = item.text() in wanted
                item.setCheckState(
                    Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
                )
        else:
            name = name_of(table_layer)
            idx = self.table_combo.findText(name)
            if idx < 0:
                raise ValueError(
                    f"layer {name!r} has no features table with numeric columns"
                )
            self.mode_combo.setCurrentIndex(1)
            self.table_combo.setCurrentIndex(idx)
            self._refresh_columns()
            if columns is not None:
                available = {
                    self.columns_list.item(i).text(): i
                    for i in range(self.columns_list.count())
                }
                missing = [c for c in columns if str(c) not in available]
                if missing:
                    raise ValueError(
                        f"columns {missing!r} are not numeric columns of {name!r}"
                    )
                wanted = {str(c) for c in columns}
                for text, i in available.items():
                    self.columns_list.item(i).setCheckState(
                        Qt.CheckState.Checked
                        if text in wanted
                        else Qt.CheckState.Unchecked
                    )

    def _name_of(self, x) -> str:
        name = x if isinstance(x, str) else getattr(x, "name", None)
        if name is None or self._layer(name) is None:
            raise ValueError(f"layer {x!r} is not in the viewer")
        return name

    def _set_pixel_input(self, image, channel_axis, mask, max_pixels) -> None:
        self.reset_choices()
        self._mode_user_set = True
        name = self._name_of(image)
        if self.pixel_image_combo.findText(name) < 0:
            raise ValueError(f"layer {name!r} is not an Image layer")
        self.mode_combo.setCurrentIndex(2)
        self.pixel_image_combo.setCurrentText(name)
        self._refresh_pixel_page()
        img = self._layer(name)
        if not img.rgb:
            if channel_axis is None:
                self.channel_axis_combo.setCurrentText(NONE)
            else:
                ax = int(channel_axis) % img.ndim
                text = f"axis {ax} ({np.shape(img.data)[ax]} channels)"
                if self.channel_axis_combo.findText(text) < 0:
                    raise ValueError(f"axis {channel_axis} cannot be a channel axis")
                self.channel_axis_combo.setCurrentText(text)
            self._refresh_pixel_page()
        m = NONE if mask is None else self._name_of(mask)
        if self.mask_combo.findText(m) < 0:
            raise ValueError(f"mask {m!r} does not match the image's pixel grid")
        self.mask_combo.setCurrentText(m)
        if max_pixels is not None:
            self.max_pixels.setValue(int(max_pixels))

    def _set_file_input(self, path, columns, link_labels) -> None:
        self.reset_choices()
        self._mode_user_set = True
        self.mode_combo.setCurrentIndex(3)
        self._file_path = None
        self.file_edit.setText(str(path))
        if not self._load_file(str(path)):
            raise ValueError(self.last_error)
        if columns is not None:
            lst = self.file_columns_list
            available = {lst.item(i).text(): i for i in range(lst.count())}
            missing = [c for c in columns if str(c) not in available]
            if missing:
                raise ValueError(f"columns {missing!r} are not numeric columns")
            for text, i in available.items():
                on = text in {str(c) for c in columns}
                lst.item(i).setCheckState(
                    Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
                )
        link = NONE if link_labels is None else self._name_of(link_labels)
        if self.link_combo.findText(link) < 0:
            raise ValueError(f"layer {link!r} is not a Labels layer")
        self.link_combo.setCurrentText(link)

    _PARAMS = (
        "s",
        "loss",
        "n_neighbors",
        "n_epochs",
        "negative_samples",
        "learning_rate",
        "init",
        "random_state",
        "device",
        "metric",
        "standardize",
        "log_columns",
        "early_exaggeration",
        "glide_epochs",
        "sweep_epochs",
        "update_interval",
        "separate_viewer",
    )
    _ALIASES = {"seed": "random_state", "standardise": "standardize"}

    def get_params(self) -> dict:
        """Return the current parameters, as accepted by :meth:`set_params`."""
        lr = self.learning_rate.value()
        seed = self.seed.value()
        return {
            "s": self.spectrum.value(),
            "loss": self.loss_combo.currentText(),
            "n_neighbors": self.n_neighbors.value(),
            "n_epochs": self.n_epochs.value(),
            "negative_samples": self.negative_samples.value(),
            "learning_rate": "auto" if lr == 0 else lr,
            "init": self.init_combo.currentText(),
            "random_state": None if seed < 0 else seed,
            "device": self.device_combo.currentText(),
            "metric": self.metric_combo.currentText(),
            "standardize": self.standardize.isChecked(),
            "log_columns": self.log_columns.text().strip(),
            "early_exaggeration": self.early_exaggeration.isChecked(),
            "glide_epochs": self.glide_epochs.value(),
            "sweep_epochs": self.sweep_epochs.value(),
            "update_interval": self.update_interval.value(),
            "separate_viewer": self.separate_viewer.isChecked(),
        }

    def set_params(self, **params) -> None:
        """Set parameters (without starting anything).

        Parameters
        ----------
        **params
            ``s``, ``loss``, ``n_neighbors``, ``n_epochs`` and the advanced
            ones: ``negative_samples``, ``learning_rate`` (float or
            "auto"), ``init``, ``random_state`` (alias ``seed``; None =
            random), ``device``, ``metric``, ``standardize`` (alias
            ``standardise``), ``early_exaggeration``, ``glide_epochs``
            (slider re-optimisation), ``sweep_epochs`` (per sweep step),
            ``update_interval`` (seconds between live updates),
            ``separate_viewer`` (bool: show the embedding and the sweep in a
            second napari viewer, in raw coordinates; from the next run).

        Raises
        ------
        ValueError
            For unknown names or values out of range.
        """
        for key, value in params.items():
            key = self._ALIASES.get(key, key)
            if key not in self._PARAMS:
                raise ValueError(
                    f"unknown parameter {key!r}; choose from {', '.join(self._PARAMS)}"
                )
            self._set_param(key, value)

    def _set_param(self, key: str, value) -> None:
        def combo(widget: QComboBox, val) -> None:
            val = getattr(val, "value", val)
            idx = widget.findText(str(val))
            if idx < 0:
                options = [widget.itemText(i) for i in range(widget.count())]
                raise ValueError(f"{key} must be one of {options}; got {val!r}")
            widget.setCurrentIndex(idx)

        def spin(widget, val) -> None:
            if isinstance(val, bool) or not isinstance(val, (int, float, np.number)):
                raise ValueError(f"{key} must be a number; got {val!r}")
            if not widget.minimum() <= val <= widget.maximum():
                raise ValueError(
                    f"{key} must be in [{widget.minimum()}, {widget.maximum()}]; "
                    f"got {val!r}"
                )
            widget.setValue(val)

        if key == "s":
            v = float(value)
            if not -1.0 <= v <= 2.0:
                raise ValueError(f"s must be in [-1, 2]; got {value!r}")
            self.spectrum.setValue(v)
        elif key == "loss":
            combo(self.loss_combo, value)
        elif key == "learning_rate":
            spin(self.learning_rate, 0.0 if value == "auto" else value)
        elif key == "random_state":
            spin(self.seed, -1 if value is None else int(value))
        elif key in ("init", "device", "metric"):
            combo(getattr(self, f"{key}_combo"), value)
        elif key == "log_columns":
            if not isinstance(value, str):
                value = ", ".join(map(str, value or ()))
            self.log_columns.setText(value)
        elif key in ("standardize", "early_exaggeration", "separate_viewer"):
            if not isinstance(value, (bool, np.bool_, int, np.integer)):
                raise ValueError(f"{key} must be True or False; got {value!r}")
            getattr(self, key).setChecked(bool(value))
        else:
            spin(getattr(self, key), value)

    # ---------------------------------------------------------------- runs
    def _make_model(self) -> ContrastiveEmbedding:
        p = self.get_params()
        return ContrastiveEmbedding(
            s=p["s"],
            loss=p["loss"],
            n_neighbors=p["n_neighbors"],
            n_epochs=p["n_epochs"],
            negative_samples=p["negative_samples"],
            learning_rate=p["learning_rate"],
            init=p["init"],
            random_state=p["random_state"],
            device=p["device"],
            metric=p["metric"],
            early_exaggeration=p["early_exaggeration"],
        )

    def _build_context(self) -> Context:
        standardize = self.standardize.isChecked()
        mode = self.mode_combo.currentIndex()
        if mode == 2:
            return self._pixel_context(standardize)
        if mode == 3:
            return self._file_context(standardize)
        if mode == 0:
            labels = self._layer(self.labels_combo.currentText())
            if labels is None:
                raise ValueError(
                    "choose a Labels layer, or switch the source to a layer's "
                    "features table"
                )
            if labels.multiscale:
                raise ValueError("multiscale labels are not supported yet")
            ndim = labels.ndim
            if ndim == 3:
                time_axis = STACK_CHOICES[self.stack_combo.currentText()]
            else:
                time_axis = 0 if ndim == 4 else None
            data = check_labels(labels.data, time_axis=time_axis)
            images = {}
            for name in self._checked(self.images_list):
                img = self._layer(name)
                if img is None:
                    continue
                axis = _channel_axis(tuple(np.shape(img.data)), data.shape, img.rgb)
                if axis is False:
                    raise ValueError(
                        f"image {name!r} has shape {np.shape(img.data)} but labels "
                        f"{labels.name!r} have shape {data.shape}"
                    )
                arr = np.asarray(img.data)
                if axis is None:
                    images[name] = arr
                else:  # a multichannel image: one feature set per channel
                    rgb = "RGBA" if img.rgb else None
                    for i in range(arr.shape[axis]):
                        tag = rgb[i] if rgb else f"ch{i}"
                        images[f"{name}_{tag}"] = np.take(arr, i, axis=axis)
            return Context(
                mode="labels",
                source=labels,
                source_name=labels.name,
                input_layers=[labels.name, *images],
                standardize=standardize,
                log_patterns=self._log_patterns(),
                box=box_beside(labels.extent.world),
                labels_data=data,
                images=images,
                spacing=tuple(float(v) for v in labels.scale),
                time_axis=time_axis,
                id_name="label",
            )
        layer = self._layer(self.table_combo.currentText())
        if layer is None:
            raise ValueError("choose a layer with a features table")
        columns = self._checked(self.columns_list)
        if not columns:
            raise ValueError(f"choose at least one feature column of {layer.name!r}")
        df = layer.features
        id_name = next((c for c in ("label", "index", "id") if c in df.columns), None)
        # all columns travel along (to colour the embedding by any of them,
        # categorical ones included); only ``columns`` are embedded
        ours = {*layer.metadata.get(WRITTEN_KEY, ()), layer.metadata.get(CLASS_KEY)}
        table = df[[c for c in df.columns if c not in ours]].copy()
        if id_name is None:
            id_name = "index"
            table.insert(0, "index", np.arange(len(df)))
        table = table.reset_index(drop=True)
        extent = layer.extent.world if layer.ndim >= 2 else None
        return Context(
            mode="table",
            source=layer,
            source_name=layer.name,
            input_layers=[layer.name],
            standardize=standardize,
            log_patterns=self._log_patterns(),
            box=box_beside(extent),
            table=table,
            columns=list(columns),
            id_name=id_name,
        )

    def _log_patterns(self) -> list[str]:
        return [p.strip() for p in self.log_columns.text().split(",") if p.strip()]

    def _pixel_context(self, standardize: bool) -> Context:
        img = self._layer(self.pixel_image_combo.currentText())
        if img is None:
            raise ValueError("choose an Image layer whose pixels to embed")
        axis = self._pixel_channel_axis(img)
        data = img.data
        shape = self._pixel_spatial_shape(img)
        if len(shape) not in (2, 3):
            raise ValueError(
                f"image {img.name!r} has {len(shape)} spatial axes after removing "
                "the channel axis; pixels of 2-D or 3-D images only"
            )
        mask_layer = self._layer(self.mask_combo.currentText())
        mask = None if mask_layer is None else np.asarray(mask_layer.data) > 0
        scale = list(img.scale)
        translate = list(img.translate)
        if axis is not None and not img.rgb:
            del scale[axis], translate[axis]
        n_ch = 1 if axis is None else np.shape(data)[axis]
        names = (
            [img.name]
            if axis is None
            else [f"{img.name}_{c}" for c in ("R", "G", "B", "A")[:n_ch]]
            if img.rgb
            else [f"{img.name}_ch{i}" for i in range(n_ch)]
        )
        return Context(
            mode="pixels",
            source=img,
            source_name=img.name,
            input_layers=[img.name] + ([mask_layer.name] if mask_layer else []),
            standardize=standardize,
            log_patterns=self._log_patterns(),
            box=box_beside(img.extent.world),
            pixel_data=data,
            channel_axis=axis,
            channel_names=names,
            mask=mask,
            max_pixels=int(self.max_pixels.value()),
            pixel_shape=shape,
            pixel_scale=tuple(scale),
            pixel_translate=tuple(translate),
            columns=names,
            id_name="pixel",
        )

    def _file_context(self, standardize: bool) -> Context:
        if not self._load_file():
            raise ValueError("choose a table file (CSV, TSV, Parquet or .npy)")
        columns = self._checked(self.file_columns_list)
        if not columns:
            raise ValueError("choose at least one feature column of the table")
        table = self._file_table.reset_index(drop=True).copy()
        link = self._layer(self.link_combo.currentText())
        if link is not None and "label" not in table.columns:
            raise ValueError(
                f"to link the rows to {link.name!r}, the table needs a 'label' column"
            )
        id_name = "label" if "label" in table.columns else "index"
        if id_name == "index" and "index" not in table.columns:
            table.insert(0, "index", np.arange(len(table)))
        name = Path(self._file_path).name
        return Context(
            mode="file",
            source=link,
            source_name=name,
            input_layers=[name] + ([link.name] if link is not None else []),
            standardize=standardize,
            log_patterns=self._log_patterns(),
            box=box_beside(link.extent.world if link is not None else None),
            table=table,
            columns=list(columns),
            id_name=id_name,
        )

    def run(self):
        """Embed the chosen input from scratch (stops a running job first).

        Returns
        -------
        GeneratorWorker or None
            The worker (started now, or as soon as the previous job has
            stopped), or None when the input is invalid (an error is shown).
        """
        try:
            ctx = self._build_context()
        except USER_ERRORS as err:
            self._error(str(err))
            return None
        p = self.get_params()
        job = Job(
            token=next(self._tokens),
            kind="fit",
            ctx=ctx,
            n_epochs=p["n_epochs"],
            s=p["s"],
            interval=p["update_interval"],
            model=self._make_model(),
        )
        return self._submit(job, fit_gen, replace=True)

    def reoptimize(self, s: float | None = None, n_epochs: int | None = None):
        """Warm-start the current embedding at spectrum position ``s``.

        This is what moving the spectrum slider does (after a 150 ms
        debounce). A running re-optimisation is stopped and the new one
        starts from wherever the points are.

        Returns
        -------
        GeneratorWorker or None
        """
        if s is not None:
            self.spectrum.setValue(float(s))
        s = self.spectrum.value()
        if self.model is None and not self._fit_underway():
            self._error("run an embedding first")
            return None
        n = self._ctx_n()
        fast = n is not None and n <= 20000
        interval = self.update_interval.value()
        job = Job(
            token=next(self._tokens),
            kind="optimize",
            ctx=None,
            n_epochs=int(n_epochs or self.glide_epochs.value()),
            s=s,
            interval=min(interval, 0.1) if fast else interval,
            lr_factor=GLIDE_LR_FACTOR,
        )
        return self._submit(job, optimize_gen, replace=False)

    def continue_run(self, n_epochs: int | None = None):
        """Optimise the current layout for ``n_epochs`` more epochs.

        Returns
        -------
        GeneratorWorker or None
        """
        if self.model is None and not self._fit_underway():
            self._error("run an embedding first")
            return None
        job = Job(
            token=next(self._tokens),
            kind="optimize",
            ctx=None,
            n_epochs=int(n_epochs or self.n_epochs.value()),
            s=self.spectrum.value(),
            interval=self.update_interval.value(),
        )
        return self._submit(job, optimize_gen, replace=False)

    def sweep(self, s_values=SWEEP_S, n_epochs: int | None = None):
        """Embeddings along the spectrum, shown as one Points layer.

        The layer has a leading "spectrum s" dimension (data columns
        ``[s_index, y, x]``), so napari's dims slider scrubs from t-SNE to
        UMAP. The sweep fits a fresh anchor model with the current
        parameters at the slider's ``s`` (same data and kNN graph) and walks
        it along the spectrum, each position warm-started from its
        neighbour; the live embedding is not changed.

        Parameters
        ----------
        s_values : sequence of float
            Spectrum positions (sorted ascending for display).
        n_epochs : int, optional
            Epochs per position (default: the "Sweep epochs" setting).

        Returns
        -------
        GeneratorWorker or None
        """
        s_values = tuple(sorted(float(v) for v in s_values))
        if not s_values:
            self._error("s_values is empty")
            return None
        if self.model is None and not self._fit_underway():
            self._error("run an embedding first, then sweep the spectrum")
            return None
        if self.loss_combo.currentText() not in _SPECTRUM_LOSSES:
            self._error(
                f"loss {self.loss_combo.currentText()!r} ignores s; a sweep needs "
                "'neg' or 'infonce'"
            )
            return None
        job = Job(
            token=next(self._tokens),
            kind="sweep",
            ctx=None,
            n_epochs=int(n_epochs or self.sweep_epochs.value()),
            s=self.spectrum.value(),
            interval=0.0,
            s_values=s_values,
        )
        return self._submit(job, sweep_gen, replace=False)

    def stop(self) -> None:
        """Stop the running job (and drop a queued one); never blocks."""
        self._debounce.stop()
        self._queue = []
        if self._job is not None:
            cancel(self._job)
            self.status.setText("Stopping…")

    @property
    def is_running(self) -> bool:
        """True while a job is running or queued."""
        return self._job is not None or bool(self._queue)

    def _fit_underway(self) -> bool:
        return any(j is not None and j.kind == "fit" for j in (self._job, *self._queue))

    def _ctx_n(self) -> int | None:
        ctx = self._ctx or (self._job.ctx if self._job else None)
        if ctx is not None and ctx.kept is not None:
            return int(ctx.kept.sum())
        return None

    def _submit(self, job: Job, gen, *, replace: bool):
        self.last_error = None  # a new request: forget the previous error
        worker = thread_worker(gen, ignore_errors=True)(job)
        job.worker = worker
        worker.yielded.connect(self._on_yielded)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        current = self._job
        if current is None and not self._queue:
            self._start(job)
        else:
            # a new Run replaces everything; a new re-optimisation replaces
            # a running or queued one (the slider restarts from where the
            # points are); a fit or sweep is otherwise left to finish
            if replace:
                self._queue = []
            elif job.kind == "optimize":
                self._queue = [j for j in self._queue if j.kind != "optimize"]
            if current is not None and (replace or current.kind == "optimize"):
                cancel(current)
            self._queue.append(job)
            self.status.setText("Waiting for the running job to stop…")
        self._update_buttons()
        return worker

    def _start(self, job: Job) -> None:
        if self._closed:
            return
        self._watch_window()
        if job.kind == "optimize":
            job.model, job.ctx = self.model, self._ctx
            lr = getattr(self.model, "learning_rate_", None)
            if job.lr_factor is not None and lr is not None:
                job.lr = job.lr_factor * float(lr)
        elif job.kind == "sweep":
            job.ctx = self._ctx
            if self.model is not None:
                job.params = {**self.model.get_params(), "s": job.s}
        # where the results go: a re-optimisation moves the live layer
        # wherever it is; a fit or sweep follows the checkbox
        live = self._viewer_of(self.points_layer)
        if job.kind == "optimize" and live is not None:
            job.separate = live is not self.viewer
        else:
            job.separate = self.separate_viewer.isChecked()
        if job.kind == "fit":
            self._emb.autoframe = True
        self._job = job
        self._guard.job = job
        self.worker = job.worker
        job.t0 = time.perf_counter()
        if job.kind == "sweep":
            self.progress.setRange(0, int(job.params.get("n_epochs", 1)))
            self.progress.setFormat("anchor: %v / %m epochs")
            self.status.setText(f"Sweep: fitting the anchor at s = {job.s:+.2f}…")
        elif job.kind == "fit":
            self.progress.setRange(0, 0)  # busy until the features are ready
            self.status.setText("Measuring objects…")
        else:
            self.progress.setRange(0, job.n_epochs)
            self.progress.setFormat("%v / %m epochs")
        self.progress.setValue(0)
        if job.kind == "optimize" and self.points_layer is not None:
            self.points_layer.visible = True
        self._update_buttons()
        # start on the next event-loop turn: callers of run() can connect to
        # the returned worker's signals first
        QTimer.singleShot(0, job.worker.start)

    # --------------------------------------------------------------- slots
    def _on_yielded(self, msg) -> None:
        token, kind, payload = msg
        job = self._job
        if job is None or token != job.token or self._closed:
            return
        if kind == "ready":
            ctx = job.ctx
            n, f = ctx.X.shape
            self.progress.setRange(0, job.n_epochs)
            self.progress.setFormat("%v / %m epochs")
            skipped = int((~ctx.kept).sum())
            self.status.setText(
                f"Embedding {n} objects × {f} features…"
                + (f" ({skipped} rows with missing values left out)" if skipped else "")
            )
        elif kind == "snap":
            if not job.cancelled:
                self._show_snapshot(job, payload)
        elif kind == "anchor":
            self.progress.setValue(payload.epoch)
            if payload.done:
                self.progress.setRange(0, len(job.s_values))
                self.progress.setFormat("%v / %m spectrum positions")
        elif kind == "sweep":
            if job.cancelled:
                return
            i, snap = payload
            job.results[i] = snap.embedding
            self.progress.setValue(len(job.results))
            self.status.setText(
                f"Sweep: s = {job.s_values[i]:+.2f} done "
                f"({len(job.results)}/{len(job.s_values)})"
            )
        elif kind == "error":
            job.error = payload
            self._error(payload)

    def _on_errored(self, exc: Exception) -> None:
        if self._job is not None:
            self._job.error = str(exc)
        self._error(f"embedding failed: {type(exc).__name__}: {exc}")

    def _on_finished(self) -> None:
        job = self._job
        if job is None or self._closed:
            return
        if job.engine_iter is not None:
            # an aborted worker leaves the engine generator suspended: close it
            # here (its thread is done) so the model's final state is written
            with contextlib.suppress(Exception):
                job.engine_iter.close()
        self._job = None
        self._guard.job = None
        self._release_worker(job)
        try:
            self._finalize(job)
        except Exception as err:  # noqa: BLE001 - keep napari alive
            self._error(f"could not store the results: {err}")
        if self._queue:
            self._start(self._queue.pop(0))
        else:
            self._update_buttons()
        self.run_finished.emit(job.kind)

    def _release_worker(self, job: Job) -> None:
        """Drop our references to a finished worker.

        PyQt keeps the slots connected to the worker's signals (bound methods
        of this widget) alive from C++, where Python's garbage collector
        cannot see them: widget -> worker -> connection -> widget would be an
        uncollectable cycle that keeps the whole viewer alive.
        """
        worker, job.worker = job.worker, None
        if self.worker is worker:
            self.worker = None
        if worker is None:
            return
        for signal, slot in (
            (worker.yielded, self._on_yielded),
            (worker.errored, self._on_errored),
            (worker.finished, self._on_finished),
        ):
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)

    # ------------------------------------------------------------- results
    def _show_snapshot(self, job: Job, snap) -> None:
        job.n_snapshots += 1
        job.last_epoch = snap.epoch
        world = self._display(job, snap.embedding)
        layer = self._live_layer(job, world)
        if layer is None:
            return
        if layer.data is not world:
            layer.data = world
            if job.separate:
                self._reframe(layer, world)
        self.progress.setValue(snap.epoch)
        self._plot_losses(job.model)
        self.status.setText(
            f"epoch {snap.epoch}/{snap.n_epochs} · loss {snap.loss:.4g} · "
            f"s = {snap.s:+.2f}"
        )
        self.layout_updated.emit(snap)

    def _plot_losses(self, model) -> None:
        losses = np.asarray(list(getattr(model, "losses_", [])), dtype=float)
        if not len(losses):
            return
        x = np.arange(1, len(losses) + 1)
        self._loss_raw.setData(x, losses)
        # the per-epoch estimate is noisy: draw a running mean on top
        w = int(min(max(len(losses) // 40, 1), 25))
        if w > 1:
            kernel = np.ones(w) / w
            smooth = np.convolve(losses, kernel, mode="valid")
            self._loss_curve.setData(x[w - 1 :], smooth)
        else:
            self._loss_curve.setData(x, losses)

    def _points_features(self, ctx: Context, Y: np.ndarray | None) -> pd.DataFrame:
        rows = ctx.table.loc[ctx.kept].reset_index(drop=True)
        keep = [c for c in rows.columns if c not in (ctx.id_name, "cne_0", "cne_1")]
        # a column selection keeps the dtypes (categorical columns included)
        df = rows[[ctx.id_name, *keep]].copy()
        Y = np.full((len(df), 2), np.nan) if Y is None else np.asarray(Y, float)
        df["cne_0"] = Y[:, 0]
        df["cne_1"] = Y[:, 1]
        return df

    @staticmethod
    def _display(job: Job, Y: np.ndarray) -> np.ndarray:
        """World coordinates of a layout: beside the image, or raw (separate)."""
        if job.separate:
            return np.array(Y, dtype=np.float64)
        return fit_box(Y, job.ctx.box)

    def _target_viewer(self, job: Job):
        """Return the viewer that shows this job's results (None: do not show).

        The separate viewer is created on demand, except after it was closed
        during this job or while the main viewer is closing.
        """
        if not job.separate:
            return self.viewer
        create = not (job.viewer_closed or self._main_closing or self._closed)
        was_open = self._emb.is_open
        main = self._main_window()
        viewer = self._emb.get(
            create=create,
            show=main is not None and main.isVisible(),
            beside=main,
        )
        if viewer is not None and not was_open:
            viewer.layers.events.removed.connect(self._on_layer_removed)
            self._watch_window()
        return viewer

    def _reframe(self, layer, world: np.ndarray) -> None:
        """Keep the point size (and camera) in step with the layout's span.

        Separate viewer only: raw layouts grow from the initialisation's span
        to the final one.
        """
        span = layout_span(world)
        if not span > 0:
            return
        old = self._frame_span
        if old is not None and 1 / REFRAME_FACTOR < span / old < REFRAME_FACTOR:
            return
        if old is None:
            layer.size = point_size(len(world), span)
        else:
            # relative, so that a size the user chose is kept in proportion
            layer.size = np.asarray(layer.size, dtype=float) * (span / old)
        self._frame_span = span
        if self._emb.autoframe:
            self._emb.reset_view()

    def _live_layer(self, job: Job, world: np.ndarray):
        """Return the Points layer for this job, created on the first snapshot."""
        ctx = job.ctx
        layer = self.points_layer
        where = self._viewer_of(layer)
        if job.layer_seen and where is None:
            # the user deleted the layer (or closed its viewer) mid-run: stop
            # rather than resurrect it
            self._layer_lost(job)
            return None
        target = self._target_viewer(job)
        if target is None:
            return None
        if where is target and (
            layer.metadata.get(META_KEY, {}).get("source") == ctx.source_name
            and len(layer.data) == len(world)
        ):
            job.layer_seen = True
            return layer
        n = len(world)
        if job.separate:
            span = layout_span(world)
            size = point_size(n, span if span > 0 else 1.0)
            self._frame_span = span if span > 0 else None
        else:
            size = point_size(n, ctx.box[2])
        features = self._points_features(ctx, None)
        layer = target.add_points(
            world,
            name=f"{ctx.source_name} embedding",
            features=features,
            size=size,
            border_width=0,
            face_color=UNIFORM_COLOR,
            metadata={META_KEY: {"source": ctx.source_name, "kind": "embedding"}},
        )
        self.points_layer = layer
        job.layer_seen = True
        self._link(ctx, layer)
        self._refresh_color_choices(layer)
        target.reset_view()
        return layer

    def _refresh_color_choices(self, layer) -> None:
        cols = [c for c in layer.features.columns if c not in ("cne_0", "cne_1")]
        current = self.color_combo.currentText()
        if current not in cols:
            means = [c for c in cols if str(c).endswith("_mean")]
            current = means[0] if means else UNIFORM
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItems([UNIFORM, *map(str, cols)])
        self.color_combo.setCurrentText(current)
        self.color_combo.blockSignals(False)
        self._apply_colors()

    def _apply_colors(self, *_) -> None:
        """Colour the embedding layers by the chosen column.

        Classes keep the user's colours; for a time-lapse the points of the
        frame shown in the image stay opaque and the others fade.
        """
        column = self.color_combo.currentText()
        panel = self.selection
        is_class = column == panel.class_column
        mapping = panel.classes.colors if is_class else None
        frames, now = self._frames()
        self._show_legend(None)
        for layer in (self.points_layer, self.sweep_layer):
            if not self._alive(layer):
                continue
            df = layer.features
            values = df[column] if column in df.columns else None
            keys = panel.linker.keys
            if is_class and layer is self.sweep_layer and len(keys):
                # the sweep repeats the objects once per s: same classes
                reps = len(df) // len(keys)
                values = pd.Series(np.tile(panel.classes.column(keys), reps))
            if layer is self.points_layer:
                self._show_legend(values)
            try:
                rgba = column_colors(values, len(layer.data), mapping=mapping)
            except (ValueError, TypeError) as err:
                self._error(f"cannot colour by {column!r}: {err}")
                return
            if frames is not None and now is not None and len(frames) > 0:
                reps = len(rgba) // len(frames)
                other = np.tile(frames, reps) != now
                rgba[other, 3] *= OTHER_FRAME_ALPHA
            layer.face_color = rgba

    def _show_legend(self, values) -> None:
        """Show a colour bar with its range when points are coloured by a number."""
        rng = color_range(values)
        self.color_legend.setVisible(rng is not None)
        if rng is None:
            return
        img = gradient()
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.legend_bar.setPixmap(QPixmap.fromImage(qimg.copy()))
        self.legend_lo.setText(f"{rng[0]:.3g}")
        self.legend_hi.setText(f"{rng[1]:.3g}")
        self.color_legend.setToolTip(
            f"{values.name}: colours from {rng[0]:.4g} to {rng[1]:.4g} "
            "(1st to 99th percentile; beyond: end colours)"
        )

    def _frames(self) -> tuple[np.ndarray | None, int | None]:
        """Frame of every embedded object and the frame shown (time-lapse)."""
        t = self.selection.target
        if t is None or t.time_axis is None or not self._alive(self.points_layer):
            return None, None
        frames = t.frames_of(self.selection.linker.keys)
        return frames, current_index(self._viewer_of(t.layer), t.layer, t.time_axis)

    def _on_dims_step(self, *_) -> None:
        t = self.selection.target
        if t is not None and t.time_axis is not None:
            self._apply_colors()

    def _on_classes_changed(self) -> None:
        layer = self.points_layer
        if not self._alive(layer):
            return
        col = self.selection.class_column
        self._refresh_quality_choices(layer)
        if col in layer.features.columns and self.color_combo.findText(col) < 0:
            self._refresh_color_choices(layer)
            self.color_combo.setCurrentText(col)  # show the new classes
        elif self.color_combo.currentText() == col:
            self._apply_colors()

    def _link(self, ctx: Context, layer) -> None:
        """Link the new embedding layer to the objects in the source layer."""
        try:
            target = self._target(ctx)
            keys = np.flatnonzero(ctx.kept) if target.kind == "rows" else None
            self.selection.attach(
                layer, target, ctx.id_name, self._class_column(ctx), keys=keys
            )
        except (KeyError, ValueError) as err:  # pragma: no cover - safety net
            show_info(f"selection linking is off for this input: {err}")

    @staticmethod
    def _class_column(ctx: Context) -> str:
        src = ctx.source
        ours = getattr(src, "metadata", {}).get(CLASS_KEY)
        if ours:
            return ours
        taken = set(ctx.table.columns) | set(getattr(src, "features", {}).keys())
        return next(c for c in ("class", "cne_class", "cne_class_2") if c not in taken)

    @staticmethod
    def _target(ctx: Context) -> Target:
        """Where the objects of ``ctx`` live in the image (made once per run)."""
        if ctx.target is None:
            src = ctx.source
            if ctx.mode == "labels":
                ctx.target = Target.for_labels(src, ctx.labels_data, ctx.time_axis)
            elif ctx.mode == "pixels":
                ctx.target = Target(
                    "pixels",
                    src,
                    shape=ctx.pixel_shape,
                    scale=ctx.pixel_scale,
                    translate=ctx.pixel_translate,
                )
            elif (
                isinstance(src, Labels)
                and not src.multiscale
                and ctx.id_name in ("label", "index")
            ):
                ctx.target = Target.for_labels(src, np.asarray(src.data))
            else:
                ctx.target = Target("rows", src)
        return ctx.target

    def _finalize(self, job: Job) -> None:
        if job.kind == "sweep":
            self._finish_sweep(job)
            return
        model = job.model
        Y = getattr(model, "embedding_", None) if model is not None else None
        if job.error is not None or Y is None or job.ctx is None or job.ctx.X is None:
            if job.error is None:
                self.status.setText("Stopped before the embedding started.")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            return
        if job.kind == "fit":
            self.model, self._ctx = model, job.ctx
        if job.viewer_closed:
            self.status.setText("The embedding viewer was closed; run stopped.")
            return
        if job.layer_lost:
            self.status.setText("The embedding layer was deleted; run stopped.")
            return
        ctx = job.ctx
        names = self._write_source(ctx, Y)
        world = self._display(job, Y)
        layer = self._live_layer(job, world)
        if layer is not None:
            layer.data = world
            if job.separate:
                self._reframe(layer, world)
            df = layer.features.copy()
            df["cne_0"], df["cne_1"] = Y[:, 0].astype(float), Y[:, 1].astype(float)
            layer.features = df
            meta = self._metadata(ctx, model, names)
            meta["provenance"] = provenance(
                model,
                inputs=ctx.input_layers,
                columns=ctx.used_columns,
                elapsed=time.perf_counter() - job.t0,
                extra={
                    "kind": job.kind,
                    "mode": ctx.mode,
                    "standardize": ctx.standardize,
                    "n_objects": int(ctx.kept.sum()),
                    "widget": self._widget_only_params(),
                },
            )
            layer.metadata = {**layer.metadata, META_KEY: meta}
            self._apply_colors()
            self._refresh_quality_choices(layer)
            self.update_quality()
        self._plot_losses(model)
        stopped = job.cancelled or bool(getattr(model, "stopped_early_", False))
        head = (
            f"Stopped at epoch {job.last_epoch}/{job.n_epochs}:" if stopped else "Done:"
        )
        self.progress.setValue(job.last_epoch if stopped else job.n_epochs)
        self.status.setText(
            f"{head} {len(Y)} objects, s = {model.s_:+.2f} "
            f"({describe_s(model.s_)}, {model.loss} loss)."
            + (f" Coordinates in columns {names[0]}, {names[1]}." if names else "")
            + (
                f" {skipped} rows with missing values were left out."
                if (skipped := int((~ctx.kept).sum()))
                else ""
            )
        )

    def _metadata(self, ctx: Context, model, names) -> dict:
        return {
            "source": ctx.source_name,
            "kind": "embedding",
            "input_layers": list(ctx.input_layers),
            "mode": ctx.mode,
            "columns": list(ctx.used_columns),
            "standardize": ctx.standardize,
            "n_objects": int(ctx.kept.sum()),
            "s": float(model.s_),
            "loss": model.loss,
            "output_columns": list(names) if names else None,
            "params": jsonable(model.get_params()),
        }

    @staticmethod
    def _output_names(layer, df: pd.DataFrame) -> list[str]:
        prev = layer.metadata.get(WRITTEN_KEY)
        if prev is not None and len(prev) == 2:
            return [str(prev[0]), str(prev[1])]
        for k in itertools.count(1):
            names = ["cne_0", "cne_1"] if k == 1 else [f"cne{k}_0", f"cne{k}_1"]
            if not any(n in df.columns for n in names):
                return names
        raise AssertionError  # pragma: no cover

    def _write_source(self, ctx: Context, Y: np.ndarray) -> list[str] | None:
        """Write the coordinates into the source layer's features table."""
        layer = ctx.source
        if ctx.mode in ("pixels", "file") or not self._in_viewer(layer):
            return None  # no features table, or not the user's own rows
        df = layer.features.copy()
        names = self._output_names(layer, df)
        ids = ctx.table[ctx.id_name].to_numpy()[ctx.kept]
        full = np.full((len(ctx.kept), 2), np.nan)
        full[ctx.kept] = Y
        if ctx.mode == "table":
            if len(df) != len(ctx.kept):
                show_info(
                    f"{layer.name!r} changed during the run; coordinates were not "
                    "written to its features"
                )
                return None
            vals = full
        elif df.shape[1] == 0 or len(df) == 0:
            df = ctx.table.loc[ctx.kept].reset_index(drop=True)
            df.insert(0, "index", ids)
            vals = np.asarray(Y, float)
        else:
            key = next((c for c in ("index", "label") if c in df.columns), None)
            target = self._target(ctx)
            obj = keys_from_table(ctx.table.loc[ctx.kept], target, ctx.id_name)
            pos = pd.Series(np.arange(len(obj)), index=obj)
            timed = target.time_axis is not None
            if key is not None and (not timed or "frame" in df.columns):
                rows = pd.Series(keys_from_table(df, target, key)).map(pos)
            elif not timed and len(df) == int(ctx.table[ctx.id_name].max()) + 1:
                rows = pd.Series(np.arange(len(df))).map(pos)  # row = label value
            else:
                show_info(
                    f"could not match the rows of {layer.name!r}.features to its "
                    "labels; coordinates were not written there"
                )
                return None
            vals = np.full((len(df), 2), np.nan)
            ok = rows.notna().to_numpy()
            vals[ok] = np.asarray(Y, float)[rows[ok].astype(int).to_numpy()]
        df[names[0]] = vals[:, 0]
        df[names[1]] = vals[:, 1]
        layer.features = df
        layer.metadata = {**layer.metadata, WRITTEN_KEY: names}
        return names

    def _finish_sweep(self, job: Job) -> None:
        if job.error is not None:
            return
        if job.viewer_closed:
            self.status.setText("The embedding viewer was closed; sweep stopped.")
            return
        if not job.results:
            self.status.setText("Sweep stopped before the first position was done.")
            return
        target = self._target_viewer(job)
        if target is None:
            return
        ctx = job.ctx
        order = sorted(job.results, key=lambda i: job.s_values[i])
        s_done = [job.s_values[i] for i in order]
        raw = [job.results[i] for i in order]
        # shown rotated/reflected to line up with their neighbours (distances
        # unchanged); the features keep the engine's raw coordinates
        anchor = int(np.argmin(np.abs(np.asarray(s_done) - job.s)))
        layouts = align_layouts(raw, anchor)
        n = len(layouts[0])
        if job.separate:  # the engine's scale, like the live layer there
            shown = [np.asarray(Y, dtype=float) for Y in layouts]
            size = point_size(n, layout_span(layouts[anchor]) or 1.0)
        else:
            shown = [fit_box(Y, ctx.box) for Y in layouts]
            size = point_size(n, ctx.box[2])
        data = np.concatenate(
            [np.column_stack([np.full(n, k, float), Y]) for k, Y in enumerate(shown)]
        )
        base = self._points_features(ctx, None).drop(columns=["cne_0", "cne_1"])
        feats = pd.concat([base] * len(layouts), ignore_index=True)
        feats["s"] = np.repeat(s_done, n)
        feats["cne_0"] = np.concatenate([Y[:, 0] for Y in raw]).astype(float)
        feats["cne_1"] = np.concatenate([Y[:, 1] for Y in raw]).astype(float)
        steps = np.diff(s_done)
        even = len(s_done) > 1 and np.allclose(steps, steps[0]) and steps[0] > 0
        scale = (float(steps[0]) if even else 1.0, 1.0, 1.0)
        translate = (float(s_done[0]) if even else 0.0, 0.0, 0.0)
        old = self._viewer_of(self.sweep_layer)
        if old is not None and (
            self.sweep_layer.metadata.get(META_KEY, {}).get("source") == ctx.source_name
        ):
            old.layers.remove(self.sweep_layer)
        layer = target.add_points(
            data,
            name=f"{ctx.source_name} spectrum sweep",
            features=feats,
            size=size,
            border_width=0,
            face_color=UNIFORM_COLOR,
            scale=scale,
            translate=translate,
            metadata={
                META_KEY: {
                    "source": ctx.source_name,
                    "kind": "sweep",
                    "s_values": s_done,
                    "n_epochs_each": job.n_epochs,
                    "input_layers": list(ctx.input_layers),
                    "columns": list(ctx.used_columns),
                    "params": jsonable(job.model.get_params()),
                    "provenance": provenance(
                        job.model,
                        inputs=ctx.input_layers,
                        columns=ctx.used_columns,
                        elapsed=time.perf_counter() - job.t0,
                        extra={"kind": "sweep", "s_values": s_done},
                    ),
                }
            },
        )
        self.sweep_layer = layer
        self._sweep_result = {"s_values": s_done, "layouts": layouts}
        dims = target.dims
        axis = dims.ndim - 3
        if axis >= 0:
            labels = list(dims.axis_labels)
            labels[axis] = "spectrum s" if even else "spectrum (index)"
            dims.axis_labels = labels
            k = int(np.argmin(np.abs(np.asarray(s_done) - self.spectrum.value())))
            dims.set_point(axis, translate[0] + k * scale[0])
        if self._alive(self.points_layer):
            self.points_layer.visible = False
        if job.separate and self._emb.autoframe:
            target.reset_view()
        self._apply_colors()
        done = "stopped; kept" if job.cancelled else "done:"
        self.status.setText(
            f"Sweep {done} {len(s_done)} positions (s = "
            + ", ".join(f"{s:g}" for s in s_done)
            + "). Scrub them with the 'spectrum s' slider under the canvas."
        )

    # ------------------------------------------------------------- quality
    def _refresh_quality_choices(self, layer) -> None:
        df = layer.features
        cols = [
            str(c)
            for c in df.columns
            if c not in ("cne_0", "cne_1")
            and (
                isinstance(df[c].dtype, pd.CategoricalDtype)
                or df[c].dtype == object
                or pd.api.types.is_bool_dtype(df[c])
                or (pd.api.types.is_integer_dtype(df[c]) and df[c].nunique() <= 50)
            )
            and str(c).lower() not in ID_COLUMNS
            and c != "pixel"
        ]
        current = self.quality_combo.currentText()
        self._set_items(self.quality_combo, [NONE, *cols])
        if current not in cols:
            self.quality_combo.setCurrentText(NONE)

    def update_quality(self):
        """Compute the quality readout of the live embedding in the background.

        Neighbour preservation @15 on up to 5000 random objects and, when a
        class column is chosen, the 10-NN class accuracy (objects without a
        class are left out). The result goes to :attr:`quality`, the label
        under the progress bar and the Points layer's metadata.

        Returns
        -------
        FunctionWorker or None
        """
        layer, ctx = self.points_layer, self._ctx
        if not self._alive(layer) or ctx is None or ctx.X is None:
            return None
        Y = layer.features[["cne_0", "cne_1"]].to_numpy(float)
        if len(Y) != len(ctx.X) or not np.isfinite(Y).all():
            return None
        column = self.quality_combo.currentText()
        labels = None
        if column != NONE and column in layer.features.columns:
            labels = layer.features[column].to_numpy()
        X = ctx.X
        metric = self.metric_combo.currentText()
        self._quality_token += 1
        token = self._quality_token

        def compute():
            lab, keep = labels, None
            if lab is not None:
                keep = pd.notna(lab)
                lab = pd.factorize(lab[keep])[0]
            usable = lab is not None and keep.sum() > 10 and len(np.unique(lab)) > 1
            k = min(15, len(Y) - 1)
            if usable and keep.all():  # one pass for both numbers
                rep = quality_report(X, Y, k=k, metric=metric, labels=lab)
                rep["label_column"] = column
                return token, rep
            rep = quality_report(X, Y, k=k, metric=metric)
            if usable:
                acc = quality_report(
                    X[keep], Y[keep], k=min(15, int(keep.sum()) - 1), labels=lab
                )
                for key in ("knn_accuracy", "knn_accuracy_chance", "label_k"):
                    rep[key] = acc[key]
                rep["label_column"] = column
            return token, rep

        self.quality_label.setText("quality: measuring…")
        worker = thread_worker(compute, ignore_errors=True)()
        worker.returned.connect(self._on_quality)
        worker.errored.connect(
            lambda err: self.quality_label.setText(f"quality: failed ({err})")
        )
        self._quality_worker = worker
        worker.start()
        return worker

    def _on_quality(self, result) -> None:
        token, rep = result
        if token != self._quality_token or self._closed:
            return
        self.quality = rep
        self._quality_worker = None
        self.quality_label.setText(format_quality(rep))
        layer = self.points_layer
        if self._alive(layer):
            meta = dict(layer.metadata.get(META_KEY, {}))
            meta["quality"] = rep
            layer.metadata = {**layer.metadata, META_KEY: meta}

    # ---------------------------------------------------------- parameters
    _WIDGET_ONLY = (
        "standardize",
        "log_columns",
        "glide_epochs",
        "sweep_epochs",
        "update_interval",
        "separate_viewer",
    )

    def _widget_only_params(self) -> dict:
        p = self.get_params()
        return {k: p[k] for k in self._WIDGET_ONLY}

    def save_parameters(self, path: str | None = None) -> str | None:
        """Save the settings as JSON (with the last result's provenance).

        The file loads back with :meth:`load_parameters`, and its
        ``"params"`` section with :func:`napari_cne.provenance.load_params`
        (e.g. ``ContrastiveEmbedding(**load_params(path))`` in a script).
        """
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save parameters", "napari_cne_params.json", "JSON (*.json)"
            )
            if not path:
                return None
        layer = self.points_layer
        meta = layer.metadata.get(META_KEY, {}) if self._alive(layer) else {}
        record = dict(meta.get("provenance") or {})
        model = self._make_model()
        record.update(
            {
                "format": record.get("format", "napari-cne/provenance"),
                "params": {
                    k: v
                    for k, v in model.get_params().items()
                    if k not in ("callbacks", "verbose")
                },
            }
        )
        extra = dict(record.get("extra") or {})
        extra["widget"] = self._widget_only_params()
        record["extra"] = extra
        Path(path).write_text(
            json.dumps(jsonable(record), indent=2) + "\n", encoding="utf-8"
        )
        self.status.setText(f"Parameters saved to {Path(path).name}.")
        return str(path)

    def load_parameters(self, path: str | None = None) -> dict | None:
        """Load settings from a JSON parameter set or provenance record.

        Engine parameters the widget has no control for (e.g. ``batch_size``)
        are ignored, with a note in the status line.

        Returns
        -------
        dict or None
            The settings applied.
        """
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Load parameters", "", "JSON (*.json);;All files (*)"
            )
            if not path:
                return None
        try:
            params = load_params(path)
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            self._error(f"cannot load parameters: {err}")
            return None
        extra = data.get("extra") if isinstance(data, dict) else None
        widget = (extra or {}).get("widget") or {}
        applied, ignored = {}, []
        for key, value in {**params, **widget}.items():
            if key == "early_exaggeration":
                value = bool(value)
            if key not in self._PARAMS or value == "auto" and key == "n_epochs":
                ignored.append(key)
                continue
            try:
                self._set_param(key, value)
                applied[key] = value
            except (ValueError, TypeError):
                ignored.append(key)
        note = f" Ignored: {', '.join(sorted(ignored))}." if ignored else ""
        self.status.setText(
            f"Loaded {len(applied)} settings from {Path(path).name}.{note}"
        )
        return applied

    # -------------------------------------------------------------- export
    def export_gif(self, path: str | None = None, **kwargs):
        """Save the last spectrum sweep as an animated GIF.

        Parameters
        ----------
        path : str, optional
            Output file; without it a file dialog asks.
        **kwargs
            Passed to :func:`napari_cne._qt.export.save_sweep_gif`
            (``fps``, ``interpolate``, ``hold``, ``size_inches``, ``dpi``).

        Returns
        -------
        pathlib.Path or None
        """
        if self._sweep_result is None:
            self._error("run a spectrum sweep first")
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save spectrum sweep", "spectrum_sweep.gif", "GIF (*.gif)"
            )
            if not path:
                return None
        layouts = self._sweep_result["layouts"]
        colors = None
        layer = self.sweep_layer
        if self._alive(layer):
            fc = np.asarray(layer.face_color)
            if fc.ndim == 2 and len(fc) >= len(layouts[0]):
                colors = fc[: len(layouts[0])]
        try:
            kwargs.setdefault("align", False)  # already aligned for display
            out = save_sweep_gif(
                path, layouts, self._sweep_result["s_values"], colors, **kwargs
            )
        except (OSError, ValueError) as err:
            self._error(f"could not write {path}: {err}")
            return None
        self.status.setText(f"Saved {out}")
        return out

    # ---------------------------------------------------------------- misc
    def _on_spectrum_moved(self, value: float) -> None:
        if self.model is not None or self._fit_underway():
            self._debounce.start()

    def _on_spectrum_settled(self) -> None:
        if self._closed:
            return
        if self.loss_combo.currentText() not in _SPECTRUM_LOSSES:
            self.status.setText(
                f"Loss {self.loss_combo.currentText()!r} ignores the spectrum s."
            )
            return
        self.reoptimize()

    def _on_loss_changed(self, loss: str) -> None:
        follows = loss in _SPECTRUM_LOSSES
        self.spectrum.setEnabled(follows)
        self.spectrum.setToolTip("" if follows else f"the {loss!r} loss ignores s")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self._job is not None or bool(self._queue)
        fitted = self.model is not None
        self.stop_btn.setEnabled(busy)
        self.continue_btn.setEnabled(fitted and not busy)
        self.sweep_btn.setEnabled(
            fitted and not busy and self.loss_combo.currentText() in _SPECTRUM_LOSSES
        )
        self.gif_btn.setEnabled(self._sweep_result is not None)

    def _error(self, message: str) -> None:
        self.last_error = message
        if not self._closed:
            self.status.setText(f"⚠ {message}")
        show_error(message)

    def _main_window(self) -> QMainWindow | None:
        """Return the main window the widget is docked in (also when floating)."""
        w = self
        while w is not None and not isinstance(w, QMainWindow):
            w = w.parentWidget()
        return w

    def _watch_window(self) -> None:
        """Stop the workers when the main window closes (viewer.close())."""
        win = self._main_window()
        if win is None:
            return
        old = self._main_watcher
        if old is not None:
            if old.window is win:
                return
            old.closing.disconnect(self._on_main_closing)
            old.deleteLater()
        self._main_watcher = WindowWatcher(win, parent=self)
        self._main_watcher.closing.connect(self._on_main_closing)

    def _on_main_closing(self) -> None:
        """Stop, and close the separate viewer: the main viewer is closing."""
        self._main_closing = True
        self.shutdown()
        self._emb.close()

    def shutdown(self) -> None:
        """Stop everything (called when the viewer closes)."""
        self._debounce.stop()
        with contextlib.suppress(Exception):
            self.viewer.dims.events.current_step.disconnect(self._on_dims_step)
        with contextlib.suppress(Exception):
            self.selection.detach()
        self._queue = []
        if self._job is not None:
            cancel(self._job)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Stop running jobs when the widget is closed."""
        self.shutdown()
        super().closeEvent(event)
