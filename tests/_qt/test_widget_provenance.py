"""Quality readout, provenance and parameter sets in the dock widget."""

from __future__ import annotations

import json

import numpy as np
import pytest

import napari_cne
from napari_cne import ContrastiveEmbedding
from napari_cne.engine.provenance import load_params
from tests._qt.test_widget import FAST, run_and_wait


def test_quality_readout_and_provenance(qtbot, make_napari_viewer, objects, tmp_path):
    labels, image = objects
    viewer = make_napari_viewer()
    viewer.add_image(image, name="cells")
    viewer.add_labels(labels, name="objects")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(**FAST, random_state=3, n_jobs=1)
    run_and_wait(qtbot, widget)
    qtbot.waitUntil(lambda: widget.quality is not None, timeout=20_000)
    assert widget.model.n_jobs == 1 and widget.model.n_jobs_ == 1
    q = widget.quality
    assert q["n"] == 64 and q["k"] == 15 and q["knn_accuracy"] is None
    # two well separated populations: far better than a random layout (64
    # objects, 30 epochs: 0.62-0.70 against 0.24 for a random layout)
    assert q["neighbor_preservation"] > 2.5 * q["neighbor_preservation_random"]
    assert "neighbour preservation@15" in widget.quality_panel.label.text()

    meta = widget.points_layer.metadata["napari_cne"]
    prov = meta["provenance"]
    assert prov["software"]["napari_cne"] == napari_cne.__version__
    assert prov["params"]["n_epochs"] == 30 and prov["seed"] == 3
    assert prov["inputs"] == ["objects", "cells"]
    assert "cells_mean" in prov["columns"] and prov["elapsed_s"] > 0
    assert prov["resolved"]["device_"] == "cpu" and prov["resolved"]["n_jobs_"] == 1
    assert meta["quality"]["neighbor_preservation"] == q["neighbor_preservation"]
    json.dumps(meta)  # all of it is JSON

    # accuracy of a class column: the user's classes
    panel = widget.selection
    panel.add_class("big")
    panel.add_class("small")
    area = widget.points_layer.features["area"].to_numpy()
    widget.points_layer.selected_data = set(np.flatnonzero(area > 100).tolist())
    panel.assign_selection("big")
    widget.points_layer.selected_data = set(np.flatnonzero(area <= 100).tolist())
    panel.assign_selection("small")
    widget.quality_panel.refresh_choices(widget.points_layer)
    widget.quality_panel.class_combo.setCurrentText("class")
    widget.quality = None
    widget.update_quality()
    qtbot.waitUntil(lambda: widget.quality is not None, timeout=20_000)
    assert widget.quality["knn_accuracy"] > 0.9
    assert "10-NN accuracy" in widget.quality_panel.label.text()

    # the parameter set round-trips into a fresh widget and into a script
    path = widget.save_parameters(str(tmp_path / "params.json"))
    kwargs = load_params(path)
    assert kwargs["random_state"] == 3 and kwargs["n_neighbors"] == 10
    assert kwargs["n_jobs"] == 1
    ContrastiveEmbedding(**kwargs)  # a valid estimator
    widget.set_params(n_neighbors=25, random_state=7, glide_epochs=5, n_jobs=-1)
    applied = widget.load_parameters(path)
    p = widget.get_params()
    assert p["n_neighbors"] == 10 and p["random_state"] == 3 and p["n_jobs"] == 1
    assert p["glide_epochs"] == 60 and applied["n_epochs"] == 30


def test_load_parameters_reports_bad_files(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    bad = tmp_path / "bad.json"
    bad.write_text('{"n_neighbours": 5}')
    assert widget.load_parameters(str(bad)) is None
    assert "n_neighbours" in widget.last_error
    before = widget.get_params()
    (tmp_path / "x.json").write_text("not json")
    assert widget.load_parameters(str(tmp_path / "x.json")) is None
    assert widget.get_params() == before


def test_widget_warms_up_pynndescent_once_in_background(
    make_napari_viewer, monkeypatch, qtbot
):
    import threading

    from napari_cne.app import warmup
    from napari_cne.engine import neighbors

    calls = []
    done = threading.Event()

    def fake_warm_up():
        calls.append(threading.current_thread().name)
        done.set()

    monkeypatch.setattr(neighbors, "warm_up", fake_warm_up)
    monkeypatch.setitem(warmup.STATE, "started", False)
    monkeypatch.setenv("NAPARI_CNE_WARMUP", "1")
    viewer = make_napari_viewer()
    viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    qtbot.waitUntil(done.is_set, timeout=10_000)
    assert calls == ["napari-cne pynndescent warm-up"]  # not the GUI thread
    warmup.warm_up_knn()  # once per process
    assert len(calls) == 1


def test_widget_threads_default_to_all_but_one_core(make_napari_viewer):
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    assert widget.get_params()["n_jobs"] == -2  # napari keeps a core
    with pytest.raises(ValueError, match="n_jobs"):
        widget.set_params(n_jobs=0)
    widget.set_params(n_jobs=3)
    assert widget.get_params()["n_jobs"] == 3
