"""Runs the session's requests in napari worker threads, one at a time.

Threading rules: a request's :meth:`~napari_cne.app.events.Request.run`
generator runs inside a ``thread_worker`` and never touches a layer; its
typed events arrive here, in slots on the GUI thread, and only here are
layers updated (through the ``show`` and ``finalize`` hooks). One worker
runs at a time (:meth:`napari_cne.app.session.Session.submit` decides what
waits and what is stopped), so a model is never used by two threads at
once. Stopping never aborts a worker: the request stops after the epoch
or tile at hand and reports what it had done.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from napari.qt.threading import thread_worker
from qtpy.QtCore import QObject, QTimer, Signal

from ..app.events import (
    USER_ERRORS,
    Done,
    Layout,
    Note,
    Partial,
    Progress,
    Request,
    Stopped,
)
from ..app.session import Session

__all__ = ["Run", "Runner"]

#: the progress bar's text per stage
FORMATS = {
    "fit": "%v / %m epochs",
    "anchor": "anchor: %v / %m epochs",
    "sweep": "%v / %m spectrum positions",
    "map": "every pixel: %v / %m tiles",
}
#: the status line when a request starts (before its first event)
START = {
    "fit": "Measuring…",
    "sweep": "Sweep: fitting the anchor…",
    "place": "Measuring the objects to place…",
}


@dataclass(frozen=True)
class _Failed:
    """A user error in the worker: its message."""

    message: str


def _work(request: Request):
    """Return the worker's generator: the request's events, a user error as one more."""
    try:
        yield from request.run()
    except USER_ERRORS as err:
        yield _Failed(str(err))


@dataclass(eq=False)
class Run:
    """One request as the widget runs and shows it.

    Attributes
    ----------
    request : Request
    worker : GeneratorWorker or None
    separate : bool
        Its layouts go to the separate embedding viewer.
    layer_seen, layer_lost : bool
        Its live layer was shown; then deleted (the run was stopped).
    viewer_closed : bool
        Stopped because the separate viewer was closed.
    end : Done or Stopped, optional
        How it ended (None: it failed, see ``error``).
    partial : object
        The last partial result (a sweep's positions, the pixels so far).
    """

    request: Request
    worker: Any = None
    separate: bool = False
    layer_seen: bool = False
    layer_lost: bool = False
    viewer_closed: bool = False
    t0: float = 0.0
    last_epoch: int = 0
    n_epochs: int = 0
    n_snapshots: int = 0
    error: str | None = None
    end: Done | Stopped | None = None
    partial: Any = None
    notes: list = field(default_factory=list)
    _slots: tuple = ()

    @property
    def kind(self) -> str:
        """The request's kind: ``"fit"``, ``"optimize"``, ``"sweep"``, ``"place"``."""
        return self.request.kind

    @property
    def cancelled(self) -> bool:
        """Whether it was asked to stop."""
        return self.request.stopped

    @property
    def result(self):
        """The result it ended with (None if it failed or did nothing)."""
        return None if self.end is None else self.end.result

    def stop(self) -> None:
        """Ask it to stop."""
        self.request.stop()

    @property
    def fit(self):
        """The fit a fit or re-optimisation works on (None: not there yet)."""
        if self.kind == "fit":
            return self.result
        return getattr(self.request, "fit", None)

    @property
    def matrix(self):
        """The matrix of its input (a running fit's: once made)."""
        if self.kind == "fit":
            return getattr(self.request, "matrix", None)
        return self.fit.matrix

    @property
    def origin(self):
        """Where the input of a fit or re-optimisation lives in the viewer."""
        if self.kind == "fit":
            return self.request.origin
        return None if self.fit is None else self.fit.origin

    @property
    def model(self):
        """The model a run moves (a fit's, or a sweep's anchor)."""
        if self.kind == "fit":
            return self.request.model
        return self.request.engine_model if self.fit is None else self.fit.model


class Runner(QObject):
    """Starts requests, relays their events, ends them.

    Parameters
    ----------
    session : Session
    prepare : callable
        ``prepare(run)`` just before a request starts: decide where its
        results go (``run.separate``) and get the viewers ready.
    show : callable
        ``show(run, snapshot)`` for every live layout of a fit or
        re-optimisation.
    finalize : callable
        ``finalize(run)`` after a request ended (done, stopped or failed):
        write its results.
    parent : QObject, optional

    Attributes
    ----------
    run : Run or None
        The running request.

    Signals
    -------
    run_finished(str)
        After a request ended and its results were written (and the next
        queued one, if any, was started): its kind.
    """

    run_finished = Signal(str)

    def __init__(
        self,
        session: Session,
        prepare: Callable[[Run], None],
        show: Callable[[Run, object], None],
        finalize: Callable[[Run], None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.session = session
        self._prepare, self._show, self._finalize = prepare, show, finalize
        self.run: Run | None = None
        self._runs: dict[int, Run] = {}

    @property
    def worker(self):
        """The running worker (None when idle)."""
        return None if self.run is None else self.run.worker

    def submit(self, request: Request, *, replace: bool):
        """Make a worker for ``request``; start it or queue it.

        Returns
        -------
        GeneratorWorker
            It starts on the next turn of the event loop (or once the
            request before it has stopped), so callers can connect to it
            first.
        """
        run = Run(request)
        worker = thread_worker(_work, ignore_errors=True)(request)
        run.worker = worker
        slots = (
            partial(self._on_event, run),
            partial(self._on_errored, run),
            partial(self._on_finished, run),
        )
        run._slots = slots
        worker.yielded.connect(slots[0])
        worker.errored.connect(slots[1])
        worker.finished.connect(slots[2])
        self._runs[id(request)] = run
        if self.session.submit(request, replace=replace):
            self._start(run)
        return worker

    def _start(self, run: Run) -> None:
        session = self.session
        if session.closed:
            return
        session.begin(run.request)
        self._prepare(run)
        self.run = run
        run.t0 = time.perf_counter()
        if run.kind in START:
            session.progress(0, maximum=0)  # busy until the first event
            session.say(START[run.kind])
        # start on the next event-loop turn: callers of submit() can connect
        # to the returned worker's signals first
        QTimer.singleShot(0, run.worker.start)

    # -------------------------------------------------------------- events
    def _on_event(self, run: Run, event) -> None:
        session = self.session
        if run is not self.run or session.closed:
            return
        if isinstance(event, Layout):
            if not run.cancelled:
                run.n_snapshots += 1
                run.last_epoch = event.snapshot.epoch
                self._show(run, event.snapshot)
        elif isinstance(event, Progress):
            self._progress(run, event)
        elif isinstance(event, Partial):
            run.partial = event.result
        elif isinstance(event, Note):
            run.notes.append(event.text)
            session.say(event.text)
        elif isinstance(event, (Done, Stopped)):
            run.end = event
        elif isinstance(event, _Failed):
            run.error = event.message
            session.fail(event.message)

    def _progress(self, run: Run, event: Progress) -> None:
        session = self.session
        if event.stage == "fit" and event.total:
            run.n_epochs = event.total
        if event.total is None:
            session.progress(0, maximum=0)  # busy: no end known
        else:
            session.progress(event.done, event.total, FORMATS.get(event.stage))
        if event.text:
            session.say(event.text)

    def _on_errored(self, run: Run, exc: Exception) -> None:
        run.error = str(exc)
        self.session.fail(f"embedding failed: {type(exc).__name__}: {exc}")

    def _on_finished(self, run: Run) -> None:
        session = self.session
        self._release(run)
        if run is not self.run or session.closed:
            return
        session.end()
        self.run = None
        self._finalize(run)
        following = session.next_request()
        # requests dropped from the queue never ran: forget them
        waiting = {id(r) for r in session.queue}
        if following is not None:
            waiting.add(id(following))
        self._runs = {k: r for k, r in self._runs.items() if k in waiting}
        if following is not None:
            self._start(self._runs[id(following)])
        self.run_finished.emit(run.kind)

    def _release(self, run: Run) -> None:
        """Drop our references to a finished worker.

        PyQt keeps the slots connected to the worker's signals alive from
        C++, where Python's garbage collector cannot see them: runner ->
        worker -> connection -> runner would be an uncollectable cycle that
        keeps the whole viewer alive.
        """
        self._runs.pop(id(run.request), None)
        worker, run.worker = run.worker, None
        if worker is None:
            return
        for signal, slot in zip(
            (worker.yielded, worker.errored, worker.finished), run._slots, strict=True
        ):
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)
        run._slots = ()
