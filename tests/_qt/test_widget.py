"""GUI tests of the Neighbor Embedding dock widget (pytest-qt under Xvfb)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from napari_cne._qt.controls import list_texts
from napari_cne._qt.widget import SWEEP_S, EmbeddingWidget

from ..conftest import dock, jobs_finish

N_OBJ = 64
FAST = {"n_epochs": 30, "n_neighbors": 10, "update_interval": 0.0}
#: Epochs of a fit whose live layouts a test counts: long enough for some
#: however fast the machine (30 epochs of the few hundred objects take a
#: few milliseconds, and gave 1-7 layouts)
LIVE_EPOCHS = 150


@pytest.fixture
def viewer_widget(cells_viewer):
    return cells_viewer, dock(cells_viewer, **FAST)


def run_and_wait(qtbot, widget, timeout=30_000):
    worker = widget.run()
    assert worker is not None, widget.last_error
    with qtbot.waitSignal(worker.finished, timeout=timeout):
        pass  # the worker starts on the next event-loop turn
    return worker


def test_defaults_pick_labels_and_matching_images(make_napari_viewer, objects):
    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    viewer.add_image(image[:100], name="other shape")
    viewer.add_labels(labels, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    assert isinstance(widget, EmbeddingWidget)
    assert widget.input_panel.labels.labels_combo.currentText() == "objects"
    assert widget.input_panel.labels.checked_images() == ["cells"]
    # layer events update the choices
    viewer.add_labels(labels, name="more objects")
    assert widget.input_panel.labels.labels_combo.findText("more objects") >= 0
    viewer.layers.remove("more objects")
    assert widget.input_panel.labels.labels_combo.findText("more objects") < 0


def test_run_writes_points_and_features_with_live_updates(qtbot, viewer_widget):
    viewer, widget = viewer_widget
    shown = []
    widget.layout_updated.connect(shown.append)
    widget.set_params(n_epochs=LIVE_EPOCHS)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    assert len(shown) > 1  # live updates arrived before the end
    assert shown[-1].epoch == LIVE_EPOCHS

    pts = widget.points_layer
    assert pts.name == "objects embedding"
    assert pts.data.shape == (N_OBJ, 2)
    assert pts.features["label"].tolist() == list(range(1, N_OBJ + 1))
    assert np.allclose(pts.features[["cne_0", "cne_1"]], widget.model.embedding_)
    meta = pts.metadata["napari_cne"]
    assert meta["input_layers"] == ["objects", "cells"]
    assert meta["s"] == 1.0 and meta["loss"] == "neg"
    assert meta["params"]["n_epochs"] == LIVE_EPOCHS
    assert "cells_mean" in meta["columns"]

    feats = viewer.layers["objects"].features
    assert len(feats) == N_OBJ
    assert feats["index"].tolist() == list(range(1, N_OBJ + 1))
    assert {"cne_0", "cne_1", "area", "cells_mean"} <= set(feats.columns)
    assert np.isfinite(feats[["cne_0", "cne_1"]].to_numpy()).all()

    # the layout sits right of the image, as tall as it
    top, left = pts.data.min(0)
    bottom, _ = pts.data.max(0)
    assert left > 160 and top >= -1 and bottom <= 161
    assert bottom - top > 100
    # the two populations (big/dim, small/bright) separate
    big = np.arange(N_OBJ) % 2 == 0
    Y = widget.model.embedding_
    gap = np.linalg.norm(Y[big].mean(0) - Y[~big].mean(0))
    assert gap > 2 * Y.std(0).mean() / 2


def test_stop_aborts_promptly(qtbot, viewer_widget):
    _, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    t0 = time.perf_counter()
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        widget.stop()
    assert time.perf_counter() - t0 < 3.0
    assert not widget.is_running
    assert "Stopped" in widget.run_panel.status.text()
    assert widget.model is not None  # the partial layout can be continued
    worker = widget.continue_run(5)
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        pass
    assert widget.last_error is None


def test_slider_reoptimises_from_current_layout(qtbot, viewer_widget):
    _, widget = viewer_widget
    run_and_wait(qtbot, widget)
    model = widget.model
    before = model.embedding_.copy()
    data_before = widget.points_layer.data.copy()
    widget.set_params(glide_epochs=20)
    shown = []
    widget.layout_updated.connect(shown.append)
    # several quick slider moves are debounced into one re-optimisation
    with qtbot.waitSignal(widget.run_finished, timeout=30_000) as blocker:
        for v in (0.8, 0.5, 0.0):
            widget.params_panel.spectrum.slider.setValue(v)
    assert blocker.args == ["optimize"]
    qtbot.wait(300)
    assert not widget.is_running
    assert widget.model is model  # warm start: same model, same graph
    assert model.s_ == 0.0 and model.n_epochs_ == 30 + 20
    assert {snap.n_epochs for snap in shown} == {20}
    first = shown[0].embedding
    # the first glide frame starts from the previous layout, not a re-init
    assert np.corrcoef(first.ravel(), before.ravel())[0, 1] > 0.85
    assert not np.allclose(widget.points_layer.data, data_before)
    assert widget.points_layer.metadata["napari_cne"]["s"] == 0.0


def test_new_slider_move_restarts_running_reoptimisation(qtbot, viewer_widget):
    _, widget = viewer_widget
    run_and_wait(qtbot, widget)
    epochs = widget.model.n_epochs_
    long = widget.reoptimize(0.5, n_epochs=100_000)
    qtbot.waitUntil(lambda: widget.worker is long and long.is_running, timeout=10_000)
    with jobs_finish(qtbot, widget, 2, timeout=20_000) as done:
        short = widget.reoptimize(-0.5, n_epochs=10)  # cancels the long one
    assert done == ["optimize", "optimize"]
    assert not long.is_running and not short.is_running
    assert widget.model.s_ == -0.5
    assert epochs < widget.model.n_epochs_ < epochs + 100_000


def test_sweep_layer_has_spectrum_dimension_and_exports_gif(
    qtbot, viewer_widget, tmp_path
):
    viewer, widget = viewer_widget
    run_and_wait(qtbot, widget)
    layout = widget.model.embedding_.copy()
    worker = widget.sweep((-1.0, 0.0, 1.0, 2.0), n_epochs=10)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    layer = widget.sweep_layer
    assert layer.ndim == 3
    assert layer.data.shape == (4 * N_OBJ, 3)
    assert sorted(set(layer.data[:, 0])) == [0, 1, 2, 3]
    assert layer.features["s"].unique().tolist() == [-1.0, 0.0, 1.0, 2.0]
    assert "spectrum s" in viewer.dims.axis_labels
    # world coordinate of the leading axis is s itself (evenly spaced values)
    axis = list(viewer.dims.axis_labels).index("spectrum s")
    assert viewer.dims.range[axis].start == -1.0
    assert viewer.dims.range[axis].stop == 2.0
    # the live embedding is untouched (the sweep ran on a copy)
    assert np.array_equal(widget.model.embedding_, layout)

    out = widget.export_gif(tmp_path / "sweep.gif", interpolate=1, dpi=40)
    import imageio.v3 as iio

    frames = iio.imread(out)
    assert frames.ndim == 4 and frames.shape[0] >= 4
    assert SWEEP_S[0] == -1.0


def test_bad_input_shows_error_and_napari_survives(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((50, 50), np.int32), name="empty")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    assert widget.run() is None
    assert "no objects" in widget.last_error
    assert "no objects" in widget.run_panel.status.text()
    assert widget.points_layer is None
    # no sweep yet: a message, no file, no dialog
    assert widget.export_gif("never.gif") is None
    assert "sweep first" in widget.last_error
    # non-integer "labels" data in table mode with too few rows
    pts = viewer.add_points(np.zeros((2, 2)), features={"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="no features table"):
        widget.set_input(table_layer=pts)
    assert widget.continue_run() is None and "first" in widget.last_error
    assert widget.sweep() is None
    with pytest.raises(ValueError, match="unknown parameter"):
        widget.set_params(perplexity=30)
    with pytest.raises(ValueError, match="loss must be one of"):
        widget.set_params(loss="tsne")
    # napari still works
    viewer.add_image(np.ones((5, 5)))
    assert len(viewer.layers) == 3


def test_error_in_worker_is_shown(qtbot, make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.add_points(
        np.random.default_rng(0).uniform(0, 50, (20, 2)),
        features={"const": np.ones(20), "x": np.arange(20.0)},
        name="table",
    )
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_input(table_layer="table", columns=["const"])
    worker = widget.run()
    assert worker is not None  # the check happens in the worker
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    assert "constant" in widget.last_error
    assert widget.points_layer is None and widget.model is None
    assert not widget.is_running


def test_table_input_and_fresh_column_names(qtbot, make_napari_viewer):
    rng = np.random.default_rng(1)
    n = 80
    cls = np.repeat([0, 1], n // 2)
    feats = pd.DataFrame(
        {
            "label": np.arange(1, n + 1),
            "a": rng.normal(cls * 5, 1),
            "b": rng.normal(-cls * 5, 1),
            "c": rng.normal(0, 1, n),
            "kind": np.where(cls, "x", "y"),
            "cne_0": np.zeros(n),  # a user's column: must not be overwritten
        }
    )
    viewer = make_napari_viewer()
    pts = viewer.add_points(rng.uniform(0, 100, (n, 2)), features=feats, name="cells")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    assert widget.input_panel.mode_combo.currentIndex() == 1  # no labels: table mode
    page = widget.input_panel.table
    # names like ours (cne_0, cne2_1, ...) are never default features
    # (features.default_columns), but they are offered
    assert set(page.checked_columns()) == {"a", "b", "c"}
    assert "cne_0" in list_texts(page.columns_list)
    widget.set_input(table_layer="cells", columns=["a", "b", "c"])
    widget.set_params(**FAST)
    run_and_wait(qtbot, widget)
    out = pts.features
    assert (out["cne_0"] == 0).all()  # untouched
    assert {"cne2_0", "cne2_1"} <= set(out.columns)
    assert pts.metadata["napari_cne_columns"] == ["cne2_0", "cne2_1"]
    assert widget.points_layer.features["label"].tolist() == feats["label"].tolist()
    # every source column travels along, to colour by (categorical ones too)
    assert "kind" in widget.points_layer.features.columns
    widget.results_panel.color_combo.setCurrentText("kind")
    assert len({tuple(c) for c in widget.points_layer.face_color}) == 2
    # a second run reuses our columns and does not offer them as features
    widget.reset_choices()
    widget.set_input(table_layer="cells")
    assert "cne2_0" not in widget.input_panel.table.checked_columns()
    run_and_wait(qtbot, widget)
    assert sum(c.startswith("cne") for c in pts.features.columns) == 3


def test_deleting_embedding_layer_mid_run_stops(qtbot, viewer_widget):
    viewer, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    qtbot.wait(100)
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        viewer.layers.remove(widget.points_layer)
    assert "deleted" in widget.run_panel.status.text()
    assert "objects embedding" not in [lay.name for lay in viewer.layers]
    assert widget.last_error is None


def test_deleting_source_layers_mid_run(qtbot, viewer_widget):
    viewer, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    viewer.layers.remove("objects")
    viewer.layers.remove("cells")
    qtbot.wait(100)
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        widget.stop()
    assert widget.last_error is None
    assert widget.input_panel.labels.labels_combo.count() == 0
    assert len(widget.points_layer.data) == N_OBJ


def test_rerun_while_running_and_with_other_input(qtbot, viewer_widget, objects):
    viewer, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    first = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    labels, _ = objects
    viewer.add_labels(labels[:80], name="half")
    widget.set_input(labels="half", images=[])
    widget.set_params(n_epochs=20)
    with jobs_finish(qtbot, widget, 2) as done:
        second = widget.run()  # cancels the first run
    assert done == ["fit", "fit"]
    assert first is not second and not second.is_running
    names = [lay.name for lay in viewer.layers]
    assert "objects embedding" in names and "half embedding" in names
    assert len(widget.points_layer.data) == 32
    assert widget.points_layer.metadata["napari_cne"]["input_layers"] == ["half"]


def test_closing_viewer_mid_run_stops_worker(qtbot, viewer_widget):
    viewer, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    request = widget.session.running
    viewer.close()
    assert request.stopped  # our close hook stopped the engine, not only napari
    qtbot.waitUntil(lambda: not worker.is_running, timeout=5_000)


@pytest.mark.parametrize("delay_ms", [0, 30, 300])
def test_stop_at_any_moment(qtbot, viewer_widget, delay_ms):
    viewer, widget = viewer_widget
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.wait(delay_ms)
    widget.stop()
    qtbot.waitUntil(lambda: not widget.is_running, timeout=10_000)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=5_000)
    assert widget.last_error is None
    # the widget is usable again
    widget.set_params(n_epochs=10)
    run_and_wait(qtbot, widget)
    assert len(widget.points_layer.data) == N_OBJ


def test_queue_keeps_a_new_run_when_the_slider_moves(qtbot, viewer_widget):
    _, widget = viewer_widget
    run_and_wait(qtbot, widget)
    old = widget.model
    done = []
    glide = widget.reoptimize(0.5, n_epochs=100_000)
    glide.finished.connect(lambda: done.append("glide"))
    qtbot.waitUntil(lambda: glide.is_running, timeout=10_000)
    widget.set_params(n_epochs=10)
    fit = widget.run()  # stops the glide
    fit.finished.connect(lambda: done.append("fit"))
    after = widget.reoptimize(0.0, n_epochs=5)  # waits for the fit
    after.finished.connect(lambda: done.append("after"))
    qtbot.waitUntil(lambda: len(done) == 3, timeout=30_000)
    assert done.index("fit") < done.index("after")
    assert old.stopped_early_
    assert widget.model is not old
    assert widget.model.s_ == 0.0 and widget.model.n_epochs_ == 10 + 5


# ------------------------------------------------------ separate viewer
@pytest.fixture
def separate(viewer_widget, qtbot):
    """The widget set to show the embedding in its own viewer.

    The second viewer is closed at the end (make_napari_viewer's leak check
    only knows the main one).
    """
    viewer, widget = viewer_widget
    widget.set_params(separate_viewer=True)
    yield viewer, widget
    second = widget.embedding_viewer  # (the widget may be deleted already)
    if second is not None:
        second.close()
    qtbot.wait(50)  # let Qt delete the closed window


def test_separate_viewer_shows_raw_layout_live(qtbot, separate):
    viewer, widget = separate
    assert widget.params_panel.controls["separate_viewer"].isChecked()
    assert widget.get_params()["separate_viewer"] is True
    with pytest.raises(ValueError, match="True or False"):
        widget.set_params(separate_viewer="yes")
    assert widget.embedding_viewer is None  # created on demand
    shown = []
    widget.layout_updated.connect(shown.append)
    widget.set_params(n_epochs=LIVE_EPOCHS)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None and len(shown) > 1
    widget.set_params(n_epochs=FAST["n_epochs"])
    second = widget.embedding_viewer
    assert second is not None and second is not viewer
    pts = widget.points_layer
    assert pts in second.layers
    assert "objects embedding" not in [lay.name for lay in viewer.layers]
    # unscaled: the layer's data are the engine's coordinates
    assert np.allclose(pts.data, widget.model.embedding_)
    assert np.allclose(pts.features[["cne_0", "cne_1"]], widget.model.embedding_)
    assert "cne_0" in viewer.layers["objects"].features.columns
    # colouring works there
    widget.results_panel.color_combo.setCurrentText("cells_mean")
    assert len({tuple(c) for c in pts.face_color}) > 2
    # the point size follows the layout's span
    span = np.ptp(pts.data, axis=0).max()
    assert 0.001 * span < float(np.mean(pts.size)) < 0.05 * span

    # the slider glide moves the same layer in the same viewer
    widget.set_params(glide_epochs=10)
    with qtbot.waitSignal(widget.run_finished, timeout=30_000):
        widget.params_panel.spectrum.slider.setValue(0.0)
    assert widget.embedding_viewer is second and widget.points_layer is pts
    assert np.allclose(pts.data, widget.model.embedding_)

    # a second run reuses the viewer and the layer
    run_and_wait(qtbot, widget)
    assert widget.embedding_viewer is second and widget.points_layer is pts

    # the sweep layer goes there too, with its dims slider
    worker = widget.sweep((0.0, 1.0), n_epochs=5)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    assert widget.sweep_layer in second.layers
    assert widget.sweep_layer not in viewer.layers
    assert "spectrum s" in second.dims.axis_labels
    assert "spectrum s" not in viewer.dims.axis_labels
    assert len(viewer.layers) == 2  # the main viewer only has the inputs


def test_closing_separate_viewer_mid_run_stops_and_recreates(qtbot, separate):
    viewer, widget = separate
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.points_layer is not None, timeout=30_000)
    second = widget.embedding_viewer
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        second.close()
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert "closed" in widget.run_panel.status.text()
    assert widget.last_error is None
    assert widget.embedding_viewer is None
    assert widget.model is not None  # the partial layout can be continued

    # closed at the Qt level (title bar, Ctrl+W): the Viewer model is closed too
    worker = widget.continue_run(100_000)
    qtbot.waitUntil(lambda: widget.embedding_viewer is not None, timeout=30_000)
    third = widget.embedding_viewer
    assert third is not second  # recreated
    qtbot.waitUntil(lambda: widget.points_layer in third.layers, timeout=10_000)
    with qtbot.waitSignal(worker.finished, timeout=5_000):
        third.window._qt_window.close()
    assert widget.embedding_viewer is None
    assert len(third.layers) == 0
    assert not hasattr(third.window, "_qt_window")  # Viewer.close() ran
    qtbot.waitUntil(lambda: not widget.is_running, timeout=5_000)
    assert widget.last_error is None


def test_closing_main_viewer_closes_separate_viewer(qtbot, separate):
    viewer, widget = separate
    widget.set_params(n_epochs=100_000, update_interval=0.05)
    worker = widget.run()
    qtbot.waitUntil(lambda: widget.embedding_viewer is not None, timeout=30_000)
    second = widget.embedding_viewer
    request = widget.session.running
    viewer.close()
    assert request.stopped
    assert widget.embedding_viewer is None
    assert len(second.layers) == 0 and not hasattr(second.window, "_qt_window")
    qtbot.waitUntil(lambda: not worker.is_running, timeout=5_000)


def test_window_watcher_waits_for_napari_close_question(qtbot):
    """A title-bar close is reported only once the window really hides."""
    from qtpy.QtCore import QEvent
    from qtpy.QtWidgets import QMainWindow

    from napari_cne._qt.embedding_viewer import WindowWatcher

    class Ev:  # a stand-in: Qt events from the window system cannot be made
        def __init__(self, etype, spontaneous):
            self._t, self._s = etype, spontaneous

        def type(self):
            return self._t

        def spontaneous(self):
            return self._s

    win = QMainWindow()
    qtbot.addWidget(win)
    watcher = WindowWatcher(win)
    fired = []
    watcher.closing.connect(lambda: fired.append(1))
    close, hide = QEvent.Type.Close, QEvent.Type.Hide
    watcher.eventFilter(win, Ev(close, True))  # napari may still ask "close?"
    watcher.eventFilter(win, Ev(hide, True))  # minimised, not closed
    assert not fired
    watcher.eventFilter(win, Ev(hide, False))  # the hide after an accepted close
    assert fired == [1]
    watcher.eventFilter(win, Ev(close, False))
    assert fired == [1]  # once only
    other = WindowWatcher(win)
    other.closing.connect(lambda: fired.append(2))
    win.close()  # programmatic: at once
    assert fired == [1, 2]
