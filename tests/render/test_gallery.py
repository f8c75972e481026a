"""Gallery tiles: crops around objects, their outlines, the grid (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.segmentation import find_boundaries

from napari_cne.render.gallery import (
    KIND_COLORS,
    OUTLINE,
    channel_colors,
    crop_object,
    frame_tile,
    gallery_grid,
    object_boxes,
    render_tiles,
)


def _scene():
    labels = np.zeros((60, 80), np.int32)
    labels[20:30, 30:36] = 1  # 10 x 6, inside
    labels[0:8, 70:80] = 2  # in the top-right corner
    image = np.arange(labels.size, dtype=np.float32).reshape(labels.shape)
    return labels, image


def test_the_crop_holds_the_object_centred_with_its_margin():
    labels, image = _scene()
    crop = crop_object(labels, [image], 1, margin=0.5)
    side = 20  # the longer side (10) and half of it on each side
    assert crop.mask.shape == crop.channels.shape[1:] == (side, side)
    assert crop.mask.sum() == (labels == 1).sum()  # the whole object
    ys, xs = np.nonzero(crop.mask)
    assert (ys.min(), side - 1 - ys.max()) == (5, 5)  # centred
    assert (xs.min(), side - 1 - xs.max()) == (7, 7)
    top, left = crop.origin
    np.testing.assert_array_equal(
        crop.channels[0], image[top : top + side, left : left + side]
    )
    assert crop.inside.all()


def test_a_crop_at_the_image_edge_is_padded_outside():
    labels, image = _scene()
    crop = crop_object(labels, [image], 2, margin=0.5)
    assert crop.mask.sum() == (labels == 2).sum()
    top, left = crop.origin
    assert top < 0 and left + crop.mask.shape[1] > labels.shape[1]
    # outside the image: not inside, no values; inside: the image
    assert not crop.inside[:-top].any() and np.isnan(crop.channels[0][:-top]).all()
    assert not crop.inside[:, labels.shape[1] - left :].any()
    assert np.isfinite(crop.channels[0][crop.inside]).all()
    tile = render_tiles([crop], size=crop.mask.shape[0], outline=None)[0]
    assert (tile[:-top] == 41).all()  # dark grey, not the image's black


def test_a_common_window_keeps_relative_sizes():
    labels, image = _scene()
    big = crop_object(labels, [image], 1, side=30)
    small = crop_object(labels, [image], 2, side=30)
    assert big.mask.shape == small.mask.shape == (30, 30)


def test_the_outline_lies_on_the_objects_boundary():
    labels, image = _scene()
    crop = crop_object(labels, [image], 1, margin=0.5)
    side = crop.mask.shape[0]
    tile = render_tiles([crop], size=side)[0]  # one tile pixel per pixel
    yellow = np.round(np.array([1.0, 216 / 255, 0.0]) * 255).astype(np.uint8)
    assert OUTLINE == "#ffd800"
    drawn = (tile == yellow).all(axis=2)
    assert np.array_equal(drawn, find_boundaries(crop.mask, mode="inner"))
    # resized tiles: the outline is still on the (resized) object's border
    big = render_tiles([crop], size=4 * side)[0]
    drawn = (big == yellow).all(axis=2)
    assert drawn.sum() > 4 * find_boundaries(crop.mask, mode="inner").sum()
    assert big.shape == (4 * side, 4 * side, 3)


def test_contrast_over_the_gallery_keeps_bright_objects_brighter():
    labels = np.zeros((40, 40), np.int32)
    labels[5:15, 5:15] = 1
    labels[25:35, 25:35] = 2
    image = np.where(labels == 1, 100.0, np.where(labels == 2, 20.0, 0.0))
    crops = [crop_object(labels, [image], k, margin=0.5) for k in (1, 2)]
    shared = render_tiles(crops, size=20, outline=None)
    each = render_tiles(crops, size=20, outline=None, contrast="tile")
    centre = (slice(8, 12), slice(8, 12))
    assert shared[0][centre].mean() > 2 * shared[1][centre].mean()
    assert each[1][centre].mean() > 200  # every tile stretched on its own
    with pytest.raises(ValueError, match="contrast"):
        render_tiles(crops, contrast="auto")


def test_channels_make_a_composite_in_their_colours():
    assert channel_colors(1) == [(1.0, 1.0, 1.0)]
    assert channel_colors(2) == [(0.0, 1.0, 0.0), (1.0, 0.0, 1.0)]
    assert channel_colors(3, ["x_R", "x_G", "x_B"])[0] == (1.0, 0.0, 0.0)
    labels = np.zeros((20, 20), np.int32)
    labels[5:15, 5:15] = 1
    a = np.where(labels == 1, 1.0, 0.0)
    crop = crop_object(labels, [a, np.zeros_like(a)], 1)
    tile = render_tiles([crop], size=crop.mask.shape[0], outline=None)[0]
    inside = tile[crop.mask]
    assert (inside[:, 1] == 255).all() and (inside[:, [0, 2]] == 0).all()


def test_objects_without_images_show_their_mask():
    labels, _ = _scene()
    crop = crop_object(labels, [], 1)
    tile = render_tiles([crop], size=crop.mask.shape[0], outline=None)[0]
    assert (tile[crop.mask] > 150).all() and (tile[~crop.mask] == 0).all()


def test_a_3d_object_shows_its_largest_plane():
    labels = np.zeros((5, 30, 30), np.int32)
    labels[1, 10:12, 10:12] = 4
    labels[3, 8:18, 8:18] = 4
    image = np.zeros(labels.shape, np.float32)
    image[3] = 7.0
    crop = crop_object(labels, [image], 4)
    assert crop.mask.sum() == 100 and np.nanmax(crop.channels) == 7.0


def test_one_pass_finds_every_box():
    labels, _ = _scene()
    boxes = object_boxes(labels, [2, 1, 9])
    assert set(boxes) == {1, 2}  # 9 is not there
    assert boxes[1] == (slice(20, 30), slice(30, 36))
    with pytest.raises(ValueError, match="not in the image"):
        crop_object(labels, [], 9)
    with pytest.raises(ValueError, match="does not match"):
        crop_object(labels, [np.zeros((5, 5))], 1)


def test_the_grid_frames_every_tile_by_its_kind():
    tiles = [np.full((10, 10, 3), 100, np.uint8) for _ in range(5)]
    kinds = ["central", "central", "random", "random", "random"]
    grid = gallery_grid(tiles, kinds, ["1", "2", "3", "4", "5"], columns=3)
    frame, gap = 3, 2
    step = 10 + 2 * frame + gap
    assert grid.shape == (gap + 2 * step, gap + 3 * step, 3)
    orange = np.array([255, 140, 0], np.uint8)
    blue = np.array([30, 144, 255], np.uint8)
    assert KIND_COLORS["central"] == "#ff8c00"
    np.testing.assert_array_equal(grid[gap, gap], orange)  # tile 0
    np.testing.assert_array_equal(grid[gap, gap + 2 * step], blue)  # tile 2
    assert (grid[gap + step :, gap + 2 * step :] == 0).all()  # no sixth tile
    # the caption is written into the tile
    plain = gallery_grid(tiles, kinds, columns=3)
    assert not np.array_equal(plain, grid)
    assert frame_tile(tiles[0], "random").shape == (16, 16, 3)
    with pytest.raises(ValueError, match="unknown tile kind"):
        frame_tile(tiles[0], "other")
    with pytest.raises(ValueError, match="one kind"):
        gallery_grid(tiles, kinds[:2])
