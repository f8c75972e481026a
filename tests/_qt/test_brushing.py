"""Linked brushing and named classes in napari (pytest-qt under Xvfb)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.app.targets import DIMMED, SELECTED
from tests._qt.test_widget import FAST, N_OBJ, run_and_wait
from tests.conftest import dock


@pytest.fixture
def embedded(qtbot, cells_viewer, objects):
    viewer = cells_viewer
    lab = viewer.layers["objects"]
    widget = dock(viewer, **FAST)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    return viewer, widget, lab, objects[0]


def label_of_rows(widget, rows):
    return widget.points_layer.features["label"].to_numpy()[list(rows)]


def test_points_selection_lights_up_exactly_those_objects(embedded):
    viewer, widget, lab, labels = embedded
    pts = widget.points_layer
    pts.selected_data = {0, 5, 17}
    chosen = label_of_rows(widget, [0, 5, 17])
    overlay = widget.selection.linker.overlay
    assert overlay is not None and overlay.name == "objects selection"
    assert overlay in viewer.layers
    # bright exactly on the chosen objects, dimmed on all other objects,
    # transparent on the background; the user's layer is untouched
    assert np.array_equal(overlay.data == SELECTED, np.isin(labels, chosen))
    others = (labels > 0) & ~np.isin(labels, chosen)
    assert np.array_equal(overlay.data == DIMMED, others)
    assert not overlay.data[labels == 0].any()
    assert np.array_equal(lab.data, labels)
    assert widget.selection.count_label.text() == "3 objects selected"
    # the overlay is not offered as an input
    assert widget.input_panel.labels.labels_combo.findText("objects selection") < 0
    # selected points get a ring (a small layer over the embedding)
    rings = widget.selection.linker.rings
    assert rings in viewer.layers and rings.name == "objects embedding selection"
    np.testing.assert_allclose(rings.data, pts.data[[0, 5, 17]])
    assert viewer.layers.selection.active is not rings
    # clearing the selection clears the overlay
    pts.selected_data = set()
    assert not overlay.data.any() and len(rings.data) == 0


def test_clicking_an_object_selects_its_point(embedded):
    viewer, widget, lab, _ = embedded
    pts = widget.points_layer
    lab.selected_label = 9
    row = int(np.flatnonzero(pts.features["label"].to_numpy() == 9)[0])
    assert set(pts.selected_data) == {row}
    np.testing.assert_array_equal(widget.selection.selected, [9])
    # painting (another mode) does not steal the selection
    lab.mode = "paint"
    lab.selected_label = 12
    assert set(pts.selected_data) == {row}


def test_click_and_shift_click_on_the_labels(embedded):
    from napari.utils._proxies import ReadOnlyWrapper
    from napari.utils.interactions import (
        mouse_press_callbacks,
        mouse_release_callbacks,
    )

    viewer, widget, lab, labels = embedded
    ys, xs = np.nonzero(labels == 10)
    ys2, xs2 = np.nonzero(labels == 20)

    def click(y, x, modifiers=()):
        for kind, fn in (
            ("mouse_press", mouse_press_callbacks),
            ("mouse_release", mouse_release_callbacks),
        ):
            event = ReadOnlyWrapper(
                type(
                    "E",
                    (),
                    {
                        "type": kind,
                        "position": (float(y), float(x)),
                        "modifiers": list(modifiers),
                        "view_direction": None,
                        "dims_displayed": [0, 1],
                        "is_dragging": False,
                    },
                )()
            )
            fn(lab, event)

    viewer.layers.selection.active = lab
    click(ys[0], xs[0])
    np.testing.assert_array_equal(widget.selection.selected, [10])
    click(ys2[0], xs2[0], ["Shift"])
    np.testing.assert_array_equal(widget.selection.selected, [10, 20])
    click(ys[0], xs[0], ["Shift"])  # toggles off
    np.testing.assert_array_equal(widget.selection.selected, [20])
    click(0, 0)  # background clears
    assert len(widget.selection.selected) == 0


def test_selection_survives_a_rerun(qtbot, embedded):
    viewer, widget, lab, labels = embedded
    widget.points_layer.selected_data = {2, 3}
    chosen = set(label_of_rows(widget, [2, 3]))
    widget.set_params(n_neighbors=8, s=0.3)
    run_and_wait(qtbot, widget)
    pts = widget.points_layer
    assert set(label_of_rows(widget, pts.selected_data)) == chosen
    overlay = widget.selection.linker.overlay
    assert np.array_equal(overlay.data == SELECTED, np.isin(labels, list(chosen)))


def test_lasso_selects_the_points_inside(embedded):
    viewer, widget, lab, labels = embedded
    pts = widget.points_layer
    panel = widget.selection
    panel.set_lasso(True)
    lasso = panel.lasso_layer
    assert lasso is not None and lasso.mode == "add_polygon_lasso"
    # a box around one point (and whatever lies near it)
    centre = pts.data[np.argmin(pts.data[:, 0])]
    half = 0.3 * np.ptp(pts.data, axis=0)
    lo, mid = centre - half, centre + half
    poly = np.array(
        [
            [lo[0], lo[1]],
            [lo[0], mid[1]],
            [mid[0], mid[1]],
            [mid[0], lo[1]],
        ]
    )
    lasso.add(poly, shape_type="polygon")
    inside = np.flatnonzero(((pts.data > lo) & (pts.data < mid)).all(axis=1))
    assert 0 < len(inside) < len(pts.data)
    assert set(pts.selected_data) == set(inside.tolist())
    panel.set_lasso(False)
    assert lasso not in viewer.layers


def test_classes_land_in_both_tables_and_export(tmp_path, qtbot, embedded):
    viewer, widget, lab, labels = embedded
    pts = widget.points_layer
    panel = widget.selection
    panel.add_class("big", "#ff0000")
    panel.add_class("small")
    big_rows = np.flatnonzero(pts.features["area"].to_numpy() > 100)
    small_rows = np.flatnonzero(pts.features["area"].to_numpy() <= 100)
    pts.selected_data = set(big_rows.tolist())
    assert panel.assign_selection("big") == len(big_rows)
    pts.selected_data = set(small_rows[:5].tolist())
    panel.assign_selection("small")

    pf = widget.points_layer.features
    assert isinstance(pf["class"].dtype, pd.CategoricalDtype)
    assert list(pf["class"].cat.categories) == ["big", "small"]
    assert (pf["class"].iloc[big_rows] == "big").all()
    assert (pf["class"].iloc[small_rows[:5]] == "small").all()
    assert pf["class"].iloc[small_rows[5:]].isna().all()
    sf = lab.features
    big_ids = set(pf["label"].iloc[big_rows])
    assert set(sf.loc[sf["class"] == "big", "index"]) == big_ids
    # points coloured by class, in the class colour
    assert widget.results_panel.color_combo.currentText() == "class"
    assert np.allclose(pts.face_color[big_rows[0]], [1, 0, 0, 1])

    layer = panel.export_class("big")
    assert set(np.unique(layer.data)) == big_ids | {0}
    assert np.array_equal(layer.data > 0, np.isin(labels, list(big_ids)))
    assert (
        widget.input_panel.labels.labels_combo.findText(layer.name) >= 0
    )  # usable as input

    path = panel.save_table(str(tmp_path / "table.csv"))
    df = pd.read_csv(path)
    import json

    prov = json.loads((tmp_path / "table.csv.json").read_text())
    assert prov["params"]["n_epochs"] == 30 and prov["inputs"][0] == "objects"
    assert len(df) == N_OBJ
    assert {"label", "class", "cne_0", "cne_1", "area"} <= set(df.columns)
    assert df.loc[df["class"] == "big", "label"].sort_values().tolist() == sorted(
        big_ids
    )

    # classes survive a re-run and deleting a class unassigns its objects
    run_and_wait(qtbot, widget)
    assert (widget.points_layer.features["class"] == "big").sum() == len(big_rows)
    panel.remove_class("big")
    assert (widget.points_layer.features["class"] == "big").sum() == 0
    assert (lab.features["class"] == "small").sum() == 5


def test_brushing_a_points_table_selects_source_points(qtbot, make_napari_viewer):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(80, 4)), columns=list("abcd"))
    viewer = make_napari_viewer()
    src = viewer.add_points(rng.uniform(0, 100, (80, 2)), features=df, name="cells")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    widget.set_input(table_layer="cells")
    run_and_wait(qtbot, widget)
    widget.points_layer.selected_data = {1, 4}
    assert set(src.selected_data) == {1, 4}
    src.selected_data = {7}
    assert set(widget.points_layer.selected_data) == {7}


def test_colour_legend_and_class_colours_on_the_sweep(qtbot, embedded):
    viewer, widget, lab, labels = embedded
    widget.results_panel.color_combo.setCurrentText("area")
    assert not widget.results_panel.color_legend.isHidden()
    area = widget.points_layer.features["area"]
    lo, hi = np.percentile(area, [1, 99])
    assert widget.results_panel.legend_lo.text() == f"{lo:.3g}"
    assert widget.results_panel.legend_hi.text() == f"{hi:.3g}"
    panel = widget.selection
    panel.add_class("big", "#ff0000")
    rows = np.flatnonzero(area.to_numpy() > 100)
    widget.points_layer.selected_data = set(rows.tolist())
    panel.assign_selection("big")
    assert widget.results_panel.color_combo.currentText() == "class"
    assert widget.results_panel.color_legend.isHidden()  # categories: no colour bar
    assert widget.quality_panel.class_combo.findText("class") >= 0  # offered at once
    worker = widget.sweep(s_values=(0.0, 1.0), n_epochs=5)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    sweep = widget.sweep_layer
    fc = np.asarray(sweep.face_color)
    n = len(widget.points_layer.data)
    for k in range(2):  # both spectrum positions: red for the class
        assert np.allclose(fc[k * n + rows], [1, 0, 0, 1])


def test_classes_and_selection_belong_to_their_source(qtbot, embedded, objects):
    viewer, widget, lab, labels = embedded
    panel = widget.selection
    panel.add_class("A")
    widget.points_layer.selected_data = {0, 1, 2}
    panel.assign_selection("A")
    old_overlay = panel.linker.overlay
    # another Labels layer with the same ids: nothing carries over to it
    other = viewer.add_labels(labels.copy(), name="other objects")
    widget.set_input(labels=other)
    run_and_wait(qtbot, widget)
    assert widget.points_layer.features["class"].isna().all()
    assert len(panel.selected) == 0
    assert old_overlay not in viewer.layers  # the stale highlight is gone
    # back to the first layer: its classes come back
    widget.set_input(labels=lab)
    run_and_wait(qtbot, widget)
    assert (widget.points_layer.features["class"] == "A").sum() == 3


def test_renaming_or_deleting_a_class_reaches_the_sources_not_shown(qtbot, embedded):
    viewer, widget, lab, labels = embedded
    panel = widget.selection
    panel.add_class("A")
    widget.points_layer.selected_data = {0, 1, 2}
    panel.assign_selection("A")
    other = viewer.add_labels(labels.copy(), name="other objects")
    widget.set_input(labels=other)
    run_and_wait(qtbot, widget)
    # renamed while the first layer's objects are not shown: they keep it
    assert panel.rename_class("A", "dividing") == "dividing"
    with pytest.raises(ValueError, match="already"):
        panel.add_class("dividing")
    widget.set_input(labels=lab)
    run_and_wait(qtbot, widget)
    assert (widget.points_layer.features["class"] == "dividing").sum() == 3
    # deleted while not shown, then a class of that name made again: empty
    widget.set_input(labels=other)
    run_and_wait(qtbot, widget)
    panel.remove_class("dividing")
    panel.add_class("dividing")
    widget.set_input(labels=lab)
    run_and_wait(qtbot, widget)
    assert len(panel.classes.keys_of("dividing")) == 0
    # the list: F2 renames the chosen class
    item = panel.class_list.item(0)
    item.setText("mitotic")
    assert panel.classes.names == ["mitotic"]
