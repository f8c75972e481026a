"""``--predict`` and ``--counts-by`` of ``embed`` and ``embed-images`` on real files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_cli import assert_one_line_error
from tests.cli.test_cli_scale import FAST, run, small_table, write_fields


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    """Two blobs in two wells; three rows of each blob named in ``class``."""
    d = tmp_path_factory.mktemp("findings")
    t = small_table()  # rows 0-149 one blob, 150-299 the other
    cls = np.full(len(t), "", object)
    cls[[0, 1, 2]] = "low"
    cls[[150, 151, 152]] = "high"
    t["class"] = cls
    t.loc[t["class"] == "", "class"] = None
    t["only"] = np.where(np.arange(len(t)) < 5, "x", None)
    t.insert(0, "well", np.where(np.arange(len(t)) % 3 == 0, "B02", "A01"))
    t.to_csv(d / "t.csv", index=False)
    return d, t


def test_predict_and_counts_from_a_table(capsys, annotated, tmp_path):
    d, t = annotated
    out = tmp_path / "emb.csv"
    rc, stdout, err = run(
        capsys,
        *["embed", d / "t.csv", "-o", out, *FAST],
        *["--predict", "class", "--counts-by", "cne_predicted"],
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    truth = np.where(np.arange(len(t)) < 150, "low", "high")
    np.testing.assert_array_equal(res["cne_predicted"], truth)
    assert res["cne_confidence"].between(0, 1).all()
    assert "class" in res.columns  # the input column is kept, not a feature
    assert "predicted 'class' from 6 examples" in stdout
    assert "held-out accuracy 100%" in stdout
    counts = pd.read_csv(tmp_path / "emb_counts.csv")
    assert list(counts.columns) == [
        "cne_predicted",
        "source",
        "count",
        "fraction",
        "n_source",
    ]
    assert set(counts["source"]) == {"all"}  # no source column: one source
    np.testing.assert_array_equal(counts["count"], [150, 150])
    assert "emb_counts.csv" in stdout


def test_counts_per_well_of_a_given_column(capsys, annotated, tmp_path):
    d, t = annotated
    t2 = t.rename(columns={"well": "source"})
    t2.to_csv(tmp_path / "t2.csv", index=False)
    out = tmp_path / "e.npy"
    rc, stdout, err = run(
        capsys,
        *["embed", tmp_path / "t2.csv", "-o", out, *FAST],
        *["--predict", "class", "--predict-method", "classifier"],
        *["--counts-by", "class"],
    )
    assert rc == 0, err
    counts = pd.read_csv(tmp_path / "e_counts.csv")
    a01 = counts[counts["source"] == "A01"].set_index("class")
    # rows 1, 2 (low) and 151, 152 (high) are in A01 (row % 3 != 0)
    assert a01.loc["low", "count"] == 2 and a01.loc["high", "count"] == 2
    assert a01.loc["unassigned", "count"] == 200 - 4
    assert np.isclose(a01["fraction"].sum(), 1.0)
    assert set(counts["source"]) == {"A01", "B02", "all"}
    assert "classifier: held-out accuracy" in stdout


def test_embed_images_counts_objects_per_field(capsys, tmp_path):
    fields = tmp_path / "fields"
    n = write_fields(fields)
    out = tmp_path / "cells.csv"
    rc, stdout, err = run(
        capsys,
        *["embed-images", fields, "--labels", "*_labels.tif"],
        *["--channel", "DNA=*_dna.tif", "-o", out, *FAST, "--counts-by", "source"],
    )
    assert rc == 0, err
    counts = pd.read_csv(tmp_path / "cells_counts.csv")
    np.testing.assert_array_equal(counts["count"], n)
    assert list(counts["source"]) == ["well0", "well1", "well2"]
    assert set(counts["total"]) == {"all"}


def test_bad_predict_and_counts_options(capsys, annotated, tmp_path):
    d, _ = annotated
    base = ["embed", d / "t.csv", "-o", tmp_path / "o.csv", *FAST]
    assert_one_line_error(
        *run(capsys, *base, "--predict", "klass"), "--predict", "no column 'klass'"
    )
    assert_one_line_error(
        *run(capsys, *base, "--predict", "only"), "at least two classes"
    )
    assert_one_line_error(
        *run(capsys, *base, "--counts-by", "a"), "--counts-by", "measurement"
    )
