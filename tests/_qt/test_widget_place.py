"""Fit once, place new fields in the same map; save the model for the CLI.

GUI tests under Xvfb with a real napari viewer (pytest-qt): the bundled
nuclei cut into a top and a bottom field (as in ``test_widget_scale.py``),
the map fitted on the top one, the bottom one placed into it without
refitting (``widget.place``, the "Place layer in map" button), linked to
its Labels layer, and the fitted model saved for ``napari-cne transform``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba

from napari_cne._qt import panels
from napari_cne._qt.panels.results import POSITION
from napari_cne.app.targets import DIMMED, SELECTED, unwrap
from napari_cne.features import object_features
from napari_cne.render.colors import UNIFORM_COLOR, color_range
from napari_cne.render.position_colors import position_bounds, position_colors
from tests._qt.conftest import BOTTOM, TOP
from tests._qt.test_widget import FAST, run_and_wait
from tests._qt.test_widget_scale import _click, _three_channels
from tests.conftest import dock, jobs_finish

PLACED = f"{BOTTOM} placed"


def _objects(labels) -> np.ndarray:
    return np.unique(labels[labels > 0])


def _fit_top(qtbot, viewer, images=("DNA top",), **params):
    widget = dock(viewer, **{**FAST, **params})
    widget.set_input(labels=TOP, images=list(images))
    run_and_wait(qtbot, widget, timeout=60_000)
    assert widget.last_error is None, widget.last_error
    return widget


def _place(qtbot, widget, labels=BOTTOM, **kwargs):
    with jobs_finish(qtbot, widget, 1, timeout=60_000):
        worker = widget.place(labels, **kwargs)
        assert worker is not None, widget.last_error
    assert widget.last_error is None, widget.last_error
    return widget.place_panel.layers[-1]


def _raw(layer) -> np.ndarray:
    return layer.features[["cne_0", "cne_1"]].to_numpy(float)


def test_the_bottom_half_is_placed_in_the_map_of_the_top_half(
    qtbot, two_fields, halves
):
    viewer = two_fields
    _, _, dna_b, lab_b, _ = halves
    widget = _fit_top(qtbot, viewer)
    main = widget.points_layer
    # the readout (and each object's trust, cne_trust) arrives from a worker
    qtbot.waitUntil(lambda: "cne_trust" in main.features.columns, timeout=30_000)
    data0, feats0 = np.array(main.data), main.features.copy()
    panel = widget.place_panel
    assert panel.place_btn.isEnabled() and panel.save_btn.isEnabled()
    assert panel.labels_combo.currentText() == BOTTOM  # the fit's layer is not offered

    placed = _place(qtbot, widget)
    f = placed.features
    # one point per object of the bottom half, with its id and coordinates
    assert len(placed.data) == len(_objects(lab_b))
    assert sorted(f["label"]) == _objects(lab_b).tolist()
    assert np.isfinite(placed.data).all() and np.isfinite(_raw(placed)).all()
    # measured in the bottom's own DNA image, under the fit's column names
    meta = placed.metadata["napari_cne"]
    assert meta["kind"] == "placed" and meta["map"] == TOP
    assert meta["channels"] == {"DNA top": "DNA bottom"}
    # auto: optimize, as napari-cne transform (the engine's one rule)
    assert meta["method"] == "optimize" and meta["n_objects"] == len(f)
    assert "DNA top_mean" in f.columns
    # the same places as the model gives for those objects
    model, scaling = widget.model, widget.session.fit.matrix.scaling
    table = object_features(lab_b, {"DNA top": dna_b})
    Y = model.transform(scaling.transform(table), method="optimize")
    np.testing.assert_allclose(_raw(placed), Y, atol=1e-5)
    # beside the image, as the embedding layer: within its span (optimize may
    # place a point a little beyond the fitted ones), same convention
    lo, hi = data0.min(axis=0), data0.max(axis=0)
    pad = 0.1 * (hi - lo)
    inside = ((placed.data >= lo - pad) & (placed.data <= hi + pad)).all(axis=1)
    assert inside.mean() > 0.95
    scale = np.ptp(data0, axis=0) / np.ptp(_raw(main), axis=0)
    np.testing.assert_allclose(scale[0], scale[1], rtol=1e-6)
    np.testing.assert_allclose(
        placed.data - placed.data.mean(0),
        (_raw(placed) - _raw(placed).mean(0)) * scale[0],
        atol=1e-6,
    )
    # the map itself is untouched; the bottom labels get the coordinates
    np.testing.assert_array_equal(main.data, data0)
    pd.testing.assert_frame_equal(main.features, feats0)
    assert viewer.layers[BOTTOM].features["cne_0"].notna().all()
    assert widget.points_layer is main and widget.session.fit.input.name == TOP

    # coloured like the embedding layer: position colours on the fit's range
    widget.results_panel.color_combo.setCurrentText(POSITION)
    expected = position_colors(_raw(placed), position_bounds(_raw(main)))
    np.testing.assert_allclose(placed.face_color, expected, atol=1e-6)
    # numbers on the embedding layer's colour scale (not the placed ones' own)
    widget.results_panel.color_combo.setCurrentText("area")
    lo, hi = color_range(main.features["area"])
    t = np.clip((f["area"].to_numpy(float) - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(placed.face_color, colormaps["viridis"](t), atol=1e-6)
    widget.results_panel.color_combo.setCurrentText("(uniform colour)")
    np.testing.assert_allclose(
        placed.face_color, np.tile(to_rgba(UNIFORM_COLOR), (len(f), 1)), atol=1e-6
    )


def test_the_button_places_and_links_objects_and_points(qtbot, two_fields, halves):
    viewer = two_fields
    _, _, _, lab_b, h = halves
    widget = _fit_top(qtbot, viewer)
    # a third field further down: its image is not the bottom one's
    viewer.add_image(halves[2], name="DNA third", translate=(2 * h, 0))
    viewer.add_labels(lab_b, name="nuclei third", translate=(2 * h, 0))
    panel = widget.place_panel
    combo = panel.labels_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [BOTTOM, "nuclei third"]
    panel.labels_combo.setCurrentText(BOTTOM)
    panel.method_combo.setCurrentText("optimize")
    with jobs_finish(qtbot, widget, 1, timeout=60_000) as done:
        panel.place_btn.click()
        assert not panel.place_btn.isEnabled()  # busy
    assert done == ["place"] and widget.last_error is None, widget.last_error
    placed = viewer.layers[PLACED]
    meta = placed.metadata["napari_cne"]
    assert meta["method"] == "optimize"
    assert meta["channels"] == {"DNA top": "DNA bottom"}
    assert np.isfinite(placed.data).all()
    f = placed.features

    # clicking a nucleus of the bottom field selects its placed point
    row = 7
    label = int(f.loc[row, "label"])
    ys, xs = np.nonzero(lab_b == label)
    bottom = viewer.layers[BOTTOM]
    viewer.layers.selection.active = bottom
    _click(bottom, ys[len(ys) // 2] + h, xs[len(xs) // 2])
    assert set(placed.selected_data) == {row}
    overlay = viewer.layers[f"{BOTTOM} selection"]
    assert np.array_equal(overlay.data == SELECTED, lab_b == label)
    # selecting placed points lights their nuclei up (the others dimmed)
    rows = [2, 30, 41]
    placed.selected_data = set(rows)
    ids = f.loc[rows, "label"].to_numpy()
    assert np.array_equal(overlay.data == SELECTED, np.isin(lab_b, ids))
    assert np.array_equal(overlay.data == DIMMED, (lab_b > 0) & ~np.isin(lab_b, ids))
    assert np.allclose(overlay.translate, bottom.translate)
    # the map's own selection is not touched
    assert not set(widget.points_layer.selected_data)
    assert unwrap(panel.linker_of(placed).target.layer) is unwrap(bottom)

    # placed again: a new layer, the same overlay, the link moves to it
    again = _place(qtbot, widget)
    assert again is not placed and again.name == f"{PLACED} [1]"
    assert viewer.layers[f"{BOTTOM} selection"] is overlay
    again.selected_data = {0}
    assert np.array_equal(overlay.data == SELECTED, lab_b == f.loc[0, "label"])
    # a deleted placed layer is unlinked
    viewer.layers.remove(again)
    assert panel.linker_of(again) is None


def test_a_parametric_map_places_with_its_network(qtbot, two_fields, halves):
    viewer = two_fields
    _, _, dna_b, lab_b, _ = halves
    widget = _fit_top(qtbot, viewer, parametric=True)
    placed = _place(qtbot, widget)
    assert placed.metadata["napari_cne"]["method"] == "network"
    table = object_features(lab_b, {"DNA top": dna_b})
    X = widget.session.fit.matrix.scaling.transform(table)
    Y = widget.model.transform(X, method="network")
    np.testing.assert_allclose(_raw(placed), Y, atol=1e-4)
    assert len(placed.data) == len(_objects(lab_b))


def test_a_missing_channel_and_other_mistakes_are_clear_errors(
    qtbot, two_fields, halves
):
    viewer = two_fields
    dna_t, _, dna_b, lab_b, h = halves
    viewer.add_image(dna_t.max() - dna_t, name="inverse top")
    widget = dock(viewer, **FAST)
    assert widget.place(BOTTOM) is None and "fit a map first" in widget.last_error
    assert not widget.place_panel.place_btn.isEnabled()
    widget = _fit_top(qtbot, viewer, images=("DNA top", "inverse top"))
    # the bottom field has a DNA image only: the message names what is missing
    for images in (None, ["DNA bottom"]):
        assert widget.place(BOTTOM, images=images) is None
        err = widget.last_error
        assert "'nuclei bottom'" in err and "'inverse top'" in err, err
        assert "'inverse top_mean'" in err and "'inverse top_std'" in err, err
    assert PLACED not in viewer.layers
    assert widget.place(TOP) is None and "part of the fit" in widget.last_error
    assert widget.place(BOTTOM, images=["DNA bottom", "DNA top", "DNA top"]) is None
    assert "3 images" in widget.last_error and "2 channel(s)" in widget.last_error
    both = ["DNA bottom", "DNA bottom"]
    assert widget.place(BOTTOM, images=both, method="network") is None
    assert "parametric" in widget.last_error
    assert widget.place(BOTTOM, images=both, method="umap") is None
    assert "method must be one of" in widget.last_error
    assert widget.place("no such layer") is None and "not in the viewer" in (
        widget.last_error
    )
    # errors found in the worker are shown too: a 2-channel image measured as
    # the fit's one-channel 'inverse top' gives other columns; no objects
    viewer.add_image(np.stack([dna_b, dna_b]), name="two bottom", translate=(h, 0))
    with jobs_finish(qtbot, widget, 1):
        assert widget.place(BOTTOM, images=["DNA bottom", "two bottom"]) is not None
    assert "lacks the column(s) 'inverse top_mean'" in widget.last_error
    viewer.add_labels(np.zeros_like(lab_b), name="empty", translate=(h, 0))
    assert widget.place("empty", images=["DNA bottom"] * 2) is None
    assert "'empty': labels contain no objects" in widget.last_error
    assert not [lay for lay in viewer.layers if "placed" in lay.name]
    # stopped before it started: nothing is placed, nothing breaks
    images = ["DNA bottom", "DNA bottom"]
    with jobs_finish(qtbot, widget, 1):
        assert widget.place(BOTTOM, images=images) is not None
        widget.stop()
    assert PLACED not in viewer.layers
    assert "stopped" in widget.session.status.lower()


def test_the_saved_model_places_a_table_with_napari_cne_transform(
    qtbot, two_fields, tmp_path, capsys, monkeypatch
):
    from napari_cne.__main__ import main
    from napari_cne.app.models import load_map

    widget = _fit_top(qtbot, two_fields)
    placed = _place(qtbot, widget)
    # the button asks for a file
    path = tmp_path / "map.pt"
    monkeypatch.setattr(panels.place, "ask_path", lambda *a, **k: str(path))
    widget.place_panel.save_btn.click()
    assert widget.last_error is None, widget.last_error
    assert path.is_file() and (tmp_path / "map.pt.json").is_file()
    saved = load_map(path)
    scaling = widget.session.fit.matrix.scaling
    assert saved.kind == "table" and saved.info["input"] == TOP
    assert saved.model.saved_extra_["columns"] == list(scaling.columns)
    assert saved.scaling.to_dict() == scaling.to_dict()
    assert saved.channels == ["DNA top"]
    assert widget.save_model(tmp_path / "again.pt") == tmp_path / "again.pt"

    # the placed layer's table (the fit's columns) through the command line
    table = tmp_path / "bottom.csv"
    placed.features.to_csv(table, index=False)
    out = tmp_path / "bottom_cne.csv"
    rc = main(["transform", str(path), str(table), "-o", str(out)])
    stdout, err = capsys.readouterr()
    assert rc == 0, err
    res = pd.read_csv(out)
    # auto: optimize in both, the same places
    assert f"{len(placed.data)} of {len(placed.data)} placed (optimize)" in stdout
    np.testing.assert_allclose(
        res[["cne2_0", "cne2_1"]].to_numpy(), _raw(placed), atol=1e-4
    )


def test_save_model_needs_a_fit(qtbot, two_fields, tmp_path):
    widget = dock(two_fields, **FAST)
    assert not widget.place_panel.save_btn.isEnabled()
    assert widget.save_model(tmp_path / "m.pt") is None
    assert "fit a map first" in widget.last_error
    assert not (tmp_path / "m.pt").exists()


def test_a_pixel_map_saved_from_the_widget_places_an_image(
    qtbot, make_napari_viewer, tmp_path, capsys
):
    from napari_cne.__main__ import main
    from napari_cne.app.models import load_map

    img = _three_channels()
    viewer = make_napari_viewer()
    viewer.add_image(img, name="cells")
    viewer.add_labels((img[0] > 0.5).astype(np.int32), name="blobs")
    widget = dock(viewer, **FAST)
    widget.set_input(image="cells", channel_axis=0, max_pixels=300, every_pixel=True)
    run_and_wait(qtbot, widget, timeout=60_000)
    assert widget.last_error is None, widget.last_error
    # not a map of Labels layers: nothing to place into
    assert not widget.place_panel.place_btn.isEnabled()
    assert widget.place("blobs") is None and "Labels layers" in widget.last_error
    path = widget.save_model(tmp_path / "px.pt")
    saved = load_map(path)
    assert saved.kind == "pixels" and saved.info["channel_axis"] == 0
    np.save(tmp_path / "img.npy", img)
    out = tmp_path / "px.npy"
    rc = main(
        [
            "transform",
            str(path),
            str(tmp_path / "img.npy"),
            "-o",
            str(out),
            "--method",
            "interpolate",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    # every pixel where the widget placed it
    coords = widget.pixel_view.coords
    np.testing.assert_allclose(np.load(out), coords, atol=1e-5)
