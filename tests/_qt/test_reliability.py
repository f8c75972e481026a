"""The bad-input matrix (docs/reliability.md): every case gives a clear message
or a correct result, napari keeps running, and the user's data stay untouched.

Each row of the matrix is tested at the engine/API level
(``ContrastiveEmbedding``, ``features.object_features``,
``features.feature_matrix``) where it applies, and through the real dock
widget in napari (pytest-qt under Xvfb). Rows that existing tests already
cover are only referenced in docs/reliability.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.features import object_features

from .._data import grid_discs, make_movie, make_stack
from .._memory import fake_low_memory
from ..conftest import dock, make_objects

N_OBJ = 64
FAST = {"n_epochs": 20, "n_neighbors": 8, "update_interval": 0.0}
LONG = {"n_epochs": 100_000, "update_interval": 0.05}
NON_ASCII = "Zellkerne μm ✓ 核"


# ------------------------------------------------------------------ helpers
def snapshot(viewer):
    """Copies of the data (and features) of every layer now in the viewer."""
    empty = pd.DataFrame()
    return {
        lay.name: (
            np.array(lay.data, copy=True),
            getattr(lay, "features", empty).copy(),
        )
        for lay in viewer.layers
    }


def assert_untouched(viewer, before, names=None):
    """The data and pre-existing feature values of the user's layers are unchanged."""
    for name in names or before:
        data, feats = before[name]
        layer = viewer.layers[name]
        assert layer.data.dtype == data.dtype, name
        np.testing.assert_array_equal(np.asarray(layer.data), data, err_msg=name)
        if len(feats.columns):
            pd.testing.assert_frame_equal(
                layer.features[feats.columns].reset_index(drop=True),
                feats.reset_index(drop=True),
                obj=name,
            )


def run_and_wait(qtbot, widget, timeout=30_000):
    """Run; return the finished worker, or None when run() refused the input."""
    worker = widget.run()
    if worker is None:
        return None
    with qtbot.waitSignal(worker.finished, timeout=timeout):
        pass  # the worker starts on the next event-loop turn
    qtbot.waitUntil(lambda: not widget.is_running, timeout=timeout)
    return worker


def assert_still_works(qtbot, viewer, widget):
    """napari and the widget still work: a valid run on fresh data succeeds."""
    labels, image = make_objects(seed=1)
    viewer.add_image(image, name="recovery image")
    viewer.add_labels(labels, name="recovery objects")
    widget.set_input(labels="recovery objects", images=["recovery image"])
    widget.set_params(**FAST)
    widget.last_error = None
    worker = run_and_wait(qtbot, widget)
    assert worker is not None, widget.last_error
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts.name == "recovery objects embedding"
    assert pts.data.shape == (N_OBJ, 2) and np.isfinite(pts.data).all()
    assert "cne_0" in viewer.layers["recovery objects"].features.columns


@pytest.fixture
def nv(cells_viewer):
    """A viewer with "cells" (image) and "objects" (labels) and the dock widget."""
    return cells_viewer, dock(cells_viewer, **FAST)


@pytest.fixture
def bare(make_napari_viewer):
    """An empty viewer with the dock widget."""
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    return viewer, widget


