"""Behaviour of the engine on real data (sklearn digits, MNIST subsets)."""

import numpy as np
import pytest

from napari_cne import ContrastiveEmbedding, spectrum_sweep
from napari_cne.engine.metrics import knn_accuracy, neighbor_preservation

from .._data import digits, digits_graph, mnist_pca

# algorithm.md §16 (contrastive-ne 0.4.0, exact graph, digits): recall@15 and std
REFERENCE = {
    ("neg", -1.0): (0.518, 15.74),
    ("neg", 0.0): (0.500, 9.37),
    ("neg", 0.5): (0.477, 7.38),
    ("neg", 1.0): (0.453, 6.20),
    ("neg", 2.0): (0.394, 3.82),
    ("infonce", 0.0): (0.517, 8.91),
    ("infonce", 1.0): (0.382, 4.81),
}


def _digits_fits(**kw):
    X, y = digits()
    G = digits_graph()
    out = {}
    for loss, s in REFERENCE:
        m = ContrastiveEmbedding(
            loss=loss, s=s, random_state=0, tsne_z="reference", init="pca", **kw
        )
        out[loss, s] = m.fit(X, graph=G)
    return X, y, out


@pytest.fixture(scope="module")
def reference_runs():
    """The reference's algorithm: its NEG (noise ratio = negatives drawn), its
    Cauchy kernel (eps = 1, b = 1), its binary graph and its update rule (one
    clipped step per batch of 32 768 edges, the torch backend)."""
    return _digits_fits(
        noise_ratio=5,
        eps=1.0,
        b=1.0,
        edge_weights="binary",
        backend="torch",
        batch_size=32768,
    )


@pytest.fixture(scope="module")
def digits_runs():
    """Our defaults (CPU kernel, noise_ratio="auto")."""
    return _digits_fits()


def test_matches_reference_bands_on_digits(reference_runs):
    X, y, runs = reference_runs
    for key, (recall_ref, std_ref) in REFERENCE.items():
        Y = runs[key].embedding_
        recall = neighbor_preservation(X, Y, 15, n_queries=None)
        # run-to-run spread of the reference: recall <= 0.02, std <= 1.5 %
        assert recall == pytest.approx(recall_ref, abs=0.03), key
        assert Y.std() == pytest.approx(std_ref, rel=0.08), key


def test_defaults_keep_at_least_the_reference_neighbours(digits_runs):
    X, _, runs = digits_runs
    for key, (recall_ref, _) in REFERENCE.items():
        recall = neighbor_preservation(X, runs[key].embedding_, 15, n_queries=None)
        assert recall >= recall_ref - 0.02, (key, recall)


@pytest.mark.parametrize("which", ["reference_runs", "digits_runs"])
def test_neg_spread_decreases_monotonically_with_s(which, request):
    _, _, runs = request.getfixturevalue(which)
    stds = [runs["neg", s].embedding_.std() for s in (-1.0, 0.0, 0.5, 1.0, 2.0)]
    assert all(a > b for a, b in zip(stds, stds[1:])), stds


@pytest.mark.parametrize("s", [0.0, 1.0])
def test_knn_accuracy_on_digits(digits_runs, s):
    _, y, runs = digits_runs
    assert knn_accuracy(runs["neg", s].embedding_, y, 10) >= 0.95


def _spreads(X, s_values, **kw):
    return [
        ContrastiveEmbedding(s=s, random_state=0, **kw).fit(X).embedding_.std()
        for s in s_values
    ]


def test_spectrum_runs_the_right_way_round_with_300_points():
    X, _ = digits()
    stds = _spreads(X[:300], (-1.0, 0.0, 0.5, 1.0, 2.0), n_epochs=150)
    assert all(a > b for a, b in zip(stds, stds[1:])), stds
    # a visible difference between t-SNE and UMAP (seeds 0-3: 1.19-1.33) and
    # a wide one between the ends
    assert stds[1] / stds[3] > 1.2
    assert stds[0] / stds[4] > 2.5
    # the reference normaliser runs backwards at this size
    ref = _spreads(X[:300], (0.0, 1.0), n_epochs=150, tsne_z="reference")
    assert ref[0] < ref[1]


def test_spectrum_runs_the_right_way_round_with_20000_points():
    X, _ = mnist_pca(20000)
    stds = _spreads(X, (-1.0, 0.0, 1.0, 2.0), n_epochs=30, batch_size=65536)
    assert all(a > b for a, b in zip(stds, stds[1:])), stds


def test_infonce_spread_decreases_with_s(digits_runs):
    _, _, runs = digits_runs
    assert runs["infonce", 0.0].embedding_.std() > runs["infonce", 1.0].embedding_.std()


def test_umap_and_nce_modes_give_good_embeddings():
    X, y = digits()
    G = digits_graph()
    for loss in ("umap", "nce"):
        Y = ContrastiveEmbedding(loss=loss, random_state=0).fit_transform(X, graph=G)
        assert knn_accuracy(Y, y) >= 0.95, loss
        assert neighbor_preservation(X, Y, n_queries=None) > 0.4, loss


def test_three_components():
    X, y = digits()
    Y = ContrastiveEmbedding(
        n_components=3, random_state=0, n_epochs=100
    ).fit_transform(X)
    assert Y.shape == (1797, 3)
    assert knn_accuracy(Y, y) >= 0.95


def test_spectrum_sweep_is_a_warm_started_chain():
    X, _ = digits()
    s_values = [2.0, 1.0, 0.0, -1.0, 0.5]
    embs, model = spectrum_sweep(
        X, s_values, n_epochs=100, n_epochs_each=60, random_state=0
    )
    assert embs.shape == (5, 1797, 2)
    stds = {s: embs[i].std() for i, s in enumerate(s_values)}
    ordered = [stds[s] for s in (-1.0, 0.0, 0.5, 1.0, 2.0)]
    assert all(a > b for a, b in zip(ordered, ordered[1:])), ordered
    # neighbours on the spectrum stay aligned (warm start, not a fresh layout)
    a, b = embs[s_values.index(0.5)], embs[s_values.index(0.0)]
    corr = np.corrcoef(a[:, 0], b[:, 0])[0, 1]
    assert abs(corr) > 0.8
