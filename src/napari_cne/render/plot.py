"""Scatter plots of embeddings as image files (matplotlib, no pyplot, no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .colors import (
    MISSING_RGBA,
    UNIFORM_COLOR,
    category_colors,
    color_range,
    is_categorical,
)

__all__ = ["plot_embeddings", "plot_placed", "plot_position_key", "point_area"]


def point_area(n: int) -> float:
    """Return a marker area (points²) that keeps ``n`` points readable."""
    return float(np.clip(2.0e4 / max(n, 1), 0.3, 16.0))


def plot_embeddings(
    path: str | Path,
    panels: Sequence[tuple[str, np.ndarray]],
    colour: pd.Series | None = None,
    title: str = "",
    *,
    dpi: int = 100,
) -> Path:
    """Write scatter plots of one or more embeddings, coloured by a column.

    Parameters
    ----------
    path : str or Path
        Output file; the suffix picks the format (``.png``, ``.pdf``,
        ``.svg``, ...).
    panels : sequence of (title, ndarray of shape (n, >= 2))
        One panel per layout (the first two coordinates are drawn).
    colour : pandas.Series, optional
        One value per point. Numeric: viridis over its 1st-99th percentile
        and a colour bar; categorical (:func:`~.colors.is_categorical`): the
        category palette and a legend. Missing values are grey.
    title : str
        Figure title.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    Path
        The written file.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    n = panels[0][1].shape[0]
    order = np.random.default_rng(0).permutation(n)  # no class hides another
    style: dict = {"c": UNIFORM_COLOR}
    legend = None
    if colour is not None and is_categorical(colour):
        rgba, legend = category_colors(colour)
        style = {"c": rgba[order]}
    elif colour is not None:
        v = colour.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(v[order])
        order = np.concatenate([order[~ok], order[ok]])  # missing ones below
        lo, hi = color_range(colour) or (0.0, 1.0)
        cmap = colormaps["viridis"].with_extremes(bad=MISSING_RGBA)
        style = {"c": v[order], "cmap": cmap, "norm": Normalize(lo, hi)}
        style["plotnonfinite"] = True
    fig = Figure(figsize=(4.2 * len(panels) + 1.8, 4.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    mappable = None
    for ax, (name, Y) in zip(axes, panels, strict=True):
        mappable = ax.scatter(Y[order, 0], Y[order, 1], s=point_area(n), lw=0, **style)
        ax.set_title(name)
        ax.set_aspect("equal", "datalim")
        ax.set_xticks([])
        ax.set_yticks([])
    if "cmap" in style:
        fig.colorbar(
            mappable, ax=list(axes), label=str(colour.name), shrink=0.85, extend="both"
        )
    if legend:
        handles = [
            axes[0].scatter([], [], color=rgba, s=30, label=str(label))
            for label, rgba in legend.items()
        ]
        fig.legend(
            handles=handles,
            title=str(colour.name),
            loc="outside right center",
            frameon=False,
        )
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def _single_panel(title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.4, 4.8), layout="constrained")
    ax = fig.subplots()
    ax.set_aspect("equal", "datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig, ax


def plot_placed(
    path: str | Path,
    reference: np.ndarray,
    placed: np.ndarray,
    title: str = "",
    *,
    dpi: int = 100,
) -> Path:
    """Write new points drawn over the map they were placed in.

    The fitted layout (``reference``) in light grey, the placed points
    (``placed``) on top in one strong colour, with a legend: where new
    objects landed among the old ones.
    """
    fig, ax = _single_panel(title)
    reference, placed = np.asarray(reference), np.asarray(placed)
    ax.scatter(
        reference[:, 0],
        reference[:, 1],
        s=point_area(len(reference)),
        lw=0,
        c="#c8c8c8",
        label=f"fitted map ({len(reference)})",
    )
    ax.scatter(
        placed[:, 0],
        placed[:, 1],
        s=max(point_area(len(placed)), 4.0),
        lw=0,
        c="#e8590c",
        label=f"placed ({len(placed)})",
    )
    ax.legend(loc="best", frameon=False, markerscale=2)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path


def plot_position_key(
    path: str | Path, Y: np.ndarray, title: str = "", *, dpi: int = 100
) -> Path:
    """Write the embedding with every point in the colour of its place.

    The key to the RGB picture of every pixel's place
    (:func:`~.position_colors.position_image`): a pixel of that picture has
    the colour its point has here.
    """
    from .position_colors import position_bounds, position_colors

    Y = np.asarray(Y)
    fig, ax = _single_panel(title)
    rgba = position_colors(Y, position_bounds(Y))
    ax.scatter(Y[:, 0], Y[:, 1], s=point_area(len(Y)), lw=0, c=rgba)
    path = Path(path)
    fig.savefig(path, dpi=dpi)
    return path
