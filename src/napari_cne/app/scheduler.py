"""The optional dask.distributed cluster of a run: one for both front ends.

The setting (the widget's "Dask scheduler", the command line's
``--scheduler``) is empty (everything runs here, in this process), a
scheduler's address (``tcp://host:8786``), or ``local``: a
:class:`distributed.LocalCluster` on this machine, started for the run. A
:class:`Scheduler` connects only when a step asks for it (measuring many
sources, placing every pixel), from the thread that runs the workflow, and
is closed when the run ends, however it ends.
"""

from __future__ import annotations

import contextlib
import logging
import threading

__all__ = ["CONNECT_TIMEOUT", "LOCAL", "Scheduler"]

#: the setting that starts a LocalCluster on this machine
LOCAL = "local"
#: seconds to wait for a remote scheduler before giving up with a clear message
CONNECT_TIMEOUT = 10


class Scheduler:
    """A ``distributed.Client`` made on first use, or None without an address.

    Use it as a context manager (closed on leaving) or call :meth:`close`.

    Parameters
    ----------
    address : str or None
        ``""``/None: this process; ``"local"``: a LocalCluster; else the
        scheduler's address.
    timeout : float, optional
        Seconds to wait for a remote scheduler (default :data:`CONNECT_TIMEOUT`).
    """

    def __init__(self, address: str | None = "", timeout: float | None = None):
        self.address = str(address or "").strip()
        self.timeout = CONNECT_TIMEOUT if timeout is None else timeout
        self._client = None
        self._cluster = None
        self._lock = threading.Lock()

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self):
        """Return the client (connecting now), or None for this process.

        Raises
        ------
        ValueError
            When ``distributed`` is missing or the scheduler cannot be
            reached (the message names the address).
        """
        if not self.address:
            return None
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def describe(self) -> str:
        """Where the work runs: ``"<address> (N workers)"`` or this process."""
        client = self.get()
        if client is None:
            return "this process"
        return f"{client.scheduler.address} ({len(client.nthreads())} workers)"

    def _connect(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as err:  # pragma: no cover - a dependency
            raise ValueError(
                "a dask scheduler needs the 'distributed' package "
                "(pip install distributed)"
            ) from err
        if self.address == LOCAL:
            self._cluster = LocalCluster(
                threads_per_worker=1,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            return Client(self._cluster, set_as_default=False)
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            first = (str(err).strip() or type(err).__name__).splitlines()[0]
            raise ValueError(
                f"cannot connect to the dask scheduler {self.address!r} "
                f"({first}); give a scheduler's address such as "
                "tcp://host:8786, 'local', or none to run here"
            ) from None

    def close(self) -> None:
        """Close the connection and a local cluster (if made); safe to call twice."""
        with self._lock:
            client, self._client = self._client, None
            cluster, self._cluster = self._cluster, None
        for obj in (client, cluster):
            if obj is not None:
                with contextlib.suppress(Exception):
                    obj.close()
