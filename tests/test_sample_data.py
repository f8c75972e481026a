from importlib.resources import files

import numpy as np
import pytest

from napari_cne.data import (
    human_mitosis_nuclei,
    human_mitosis_nuclei_table,
    load_human_mitosis,
)


def test_bundled_file_holds_only_dna_and_labels():
    path = files("napari_cne") / "data" / "human_mitosis_nuclei.npz"
    assert path.is_file()
    with path.open("rb") as fh, np.load(fh) as d:
        assert sorted(d.files) == ["dna", "labels"]
    dna, labels = load_human_mitosis()
    assert dna.shape == labels.shape == (512, 512)
    assert dna.dtype == np.uint8 and labels.dtype == np.uint16
    assert labels.max() == 313 and len(np.unique(labels)) == 314


def test_layer_data_tuples():
    (dna, dmeta, dkind), (labels, lmeta, lkind) = human_mitosis_nuclei()
    assert (dkind, lkind) == ("image", "labels")
    assert dmeta["name"] == "DNA (human mitosis)" and lmeta["name"] == "nuclei"
    (_, _, kind), (pts, meta, pkind) = human_mitosis_nuclei_table()
    assert pkind == "points" and pts.shape == (313, 2)
    assert len(meta["features"]) == 313 and "DNA_mean" in meta["features"]


@pytest.mark.parametrize(
    ("key", "names"),
    [
        ("human_mitosis_nuclei", ["DNA (human mitosis)", "nuclei"]),
        ("human_mitosis_nuclei_table", ["DNA (human mitosis)", "nuclei (table)"]),
    ],
)
def test_open_sample_in_napari(make_napari_viewer, key, names):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-cne", key)
    assert [lay.name for lay in viewer.layers] == names
