"""The gallery workflow: a group's objects found in their own fields and frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from napari_cne.app.gallery import (
    NEEDS_OBJECTS,
    gallery_target,
    group_gallery,
    locate,
    object_gallery,
)
from napari_cne.app.inputs import LabelsSource, ObjectsInput, PixelsInput, TableInput
from napari_cne.app.targets import Target, keys_from_table
from tests.conftest import make_objects


def _input(labels, image, **kwargs):
    return ObjectsInput([LabelsSource("cells", labels, {"dna": image})], **kwargs)


def test_the_group_tiles_show_the_right_objects():
    labels, image = make_objects()
    inp = _input(labels, image)
    table = inp.measure()
    keys = keys_from_table(table, gallery_target(inp), "label")
    np.testing.assert_array_equal(keys, table["label"])
    layout = np.c_[table["label"] % 8, table["label"] // 8].astype(float)
    group = keys[keys % 2 == 0]  # the large dim discs
    g = group_gallery(inp, layout, keys, group, n=10, size=32)
    assert len(g) == 10 and g.group_size == 32
    assert set(g.keys) <= set(group)
    assert g.kinds == ["central"] * 5 + ["random"] * 5
    assert g.table["distance"].iloc[:5].is_monotonic_increasing
    assert all(t.shape == (32, 32, 3) for t in g.tiles)
    assert g.captions == [str(k) for k in g.keys]
    # each tile shows its own object: bright in the middle, where the disc is
    for tile in g.tiles:
        assert tile[14:18, 14:18].mean() > 2 * tile[:3, :3].mean()
    assert g.grid(columns=5).shape == (2 + 2 * 40, 2 + 5 * 40, 3)
    assert "label" in g.describe(0) and "centre" in g.describe(0)
    # the same seed, the same gallery
    again = group_gallery(inp, layout, keys, group, n=10, size=32)
    np.testing.assert_array_equal(again.keys, g.keys)


def test_a_time_lapse_crops_from_the_objects_own_frame():
    labels, image = make_objects(n_side=4)
    lab = np.stack([labels, np.zeros_like(labels)])
    lab[1, 10:20, 10:20] = 3  # a square in frame 1 with the id of a disc
    img = np.stack([image, np.zeros_like(image)])
    inp = _input(lab, img, time_axis=0)
    target = gallery_target(inp)
    key = int(target.object_keys([3], [1])[0])
    where = locate(target, [key, 3])
    assert where[["label", "frame"]].values.tolist() == [[3, 1], [3, 0]]
    g = object_gallery(inp, [key, 3], size=16, same_scale=False)
    assert g.captions == ["3 t1", "3 t0"]
    # frame 1's image is black (blue: no outline there), frame 0's disc bright
    assert g.tiles[0][..., 2].max() == 0 and g.tiles[1][6:10, 6:10, 2].min() > 100
    # the square's outline (10 x 10 pixels, no margin to the tile's edge)
    assert (g.tiles[0][..., 0] == 255).sum() > 20


def test_many_fields_each_tile_from_its_own():
    la, ia = make_objects(n_side=4, seed=1)
    lb = la.copy()
    ib = np.zeros_like(ia)  # field b: same objects, a black image
    inp = ObjectsInput(
        [LabelsSource("a", la, {"dna": ia}), LabelsSource("b", lb, {"dna": ib})],
        source_column=True,
    )
    table = inp.measure()
    target = gallery_target(inp)
    keys = keys_from_table(table, target, "label")
    in_b = (table["source"] == "b").to_numpy()
    g = object_gallery(inp, keys[[0, int(np.flatnonzero(in_b)[0])]], size=16)
    assert g.table["source"].tolist() == ["a", "b"]
    assert g.table["label"].tolist() == [1, 1]
    # field b's image is black: only the (yellow, no blue) outline is drawn
    assert g.tiles[0][..., 2].mean() > 20 and g.tiles[1][..., 2].max() == 0


def test_huge_label_ids_are_named_by_their_own_id():
    labels, image = make_objects(n_side=3)
    labels = np.where(labels > 0, labels + 2**25, 0).astype(np.int64)
    inp = _input(labels, image)
    target = gallery_target(inp)
    assert target.ids is not None  # renumbered inside
    key = int(target.object_keys([2**25 + 4])[0])
    g = object_gallery(inp, [key], size=16)
    assert g.table["label"].tolist() == [2**25 + 4]


def test_a_labels_layers_table_shows_masks():
    labels, _ = make_objects(n_side=3)
    inp = TableInput(pd.DataFrame({"label": [1, 2], "x": [0.0, 1.0]}), "t")
    target = Target.for_labels(None, labels)
    g = object_gallery(inp, [1, 2], target=target, size=16)
    assert len(g) == 2 and g.tiles[0].max() > 150


def test_pixels_rows_and_unknown_keys_get_one_line_messages():
    labels, image = make_objects(n_side=3)
    pix = PixelsInput(image, None, ["dna"], "img")
    with pytest.raises(ValueError, match="needs objects"):
        group_gallery(pix, np.zeros((1, 2)), [0], [0])
    rows = Target("rows", None)
    with pytest.raises(ValueError) as err:
        group_gallery(_input(labels, image), np.zeros((1, 2)), [0], [0], target=rows)
    assert str(err.value) == NEEDS_OBJECTS and "\n" not in NEEDS_OBJECTS
    inp = _input(labels, image)
    with pytest.raises(ValueError, match="names no object"):
        object_gallery(inp, [99])
    with pytest.raises(ValueError, match="none of the group"):
        group_gallery(inp, np.zeros((2, 2)), [1, 2], [5])


def test_fields_given_as_files_are_read_and_split(tmp_path):
    import tifffile

    labels, image = make_objects(n_side=4)
    tifffile.imwrite(tmp_path / "a_labels.tif", labels)
    two = np.stack([image, np.zeros_like(image)])  # channels first
    tifffile.imwrite(tmp_path / "a.tif", two)
    inp = ObjectsInput(
        [
            LabelsSource(
                "a", str(tmp_path / "a_labels.tif"), {"img": tmp_path / "a.tif"}
            )
        ],
        source_column=True,
    )
    table = inp.measure()
    keys = keys_from_table(table, gallery_target(inp), "label")
    g = object_gallery(inp, keys[:2], size=16)
    np.testing.assert_array_equal(g.table["label"], table["label"][:2])
    assert g.table["source"].tolist() == ["a", "a"]
    # two channels: a composite, the first green, the second (black) magenta
    centre = g.tiles[0][6:10, 6:10]
    assert centre[..., 1].min() > 60 and centre[..., 0].max() == 0
