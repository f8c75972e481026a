"""The layout of a running fit, read from another thread (a live view)."""

from __future__ import annotations

import importlib
import pkgutil
import threading
import time

import numpy as np
from numba.core.registry import CPUDispatcher

import napari_cne.engine.kernels as kernels
from napari_cne import ContrastiveEmbedding
from napari_cne.render import density


def _dispatchers(module):
    for value in vars(module).values():
        if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__:
            yield value


def test_every_kernel_called_from_python_releases_the_gil():
    """A fit in a worker thread leaves the GUI thread free (no frozen window)."""
    mods = [
        importlib.import_module(f"{kernels.__name__}.{m.name}")
        for m in pkgutil.iter_modules(kernels.__path__)
    ] + [density]
    checked = 0
    for mod in mods:
        for fn in _dispatchers(mod):
            if fn.targetoptions.get("inline") == "always":
                continue  # compiled into its callers
            assert fn.targetoptions.get("nogil"), f"{mod.__name__}.{fn.__name__}"
            checked += 1
    assert checked >= 15


def test_live_layout_during_a_fit_from_another_thread():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 10)).astype(np.float32)
    model = ContrastiveEmbedding(n_epochs=200, random_state=0, n_jobs=1)
    assert model.live_layout() is None
    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            Y = model.live_layout()
            if Y is not None:
                seen.append(Y)
            time.sleep(0.002)

    t = threading.Thread(target=watch)
    t.start()
    try:
        model.fit(X)
    finally:
        stop.set()
        t.join()
    assert len(seen) >= 3
    assert all(Y.shape == (3000, 2) and np.isfinite(Y).all() for Y in seen)
    # read while it moved: several different layouts
    assert len({Y.tobytes() for Y in seen}) >= 3
    # it is a copy: changing it changes nothing; the end is embedding_
    final = model.live_layout()
    final[:] = 0
    np.testing.assert_array_equal(model.live_layout(), model.embedding_)


def test_reading_the_live_layout_changes_nothing():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1500, 8)).astype(np.float32)
    alone = ContrastiveEmbedding(n_epochs=60, random_state=3, n_jobs=1).fit(X)
    watched = ContrastiveEmbedding(n_epochs=60, random_state=3, n_jobs=1)
    for _ in watched.iter_fit(X):
        watched.live_layout()
    np.testing.assert_array_equal(alone.embedding_, watched.embedding_)
