"""The state of one dock widget, without Qt: what the panels show and change.

:class:`Session` holds the settings (checked against
:data:`.settings.SETTINGS`), the current :class:`~.fit.Fit` (the model and
the input it was fitted on), the last :class:`~.sweep.Sweep`, the quality
readout, the running request and the queued ones, and what the user is
told (status line, progress, last error). It makes the workflows'
requests from its settings (:meth:`Session.fit_request`, ...) and decides
what runs, waits or is stopped (:meth:`Session.submit`). The panels call
its methods and follow its psygnal events, the way napari-animation's
widgets follow their ``Animation`` model; scripts and tests read it
directly. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from psygnal import Signal

from ..engine.provenance import jsonable, load_params
from ..engine.spectrum import SPECTRUM_LOSSES
from .events import Request
from .fit import Fit, FitRequest, OptimizeRequest
from .inputs import Input
from .place import PlaceRequest
from .settings import NAMES, SETTINGS, resolve, setting
from .sweep import Sweep, SweepRequest

__all__ = ["GLIDE_LR_FACTOR", "Session"]

#: Learning rate of slider re-optimisations, relative to the fitted one: a
#: warm restart at the full rate jolts the layout in its first epoch, half
#: the rate glides from the previous layout to the same end point.
GLIDE_LR_FACTOR = 0.5
#: Slider re-optimisations of at most this many objects update the layer at
#: least every GLIDE_INTERVAL seconds (smooth motion; bigger layouts keep the
#: "Live update every" setting, their updates cost the GUI more).
GLIDE_SMOOTH_N = 20000
GLIDE_INTERVAL = 0.1
#: bytes per pixel the widget keeps beside every pixel's coordinates: the
#: RGBA position colours, the lasso mask and the selection overlay
EXTRA_BYTES = 6


class Session:
    """Settings, results and requests of one dock widget.

    Attributes
    ----------
    params : dict
        Current value of every setting of :data:`.settings.SETTINGS`.
    fit : Fit or None
        The fitted map behind the live embedding layer.
    sweep : Sweep or None
        The last sweep; ``sweep_layouts`` its layouts as shown (aligned).
    quality : dict or None
        The last quality readout (:func:`napari_cne.engine.metrics.quality_report`).
    running : Request or None
        The running request; ``queue`` holds the waiting ones.
    status : str
        The status line; ``last_error`` the last error shown.
    closed : bool
        The dock widget is gone: late messages of workers are ignored.

    Signals
    -------
    param_changed(str, object)
        A setting got a new value.
    model_changed, sweep_changed, quality_changed, jobs_changed
        ``fit``, ``sweep``, ``quality``, or the running / queued requests
        changed.
    status_changed(str), error_raised(str)
        A new status line; an error to show.
    progress_changed(object, object, object)
        ``(value, maximum, format)``; None leaves that part as it is.
    """

    param_changed = Signal(str, object)
    model_changed = Signal()
    sweep_changed = Signal()
    quality_changed = Signal()
    jobs_changed = Signal()
    status_changed = Signal(str)
    error_raised = Signal(str)
    progress_changed = Signal(object, object, object)

    def __init__(self) -> None:
        self.params: dict[str, Any] = {s.name: s.start for s in SETTINGS}
        self.fit: Fit | None = None
        self.sweep: Sweep | None = None
        self.sweep_layouts: list | None = None
        self.quality: dict | None = None
        self.running: Request | None = None
        self.queue: list[Request] = []
        self.status = ""
        self.last_error: str | None = None
        self.closed = False

    # ----------------------------------------------------------- settings
    @property
    def s(self) -> float:
        """The spectrum position."""
        return self.params["s"]

    @property
    def model(self):
        """The fitted model (None before the first fit)."""
        return None if self.fit is None else self.fit.model

    def get_params(self) -> dict:
        """Return a copy of the settings, in the widget's order."""
        return dict(self.params)

    def set_params(self, **params) -> None:
        """Set settings by name or alias (ValueError for bad ones)."""
        for name, value in params.items():
            self.set_param(resolve(name).name, value)

    def set_param(self, name: str, value) -> None:
        """Check and set one setting (by its name); emits when it changed."""
        value = setting(name).check(value)
        if self.params[name] != value:
            self.params[name] = value
            self.param_changed.emit(name, value)

    def engine_params(self) -> dict:
        """Return the settings that go to the engine, by its keyword names."""
        return {s.name: self.params[s.name] for s in SETTINGS if s.engine}

    def widget_params(self) -> dict:
        """Return the settings of the workflow (not the engine's)."""
        return {s.name: self.params[s.name] for s in SETTINGS if not s.engine}

    def log_patterns(self) -> list[str]:
        """Return the ``log_columns`` setting as a list of names / patterns."""
        text = self.params["log_columns"]
        return [p.strip() for p in text.split(",") if p.strip()]

    def save_parameters(self, path, provenance: dict | None = None) -> str:
        """Write the settings as JSON, on top of a result's provenance.

        The ``"params"`` section holds every engine parameter (loadable with
        :func:`napari_cne.engine.provenance.load_params`); ``extra.widget``
        the workflow's own settings.
        """
        from ..engine.estimator import ContrastiveEmbedding

        record = dict(provenance or {})
        model = ContrastiveEmbedding(**self.engine_params())
        record["format"] = record.get("format", "napari-cne/provenance")
        record["params"] = {
            k: v
            for k, v in model.get_params().items()
            if k not in ("callbacks", "verbose")
        }
        record["extra"] = {
            **(record.get("extra") or {}),
            "widget": self.widget_params(),
        }
        Path(path).write_text(
            json.dumps(jsonable(record), indent=2) + "\n", encoding="utf-8"
        )
        return str(path)

    def load_parameters(self, path) -> tuple[dict, list[str]]:
        """Apply a saved parameter set, a provenance or a sidecar JSON.

        Returns
        -------
        applied : dict
            The settings applied.
        ignored : list of str
            Names there is no setting for, or whose values it cannot take.

        Raises
        ------
        OSError, ValueError
            For a file that cannot be read or is not a parameter set.
        """
        engine = load_params(path)
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        extra = data.get("extra") if isinstance(data, dict) else None
        widget = (extra or {}).get("widget") or {}
        applied, ignored = {}, []
        for name, value in {**engine, **widget}.items():
            if name not in NAMES:
                ignored.append(name)
                continue
            if setting(name).kind == "bool" and isinstance(value, (int, float)):
                value = bool(value)  # a number in a file: its truth value
            try:
                self.set_param(name, value)
            except (ValueError, TypeError):
                ignored.append(name)
            else:
                applied[name] = value
        return applied, ignored

    # -------------------------------------------------------------- results
    def set_fit(self, fit: Fit) -> None:
        """Make a finished fit the current map."""
        self.fit = fit
        self.model_changed.emit()

    def set_sweep(self, sweep: Sweep, layouts: list) -> None:
        """Keep the last sweep and its layouts as shown (for the GIF)."""
        self.sweep, self.sweep_layouts = sweep, layouts
        self.sweep_changed.emit()

    def set_quality(self, report: dict | None) -> None:
        """Keep the quality readout of the live embedding."""
        self.quality = report
        self.quality_changed.emit()

    # ------------------------------------------------------------- requests
    @property
    def is_running(self) -> bool:
        """True while a request is running or queued."""
        return self.running is not None or bool(self.queue)

    def fit_underway(self) -> bool:
        """Return whether a fit is running or queued (a model is on its way)."""
        return any(
            r is not None and r.kind == "fit" for r in (self.running, *self.queue)
        )

    def n_objects(self) -> int | None:
        """Return the objects of the current fit, once measured."""
        return None if self.fit is None else self.fit.n_objects

    def fit_request(
        self, inp: Input, origin=None, every_pixel: dict | None = None
    ) -> FitRequest:
        """Return the request that fits a new map to ``inp`` with the settings."""
        p = self.params
        if every_pixel is not None:
            every_pixel = {
                "memory": {"layers": EXTRA_BYTES * _pixels(inp)},
                "remedy": "use a mask, a smaller image (or a coarser pyramid "
                "level), or untick 'Place every pixel'",
                **every_pixel,
            }
        return FitRequest(
            inp,
            self.engine_params(),
            standardize=p["standardize"],
            log=self.log_patterns(),
            interval=p["update_interval"],
            draw=p["draw"],
            every_pixel=every_pixel,
            scheduler=p["scheduler"],
            origin=origin,
        )

    def glide_request(self, n_epochs: int | None = None) -> OptimizeRequest:
        """Return the request that re-optimises the map at the current ``s``.

        What a slider move starts: ``n_epochs`` defaults to the "Slider
        epochs" setting, the learning rate is :data:`GLIDE_LR_FACTOR` times
        the fitted one.
        """
        p = self.params
        n = self.n_objects()
        interval = p["update_interval"]
        if n is not None and n <= GLIDE_SMOOTH_N:
            interval = min(interval, GLIDE_INTERVAL)
        return OptimizeRequest(
            self.fit,
            int(n_epochs or p["glide_epochs"]),
            s=p["s"],
            lr_factor=GLIDE_LR_FACTOR,
            interval=interval,
            draw=p["draw"],
        )

    def continue_request(self, n_epochs: int | None = None) -> OptimizeRequest:
        """Return the request that optimises the layout for more epochs (at ``s``)."""
        p = self.params
        return OptimizeRequest(
            self.fit,
            n_epochs or p["n_epochs"],
            s=p["s"],
            interval=p["update_interval"],
            draw=p["draw"],
        )

    def sweep_problem(self) -> str | None:
        """Return why a spectrum sweep cannot run now (None: it can)."""
        loss = self.params["loss"] if self.model is None else self.model.loss
        if loss not in SPECTRUM_LOSSES:
            return f"loss {loss!r} ignores s; a sweep needs 'neg' or 'infonce'"
        if getattr(self.model, "n_components", 2) != 2:
            return "the spectrum sweep shows 2-D embeddings; set dimensions to 2"
        return None

    def sweep_request(self, s_values, n_epochs: int | None = None) -> SweepRequest:
        """Return the request that sweeps the map's input along ``s_values``."""
        return SweepRequest(
            None, None, s_values, int(n_epochs or self.params["sweep_epochs"])
        )

    def place_request(self, inp: Input, method: str, origin=None) -> PlaceRequest:
        """Return the request that places ``inp`` in the current map."""
        return PlaceRequest(
            self.fit.fitted_map(),
            inp,
            method,
            scheduler=self.params["scheduler"],
            origin=origin,
        )

    def submit(self, request: Request, *, replace: bool) -> bool:
        """Put a request in line; returns True when it can start at once.

        A new fit (``replace``) stops the running request and replaces the
        queued ones; a new re-optimisation replaces a running or queued
        re-optimisation (the slider restarts from where the points are);
        anything else waits for the running request.
        """
        self.last_error = None  # a new request: forget the previous error
        if self.running is None and not self.queue:
            return True
        if replace:
            self.queue = []
        elif request.kind == "optimize":
            self.queue = [r for r in self.queue if r.kind != "optimize"]
        if self.running is not None and (replace or self.running.kind == "optimize"):
            self.running.stop()
        self.queue.append(request)
        self.say("Waiting for the running job to stop…")
        self.jobs_changed.emit()
        return False

    def begin(self, request: Request) -> None:
        """Mark ``request`` as the running one; give it the fit it works on.

        A re-optimisation or sweep asked for while a fit was under way works
        on that fit, now done.
        """
        if isinstance(request, OptimizeRequest) and self.fit is not None:
            request.fit = self.fit
        if isinstance(request, SweepRequest) and request.matrix is None and self.fit:
            request.matrix = self.fit.matrix
            request.params = self.fit.model.get_params()
        self.running = request
        self.jobs_changed.emit()

    def end(self) -> None:
        """Mark the running request as ended (its results are written next)."""
        self.running = None

    def next_request(self) -> Request | None:
        """Take the next queued request (None and ``jobs_changed``: none left)."""
        if self.queue:
            return self.queue.pop(0)
        self.jobs_changed.emit()
        return None

    def stop(self) -> None:
        """Stop the running request and drop the queued ones; never blocks."""
        self.queue = []
        if self.running is not None:
            self.running.stop()
            self.say("Stopping…")
        self.jobs_changed.emit()

    def cancel_all(self) -> None:
        """Drop the queued requests and stop the running one (quietly)."""
        self.queue = []
        if self.running is not None:
            self.running.stop()

    def close(self, *_) -> None:
        """Stop everything and ignore what comes late: the widget is going away."""
        self.closed = True
        self.cancel_all()

    # ------------------------------------------------------ what users see
    def say(self, text: str) -> None:
        """Show a status line."""
        if self.closed:
            return
        self.status = text
        self.status_changed.emit(text)

    def fail(self, message: str) -> None:
        """Remember and show an error (status line and a notification)."""
        self.last_error = message
        self.say(f"⚠ {message}")
        self.error_raised.emit(message)

    def progress(self, value=None, maximum=None, fmt: str | None = None) -> None:
        """Move the progress bar (``maximum=0``: busy, no end known)."""
        if not self.closed:
            self.progress_changed.emit(value, maximum, fmt)


def _pixels(inp) -> int:
    import math

    return int(math.prod(inp.spatial)) if inp.kind == "pixels" else 0
