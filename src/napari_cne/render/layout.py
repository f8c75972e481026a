"""Framing an embedding beside the image it came from (numpy only)."""

from __future__ import annotations

import numpy as np

__all__ = ["Box", "box_beside", "fit_box", "layout_span", "point_size"]

#: (top, left, height, width) of a rectangle in world coordinates.
Box = tuple[float, float, float, float]

DEFAULT_BOX: Box = (0.0, 0.0, 512.0, 512.0)


def box_beside(extent: np.ndarray | None, gap: float = 0.06) -> Box:
    """Square of the image's height, just to the right of the image.

    Parameters
    ----------
    extent : array of shape (2, ndim) or None
        World extent ``[[min...], [max...]]`` of the source layer (the last
        two axes are used). ``None`` or a degenerate extent gives a default
        512 x 512 box at the origin.
    gap : float
        Space between image and layout, as a fraction of the height.

    Returns
    -------
    Box
        ``(top, left, height, width)``.
    """
    if extent is None:
        return DEFAULT_BOX
    ext = np.asarray(extent, dtype=float)
    if ext.shape[0] != 2 or ext.shape[1] < 2 or not np.all(np.isfinite(ext)):
        return DEFAULT_BOX
    (y0, x0), (y1, x1) = ext[0, -2:], ext[1, -2:]
    h = y1 - y0
    if not h > 0:
        h = max(x1 - x0, 0.0)
    if not h > 0:
        return DEFAULT_BOX
    return (float(y0), float(x1 + gap * h), float(h), float(h))


def _robust_bounds(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis (low, high) of the finite rows: 0.5-99.5 percentile from 200 rows."""
    finite = np.all(np.isfinite(Y), axis=1)
    Yf = Y[finite] if finite.any() else np.zeros((1, Y.shape[1]))
    if len(Yf) >= 200:
        lo, hi = np.percentile(Yf, [0.5, 99.5], axis=0)
    else:
        lo, hi = Yf.min(axis=0), Yf.max(axis=0)
    return lo, hi


def layout_span(Y: np.ndarray) -> float:
    """Larger side of a 2-D layout's bounding box, ignoring a few outliers.

    The same measure :func:`fit_box` scales by (0.5-99.5 percentile for 200
    points or more). Returns 0.0 for an empty or single-point layout.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or len(Y) == 0:
        return 0.0
    lo, hi = _robust_bounds(Y)
    return float(np.max(hi - lo))


def fit_box(
    Y: np.ndarray, box: Box, margin: float = 0.04, like: np.ndarray | None = None
) -> np.ndarray:
    """Scale and translate a 2-D layout into ``box``, keeping its aspect ratio.

    The layout's larger span (0.5-99.5 percentile for big layouts, so that a
    few outliers do not shrink everything) fills the box minus ``margin``
    on each side; the layout is centred in the box.

    Parameters
    ----------
    Y : ndarray, shape (n, 2)
        Layout (column 0 is drawn vertically, column 1 horizontally).
    box : Box
        Target ``(top, left, height, width)``.
    margin : float
        Fraction of the box left free on each side.
    like : ndarray, shape (m, 2), optional
        Scale and translate ``Y`` as this layout would be (new points placed
        into a fitted layout land where they belong beside it).

    Returns
    -------
    ndarray of float64, shape (n, 2)
        World coordinates.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] != 2:
        raise ValueError(f"expected an (n, 2) layout; got shape {Y.shape}")
    top, left, h, w = box
    if len(Y) == 0:
        return Y.copy()
    lo, hi = _robust_bounds(Y if like is None else np.asarray(like, np.float64))
    centre = (lo + hi) / 2
    span = float(np.max(hi - lo))
    size = min(h, w) * (1 - 2 * margin)
    scale = size / span if span > 0 else 1.0
    out = (Y - centre) * scale
    out[:, 0] += top + h / 2
    out[:, 1] += left + w / 2
    return out


def point_size(n: int, height: float) -> float:
    """Point diameter (world units) so that ``n`` points read well in a box.

    About a third of the spacing of ``n`` points on a square grid, clamped
    to 0.4 % ... 3 % of the box height.
    """
    n = max(int(n), 1)
    size = 0.4 * height / np.sqrt(n)
    return float(np.clip(size, 0.004 * height, 0.03 * height))
