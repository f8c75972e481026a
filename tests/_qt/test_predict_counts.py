"""Predicted classes, least confident, counts per field and class pixels in napari."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from napari_cne._qt.panels.predict import PredictPanel
from napari_cne.app.predict import CONFIDENCE, PREDICTED
from tests._qt.conftest import BOTTOM, TOP
from tests._qt.test_widget import FAST, run_and_wait
from tests._qt.test_widget_scale import _three_channels
from tests.conftest import dock


@pytest.fixture
def fields_fit(qtbot, two_fields):
    widget = dock(two_fields, **FAST)
    widget.set_input(labels=[TOP, BOTTOM])
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    return two_fields, widget


def predict_and_wait(qtbot, widget, method="auto"):
    """``widget.selection.predict`` (a worker); return the prediction."""
    worker = widget.selection.predict(method)
    assert worker is not None, widget.last_error
    with qtbot.waitSignal(worker.finished, timeout=60000):
        pass
    qtbot.waitUntil(lambda: widget.selection.last_prediction is not None)
    return widget.selection.last_prediction


def name_bright_and_dim(widget, n=4):
    """Name the n brightest and n dimmest nuclei (by mean DNA)."""
    sel = widget.selection
    f = widget.points_layer.features
    order = np.argsort(f["DNA_mean"].to_numpy())
    keys = sel.linker.keys
    sel.add_class("dim")
    sel.add_class("bright")
    sel.select(keys[order[:n]])
    sel.assign_selection("dim")
    sel.select(keys[order[-n:]])
    sel.assign_selection("bright")
    return keys[order[:n]], keys[order[-n:]]


def test_predict_select_least_confident_and_count_per_field(
    qtbot, fields_fit, tmp_path
):
    viewer, widget = fields_fit
    sel = widget.selection
    dim, bright = name_bright_and_dim(widget)
    panel = widget.findings.predict_panel
    result = predict_and_wait(qtbot, widget, panel.method)
    assert panel.least_btn.isEnabled()
    assert result.prediction.method in ("spreading", "classifier")
    assert "held-out accuracy" in panel.accuracy_label.text()
    # the columns in the embedding layer and in each field's own table
    f = widget.points_layer.features
    assert {PREDICTED, CONFIDENCE} <= set(f.columns)
    assert list(f[PREDICTED].cat.categories) == ["dim", "bright"]
    assert f[CONFIDENCE].between(0, 1).all()
    is_bright = f[PREDICTED] == "bright"
    assert f["DNA_mean"][is_bright].mean() > f["DNA_mean"][~is_bright].mean()
    # coloured by the prediction, in the colours of the classes named
    assert widget.results_panel.color_combo.currentText() == PREDICTED
    legend = widget.results_panel.legend.category_legend.text()
    for name in ("dim", "bright"):  # its key names each class in its colour
        assert (
            f'color:{to_hex(sel.classes.colors[name])}">■</span>&nbsp;{name}' in legend
        )
    row = int(np.flatnonzero(is_bright.to_numpy())[0])
    np.testing.assert_allclose(
        widget.points_layer.face_color[row][:3],
        _rgb(sel.classes.colors["bright"]),
        atol=0.01,
    )
    for name in (TOP, BOTTOM):
        sf = viewer.layers[name].features
        assert PREDICTED in sf.columns and sf[PREDICTED].notna().all()
    top = viewer.layers[TOP].features
    mine = f[f["source"] == TOP].set_index("label")[PREDICTED].astype(str)
    np.testing.assert_array_equal(
        top.set_index("label")[PREDICTED].astype(str).loc[mine.index], mine
    )
    # the user's class column is untouched by the prediction
    assert f["class"].notna().sum() == 8
    # the next to name: the least confident, never the named ones
    keys = sel.select_least_confident(5)
    np.testing.assert_array_equal(np.sort(sel.selected), np.sort(keys))
    assert len(keys) == 5 and not set(keys) & (set(dim) | set(bright))
    conf = f[CONFIDENCE].to_numpy()
    rows = sel.linker.rows_of(keys)
    named = np.isin(sel.linker.keys, np.r_[dim, bright])
    assert conf[rows].max() <= np.sort(conf[~named])[4]

    # counts per field, of the predicted classes by default
    table = sel.counts()
    assert list(table.columns[:2]) == [PREDICTED, "source"]
    panel_c = widget.findings.counts_panel
    assert panel_c.table is table  # shown in the widget
    wide = panel_c.wide()
    assert list(wide.columns) == [TOP, BOTTOM, "all"]
    n_top = int((f["source"] == TOP).sum())
    assert wide[TOP].sum() == n_top and wide["all"].sum() == len(f)
    assert panel_c.grid.rowCount() == 2 and panel_c.grid.columnCount() == 3
    assert panel_c.grid.item(0, 0).text() == str(int(wide.iat[0, 0]))
    panel_c.value_combo.setCurrentText("fraction")
    assert panel_c.grid.item(0, 0).text().endswith("%")
    bars = [
        i for i in panel_c.plot.plotItem.items if type(i).__name__ == "BarGraphItem"
    ]
    assert len(bars) == 2
    path = panel_c.export_csv(str(tmp_path / "counts.csv"))
    back = pd.read_csv(path)
    assert list(back.columns) == [PREDICTED, "source", "count", "fraction", "n_source"]
    # counting by the user's class column (mostly unassigned)
    by_class = sel.counts("class")
    w = by_class.pivot(index="class", columns="source", values="count")
    assert w.loc["unassigned", "all"] == len(f) - 8
    # the panel asks the widget to count by the column chosen
    panel_c.by_combo.setCurrentText(PREDICTED)
    with qtbot.waitSignal(panel_c.refresh_requested) as sig:
        panel_c.count_btn.click()
    assert sig.args == [PREDICTED]
    assert panel_c.table[PREDICTED].equals(table[PREDICTED])  # counted again


def test_predict_panel_asks_with_the_method_and_number(qtbot):
    panel = PredictPanel()
    qtbot.addWidget(panel)
    assert not panel.predict_btn.isEnabled() and not panel.least_btn.isEnabled()
    panel.set_ready(True)
    panel.method_combo.setCurrentText("classifier")
    with qtbot.waitSignal(panel.predict_requested) as sig:
        panel.predict_btn.click()
    assert sig.args == ["classifier"]
    panel.set_ready(True, True)
    panel.n_spin.setValue(7)
    with qtbot.waitSignal(panel.least_confident_requested) as sig:
        panel.least_btn.click()
    assert sig.args == [7]
    panel.show_result("name objects in two classes first")
    assert panel.accuracy_label.text() == "name objects in two classes first"


def test_predicted_classes_reach_every_pixel(qtbot, make_napari_viewer):
    viewer = make_napari_viewer()
    img = _three_channels()
    viewer.add_image(img, name="cells", scale=(1, 0.5, 0.5), translate=(0, 10, 4))
    widget = dock(viewer, **FAST)
    sel = widget.selection
    with pytest.raises(ValueError, match="place every pixel first"):
        widget.pixel_view.add_class_layer([0], ["a"], ["red"])
    widget.set_input(image="cells", channel_axis=0, max_pixels=500, every_pixel=True)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    # name the 5 darkest and 5 brightest sampled pixels
    f = widget.points_layer.features
    order = np.argsort(f["cells_ch0"].to_numpy())
    keys = sel.linker.keys
    sel.add_class("dark")
    sel.add_class("bright")
    sel.select(keys[order[:5]])
    sel.assign_selection("dark")
    sel.select(keys[order[-5:]])
    sel.assign_selection("bright")
    before = [lay.name for lay in viewer.layers]
    predict_and_wait(qtbot, widget)
    # predicting a pixel fit draws the classes on every pixel: a new layer
    layer = viewer.layers["cells predicted classes"]
    assert [lay.name for lay in viewer.layers][:-1] == before
    assert layer.data.shape == (64, 64) and set(np.unique(layer.data)) == {1, 2}
    np.testing.assert_allclose(layer.scale, (0.5, 0.5))
    np.testing.assert_allclose(layer.translate, (10, 4))
    # bright pixels of the image are the "bright" class (code 1 -> value 2)
    d = img[0]
    assert d[layer.data == 2].mean() > d[layer.data == 1].mean()
    assert layer.metadata["napari_cne"]["classes"] == ["dark", "bright"]
    rgba = layer.colormap.map(np.array([2]))[0]
    np.testing.assert_allclose(rgba[:3], _rgb(sel.classes.colors["bright"]), atol=0.01)
    # clusters of a pixel fit reach every pixel too: an unsupervised classifier
    worker = widget.cluster("kmeans", n_clusters=2)
    assert worker is not None, widget.last_error
    qtbot.waitUntil(lambda: "cells clusters" in viewer.layers, timeout=30_000)
    clusters = viewer.layers["cells clusters"]
    assert clusters.data.shape == (64, 64) and set(np.unique(clusters.data)) == {1, 2}
    bright = clusters.data[layer.data == 2]  # the bright class: mostly one cluster
    assert np.bincount(bright).max() > 0.8 * bright.size


def _rgb(hex_color):
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(hex_color))
