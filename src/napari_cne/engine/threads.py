"""Threads: ``n_jobs`` as scikit-learn reads it, applied to numba and torch.

The numba kernels read the calling thread's numba setting (numba keeps it
per thread), torch its process-wide one; :func:`limited` sets both for the
duration of a block and puts them back afterwards, so a fit with
``n_jobs=1`` does not change what the rest of the program runs on.

numba's and faiss's OpenMP threads wait for the next parallel loop by
spinning (GNU OpenMP's default); on a busy machine the spinning threads
take the cores the working ones need. :func:`start_numba` starts numba's
threads, and :mod:`.search_faiss` loads faiss, with a passive wait policy
(:func:`passive_wait`), unless the user chose one (docs/engine.md, "Threads
and seeds").
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

__all__ = [
    "available_cores",
    "limited",
    "numba_threads",
    "passive_wait",
    "resolve_n_jobs",
    "start_numba",
]

#: The OpenMP settings a user may have made; with either set we set none.
WAIT_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def available_cores() -> int:
    """Return the CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _numba_max() -> int | None:
    try:
        import numba
    except ImportError:  # pragma: no cover - numba comes with pynndescent
        return None
    return int(numba.config.NUMBA_NUM_THREADS)


def resolve_n_jobs(n_jobs) -> int:
    """Return the threads for ``n_jobs`` (scikit-learn's convention).

    ``-1`` (or None): all cores; ``-2``: all but one, and so on, but at
    least one (as joblib reads it); a positive number is used as given, up
    to numba's limit (``NUMBA_NUM_THREADS``).

    Raises
    ------
    ValueError
        For 0 or a non-integer.
    """
    if n_jobs is None:
        n_jobs = -1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(
            "n_jobs must be a non-zero integer: -1 for all cores, -2 for all but "
            f"one, or a number of threads; got {n_jobs!r}"
        )
    n = n_jobs if n_jobs > 0 else max(1, available_cores() + 1 + n_jobs)
    top = _numba_max()
    return min(n, top) if top else n


@contextlib.contextmanager
def passive_wait() -> Iterator[None]:
    """Let the OpenMP runtimes loaded in this block wait without spinning.

    GNU OpenMP reads its wait policy once, when the library is loaded: so
    ``OMP_WAIT_POLICY=PASSIVE`` is in the environment only during the block,
    and only when the user has set neither it nor ``GOMP_SPINCOUNT``. A
    runtime that was loaded before keeps its policy.
    """
    ours = not any(name in os.environ for name in WAIT_SETTINGS)
    if ours:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        yield
    finally:
        if ours:
            del os.environ["OMP_WAIT_POLICY"]


def start_numba() -> None:
    """Start numba's thread pool, its OpenMP threads waiting passively.

    See :func:`passive_wait`; a pool that is already running (started by
    another library in this process) is left as it is; numba's TBB and
    workqueue layers do not spin.
    """
    import numba

    try:
        numba.threading_layer()
        return  # already started
    except ValueError:
        pass
    with passive_wait():
        numba.get_num_threads()  # launches the pool


@contextlib.contextmanager
def numba_threads(n: int) -> Iterator[None]:
    """Run the block with at most ``n`` numba threads (this thread's setting)."""
    import numba

    start_numba()
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
        yield
    finally:
        numba.set_num_threads(old)


@contextlib.contextmanager
def limited(n: int) -> Iterator[None]:
    """Run the block with ``n`` numba threads (this thread) and torch threads.

    torch's setting is made only where torch is already imported: a fit on
    the numba backend does not need it.
    """
    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch is not None else None
    with numba_threads(n):
        try:
            if torch is not None and old_torch != n:
                torch.set_num_threads(n)
            yield
        finally:
            if torch is not None and torch.get_num_threads() != old_torch:
                torch.set_num_threads(old_torch)
