"""The "Neighbor Embedding" dock widget: the panels put together.

It embeds objects, table rows or pixels with
:class:`napari_cne.ContrastiveEmbedding` in a worker thread and shows the
layout live in napari; ``docs/scripting.md`` is its scripting contract.
The Qt-free :class:`napari_cne.app.session.Session` holds the state
(settings, fit, sweep, requests, status) and makes the workflows' requests
(:mod:`napari_cne.app`, the same the command line runs); the panels in
:mod:`.panels` show and change it; :class:`.runner.Runner` runs the
requests in worker threads and hands their typed events to the panels on
the GUI thread. This class composes them, connects the buttons to its
methods and implements the public methods.
"""

from __future__ import annotations

import contextlib

from napari.utils.notifications import show_error
from qtpy.QtCore import QSize, QTimer, Signal
from qtpy.QtWidgets import QWidget

from ..app import warmup
from ..app.events import USER_ERRORS
from ..app.metadata import META_KEY
from ..app.session import Session
from ..app.settings import setting
from ..app.sweep import SWEEP_S
from ..engine.spectrum import SPECTRUM_LOSSES
from ..features.pixel_map import TILE_PIXELS
from .controls import boxed, scroll_column
from .panels.findings import FindingsPanel
from .panels.input import InputPanel
from .panels.parameters import ParametersPanel
from .panels.place import PlacePanel
from .panels.quality import QualityPanel
from .panels.results import ResultsPanel
from .panels.run import LossPlot, RunPanel
from .panels.selection import SelectionPanel
from .pixel_layers import PixelMapView
from .run_view import RunView
from .runner import Runner
from .sweep_layer import SweepView
from .viewers import Viewers

__all__ = ["SWEEP_S", "EmbeddingWidget"]  # SWEEP_S: the default sweep


