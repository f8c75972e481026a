"""The gallery panel in napari: tiles of a group, a click selects (pytest-qt, Xvfb)."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Qt

from napari_cne._qt.gallery import DOCK_NAME, GalleryView, camera_of
from napari_cne.app.targets import SELECTED
from napari_cne.render.gallery import crop_object, render_tiles
from tests._qt.conftest import BOTTOM, TOP
from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock


def _view(widget):
    return GalleryView(widget.selection, lambda: widget.session.fit, widget.viewers)


def _click(qtbot, panel, i, double=False):
    lst = panel.tiles
    item = lst.item(i)
    lst.scrollToItem(item)
    pos = lst.visualItemRect(item).center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    if double:
        qtbot.mouseDClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_tile_click_selects_its_object_in_the_embedding_and_image(
    qtbot, cells_viewer, objects, tmp_path
):
    viewer = cells_viewer
    labels = objects[0]
    widget = dock(viewer, **FAST)
    view = _view(widget)
    assert view.show([1, 2]) is None  # before a fit: a message, no dock
    run_and_wait(qtbot, widget)
    group = np.arange(2, 65, 2)  # the large dim discs
    gallery = view.show(group, n=10, size=48)
    assert gallery is not None and view.panel.tiles.count() == 10
    assert view.dock is not None and view.dock.name == DOCK_NAME
    assert set(gallery.keys) <= set(group)
    assert gallery.kinds == ["central"] * 5 + ["random"] * 5
    assert view.panel.title.text() == "10 of 32 objects of the selection"
    item = view.panel.tiles.item(3)
    assert item.text() == str(gallery.keys[3])
    assert "random" not in item.toolTip() and "centre" in item.toolTip()
    assert view.panel.tiles.iconSize().width() == 48 + 6  # with its frame

    _click(qtbot, view.panel, 3)
    key = int(gallery.keys[3])
    np.testing.assert_array_equal(widget.selection.selected, [key])
    row = int(np.flatnonzero(widget.points_layer.features["label"] == key)[0])
    assert set(widget.points_layer.selected_data) == {row}
    overlay = widget.selection.linker.overlay
    assert np.array_equal(overlay.data == SELECTED, labels == key)

    # a double-click centres the image on the object
    _click(qtbot, view.panel, 7, double=True)
    key = int(gallery.keys[7])
    np.testing.assert_array_equal(widget.selection.selected, [key])
    ys, xs = np.nonzero(labels == key)
    centre = np.asarray(camera_of(viewer).center)[-2:]
    assert np.abs(centre - [ys.mean(), xs.mean()]).max() < 2

    # the selection is the default group; the dock is reused
    gallery = view.show(n=4)
    assert list(gallery.keys) == [key] and view.panel.tiles.count() == 1
    import imageio.v3 as iio

    saved = view.panel.save(str(tmp_path / "g.png"))
    np.testing.assert_array_equal(iio.imread(saved), gallery.grid())


def test_many_fields_each_tile_from_its_own_field(qtbot, two_fields, halves):
    viewer = two_fields
    dna_t, lab_t, dna_b, lab_b, h = halves
    widget = dock(viewer, **FAST)
    widget.set_input(labels=[TOP, BOTTOM], images=["DNA top", "DNA bottom"])
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    f = widget.points_layer.features
    keys = widget.selection.linker.keys
    view = _view(widget)
    gallery = view.show(keys, n=16, size=40, contrast="tile", same_scale=False)
    table = gallery.table
    assert set(table["source"]) == {TOP, BOTTOM}
    fields = {TOP: (lab_t, dna_t), BOTTOM: (lab_b, dna_b)}
    for i, r in table.iterrows():
        row = int(np.flatnonzero(keys == r["key"])[0])
        assert (f.loc[row, "source"], f.loc[row, "label"]) == (r["source"], r["label"])
        lab, dna = fields[r["source"]]
        crop = crop_object(lab, [dna], r["label"])
        np.testing.assert_array_equal(
            gallery.tiles[i], render_tiles([crop], size=40)[0]
        )
    # a click on a bottom tile lights it up in the bottom field only
    i = int(np.flatnonzero(table["source"] == BOTTOM)[0])
    _click(qtbot, view.panel, i)
    np.testing.assert_array_equal(widget.selection.selected, [table.loc[i, "key"]])
    overlays = widget.selection.linker.overlays
    bottom = overlays[1].data == SELECTED
    assert np.array_equal(bottom, lab_b == table.loc[i, "label"])
    assert not (overlays[0].data == SELECTED).any()


def test_a_time_lapse_tile_goes_to_its_frame(qtbot, make_napari_viewer):
    from tests._data import make_movie

    movie, image = make_movie()
    viewer = make_napari_viewer()
    viewer.add_image(image, name="movie image")
    viewer.add_labels(movie, name="movie")
    widget = dock(viewer, n_epochs=20, n_neighbors=8, update_interval=0.0)
    widget.set_input(labels="movie", time_axis=0)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None, widget.last_error
    f = widget.points_layer.features
    keys = widget.selection.linker.keys
    in_frame_2 = keys[(f["frame"] == 2).to_numpy()]
    view = _view(widget)
    gallery = view.show(in_frame_2, n=4, size=24)
    assert (gallery.table["frame"] == 2).all()
    assert gallery.captions[0].endswith(" t2")
    viewer.dims.set_point(0, 0)
    _click(qtbot, view.panel, 0, double=True)
    label = int(gallery.table.loc[0, "label"])
    assert viewer.dims.current_step[0] == 2  # the object's own frame
    overlay = widget.selection.linker.overlay
    assert np.array_equal(
        overlay.data == SELECTED, (movie == label) & (np.arange(3)[:, None, None] == 2)
    )
