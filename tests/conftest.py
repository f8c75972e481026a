"""Shared fixtures: a small synthetic labels + image sample (about 60 objects)."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np
import pytest

# the dock widget compiles pynndescent in a background thread when it opens
# (30 s of a core): not in tests, except the one that checks it
os.environ.setdefault("NAPARI_CNE_WARMUP", "0")


def make_objects(n_side: int = 8, cell: int = 20, seed: int = 0):
    """Discs on a grid: two populations (small/bright, large/dim).

    Returns
    -------
    labels : ndarray of int32, shape (n_side*cell, n_side*cell)
        Ids 1 ... n_side**2 (row-major).
    image : ndarray of float32, same shape
    """
    rng = np.random.default_rng(seed)
    size = n_side * cell
    yy, xx = np.mgrid[0:size, 0:size]
    labels = np.zeros((size, size), np.int32)
    image = rng.normal(5.0, 1.0, (size, size)).astype(np.float32)
    for k in range(n_side * n_side):
        r, c = divmod(k, n_side)
        cy, cx = r * cell + cell / 2, c * cell + cell / 2
        big = k % 2 == 0
        radius = (7.0 if big else 4.0) + rng.uniform(-1, 1)
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        labels[disc] = k + 1
        image[disc] += (40.0 if big else 120.0) + rng.normal(0, 5)
    return labels, image


@pytest.fixture
def objects():
    """64 labelled discs on a 160 x 160 image and a matching intensity image."""
    return make_objects()


def dock(viewer, **params):
    """Dock the "Neighbor Embedding" widget in ``viewer`` and set ``params``."""
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    if params:
        widget.set_params(**params)
    return widget


@contextmanager
def jobs_finish(qtbot, widget, n: int, timeout: int = 30_000):
    """Wait, on leaving the block, until ``widget`` has finished ``n`` jobs.

    Counts the widget's ``run_finished`` signal, connected *before* the block
    runs. Waiting on a worker's own ``finished`` after an action that cancels
    it races the worker thread: a cancelled worker can emit ``finished``
    before ``qtbot.waitSignal`` connects, and the wait then times out.
    """
    done = []

    def count(kind):
        done.append(kind)

    widget.run_finished.connect(count)
    try:
        yield done
        qtbot.waitUntil(lambda: len(done) >= n, timeout=timeout)
    finally:
        widget.run_finished.disconnect(count)


@pytest.fixture
def cells_viewer(make_napari_viewer, objects):
    """A viewer with the sample as "cells" (image) and "objects" (labels)."""
    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    viewer.add_labels(labels, name="objects")
    return viewer


def pytest_collection_modifyitems(config, items):
    """Mark the tests of ``tests/_slow.py`` slow (and check the list is true)."""
    from pathlib import Path

    from tests._slow import SLOW

    root = Path(__file__).parent
    seen = set()
    for item in items:
        rel = Path(item.fspath).relative_to(root).as_posix()
        name = getattr(item, "originalname", item.name)
        if name in SLOW.get(rel, ()):
            item.add_marker(pytest.mark.slow)
            seen.add((rel, name))
    collected = {Path(i.fspath).relative_to(root).as_posix() for i in items}
    stale = [
        (rel, name)
        for rel, names in SLOW.items()
        if rel in collected
        for name in names
        if (rel, name) not in seen
    ]
    if stale:
        raise pytest.UsageError(
            f"tests/_slow.py names tests that do not exist: {stale}"
        )