class EmbeddingWidget(QWidget):
    """Dock widget: contrastive neighbor embedding of objects, live in napari.

    Parameters
    ----------
    napari_viewer : napari.viewer.Viewer
        The viewer (napari injects it by this parameter name).

    Attributes
    ----------
    session : Session
        The state behind the panels (parameters, model, jobs, status).
    selection : SelectionPanel
        Linked selection and named classes (see docs/scripting.md).
    input_panel, params_panel, run_panel, quality_panel, results_panel, place_panel
        The other panels (``findings``: clusters, robustness, describe, the
        gallery, predicted classes, counts); ``sweep_view`` makes the sweep
        layer, ``pixel_view`` the every-pixel layers.

    Signals
    -------
    run_finished(str)
        After a run ended (``"fit"``, ``"optimize"``, ``"sweep"``, ``"place"``)
        and its results were written, also when it was stopped.
    layout_updated(Snapshot)
        After each live update of the Points layer, with the engine's
        :class:`napari_cne.Snapshot` (raw coordinates in ``.embedding``).
    """

    run_finished = Signal(str)
    layout_updated = Signal(object)

    def __init__(self, napari_viewer, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewer = napari_viewer
        self.session = Session()
        self.viewers = Viewers(napari_viewer, self)
        self._build()
        self.run_view = RunView(
            self.session,
            self.results_panel,
            self.quality_panel,
            self.place_panel,
            self.sweep_view,
            self.pixel_view,
            self.loss_plot,
            on_layout=self.layout_updated.emit,
        )
        self.runner = Runner(
            self.session,
            prepare=self.results_panel.live.prepare,
            show=self.run_view.show,
            finalize=self.run_view.finish,
            parent=self,
        )
        self.place_panel.runner = self.findings.runner = self.runner
        self._connect()
        self.reset_choices()
        QTimer.singleShot(warmup.DELAY_MS, warmup.warm_up_knn)

    # ------------------------------------------------------------ layout
    def _build(self) -> None:
        """Stack the panels in a scroll area (the dock stays narrow)."""
        session, viewers = self.session, self.viewers
        self.input_panel = InputPanel(viewers)
        self.params_panel = ParametersPanel(session)
        self.run_panel = RunPanel(session)
        self.quality_panel = QualityPanel(session, viewers)
        self.selection = SelectionPanel(viewers.of)
        self.results_panel = ResultsPanel(session, viewers, self.selection)
        self.sweep_view = SweepView(session, viewers, self.results_panel)
        self.pixel_view = PixelMapView(session, viewers, self.selection)
        self.place_panel = PlacePanel(session, viewers, self.results_panel)
        self.findings = FindingsPanel(
            session, viewers, self.selection, self.results_panel, self.pixel_view
        )
        self.loss_plot = LossPlot()
        self._scroll = scroll_column(
            self,
            [
                self.input_panel,
                self.params_panel,
                self.run_panel,
                self.quality_panel,
                self.results_panel,
                boxed("Selection and classes", self.selection),
                boxed("Findings", self.findings),
                self.place_panel,
                self.loss_plot,
            ],
        )

    def _connect(self) -> None:
        """Buttons -> methods; session, viewer and layer events -> panels."""
        session, run = self.session, self.run_panel
        run.run_btn.clicked.connect(lambda: self.run())
        run.stop_btn.clicked.connect(lambda: self.stop())
        run.continue_btn.clicked.connect(lambda: self.continue_run())
        run.sweep_btn.clicked.connect(lambda: self.sweep())
        run.gif_btn.clicked.connect(lambda: self.export_gif())
        self.params_panel.save_btn.clicked.connect(lambda: self.save_parameters())
        self.params_panel.load_btn.clicked.connect(lambda: self.load_parameters())
        self.params_panel.spectrum_settled.connect(self._on_spectrum_settled)
        self.quality_panel.column_chosen.connect(self.update_quality)
        self.selection.classes_changed.connect(self._on_classes_changed)
        self.input_panel.status.connect(session.say)
        self.input_panel.error.connect(session.fail)
        session.error_raised.connect(show_error)
        self.runner.run_finished.connect(self.run_finished)
        self.runner.run_finished.connect(self.findings.on_run_finished)
        self.quality_panel.trust_measured.connect(self.findings.on_trust)
        self.viewers.separate.opened.connect(self._on_embedding_viewer_opened)
        self.viewers.separate.closed.connect(self._on_embedding_viewer_closed)
        self.viewers.main_closing.connect(self._on_main_closing)
        # stop the worker when the widget's C++ object goes (no reference to it)
        self.destroyed.connect(session.close)
        self.viewer.layers.events.inserted.connect(self.reset_choices)
        self.viewer.layers.events.removed.connect(self._on_layer_removed)
        self.viewer.dims.events.current_step.connect(self.results_panel.on_dims_step)

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

    # -------------------------------------------------------------- state
    @property
    def points_layer(self):
        """The live embedding (Points) layer of the last run, or None."""
        return self.results_panel.live.layer

    @property
    def sweep_layer(self):
        """The spectrum sweep layer (leading "spectrum s" axis), or None."""
        return self.results_panel.sweep_layer

    @property
    def model(self):
        """The fitted :class:`~napari_cne.ContrastiveEmbedding`, or None."""
        return self.session.model

    @property
    def embedding_viewer(self):
        """The separate embedding viewer while it is open, else None."""
        return self.viewers.separate.viewer

    @property
    def worker(self):
        """The running worker (None when idle)."""
        return self.runner.worker

    @property
    def quality(self) -> dict | None:
        """The last quality readout (see :meth:`update_quality`)."""
        return self.session.quality

    @quality.setter
    def quality(self, report: dict | None) -> None:
        self.session.quality = report

    @property
    def last_error(self) -> str | None:
        """The last error message shown to the user (None after a new job)."""
        return self.session.last_error

    @last_error.setter
    def last_error(self, message: str | None) -> None:
        self.session.last_error = message

    @property
    def is_running(self) -> bool:
        """True while a job is running or queued."""
        return self.session.is_running

    # ------------------------------------------------------ scripting API
    def set_input(self, labels=None, images=None, **kwargs) -> None:
        """Choose what to embed; give one of the four kinds of source.

        ``set_input(labels=..., images=[...], time_axis=None)``: objects of a
        Labels layer measured in images; ``set_input(table_layer=...,
        columns=[...])``: rows of a layer's ``features``;
        ``set_input(image=..., channel_axis=0, mask=None, max_pixels=20000)``:
        pixels; ``set_input(table_file=path, columns=[...], link_labels=None)``:
        rows of a file. All arguments: :meth:`.panels.input.InputPanel.set_input`.

        Raises
        ------
        ValueError
            For unknown layers, files or columns, or when several kinds are
            given.
        """
        self.input_panel.set_input(labels, images, **kwargs)

    def get_params(self) -> dict:
        """Return the current parameters, as accepted by :meth:`set_params`."""
        return self.session.get_params()

    def set_params(self, **params) -> None:
        """Set parameters (without starting anything).

        Parameters
        ----------
        **params
            Any setting of :data:`napari_cne.app.settings.SETTINGS` (its
            names, ranges, choices and defaults) by name or alias (``seed``,
            ``standardise``), e.g. ``s=0.5, loss="neg", n_epochs=300``;
            ``learning_rate="auto"`` and ``random_state=None`` (random)
            too. Settings of the widget only (``separate_viewer``, ...) take
            effect at the next run.

        Raises
        ------
        ValueError
            For unknown names or values out of range.
        """
        self.session.set_params(**params)

    def run(self):
        """Embed the chosen input from scratch (stops a running job first).

        Returns
        -------
        GeneratorWorker or None
            The worker (started now, or as soon as the previous job has
            stopped), or None when the input is invalid (an error is shown).
        """
        session = self.session
        try:
            origin = self.input_panel.capture()
            every = None
            if origin.every_pixel:
                tile = self.input_panel.pixels.tile_pixels or TILE_PIXELS
                every = {"tile_pixels": int(tile)}
            request = session.fit_request(origin.input, origin, every)
            request.check()  # every check before any work, on this thread
        except USER_ERRORS as err:
            session.fail(str(err))
            return None
        return self.runner.submit(request, replace=True)

    def _has_model(self, message: str) -> bool:
        if self.session.model is None and not self.session.fit_underway():
            self.session.fail(message)
            return False
        return True

    def reoptimize(self, s: float | None = None, n_epochs: int | None = None):
        """Warm-start the current embedding at spectrum position ``s``.

        What the spectrum slider does: a running re-optimisation stops and
        the new one starts from wherever the points are.

        Returns
        -------
        GeneratorWorker or None
        """
        if s is not None:
            self.session.set_param("s", setting("s").clip(s))
        if not self._has_model("run an embedding first"):
            return None
        return self.runner.submit(self.session.glide_request(n_epochs), replace=False)

    def continue_run(self, n_epochs: int | None = None):
        """Optimise the current layout for ``n_epochs`` more epochs.

        Returns
        -------
        GeneratorWorker or None
        """
        if not self._has_model("run an embedding first"):
            return None
        request = self.session.continue_request(n_epochs)
        return self.runner.submit(request, replace=False)

    def sweep(self, s_values=SWEEP_S, n_epochs: int | None = None):
        """Embeddings along the spectrum, shown as one Points layer.

        The layer has a leading "spectrum s" dimension, so napari's dims
        slider scrubs from t-SNE to UMAP. A fresh anchor model is fitted at
        the position closest to ``s = 1`` and walked along the spectrum (as
        ``napari-cne embed --sweep``); the live embedding is not changed.

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
            self.session.fail("s_values is empty")
            return None
        if not self._has_model("run an embedding first, then sweep the spectrum"):
            return None
        problem = self.session.sweep_problem()
        if problem is not None:
            self.session.fail(problem)
            return None
        request = self.session.sweep_request(s_values, n_epochs)
        return self.runner.submit(request, replace=False)

    def cluster(self, method: str = "leiden", resolution: float | None = None, **kw):
        """Cluster into ``cne_cluster`` (:meth:`.ClustersPanel.cluster`; a worker)."""
        return self.findings.clusters.cluster(method, resolution, **kw)

    def robustness(self, s_values=(0.0, 0.5, 1.0), by: str | None = None):
        """Return group x s separation (:meth:`.ClustersPanel.robustness`)."""
        return self.findings.clusters.robustness(s_values, by)

    def place(self, labels, images=None, method: str = "auto"):
        """Place a Labels layer's objects in the map (``PlacePanel.place``).

        ``method="auto"``: the network of a parametric fit, else
        ``optimize`` (as ``napari-cne transform``).
        """
        return self.place_panel.place(labels, images, method)

    def save_model(self, path=None):
        """Save the fitted model for ``napari-cne transform`` (Path or None)."""
        return self.place_panel.save_model(path)

    def stop(self) -> None:
        """Stop the running job (and drop queued ones); never blocks."""
        self.params_panel.cancel_pending_move()
        self.session.stop()

    def update_quality(self):
        """Measure the live embedding in the background (done after every run).

        Neighbour preservation @15 and, with a class column chosen in
        "accuracy of", the 10-NN class accuracy; the result goes to
        :attr:`quality`, the label under the status line and the Points
        layer's metadata. Returns the ``FunctionWorker`` (or None).
        """
        return self.quality_panel.update(self.points_layer)

    def export_gif(self, path: str | None = None, **kwargs):
        """Save the last spectrum sweep as an animated GIF.

        Parameters
        ----------
        path : str, optional
            Output file; without it a file dialog asks.
        **kwargs
            Passed to :func:`napari_cne.render.gif.save_sweep_gif`
            (``fps``, ``interpolate``, ``hold``, ``size_inches``, ``dpi``).

        Returns
        -------
        pathlib.Path or None
        """
        return self.sweep_view.export_gif(path, parent=self, **kwargs)

    def save_parameters(self, path: str | None = None) -> str | None:
        """Save the settings as JSON (with the last result's provenance).

        The file loads back with :meth:`load_parameters`, and its
        ``"params"`` section with :func:`napari_cne.engine.provenance.load_params`
        (e.g. ``ContrastiveEmbedding(**load_params(path))`` in a script).
        """
        layer = self.points_layer
        meta = layer.metadata.get(META_KEY, {}) if self.viewers.alive(layer) else {}
        return self.params_panel.save(path, meta.get("provenance"))

    def load_parameters(self, path: str | None = None) -> dict | None:
        """Load settings from a JSON parameter set or provenance record.

        Engine parameters the widget has no control for (e.g. ``batch_size``)
        are ignored, with a note in the status line.

        Returns
        -------
        dict or None
            The settings applied.
        """
        return self.params_panel.load(path)

    def reset_choices(self, *_) -> None:
        """Refresh the layer and column choices from the viewer's layers."""
        if self.session.closed:
            return
        try:
            self.input_panel.reset_choices()
        except RuntimeError:  # the Qt side is already gone (viewer closing)
            self.session.closed = True

    # ------------------------------------------------------ job lifecycle
    def _on_spectrum_settled(self) -> None:
        if self.session.closed:
            return
        loss = self.session.params["loss"]
        if loss not in SPECTRUM_LOSSES:
            self.session.say(f"Loss {loss!r} ignores the spectrum s.")
            return
        self.reoptimize()

    def _on_classes_changed(self) -> None:
        layer = self.points_layer
        if self.viewers.alive(layer):
            self.quality_panel.refresh_choices(layer)
            self.results_panel.on_classes_changed()

    def _on_layer_removed(self, event=None) -> None:
        """Refresh the choices; stop a run whose embedding layer was deleted."""
        if not self.session.closed:
            self.results_panel.live.check_layer(self.runner.run)
            self.reset_choices()

    # ------------------------------------------------------------ windows
    def _on_embedding_viewer_opened(self, viewer) -> None:
        viewer.layers.events.removed.connect(self._on_layer_removed)
        self.viewers.watch_main()

    def _on_embedding_viewer_closed(self) -> None:
        """Stop a job that draws into the separate viewer, which is closing."""
        self.results_panel.live.reset_frame()
        run = self.runner.run
        if run is None or not run.separate or self.session.closed:
            return
        run.viewer_closed = True
        self.stop()
        self.session.say("The embedding viewer was closed; run stopped.")

    def _on_main_closing(self) -> None:
        """Stop, and close the separate viewer: the main viewer is closing."""
        self.shutdown()
        self.viewers.separate.close()

    def shutdown(self) -> None:
        """Stop everything (called when the viewer closes)."""
        self.params_panel.cancel_pending_move()
        step = self.viewer.dims.events.current_step
        with contextlib.suppress(Exception):
            step.disconnect(self.results_panel.on_dims_step)
        with contextlib.suppress(Exception):
            self.selection.detach()
        self.results_panel.live.density.close()
        self.findings.shutdown()
        self.session.cancel_all()

    def detach(self) -> None:
        """Stop everything and stop following the viewer (the widget goes away)."""
        self.shutdown()
        self.session.close()
        events = self.viewer.layers.events
        for emitter, slot in (
            (events.inserted, self.reset_choices),
            (events.removed, self._on_layer_removed),
            (events.inserted, self.place_panel.reset_choices),
            (events.removed, self.place_panel.on_removed),
        ):
            with contextlib.suppress(Exception):
                emitter.disconnect(slot)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Stop running jobs when the widget is closed."""
        self.shutdown()
        super().closeEvent(event)
