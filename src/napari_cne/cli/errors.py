"""Exit codes, and errors and warnings as one line on stderr.

Every error of the command line ends as one ``napari-cne: error: ...`` line
and an exit status (:func:`run_reported`); warnings print as
``napari-cne: warning: ...`` lines (:func:`warnings_to_stderr`).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "RunError",
    "UsageError",
    "cannot_write",
    "exit_code",
    "first_line",
    "run_reported",
    "warnings_to_stderr",
]

#: Exit status: success.
EXIT_OK = 0
#: Exit status: the run failed (optimisation diverged, output not writable).
EXIT_FAILED = 1
#: Exit status: bad command line, unreadable or unusable input, bad parameters.
EXIT_USAGE = 2
#: Exit status: interrupted with Ctrl-C.
EXIT_INTERRUPTED = 130


class UsageError(ValueError):
    """Bad command line or input: reported in one line, exit status 2."""


class RunError(RuntimeError):
    """The run itself failed: reported in one line, exit status 1."""


def first_line(err: BaseException) -> str:
    """Return the first line of an error's message (its type if it has none)."""
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def cannot_write(path: str | Path, err: OSError) -> RunError:
    """Return the error for an output file that could not be written."""
    return RunError(f"cannot write {str(path)!r}: {err.strerror or first_line(err)}")


@contextlib.contextmanager
def warnings_to_stderr(quiet: bool) -> Iterator[None]:
    """Show warnings as ``napari-cne: warning: ...`` lines (none with quiet)."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"napari-cne: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")
            warnings.showwarning = show
        yield


def exit_code(err: Exception) -> int | None:
    """Return the exit status of an error, or ``None`` for a bug.

    :class:`RunError` and other ``OSError`` give :data:`EXIT_FAILED`;
    :class:`UsageError`, other ``ValueError``, ``TypeError``,
    ``FileNotFoundError``, ``ImportError`` and ``MemoryError`` (a run that
    would not fit, refused before any work) give :data:`EXIT_USAGE`.
    """
    if isinstance(err, RunError):
        return EXIT_FAILED
    if isinstance(
        err, (ValueError, TypeError, FileNotFoundError, ImportError, MemoryError)
    ):
        return EXIT_USAGE
    if isinstance(err, OSError):
        return EXIT_FAILED
    return None


def run_reported(command: Callable[[], int], *, quiet: bool, traceback: bool) -> int:
    """Run ``command()`` and return its exit status, reporting errors in one line.

    Parameters
    ----------
    command : callable
        Runs the command and returns its exit status.
    quiet : bool
        Silence warnings (errors are still printed).
    traceback : bool
        Re-raise every error instead of printing it.

    Returns
    -------
    int
        ``command()``'s status, :func:`exit_code` of an error, or
        :data:`EXIT_INTERRUPTED` after Ctrl-C. An error without an exit
        status (a bug) is raised.
    """
    try:
        with warnings_to_stderr(quiet):
            return command()
    except KeyboardInterrupt:
        print("napari-cne: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        code = None if traceback else exit_code(err)
        if code is None:
            raise
        msg = " ".join(str(err).split()) or type(err).__name__
        print(f"napari-cne: error: {msg}", file=sys.stderr)
        return code


def run_with_messages(args, body: Callable) -> int:
    """Run ``body(args, say)`` as :func:`run_reported` does, for a subcommand.

    ``say(text)`` prints a line unless ``--quiet``; ``--quiet`` and
    ``--traceback`` are read from ``args``.
    """
    quiet = bool(args.quiet)

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    return run_reported(
        lambda: body(args, say), quiet=quiet, traceback=bool(args.traceback)
    )
