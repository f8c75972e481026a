"""Runs the session's jobs in napari worker threads, one at a time.

Threading rules: the engine runs only inside the ``thread_worker``
generators of :mod:`.jobs`, which never touch layers; their messages
arrive here, in slots on the GUI thread, and only here are layers updated
(through the ``show`` and ``finalize`` hooks). One worker runs at a time
(:meth:`.session.Session.submit` decides what waits and what is stopped),
so the model is never used by two threads at once.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from napari.qt.threading import thread_worker
from qtpy.QtCore import QObject, QTimer, Signal

from .jobs import Job
from .session import Session

__all__ = ["Runner"]


class Runner(QObject):
    """Starts jobs, relays their messages, ends them.

    Parameters
    ----------
    session : Session
    prepare : callable
        ``prepare(job)`` just before a job starts: decide where its results
        go (``job.separate``) and get the viewers ready.
    show : callable
        ``show(job, snapshot)`` for every live update of a fit or
        re-optimisation.
    finalize : callable
        ``finalize(job)`` after a job ended (done, stopped or failed): write
        its results.
    parent : QObject, optional

    Attributes
    ----------
    worker : GeneratorWorker or None
        The running worker.

    Signals
    -------
    run_finished(str)
        After a job ended and its results were written (and the next queued
        job, if any, was started): the job's kind.
    """

    run_finished = Signal(str)

    def __init__(
        self,
        session: Session,
        prepare: Callable[[Job], None],
        show: Callable[[Job, object], None],
        finalize: Callable[[Job], None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.session = session
        self._prepare, self._show, self._finalize = prepare, show, finalize
        self.worker = None

    def submit(self, job: Job, gen, *, replace: bool):
        """Make a worker for ``job`` running ``gen``; start it or queue it.

        Returns
        -------
        GeneratorWorker
            It starts on the next turn of the event loop (or once the job
            before it has stopped), so callers can connect to it first.
        """
        worker = thread_worker(gen, ignore_errors=True)(job)
        job.worker = worker
        worker.yielded.connect(self._on_yielded)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        if self.session.submit(job, replace=replace):
            self._start(job)
        return worker

    def _start(self, job: Job) -> None:
        session = self.session
        if session.closed:
            return
        if job.kind == "optimize":
            job.model, job.ctx = session.model, session.ctx
            lr = getattr(session.model, "learning_rate_", None)
            if job.lr_factor is not None and lr is not None:
                job.lr = job.lr_factor * float(lr)
        elif job.kind == "sweep":
            job.ctx = session.ctx
            if session.model is not None:
                job.params = {**session.model.get_params(), "s": job.s}
        self._prepare(job)
        session.begin(job)
        self.worker = job.worker
        job.t0 = time.perf_counter()
        if job.kind == "sweep":
            n = int(job.params.get("n_epochs", 1))
            session.progress(0, maximum=n, fmt="anchor: %v / %m epochs")
            session.say(f"Sweep: fitting the anchor at s = {job.s:+.2f}…")
        elif job.kind == "fit":
            session.progress(0, maximum=0)  # busy until the features are ready
            session.say("Measuring objects…")
        elif job.kind == "place":
            session.progress(0, maximum=0)  # busy: measuring, then placing
            session.say(f"Measuring the objects of {job.ctx.source_name!r}…")
        else:
            session.progress(0, maximum=job.n_epochs, fmt="%v / %m epochs")
        # start on the next event-loop turn: callers of submit() can connect
        # to the returned worker's signals first
        QTimer.singleShot(0, job.worker.start)

    # ------------------------------------------------------------ messages
    def _on_yielded(self, msg) -> None:
        token, kind, payload = msg
        session, job = self.session, self.session.job
        if job is None or token != job.token or session.closed:
            return
        if kind == "ready":
            n, f = job.ctx.X.shape
            session.progress(None, maximum=job.n_epochs, fmt="%v / %m epochs")
            skipped = int((~job.ctx.kept).sum())
            session.say(
                f"Embedding {n} objects × {f} features…"
                + (f" ({skipped} rows with missing values left out)" if skipped else "")
            )
        elif kind == "snap":
            if not job.cancelled:
                job.n_snapshots += 1
                job.last_epoch = payload.epoch
                self._show(job, payload)
        elif kind == "anchor":
            session.progress(payload.epoch)
            if payload.done:
                n = len(job.s_values)
                session.progress(None, maximum=n, fmt="%v / %m spectrum positions")
        elif kind == "sweep":
            if job.cancelled:
                return
            i, snap = payload
            job.results[i] = snap.embedding
            session.progress(len(job.results))
            session.say(
                f"Sweep: s = {job.s_values[i]:+.2f} done "
                f"({len(job.results)}/{len(job.s_values)})"
            )
        elif kind == "map":
            done, total = payload
            session.progress(done, maximum=total, fmt="every pixel: %v / %m tiles")
            session.say(f"Placing every pixel… {100 * done // max(total, 1)}%")
        elif kind == "measured":  # a place job: its objects are measured
            method = job.params["method"]
            session.say(f"Placing {payload} objects in the map ({method})…")
        elif kind == "error":
            job.error = payload
            session.fail(payload)

    def _on_errored(self, exc: Exception) -> None:
        if self.session.job is not None:
            self.session.job.error = str(exc)
        self.session.fail(f"embedding failed: {type(exc).__name__}: {exc}")

    def _on_finished(self) -> None:
        session, job = self.session, self.session.job
        if job is None or session.closed:
            return
        if job.engine_iter is not None:
            # an aborted worker leaves the engine generator suspended: close it
            # here (its thread is done) so the model's final state is written
            with contextlib.suppress(Exception):
                job.engine_iter.close()
        session.end()
        job.client.close()  # the dask cluster's connection, if one was made
        self._release(job)
        self._finalize(job)
        following = session.next_job()
        if following is not None:
            self._start(following)
        self.run_finished.emit(job.kind)

    def _release(self, job: Job) -> None:
        """Drop our references to a finished worker.

        PyQt keeps the slots connected to the worker's signals (bound methods
        of this object) alive from C++, where Python's garbage collector
        cannot see them: runner -> worker -> connection -> runner would be an
        uncollectable cycle that keeps the whole viewer alive.
        """
        worker, job.worker = job.worker, None
        if self.worker is worker:
            self.worker = None
        if worker is None:
            return
        for signal, slot in (
            (worker.yielded, self._on_yielded),
            (worker.errored, self._on_errored),
            (worker.finished, self._on_finished),
        ):
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)
