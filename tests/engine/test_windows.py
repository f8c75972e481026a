"""An epoch of the CPU backend runs every edge once, however it is cut into windows.

The edges keep one random order; each epoch cuts them into windows at a
random offset, the window that wraps around reading the copy of the first
window kept at the arrays' end. A slip there would run some edges twice
and others not at all, which no quality band would notice at once.
"""

import numpy as np
import pytest

from napari_cne.engine.backends.numba_cpu import NumbaBackend
from napari_cne.engine.spectrum import EpochSpec


def _one_epoch(Y0, heads, tails, batch_size, seed):
    backend = NumbaBackend(
        Y0.copy(),  # the backend moves its layout in place
        heads,
        tails,
        np.ones(heads.size, np.float32),
        np.ones(heads.size, np.float32),
        loss="neg",
        batch_size=batch_size,
        negative_samples=0,  # attraction only: no random draws
        seed=seed,
        near_pairs=0,
        far_field=False,
    )
    lr = 1e-3
    backend.epoch(lr, EpochSpec(s=1.0, eps=1.0), 1.0)
    return (backend.layout() - Y0) / lr


@pytest.mark.parametrize("batch_size", [96, 128, 1000])
def test_every_edge_pulls_once_per_epoch_whatever_the_windows(batch_size):
    rng = np.random.default_rng(0)
    n, E = 150, 1000
    heads = rng.integers(0, n, E)
    tails = (heads + rng.integers(1, n, E)) % n
    Y0 = rng.standard_normal((n, 2)).astype(np.float32)
    # one window of every edge: each pull computed from the same layout
    whole = _one_epoch(Y0, heads, tails, E, seed=0)
    scale = np.abs(whole).mean()
    assert scale > 0.1  # the edges pull
    for seed in range(5):  # other orders and offsets
        moved = _one_epoch(Y0, heads, tails, batch_size, seed)
        # a point's move is the sum of its edges' pulls; an edge run twice
        # or skipped would change its two points' moves by a whole pull
        assert np.abs(moved - whole).max() < 0.02 * scale
