"""The t-SNE end: t-SNE's edge weights, the same repulsion for every pair,
and the exaggeration paired with the normaliser (spectrum.py, graph.py)."""

import numpy as np
import pytest
import scipy.sparse as sp

from napari_cne import ContrastiveEmbedding, load_model, save_model
from napari_cne.engine.fields import NearField
from napari_cne.engine.graph import TSNE_PERPLEXITY_SHARE, graph_from_knn, tsne_weights
from napari_cne.engine.kernels.sgd import pair_values
from napari_cne.engine.spectrum import (
    TSNE_EXAGGERATION,
    TSNE_Z_SHARE,
    SpectrumMap,
    z_bar,
    z_tsne,
    z_umap,
)

from .._data import digits


def _lists():
    # 0 <-> 1 mutual; 2 -> 0 one-sided; 3 -> 1 one-sided (-1: missing)
    ind = np.array([[1, -1], [0, -1], [0, -1], [1, -1]])
    dist = np.where(ind >= 0, 1.0, 0.0)
    return ind, dist


@pytest.mark.parametrize("edge_weights", ["auto", "binary"])
def test_tsne_weights_count_a_mutual_pair_twice(edge_weights):
    ind, dist = _lists()
    A = graph_from_knn(ind, dist, 4, edge_weights)
    S = tsne_weights(A, ind)
    coo = A.tocoo()
    got = {(int(i), int(j)): float(w) for i, j, w in zip(coo.row, coo.col, S)}
    assert got == {
        (0, 1): 1.0, (1, 0): 1.0, (0, 2): 0.5, (2, 0): 0.5, (1, 3): 0.5, (3, 1): 0.5,
    }  # fmt: skip
    # a user's symmetric graph has no directions: every edge counts fully
    assert (tsne_weights(A) == 1).all()


def test_tsne_weights_are_tsne_affinities_at_their_perplexity():
    """Where no pair is mutual, an edge's weight is half its head's
    ``m p_j|i``: each row's ``p`` sums to 1, is Gaussian in the squared
    distance and has the perplexity asked for."""
    rng = np.random.default_rng(0)
    n, k = 200, 15
    ind = (np.arange(n)[:, None] + np.arange(1, k + 1)) % n  # none mutual
    dist = np.sort(rng.uniform(0.5, 3.0, (n, k)), axis=1)
    A = graph_from_knn(ind, dist, n, "binary")
    S = sp.csr_matrix((tsne_weights(A, ind, dist), A.indices, A.indptr), A.shape)
    p = 2 * S[np.arange(n)[:, None], ind].toarray() / k
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    perplexity = np.exp(-(p * np.log(p)).sum(axis=1))
    np.testing.assert_allclose(perplexity, TSNE_PERPLEXITY_SHARE * k, rtol=1e-4)
    # log p falls linearly in d^2, at a slope of the row's own
    d2 = dist**2
    slope = (np.log(p[:, -1]) - np.log(p[:, 0])) / (d2[:, -1] - d2[:, 0])
    assert (slope < 0).all()
    line = np.log(p[:, :1]) + slope[:, None] * (d2 - d2[:, :1])
    np.testing.assert_allclose(np.log(p), line, atol=1e-4)
    # equal distances: every neighbour alike, as without distances
    same = tsne_weights(A, ind, np.ones((n, k)))
    np.testing.assert_allclose(same, tsne_weights(A, ind), rtol=1e-6)
    assert np.allclose(same, 0.5)


def test_tsne_weights_keep_every_edge_beyond_tied_neighbours():
    """Identical rows (every pixel of a flat region) tie at distance 0, so
    their bandwidth shrinks to nothing and a farther neighbour's affinity
    underflows: it keeps a tiny weight, and the graph every edge."""
    far = np.random.default_rng(0).normal(size=(30, 3)) + 100  # lists none of them
    X = np.concatenate([np.zeros((14, 3)), far])
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    ind = np.argsort(d2, 1, kind="stable")[:, 1:16]
    dist = np.sqrt(np.take_along_axis(d2, ind, 1))
    A = graph_from_knn(ind, dist, len(X), "auto")
    S = tsne_weights(A, ind, dist)
    assert S.shape == (A.nnz,) and (S > 0).all() and np.isfinite(S).all()
    m = ContrastiveEmbedding(s=0.0, n_epochs=5, random_state=0).fit(graph=(ind, dist))
    assert np.isfinite(m.embedding_).all()


