"""Beside the real napari-clusters-plotter 0.11.0 (pytest-qt under Xvfb).

Each test opens its plotter (and, where needed, runs its own dimension
reduction or clustering) next to our widget in one viewer: the rough edges
of using both at once, fixed on our side. The `interop` extra installs it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from napari_clusters_plotter import (
    ClusteringWidget,
    DimensionalityReductionWidget,
)
from psygnal import EmitLoopError

from napari_cne._qt.panels.results import FOREIGN_NOTE
from napari_cne.app.targets import SELECTED
from napari_cne.features import default_columns, object_features
from napari_cne.features.interop import (
    CLUSTER_COLUMN,
    PLOTTER_CLASS_COLUMN,
    add_cluster_column,
)
from napari_cne.render.colors import CATEGORY_COLORS
from tests._qt.test_widget import FAST, run_and_wait
from tests._qt.test_widget_scale import _click as click
from tests.conftest import dock
from tests.interop.conftest import open_plotter

# its plot and its label colours warn about their own settings
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:biaplotter"),
    pytest.mark.filterwarnings("ignore:color_dict did not provide:UserWarning"),
]


def with_classes(widget, groups):
    """Name classes ``a``, ``b``, ... over the given rows; colour by them."""
    sel, pts = widget.selection, widget.points_layer
    for name, rows in groups.items():
        sel.add_class(name)
        pts.selected_data = set(rows)
        sel.assign_selection(name)
    pts.selected_data = set()
    widget.results_panel.color_combo.setCurrentText("class")


def test_its_failing_click_handler_does_not_stop_our_overlay(qtbot, both):
    viewer, widget, lab = both
    pts = widget.points_layer
    overlay_of = widget.selection.linker
    row_of = {int(v): i for i, v in enumerate(pts.features["label"])}

    def shown(label):
        """The object is selected on both sides, in the overlay too."""
        np.testing.assert_array_equal(widget.selection.selected, [label])
        assert set(pts.selected_data) == {row_of[label]}
        return np.array_equal(overlay_of.overlay.data == SELECTED, lab.data == label)

    # shown in its plotter, both layers get its selection handler
    open_plotter(qtbot, viewer, pts)
    viewer.layers.selection.active = lab
    last = int(lab.data.max())
    # picking the last object: its handler fails (IndexError, its bug) ...
    with pytest.raises(IndexError):
        lab.selected_label = last
    assert shown(last)  # ... after ours ran
    # from then on its handler of the embedding's selection fails too: our
    # clicks select (and light up) all the same
    ys, xs = np.nonzero(lab.data == 5)
    click(lab, ys[0], xs[0])
    assert shown(5)
    # a selection made on the embedding: ours runs first, then its error
    with pytest.raises(EmitLoopError):
        pts.selected_data = {row_of[9]}
    assert shown(9)


def test_our_handlers_run_first_when_it_was_open_before_the_run(qtbot, cells_viewer):
    viewer = cells_viewer
    lab = viewer.layers["objects"]
    open_plotter(qtbot, viewer, lab)  # connects its handler first
    widget = dock(viewer, **FAST)
    run_and_wait(qtbot, widget)
    viewer.layers.selection.active = lab
    last = int(lab.data.max())
    with pytest.raises(IndexError):  # its handler, after ours
        lab.selected_label = last
    overlay = widget.selection.linker.overlay
    np.testing.assert_array_equal(widget.selection.selected, [last])
    assert np.array_equal(overlay.data == SELECTED, lab.data == last)
    viewer.layers.selection.clear()


def test_opening_it_and_switching_layers_keeps_our_colours(qtbot, both):
    viewer, widget, lab = both
    pts = widget.points_layer
    with_classes(widget, {"a": [0, 1, 2], "b": [3, 4]})
    ours = np.asarray(pts.face_color).copy()
    plotter = open_plotter(qtbot, viewer, pts)
    qtbot.waitUntil(lambda: np.allclose(pts.face_color, ours), timeout=2000)
    viewer.layers.selection.active = lab  # it paints the layer it let go white
    qtbot.wait(10)
    qtbot.waitUntil(lambda: np.allclose(pts.face_color, ours), timeout=2000)
    # a colouring chosen there stays, and our legend says it is not ours
    viewer.layers.selection.active = pts
    plotter.plotting_widget.show_color_overlay = True
    plotter.hue_axis = "area"
    qtbot.wait(10)
    assert not np.allclose(pts.face_color, ours)
    legend = widget.results_panel.category_legend
    assert not legend.isHidden() and legend.text() == FOREIGN_NOTE
    # choosing "Colour by" again shows ours
    combo = widget.results_panel.color_combo
    combo.activated.emit(combo.currentIndex())
    assert np.allclose(pts.face_color, ours)
    assert legend.isHidden()  # classes: their colours are in the class list


def test_our_palette_is_its_palette_from_number_1_on():
    from nap_plot_tools.cmap import get_cat10_mod_hex_colors

    assert list(CATEGORY_COLORS) == get_cat10_mod_hex_colors()[1:11]


def test_a_class_looks_the_same_in_both(qtbot, both):
    viewer, widget, lab = both
    pts = widget.points_layer
    groups = {"a": [0, 1], "b": [2, 3], "c": [4, 5], "d": [6, 7]}
    with_classes(widget, groups)
    ours = np.asarray(pts.face_color).copy()
    plotter = open_plotter(qtbot, viewer, pts)
    plotter.plotting_widget.show_color_overlay = True
    plotter.hue_axis = PLOTTER_CLASS_COLUMN  # our classes as its numbers
    qtbot.wait(10)
    theirs = np.asarray(pts.face_color)
    for i, rows in enumerate(groups.values()):
        np.testing.assert_allclose(theirs[rows], ours[rows], atol=1e-6)
        np.testing.assert_allclose(ours[rows[0]], to_rgba(CATEGORY_COLORS[i]))


def test_its_hue_box_crashes_on_our_class_names_but_takes_their_numbers(qtbot, both):
    # documented, not fixed (its bug): every categorical it takes as numbers
    viewer, widget, lab = both
    with_classes(widget, {"a": [0, 1], "b": [2, 3]})
    plotter = open_plotter(qtbot, viewer, widget.points_layer)
    items = [plotter.hue.itemText(i) for i in range(plotter.hue.count())]
    assert {"class", PLOTTER_CLASS_COLUMN} <= set(items)
    with pytest.raises(TypeError, match="isnan"):
        plotter.plotting_widget.active_artist.color_indices = (
            widget.points_layer.features["class"].to_numpy()
        )
    assert set(plotter.categorical_columns) >= {"class", PLOTTER_CLASS_COLUMN}


def test_our_clusters_are_offered_and_coloured_there_as_here(qtbot, both):
    viewer, widget, lab = both
    pts = widget.points_layer
    labels = np.arange(len(pts.features)) % 4 - 1  # -1 (noise), 0, 1, 2
    # as the widget writes clusters: both layers, in their own row order
    pts.features = add_cluster_column(pts.features, labels)
    by_label = dict(zip(pts.features["label"], labels, strict=True))
    lab.features = add_cluster_column(
        lab.features, [by_label[v] for v in lab.features["label"]]
    )
    for layer in (pts, lab):
        plotter = open_plotter(qtbot, viewer, layer)
        items = [plotter.hue.itemText(i) for i in range(plotter.hue.count())]
        assert CLUSTER_COLUMN in items
        assert CLUSTER_COLUMN in set(plotter.categorical_columns)
    # coloured by it there (the points) ...
    plotter = open_plotter(qtbot, viewer, pts)
    plotter.plotting_widget.show_color_overlay = True
    plotter.hue_axis = CLUSTER_COLUMN
    qtbot.wait(10)
    theirs = np.asarray(pts.face_color).copy()
    # ... and here, in the same colours (noise: its background, our grey)
    viewer.layers.selection.clear()
    widget.results_panel.refresh_color_choices(pts)
    widget.results_panel.color_combo.setCurrentText(CLUSTER_COLUMN)
    ours = np.asarray(pts.face_color)
    clustered = labels >= 0
    np.testing.assert_allclose(ours[clustered], theirs[clustered], atol=1e-6)
    np.testing.assert_allclose(ours[labels == 0][0], to_rgba(CATEGORY_COLORS[0]))
    # never a feature, here or once saved and read back
    assert CLUSTER_COLUMN not in default_columns(pts.features)
    back = pd.read_csv(pd.io.common.StringIO(lab.features.to_csv(index=False)))
    assert back[CLUSTER_COLUMN].dtype.kind == "i"
    assert CLUSTER_COLUMN not in default_columns(back)


def run_their(qtbot, viewer, widget_cls, layer, algorithm, columns):
    """Run one of its algorithms on ``columns`` of ``layer``; return new columns."""
    viewer.layers.selection.active = layer
    w = widget_cls(viewer)
    w.algorithm_selection.setCurrentText(algorithm)
    items = w.feature_selection_widget
    for i in range(items.count()):
        items.item(i).setSelected(items.item(i).text() in columns)
    before = set(layer.features.columns)

    def new():
        return sorted(set(layer.features.columns) - before)

    # its Run connects to its worker after starting it: a quick result can be
    # lost (press Run again), so up to three presses
    for _ in range(3):
        w.selected_algorithm_widget()
        try:
            qtbot.waitUntil(lambda: bool(new()), timeout=5000)
            break
        except qtbot.TimeoutError:
            continue
    return new()


def test_its_results_are_neither_features_nor_classes_but_its_clusters_are_classes(
    qtbot, cells_viewer, objects
):
    viewer = cells_viewer
    labels, image = objects
    lab = viewer.layers["objects"]
    lab.features = object_features(labels, {"cells": image})
    measured = default_columns(lab.features)
    cols = ["area", "cells_mean", "eccentricity"]
    pcs = run_their(qtbot, viewer, DimensionalityReductionWidget, lab, "PCA", cols)
    kmeans = run_their(qtbot, viewer, ClusteringWidget, lab, "KMeans", cols)
    assert pcs == ["PC0", "PC1"] and kmeans == ["KMeans"]
    assert lab.features["PC0"].dtype == object  # floats, as objects
    viewer.layers.selection.clear()
    widget = dock(viewer, **FAST)
    widget.set_input(table_layer="objects")
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    used = widget.points_layer.metadata["napari_cne"]["columns"]
    assert set(used) <= set(measured) and len(used) >= 8  # none of its results
    # "accuracy of": its clusters are classes, its embeddings are not
    combo = widget.quality_panel.class_combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert "KMeans" in offered
    assert not {"PC0", "PC1", "cne_0", "cne_1", "area", "label"} & set(offered)
    # saved and read back, its clusters are plain numbers: still no feature
    back = pd.read_csv(pd.io.common.StringIO(lab.features.to_csv(index=False)))
    assert back["KMeans"].dtype.kind in "if"
    assert default_columns(back) == measured


def test_its_colouring_shows_on_our_density_picture(qtbot, cells_viewer):
    """Drawn as density, our Points layer is hidden: the plotter's hue on it
    is drawn on the picture, the legend says so, "Colour by" takes ours back."""
    viewer = cells_viewer
    widget = dock(viewer, draw="density", **FAST)
    run_and_wait(qtbot, widget)
    pts, results = widget.points_layer, widget.results_panel
    pic = results.live.density.layer
    ours = pic.data.copy()
    plotter = open_plotter(qtbot, viewer, pts)
    viewer.layers.selection.active = pts
    plotter.plotting_widget.show_color_overlay = True
    plotter.hue_axis = "area"
    qtbot.wait(10)
    theirs = np.asarray(pts.face_color)
    assert len(np.unique(theirs, axis=0)) > 1
    qtbot.waitUntil(lambda: not np.array_equal(pic.data, ours), timeout=2000)
    xy = widget.selection.linker.layout()
    ij = np.floor(
        (xy - np.asarray(pic.translate)) / np.asarray(pic.scale) + 0.5
    ).astype(int)
    _, inverse, counts = np.unique(ij, axis=0, return_inverse=True, return_counts=True)
    lone = np.flatnonzero(counts[inverse.ravel()] == 1)
    assert len(lone) > 10
    got = pic.data[ij[lone, 0], ij[lone, 1], :3].astype(int)
    np.testing.assert_allclose(got, np.round(theirs[lone, :3] * 255), atol=1)
    legend = results.category_legend
    assert not legend.isHidden() and legend.text() == FOREIGN_NOTE
    combo = results.color_combo
    combo.activated.emit(combo.currentIndex())
    np.testing.assert_array_equal(pic.data, ours)
    viewer.layers.selection.clear()  # no replotting while the layers go
