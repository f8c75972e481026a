"""An epoch of the CPU backend runs every edge once, however it is cut into windows.

The edges keep one random order; each epoch picks those taking part (where
the spectrum thins them by their weights) and cuts them into windows at a
random offset, the window that wraps around reading the copy of the first
window kept at the end. A slip there would run some edges twice and others
not at all, which no quality band would notice at once.
"""

import numpy as np
import pytest

from napari_cne.engine.backends.numba_cpu import NumbaBackend
from napari_cne.engine.kernels.sgd import pick_edges
from napari_cne.engine.spectrum import EpochSpec


def _graph(seed, n, E):
    """Random directed edges (no self-loops) and a layout of ``n`` points."""
    rng = np.random.default_rng(seed)
    heads = rng.integers(0, n, E)
    tails = (heads + rng.integers(1, n, E)) % n
    return heads, tails, rng.standard_normal((n, 2)).astype(np.float32)


def _backend(Y0, heads, tails, weights, batch_size, seed, negatives=0):
    return NumbaBackend(
        Y0.copy(),  # the backend moves its layout in place
        heads,
        tails,
        weights,
        np.ones(heads.size, np.float32),
        loss="neg",
        batch_size=batch_size,
        negative_samples=negatives,
        seed=seed,
        near_pairs=0,
        far_field=False,
    )


def _one_epoch(Y0, heads, tails, batch_size, seed, weights=None):
    # every edge, or each with probability its weight
    spec = EpochSpec(s=1.0, eps=1.0, edge_power=0.0 if weights is None else 1.0)
    if weights is None:
        weights = np.ones(heads.size, np.float32)
    # attraction only: no random draws
    backend = _backend(Y0, heads, tails, weights, batch_size, seed)
    lr = 1e-3
    backend.epoch(lr, spec, 1.0)
    return (backend.layout() - Y0) / lr


@pytest.mark.parametrize("batch_size", [96, 128, 1000])
def test_every_edge_pulls_once_per_epoch_whatever_the_windows(batch_size):
    E = 1000
    heads, tails, Y0 = _graph(0, 150, E)
    # one window of every edge: each pull computed from the same layout
    whole = _one_epoch(Y0, heads, tails, E, seed=0)
    scale = np.abs(whole).mean()
    assert scale > 0.1  # the edges pull
    for seed in range(5):  # other orders and offsets
        moved = _one_epoch(Y0, heads, tails, batch_size, seed)
        # a point's move is the sum of its edges' pulls; an edge run twice
        # or skipped would change its two points' moves by a whole pull
        assert np.abs(moved - whole).max() < 0.02 * scale


@pytest.mark.parametrize("batch_size", [96, 128, 1000])
def test_the_edges_taking_part_pull_once_per_epoch_whatever_the_windows(batch_size):
    """With weights below 1 an epoch picks its edges first (seeded, in the
    fixed order), then cuts the picked ones into windows: the same edges
    pull once, whatever the windows, and about the weights' sum of them."""
    E = 1000
    heads, tails, Y0 = _graph(1, 150, E)
    weights = np.random.default_rng(1).uniform(0.05, 1.0, E).astype(np.float32)
    full = _one_epoch(Y0, heads, tails, E, seed=0)
    for seed in range(3):
        whole = _one_epoch(Y0, heads, tails, E, seed, weights)
        scale = np.abs(whole).mean()
        # fewer edges pull than in the full graph, about the weights' share
        share = scale / np.abs(full).mean()
        assert 0.4 < share < 0.75  # the weights' mean is 0.525
        moved = _one_epoch(Y0, heads, tails, batch_size, seed, weights)
        assert np.abs(moved - whole).max() < 0.02 * scale


def test_an_edge_takes_part_with_its_probability():
    """Over many epochs each edge is picked as often as its weight says (0
    never, 1 always, 2.5 twice and a third time every other epoch), in the
    given order."""
    rng = np.random.default_rng(2)
    E, width, epochs = 400, 64, 600
    H = np.arange(E + width, dtype=np.int32)  # an edge's head: its position
    T = H.copy()
    P = np.concatenate([[0.0, 1.0, 2.0, 2.5], rng.uniform(0, 1, E - 104)])
    P = np.concatenate([P, rng.uniform(1, 3.5, 100)]).astype(np.float32)
    room = int(np.ceil(P).sum()) + width
    Hc, Tc = np.empty(room, np.int32), np.empty(room, np.int32)
    times = np.empty(E, np.int16)
    picked = np.zeros(E)
    for step in range(epochs):
        count = pick_edges(H, T, P, E, 7, step, width, Hc, Tc, times)
        got = Hc[:count]
        assert np.all(np.diff(got) >= 0)  # in order, an edge's runs together
        np.testing.assert_array_equal(Tc[:count], got)
        np.testing.assert_array_equal(Hc[count : count + width], got[:width])
        runs = np.bincount(got, minlength=E)
        assert np.all((runs == np.floor(P)) | (runs == np.ceil(P)))
        picked += runs
    freq = picked / epochs
    assert freq[0] == 0 and freq[1] == 1 and freq[2] == 2
    assert np.abs(freq - P).max() < 0.08  # 600 draws: sd <= 0.02


