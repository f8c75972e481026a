"""The same answer from both front ends: every workflow through the CLI and the widget.

Each workflow runs once through ``napari-cne`` (in-process, ``main``) and
once through the dock widget in a real napari viewer, with the same input,
parameters and seed; the tables and coordinates must be the same, to the
last bit of float32. The two front ends run on different thread counts
(:data:`CLI_JOBS`, :data:`WIDGET_JOBS`): a seeded result does not depend on
them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.__main__ import main
from napari_cne.app.findings import CLUSTER_COLUMN as CLUSTER
from napari_cne.app.findings import TRUST_COLUMN as TRUST
from napari_cne.app.models import load_map
from napari_cne.app.predict import CONFIDENCE, PREDICTED
from napari_cne.data import load_human_mitosis
from tests.conftest import dock, jobs_finish

#: the engine's threads in each front end (different on purpose)
CLI_JOBS, WIDGET_JOBS = 2, 1
EPOCHS, K, SEED = 30, 10, 0
CLI = [
    "--n-epochs",
    str(EPOCHS),
    "--n-neighbors",
    str(K),
    "--seed",
    str(SEED),
    "--n-jobs",
    str(CLI_JOBS),
    "--device",
    "cpu",
    "-q",
]
WIDGET = {
    "n_epochs": EPOCHS,
    "n_neighbors": K,
    "random_state": SEED,
    "n_jobs": WIDGET_JOBS,
    "device": "cpu",
    "update_interval": 0.0,
}
COORDS = ["cne_0", "cne_1"]


def cli(*argv) -> None:
    assert main([str(a) for a in [*argv, *CLI]]) == 0


def same(a, b) -> None:
    """Equal as the engine computes them (float32), also where NaN."""
    np.testing.assert_array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Two fields of the bundled nuclei, a table, a three-channel image."""
    import tifffile

    d = tmp_path_factory.mktemp("same")
    dna, labels = load_human_mitosis()
    h = dna.shape[0] // 2
    fields = {"top": (dna[:h], labels[:h]), "bottom": (dna[h:], labels[h:])}
    for name, (img, lab) in fields.items():
        (d / name).mkdir()
        tifffile.imwrite(d / name / "well_labels.tif", lab)
        tifffile.imwrite(d / name / "well_dna.tif", img)
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (120, 5)), rng.normal(4, 1, (120, 5))])
    table = pd.DataFrame(X, columns=list("abcde"))
    table.insert(0, "label", np.arange(1, 241))
    table.to_csv(d / "t.csv", index=False)
    kind = pd.Series([None] * len(table), dtype=object)
    kind[[0, 3, 7, 11, 15]] = "low"
    kind[[120, 125, 130, 135, 140]] = "high"
    table.assign(kind=kind).to_csv(d / "t_kind.csv", index=False)
    d_ = dna[:64, :64].astype(np.float32) / float(dna.max())
    img = np.stack([d_, np.roll(d_, 2, axis=1), 1 - d_**2]).astype(np.float32)
    np.save(d / "img.npy", img)
    return d, fields, table, img


def run_widget(qtbot, widget, timeout=60_000):
    with jobs_finish(qtbot, widget, 1, timeout=timeout):
        assert widget.run() is not None, widget.last_error
    assert widget.last_error is None, widget.last_error


def _table(data, tmp_path, qtbot, viewer):
    d, _, table, _ = data
    cli("embed", d / "t.csv", "-o", tmp_path / "o.csv")
    out = pd.read_csv(tmp_path / "o.csv")
    widget = dock(viewer, **WIDGET)
    widget.set_input(table_file=d / "t.csv")
    run_widget(qtbot, widget)
    feats = widget.points_layer.features
    same(feats[COORDS], out[COORDS])
    pd.testing.assert_frame_equal(feats[list(table.columns)], out[list(table.columns)])
    # each object's trust, measured with the quality readout
    qtbot.waitUntil(lambda: TRUST in widget.points_layer.features, timeout=30_000)
    same(widget.points_layer.features[TRUST], out[TRUST])