def test_fitted_tsne_weights_follow_the_neighbour_lists():
    X, _ = digits()
    m = ContrastiveEmbedding(s=0.0, n_epochs=2, random_state=0).fit(X[:400])
    k = m.n_neighbors_
    d2 = ((X[:400, None] - X[None, :400]) ** 2).sum(-1)
    near = np.argsort(d2, 1)[:, 1 : k + 1]
    dist = np.sqrt(np.take_along_axis(d2, near, 1))
    A = graph_from_knn(near, dist, 400, "auto")
    brute = sp.csr_matrix((tsne_weights(A, near, dist), A.indices, A.indptr))
    assert m.tsne_weights_.shape == (m.graph_.nnz,)
    coo = m.graph_.tocoo()
    expected = np.asarray(brute[coo.row, coo.col]).ravel()
    assert np.mean(np.isclose(m.tsne_weights_, expected, rtol=1e-3)) > 0.99  # ties
    # as many updates an epoch as every neighbour alike, the nearest more
    np.testing.assert_allclose(m.tsne_weights_.sum(), 400 * k, rtol=0.01)
    assert m.tsne_weights_.max() > 1.5 and m.tsne_weights_.min() < 0.3


def test_a_saved_model_keeps_its_tsne_weights(tmp_path):
    X, _ = digits()
    m = ContrastiveEmbedding(s=0.0, n_epochs=5, random_state=0).fit(X[:300])
    back = load_model(save_model(m, tmp_path / "m.pt"))
    np.testing.assert_array_equal(back.tsne_weights_, m.tsne_weights_)
    assert (m.tsne_weights_ > 1).any()
    # a file from before the weights were kept: every edge counts fully
    state = m.fitted_state()
    del state["tsne_weights"]
    old = ContrastiveEmbedding.from_fitted_state(state)
    assert (old.tsne_weights_ == 1).all() and old.optimize(2).embedding_.shape


def test_pair_values_reads_a_csr_matrix_in_any_edge_order():
    A = sp.random(60, 60, density=0.2, format="csr", random_state=0, dtype=np.float32)
    A.sort_indices()
    coo = A.tocoo()
    order = np.random.default_rng(0).permutation(A.nnz)
    H, T = coo.row[order].astype(np.int32), coo.col[order].astype(np.int32)
    out = np.empty(A.nnz, np.float32)
    pair_values(A.indptr, A.indices, A.data, H, T, out)
    np.testing.assert_array_equal(out, coo.data[order])
    missing = np.empty(1, np.float32)
    row0 = set(A.indices[A.indptr[0] : A.indptr[1]])
    j = next(c for c in range(60) if c not in row0)
    pair_values(A.indptr, A.indices, A.data, np.zeros(1, np.int32),
                np.array([j], np.int32), missing)  # fmt: skip
    assert missing[0] == 0.0


def test_the_fields_repel_every_pair_alike():
    deg, eff = NearField(50, np.random.default_rng(0)).degrees(100, 2000, 1500.0)
    np.testing.assert_allclose(deg, 20.0)
    np.testing.assert_allclose(eff, 15.0)


def _map(**kw):
    base = {"loss": "neg", "n": 70_000, "negative_samples": 5}
    return SpectrumMap(**{**base, **kw})


def test_the_tsne_end_and_its_way_to_umap():
    sm, n = _map(), 70_000
    at0, at1, mid = sm.at(0.0), sm.at(1.0), sm.at(0.5)
    assert (at0.edge_power, at0.tsne_power) == (0.0, 1.0)
    assert (at1.edge_power, at1.tsne_power) == (1.0, 0.0)
    assert (mid.edge_power, mid.tsne_power) == (0.5, 0.5)
    assert at0.z_bar == pytest.approx(TSNE_Z_SHARE * z_tsne(n))
    assert at1.z_bar == pytest.approx(z_umap(n))
    # log-linear between, so the layout moves continuously with s
    assert mid.z_bar == pytest.approx(np.sqrt(at0.z_bar * at1.z_bar))
    assert sm.exaggeration_at(0.0) == TSNE_EXAGGERATION
    assert sm.exaggeration_at(-1.0) == TSNE_EXAGGERATION
    assert sm.exaggeration_at(1.0) == sm.exaggeration_at(2.0) == 1.0
    assert sm.exaggeration_at(0.5) == pytest.approx(np.sqrt(TSNE_EXAGGERATION))
    # no jump when the slider leaves 0 (or reaches 1)
    for a, b in ((0.0, 0.01), (0.99, 1.0)):
        x, y = sm.at(a), sm.at(b)
        assert y.z_bar / x.z_bar == pytest.approx(1, abs=0.15)
        assert abs(y.tsne_power - x.tsne_power) == pytest.approx(0.01)
        assert sm.exaggeration_at(b) / sm.exaggeration_at(a) == pytest.approx(
            1, abs=0.01
        )
    # beyond UMAP nothing changed; beyond t-SNE the share stays
    assert sm.at(2.0).z_bar == pytest.approx(z_bar(2.0, n))
    assert sm.at(-1.0).z_bar == pytest.approx(TSNE_Z_SHARE * z_bar(-1.0, n))


