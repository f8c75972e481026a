"""The gallery of a group's cells: a dockable panel of clickable tiles.

:class:`GalleryView` asks the application layer for a group's gallery
(:func:`napari_cne.app.gallery.group_gallery`: the central objects and a
random sample, each cut from its own field and frame) and shows it in a
:class:`GalleryPanel` docked in the main viewer, beside the canvas: a
legend (the frame colours of central and random tiles), the tiles in a
grid that wraps with the dock's width, and "Save PNG…". Clicking a tile
selects its object (the selection panel's :meth:`select`: its point in the
embedding, its outline in the image); Ctrl/Shift-click selects several; a
double-click also centres the image on it (and goes to its frame).
GUI thread only.
"""

from __future__ import annotations

import contextlib

import numpy as np
from napari.utils.notifications import show_info
from qtpy.QtCore import QSize, Qt, Signal
from qtpy.QtGui import QColor, QIcon, QImage, QPixmap
from qtpy.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..app.gallery import Gallery, group_gallery
from ..app.targets import parts_of, unwrap
from ..render.gallery import KIND_COLORS, frame_tile
from .controls import ask_path

__all__ = ["DOCK_NAME", "GalleryPanel", "GalleryView", "camera_of"]

#: the dock's title
DOCK_NAME = "Gallery (napari-cne)"
#: the frame around each tile, in screen pixels
FRAME = 3


def _pixmap(rgb: np.ndarray) -> QPixmap:
    """Return a QPixmap of an RGB uint8 image (copied)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(image.copy())


def camera_of(viewer):
    """Return the viewer's camera (``viewer.scene.camera`` from napari 0.9)."""
    scene = getattr(viewer, "scene", None)
    return getattr(scene, "camera", None) or viewer.camera


def _legend_swatch(kind: str) -> str:
    color = QColor(KIND_COLORS[kind]).name()
    return f'<span style="color:{color}">&#9632;</span>'


class GalleryPanel(QWidget):
    """A legend, the tiles (clickable) and "Save PNG…".

    Signals
    -------
    tiles_chosen(object)
        The indices of the tiles the user chose (a click, Ctrl/Shift-click).
    tile_activated(int)
        A tile was double-clicked (or Enter pressed on it).
    """

    tiles_chosen = Signal(object)
    tile_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.gallery: Gallery | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("No gallery yet")
        self.title.setWordWrap(True)
        self.legend = QLabel(
            f"{_legend_swatch('central')} central: nearest the group's centre "
            f"in the map &nbsp; {_legend_swatch('random')} random: the rest, "
            "sampled"
        )
        self.legend.setWordWrap(True)
        self.tiles = QListWidget()
        self.tiles.setViewMode(QListView.ViewMode.IconMode)
        self.tiles.setResizeMode(QListView.ResizeMode.Adjust)
        self.tiles.setMovement(QListView.Movement.Static)
        self.tiles.setUniformItemSizes(True)
        self.tiles.setSpacing(2)
        self.tiles.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.tiles.setToolTip(
            "Click a tile to select its object; Ctrl/Shift-click for several; "
            "double-click to centre the image on it"
        )
        self.save_btn = QPushButton("Save PNG…")
        self.save_btn.setToolTip("Save the gallery as one image (tiles framed by kind)")
        row = QHBoxLayout()
        row.addWidget(self.legend, 1)
        row.addWidget(self.save_btn)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.tiles, 1)
        self.save_btn.setEnabled(False)
        self.save_btn.clicked.connect(lambda: self.save())
        self.tiles.itemSelectionChanged.connect(self._chosen)
        self.tiles.itemClicked.connect(lambda *_: self._chosen())
        self.tiles.itemActivated.connect(
            lambda item: self.tile_activated.emit(
                int(item.data(Qt.ItemDataRole.UserRole))
            )
        )

    def set_gallery(self, gallery: Gallery, title: str) -> None:
        """Show a gallery (replaces the tiles; no signal is emitted)."""
        self.gallery = gallery
        self.title.setText(title)
        lst = self.tiles
        lst.blockSignals(True)
        lst.clear()
        size = gallery.tiles[0].shape[0] + 2 * FRAME if len(gallery) else 0
        lst.setIconSize(QSize(size, size))
        captions = gallery.captions
        for i, (tile, kind) in enumerate(
            zip(gallery.tiles, gallery.kinds, strict=True)
        ):
            item = QListWidgetItem(captions[i])
            item.setIcon(QIcon(_pixmap(frame_tile(tile, kind, FRAME))))
            item.setData(Qt.ItemDataRole.UserRole, i)
            item.setToolTip(gallery.describe(i))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            lst.addItem(item)
        lst.blockSignals(False)
        self.save_btn.setEnabled(bool(len(gallery)))

    def chosen(self) -> list[int]:
        """Return the indices of the chosen tiles, in gallery order."""
        return sorted(
            int(item.data(Qt.ItemDataRole.UserRole))
            for item in self.tiles.selectedItems()
        )

    def _chosen(self) -> None:
        self.tiles_chosen.emit(self.chosen())

    def save(self, path: str | None = None) -> str | None:
        """Save the gallery's grid image (asks for a file without ``path``)."""
        if self.gallery is None or not len(self.gallery):
            return None
        if path is None:
            path = ask_path(self, "Save gallery", "PNG (*.png)", save_as="gallery.png")
            if path is None:
                return None
        return self.gallery.save(path)


