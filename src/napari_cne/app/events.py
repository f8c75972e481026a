"""What a running workflow reports: typed events, and the request they come from.

Every workflow is a :class:`Request`: :meth:`Request.check` does all the
validation (parameters, memory, the method in use) once, before any work;
:meth:`Request.run` is a generator of the events below, ending with
:class:`Done` or :class:`Stopped` (or raising a user error: ``ValueError``
and the other :data:`USER_ERRORS`, which the front ends show as one line).
The command line prints the events; the widget draws them.

* :class:`Progress`: a stage and how far it is (epochs, tiles, positions);
* :class:`Note`: something the user should know (a channel left out, the
  memory that could not be checked);
* :class:`Layout`: a live layout of the optimisation (an engine
  :class:`~napari_cne.engine.optimizer.Snapshot`);
* :class:`Partial`: the result so far (a sweep's positions, the pixels
  placed up to now);
* :class:`Done`, :class:`Stopped`: the result (after a stop: what was done).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "USER_ERRORS",
    "Done",
    "Event",
    "Layout",
    "Note",
    "Partial",
    "Progress",
    "Request",
    "Stopped",
]

#: errors that mean "bad input or parameters": one line to the user, no trace
USER_ERRORS = (ValueError, TypeError, FloatingPointError, MemoryError)


@dataclass(frozen=True)
class Progress:
    """How far a stage is.

    Attributes
    ----------
    stage : str
        ``"measure"``, ``"fit"``, ``"anchor"``, ``"sweep"``, ``"place"`` or
        ``"map"``.
    done, total : int or None
        Steps done and in all (``total`` None: no end known, busy).
    unit : str
        What a step is (``"epoch"``, ``"position"``, ``"tile"``).
    text : str
        A status line.
    """

    stage: str
    done: int | None = None
    total: int | None = None
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class Note:
    """Something the user should know (a warning; the run goes on)."""

    text: str


@dataclass(frozen=True)
class Layout:
    """A live layout: the engine's snapshot (``embedding``, ``epoch``, ``loss``)."""

    snapshot: Any


@dataclass(frozen=True)
class Partial:
    """The result so far (a workflow's own result type)."""

    result: Any


@dataclass(frozen=True)
class Done:
    """The workflow ended: its result."""

    result: Any


@dataclass(frozen=True)
class Stopped:
    """The workflow was stopped: what it had done (None: nothing)."""

    result: Any


Event = Progress | Note | Layout | Partial | Done | Stopped


class Request:
    """One workflow: checked once, then run as a generator of events.

    Subclasses set :attr:`kind` and implement :meth:`_check` and
    :meth:`_run`; :meth:`stop` may be called from any thread.
    """

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        self.stopped = False
        self.checked = False
        #: the engine model at work, once there is one (stop() reaches it)
        self.engine_model = None

    def check(self) -> None:
        """Validate everything before any work (once; raises user errors)."""
        if not self.checked:
            self._check()
            self.checked = True

    def run(self) -> Iterator[Event]:
        """Do the work: yield events, ending with :class:`Done` or :class:`Stopped`."""
        self.check()
        yield from self._run()

    def stop(self) -> None:
        """Ask the run to stop soon (after the epoch or tile at hand)."""
        self.stopped = True
        if self.engine_model is not None:
            self.engine_model.stop()

    def _check(self) -> None:  # pragma: no cover - each workflow has its own
        raise NotImplementedError

    def _run(self) -> Iterator[Event]:  # pragma: no cover
        raise NotImplementedError

    def _end(self, result) -> Done | Stopped:
        return Stopped(result) if self.stopped else Done(result)
