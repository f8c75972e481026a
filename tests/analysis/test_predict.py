"""Predicted classes from a few examples: spreading, classifier, auto, held-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_circles
from sklearn.neighbors import kneighbors_graph

from napari_cne.analysis.predict import (
    MIN_PER_CLASS,
    held_out_accuracy,
    least_confident,
    predict_classes,
    spreading_scores,
)


def knn_graph(X, k=8):
    A = kneighbors_graph(X, k, include_self=False)
    return ((A + A.T) > 0).astype(np.float32).tocsr()


def examples(y, per_class, seed=0, names=("a", "b")):
    rng = np.random.default_rng(seed)
    lab = np.full(len(y), None, object)
    for c in np.unique(y):
        idx = rng.choice(np.flatnonzero(y == c), per_class, replace=False)
        lab[idx] = names[c]
    return pd.Categorical(lab, categories=list(names))


@pytest.fixture(scope="module")
def rings():
    """Two concentric rings: the graph follows them, a linear model cannot."""
    X, y = make_circles(400, noise=0.03, factor=0.5, random_state=0)
    return X, y, knn_graph(X)


def test_spreading_follows_the_graph_where_a_linear_classifier_cannot(rings):
    X, y, G = rings
    lab = examples(y, 5)
    un = lab.isna()
    spread = predict_classes(lab, X=X, graph=G, method="spreading")
    clf = predict_classes(lab, X=X, graph=G, method="classifier")
    truth = np.array(["a", "b"])[y]
    assert np.mean(np.asarray(spread.predicted)[un] == truth[un]) > 0.98
    assert np.mean(np.asarray(clf.predicted)[un] == truth[un]) < 0.8
    assert spread.method == "spreading" and clf.method == "classifier"
    assert list(spread.predicted.categories) == ["a", "b"]
    assert ((spread.confidence >= 0.5) & (spread.confidence <= 1)).all()
    # auto measures both on the annotations and keeps spreading here
    auto = predict_classes(lab, X=X, graph=G)
    assert auto.method == "spreading"
    assert set(auto.compared) == {"spreading", "classifier"}
    assert auto.compared["spreading"].rank() > auto.compared["classifier"].rank()
    np.testing.assert_array_equal(auto.predicted, spread.predicted)


def test_auto_takes_the_classifier_when_the_graph_says_nothing():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] > 0).astype(int)
    # a graph unrelated to the classes: neighbours at random
    G = knn_graph(rng.normal(size=(300, 3)))
    lab = examples(y, 6, seed=2)
    auto = predict_classes(lab, X=X, graph=G, random_state=0)
    assert auto.method == "classifier"
    truth = np.array(["a", "b"])[y]
    assert np.mean(np.asarray(auto.predicted) == truth) > 0.9
    assert auto.accuracy is not None and auto.accuracy > 0.8


def test_an_unreached_component_gets_no_class_and_zero_confidence():
    # two separate cliques of 5; examples only in the first
    block = np.ones((5, 5)) - np.eye(5)
    G = sp.block_diag([block, block]).tocsr()
    codes = np.full(10, -1)
    codes[0], codes[1] = 0, 1
    F = spreading_scores(G, codes, 2)
    assert (F[5:] == 0).all() and (F[:5].sum(axis=1) > 0).all()
    lab = pd.Categorical(["a", "b"] + [None] * 8, categories=["a", "b"])
    p = predict_classes(lab, graph=G)
    assert p.method == "spreading"
    assert p.predicted[5:].isna().all() and (p.confidence[5:] == 0).all()
    assert not pd.isna(p.predicted[:5]).any()
    # a class seed's own row goes to it
    assert p.predicted[0] == "a" and p.predicted[1] == "b"


def test_held_out_accuracy_rule(rings):
    X, y, G = rings
    few = examples(y, MIN_PER_CLASS - 1)
    p = predict_classes(few, X=X, graph=G, method="spreading")
    assert p.accuracy is None and p.held_out.n_folds == 0
    assert f"needs {MIN_PER_CLASS} examples" in p.held_out.note
    # too few to measure: auto keeps spreading
    assert predict_classes(few, X=X, graph=G).method == "spreading"
    codes = np.asarray(examples(y, 4).codes, np.int64)
    h = held_out_accuracy(codes, "spreading", graph=G)
    assert h.n_folds == 4 and h.accuracy == 1.0 and h.balanced_accuracy == 1.0
    h = held_out_accuracy(np.asarray(examples(y, 9).codes, np.int64), "classifier", X=X)
    assert h.n_folds == 5 and h.accuracy < 0.9  # rings are not linear
    assert "5-fold" in h.note


def test_a_seed_is_a_promise(rings):
    X, y, G = rings
    lab = examples(y, 4)
    a = predict_classes(lab, X=X, graph=G, random_state=3)
    b = predict_classes(lab, X=X, graph=G, random_state=3)
    np.testing.assert_array_equal(a.predicted, b.predicted)
    np.testing.assert_array_equal(a.confidence, b.confidence)
    assert a.held_out == b.held_out


def test_bad_input_gets_one_line_messages(rings):
    X, y, G = rings
    lab = examples(y, 3)
    one = pd.Categorical(["a"] * 3 + [None] * 397, categories=["a", "b"])
    with pytest.raises(ValueError, match="at least two classes"):
        predict_classes(one, X=X, graph=G)
    with pytest.raises(ValueError, match="got 10 labels for 400"):
        predict_classes(lab[:10], X=X, graph=G)
    with pytest.raises(ValueError, match="method must be one of"):
        predict_classes(lab, X=X, graph=G, method="forest")
    with pytest.raises(ValueError, match="needs the fit's kNN graph"):
        predict_classes(lab, X=X, method="spreading")
    with pytest.raises(ValueError, match="needs the features"):
        predict_classes(lab, graph=G, method="classifier")
    with pytest.raises(ValueError, match="the features have 9 rows"):
        predict_classes(lab, X=X[:9], graph=G)


def test_least_confident_skips_the_annotated():
    conf = np.array([0.9, 0.1, 0.5, 0.1, 0.3])
    np.testing.assert_array_equal(least_confident(conf, 3), [1, 3, 4])
    annotated = np.array([False, True, False, False, False])
    np.testing.assert_array_equal(least_confident(conf, 2, annotated), [3, 4])
    assert len(least_confident(conf, 10, annotated)) == 4
    with pytest.raises(ValueError, match="exclude has 2 entries"):
        least_confident(conf, 2, annotated[:2])
