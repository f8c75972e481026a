"""Compile pynndescent in the background once the dock widget has opened.

pynndescent (the kNN search of larger inputs) compiles its numba code on
its first call in every process, which would hold up the first large
embedding; doing it while the user picks the input hides that wait. What it
costs the GUI and what it saves: docs/performance.md, "Background warm-up of
pynndescent" (``benchmarks/warmup_stall.py``).
"""

from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["DELAY_MS", "STATE", "warm_up_knn"]

#: the widget starts the warm-up this long after it opened
DELAY_MS = 1500
#: once per process: ``STATE["started"]`` is set by the first call
STATE = {"started": False}


def warm_up_knn() -> None:
    """Run :func:`napari_cne.engine.neighbors.warm_up` in a daemon thread, once.

    Set ``NAPARI_CNE_WARMUP=0`` to skip it (the test suite does).
    """
    if STATE["started"] or os.environ.get("NAPARI_CNE_WARMUP", "1") == "0":
        return
    STATE["started"] = True
    from ..engine import neighbors

    def run() -> None:
        with contextlib.suppress(Exception):
            neighbors.warm_up()

    threading.Thread(
        target=run, name="napari-cne pynndescent warm-up", daemon=True
    ).start()
