"""Fixtures of the widget tests: the bundled nuclei as two fields of view."""

from __future__ import annotations

import pytest

from napari_cne.data import load_human_mitosis

#: the two fields' label layers
TOP, BOTTOM = "nuclei top", "nuclei bottom"


@pytest.fixture(scope="module")
def halves():
    """The bundled nuclei cut into a top and a bottom field of view."""
    dna, labels = load_human_mitosis()
    h = dna.shape[0] // 2
    return dna[:h], labels[:h], dna[h:], labels[h:], h


@pytest.fixture
def two_fields(make_napari_viewer, halves):
    """A viewer with two fields (each its labels and DNA), one below the other."""
    dna_t, lab_t, dna_b, lab_b, h = halves
    viewer = make_napari_viewer()
    viewer.add_image(dna_t, name="DNA top")
    viewer.add_image(dna_b, name="DNA bottom", translate=(h, 0))
    viewer.add_labels(lab_t, name=TOP)
    viewer.add_labels(lab_b, name=BOTTOM, translate=(h, 0))
    return viewer
