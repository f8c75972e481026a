"""``--scheduler``: a dask.distributed client for the work that splits into tasks.

``embed-images`` measures its fields, ``embed-pixels`` and ``transform``
place the tiles of an image, as tasks of a cluster. The value is a
scheduler's address (``tcp://host:8786``), or ``local``: a
:class:`distributed.LocalCluster` on this machine, started for the run and
closed after it. Without the option everything runs here, in one process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from .errors import UsageError, first_line

__all__ = ["LOCAL", "connect", "describe"]

#: the ``--scheduler`` value that starts a LocalCluster
LOCAL = "local"
#: seconds to wait for a remote scheduler
CONNECT_TIMEOUT = 10


@contextlib.contextmanager
def connect(address: str | None) -> Iterator[object]:
    """Yield a ``distributed.Client`` for ``address`` (``None``: yield ``None``).

    Raises
    ------
    UsageError
        When dask.distributed is missing or the scheduler cannot be reached.
    """
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed (pip install distributed)"
        ) from None
    if address == LOCAL:
        with (
            LocalCluster(
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        raise UsageError(
            f"--scheduler {address!r}: cannot connect ({first_line(err)}); give "
            "a scheduler's address such as tcp://host:8786, or 'local'"
        ) from None
    with client:
        yield client


def describe(client) -> str:
    """Return ``"<address> (N workers)"`` for the summary."""
    if client is None:
        return "this process"
    return f"{client.scheduler.address} ({len(client.nthreads())} workers)"
