"""Real biology: the mitotic nuclei differ first in their DNA intensity.

The mitotic class is the pH3-positive nuclei of the CellProfiler
ExampleHuman field (``../shared/data/examplehuman_nuclei.npz``: ``y``, mean
phospho-histone H3 above an Otsu threshold; 15 of 313). The bundled sample
holds the same field's DNA channel and the same segmentation, so its
nuclei take that class by label id.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from napari_cne.analysis.describe import describe
from napari_cne.data import load_human_mitosis
from napari_cne.features import object_features

from .._data import shared_path


@lru_cache
def _reference():
    with np.load(shared_path("data", "examplehuman_nuclei.npz")) as d:
        return {k: d[k] for k in d.files}


def test_bundled_sample_mitotic_class_ranks_dna_intensity_first():
    dna, labels = load_human_mitosis()
    table = object_features(labels, {"DNA": dna})
    ref = _reference()
    assert np.array_equal(ref["labels"], labels)  # the same nuclei
    assert table["label"].tolist() == ref["label_ids"].tolist()
    mitotic = ref["y"] == 1
    assert mitotic.sum() == 15
    out = describe(table, mitotic)
    dna_features = [c for c in table.columns if c.startswith("DNA_")]
    assert len(dna_features) == 6
    # every DNA intensity feature ranks above every shape feature
    assert set(out["feature"][:6]) == set(dna_features)
    top = out.iloc[0]
    assert top["feature"] == "DNA_mean" and top["auroc"] > 0.95
    assert top["mean_in"] > 1.4 * top["mean_out"]  # condensed chromatin is brighter


def test_three_channels_class_marker_first_then_dna():
    ref = _reference()
    names = [str(n) for n in ref["channel_names"]]
    table = object_features(ref["labels"], dict(zip(names, ref["image"], strict=True)))
    out = describe(table, ref["y"] == 1)
    # the class is defined by pH3_mean above a threshold: it separates exactly
    assert out.iloc[0]["feature"] == "pH3_mean"
    assert out.iloc[0]["auroc"] == 1.0
    rest = out[~out["feature"].str.startswith("pH3_")]
    assert rest.iloc[0]["feature"] == "DNA_mean"
