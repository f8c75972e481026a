"""The "Selection and classes" part of the dock widget.

Owns the :class:`~._linking.Linker` (embedding <-> image brushing), the
lasso and the user's named classes; writes the class column into the
embedding layer's and the source layer's ``features`` (by re-assigning the
DataFrame, so ``events.features`` fires) and exports a class as a Labels
layer or the whole table as CSV. GUI thread only.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
from matplotlib.path import Path as MplPath
from napari.utils.notifications import show_info
from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtGui import QColor, QIcon, QPixmap
from qtpy.QtWidgets import (
    QColorDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...app.classes import ClassSet
from ...app.metadata import CLASS_KEY, tag
from ...app.targets import (
    Target,
    key_column,
    keys_from_table,
    parts_of,
)
from ...features.interop import add_class_columns
from ..class_exports import class_layers, save_table
from ..linking import Linker
from ..selection_findings import SelectionFindings

__all__ = ["SelectionPanel"]

LASSO_NAME = "lasso (embedding)"


def _swatch(color: str) -> QIcon:
    pix = QPixmap(14, 14)
    pix.fill(QColor(color))
    return QIcon(pix)


class SelectionPanel(SelectionFindings, QWidget):
    """Selection readout, lasso, and named classes (and findings about a group).

    Parameters
    ----------
    viewer_of : callable
        ``viewer_of(layer)`` -> the viewer holding ``layer`` or None.

    Signals
    -------
    selection_changed(object)
        The selected keys (ndarray of int64) after every change.
    classes_changed()
        After classes were created, renamed, removed, recoloured or assigned.
    polygon_selected(object)
        After :meth:`select_polygon` (a lasso outline), with its vertices
        (world ``y, x``); every-pixel maps light up the pixels inside.
    """

    selection_changed = Signal(object)
    classes_changed = Signal()
    polygon_selected = Signal(object)

    def __init__(self, viewer_of, parent: QWidget | None = None):
        super().__init__(parent)
        self._viewer_of = viewer_of
        self.linker = Linker(viewer_of, on_change=self._on_selection)
        self.classes = ClassSet()
        self.id_name = "label"
        self.source_name: str | None = None
        self.class_column = "class"
        self.lasso_layer = None
        self._lasso_pending = False
        self._assignments: dict = {}  # source -> class assignments
        self._build_ui()
        self._update()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.count_label = QLabel("Nothing selected")
        self.count_label.setToolTip(
            "Select points (the Points layer's select tool or the lasso) to\n"
            "highlight their objects in the image; click an object in the\n"
            "Labels layer (Shift-click adds) to find its point."
        )
        self.lasso_btn = QPushButton("Lasso")
        self.lasso_btn.setCheckable(True)
        self.lasso_btn.setToolTip(
            "Draw a freehand outline around points in the embedding to select them"
        )
        self.clear_btn = QPushButton("Clear")
        row.addWidget(self.count_label, 1)
        row.addWidget(self.lasso_btn)
        row.addWidget(self.clear_btn)
        lay.addLayout(row)

        self.class_list = QListWidget()
        self.class_list.setMaximumHeight(80)
        self.class_list.setToolTip(
            "Classes: double-click to change the colour, F2 to rename"
        )
        self.class_list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed)
        lay.addWidget(self.class_list)
        row = QHBoxLayout()
        self.class_name = QLineEdit()
        self.class_name.setPlaceholderText("new class name")
        self.add_btn = QPushButton("Add class")
        row.addWidget(self.class_name, 1)
        row.addWidget(self.add_btn)
        lay.addLayout(row)
        grid = QGridLayout()
        self.assign_btn = QPushButton("Assign selection")
        self.assign_btn.setToolTip("Put the selected objects into the chosen class")
        self.unassign_btn = QPushButton("Unassign")
        self.unassign_btn.setToolTip("Remove the selected objects from their class")
        self.remove_btn = QPushButton("Delete class")
        self.export_btn = QPushButton("Class → Labels")
        self.export_btn.setToolTip("New Labels layer with only the chosen class")
        self.save_btn = QPushButton("Save table…")
        self.save_btn.setToolTip(
            "Save features, embedding coordinates and classes as CSV"
        )
        grid.addWidget(self.assign_btn, 0, 0)
        grid.addWidget(self.unassign_btn, 0, 1)
        grid.addWidget(self.remove_btn, 0, 2)
        grid.addWidget(self.export_btn, 1, 0, 1, 2)
        grid.addWidget(self.save_btn, 1, 2)
        lay.addLayout(grid)

        self.clear_btn.clicked.connect(lambda: self.select([]))
        self.lasso_btn.toggled.connect(self.set_lasso)
        self.add_btn.clicked.connect(self._add_from_field)
        self.class_name.returnPressed.connect(self._add_from_field)
        self.assign_btn.clicked.connect(lambda: self.assign_selection())
        self.unassign_btn.clicked.connect(lambda: self.assign_selection(None))
        self.remove_btn.clicked.connect(lambda: self.remove_class())
        self.export_btn.clicked.connect(lambda: self.export_class())
        self.save_btn.clicked.connect(lambda: self.save_table())
        self.class_list.itemDoubleClicked.connect(self._pick_color)
        self.class_list.itemChanged.connect(self._on_item_edited)
        self.class_list.currentRowChanged.connect(lambda *_: self._update())

    # -------------------------------------------------------------- wiring
    @property
    def points(self):
        """The linked embedding layer (or None)."""
        return self.linker.points

    @property
    def target(self) -> Target | None:
        """Where the objects live in the image."""
        return self.linker.target

    @property
    def selected(self) -> np.ndarray:
        """Keys of the selected objects."""
        return self.linker.selected

    def attach(
        self, points, target: Target, id_name: str, class_column: str, keys=None
    ) -> None:
        """Link a (new) embedding layer; selection and classes carry over.

        ``keys`` (one per point) default to :func:`keys_from_table` of the
        layer's features; "rows" targets pass the source rows explicitly.
        """
        self.id_name = id_name
        self.class_column = class_column
        names = getattr(target, "names", None)  # several Labels layers
        self.source_name = (
            " + ".join(names) if names else getattr(target.layer, "name", None)
        )
        if keys is None:
            keys = keys_from_table(points.features, target, id_name)
        # class assignments belong to the objects of one source: keep one
        # set per source (names and colours are shared)
        old = None if self.linker.target is None else self.linker.target.identity
        new = target.identity
        if old != new:
            self._assignments[old] = self.classes.take_assignments()
            self.classes.put_assignments(self._assignments.pop(new, {}))
        self.linker.attach(points, keys, target)
        self.write_classes()
        self._update()

    def detach(self) -> None:
        """Unlink (e.g. before the widget closes)."""
        self.set_lasso(False)
        self.linker.detach()

    def _alive(self, layer) -> bool:
        return layer is not None and self._viewer_of(layer) is not None

    # ----------------------------------------------------------- selection
    def select(self, keys) -> None:
        """Select objects by key (label id, pixel index, row; see :mod:`.targets`)."""
        self.linker.select(keys)

    def pick_rows(self, rows, toggle: bool = False) -> None:
        """Select the embedding's rows ``rows``; ``toggle``: add or remove them."""
        keys = self.linker.keys[np.asarray(rows, np.int64)]
        if toggle:
            keys = np.setxor1d(self.selected, keys)
        self.select(keys)

    def _on_selection(self, keys: np.ndarray) -> None:
        self._update()
        self.selection_changed.emit(keys)

    def set_lasso(self, on: bool) -> None:
        """Switch the lasso (a Shapes layer over the embedding) on or off."""
        on = bool(on)
        if self.lasso_btn.isChecked() != on:
            self.lasso_btn.blockSignals(True)
            self.lasso_btn.setChecked(on)
            self.lasso_btn.blockSignals(False)
        viewer = self._viewer_of(self.points)
        if on and viewer is not None and np.shape(self.points.data)[1] != 2:
            show_info(
                "the lasso works on 2-D embeddings; in 3-D select by clicking "
                "objects, with the Points layer's select tool, or by class"
            )
            self.set_lasso(False)
            return
        if not on or viewer is None:
            layer, self.lasso_layer = self.lasso_layer, None
            v = self._viewer_of(layer)
            if v is not None:
                with contextlib.suppress(Exception):
                    layer.events.data.disconnect(self._on_lasso)
                v.layers.remove(layer)
            if on:
                show_info("run an embedding first, then lasso its points")
                self.set_lasso(False)
            return
        if self._alive(self.lasso_layer):
            return
        layer = viewer.add_shapes(
            name=LASSO_NAME,
            edge_color="#ffd800",
            face_color=[1.0, 0.85, 0.0, 0.15],
            edge_width=2,
            metadata=tag("lasso"),
        )
        layer.mode = "add_polygon_lasso"
        layer.events.data.connect(self._on_lasso)
        self.lasso_layer = layer

    def _on_lasso(self, event) -> None:
        action = str(getattr(event, "action", ""))
        if not action.lower().endswith("added") or self._lasso_pending:
            return
        layer = self.lasso_layer
        if layer is None or not len(layer.data):
            return
        poly = np.asarray(layer.data[-1], float)[:, -2:]
        self.select_polygon(poly)
        # drop older outlines after napari has finished its own bookkeeping
        self._lasso_pending = True
        QTimer.singleShot(0, self._clear_lasso)

    def _clear_lasso(self) -> None:
        """Keep only the newest outline (so the user sees what was drawn)."""
        self._lasso_pending = False
        layer = self.lasso_layer
        if self._alive(layer) and len(layer.data) > 1:
            with layer.events.data.blocker(self._on_lasso):
                layer.data = [layer.data[-1]]
                layer.shape_type = ["polygon"]

    def select_polygon(self, polygon) -> np.ndarray:
        """Select the embedding points inside a polygon (world y, x vertices)."""
        pts = self.points
        if not self._alive(pts):
            return np.zeros(0, np.int64)
        # our embedding layers have the identity transform: data = world
        if np.shape(pts.data)[1] != 2:
            raise ValueError("select_polygon needs a 2-D embedding")
        xy = np.asarray(self.linker.layout(), float)[:, -2:]
        inside = MplPath(np.asarray(polygon, float)).contains_points(xy)
        keys = self.linker.keys[np.flatnonzero(inside)]
        self.select(keys)
        self.polygon_selected.emit(np.asarray(polygon, float))
        return keys

    # ------------------------------------------------------------- classes
    def current_class(self) -> str | None:
        """Return the class chosen in the list (or None)."""
        item = self.class_list.currentItem()
        return None if item is None else item.text()

    def add_class(self, name: str, color=None) -> str:
        """Create a class (and make it the current one)."""
        name = self.classes.add(name, color)
        self._refresh_list(select=name)
        self.write_classes()
        return name

    def _add_from_field(self) -> None:
        text = self.class_name.text()
        try:
            self.add_class(text)
        except ValueError as err:
            show_info(str(err))
            return
        self.class_name.clear()

    def remove_class(self, name: str | None = None) -> None:
        """Delete a class (its objects become unassigned)."""
        name = name or self.current_class()
        if name is None:
            return
        self.classes.remove(name)
        for source, assignments in self._assignments.items():  # every source's
            self._assignments[source] = {
                k: v for k, v in assignments.items() if v != name
            }
        self._refresh_list()
        self.write_classes()

    def rename_class(self, name: str, new: str) -> str:
        """Give a class another name; its objects (in every source) and colour stay.

        Raises
        ------
        ValueError
            For an unknown class, an empty name or one in use.
        """
        new = self.classes.rename(name, new)
        # the assignments of the other sources (kept while another is linked)
        for assignments in self._assignments.values():
            for key, value in assignments.items():
                if value == name:
                    assignments[key] = new
        self._refresh_list(select=new)
        self.write_classes()
        return new

    def _on_item_edited(self, item: QListWidgetItem) -> None:
        old, new = item.data(Qt.ItemDataRole.UserRole), item.text()
        if old is None or new == old:
            return
        try:
            self.rename_class(old, new)
        except ValueError as err:
            show_info(str(err))
            self._refresh_list(select=old)

    def set_class_color(self, name: str, color) -> None:
        """Recolour a class (points and labels follow)."""
        self.classes.set_color(name, color)
        self._refresh_list(select=name)
        self.write_classes()

    def _pick_color(self, item: QListWidgetItem) -> None:
        name = item.text()
        c = QColorDialog.getColor(QColor(self.classes.colors[name]), self)
        if c.isValid():
            self.set_class_color(name, c.name())

    def assign_selection(self, name: str | None | bool = False) -> int:
        """Put the selected objects into class ``name`` (None: unassign).

        The default is the class chosen in the list. Returns the count.
        """
        if name is False:
            name = self.current_class()
            if name is None:
                show_info("add a class first (type a name, press Add class)")
                return 0
        if not len(self.selected):
            show_info("select some objects first")
            return 0
        n = self.classes.assign(self.selected, name)
        self.write_classes()
        return n

    def _refresh_list(self, select: str | None = None) -> None:
        current = select or self.current_class()
        self.class_list.blockSignals(True)
        self.class_list.clear()
        for name in self.classes.names:
            item = QListWidgetItem(_swatch(self.classes.colors[name]), name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.class_list.addItem(item)
            if name == current:
                self.class_list.setCurrentItem(item)
        if self.class_list.currentItem() is None and self.class_list.count():
            self.class_list.setCurrentRow(self.class_list.count() - 1)
        self.class_list.blockSignals(False)
        self._update()

    def write_classes(self) -> None:
        """Write the class column into both layers' features; redraw."""
        keys, codes = self.classes.assigned()
        colors = [self.classes.colors[n] for n in self.classes.names]
        self.linker.set_classes(keys, codes, colors)
        if len(self.classes) or self._has_column():
            pts = self.points
            if self._alive(pts):
                pts.features = add_class_columns(
                    pts.features,
                    self.class_column,
                    self.classes.column(self.linker.keys),
                )
            self._write_source()
        self._update()
        self.classes_changed.emit()

    def _has_column(self) -> bool:
        pts = self.points
        return self._alive(pts) and self.class_column in pts.features.columns

    def _write_source(self) -> None:
        """Write the class column into the source layer(s) (each its own rows)."""
        for part, offset in parts_of(self.target):
            layer = part.layer
            if not self._alive(layer) or not hasattr(layer, "features"):
                continue
            df = layer.features
            if len(df) == 0:
                continue
            try:
                keys = keys_from_table(df, part, key_column(df, self.id_name))
            except KeyError:
                continue  # rows that cannot be matched to objects: leave them
            classes = self.classes.column(keys + offset)
            layer.features = add_class_columns(df, self.class_column, classes)
            layer.metadata = {**layer.metadata, CLASS_KEY: self.class_column}

    # -------------------------------------------------------------- export
    def export_class(self, name: str | None = None):
        """Add a Labels layer holding only the objects of one class.

        With several Labels layers embedded together, one per source layer
        (``"<class> (<layer>)"``, each with its own objects).

        Returns
        -------
        napari.layers.Labels or None
            (a list of them for several source layers)
        """
        name = name or self.current_class()
        keys = None if name is None else self.classes.keys_of(name)
        return class_layers(self.target, keys, name, self._viewer_of)

    def table(self) -> pd.DataFrame:
        """Return the embedding layer's features: inputs, coordinates, classes."""
        pts = self.points
        if not self._alive(pts):
            raise ValueError("run an embedding first")
        return pts.features.copy()

    def save_table(self, path: str | None = None) -> str | None:
        """Save :meth:`table` as CSV (asks for a file name without ``path``).

        The run's provenance (and quality readout) goes beside it, in
        ``<path>.json``.
        """
        if path is None:
            default = f"{self.source_name or 'embedding'}_embedding.csv"
            path, _ = QFileDialog.getSaveFileName(
                self, "Save table", default, "CSV (*.csv)"
            )
            if not path:
                return None
        try:
            df = self.table()
        except ValueError as err:
            show_info(str(err))
            return None
        return save_table(path, df, self.points.metadata)

    # ------------------------------------------------------------- display
    def _update(self) -> None:
        n = len(self.selected)
        linked = self._alive(self.points)
        self.count_label.setText(
            f"{n} object{'s' if n != 1 else ''} selected" if n else "Nothing selected"
        )
        has_class = self.current_class() is not None
        self.assign_btn.setEnabled(bool(n) and has_class)
        self.unassign_btn.setEnabled(bool(n))
        self.remove_btn.setEnabled(has_class)
        t = self.target
        self.export_btn.setEnabled(has_class and t is not None and t.has_image)
        self.save_btn.setEnabled(linked)
        self.lasso_btn.setEnabled(linked)
        self.clear_btn.setEnabled(bool(n))
