"""The live embedding layer: made at a job's first update, moved, written at its end.

The Points layer ``"<source> embedding"`` is created on a job's first live
update (beside the image, or in the separate viewer in raw coordinates),
moved at every update, or drawn as a density picture
(:class:`~.density_view.DensityView`) where "Draw as" says so; at the end
of a job it gets the final coordinates, its features and provenance, and
the coordinates also go to the source layer (:mod:`.outputs`). It is
linked to the objects (:class:`~.panels.selection.SelectionPanel`); the
results panel (:mod:`.panels.results`) colours it. GUI thread only: called
from the slots of worker signals.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from napari.utils.notifications import show_info

from ..app.drawing import draws_density
from ..app.metadata import META_KEY, source_of, tag
from ..app.session import Session
from ..engine.spectrum import describe_s
from ..render.colors import UNIFORM_COLOR
from ..render.layout import layout_span, point_size
from .density_view import DensityView
from .layer_inputs import Origin
from .linking import RING_RGBA
from .outputs import (
    class_column,
    coord_names,
    points_features,
    run_metadata,
    target_of,
    world,
    write_source,
)
from .runner import Run
from .viewers import Viewers

__all__ = ["REFRAME_FACTOR", "THREE_D_NOTE", "LiveLayer"]

#: In the separate viewer (raw coordinates), the point size follows the
#: layout's span, and the camera is re-fitted, once it changed by this factor.
REFRAME_FACTOR = 1.25
#: what the status line adds after a 3-D embedding
THREE_D_NOTE = (
    " 3-D: shown in the separate viewer in 3-D display (drag to rotate);"
    " select by clicking objects, with the Points select tool or by class"
    " (no lasso in 3-D)."
)


class LiveLayer:
    """Owner of the live embedding layer (and of its density picture).

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Linked to every new embedding layer.
    offer_columns : callable
        ``offer_columns(layer)``: offer a new layer's columns in "Colour by"
        and colour it.
    recolor : callable
        ``recolor()``: colour the layer again by the chosen column.

    Attributes
    ----------
    layer : napari.layers.Points or None
        The live embedding layer.
    density : DensityView
        Its density picture (big layouts).
    """

    def __init__(
        self,
        session: Session,
        viewers: Viewers,
        selection,
        offer_columns: Callable,
        recolor: Callable[[], None],
    ):
        self.session, self.viewers, self.selection = session, viewers, selection
        self.offer_columns, self.recolor = offer_columns, recolor
        self.layer = None
        self._frame_span: float | None = None  # separate viewer: size basis
        self.density = DensityView(viewers.of, RING_RGBA, on_pick=selection.pick_rows)
        # the selection is drawn over the picture whenever the picture is shown
        selection.linker.density = self.density
        session.param_changed.connect(self._on_param)

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
            self._show_picture()

    def hide(self) -> None:
        """Hide the live layer and its density picture (a sweep is shown)."""
        if self.viewers.alive(self.layer):
            self.layer.visible = False
        if self.density.shown:
            self.density.layer.visible = False

    def _show_picture(self) -> None:
        """Show the density picture again where :meth:`hide` hid it."""
        if self.density.shown:
            self.density.layer.visible = True

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
            self._show_picture()
        else:
            layer.data = linker.layout()  # where the picture showed it last
            self.density.hide()
            layer.visible = True
        self.recolor()
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
                self.offer_columns(layer)
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
        self.offer_columns(layer)
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
        self.recolor()
        return layer
