"""The spectrum sweep's results: one layer along "spectrum s", a GIF.

No controls of its own (its buttons are in the run panel): when a sweep job
ends, :class:`SweepView` builds the layer with a leading "spectrum s" axis
(layouts rotated/reflected to line up with their neighbours), and
:meth:`SweepView.export_gif` writes the last sweep as a GIF. The layer is a
Points layer (features with the engine's raw coordinates), or, where the
live embedding is drawn as a density picture ("Draw as"), a stack of
density pictures on one grid (an RGB Image layer): a sweep of a million
objects repeats them once per position, more than a Points layer takes.
GUI thread only.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..app.drawing import draws_density
from ..app.metadata import META_KEY, source_of
from ..app.session import Session
from ..render.colors import UNIFORM_COLOR, column_colors
from ..render.density import DensityStack
from ..render.gif import align_layouts, save_sweep_gif
from ..render.layout import fit_box, layout_span, point_size
from .controls import ask_path
from .outputs import COORDS, points_features, sweep_metadata
from .panels.results import ResultsPanel
from .runner import Run
from .viewers import Viewers

__all__ = ["SweepView"]


class SweepView:
    """Makes the sweep layer and exports the GIF.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    results : ResultsPanel
        Holds the sweep layer (``results.sweep_layer``) beside the live
        one, so that both are coloured alike.
    """

    def __init__(self, session: Session, viewers: Viewers, results: ResultsPanel):
        self.session, self.viewers, self.results = session, viewers, results

    @property
    def layer(self):
        """The sweep layer (or None)."""
        return self.results.sweep_layer

    def finish(self, run: Run) -> None:
        """Show the positions a sweep got done as one layer."""
        sweep = run.result if run.end is not None else run.partial
        if run.error is not None:
            return
        if run.viewer_closed:
            self.session.say("The embedding viewer was closed; sweep stopped.")
            return
        if sweep is None or not sweep.layouts:
            self.session.say("Sweep stopped before the first position was done.")
            return
        target = self.viewers.for_run(run, closed=self.session.closed)
        if target is None:
            return
        order = sweep.done()
        s_done = [sweep.s_values[i] for i in order]
        raw = [sweep.layouts[i] for i in order]
        # shown rotated/reflected to line up with their neighbours (distances
        # unchanged); the features keep the engine's raw coordinates
        anchor = int(np.argmin(np.abs(np.asarray(s_done) - sweep.anchor)))
        layouts = align_layouts(raw, anchor)
        steps = np.diff(s_done)
        even = len(s_done) > 1 and np.allclose(steps, steps[0]) and steps[0] > 0
        scale = (float(steps[0]) if even else 1.0, 1.0, 1.0)
        translate = (float(s_done[0]) if even else 0.0, 0.0, 0.0)
        fit = self.session.fit
        where = {"scale": scale, "translate": translate}
        self._add_layer(run, fit, target, layouts, raw, s_done, anchor, where)
        self.session.set_sweep(sweep, layouts)
        self._show_axis(target, s_done, even, scale, translate)
        self.results.live.hide()
        if run.separate and self.viewers.separate.autoframe:
            target.reset_view()
        self.results.apply_colors()
        done = "stopped; kept" if run.cancelled else "done:"
        self.session.say(
            f"Sweep {done} {len(s_done)} positions (s = "
            + ", ".join(f"{s:g}" for s in s_done)
            + "). Scrub them with the 'spectrum s' slider under the canvas."
        )

    def _add_layer(self, run: Run, fit, target, layouts, raw, s_done, anchor, where):
        """Add the sweep layer (replacing the previous one of the same source)."""
        n = len(layouts[0])
        origin = fit.origin
        if run.separate:  # the engine's scale, like the live layer there
            shown = [np.asarray(Y, dtype=float) for Y in layouts]
            size = point_size(n, layout_span(layouts[anchor]) or 1.0)
        else:
            shown = [fit_box(Y, origin.box) for Y in layouts]
            size = point_size(n, origin.box[2])
        old = self.viewers.of(self.layer)
        name = fit.input.name
        if old is not None and source_of(self.layer) == name:
            old.layers.remove(self.layer)
        elapsed = time.perf_counter() - run.t0
        sweep = run.result if run.end is not None else run.partial
        common = {
            "name": f"{name} spectrum sweep",
            "metadata": {META_KEY: sweep_metadata(sweep, fit, elapsed)},
        }
        if draws_density(self.session.params["draw"], n, shown[0].shape[1]):
            stack = DensityStack.of(shown)
            self.results.sweep_density = stack
            self.results.sweep_layer = target.add_image(
                stack.rgba(column_colors(None, n)),
                rgb=True,
                scale=(where["scale"][0], *stack.grid.scale),
                translate=(where["translate"][0], *stack.grid.translate),
                **common,
            )
            return
        data = np.concatenate(
            [np.column_stack([np.full(n, k, float), Y]) for k, Y in enumerate(shown)]
        )
        matrix = fit.matrix
        base = points_features(matrix.table, matrix.kept, fit.input.id_name)
        base = base.drop(columns=COORDS)
        feats = pd.concat([base] * len(layouts), ignore_index=True)
        feats["s"] = np.repeat(s_done, n)
        feats[COORDS[0]] = np.concatenate([Y[:, 0] for Y in raw]).astype(float)
        feats[COORDS[1]] = np.concatenate([Y[:, 1] for Y in raw]).astype(float)
        self.results.sweep_density = None
        self.results.sweep_layer = target.add_points(
            data,
            features=feats,
            size=size,
            border_width=0,
            face_color=UNIFORM_COLOR,
            **common,
            **where,
        )

    def _show_axis(self, target, s_done, even: bool, scale, translate) -> None:
        """Name the leading dims axis and move it to the slider's ``s``."""
        dims = target.dims
        axis = dims.ndim - 3
        if axis < 0:
            return
        labels = list(dims.axis_labels)
        labels[axis] = "spectrum s" if even else "spectrum (index)"
        dims.axis_labels = labels
        k = int(np.argmin(np.abs(np.asarray(s_done) - self.session.s)))
        dims.set_point(axis, translate[0] + k * scale[0])

    def export_gif(self, path=None, *, parent=None, **kwargs):
        """Write the last sweep as a GIF (``kwargs``: ``save_sweep_gif``'s).

        Without ``path`` a file dialog (over ``parent``) asks. Returns the
        path, or None when cancelled or after telling the user what went
        wrong (no sweep yet, a file that cannot be written).
        """
        result = self.session.sweep
        if result is None:
            self.session.fail("run a spectrum sweep first")
            return None
        if path is None:
            path = ask_path(
                parent,
                "Save spectrum sweep",
                "GIF (*.gif)",
                save_as="spectrum_sweep.gif",
            )
            if path is None:
                return None
        layouts = self.session.sweep_layouts
        colors = self.results.sweep_colors(len(layouts[0]))
        try:
            kwargs.setdefault("align", False)  # already aligned for display
            s_done = [result.s_values[i] for i in result.done()]
            out = save_sweep_gif(path, layouts, s_done, colors, **kwargs)
        except (OSError, ValueError) as err:
            self.session.fail(f"could not write {path}: {err}")
            return None
        self.session.say(f"Saved {out}")
        return out
