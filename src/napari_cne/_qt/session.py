"""The state of one dock widget, without Qt: what the panels show and change.

:class:`Session` holds the parameters (checked against :data:`.params.PARAMS`),
the fitted model and the input it was fitted on, the last spectrum sweep,
the quality readout, the running and the queued jobs, and what the user is
told (status line, progress, last error). The panels call its methods and
follow its psygnal events, the way napari-animation's widgets follow their
``Animation`` model; scripts and tests can read it directly. Everything
here runs on the GUI thread.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from psygnal import Signal

from ..engine.estimator import ContrastiveEmbedding
from ..engine.provenance import jsonable, load_params
from ..engine.spectrum import SPECTRUM_LOSSES
from .cluster import LazyClient
from .jobs import Context, Job, cancel
from .params import NAMES, PARAMS, param, resolve

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


class Session:
    """Parameters, results and jobs of one dock widget.

    Attributes
    ----------
    params : dict
        Current value of every parameter of :data:`.params.PARAMS`.
    model : ContrastiveEmbedding or None
        The fitted model behind the live embedding layer.
    ctx : Context or None
        The input that ``model`` was fitted on.
    sweep_result : dict or None
        The last sweep: ``{"s_values": [...], "layouts": [...]}`` (aligned).
    quality : dict or None
        The last quality readout (:func:`napari_cne.engine.metrics.quality_report`).
    job : Job or None
        The running job; ``queue`` holds the waiting ones.
    status : str
        The status line; ``last_error`` the last error shown.
    closed : bool
        The dock widget is gone: late messages of workers are ignored.

    Signals
    -------
    param_changed(str, object)
        A parameter got a new value.
    model_changed, sweep_changed, quality_changed, jobs_changed
        ``model``/``ctx``, ``sweep_result``, ``quality``, or the running /
        queued jobs changed.
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
        self.params: dict[str, Any] = {p.name: p.default for p in PARAMS}
        self.model: ContrastiveEmbedding | None = None
        self.ctx: Context | None = None
        self.sweep_result: dict | None = None
        self.quality: dict | None = None
        self.job: Job | None = None
        self.queue: list[Job] = []
        self.status = ""
        self.last_error: str | None = None
        self.closed = False
        self._tokens = itertools.count(1)

    # ----------------------------------------------------------- parameters
    @property
    def s(self) -> float:
        """The spectrum position."""
        return self.params["s"]

    def get_params(self) -> dict:
        """Return a copy of the parameters, in table order."""
        return dict(self.params)

    def set_params(self, **params) -> None:
        """Set parameters by name or alias (ValueError for bad ones)."""
        for name, value in params.items():
            self.set_param(resolve(name).name, value)

    def set_param(self, name: str, value) -> None:
        """Check and set one parameter (by its name); emits when it changed."""
        value = param(name).check(value)
        if self.params[name] != value:
            self.params[name] = value
            self.param_changed.emit(name, value)

    def engine_params(self) -> dict:
        """Return the parameters that go to the engine, by its keyword names."""
        return {p.name: self.params[p.name] for p in PARAMS if p.engine}

    def widget_params(self) -> dict:
        """Return the parameters that steer only the widget."""
        return {p.name: self.params[p.name] for p in PARAMS if not p.engine}

    def log_patterns(self) -> list[str]:
        """Return the ``log_columns`` setting as a list of names / patterns."""
        text = self.params["log_columns"]
        return [p.strip() for p in text.split(",") if p.strip()]

    def make_model(self) -> ContrastiveEmbedding:
        """Return a new, unfitted model with the current engine parameters."""
        return ContrastiveEmbedding(**self.engine_params())

    def save_parameters(self, path, provenance: dict | None = None) -> str:
        """Write the parameters as JSON, on top of a result's provenance.

        The ``"params"`` section holds every engine parameter (loadable with
        :func:`napari_cne.engine.provenance.load_params`); ``extra.widget``
        the widget's own settings.
        """
        record = dict(provenance or {})
        model = self.make_model()
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
            Names the widget has no control for, or whose values it cannot
            show (e.g. ``n_epochs="auto"``).

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
            if param(name).kind == "bool" and isinstance(value, (int, float)):
                value = bool(value)  # a number in a file: its truth value
            try:
                self.set_param(name, value)
            except (ValueError, TypeError):
                ignored.append(name)
            else:
                applied[name] = value
        return applied, ignored

    # -------------------------------------------------------------- results
    def set_fit(self, model: ContrastiveEmbedding, ctx: Context) -> None:
        """Make a finished fit the current model (and its input)."""
        self.model, self.ctx = model, ctx
        self.model_changed.emit()

    def set_sweep(self, s_values: list[float], layouts: list) -> None:
        """Keep the last sweep (its aligned layouts, for the GIF)."""
        self.sweep_result = {"s_values": list(s_values), "layouts": layouts}
        self.sweep_changed.emit()

    def set_quality(self, report: dict | None) -> None:
        """Keep the quality readout of the live embedding."""
        self.quality = report
        self.quality_changed.emit()

    # ----------------------------------------------------------------- jobs
    def new_token(self) -> int:
        """Return a fresh job token (messages of older jobs are ignored)."""
        return next(self._tokens)

    @property
    def is_running(self) -> bool:
        """True while a job is running or queued."""
        return self.job is not None or bool(self.queue)

    def fit_underway(self) -> bool:
        """Return whether a fit is running or queued (a model is on its way)."""
        return any(j is not None and j.kind == "fit" for j in (self.job, *self.queue))

    def n_objects(self) -> int | None:
        """Return the objects of the current (or running) input, once measured."""
        ctx = self.ctx or (self.job.ctx if self.job else None)
        if ctx is not None and ctx.kept is not None:
            return int(ctx.kept.sum())
        return None

    def fit_job(self, ctx: Context) -> Job:
        """Return a job that fits a new model to ``ctx``."""
        p = self.params
        return Job(
            token=self.new_token(),
            kind="fit",
            ctx=ctx,
            n_epochs=p["n_epochs"],
            s=p["s"],
            interval=p["update_interval"],
            model=self.make_model(),
            client=LazyClient(p["scheduler"]),
        )

    def glide_job(self, n_epochs: int | None = None) -> Job:
        """Return a job that re-optimises the model at the current ``s``.

        What a slider move starts: ``n_epochs`` defaults to the "Slider
        epochs" setting, the learning rate is :data:`GLIDE_LR_FACTOR` times
        the fitted one.
        """
        p = self.params
        n = self.n_objects()
        interval = p["update_interval"]
        if n is not None and n <= GLIDE_SMOOTH_N:
            interval = min(interval, GLIDE_INTERVAL)
        return Job(
            token=self.new_token(),
            kind="optimize",
            ctx=None,
            n_epochs=int(n_epochs or p["glide_epochs"]),
            s=p["s"],
            interval=interval,
            lr_factor=GLIDE_LR_FACTOR,
        )

    def continue_job(self, n_epochs: int | None = None) -> Job:
        """Return a job that optimises the layout for more epochs (at ``s``)."""
        p = self.params
        return Job(
            token=self.new_token(),
            kind="optimize",
            ctx=None,
            n_epochs=int(n_epochs or p["n_epochs"]),
            s=p["s"],
            interval=p["update_interval"],
        )

    def sweep_problem(self) -> str | None:
        """Return why a spectrum sweep cannot run now (None: it can)."""
        loss = self.params["loss"]
        if loss not in SPECTRUM_LOSSES:
            return f"loss {loss!r} ignores s; a sweep needs 'neg' or 'infonce'"
        if getattr(self.model, "n_components", 2) != 2:
            return "the spectrum sweep shows 2-D embeddings; set dimensions to 2"
        return None

    def sweep_job(self, s_values: tuple[float, ...], n_epochs: int | None) -> Job:
        """Return a job that sweeps a copy of the model along ``s_values``."""
        p = self.params
        return Job(
            token=self.new_token(),
            kind="sweep",
            ctx=None,
            n_epochs=int(n_epochs or p["sweep_epochs"]),
            s=p["s"],
            interval=0.0,
            s_values=s_values,
        )

    def submit(self, job: Job, *, replace: bool) -> bool:
        """Put a job in line; returns True when it can start at once.

        A new fit (``replace``) stops the running job and replaces the
        queued ones; a new re-optimisation replaces a running or queued
        re-optimisation (the slider restarts from where the points are);
        anything else waits for the running job.
        """
        self.last_error = None  # a new request: forget the previous error
        if self.job is None and not self.queue:
            return True
        if replace:
            self.queue = []
        elif job.kind == "optimize":
            self.queue = [j for j in self.queue if j.kind != "optimize"]
        if self.job is not None and (replace or self.job.kind == "optimize"):
            cancel(self.job)
        self.queue.append(job)
        self.say("Waiting for the running job to stop…")
        self.jobs_changed.emit()
        return False

    def begin(self, job: Job) -> None:
        """Mark ``job`` as the running one."""
        self.job = job
        self.jobs_changed.emit()

    def end(self) -> None:
        """Mark the running job as ended (its results are written next)."""
        self.job = None

    def next_job(self) -> Job | None:
        """Take the next queued job (None, and ``jobs_changed``, when none is left)."""
        if self.queue:
            return self.queue.pop(0)
        self.jobs_changed.emit()
        return None

    def stop(self) -> None:
        """Stop the running job and drop the queued ones; never blocks."""
        self.queue = []
        if self.job is not None:
            cancel(self.job)
            self.say("Stopping…")
        self.jobs_changed.emit()

    def cancel_all(self) -> None:
        """Drop the queued jobs and stop the running one (quietly)."""
        self.queue = []
        if self.job is not None:
            cancel(self.job)

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
