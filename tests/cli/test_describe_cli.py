"""``napari-cne describe`` on real CSV files: the table, its CSV, one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.analysis.describe import COLUMNS
from napari_cne.app.describe import describe_group
from napari_cne.cli import main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def cells(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    cls = np.array(["mitotic"] * 20 + ["interphase"] * 70 + ["apoptotic"] * 30)
    df = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),
            "area": rng.normal(100, 10, n) - 30 * (cls == "apoptotic"),
            "DNA_mean": rng.normal(60, 5, n) + 30 * (cls == "mitotic"),
            "texture": rng.normal(size=n),
            # numeric groups: interphase 0, mitotic 1, apoptotic 2
            "cne_cluster": (cls == "mitotic") + 2 * (cls == "apoptotic"),
            "class": cls,
        }
    )
    path = tmp_path / "cells.csv"
    df.to_csv(path, index=False)
    return path, df


def test_prints_and_writes_the_workflow_table(capsys, cells, tmp_path):
    path, df = cells
    out_csv = tmp_path / "markers.csv"
    rc, out, err = run(
        capsys,
        "describe",
        path,
        "--by",
        "class",
        "--group",
        "mitotic",
        "--out",
        out_csv,
    )
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "class = mitotic (20 rows) against the rest (100 rows)"
    assert tuple(lines[1].split()) == COLUMNS
    assert lines[2].split()[:2] == ["1", "DNA_mean"]
    written = pd.read_csv(out_csv)
    ref = describe_group(pd.read_csv(path), "mitotic", by="class")
    pd.testing.assert_frame_equal(written, ref, check_exact=False)
    assert "label" not in set(written["feature"])
    # the printed numbers are the written ones, rounded
    top = written.iloc[0]
    assert f"{top['auroc']:.3f}" in lines[2] and f"{top['effect']:+.2f}" in lines[2]


def test_against_top_and_numeric_group(capsys, cells):
    path, _ = cells
    rc, out, _ = run(
        capsys, "describe", path, "--by", "class", "--group", "apoptotic",
        "--against", "interphase", "--top", "1",
    )  # fmt: skip
    assert rc == 0
    lines = out.splitlines()
    assert "against class = interphase (70 rows)" in lines[0]
    assert len(lines) == 3 and lines[2].split()[1] == "area"
    rc, out, _ = run(capsys, "describe", path, "--by", "cne_cluster", "--group", "1")
    assert rc == 0 and out.splitlines()[2].split()[1] == "DNA_mean"
    assert "cne_cluster" not in out.split("\n", 1)[1]  # our column: no feature


def test_every_value_in_turn(capsys, cells, tmp_path):
    path, _ = cells
    out_csv = tmp_path / "all.csv"
    rc, out, _ = run(
        capsys, "describe", path, "--by", "class", "--top", "2", "--out", out_csv
    )
    assert rc == 0
    heads = [line for line in out.splitlines() if line.startswith("class = ")]
    assert [h.split()[2] for h in heads] == ["apoptotic", "interphase", "mitotic"]
    written = pd.read_csv(out_csv)
    assert (
        written["group"].tolist()
        == ["apoptotic"] * 2 + ["interphase"] * 2 + ["mitotic"] * 2
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "klass", "--group", "mitotic"], "no column 'klass' in the table"),
        (
            ["--by", "class", "--group", "mitosis"],
            "no object has class = 'mitosis' (its values: apoptotic, interphase, "
            "mitotic)",
        ),
        (["--by", "class", "--against", "mitotic"], "--against needs --group"),
        (["--by", "class", "--group", "mitotic", "--against", "mitotic"], "share 20"),
        (["--by", "class", "--group", "mitotic", "--out", "x.txt"], "write a .csv"),
        (["--by", "class", "--top", "0"], "--top"),
    ],
)
def test_bad_input_is_one_line(capsys, cells, args, message):
    path, _ = cells
    rc, out, err = run(capsys, "describe", path, *args)
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("napari-cne: error: ")
    assert message in err


def test_missing_table(capsys, tmp_path):
    rc, _, err = run(capsys, "describe", tmp_path / "none.csv", "--by", "class")
    assert rc == 2 and "not found" in err