@pytest.mark.parametrize(
    "kw", [{"tsne_z": "reference"}, {"tsne_z": 5e5}, {"exaggeration": 1.0}]
)
def test_setting_either_of_the_pair_leaves_both_out(kw):
    sm = _map(**kw)
    assert sm.exaggeration_at(0.0) == kw.get("exaggeration", 1.0)
    tsne_z = kw.get("tsne_z", "auto")
    assert sm.at(0.0).z_bar == pytest.approx(z_tsne(70_000, tsne_z))


@pytest.mark.parametrize(
    "kw", [{"edge_weights": "binary"}, {"edge_weights": "fuzzy"}, {"parametric": True},
           {"loss": "infonce"}],
)  # fmt: skip
def test_tsne_weights_only_with_the_auto_weights_of_neg(kw):
    sm = _map(**kw)
    assert sm.at(0.0).tsne_power == 0.0
    if kw.get("loss") == "infonce" or kw.get("parametric"):
        assert sm.exaggeration_at(0.0) == 1.0


def test_an_optimize_run_takes_the_exaggeration_of_its_s():
    X, _ = digits()
    m = ContrastiveEmbedding(s=1.0, n_epochs=5, random_state=0).fit(X[:300])
    a = ContrastiveEmbedding(s=1.0, n_epochs=5, random_state=0).fit(X[:300])
    m.optimize(5, s=0.0)
    a.optimize(5, s=0.0, exaggeration=TSNE_EXAGGERATION)
    np.testing.assert_array_equal(m.embedding_, a.embedding_)
    a.optimize(5, s=0.0, exaggeration=1.0)
    m.optimize(5, s=0.0)
    assert not np.array_equal(m.embedding_, a.embedding_)
    with pytest.raises(ValueError, match="exaggeration"):
        m.optimize(1, exaggeration="more")


def _fit_s0(graph, n):
    # no early phase (it runs at s = 1, with the fuzzy weights) and one
    # initial layout (a spectral one would see the weights as well)
    init = np.random.default_rng(1).normal(size=(n, 2)) * 1e-4
    m = ContrastiveEmbedding(s=0.0, n_epochs=20, early_exaggeration=False, init=init)
    return m.set_params(random_state=0).fit(graph=graph)


def test_at_the_tsne_end_an_edge_takes_part_with_its_tsne_weight():
    """The same edges from neighbour lists (t-SNE's weights) and as a user's
    matrix (all 1) train the same layout exactly when every pair is mutual
    and the distances equal, and another one when some pairs are not
    mutual or the distances differ."""
    rng = np.random.default_rng(0)
    groups = rng.normal(size=(30, 1, 5)) * 50 + rng.normal(size=(30, 4, 5))
    pairs = groups.reshape(-1, 5)  # groups of 4 far apart: 3 neighbours, all mutual
    cases = (
        (pairs, 3, True, True),
        (pairs, 3, True, False),
        (rng.normal(size=(120, 5)), 5, False, True),
    )
    for X, k, mutual, equal in cases:
        d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
        ind = np.argsort(d2, 1)[:, 1 : k + 1]
        dist = np.ones(ind.shape) if equal else np.take_along_axis(d2, ind, 1) ** 0.5
        lists = _fit_s0((ind, dist), len(X))
        matrix = _fit_s0(lists.graph_, len(X))
        assert (lists.tsne_weights_ == 1).all() == (mutual and equal)
        same = np.array_equal(lists.embedding_, matrix.embedding_)
        assert same == (mutual and equal)
