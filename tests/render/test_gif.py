"""The GIF export works without Qt (numpy + matplotlib + imageio)."""

import numpy as np
import pytest

from napari_cne.engine.spectrum import describe_s
from napari_cne.render.gif import render_sweep_frames, save_sweep_gif


def test_describe_s():
    assert describe_s(0) == "t-SNE-like"
    assert describe_s(1) == "UMAP-like"
    assert "between" in describe_s(0.5)
    assert describe_s(-1).startswith("beyond t-SNE")
    assert describe_s(2).startswith("beyond UMAP")


def test_save_sweep_gif(tmp_path):
    import imageio.v3 as iio

    rng = np.random.default_rng(0)
    layouts = [rng.normal(size=(50, 2)) * (i + 1) for i in range(3)]
    colors = np.arange(50.0)
    out = save_sweep_gif(
        tmp_path / "x.gif",
        layouts,
        [0, 0.5, 1],
        colors,
        fps=5,
        interpolate=2,
        hold=1,
        dpi=30,
    )
    frames = iio.imread(out)
    assert frames.shape[0] == 3 + 2 * 2  # 3 layouts + 2 blends between each pair
    assert iio.immeta(out)["loop"] == 0
    durations = [iio.immeta(out, index=i)["duration"] for i in range(7)]
    assert durations[0] == 2 * durations[1] and durations[3] == durations[0]
    frames = render_sweep_frames(
        layouts, [0, 0.5, 1], np.array(list("ab") * 25), dpi=20
    )
    assert len(frames) == 3 + 2 * 3 and frames[0].dtype == np.uint8
    with pytest.raises(ValueError, match="one layout per s"):
        render_sweep_frames(layouts, [0, 1])
    with pytest.raises(ValueError, match="colors"):
        render_sweep_frames(layouts, [0, 0.5, 1], np.ones(3))


def test_align_layouts_undoes_rotation_and_reflection():
    from napari_cne.render.gif import align_layouts

    rng = np.random.default_rng(2)
    a = rng.normal(size=(40, 2))
    theta = 2.0
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    b = (a @ rot) * [1, -1] + 5.0  # rotated, mirrored and shifted
    out = align_layouts([a, b], anchor=0)
    assert np.allclose(out[0], a)
    assert np.allclose(out[1] - out[1].mean(0), a - a.mean(0), atol=1e-8)
    # distances are unchanged
    d = np.linalg.norm(out[1][:, None] - out[1][None], axis=-1)
    d0 = np.linalg.norm(b[:, None] - b[None], axis=-1)
    assert np.allclose(d, d0)
