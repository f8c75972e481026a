"""Clusters: Leiden on a kNN graph, HDBSCAN on a layout, k-means on features."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from napari_cne.analysis.clusters import (
    METHODS,
    cluster,
    default_min_cluster_size,
    hdbscan,
    kmeans,
    leiden,
    parse_spec,
    renumber_by_size,
)
from napari_cne.engine.graph import symmetric_graph


def blobs(sizes=(120, 80, 40), seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(10 * i, 1, (n, 5)) for i, n in enumerate(sizes)])
    return X, np.repeat(np.arange(len(sizes)), sizes)


def knn_graph(X, k=10):
    from sklearn.neighbors import NearestNeighbors

    ind = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)[1]
    return symmetric_graph(ind[:, 1:])


def test_renumber_by_size_largest_first_ties_by_first_member_noise_kept():
    out = renumber_by_size([7, 7, 3, 3, 3, -1, 9, 5, 5])
    assert out.tolist() == [1, 1, 0, 0, 0, -1, 3, 2, 2]
    assert renumber_by_size([-1, -1]).tolist() == [-1, -1]


def test_leiden_finds_the_blobs_numbered_by_size_and_is_seeded():
    X, y = blobs()
    g = knn_graph(X)
    a = leiden(g, 0.1, random_state=0)
    assert a.dtype.kind == "i" and a.shape == (len(y),)
    assert adjusted_rand_score(y, a) == 1.0
    assert np.bincount(a).tolist() == [120, 80, 40]  # 0 the largest
    for seed in (0, 3):
        assert (leiden(g, 1.0, seed) == leiden(g, 1.0, seed)).all()
    # at modularity's resolution a blob may split, but no cluster spans two
    fine = leiden(g, 1.0)
    assert all(len(set(y[fine == c])) == 1 for c in np.unique(fine))


def test_leiden_resolution_sets_how_fine():
    X, _ = blobs((300, 300), seed=1)
    g = knn_graph(X)
    coarse, fine = leiden(g, 0.05), leiden(g, 5.0)
    assert coarse.max() < fine.max()
    assert fine.max() + 1 >= 6


def test_leiden_uses_the_weights():
    # two triangles joined by one edge: heavy inside, light across -> two
    rows = [0, 0, 1, 3, 3, 4, 2]
    cols = [1, 2, 2, 4, 5, 5, 3]
    w = [5, 5, 5, 5, 5, 5, 0.01]
    g = sp.coo_matrix((w, (rows, cols)), shape=(6, 6))
    g = (g + g.T).tocsr()
    assert leiden(g, 1.0).tolist() == [0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize(
    "graph, message",
    [
        (None, "run an embedding first"),
        (np.eye(3), "square scipy.sparse"),
        (sp.csr_matrix(np.array([[0, -1.0], [-1.0, 0]])), ">= 0"),
    ],
)
def test_leiden_bad_graph(graph, message):
    with pytest.raises(ValueError, match=message):
        leiden(graph)


def test_leiden_bad_resolution():
    with pytest.raises(ValueError, match="resolution must be > 0"):
        leiden(knn_graph(blobs()[0]), 0)


def test_hdbscan_on_a_layout_with_noise_and_the_default_size():
    rng = np.random.default_rng(0)
    Y = np.vstack([rng.normal(0, 0.3, (200, 2)), rng.normal(6, 0.3, (100, 2))])
    Y = np.vstack([Y, [[30.0, 30.0]]])  # a lone point: noise
    labels = hdbscan(Y)
    assert labels[-1] == -1
    assert (labels[:200] == 0).all() and (labels[200:300] == 1).all()
    assert (hdbscan(Y) == labels).all()


def test_default_min_cluster_size_rule():
    assert default_min_cluster_size(100) == 10
    assert default_min_cluster_size(5000) == 50
    assert default_min_cluster_size(10**7) == 500


def test_hdbscan_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        hdbscan(np.array([[0.0, np.nan]] * 20))
    with pytest.raises(ValueError, match="fewer than the smallest cluster"):
        hdbscan(np.zeros((5, 2)), 10)


def test_kmeans_on_features_is_seeded():
    X, y = blobs()
    a = kmeans(X, 3, random_state=0)
    assert adjusted_rand_score(y, a) == 1.0
    assert (kmeans(X, 3, random_state=0) == a).all()
    with pytest.raises(ValueError, match="1 <= k <= 240"):
        kmeans(X, 0)


def test_cluster_dispatches_to_what_each_method_needs():
    X, y = blobs()
    g = knn_graph(X)
    assert set(METHODS) == {"leiden", "hdbscan", "kmeans"}
    assert adjusted_rand_score(y, cluster("leiden", graph=g, resolution=0.1)) == 1.0
    assert adjusted_rand_score(y, cluster("kmeans", features=X, n_clusters=3)) == 1.0
    assert adjusted_rand_score(y, cluster("hdbscan", layout=X[:, :2])) > 0.9
    with pytest.raises(ValueError, match="run an embedding first"):
        cluster("hdbscan", graph=g)
    with pytest.raises(ValueError, match="unknown clustering 'dbscan'"):
        cluster("dbscan", graph=g)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("leiden", ("leiden", {})),
        ("leiden:0.5", ("leiden", {"resolution": 0.5})),
        (" HDBSCAN:25 ", ("hdbscan", {"min_cluster_size": 25})),
        ("kmeans:4", ("kmeans", {"n_clusters": 4})),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "spec, message",
    [
        ("louvain", "unknown clustering 'louvain'"),
        ("leiden:abc", "a resolution > 0 after 'leiden:'"),
        ("leiden:-1", "a resolution > 0"),
        ("hdbscan:1", "a smallest cluster size >= 2"),
        ("kmeans:2.5", "a number of clusters >= 1"),
    ],
)
def test_parse_spec_bad(spec, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_spec(spec)
    assert "\n" not in str(err.value)
