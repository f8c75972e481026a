"""The describe workflow: groups by mask or by a column's value, each value in turn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.analysis.describe import describe
from napari_cne.app.describe import (
    describe_each,
    describe_group,
    distribution_of,
    group_mask,
)


def _table(n=90, seed=0):
    rng = np.random.default_rng(seed)
    kind = np.repeat(["a", "b", "c"], n // 3)
    return pd.DataFrame(
        {
            "kind": kind,
            "cluster": np.repeat([0, 1, 2], n // 3),  # numeric groups
            "flag": np.repeat([True, False, False], n // 3),
            "x": rng.normal(size=n) + 4 * (kind == "b"),
            "y": rng.normal(size=n) + 4 * (kind == "a"),
            "z": rng.normal(size=n),
        }
    )


def test_value_and_mask_give_the_same_table():
    df = _table()
    by_value = describe_group(df, "b", by="kind")
    by_mask = describe_group(df, (df["kind"] == "b").to_numpy())
    assert by_value["feature"].iloc[0] == "x"
    # the mask version also compares the numeric columns cluster and flag;
    # the value version leaves its own column out, the rest agrees
    a = by_value.set_index("feature")
    b = by_mask.set_index("feature").loc[a.index]
    pd.testing.assert_frame_equal(a, b)
    assert by_value.attrs == {
        "by": "kind",
        "group": "b",
        "against": "rest",
        "n_group": 30,
        "n_against": 60,
    }
    assert by_mask.attrs["group"] == "selection"


def test_against_and_top():
    df = _table().drop(columns=["cluster", "flag"])
    out = describe_group(df, "a", "b", by="kind", top=2)
    assert len(out) == 2 and out.attrs["against"] == "b"
    ref = describe(
        df,
        (df["kind"] == "a").to_numpy(),
        (df["kind"] == "b").to_numpy(),
        exclude=["kind"],
    )
    pd.testing.assert_frame_equal(out, ref.head(2))
    assert set(out["feature"]) == {"x", "y"}  # both differ between a and b


def test_values_given_as_text_match_numbers_and_booleans():
    df = _table()
    assert group_mask(df, "cluster", "1").sum() == 30
    assert group_mask(df, "cluster", 1).sum() == 30
    assert group_mask(df, "flag", "true").sum() == 30
    assert group_mask(df, "kind", "c").sum() == 30
    # the numeric group column is never one of the features
    out = describe_group(df, "1", by="cluster")
    assert "cluster" not in set(out["feature"]) and out["feature"].iloc[0] == "x"


def test_each_value_in_turn():
    df = _table().drop(columns=["cluster", "flag"])
    out = describe_each(df, "kind", top=1)
    assert out.columns[0] == "group"
    assert out["group"].tolist() == ["a", "b", "c"]
    assert out["feature"].tolist()[:2] == ["y", "x"]


def test_bad_specs_are_one_line_errors():
    df = _table()
    for call, match in [
        (
            lambda: describe_group(df, "d", by="kind"),
            r"no object has kind = 'd'.*a, b, c",
        ),
        (lambda: describe_group(df, "a", by="nope"), "no column 'nope'"),
        (lambda: describe_group(df, "a"), "needs the column"),
        (lambda: describe_group(df, "a", by="kind", top=0), "positive integer"),
        (lambda: describe_group(df, "a", "a", by="kind"), "share 30 objects"),
        (lambda: describe_each(df.assign(one=1), "one"), "at least two groups"),
        (lambda: describe_each(df.assign(v=np.arange(90)), "v"), "more than 50"),
        (lambda: group_mask(df, "cluster", "x"), "no object has cluster = 'x'"),
    ]:
        with pytest.raises(ValueError, match=match) as err:
            call()
        assert "\n" not in str(err.value)


def test_distribution_of_a_class():
    df = _table()
    d = distribution_of(df, "x", "b", by="kind", bins=10)
    assert d.counts_in.sum() == 30 and d.counts_out.sum() == 60
    d2 = distribution_of(df, "x", "b", "a", by="kind", bins=10)
    assert d2.counts_out.sum() == 30