def test_a_thinned_epoch_takes_as_many_steps():
    """Where a share of the edges takes part, a window holds that share of
    batch_size: an epoch takes as many SGD steps as with every edge (in
    three times larger steps the UMAP end's attraction overshoots)."""
    E = 3000
    heads, tails, Y0 = _graph(3, 200, E)
    for weight, power in ((1.0, 0.0), (0.3, 1.0)):
        weights = np.full(E, weight, np.float32)
        backend = _backend(Y0, heads, tails, weights, 100, seed=0, negatives=5)
        backend.epoch(1e-3, EpochSpec(s=1.0, eps=1.0, edge_power=power), 1.0)
        # 30 windows of 100 edges, or of 30 of the ~900 taking part
        assert 27 <= backend.steps <= 33, (weight, backend.steps)
    # t-SNE weights up to 1.6 (some edges run twice): as many steps, 30
    # windows of ~90 (the weights' mean 0.9)
    order = np.lexsort((tails, heads))  # the t-SNE weights in the graph's order
    heads, tails = heads[order], tails[order]
    tsne = np.random.default_rng(3).uniform(0.2, 1.6, E).astype(np.float32)
    backend = NumbaBackend(
        Y0.copy(), heads, tails, np.ones(E, np.float32), tsne, loss="neg",
        batch_size=100, negative_samples=5, seed=0, near_pairs=0, far_field=False,
    )  # fmt: skip
    backend.epoch(1e-3, EpochSpec(s=0.0, eps=1.0, tsne_power=1.0), 1.0)
    assert 27 <= backend.steps <= 33, backend.steps


def test_a_pair_weighted_over_one_takes_part_that_often():
    """At the t-SNE end an edge takes part as often as its t-SNE weight says
    in expectation, above 1 as well: a leaf pulled by one edge moves its
    weight's times the pull of an edge that runs once."""
    leaves, w = 50, np.array([0.3, 1.0, 1.7, 2.5])
    tails = np.arange(1, 1 + leaves * w.size)  # edges 0 -> leaf, in row order
    heads = np.zeros_like(tails)
    Y0 = np.random.default_rng(4).standard_normal((tails.size + 1, 2))
    Y0 = Y0.astype(np.float32)
    spec = EpochSpec(s=0.0, eps=1.0, tsne_power=1.0)
    ones = np.ones(tails.size, np.float32)

    def moves(tsne, seed):
        backend = NumbaBackend(
            Y0.copy(), heads, tails, ones, tsne, loss="neg", batch_size=64,
            negative_samples=0, seed=seed, near_pairs=0, far_field=False,
        )  # fmt: skip
        backend.epoch(1e-4, spec, 1.0)
        return (backend.layout() - Y0)[tails]

    once = moves(ones, 0)
    assert (np.abs(once).sum(axis=1) > 0).all()
    tsne = np.repeat(w, leaves).astype(np.float32)
    times = np.mean([(moves(tsne, seed) / once).mean(axis=1) for seed in range(30)], 0)
    # 1 500 draws per weight: sd <= 0.03
    np.testing.assert_allclose(times.reshape(w.size, leaves).mean(axis=1), w, atol=0.1)


def test_the_torch_path_runs_a_pair_as_often_as_its_weight():
    """The torch backend runs an edge ``floor(w)`` times an epoch and once
    more with probability ``w - floor(w)``: as often as its weight."""
    import torch

    from napari_cne.engine.backends.torch_backend import TorchBackend

    leaves, w = 50, np.array([0.3, 1.0, 1.7, 2.5])
    tails = np.arange(1, 1 + leaves * w.size)
    Y0 = np.random.default_rng(4).standard_normal((tails.size + 1, 2))
    Y0 = Y0.astype(np.float32)

    def moves(tsne, seed):
        backend = TorchBackend(
            Y0.copy(), np.zeros_like(tails), tails, np.ones(tails.size, np.float32),
            tsne, loss="neg", batch_size=10**6, negative_samples=0,
            device=torch.device("cpu"), generator=torch.Generator().manual_seed(seed),
        )  # fmt: skip
        backend.epoch(1e-4, EpochSpec(s=0.0, eps=1.0, tsne_power=1.0), 1.0)
        return (backend.layout() - Y0)[tails]

    once = moves(np.ones(tails.size, np.float32), 0)
    assert (np.abs(once).sum(axis=1) > 0).all()
    tsne = np.repeat(w, leaves).astype(np.float32)
    times = np.mean([(moves(tsne, seed) / once).mean(axis=1) for seed in range(30)], 0)
    np.testing.assert_allclose(times.reshape(w.size, leaves).mean(axis=1), w, atol=0.1)
