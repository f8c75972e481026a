"""The optional dask.distributed cluster of a run (worker thread; no Qt).

The "Dask scheduler" setting is empty (measure and place pixels with local
threads) or a scheduler's address. A :class:`LazyClient` connects only when
a step asks for it (measuring many sources, placing every pixel), from the
worker thread, and is closed when the job ends, however it ends.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["CONNECT_TIMEOUT", "LazyClient"]

#: seconds to wait for the scheduler before giving up with a clear message
CONNECT_TIMEOUT = 10


class LazyClient:
    """A ``distributed.Client`` made on first use, or None without an address.

    Parameters
    ----------
    address : str
        The scheduler's address (``tcp://host:8786``); empty: no cluster.
    timeout : float, optional
        Seconds to wait for the scheduler (default :data:`CONNECT_TIMEOUT`).
    """

    def __init__(self, address: str = "", timeout: float | None = None):
        self.address = str(address or "").strip()
        self.timeout = CONNECT_TIMEOUT if timeout is None else timeout
        self._client = None
        self._lock = threading.Lock()

    def get(self):
        """Return the client (connecting now), or None for local threads.

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

    def _connect(self):
        try:
            from distributed import Client
        except ImportError as err:  # pragma: no cover - a dependency
            raise ValueError(
                "a dask scheduler needs the 'distributed' package "
                "(pip install distributed)"
            ) from err
        try:
            return Client(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise ValueError(
                f"cannot connect to the dask scheduler {self.address!r} "
                f"({type(err).__name__}: {err}); leave 'Dask scheduler' "
                "empty to use local threads"
            ) from err

    def close(self) -> None:
        """Close the connection (if one was made); safe to call twice."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