def cluster_and_wait(qtbot, widget, method: str) -> None:
    with qtbot.waitSignal(widget.findings.clusters.clustered, timeout=30_000):
        assert widget.cluster(method) is not None, widget.last_error


def _clusters(data, tmp_path, qtbot, viewer):
    d, _, _, _ = data
    s_values = (0.0, 0.5, 1.0)
    sweep = ["--sweep", "0,0.5,1", "--sweep-epochs", "10"]
    cli("embed", d / "t.csv", "-o", tmp_path / "o.csv", "--clusters", "leiden", *sweep)
    out = pd.read_csv(tmp_path / "o_s1.csv")
    robust = pd.read_csv(tmp_path / "o_robustness.csv", index_col=0)
    widget = dock(viewer, **WIDGET)
    widget.set_input(table_file=d / "t.csv")
    run_widget(qtbot, widget)
    cluster_and_wait(qtbot, widget, "leiden")
    feats = widget.points_layer.features
    np.testing.assert_array_equal(feats[CLUSTER].astype(int), out[CLUSTER])
    with jobs_finish(qtbot, widget, 1, timeout=60_000):
        assert widget.sweep(s_values, n_epochs=10) is not None, widget.last_error
    table = widget.robustness(s_values)
    assert table is not None, widget.last_error
    assert list(table.index) == list(robust.index)
    for s in s_values:
        same(table[s], robust[str(s)])
    assert table["verdict"].tolist() == robust["verdict"].tolist()


def _predict(data, tmp_path, qtbot, viewer):
    d, _, _, _ = data
    cli("embed", d / "t_kind.csv", "-o", tmp_path / "o.csv", "--predict", "kind")
    out = pd.read_csv(tmp_path / "o.csv")
    widget = dock(viewer, **WIDGET)
    widget.set_input(table_file=d / "t_kind.csv")
    run_widget(qtbot, widget)
    sel = widget.selection
    examples = pd.read_csv(d / "t_kind.csv")["kind"]
    for name in sorted(examples.dropna().unique()):
        sel.add_class(name)
        sel.select(np.flatnonzero(examples == name))
        sel.assign_selection(name)
    worker = sel.predict("auto")
    assert worker is not None, widget.last_error
    qtbot.waitUntil(lambda: sel.last_prediction is not None, timeout=60_000)
    feats = widget.points_layer.features
    assert feats[PREDICTED].astype(str).tolist() == out[PREDICTED].tolist()
    same(feats[CONFIDENCE], out[CONFIDENCE])


def embed_top(d, tmp_path, *more) -> pd.DataFrame:
    """``embed-images`` of the top field (its DNA image the channel DNA)."""
    patterns = ["--labels", "*_labels.tif", "--channel", "DNA=*_dna.tif"]
    cli("embed-images", d / "top", *patterns, "-o", tmp_path / "o.csv", *more)
    return pd.read_csv(tmp_path / "o.csv")


def _objects(data, tmp_path, qtbot, viewer):
    d, fields, _, _ = data
    out = embed_top(d, tmp_path)
    img, lab = fields["top"]
    viewer.add_image(img, name="DNA")
    viewer.add_labels(lab, name="top")
    widget = dock(viewer, **WIDGET)
    widget.set_input(labels="top", images=["DNA"])
    run_widget(qtbot, widget)
    feats = widget.points_layer.features
    columns = [c for c in feats.columns if c not in COORDS]
    assert "DNA_mean" in columns and "area" in columns
    pd.testing.assert_frame_equal(feats[columns], out[columns], check_dtype=False)
    same(feats[COORDS], out[COORDS])


