"""The density picture of a dense layout (numpy/numba only)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_cne.render.density import (
    DEFAULT_BINS,
    MAJORITY_MAX,
    DensityStack,
    bin_colors,
    density_rgba,
    grid_of,
    selection_rgba,
)


def test_the_grid_holds_every_point_in_its_own_bin():
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(5000, 2)) * [3.0, 1.0] + [10, -4]
    g = grid_of(Y)
    assert max(g.shape) == DEFAULT_BINS and g.shape[1] < g.shape[0]
    idx = g.index(Y)
    i, j = np.divmod(idx, g.shape[1])
    # the bin's square (in world units, as napari places the picture)
    centre = np.stack([i, j], axis=1) * g.step + np.asarray(g.translate)
    assert (np.abs(Y - centre) <= g.step / 2 + 1e-9).all()
    assert g.scale == (g.step, g.step)


def test_rows_that_are_not_finite_have_no_bin():
    Y = np.array([[0.0, 0.0], [np.nan, 1.0], [1.0, np.inf], [1.0, 1.0]])
    idx = grid_of(Y, bins=4).index(Y)
    assert idx[1] == -1 and idx[2] == -1 and (idx[[0, 3]] >= 0).all()
    pic = density_rgba(grid_of(Y, bins=4), idx, bin_colors(np.ones((4, 4))))
    assert (pic[..., 3] > 0).sum() == 2


def test_bad_layouts_are_refused():
    with pytest.raises(ValueError, match="2-D layout"):
        grid_of(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="2 bins"):
        grid_of(np.zeros((3, 2)), bins=1)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        bin_colors(np.zeros((3, 3)))


def test_opacity_grows_with_the_log_of_the_count():
    Y = np.array([[0.0, 0.0]] * 100 + [[0.0, 9.0]] * 10 + [[9.0, 9.0]])
    g = grid_of(Y, bins=10)
    pic = density_rgba(g, g.index(Y), bin_colors(np.ones((len(Y), 4))))
    a = pic[..., 3][pic[..., 3] > 0]
    assert sorted(a) == sorted(set(a)) and len(a) == 3
    assert a.max() == 255 and a.min() >= 0.3 * 255 - 1
    assert (pic[..., :3][pic[..., 3] > 0] == 255).all()


def test_few_colours_show_the_most_frequent_many_the_mean():
    Y = np.zeros((10, 2))
    Y[:, 1] = [0] * 5 + [5] * 5
    g = grid_of(Y, bins=8)
    idx = g.index(Y)
    red, blue = [1, 0, 0, 1], [0, 0, 1, 1]
    rgba = np.array([red] * 3 + [blue] * 2 + [blue] * 4 + [red])
    colors = bin_colors(rgba)
    assert colors.codes is not None
    pic = density_rgba(g, idx, colors)
    first, second = np.unravel_index(idx[[0, 5]], g.shape)
    assert list(pic[first[0], second[0], :3]) == [255, 0, 0]
    assert list(pic[first[1], second[1], :3]) == [0, 0, 255]
    # a colormap's many colours: each bin shows their mean
    n = 4 * (MAJORITY_MAX + 1)
    grey = np.linspace(0, 1, n)
    rgba = np.column_stack([grey, grey, grey, np.ones(n)])
    Y = np.zeros((n, 2))
    Y[n // 2 :, 1] = 5
    g = grid_of(Y, bins=8)
    idx = g.index(Y)
    colors = bin_colors(rgba)
    assert colors.codes is None
    pic = density_rgba(g, idx, colors)
    i, j = np.unravel_index(idx[0], g.shape)
    assert abs(int(pic[i, j, 0]) - round(255 * grey[: n // 2].mean())) <= 1


def test_faded_points_count_less():
    Y = np.zeros((4, 2))
    rgba = np.array([[1, 0, 0, 1.0], [0, 0, 1, 0.1], [0, 0, 1, 0.1], [0, 0, 1, 0.1]])
    g = grid_of(Y, bins=2)
    pic = density_rgba(g, g.index(Y), bin_colors(rgba))
    assert list(pic[..., :3][pic[..., 3] > 0][0]) == [255, 0, 0]


def test_the_selection_picture_lights_its_bins_only():
    Y = np.array([[0.0, 0.0], [0.0, 9.0], [9.0, 9.0]])
    g = grid_of(Y, bins=10)
    idx = g.index(Y)
    pic = selection_rgba(g, idx[[0, 2]], (1.0, 0.1, 0.85, 1.0))
    lit = np.flatnonzero(pic[..., 3].ravel() > 0)
    assert sorted(lit) == sorted(idx[[0, 2]])
    assert (pic[..., 3].ravel()[lit] >= 127).all()
    assert list(pic.reshape(-1, 4)[lit[0], :3]) == [255, 26, 217]


def test_the_bin_under_a_position_is_the_one_its_point_falls_in():
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(300, 2))
    g = grid_of(Y, bins=16)
    assert [g.bin_at(y) for y in Y] == list(g.index(Y))
    assert g.bin_at(Y.min(axis=0) - 2 * g.step) == -1
    assert g.bin_at(Y.max(axis=0) + 2 * g.step) == -1


def test_a_stack_bins_every_layout_on_one_grid_in_the_same_colours():
    rng = np.random.default_rng(1)
    first = rng.normal(size=(500, 2))
    second = first * 3 + 10  # the same points, moved and spread out
    stack = DensityStack.of([first, second], bins=64)
    for Y, index in zip((first, second), stack.index, strict=True):
        assert np.array_equal(index, stack.grid.index(Y))  # one grid for both
        assert (index >= 0).all()
    rgba = np.tile([0.2, 0.4, 0.6, 1.0], (500, 1))
    rgba[:250] = [1.0, 0.0, 0.0, 1.0]
    pictures = stack.rgba(rgba)
    assert pictures.shape == (2, *stack.grid.shape, 4) and pictures.dtype == np.uint8
    for k, index in enumerate(stack.index):
        flat = pictures[k].reshape(-1, 4)
        assert (flat[index, 3] > 0).all()  # every point's bin is drawn
        empty = np.setdiff1d(np.arange(stack.grid.size), index)
        assert (flat[empty, 3] == 0).all()
        # a bin of red points only is red, in each layout
        only_red = np.setdiff1d(index[:250], index[250:])
        assert len(only_red) and (flat[only_red, :3] == [255, 0, 0]).all()


def test_a_stack_refuses_layouts_of_other_points_and_other_colours():
    with pytest.raises(ValueError, match="same points"):
        DensityStack.of([np.zeros((3, 2)), np.zeros((4, 2))])
    stack = DensityStack.of([np.random.default_rng(0).normal(size=(5, 2))])
    with pytest.raises(ValueError, match="4 colours for 5 points"):
        stack.rgba(np.ones((4, 4)))
