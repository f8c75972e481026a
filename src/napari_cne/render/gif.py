"""Animated GIF of a spectrum sweep (numpy + matplotlib + imageio; no Qt).

Usable from scripts::

    from napari_cne import ContrastiveEmbedding, iter_spectrum_sweep
    from napari_cne.render import save_sweep_gif

    model = ContrastiveEmbedding(s=1.0, random_state=0).fit(X)
    s_values = [-1, -0.5, 0, 0.5, 1, 1.5, 2]
    layouts = [None] * len(s_values)
    for i, snap in iter_spectrum_sweep(model, s_values):
        layouts[i] = snap.embedding
    save_sweep_gif("sweep.gif", layouts, s_values, colors=y)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..engine.spectrum import describe_s
from .colors import column_colors

__all__ = ["align_layouts", "render_sweep_frames", "save_sweep_gif"]


def align_layouts(
    layouts: Sequence[np.ndarray], anchor: int | None = None
) -> list[np.ndarray]:
    """Rotate/reflect each layout to line up with its neighbour on the spectrum.

    Layouts far along the spectrum can come out rotated or mirrored with
    respect to their warm-start neighbour (the loss is invariant to that),
    which makes a sweep jump when scrubbed. Each layout is matched to the
    previous one, walking outwards from ``anchor``, by an orthogonal
    Procrustes fit (rotation or reflection about the centroid only: all
    distances are unchanged).

    Parameters
    ----------
    layouts : sequence of ndarray, each of shape (n, 2)
        Layouts in spectrum order.
    anchor : int, optional
        Index of the layout that stays as it is (default: the middle one).

    Returns
    -------
    list of ndarray
    """
    from scipy.linalg import orthogonal_procrustes

    out = [np.asarray(Y, dtype=np.float64) for Y in layouts]
    if len(out) < 2:
        return out
    anchor = len(out) // 2 if anchor is None else int(anchor)

    def fit(i: int, ref: int) -> None:
        Y, R = out[i], out[ref]
        c = Y.mean(axis=0)
        Q, _ = orthogonal_procrustes(Y - c, R - R.mean(axis=0))
        out[i] = (Y - c) @ Q + c

    for i in range(anchor + 1, len(out)):
        fit(i, i - 1)
    for i in range(anchor - 1, -1, -1):
        fit(i, i + 1)
    return out


def _normalise(Y: np.ndarray) -> np.ndarray:
    """Centre and scale a layout to a unit box (keeps aspect ratio)."""
    Y = np.asarray(Y, dtype=np.float64)
    lo, hi = np.nanpercentile(Y, [0.5, 99.5], axis=0)
    span = float(np.max(hi - lo)) or 1.0
    return (Y - (lo + hi) / 2) / span


def _colors_for(colors, n: int) -> np.ndarray:
    """RGBA rows for the frames: given rows, or values through :func:`column_colors`."""
    if colors is None:
        return column_colors(None, n)
    c = np.asarray(colors)
    if c.ndim == 2 and c.shape in ((n, 3), (n, 4)):
        return np.clip(c.astype(float), 0, 1)
    if c.ndim == 1 and len(c) == n:
        return column_colors(pd.Series(c), n)
    raise ValueError(
        f"colors must be n RGB(A) rows or n values (n = {n}); got shape {c.shape}"
    )


def render_sweep_frames(
    embeddings: Sequence[np.ndarray] | np.ndarray,
    s_values: Sequence[float],
    colors=None,
    *,
    interpolate: int = 3,
    size_inches: float = 4.0,
    dpi: int = 100,
    point_size: float | None = None,
) -> list[np.ndarray]:
    """Render one RGB frame per layout, with interpolated frames in between.

    Parameters
    ----------
    embeddings : sequence of ndarray, each of shape (n, 2)
        Layouts along the spectrum, in the order of ``s_values``.
    s_values : sequence of float
        Spectrum position of each layout.
    colors : array, optional
        Per-point RGB(A) rows in [0, 1], or one value per point (numbers go
        and categories are coloured as everywhere: :mod:`.colors`).
    interpolate : int
        Frames blended linearly between neighbouring layouts (0: none). The
        sweep is warm-started, so neighbouring layouts are aligned and the
        blend reads as a glide.
    size_inches, dpi : float, int
        Frame size.
    point_size : float, optional
        Marker area in points^2 (default adapts to n).

    Returns
    -------
    list of ndarray of uint8, shape (h, w, 3)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layouts = [_normalise(Y) for Y in embeddings]
    s_values = [float(s) for s in s_values]
    if len(layouts) != len(s_values) or not layouts:
        raise ValueError("need one layout per s value (and at least one)")
    n = layouts[0].shape[0]
    if any(Y.shape != (n, 2) for Y in layouts):
        raise ValueError("all layouts must have the same shape (n, 2)")
    c = _colors_for(colors, n)
    if point_size is None:
        point_size = float(np.clip(4000.0 / n, 1.0, 30.0))

    steps: list[tuple[np.ndarray, float]] = []
    k = max(int(interpolate), 0) + 1
    for i, (Y, s) in enumerate(zip(layouts, s_values, strict=True)):
        steps.append((Y, s))
        if i + 1 < len(layouts):
            Y2, s2 = layouts[i + 1], s_values[i + 1]
            for j in range(1, k):
                t = j / k
                steps.append(((1 - t) * Y + t * Y2, (1 - t) * s + t * s2))

    fig = Figure(figsize=(size_inches, size_inches), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
    # a small spectrum scale under the layout: where are we, t-SNE ... UMAP?
    bar = fig.add_axes((0.1, 0.06, 0.8, 0.001))
    lo, hi = min(min(s_values), 0.0), max(max(s_values), 1.0)
    bar.set_xlim(lo, hi)
    bar.set_yticks([])
    ticks = sorted({lo, 0.0, 1.0, hi})
    bar.set_xticks(ticks)
    names = {0.0: "t-SNE", 1.0: "UMAP"}
    bar.set_xticklabels([names.get(t, f"{t:g}") for t in ticks], fontsize=8)
    for side in ("left", "right", "top"):
        bar.spines[side].set_visible(False)
    (marker,) = bar.plot([s_values[0]], [0], marker="v", color="crimson", ms=8)
    marker.set_clip_on(False)
    frames = []
    for Y, s in steps:
        ax.clear()
        ax.scatter(Y[:, 1], Y[:, 0], c=c, s=point_size, linewidths=0)
        ax.set_xlim(-0.6, 0.6)
        ax.set_ylim(0.6, -0.6)  # rows grow downwards, as in napari
        ax.set_aspect("equal")
        ax.set_axis_off()
        marker.set_data([s], [0.0])
        marker.set_transform(bar.get_xaxis_transform())
        fig.suptitle(f"s = {s:+.2f}  ({describe_s(s)})", fontsize=11)
        canvas.draw()
        frames.append(np.asarray(canvas.buffer_rgba())[..., :3].copy())
    return frames


def save_sweep_gif(
    path: str | Path,
    embeddings: Sequence[np.ndarray] | np.ndarray,
    s_values: Sequence[float],
    colors=None,
    *,
    fps: float = 6.0,
    hold: int = 3,
    align: bool = True,
    interpolate: int = 3,
    size_inches: float = 4.0,
    dpi: int = 100,
) -> Path:
    """Write a spectrum sweep as an animated, looping GIF.

    Parameters
    ----------
    path : str or Path
        Output file (``.gif``).
    embeddings, s_values, colors, interpolate, size_inches, dpi :
        As for :func:`render_sweep_frames`.
    fps : float
        Frames per second.
    hold : int
        Each exact (non-interpolated) frame stays ``1 + hold`` frame times
        on screen, so the eye can rest on the computed layouts.
    align : bool
        Line the layouts up first (:func:`align_layouts`, anchored at the
        layout closest to s = 1).

    Returns
    -------
    Path
        The written file.
    """
    import imageio.v3 as iio

    if align:
        anchor = int(np.argmin(np.abs(np.asarray(s_values, dtype=float) - 1.0)))
        embeddings = align_layouts(embeddings, anchor)
    frames = render_sweep_frames(
        embeddings,
        s_values,
        colors,
        interpolate=interpolate,
        size_inches=size_inches,
        dpi=dpi,
    )
    k = max(int(interpolate), 0) + 1
    base = 1000.0 / fps
    # exact layouts stay on screen (1 + hold) times longer than blends
    durations = [
        int(round(base * (1 + max(int(hold), 0)))) if i % k == 0 else int(round(base))
        for i in range(len(frames))
    ]
    path = Path(path)
    iio.imwrite(path, np.stack(frames), extension=".gif", duration=durations, loop=0)
    return path