class GalleryView:
    """Builds a group's gallery and shows it in a panel docked in the viewer.

    Parameters
    ----------
    selection : SelectionPanel
        The widget's selection panel: the embedding layer (``points``), the
        key of each point (``linker.keys``), the objects (``target``); a
        click on a tile calls its :meth:`select`.
    fit_of : callable
        ``fit_of()`` -> the current :class:`~napari_cne.app.fit.Fit` (or
        None): its input holds the images.
    viewers : Viewers
        The widget's viewers: the panel is docked in ``viewers.main``;
        ``viewers.alive(layer)`` says whether a layer is still shown.
    """

    def __init__(self, selection, fit_of, viewers):
        self.selection = selection
        self.fit_of = fit_of
        self.viewers = viewers
        self.panel: GalleryPanel | None = None
        self.dock = None
        self.gallery: Gallery | None = None

    # ---------------------------------------------------------------- show
    def show(
        self,
        keys=None,
        n: int = 48,
        *,
        random_state=0,
        title: str | None = None,
        **tile_options,
    ) -> Gallery | None:
        """Show the gallery of a group (default: the selection) in the dock.

        Parameters
        ----------
        keys : array-like of int, optional
            The group's objects (a class's or cluster's keys); default the
            selected objects.
        n : int
            Tiles at most (half central, half random).
        random_state : int
            Seed of the random sample.
        title : str, optional
            What the group is (``"class mitotic"``); default "selection".
        **tile_options
            ``size`` (96), ``margin`` (0.25), ``same_scale`` (True),
            ``contrast`` ("gallery"): see
            :func:`napari_cne.app.gallery.object_gallery`.

        Returns
        -------
        Gallery or None
            None (and a message) when there is nothing to show.
        """
        sel = self.selection
        keys = sel.selected if keys is None else np.asarray(keys, np.int64)
        fit = self.fit_of()
        if fit is None or not self.viewers.alive(sel.points):
            show_info("run an embedding first, then choose a group for the gallery")
            return None
        if not len(keys):
            show_info("select some objects (or choose a class) for the gallery")
            return None
        try:
            gallery = group_gallery(
                fit.input,
                np.asarray(sel.points.data, float),
                sel.linker.keys,
                keys,
                target=sel.target,
                n=n,
                random_state=random_state,
                **tile_options,
            )
        except ValueError as err:
            show_info(str(err))
            return None
        self.gallery = gallery
        what = title or "selection"
        self._panel().set_gallery(
            gallery,
            f"{len(gallery)} of {gallery.group_size} objects of the {what}",
        )
        self._dock()
        return gallery

    def _panel(self) -> GalleryPanel:
        if self.panel is None or not self._qt_alive(self.panel):
            self.panel = GalleryPanel()
            self.panel.tiles_chosen.connect(self.select_tiles)
            self.panel.tile_activated.connect(self.go_to)
            self.dock = None
        return self.panel

    def _dock(self) -> None:
        """Dock the panel below the canvas (again, when the user closed it).

        Below the canvas the grid gets the window's width: about a dozen
        tiles a row, two rows tall at first (the user may drag it taller).
        """
        dock = self.dock
        if dock is not None and self._qt_alive(dock):
            dock.show()
            dock.raise_()
            return
        self.dock = unwrap(
            self.viewers.main.window.add_dock_widget(
                self.panel, name=DOCK_NAME, area="bottom"
            )
        )
        gallery = self.gallery
        tile = gallery.tiles[0].shape[0] if gallery is not None and len(gallery) else 96
        window = self.dock.window()
        if isinstance(window, QMainWindow):
            height = 2 * (tile + 2 * FRAME + 28) + 70  # two rows and the header
            window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    # ------------------------------------------------------------ clicks
    def select_tiles(self, indices) -> None:
        """Select the objects of these tiles (embedding and image)."""
        if self.gallery is None:
            return
        keys = self.gallery.keys[np.asarray(indices, np.int64)]
        if not np.array_equal(np.unique(keys), self.selection.selected):
            self.selection.select(keys)

    def go_to(self, i: int) -> None:
        """Select tile ``i``'s object, centre the image on it, show its frame."""
        self.select_tiles([i])
        row = self.gallery.table.iloc[int(i)]
        part = parts_of(self.selection.target)[int(self._part_of(row))][0]
        layer = part.layer
        viewer = self.viewers.of(layer)
        if layer is None or viewer is None:
            return
        world = np.asarray(layer.data_to_world(self._data_point(part, row)), float)
        lead = viewer.dims.ndim - len(world)
        if part.time_axis is not None:
            viewer.dims.set_point(lead + part.time_axis, world[part.time_axis])
        if len(part.shape) - (part.time_axis is not None) == 3:  # z: its plane
            viewer.dims.set_point(lead + len(world) - 3, world[-3])
        camera_of(viewer).center = tuple(world[-2:])

    def _part_of(self, row) -> int:
        names = getattr(self.selection.target, "names", None)
        return 0 if names is None else names.index(row["source"])

    @staticmethod
    def _data_point(part, row) -> np.ndarray:
        """Return the object's centre in its layer's data coordinates."""
        point = np.zeros(len(part.shape))
        point[-2:] = row["y"], row["x"]
        if row["z"] >= 0:
            point[-3] = row["z"]
        if part.time_axis is not None:
            point[part.time_axis] = row["frame"]
        return point

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _qt_alive(obj) -> bool:
        try:
            obj.objectName()
        except RuntimeError:  # the C++ object is gone (the dock was closed)
            return False
        return True

    def close(self) -> None:
        """Remove the dock (e.g. when the widget closes)."""
        if self.dock is not None and self._qt_alive(self.dock):
            with contextlib.suppress(Exception):
                self.viewers.main.window.remove_dock_widget(self.dock)
        self.dock = self.panel = None