# ============================================================ NaN / inf values
def test_widget_nan_pixels_leave_out_their_objects(qtbot, make_napari_viewer, objects):
    labels, image = objects
    image = image.copy()
    image[labels == 5] = np.nan
    image[labels == 9] = np.inf
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    viewer.add_labels(labels, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    before = snapshot(viewer)
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert widget.last_error is None
    status = widget.run_panel.status.text()
    pts = widget.points_layer
    ids = pts.features["label"].to_numpy()
    assert len(pts.data) == N_OBJ - 2 and not np.isin([5, 9], ids).any()
    assert np.isfinite(pts.data).all()
    # the source table: every object's row holds its own coordinates, the
    # left-out objects have none (no row, or NaN)
    feats = viewer.layers["objects"].features.set_index("index")
    placed = feats["cne_0"].notna()
    assert sorted(set(range(1, N_OBJ + 1)) - set(feats.index[placed])) == [5, 9]
    Y = pts.features.set_index("label")[["cne_0", "cne_1"]]
    np.testing.assert_allclose(feats.loc[Y.index, ["cne_0", "cne_1"]], Y)
    # selecting a point lights up its own object (rows are not shifted)
    row = int(np.flatnonzero(ids == 10)[0])
    pts.selected_data = {row}
    np.testing.assert_array_equal(widget.selection.selected, [10])
    assert_untouched(viewer, before)
    # the final status still says that objects were left out
    assert "62 objects" in status and "2 rows" in status and "left out" in status


def test_widget_all_nan_image_gives_a_clear_message(qtbot, make_napari_viewer, objects):
    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(np.full(image.shape, np.nan, np.float32), name="empty channel")
    viewer.add_labels(labels, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    before = snapshot(viewer)
    run_and_wait(qtbot, widget)
    msg = widget.last_error
    assert msg is not None and "0 of 64" in msg
    assert "empty channel" in msg  # which image to uncheck
    assert widget.points_layer is None
    assert_untouched(viewer, before)
    assert_still_works(qtbot, viewer, widget)


def test_widget_nan_rows_in_a_table_link_the_right_points(qtbot, bare):
    viewer, widget = bare
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(rng.normal(size=(n, 3)), columns=list("abc"))
    df.loc[[4, 20], "a"] = np.nan
    df.loc[33, "b"] = np.inf
    src = viewer.add_points(rng.uniform(0, 100, (n, 2)), features=df, name="cells")
    before = snapshot(viewer)
    widget.set_input(table_layer="cells", columns=["a", "b", "c"])
    assert run_and_wait(qtbot, widget) is not None
    assert widget.last_error is None
    status = widget.run_panel.status.text()
    pts = widget.points_layer
    assert len(pts.data) == n - 3 and np.isfinite(pts.data).all()
    out = src.features
    assert sorted(np.flatnonzero(out["cne_0"].isna())) == [4, 20, 33]
    # embedding row 4 is source row 5 (row 4 was left out)
    pts.selected_data = {4}
    assert set(src.selected_data) == {5}
    src.selected_data = {34}
    assert set(pts.selected_data) == {31}
    assert_untouched(viewer, before)
    # the final status still says that rows were left out
    assert "57 objects" in status and "3 rows" in status and "left out" in status


# ========================================================== constant columns
def test_widget_constant_image_is_dropped(qtbot, make_napari_viewer, objects):
    labels, _ = objects
    viewer = make_napari_viewer()
    viewer.add_image(np.full(labels.shape, 7.0), name="flat")
    viewer.add_labels(labels, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    before = snapshot(viewer)
    assert run_and_wait(qtbot, widget) is not None
    assert widget.last_error is None
    meta = widget.points_layer.metadata["napari_cne"]
    assert meta["input_layers"] == ["objects", "flat"]
    # constant columns are left out; flat_integrated (7 x area) varies
    assert [c for c in meta["columns"] if c.startswith("flat_")] == ["flat_integrated"]
    assert "area" in meta["columns"]
    assert len(widget.points_layer.data) == N_OBJ
    assert_untouched(viewer, before)


def test_widget_all_constant_table_columns(qtbot, bare):
    viewer, widget = bare
    feats = pd.DataFrame({"a": np.ones(30), "b": np.full(30, 2.0), "c": np.arange(30)})
    viewer.add_points(np.zeros((30, 2)), features=feats, name="table")
    before = snapshot(viewer)
    widget.set_input(table_layer="table", columns=["a", "b"])
    run_and_wait(qtbot, widget)
    assert "constant" in widget.last_error
    assert widget.points_layer is None
    assert_untouched(viewer, before)
    widget.set_input(table_layer="table", columns=["a", "c"])  # one varies
    widget.last_error = None
    assert run_and_wait(qtbot, widget) is not None
    assert widget.last_error is None and len(widget.points_layer.data) == 30
    assert widget.points_layer.metadata["napari_cne"]["columns"] == ["c"]


# ================================================================ one object
def test_widget_one_or_two_objects(qtbot, bare):
    viewer, widget = bare
    for n in (1, 2):
        lab, image = grid_discs(n)
        viewer.add_image(image, name=f"cells {n}")
        viewer.add_labels(lab, name=f"objects {n}")
    before = snapshot(viewer)
    for n in (1, 2):
        widget.set_input(labels=f"objects {n}")
        widget.last_error = None
        run_and_wait(qtbot, widget)
        msg = widget.last_error
        assert msg is not None and "at least 3" in msg
        assert "missing" not in msg  # nothing is missing: too few objects
        assert widget.points_layer is None and widget.model is None
    assert_untouched(viewer, before)
    assert_still_works(qtbot, viewer, widget)


# ============================================ fewer objects than neighbours
def test_widget_fewer_objects_than_neighbours(qtbot, bare):
    viewer, widget = bare
    for n in (3, 5):
        lab, image = grid_discs(n)
        viewer.add_image(image, name=f"cells {n}")
        viewer.add_labels(lab, name=f"objects {n}")
    before = snapshot(viewer)
    widget.set_params(n_epochs=20, n_neighbors=10)
    for n in (3, 5):
        widget.set_input(labels=f"objects {n}")
        assert run_and_wait(qtbot, widget) is not None, widget.last_error
        assert widget.last_error is None
        pts = widget.points_layer
        assert pts.name == f"objects {n} embedding"
        assert pts.data.shape == (n, 2) and np.isfinite(pts.data).all()
        assert pts.features["label"].tolist() == list(range(1, n + 1))
        assert widget.model.n_neighbors_ == n - 1
    assert_untouched(viewer, before)


# ============================================================== empty labels
def test_widget_empty_labels_then_a_valid_run(qtbot, bare):
    # message and status: test_widget.py::test_bad_input_shows_error_and_napari_survives
    viewer, widget = bare
    viewer.add_labels(np.zeros((3, 40, 40), np.uint16), name="empty stack")
    before = snapshot(viewer)
    assert widget.run() is None
    assert "no objects" in widget.last_error
    assert_untouched(viewer, before)
    assert_still_works(qtbot, viewer, widget)


# ================================================ labels vs image shape
def test_widget_image_of_another_shape(qtbot, nv, objects):
    viewer, widget = nv
    labels, image = objects
    viewer.add_image(image[:100], name="cropped")
    with pytest.raises(ValueError, match="does not match the shape"):
        widget.set_input(labels="objects", images=["cropped"])
    # the chosen image changes shape after it was chosen
    widget.set_input(labels="objects", images=["cells"])
    viewer.layers["cells"].data = image[:, :120].copy()
    before = snapshot(viewer)
    assert widget.run() is None
    msg = widget.last_error
    assert "cells" in msg and "shape" in msg and "(160, 120)" in msg
    assert widget.points_layer is None
    assert_untouched(viewer, before)
    assert_still_works(qtbot, viewer, widget)


# ==================================================== 3-D and time-lapse
def test_widget_3d_labels_one_point_per_object(qtbot, make_napari_viewer):
    """Depends on the widget change (3-D labels in the dock widget)."""
    lab, image = make_stack()
    viewer = make_napari_viewer()
    viewer.add_image(image, name="stack image", scale=(2.0, 1.0, 1.0))
    viewer.add_labels(lab, name="stack", scale=(2.0, 1.0, 1.0))
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(n_epochs=20, n_neighbors=6, update_interval=0.0)
    before = snapshot(viewer)
    widget.set_input(labels="stack")
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts.data.shape[0] == 16 and np.isfinite(pts.data).all()
    assert pts.features["label"].tolist() == list(range(1, 17))
    assert "frame" not in pts.features.columns
    # volumes in world units: the z scale of 2 doubles them
    expected = object_features(lab, None, spacing=(2.0, 1.0, 1.0))["volume"]
    np.testing.assert_allclose(pts.features["volume"], expected)
    assert_untouched(viewer, before)


def test_widget_time_lapse_one_point_per_frame_and_label(qtbot, make_napari_viewer):
    """Depends on the widget change (time-lapse labels in the dock widget)."""
    movie, image = make_movie()
    viewer = make_napari_viewer()
    viewer.add_image(image, name="movie image")
    viewer.add_labels(movie, name="movie")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(n_epochs=20, n_neighbors=8, update_interval=0.0)
    before = snapshot(viewer)
    widget.set_input(labels="movie", time_axis=0)
    assert "time" in widget.input_panel.labels.stack_combo.currentText().lower()
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert widget.last_error is None
    pts = widget.points_layer
    expected = object_features(movie, {"movie image": image}, time_axis=0)
    assert pts.data.shape[0] == len(expected) == 24
    assert "frame" in pts.features.columns
    got = list(zip(pts.features["frame"], pts.features["label"]))
    assert got == list(zip(expected["frame"], expected["label"]))
    assert_untouched(viewer, before)
    # the same layer read as a z-stack gives one point per label id
    widget.set_input(labels="movie", time_axis=None)
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert len(widget.points_layer.data) == 9
    assert "frame" not in widget.points_layer.features.columns


# ==================================================== integer, bool, float64
IMAGE_DTYPES = [np.uint8, np.uint16, np.int32, np.int64, np.float32, np.float64, bool]


def test_widget_integer_bool_float64_layers(qtbot, make_napari_viewer, objects):
    from napari_cne.app.targets import SELECTED

    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(image.astype(np.float64), name="f64")
    viewer.add_image(np.clip(image, 0, 65535).astype(np.uint16), name="u16")
    viewer.add_image(image > 50, name="mask")
    viewer.add_labels(labels.astype(np.uint32) * 1000, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    before = snapshot(viewer)
    widget.set_input(labels="objects")
    assert set(widget.input_panel.labels.checked_images()) == {"f64", "u16", "mask"}
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts.data.shape == (N_OBJ, 2) and np.isfinite(pts.data).all()
    ids = pts.features["label"].to_numpy()
    assert ids.tolist() == [1000 * i for i in range(1, N_OBJ + 1)]
    ref = object_features(labels, {"mask": image > 50})
    np.testing.assert_allclose(pts.features["mask_mean"], ref["mask_mean"])
    # selection links by the sparse ids
    pts.selected_data = {3}
    np.testing.assert_array_equal(widget.selection.selected, [4000])
    overlay = widget.selection.linker.overlay
    assert np.array_equal(overlay.data == SELECTED, labels == 4)
    assert_untouched(viewer, before)

    # a features table with integer and boolean columns
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "count": rng.integers(0, 50, 40),
            "flag": rng.random(40) > 0.5,
            "big": rng.integers(0, 2**40, 40, dtype=np.int64),
        }
    )
    viewer.add_points(rng.uniform(0, 99, (40, 2)), features=table, name="table")
    widget.set_input(table_layer="table", columns=["count", "flag", "big"])
    assert run_and_wait(qtbot, widget) is not None
    assert widget.last_error is None and len(widget.points_layer.data) == 40
    pd.testing.assert_frame_equal(viewer.layers["table"].features[table.columns], table)


# =============================================== 1 000 000 rows and memory
def test_widget_memory_check_gives_a_message(qtbot, nv, monkeypatch):
    viewer, widget = nv
    before = snapshot(viewer)
    fake_low_memory(monkeypatch, 1024)
    run_and_wait(qtbot, widget)
    assert widget.last_error is not None, "no memory check before the fit"
    assert "memory" in widget.last_error.lower()
    assert widget.points_layer is None and not widget.is_running
    assert_untouched(viewer, before)
    monkeypatch.undo()
    assert_still_works(qtbot, viewer, widget)


# ============================================================ stop mid-epoch
def test_widget_stop_mid_run_keeps_consistent_results(qtbot, nv):
    # promptness: test_widget.py::test_stop_aborts_promptly, ::test_stop_at_any_moment
    viewer, widget = nv
    before = snapshot(viewer)
    widget.set_params(**LONG)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    qtbot.wait(150)
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        widget.stop()
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert widget.last_error is None and "Stopped" in widget.run_panel.status.text()
    model = widget.model
    assert model.stopped_early_
    pts = widget.points_layer
    # what is shown is the model's final (partial) layout, in both tables
    np.testing.assert_allclose(pts.features[["cne_0", "cne_1"]], model.embedding_)
    feats = viewer.layers["objects"].features
    np.testing.assert_allclose(feats[["cne_0", "cne_1"]], model.embedding_)
    assert pts.metadata["napari_cne"]["params"]["n_epochs"] == LONG["n_epochs"]
    assert_untouched(viewer, before)


# ================================================ closing the viewer mid-run
@pytest.mark.parametrize("when", ["before the worker starts", "while measuring"])
def test_widget_close_viewer_early(qtbot, nv, when):
    # after the first live update:
    # test_widget.py::test_closing_viewer_mid_run_stops_worker
    viewer, widget = nv
    labels = viewer.layers["objects"].data
    copy = labels.copy()
    widget.set_params(**LONG)
    worker = widget.run()
    if when == "while measuring":
        qtbot.waitUntil(lambda: worker.is_running, timeout=10_000)
    request = widget.session.running
    viewer.close()
    assert request.stopped
    qtbot.wait(50)  # let the scheduled start and the worker run out
    qtbot.waitUntil(lambda: not worker.is_running, timeout=10_000)
    np.testing.assert_array_equal(labels, copy)


# ====================================== deleting input or embedding layer
def test_widget_delete_input_before_the_layout_exists(qtbot, nv):
    # later deletions: test_widget.py::test_deleting_source_layers_mid_run and
    # ::test_deleting_embedding_layer_mid_run_stops
    viewer, widget = nv
    layer = viewer.layers["objects"]
    copy = layer.data.copy()
    worker = widget.run()
    viewer.layers.remove("objects")
    viewer.layers.remove("cells")
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not widget.is_running, timeout=10_000)
    # the run used the data captured at Run: a correct layout, nothing written
    # into the deleted layer, no error
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts is not None and pts.data.shape == (N_OBJ, 2)
    assert "cne_0" not in layer.features.columns
    np.testing.assert_array_equal(layer.data, copy)


def test_widget_delete_embedding_then_continue(qtbot, nv):
    viewer, widget = nv
    before = snapshot(viewer)
    assert run_and_wait(qtbot, widget) is not None
    viewer.layers.remove(widget.points_layer)
    # the slider / Continue after the layer is gone: recreated, no traceback
    worker = widget.continue_run(10)
    assert worker is not None
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert widget.last_error is None
    assert widget.points_layer in viewer.layers
    assert len(widget.points_layer.data) == N_OBJ
    assert_untouched(viewer, before)


# ===================================================== running twice at once
def test_widget_run_clicked_twice(qtbot, nv):
    # a Run during a run, with another input: test_widget.py::
    # test_rerun_while_running_and_with_other_input
    viewer, widget = nv
    before = snapshot(viewer)
    finished = []
    widget.run_finished.connect(finished.append)
    first = widget.run()
    second = widget.run()  # a double click: before the first worker started
    assert first is not None and second is not None and first is not second
    with qtbot.waitSignals([first.finished, second.finished], timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert widget.last_error is None
    names = [lay.name for lay in viewer.layers]
    assert names.count("objects embedding") == 1
    assert widget.points_layer.data.shape == (N_OBJ, 2)
    assert widget.model.n_epochs_ == FAST["n_epochs"]  # the second run, complete
    assert_untouched(viewer, before)


# ================================= switching the input layer while running
def test_widget_switch_input_while_running(qtbot, nv, objects):
    viewer, widget = nv
    labels, _ = objects
    viewer.add_labels(labels[:80], name="half")
    rng = np.random.default_rng(0)
    viewer.add_points(
        rng.uniform(0, 99, (30, 2)),
        features=pd.DataFrame(rng.normal(size=(30, 3)), columns=list("abc")),
        name="table",
    )
    before = snapshot(viewer)
    widget.set_params(**LONG)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    widget.set_input(labels="half", images=[])  # switched, not re-run
    widget.set_input(table_layer="table")
    assert widget.is_running
    qtbot.wait(100)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        widget.stop()
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    # the running job finished on the input it started with
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts.name == "objects embedding" and len(pts.data) == N_OBJ
    assert pts.metadata["napari_cne"]["input_layers"] == ["objects", "cells"]
    assert "cne_0" in viewer.layers["objects"].features.columns
    assert "cne_0" not in viewer.layers["half"].features.columns
    assert "cne_0" not in viewer.layers["table"].features.columns
    # the slider keeps working on the fitted objects, not the new choice
    widget.set_params(**FAST)
    worker = widget.reoptimize(0.5, n_epochs=10)
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert widget.points_layer is pts and len(pts.data) == N_OBJ
    np.testing.assert_allclose(
        pts.features[["cne_0", "cne_1"]], widget.model.embedding_
    )
    assert_untouched(viewer, before)
    # and a new Run takes the new choice
    assert run_and_wait(qtbot, widget) is not None
    assert widget.points_layer.name == "table embedding"
    assert len(widget.points_layer.data) == 30


# ======================================================= non-ASCII names
def test_widget_non_ascii_names_run_features_and_csv(
    qtbot, make_napari_viewer, tmp_path
):
    labels, image = make_objects()
    viewer = make_napari_viewer()
    viewer.add_image(image, name="DNA ✓ 核")
    viewer.add_labels(labels, name=NON_ASCII)
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST)
    before = snapshot(viewer)
    widget.set_input(labels=NON_ASCII)
    assert run_and_wait(qtbot, widget) is not None, widget.last_error
    assert widget.last_error is None
    pts = widget.points_layer
    assert pts.name == f"{NON_ASCII} embedding"
    assert pts.metadata["napari_cne"]["input_layers"] == [NON_ASCII, "DNA ✓ 核"]
    assert "DNA ✓ 核_mean" in pts.features.columns
    assert (
        NON_ASCII in widget.run_panel.status.text()
        or "Done" in widget.run_panel.status.text()
    )
    src = viewer.layers[NON_ASCII]
    assert {"cne_0", "DNA ✓ 核_mean"} <= set(src.features.columns)
    widget.results_panel.color_combo.setCurrentText("DNA ✓ 核_mean")
    assert len({tuple(c) for c in pts.face_color}) > 2
    panel = widget.selection
    panel.add_class("Mitose ✓ 核")
    pts.selected_data = {0, 1, 2}
    assert panel.assign_selection("Mitose ✓ 核") == 3

    path = tmp_path / "Tabelle μm ✓ 核.csv"
    assert panel.save_table(str(path)) == str(path)
    raw = path.read_bytes()
    raw.decode("utf-8")  # strict: valid UTF-8
    df = pd.read_csv(path, encoding="utf-8")
    assert len(df) == N_OBJ and "DNA ✓ 核_mean" in df.columns
    assert (df["class"] == "Mitose ✓ 核").sum() == 3
    np.testing.assert_allclose(df["cne_0"], pts.features["cne_0"])
    np.testing.assert_allclose(df["DNA ✓ 核_mean"], pts.features["DNA ✓ 核_mean"])
    layer = panel.export_class("Mitose ✓ 核")
    assert layer is not None and "Mitose ✓ 核" in layer.name
    assert_untouched(viewer, before)


def test_widget_save_table_to_an_unwritable_place(qtbot, nv, tmp_path):
    viewer, widget = nv
    assert run_and_wait(qtbot, widget) is not None
    bad = tmp_path / "no such folder" / "table.csv"
    # a message, not an exception escaping into the Qt event loop
    assert widget.selection.save_table(str(bad)) is None
    assert not bad.exists()
