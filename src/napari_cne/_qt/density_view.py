"""The embedding drawn as a density picture, for hundreds of thousands of points.

:class:`DensityView` shows a 2-D layout as an RGBA Image layer
(``"<embedding> density"``, :mod:`napari_cne.render.density`) in the
viewer of the embedding's Points layer, which stays there hidden and keeps
the table, the selection and the classes. A large selection is drawn as a
second picture (``"<embedding> density selection"``); a small one keeps
the rings of :class:`~.linking.Linker`, which show single points.

Live layouts are turned into pictures in a thread of their own (the
kernels release the GIL), one at a time, the newest waiting one next; only
putting the picture into its layer happens on the GUI thread. Colours and
selections are drawn at once on the GUI thread (they reuse the bins).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from qtpy.QtCore import QObject, QTimer, Signal

from ..app.metadata import tag
from ..render.density import (
    BinColors,
    Grid,
    bin_colors,
    density_rgba,
    grid_of,
    selection_rgba,
)

__all__ = ["RINGS_MAX", "DensityView"]

#: the fastest a running model's layout is drawn (seconds between pictures)
FOLLOW_MIN_INTERVAL = 0.25
#: selections of up to this many points are drawn as rings around them
#: (single points stay visible); bigger ones as a picture of their bins
RINGS_MAX = 5000


class _Relay(QObject):
    """Carries a finished picture from the drawing thread to the GUI thread."""

    ready = Signal(object)


class DensityView:
    """Draws one embedding as a density picture (and its selection).

    Parameters
    ----------
    viewer_of : callable
        ``viewer_of(layer)``: the viewer holding a layer (None: gone).
    selection_color : RGBA
        The colour of a large selection's bins.
    on_pick : callable, optional
        ``on_pick(rows, toggle)`` after a click on the picture (with the
        picture the active layer): the rows of the clicked bin's points;
        ``toggle`` with Shift held.

    Attributes
    ----------
    coords : ndarray of shape (n, 2) or None
        The world coordinates of the layout drawn last: what a lasso on the
        picture selects from.
    layer, selection_layer : napari.layers.Image or None
    drawn : int
        Pictures put into the layer so far (live updates, for benchmarks).
    """

    def __init__(self, viewer_of, selection_color, on_pick=None) -> None:
        self.viewer_of = viewer_of
        self.on_pick = on_pick
        self.selection_color = tuple(selection_color)
        self.layer = None
        self.selection_layer = None
        self.coords: np.ndarray | None = None
        self.drawn = 0
        self._grid: Grid | None = None
        self._index: np.ndarray | None = None
        self._colors: BinColors | None = None
        self._selected = np.zeros(0, np.int64)
        self._points = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="napari-cne-density")
        self._lock = threading.Lock()
        self._waiting = None  # the newest layout not drawn yet
        self._busy = False
        # bumped by every picture drawn at once and by hide(): pictures of
        # layouts submitted before are stale when they arrive
        self._generation = 0
        self._relay = _Relay()
        self._relay.ready.connect(self._put)
        self._follow = QTimer()
        self._following = None
        self._follow.timeout.connect(lambda: self.submit(self._following))

    # ------------------------------------------------------------ state
    @property
    def shown(self) -> bool:
        """Whether the picture is in a viewer."""
        return self._alive(self.layer)

    @property
    def bin_size(self) -> float:
        """The side of a bin in world units (0 before the first picture)."""
        return 0.0 if self._grid is None else float(self._grid.step)

    def show(self, points, coords: np.ndarray, rgba: np.ndarray) -> None:
        """Draw ``points`` (a Points layer, hidden here) as a density, now.

        ``coords`` are its world coordinates (n, 2), ``rgba`` its colours.
        """
        self._points = points
        self._colors = bin_colors(rgba)
        with self._lock:
            self._generation += 1
            self._waiting = None
        pic = self._picture(np.asarray(coords, float), self._colors)
        self._put((self._generation, pic))

    def hide(self) -> None:
        """Remove the pictures (the Points layer is drawn again)."""
        for layer in (self.layer, self.selection_layer):
            viewer = self.viewer_of(layer) if layer is not None else None
            if viewer is not None:
                viewer.layers.remove(layer)
        self.layer = self.selection_layer = None
        self._points = None
        self.forget_layout()

    def forget_layout(self) -> None:
        """Forget the layout drawn (the next :meth:`show` draws another).

        The picture's layers stay (with whatever the user set on them);
        pictures still being made are dropped.
        """
        self.coords = self._grid = self._index = None
        with self._lock:
            self._generation += 1
            self._waiting = None

    def close(self) -> None:
        """Stop the drawing thread (the widget closes)."""
        self.unfollow()
        with self._lock:
            self._waiting = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    def follow(self, layout: Callable[[], np.ndarray | None], interval: float) -> None:
        """Draw ``layout()`` every ``interval`` seconds until :meth:`unfollow`.

        At most every :data:`FOLLOW_MIN_INTERVAL` seconds: a running model's
        layout, between its epochs' snapshots too.
        """
        self._following = layout
        if not self._follow.isActive():
            self._follow.start(int(1000 * max(float(interval), FOLLOW_MIN_INTERVAL)))

    def unfollow(self) -> None:
        """Stop drawing the followed layout."""
        self._follow.stop()
        self._following = None

    # ------------------------------------------------------------ live
    def submit(self, layout: Callable[[], np.ndarray | None]) -> None:
        """Draw a new layout when the drawing thread is free.

        ``layout()`` is called in the drawing thread and returns the world
        coordinates (None: nothing to draw). A layout submitted while
        another is drawn waits; a newer one replaces it.
        """
        if self._colors is None or layout is None:
            return
        with self._lock:
            self._waiting = (self._generation, layout)
            if self._busy:
                return
            self._busy = True
        self._pool.submit(self._draw_waiting)

    def _draw_waiting(self) -> None:
        """In the drawing thread: turn waiting layouts into pictures."""
        while True:
            with self._lock:
                waiting, self._waiting = self._waiting, None
                colors = self._colors
                if waiting is None:
                    self._busy = False
                    return
            generation, layout = waiting
            try:
                coords = layout()
                if coords is not None and colors is not None:
                    pic = self._picture(coords, colors)
                    self._relay.ready.emit((generation, pic))
            except Exception:  # noqa: BLE001 - a live picture is not worth a crash
                continue

    def _picture(self, coords: np.ndarray, colors: BinColors) -> dict:
        grid = grid_of(coords)
        index = grid.index(coords)
        if len(index) != len(colors.codes if colors.rgba is None else colors.rgba):
            raise ValueError("the layout and its colours have other lengths")
        return {
            "coords": coords,
            "grid": grid,
            "index": index,
            "rgba": density_rgba(grid, index, colors),
        }

    # ------------------------------------------------------------ GUI thread
    def _put(self, item: tuple[int, dict]) -> None:
        generation, pic = item
        points = self._points
        if generation != self._generation or not self._alive(points):
            return
        self.coords, self._grid, self._index = pic["coords"], pic["grid"], pic["index"]
        grid = self._grid
        if not self._alive(self.layer):
            viewer = self.viewer_of(points)
            active = viewer.layers.selection.active
            self.layer = viewer.add_image(
                pic["rgba"],
                rgb=True,
                name=f"{points.name} density",
                scale=grid.scale,
                translate=grid.translate,
                metadata=tag("density", source=points.name),
            )
            self.layer.mouse_drag_callbacks.append(self._on_click)
            _below(viewer, self.layer, points)
            if active is not None:
                viewer.layers.selection.active = active
        else:
            layer = self.layer
            layer.data = pic["rgba"]
            if tuple(layer.scale) != grid.scale or tuple(layer.translate) != (
                grid.translate
            ):
                layer.scale, layer.translate = grid.scale, grid.translate
        self.drawn += 1
        self._draw_selection()

    def rows_at(self, world_yx) -> np.ndarray:
        """Return the rows of the points in the bin under a world position."""
        grid, index = self._grid, self._index
        b = -1 if grid is None or index is None else grid.bin_at(world_yx)
        return np.zeros(0, np.int64) if b < 0 else np.flatnonzero(index == b)

    def _on_click(self, layer, event):
        """Select the points of a clicked bin (no drag); Shift toggles them."""
        if layer.mode != "pan_zoom" or self.on_pick is None:
            return
        yield
        while event.type == "mouse_move":
            return  # a drag pans the view
        rows = self.rows_at(event.position)
        self.on_pick(rows, "Shift" in event.modifiers)

    def paint(self, rgba: np.ndarray) -> None:
        """Colour the picture with the points' colours (n, 4).

        Pictures still being made in the old colours are dropped.
        """
        colors = bin_colors(rgba)
        with self._lock:
            self._colors = colors
            self._generation += 1
        index = self._index
        if self._alive(self.layer) and index is not None and len(index) == len(rgba):
            self.layer.data = density_rgba(self._grid, self._index, self._colors)

    def select(self, rows: np.ndarray) -> bool:
        """Show selected rows; False when they are few (rings should show them)."""
        self._selected = np.asarray(rows, np.int64)
        self._draw_selection()
        return len(self._selected) > RINGS_MAX

    def _draw_selection(self) -> None:
        rows, index = self._selected, self._index
        big = len(rows) > RINGS_MAX and index is not None and self.shown
        layer = self.selection_layer
        if not big:
            if self._alive(layer):
                layer.visible = False
            return
        rows = rows[rows < len(index)]
        rgba = selection_rgba(self._grid, index[rows], self.selection_color)
        grid = self._grid
        if self._alive(layer):
            layer.data = rgba
            layer.scale, layer.translate = grid.scale, grid.translate
            layer.visible = True
            return
        viewer = self.viewer_of(self.layer)
        active = viewer.layers.selection.active
        self.selection_layer = viewer.add_image(
            rgba,
            rgb=True,
            name=f"{self.layer.name} selection",
            scale=grid.scale,
            translate=grid.translate,
            metadata=tag("density selection", source=self.layer.name),
        )
        if active is not None:
            viewer.layers.selection.active = active

    def _alive(self, layer) -> bool:
        return layer is not None and self.viewer_of(layer) is not None


def _below(viewer, layer, other) -> None:
    """Move ``layer`` just below ``other`` (its rings and lasso stay on top)."""
    with contextlib.suppress(ValueError):
        layers = viewer.layers
        i, j = layers.index(layer), layers.index(other)
        if i > j:
            layers.move(i, j)
