"""What makes a group different: effect size, AUROC, ranking, histograms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from napari_cne.analysis.describe import (
    COLUMNS,
    describe,
    describe_features,
    distribution,
)


def _table(n=200, seed=0):
    rng = np.random.default_rng(seed)
    group = np.zeros(n, bool)
    group[:40] = True
    df = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),  # an id: never a feature
            "strong": rng.normal(size=n) + 3.0 * group,  # clearly higher inside
            "weak": rng.normal(size=n) - 0.5 * group,  # a little lower inside
            "noise": rng.normal(size=n),
            "constant": np.full(n, 7.0),
            "name": ["a"] * n,  # text: never a feature
            "cne_0": rng.normal(size=n),  # our coordinates
            "cne_trust": rng.uniform(size=n) + group,  # our result, not a feature
            "centroid_y": rng.normal(size=n) + 5 * group,  # a position
        }
    )
    return df, group


def test_feature_rule_leaves_out_ids_text_positions_and_our_columns():
    df, _ = _table()
    assert describe_features(df) == ["strong", "weak", "noise", "constant"]
    assert describe_features(df, exclude=["weak"]) == ["strong", "noise", "constant"]


def test_ranking_values_and_columns():
    df, g = _table()
    out = describe(df, g)
    assert tuple(out.columns) == COLUMNS
    assert out["feature"].tolist()[:2] == ["strong", "weak"]
    assert out["feature"].iloc[-1] == "constant"
    strong = out.set_index("feature").loc["strong"]
    x, y = df["strong"][g], df["strong"][~g]
    assert strong["auroc"] == pytest.approx(roc_auc_score(g, df["strong"]))
    # Hedges' g by hand: pooled SD with n - 1 weights, small-sample factor
    sp = np.sqrt(((len(x) - 1) * x.var() + (len(y) - 1) * y.var()) / (len(df) - 2))
    g_ref = (x.mean() - y.mean()) / sp * (1 - 3 / (4 * len(df) - 9))
    assert strong["effect"] == pytest.approx(g_ref)
    assert strong["effect"] > 2
    assert strong["mean_in"] == pytest.approx(x.mean())
    assert strong["mean_out"] == pytest.approx(y.mean())
    assert (strong["n_in"], strong["n_out"]) == (40, 160)
    weak = out.set_index("feature").loc["weak"]
    assert weak["auroc"] < 0.5 and weak["effect"] < 0  # lower inside
    const = out.set_index("feature").loc["constant"]
    assert const["auroc"] == 0.5 and const["effect"] == 0


def test_ties_in_auroc_are_broken_by_effect():
    # both separate the groups completely (AUROC 1); the wider gap first
    g = np.array([True] * 5 + [False] * 5)
    df = pd.DataFrame(
        {
            "near": [2, 2.1, 2.2, 2.3, 2.4, 0, 0.1, 0.2, 0.3, 1.9],
            "far": [10, 10.1, 10.2, 10.3, 10.4, 0, 0.1, 0.2, 0.3, 0.4],
        }
    )
    out = describe(df, g)
    assert out["auroc"].tolist() == [1.0, 1.0]
    assert out["feature"].tolist() == ["far", "near"]


def test_against_another_group_and_missing_values():
    df, g = _table()
    other = np.zeros(len(df), bool)
    other[100:140] = True
    df.loc[0, "strong"] = np.nan
    out = describe(df, g, other).set_index("feature")
    assert out.loc["strong", "n_in"] == 39 and out.loc["strong", "n_out"] == 40
    ref = roc_auc_score(
        np.r_[np.ones(39), np.zeros(40)],
        np.r_[df["strong"][1:40], df["strong"][100:140]],
    )
    assert out.loc["strong", "auroc"] == pytest.approx(ref)


def test_constant_groups_do_not_crash():
    g = np.array([True, True, False, False, False])
    df = pd.DataFrame(
        {"apart": [1.0, 1, 0, 0, 0], "empty_in": [np.nan] * 2 + [1.0] * 3}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = describe(df, g).set_index("feature")
    assert out.loc["apart", "auroc"] == 1.0 and out.loc["apart", "effect"] == np.inf
    assert np.isnan(out.loc["empty_in", "auroc"]) and out.loc["empty_in", "n_in"] == 0
    assert out.index[-1] == "empty_in"  # undefined ranks last


def test_bad_groups_are_one_line_errors():
    df, g = _table()
    cases = [
        ((np.zeros(len(df), bool),), "group is empty"),
        ((np.ones(len(df), bool),), "every object"),
        ((g[:10],), "boolean mask over the 200 rows"),
        ((g.astype(int),), "boolean mask"),
        ((g, np.zeros(len(df), bool)), "compare with is empty"),
        ((g, np.ones(len(df), bool)), "share 40 objects"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match) as err:
            describe(df, *args)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="no column 'nope'"):
        describe(df, g, columns=["nope"])
    with pytest.raises(ValueError, match="no numeric feature"):
        describe(df[["label", "name"]], g)


def test_distribution_shares_bins():
    df, g = _table()
    d = distribution(df, "strong", g, bins=12)
    assert d.edges.shape == (13,) and d.counts_in.shape == (12,)
    assert d.counts_in.sum() == 40 and d.counts_out.sum() == 160
    assert d.fraction_in.sum() == pytest.approx(1)
    assert d.edges[0] == df["strong"].min() and d.edges[-1] == df["strong"].max()
    # the group sits higher: its mean bin is to the right
    centres = (d.edges[1:] + d.edges[:-1]) / 2
    assert centres @ d.fraction_in > centres @ d.fraction_out + 2
    c = distribution(df, "constant", g)  # constant: one range around the value
    assert c.counts_in.sum() == 40
    with pytest.raises(ValueError, match="not numeric"):
        distribution(df, "name", g)
    with pytest.raises(ValueError, match="no column"):
        distribution(df, "nope", g)