def _pixels(data, tmp_path, qtbot, viewer, every_pixel=False):
    d, _, _, img = data
    cli(
        "embed-pixels",
        d / "img.npy",
        "--channel-axis",
        "0",
        "--max-pixels",
        "500",
        "--tile-pixels",
        "1024",
        "-o",
        tmp_path / "c.npy",
        "--save-model",
        tmp_path / "px.pt",
    )
    viewer.add_image(img, name="img")
    widget = dock(viewer, **WIDGET)
    widget.set_input(image="img", channel_axis=0, max_pixels=500, every_pixel=True)
    widget.input_panel.pixels.tile_pixels = 1024
    run_widget(qtbot, widget)
    if every_pixel:  # every pixel's coordinates
        same(widget.pixel_view.coords, np.load(tmp_path / "c.npy"))
    else:  # the fitted sample's layout
        fitted = load_map(tmp_path / "px.pt").model.embedding_
        same(widget.points_layer.features[COORDS], fitted)


def _every_pixel(data, tmp_path, qtbot, viewer):
    _pixels(data, tmp_path, qtbot, viewer, every_pixel=True)


def _place(data, tmp_path, qtbot, viewer):
    d, fields, _, _ = data
    embed_top(d, tmp_path, "--save-model", tmp_path / "m.pt")
    assert (
        main(
            [
                "transform",
                str(tmp_path / "m.pt"),
                str(d / "bottom"),
                "-o",
                str(tmp_path / "p.csv"),
                "-q",
            ]
        )
        == 0
    )
    out = pd.read_csv(tmp_path / "p.csv")
    (img_t, lab_t), (img_b, lab_b) = fields["top"], fields["bottom"]
    h = img_t.shape[0]
    viewer.add_image(img_t, name="DNA")
    viewer.add_image(img_b, name="DNA bottom", translate=(h, 0))
    viewer.add_labels(lab_t, name="top")
    viewer.add_labels(lab_b, name="bottom", translate=(h, 0))
    widget = dock(viewer, **WIDGET)
    widget.set_input(labels="top", images=["DNA"])
    run_widget(qtbot, widget)
    with jobs_finish(qtbot, widget, 1, timeout=60_000):
        assert widget.place("bottom") is not None, widget.last_error
    assert widget.last_error is None, widget.last_error
    placed = widget.place_panel.layers[-1]
    assert placed.metadata["napari_cne"]["method"] == "optimize"
    assert '"method": "optimize"' in (tmp_path / "p.csv.json").read_text()
    feats = placed.features
    assert feats["label"].tolist() == out["label"].tolist()
    same(feats[COORDS], out[COORDS])


def _sweep(data, tmp_path, qtbot, viewer):
    d, _, _, _ = data
    s_values = (0.0, 0.5, 1.0)
    cli(
        "embed",
        d / "t.csv",
        "-o",
        tmp_path / "o.csv",
        "--sweep",
        "0,0.5,1",
        "--sweep-epochs",
        "10",
    )
    widget = dock(viewer, **WIDGET)
    widget.set_input(table_file=d / "t.csv")
    run_widget(qtbot, widget)
    # the slider stands elsewhere: the sweep's anchor does not follow it
    widget.set_params(s=0.0)
    with jobs_finish(qtbot, widget, 1, timeout=60_000):
        assert widget.sweep(s_values, n_epochs=10) is not None, widget.last_error
    assert widget.sweep_layer.metadata["napari_cne"]["anchor_s"] == 1.0
    feats = widget.sweep_layer.features
    for s in s_values:
        out = pd.read_csv(tmp_path / f"o_s{s:g}.csv")
        same(feats.loc[feats["s"] == s, COORDS], out[COORDS])


WORKFLOWS = {
    "fit a table": _table,
    "fit objects": _objects,
    "fit pixels": _pixels,
    "map every pixel": _every_pixel,
    "place objects in a fitted map": _place,
    "sweep": _sweep,
    "clusters and their robustness": _clusters,
    "predicted classes": _predict,
}


@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_the_command_line_and_the_widget_give_the_same_answer(
    workflow, data, tmp_path, qtbot, make_napari_viewer
):
    WORKFLOWS[workflow](data, tmp_path, qtbot, make_napari_viewer())
