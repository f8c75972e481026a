"""The widget's clusters (cne_cluster) in the real napari-clusters-plotter."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from napari_cne.features.interop import CLUSTER_COLUMN
from napari_cne.render.colors import CATEGORY_COLORS
from tests.interop.conftest import open_plotter

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:biaplotter"),
    pytest.mark.filterwarnings("ignore:color_dict did not provide:UserWarning"),
]


def test_the_widgets_clusters_are_offered_and_coloured_there_as_here(qtbot, both):
    viewer, widget, lab = both
    pts = widget.points_layer
    worker = widget.cluster("kmeans", n_clusters=3)
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: CLUSTER_COLUMN in lab.features.columns, timeout=5000)
    numbers = pts.features[CLUSTER_COLUMN]
    assert set(numbers.astype(int)) == {1, 2, 3}  # k-means: no noise
    for layer in (pts, lab):  # offered there as a cluster column
        plotter = open_plotter(qtbot, viewer, layer)
        items = [plotter.hue.itemText(i) for i in range(plotter.hue.count())]
        assert CLUSTER_COLUMN in items
        assert CLUSTER_COLUMN in set(plotter.categorical_columns)
    plotter.plotting_widget.show_color_overlay = True
    plotter.hue_axis = CLUSTER_COLUMN  # the Labels layer, coloured by it there
    qtbot.wait(10)
    by_label = dict(zip(pts.features["label"], numbers.astype(int), strict=True))
    for label in (1, 2, 3, int(lab.data.max())):
        want = to_rgba(CATEGORY_COLORS[by_label[label] - 1])
        np.testing.assert_allclose(lab.colormap.map(label), want, atol=1e-6)
    # and here, in "Colour by": the same colours
    viewer.layers.selection.clear()
    widget.results_panel.color_combo.setCurrentText(CLUSTER_COLUMN)
    ours = np.asarray(pts.face_color)
    for row, v in enumerate(numbers.astype(int)):
        np.testing.assert_allclose(ours[row], to_rgba(CATEGORY_COLORS[v - 1]))
