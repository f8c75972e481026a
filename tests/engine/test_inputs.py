"""Input types, kNN graphs and clear errors for bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from napari_cne import ContrastiveEmbedding, knn_graph
from napari_cne.engine.graph import fuzzy_graph, symmetric_graph
from napari_cne.engine.neighbors import exact_knn, hnsw_knn, ivf_knn, nndescent_knn

from .._data import digits


def fit(X, **kw):
    kw.setdefault("n_epochs", 5)
    kw.setdefault("random_state", 0)
    return ContrastiveEmbedding(**kw).fit(X)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8, bool])
def test_numeric_dtypes_are_accepted(dtype):
    X, _ = digits()
    data = (X[:200] > 8) if dtype is bool else X[:200].astype(dtype)
    Y = fit(data).embedding_
    assert Y.shape == (200, 2) and Y.dtype == np.float32 and np.isfinite(Y).all()


def test_dataframe_input_keeps_column_names_and_rejects_text():
    X = np.random.default_rng(0).normal(size=(200, 19))
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(19)])
    m = fit(df)
    assert m.feature_columns_ == list(df.columns)
    df["name"] = "cell"
    with pytest.raises(TypeError, match=r"non-numeric columns \['name'\]"):
        fit(df)


@pytest.mark.parametrize("search", ["faiss", "torch"])
def test_exact_knn_matches_brute_force_for_all_metrics(search, monkeypatch):
    from napari_cne.engine import search_faiss

    if search == "torch":  # the GPU's search, and the one without faiss
        monkeypatch.setattr(search_faiss, "faiss_available", lambda: False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 7)).astype(np.float32)
    for metric, dist in {
        "euclidean": lambda a, b: np.linalg.norm(a - b, axis=-1),
        "manhattan": lambda a, b: np.abs(a - b).sum(-1),
        "cosine": lambda a, b: (
            1
            - (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        ),
        "correlation": lambda a, b: (
            1
            - ((a - a.mean(-1, keepdims=True)) * (b - b.mean(-1, keepdims=True))).sum(
                -1
            )
            / np.linalg.norm(a - a.mean(-1, keepdims=True), axis=-1)
            / np.linalg.norm(b - b.mean(-1, keepdims=True), axis=-1)
        ),
    }.items():
        D = dist(X[:, None, :], X[None, :, :])
        np.fill_diagonal(D, np.inf)
        expected = np.argsort(D, axis=1, kind="stable")[:, :10]
        ind, d = exact_knn(X, 10, metric)
        np.testing.assert_array_equal(np.sort(ind, 1), np.sort(expected, 1))
        np.testing.assert_allclose(d, np.take_along_axis(D, ind, 1), atol=1e-4)


@pytest.mark.parametrize("search", [ivf_knn, hnsw_knn, nndescent_knn])
def test_approximate_graphs_agree_with_exact(search):
    X, _ = digits()
    exact, dexact = exact_knn(X, 15)
    approx, dist = search(X, 15)
    assert approx.shape == exact.shape
    assert not (approx == np.arange(len(X))[:, None]).any()
    recall = np.mean([np.intersect1d(a, b).size / 15 for a, b in zip(exact, approx)])
    assert recall > 0.95
    # distances are the Euclidean (not squared) ones to the neighbours found,
    # and sorted, as the exact ones
    true = np.linalg.norm(X[:, None, :] - X[approx], axis=-1)
    np.testing.assert_allclose(dist, true, rtol=1e-4, atol=1e-3)
    assert np.all(np.diff(dist, axis=1) >= -1e-5)
    # an approximate search may miss a point's nearest neighbour now and then
    # (pynndescent's result depends on how its threads interleave), never
    # find one nearer than the exact search, and finds it for nearly all
    first = dist[:, 0] - dexact[:, 0]
    assert np.all(first >= -1e-4)
    assert np.mean(first <= 1e-4) > 0.99


@pytest.mark.parametrize("search", [ivf_knn, hnsw_knn])
def test_approximate_search_does_not_depend_on_the_thread_count(search):
    X, _ = digits()
    one, _ = search(X, 15, n_jobs=1)
    two, _ = search(X, 15, n_jobs=2)
    np.testing.assert_array_equal(one, two)


def test_graph_is_binary_symmetric_without_self_loops_even_with_duplicates():
    X, _ = digits()
    X = np.vstack([X[:100], X[:100], X[:100]])  # every row three times
    G = knn_graph(X, 15)
    assert (G != G.T).nnz == 0
    assert G.diagonal().sum() == 0
    assert set(np.unique(G.data)) == {1.0}
    # each point is linked to its two copies
    for i in range(100):
        row = G[i].indices
        assert i + 100 in row and i + 200 in row


def test_union_symmetrisation():
    ind = np.array([[1], [2], [0], [0]])
    G = symmetric_graph(ind)
    expected = {(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0), (3, 0), (0, 3)}
    assert set(zip(*G.nonzero())) == expected


def test_fuzzy_graph_weights():
    X, _ = digits()
    ind, dist = exact_knn(X, 15)
    W = fuzzy_graph(ind, dist)
    B = symmetric_graph(ind)
    # the same pattern as the binary graph, symmetric, weights in (0, 1]
    assert (abs((W != 0).astype(int) - B)).nnz == 0
    assert abs(W - W.T).max() < 1e-6
    assert W.data.min() > 0 and W.data.max() <= 1.0
    # the nearest neighbour of every point has membership 1 (rho_i)
    nearest = W[np.arange(len(X)), ind[:, 0]].A1
    np.testing.assert_allclose(nearest, 1.0, atol=1e-6)
    # directed weights of each row sum to log2(k) (sigma_i by bisection):
    # the union can only raise them, by at most the reverse edges' weights
    rows = np.asarray(W.sum(axis=1)).ravel()
    assert (rows >= np.log2(15) - 1e-3).all()
    # farther neighbours weigh less
    far = W[np.arange(len(X)), ind[:, -1]].A1
    assert np.median(far) < 0.5


def test_precomputed_graphs():
    X, y = digits()
    ind, dist = exact_knn(X, 15)
    m1 = ContrastiveEmbedding(n_epochs=5, random_state=0).fit(X, graph=(ind, dist))
    W = sp.random(1797, 1797, density=0.01, random_state=0, format="csr")
    m2 = ContrastiveEmbedding(n_epochs=5, random_state=0).fit(graph=W * 3.7)
    G2 = m2.graph_
    assert set(np.unique(G2.data)) == {1.0} and (G2 != G2.T).nnz == 0
    assert m1.graph_.nnz == symmetric_graph(ind).nnz
    with pytest.raises(ValueError, match="must match"):
        ContrastiveEmbedding().fit(X[:100], graph=(ind, dist))
    with pytest.raises(TypeError, match="graph must be"):
        ContrastiveEmbedding().fit(graph=[[1, 2]])
    with pytest.raises(ValueError, match="square"):
        ContrastiveEmbedding().fit(graph=sp.random(5, 6, density=0.5))


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0], [1.0, 1.0]]), "1 NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0], [4.0, 5.0], [1.0, 1.0]]), "1 infinite"),
        (np.arange(10.0), "must be 2-D.*reshape"),
        (np.zeros((0, 5)), "empty"),
        (np.zeros((4, 0)), "empty"),
        (np.ones((50, 3)), "every column of X is constant"),
        (np.zeros((2, 3, 4)), "must be 2-D"),
        (np.array([[1.0, 2.0], [3.0, 4.0]]), "at least 3 samples"),
        (np.array([[1e38, 1.0], [2.0, 3.0], [4.0, 5.0]]), "too large"),
    ],
)
def test_bad_data_gives_clear_value_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        fit(bad)


def test_non_numeric_data_is_a_type_error():
    with pytest.raises(TypeError, match="numbers"):
        fit(np.array([["a", "b"], ["c", "d"], ["e", "f"]]))
    with pytest.raises(TypeError, match="sparse"):
        fit(sp.random(10, 5, density=0.5, format="csr"))


@pytest.mark.parametrize(
    "params,match",
    [
        ({"loss": "tsne"}, "unknown loss 'tsne'"),
        ({"metric": "hamming"}, "unknown metric 'hamming'"),
        ({"n_components": 4}, "n_components"),
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"n_epochs": 2.5}, "n_epochs"),
        ({"s": float("nan")}, "finite"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"init": "umap"}, "init must be"),
        ({"init": np.zeros((3, 2))}, r"shape \(100, 2\)"),
        ({"backend": "cuda"}, "backend"),
        ({"eps": 0}, "eps must be 'auto' or a positive number"),
    ],
)
def test_bad_parameters_give_clear_errors(params, match):
    X, _ = digits()
    with pytest.raises((ValueError, TypeError), match=match):
        fit(X[:100], **params)


def test_constant_columns_are_dropped_with_a_warning():
    data = np.random.default_rng(0).normal(size=(200, 10))
    data[:, 3] = 7.0
    with pytest.warns(UserWarning, match=r"dropping 1 constant column\(s\) \[3\]"):
        m = fit(data)
    # n_features_in_ is X's width (scikit-learn's meaning); the model uses 9
    assert m.n_features_in_ == 10
    assert list(m.kept_features_) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert m.training_data_.shape == (200, 9)
    # transform takes X's width, and refuses another
    assert m.transform(data[:5]).shape == (5, 2)
    with pytest.raises(ValueError, match="10 features"):
        m.transform(data[:5, :9])


def test_fewer_points_than_neighbours_reduces_k_with_a_warning():
    X, _ = digits()
    with pytest.warns(UserWarning, match="using n_neighbors=9"):
        m = fit(X[:10], n_neighbors=15)
    assert m.n_neighbors_ == 9 and np.isfinite(m.embedding_).all()


def test_zero_rows_with_cosine_metric_are_reported():
    X = np.random.default_rng(0).normal(size=(50, 4))
    X[3] = 0
    with pytest.raises(ValueError, match="cosine distance is undefined for 1"):
        fit(X, metric="cosine")


def test_no_warnings_for_clean_input():
    X = np.random.default_rng(0).normal(size=(200, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(X)


def test_auto_knn_is_exact_where_cheap_and_hnsw_above(monkeypatch):
    from napari_cne.engine import neighbors

    calls = []

    def fake(name):
        def search(X, k, metric, **_):
            calls.append(name)
            return np.zeros((len(X), k), np.int64), np.zeros((len(X), k), np.float32)

        return search

    for name in ("exact_knn", "ivf_knn", "hnsw_knn", "nndescent_knn"):
        monkeypatch.setattr(neighbors, name, fake(name))

    def shaped(n):  # a view of that shape, no memory behind it
        return np.broadcast_to(np.zeros(50, np.float32), (n, 50))

    # with faiss: exact up to 20 000 rows of 50 features, IVF above, HNSW for
    # the largest
    sizes = (4_000, 20_000, 70_000, 1_000_000)
    assert [neighbors.knn(shaped(n), 15)[2] for n in sizes] == [
        "exact",
        "exact",
        "ivf",
        "hnsw",
    ]
    # without faiss: exact where torch is fast, pynndescent once compiled
    # (or when exact would be slower than compiling it)
    monkeypatch.setattr(neighbors.search_faiss, "faiss_available", lambda: False)
    monkeypatch.setattr(neighbors, "pynndescent_is_warm", lambda metric: False)
    assert neighbors.knn(shaped(70_000), 15)[2] == "exact"
    assert neighbors.knn(shaped(200_000), 15)[2] == "pynndescent"
    monkeypatch.setattr(neighbors, "pynndescent_is_warm", lambda metric: True)
    assert neighbors.knn(shaped(20_000), 15)[2] == "pynndescent"
    assert neighbors.knn(shaped(4_000), 15)[2] == "exact"
    assert calls == [
        "exact_knn",
        "exact_knn",
        "ivf_knn",
        "hnsw_knn",
        "exact_knn",
        "nndescent_knn",
        "nndescent_knn",
        "exact_knn",
    ]


def test_pynndescent_warmth_is_read_from_its_numba_dispatcher(monkeypatch):
    import sys
    import types

    from napari_cne.engine import neighbors

    monkeypatch.setattr(neighbors, "_NND_WARM", set())
    fake = types.SimpleNamespace(nn_descent=types.SimpleNamespace(signatures=[]))
    monkeypatch.setitem(sys.modules, "pynndescent.pynndescent_", fake)
    assert not neighbors.pynndescent_is_warm("euclidean")
    fake.nn_descent.signatures = ["(float32[:, :], ...)"]  # compiled, e.g. by umap
    assert neighbors.pynndescent_is_warm("euclidean")
    assert not neighbors.pynndescent_is_warm("cosine")  # another specialisation
    neighbors._NND_WARM.add("cosine")
    assert neighbors.pynndescent_is_warm("cosine")
