"""What the widget shows of a run: its live layouts and, at its end, its results.

The :class:`~.runner.Runner` hands every live layout and every ended run to
:class:`RunView`, which passes them to the panels by the request's kind: a
fit or a re-optimisation to the results panel (the live layer), the
quality readout and the loss curve, then every pixel's layers; a sweep to
the sweep layer; placed objects to the "Fitted map" panel. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from ..app.session import Session
from .panels.place import PlacePanel
from .panels.quality import QualityPanel
from .panels.results import ResultsPanel
from .panels.run import LossPlot
from .pixel_layers import PixelMapView
from .runner import Run
from .sweep_layer import SweepView

__all__ = ["RunView"]


class RunView:
    """Shows the runs of one dock widget.

    Parameters
    ----------
    session : Session
    results, quality, place : panels
    sweep : SweepView
    pixels : PixelMapView
    loss_plot : LossPlot
    on_layout : callable
        Called with every snapshot shown (the widget's ``layout_updated``).
    """

    def __init__(
        self,
        session: Session,
        results: ResultsPanel,
        quality: QualityPanel,
        place: PlacePanel,
        sweep: SweepView,
        pixels: PixelMapView,
        loss_plot: LossPlot,
        on_layout: Callable[[object], None],
    ):
        self.session, self.results, self.quality = session, results, quality
        self.place, self.sweep, self.pixels = place, sweep, pixels
        self.loss_plot, self.on_layout = loss_plot, on_layout

    def show(self, run: Run, snap) -> None:
        """Move the live layer to a snapshot; the progress, the loss, the status."""
        if not self.results.live.show_snapshot(run, snap):
            return
        self.session.progress(snap.epoch)
        self.loss_plot.show_losses(run.model)
        self.session.say(
            f"epoch {snap.epoch}/{snap.n_epochs} · loss {snap.loss:.4g} · "
            f"s = {snap.s:+.2f}"
        )
        self.on_layout(snap)

    def finish(self, run: Run) -> None:
        """Write what a run that ended produced (never lets an error reach napari)."""
        try:
            if run.kind == "place":
                self.place.finish(run)
            elif run.kind == "sweep":
                self.sweep.finish(run)
            else:
                self._finish_fit(run)
        except Exception as err:  # noqa: BLE001 - keep napari alive
            self.session.fail(f"could not store the results: {err}")

    def _finish_fit(self, run: Run) -> None:
        if self.results.live.finish(run):
            self.quality.refresh_choices(self.results.live.layer)
            self.quality.update(self.results.live.layer)
        fit = run.fit
        if run.kind == "fit" and fit is not None and fit.origin.every_pixel:
            self.pixels.finish(run, fit)
        model = run.model
        if run.error is None and model is not None:
            self.loss_plot.show_losses(model)
