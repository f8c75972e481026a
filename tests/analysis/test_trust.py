"""Trust per object: each object's share of feature-space neighbours kept in the map."""

from __future__ import annotations

import numpy as np
import pytest

from napari_cne.analysis.trust import TRUST_COLUMN, object_trust
from napari_cne.engine.metrics import quality_report
from napari_cne.engine.neighbors import exact_knn, layout_knn


def _blobs(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype(np.float32)


def test_column_name():
    assert TRUST_COLUMN == "cne_trust"


def test_layout_equal_to_features_gives_one():
    X = _blobs(300, 2)
    t = object_trust(X, X)
    assert t.shape == (300,)
    assert np.all(t == 1.0)


def test_unrelated_layout_gives_chance():
    X = _blobs(800, 5)
    Y = np.random.default_rng(1).permutation(X[:, :2])  # rows shuffled
    t = object_trust(X, Y, k=15)
    chance = 15 / (800 - 1)
    assert abs(t.mean() - chance) < 0.01
    assert t.max() <= 0.3


def test_mean_is_the_global_readout():
    X = _blobs(500, 3)
    rng = np.random.default_rng(2)
    Y = X[:, :2] + rng.normal(scale=0.05, size=(500, 2))  # a partial map
    t = object_trust(X, Y, method="exact")
    report = quality_report(X, Y, k=15, max_points=None)
    assert report["neighbor_preservation"] == pytest.approx(t.mean(), abs=1e-12)
    assert 0.1 < t.mean() < 0.9  # neither trivial end
    # the values are counts out of k
    np.testing.assert_allclose(t * 15, np.round(t * 15), atol=1e-9)


def test_scrambled_region_has_low_trust():
    # left half of the map kept exactly, right half shuffled among itself
    X = _blobs(600, 2, seed=3)
    Y = X.copy()
    right = np.flatnonzero(X[:, 0] > 0.5)
    Y[right] = np.random.default_rng(4).permutation(Y[right])
    t = object_trust(X, Y)
    left = np.flatnonzero(X[:, 0] < -0.5)
    assert t[left].mean() > 0.95
    assert t[right].mean() < 0.3


def test_metric_is_used():
    # cosine ignores the length of a row; Euclidean does not
    rng = np.random.default_rng(5)
    angle = rng.uniform(0, 2 * np.pi, 300)
    radius = rng.uniform(1, 50, 300)
    X = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    Y = np.column_stack([np.cos(angle), np.sin(angle)])  # the angles only
    cos = object_trust(X, Y, metric="cosine").mean()
    euc = object_trust(X, Y, metric="euclidean").mean()
    assert cos > 0.9 > euc


def test_bad_input_is_one_line():
    X = _blobs(50, 3)
    for args, kw, match in [
        ((X, X[:40, :2]), {}, "same number of rows"),
        ((X[:2], X[:2]), {}, "at least 3"),
        ((X, X[:, :2]), {"k": 0}, "positive integer"),
        ((X, X[:, :2]), {"metric": "nope"}, "unknown metric"),
    ]:
        with pytest.raises(ValueError, match=match):
            object_trust(*args, **kw)
    bad = X[:, :2].copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        object_trust(X, bad)


def test_layout_knn_is_exact():
    Y = _blobs(400, 2, seed=6)
    np.testing.assert_array_equal(layout_knn(Y, 10), exact_knn(Y, 10)[0])
    q = np.array([5, 17, 399])
    np.testing.assert_array_equal(layout_knn(Y, 10, query=q), exact_knn(Y, 10)[0][q])
    Z = _blobs(200, 5, seed=7)  # above 3 dimensions: the flat search
    np.testing.assert_array_equal(layout_knn(Z, 7), exact_knn(Z, 7)[0])
