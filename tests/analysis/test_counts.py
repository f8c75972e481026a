"""The class (or cluster) x source table."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from napari_cne.analysis.counts import ALL, UNASSIGNED, count_table, wide_counts


def test_counts_and_fractions_per_source_with_totals():
    groups = pd.Categorical(
        ["a", "a", "b", None, "a", "b", "b", "b"], categories=["a", "b", "c"]
    )
    sources = pd.Categorical(["w1"] * 4 + ["w2"] * 4, categories=["w1", "w2"])
    t = count_table(groups, sources)
    assert list(t.columns) == ["class", "source", "count", "fraction", "n_source"]
    w = wide_counts(t)
    assert list(w.columns) == ["w1", "w2", ALL]
    assert list(w.index) == ["a", "b", "c", UNASSIGNED]  # empty classes listed
    np.testing.assert_array_equal(w["w1"], [2, 1, 0, 1])
    np.testing.assert_array_equal(w["w2"], [1, 3, 0, 0])
    np.testing.assert_array_equal(w[ALL], [3, 4, 0, 1])
    f = wide_counts(t, "fraction")
    np.testing.assert_allclose(f["w1"], [0.5, 0.25, 0, 0.25])
    np.testing.assert_allclose(f[ALL], [3 / 8, 4 / 8, 0, 1 / 8])
    # every source's fractions sum to 1
    np.testing.assert_allclose(f.sum(axis=0), 1.0)
    # tidy, source-major and CSV round trip
    assert list(t["source"][:4]) == ["w1"] * 4
    back = pd.read_csv(io.StringIO(t.to_csv(index=False)))
    np.testing.assert_array_equal(back["count"], t["count"])


def test_unassigned_can_be_left_out_of_the_counts_not_the_totals():
    t = count_table(["x", None, "x", "y"], unassigned=False, group_name="cne_cluster")
    assert list(t.columns[:2]) == ["cne_cluster", "source"]
    assert list(t["source"].unique()) == [ALL]  # one source: no totals twice
    np.testing.assert_array_equal(t["count"], [2, 1])
    np.testing.assert_allclose(t["fraction"], [0.5, 0.25])


def test_integer_clusters_and_bad_input():
    t = count_table(np.array([0, 1, 1, 2]), ["s", "s", "t", "t"])
    w = wide_counts(t)
    assert list(w.index) == ["0", "1", "2"]
    np.testing.assert_array_equal(w["t"], [0, 1, 1])
    with pytest.raises(ValueError, match="got 2 sources for 4 objects"):
        count_table([0, 1, 1, 2], ["s", "t"])
    with pytest.raises(ValueError, match="no objects"):
        count_table([])
    with pytest.raises(ValueError, match="every object needs a source"):
        count_table([0, 1], ["s", None])
    with pytest.raises(ValueError, match="named 'unassigned'"):
        count_table(["unassigned", None])
    with pytest.raises(ValueError, match="value must be"):
        wide_counts(t, "share")
