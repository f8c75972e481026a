"""The bundled sample data: loaders for scripts, and napari's sample menu.

:func:`load_human_mitosis` returns the arrays; :func:`human_mitosis_nuclei`
and :func:`human_mitosis_nuclei_table` are napari's File > Open Sample >
napari-cne entries (the manifest names them). napari-free: they return
napari "LayerData" tuples built from numpy arrays only.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np

__all__ = ["human_mitosis_nuclei", "human_mitosis_nuclei_table", "load_human_mitosis"]

_FILE = "human_mitosis_nuclei.npz"
#: display range of the DNA channel: nuclei are dim (median ~60 of 255)
DNA_CONTRAST = (5, 140)


def load_human_mitosis() -> tuple[np.ndarray, np.ndarray]:
    """Return the bundled DNA image and nucleus labels.

    Returns
    -------
    dna : ndarray of uint8, shape (512, 512)
        DNA channel of scikit-image's ``human_mitosis`` (CC-0).
    labels : ndarray of uint16, shape (512, 512)
        Nucleus instance segmentation (313 nuclei).
    """
    with (files("napari_cne") / "data" / _FILE).open("rb") as fh, np.load(fh) as d:
        return d["dna"].copy(), d["labels"].copy()


def _dna_layer(dna: np.ndarray) -> tuple:
    """LayerData tuple of the DNA image, shared by both samples."""
    return (
        dna,
        {
            "name": "DNA (human mitosis)",
            "colormap": "gray",
            "contrast_limits": DNA_CONTRAST,
        },
        "image",
    )


def human_mitosis_nuclei() -> list[tuple]:
    """DNA image plus nucleus labels: the input for a per-object embedding.

    Returns
    -------
    list of LayerData tuples
        ``[(dna, {...}, "image"), (labels, {...}, "labels")]``.
    """
    dna, labels = load_human_mitosis()
    return [
        _dna_layer(dna),
        (labels, {"name": "nuclei", "opacity": 0.4}, "labels"),
    ]


def human_mitosis_nuclei_table() -> list[tuple]:
    """DNA image plus one point per nucleus carrying a feature table.

    An example of the "layer features" input of the widget: the Points layer
    sits on the nucleus centroids and its ``features`` hold the per-nucleus
    measurements from :func:`napari_cne.features.object_features`.

    Returns
    -------
    list of LayerData tuples
        ``[(dna, {...}, "image"), (centroids, {...}, "points")]``.
    """
    from skimage.measure import regionprops_table

    from ..features import object_features

    dna, labels = load_human_mitosis()
    table = object_features(labels, {"DNA": dna})
    cent = regionprops_table(labels, properties=("label", "centroid"))
    coords = np.column_stack([cent["centroid-0"], cent["centroid-1"]])
    return [
        _dna_layer(dna),
        (
            coords,
            {
                "name": "nuclei (table)",
                "features": table,
                "size": 8,
                "face_color": "DNA_mean",
                "face_colormap": "viridis",
                "border_width": 0,
            },
            "points",
        ),
    ]
