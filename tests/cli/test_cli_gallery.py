"""``napari-cne gallery`` on real files: a cluster's cells from their own fields."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from imageio.v3 import imread

from tests.cli.test_cli import assert_one_line_error
from tests.cli.test_cli_scale import FAST, run, write_fields

PATTERNS = ["--labels", "*_labels.tif", "--channel", "DNA=*_dna.tif"]


@pytest.fixture(scope="module")
def plate(tmp_path_factory):
    """Two fields embedded with k-means clusters (as embed-images writes them)."""
    from napari_cne.__main__ import main

    d = tmp_path_factory.mktemp("gallery")
    write_fields(d / "fields", n=2)
    out = d / "cells.csv"
    argv = ["embed-images", d / "fields", *PATTERNS, "-o", out, "--clusters"]
    assert main([str(a) for a in [*argv, "kmeans:2", *FAST, "-q"]]) == 0
    return d, pd.read_csv(out)


def test_a_clusters_gallery_from_both_fields(capsys, plate, tmp_path):
    d, table = plate
    png = tmp_path / "g.png"
    rc, stdout, err = run(
        capsys,
        "gallery",
        d / "cells.csv",
        d / "fields",
        *PATTERNS,
        "--by",
        "cne_cluster",
        "--group",
        "1",
        "-n",
        "12",
        "-o",
        png,
    )
    assert rc == 0, err
    assert "gallery   12 of" in stdout
    image = imread(png)
    assert image.ndim == 3 and image.shape[2] == 3 and image.shape[0] > 96
    tiles = pd.read_csv(png.with_suffix(".csv"))
    assert len(tiles) == 12 and set(tiles["kind"]) == {"central", "random"}
    # every tile is an object of cluster 1, named by its field and label
    members = set(
        map(tuple, table.loc[table["cne_cluster"] == 1, ["source", "label"]].values)
    )
    shown = set(map(tuple, tiles[["source", "label"]].values))
    assert shown <= members and len(shown) == 12
    # the same command, the same tiles (a seeded sample)
    again = tmp_path / "h.png"
    run(capsys, "gallery", d / "cells.csv", d / "fields", *PATTERNS, "--by",
        "cne_cluster", "--group", "1", "-n", "12", "-o", again)  # fmt: skip
    np.testing.assert_array_equal(imread(again), image)


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--by", "nothing", "--group", "1"], "--by: there is no column 'nothing'"),
        (["--by", "cne_cluster", "--group", "9"], "--group '9': no row has it"),
    ],
)
def test_bad_groups_are_one_line(capsys, plate, tmp_path, extra, fragment):
    d, _ = plate
    rc, out, err = run(
        capsys, "gallery", d / "cells.csv", d / "fields", *PATTERNS, *extra,
        "-o", tmp_path / "g.png",
    )  # fmt: skip
    assert_one_line_error(rc, out, err, fragment)
