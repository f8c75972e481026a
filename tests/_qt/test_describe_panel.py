"""The describe panel and the feature layer, in real napari under Xvfb."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QFileDialog

from napari_cne._qt.feature_layer import feature_layer_of, show_feature
from napari_cne._qt.panels.describe import DescribePanel
from napari_cne.app.describe import describe_group, distribution_of
from napari_cne.features import object_features
from napari_cne.render.colors import column_colors


@pytest.fixture
def table(objects):
    labels, image = objects
    df = object_features(labels, {"DNA": image})
    df["class"] = np.where(df["label"] % 2 == 0, "small", "large")  # discs
    return df


def test_panel_shows_ranking_plot_signal_and_csv(qtbot, table, tmp_path):
    panel = DescribePanel(top=5, bins=12)
    qtbot.addWidget(panel)
    small = (table["class"] == "small").to_numpy()
    result = panel.describe(table, small)
    pd.testing.assert_frame_equal(result, describe_group(table, small))
    assert panel.table.rowCount() == 5
    shown = [panel.table.item(i, 0).text() for i in range(5)]
    assert shown == result["feature"].head(5).tolist()
    assert panel.table.item(0, 2).text() == f"{result['auroc'].iloc[0]:.3f}"
    assert "32 objects" in panel.title.text()
    # the first feature is plotted at once
    assert panel.feature == result["feature"].iloc[0]

    # clicking a row: the signal, and that feature's histograms
    with qtbot.waitSignal(panel.feature_chosen, timeout=2000) as sig:
        rect = panel.table.visualItemRect(panel.table.item(2, 0))
        qtbot.mouseClick(
            panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )
    chosen = shown[2]
    assert sig.args == [chosen]
    assert panel.feature == chosen
    assert panel.table.selectedItems()[0].row() == 2
    ref = distribution_of(table, chosen, small, bins=12)
    x, y = panel.hist_in.getData()
    np.testing.assert_allclose(x, ref.edges)
    np.testing.assert_allclose(y, ref.fraction_in)
    np.testing.assert_allclose(panel.hist_out.getData()[1], ref.fraction_out)

    # CSV: the whole ranking, through the button and its dialog
    path = tmp_path / "ranking.csv"
    orig = QFileDialog.getSaveFileName
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: (str(path), ""))
    try:
        assert panel.export_btn.isEnabled()
        panel.export_btn.click()
    finally:
        QFileDialog.getSaveFileName = orig
    written = pd.read_csv(path)
    assert len(written) == len(result) > 5
    pd.testing.assert_frame_equal(written, result, check_exact=False)


def test_panel_against_a_class_and_errors(qtbot, table):
    panel = DescribePanel()
    qtbot.addWidget(panel)
    big = (table["class"] == "large").to_numpy()
    result = panel.describe(table, big, "small", by="class", name="big discs")
    assert result.attrs["against"] == "small"
    assert panel.title.text().startswith("big discs (32 objects) against small")
    with pytest.raises(ValueError, match="group is empty"):
        panel.describe(table, np.zeros(len(table), bool))
    with pytest.raises(ValueError, match="not one of the described"):
        panel.choose("nope")
    panel.clear()
    assert panel.table.rowCount() == 0 and not panel.export_btn.isEnabled()
    assert panel.export_csv() is None


def test_feature_layer_colours_objects_and_is_replaced(make_napari_viewer, objects):
    labels, image = objects
    viewer = make_napari_viewer()
    src = viewer.add_labels(labels, name="discs", translate=(5, 7))
    before = src.colormap
    df = object_features(labels, {"DNA": image})
    ids = df["label"].to_numpy()
    layer = show_feature(viewer, src, ids, df["DNA_mean"], "DNA_mean")
    assert layer.name == "discs by DNA_mean" and len(viewer.layers) == 2
    assert src.colormap is before  # the user's layer keeps its colours
    assert not layer.data.flags.writeable and np.shares_memory(layer.data, labels)
    assert tuple(layer.translate) == (5, 7)
    rgba = column_colors(df["DNA_mean"], len(df))
    bright = int(np.argmax(df["DNA_mean"]))  # a small, bright disc: yellow end
    dim = int(np.argmin(df["DNA_mean"]))  # a large, dim one: purple end
    for i in (bright, dim):
        got = layer.colormap.map(np.array([ids[i]]))[0]
        np.testing.assert_allclose(got, rgba[i], atol=1e-6)
    assert layer.colormap.map(np.array([ids[bright]]))[0][0] > 0.8  # yellow
    assert layer.colormap.map(np.array([ids[dim]]))[0][2] > 0.3  # purple
    np.testing.assert_allclose(layer.colormap.map(np.array([0]))[0], 0)
    # another feature: the same layer, new colours and name
    again = show_feature(viewer, src, ids, df["area"], "area")
    assert again is layer and len(viewer.layers) == 2
    assert layer.name == "discs by area"
    assert feature_layer_of(viewer, src) is layer
    area = column_colors(df["area"], len(df))
    got = layer.colormap.map(np.array([ids[dim]]))[0]
    np.testing.assert_allclose(got, area[dim], atol=1e-6)
    with pytest.raises(ValueError, match="once"):
        show_feature(viewer, src, np.r_[ids, ids[:1]], np.r_[df["area"], 1.0], "x")
