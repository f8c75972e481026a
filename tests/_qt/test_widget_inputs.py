"""The widget's other inputs: 3-D and time-lapse labels, image pixels, table files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne._qt.panels.results import OTHER_FRAME_ALPHA
from napari_cne.app.targets import SELECTED
from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock as dock_widget
from tests.conftest import make_objects


def dock(viewer):
    return dock_widget(viewer, **FAST)


@pytest.fixture
def movie():
    """Three frames of the disc sample, objects 1..64, 1..60 and 1..64."""
    labels, image = make_objects()
    lab = np.stack([labels, np.where(labels > 60, 0, labels), labels])
    img = np.stack([image, image + 1, image + 2])
    return lab, img


def test_3d_labels_give_one_point_per_object(qtbot, make_napari_viewer):
    labels, image = make_objects(n_side=6)
    lab3 = np.stack([labels] * 4)  # 36 columns of 4 slices each
    viewer = make_napari_viewer()
    viewer.add_image(np.stack([image] * 4), name="vol", scale=(2.0, 1.0, 1.0))
    viewer.add_labels(lab3, name="cells3d", scale=(2.0, 1.0, 1.0))
    widget = dock(viewer)
    widget.set_input(labels="cells3d", time_axis=None)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    f = widget.points_layer.features
    assert len(f) == 36 and "frame" not in f.columns
    # anisotropic voxels: volume = 4 slices x 2 units x area
    area2d = np.bincount(labels.ravel())[1:]
    np.testing.assert_allclose(np.sort(f["volume"]), np.sort(8.0 * area2d))


def test_time_lapse_objects_per_frame_with_emphasis(qtbot, make_napari_viewer, movie):
    lab, img = movie
    viewer = make_napari_viewer()
    viewer.add_image(img, name="movie")
    src = viewer.add_labels(lab, name="tracks")
    widget = dock(viewer)
    widget.set_input(labels="tracks", time_axis=0)
    assert widget.input_panel.labels.stack_combo.currentIndex() == 1
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    pts = widget.points_layer
    f = pts.features
    assert len(f) == 64 + 60 + 64
    assert np.bincount(f["frame"]).tolist() == [64, 60, 64]

    # selecting object 5 of frame 1 lights up object 5 in frame 1 only
    row = int(np.flatnonzero((f["frame"] == 1) & (f["label"] == 5))[0])
    pts.selected_data = {row}
    ov = widget.selection.linker.overlay.data
    assert np.array_equal(ov[1] == SELECTED, lab[1] == 5)
    assert not (ov[0] == SELECTED).any() and not (ov[2] == SELECTED).any()

    # the points of the frame on screen are emphasised
    viewer.dims.set_current_step(0, 2)
    alpha = np.asarray(pts.face_color)[:, 3]
    now = f["frame"].to_numpy() == 2
    assert np.allclose(alpha[now], 1.0)
    assert np.allclose(alpha[~now], OTHER_FRAME_ALPHA)

    # a click on an object in frame 2 selects that (frame, label) point
    src.selected_label = 7
    want = int(np.flatnonzero((f["frame"] == 2) & (f["label"] == 7))[0])
    assert set(pts.selected_data) == {want}
    # coordinates land in the source features, per (frame, label)
    sf = src.features
    assert len(sf) == len(f) and {"frame", "cne_0"} <= set(sf.columns)


def test_pixels_mode_round_trip(qtbot, make_napari_viewer):
    labels, image = make_objects(n_side=4)  # 80 x 80
    rgb3 = np.stack([image, image[::-1], image[:, ::-1]])  # channels first
    viewer = make_napari_viewer()
    viewer.add_image(rgb3, name="cells", channel_axis=None)
    viewer.add_labels(labels, name="fg")
    widget = dock(viewer)
    widget.set_input(image="cells", channel_axis=0, mask="fg", max_pixels=400)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    pts = widget.points_layer
    f = pts.features
    assert len(f) == 400
    assert {"pixel", "y", "x", "cells_ch0", "cells_ch2"} <= set(f.columns)
    # every row is a foreground pixel, and maps back to it
    assert (labels.ravel()[f["pixel"]] > 0).all()

    pts.selected_data = {0, 1, 2}
    ov = widget.selection.linker.overlay
    assert ov.data.shape == labels.shape
    chosen = f["pixel"].to_numpy()[[0, 1, 2]]
    assert np.array_equal(np.flatnonzero(ov.data.ravel() == SELECTED), np.sort(chosen))

    # painting the overlay selects the painted pixels' points
    pix = f["pixel"].to_numpy()[10:20]
    data = ov.data.copy()
    data[:] = 0
    data.ravel()[pix] = SELECTED
    ov.data = data
    ov.events.paint(value=[])
    assert set(pts.selected_data) == set(range(10, 20))


def test_table_file_linked_to_labels(tmp_path, qtbot, make_napari_viewer, objects):
    labels, image = objects
    rng = np.random.default_rng(1)
    ids = np.arange(1, 65)
    df = pd.DataFrame(
        {
            "label": ids,
            "a": rng.normal(size=64) + (ids % 2) * 5,
            "b": rng.normal(size=64),
            "note": ["x"] * 64,
        }
    )
    df.loc[3, "a"] = np.nan  # one row left out, visibly
    path = tmp_path / "objects.csv"
    df.to_csv(path, index=False)
    viewer = make_napari_viewer()
    lab = viewer.add_labels(labels, name="objects")
    widget = dock(viewer)
    widget.set_input(table_file=path, columns=["a", "b"], link_labels="objects")
    worker = widget.run()
    seen = []
    worker.yielded.connect(lambda msg: seen.append(widget.run_panel.status.text()))
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    assert widget.last_error is None
    assert any("1 rows with missing values left out" in t for t in seen)
    pts = widget.points_layer
    assert len(pts.data) == 63 and pts.name == "objects.csv embedding"
    lab.selected_label = 10
    row = int(np.flatnonzero(pts.features["label"].to_numpy() == 10)[0])
    assert set(pts.selected_data) == {row}
    assert np.array_equal(lab.data, labels)  # the user's layer is untouched

    # a bad file is a clear error, not a crash
    bad = tmp_path / "bad.xyz"
    bad.write_text("nope")
    with pytest.raises(ValueError, match="bad.xyz"):
        widget.set_input(table_file=bad)


def test_log_columns_are_transformed_before_standardising(
    qtbot, make_napari_viewer, objects
):
    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    viewer.add_labels(labels, name="objects")
    widget = dock(viewer)
    widget.set_params(log_columns="*_integrated, area")
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    ctx = widget.session.fit.matrix
    col = ctx.used.index("area")
    area = ctx.table["area"].to_numpy()[ctx.kept]
    z = (np.log1p(area) - np.log1p(area).mean()) / np.log1p(area).std()
    np.testing.assert_allclose(ctx.X[:, col], z, rtol=1e-5, atol=1e-5)
    assert widget.get_params()["log_columns"] == "*_integrated, area"
    # a pattern that matches nothing is an error, not silently ignored
    widget.set_params(log_columns="aera")
    worker = widget.run()
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    assert "aera" in widget.last_error


def test_huge_label_ids_link_through_renumbering(qtbot, make_napari_viewer, objects):
    labels, image = objects
    big = np.where(labels > 0, labels.astype(np.int64) * 10**9 + 7, 0)
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    lab = viewer.add_labels(big, name="hashed")
    widget = dock(viewer)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    pts = widget.points_layer
    ids = pts.features["label"].to_numpy()
    assert ids.min() > 10**9  # the original ids, not the internal ones
    pts.selected_data = {3}
    ov = widget.selection.linker.overlay.data
    assert np.array_equal(ov == SELECTED, big == ids[3])
    lab.selected_label = int(ids[10])
    assert set(pts.selected_data) == {10}


def test_one_multichannel_image_gives_features_per_channel(
    qtbot, make_napari_viewer, objects
):
    labels, image = objects
    stack = np.stack([image, 2 * image, image[::-1]])  # (3, y, x)
    viewer = make_napari_viewer()
    viewer.add_image(stack, name="stain")  # one layer, channels first
    viewer.add_image(np.dstack([image] * 3).astype(np.uint8), name="photo", rgb=True)
    viewer.add_labels(labels, name="objects")
    widget = dock(viewer)
    assert widget.input_panel.labels.checked_images() == ["stain", "photo"]
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    f = widget.points_layer.features
    for col in ("stain_ch0_mean", "stain_ch1_mean", "stain_ch2_mean", "photo_R_mean"):
        assert col in f.columns
    np.testing.assert_allclose(f["stain_ch1_mean"], 2 * f["stain_ch0_mean"], rtol=1e-6)


def test_one_channel_pixels_warn_and_the_foreground_mask_keeps_the_objects(
    qtbot, make_napari_viewer
):
    from napari_cne.features.pixels import foreground_mask

    labels, image = make_objects(n_side=4)
    viewer = make_napari_viewer()
    viewer.add_image(image, name="dna")
    widget = dock_widget(viewer, **FAST)
    widget.set_input(image="dna", channel_axis=None, max_pixels=300)
    run_and_wait(qtbot, widget)
    assert "one channel" in widget.run_panel.status.text()  # the note stays said
    widget.set_input(image="dna", channel_axis=None, mask="foreground")
    assert widget.input_panel.pixels.mask_combo.currentText().startswith("(foreground")
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    assert "one channel" not in widget.run_panel.status.text()
    pixels = widget.points_layer.features["pixel"].to_numpy()
    fg = foreground_mask(image, channel_axis=None)
    assert fg.ravel()[pixels].all()  # every fitted pixel is in the foreground
    assert (labels.ravel()[pixels] > 0).mean() > 0.95
