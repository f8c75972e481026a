"""Colours that encode a place in the embedding, for painting it back on images.

Each point (or pixel) gets the colour of its position in a perceptually
uniform colour plane: the embedding's two coordinates are the CIELAB
``a*`` and ``b*`` axes at a fixed lightness (a third coordinate, if any,
sets the lightness). Nearby points get similar colours and far ones differ,
so an RGB image of a tissue coloured this way shows which regions sit
together in the embedding. The plane's range is robust (percentiles), so a
few outliers do not wash out the rest.
"""

from __future__ import annotations

import numpy as np

__all__ = ["position_bounds", "position_colors", "position_image", "position_legend"]

#: chroma radius in CIELAB units: inside the sRGB gamut at L* = 70 for most hues
CHROMA = 42.0
LIGHTNESS = 70.0
#: lightness range used by a third coordinate
LIGHTNESS_RANGE = (45.0, 85.0)


def _unit(values: np.ndarray, bounds) -> np.ndarray:
    lo, hi = bounds
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.clip((values - lo) / span * 2 - 1, -1, 1)


def position_bounds(Y: np.ndarray, q: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the robust range per coordinate: percentiles ``q`` and ``100 - q``."""
    Y = np.asarray(Y, np.float64).reshape(-1, np.shape(Y)[-1])
    finite = Y[np.isfinite(Y).all(axis=1)]
    if finite.shape[0] == 0:
        return np.zeros(Y.shape[1]), np.ones(Y.shape[1])
    return np.percentile(finite, q, axis=0), np.percentile(finite, 100 - q, axis=0)


def position_colors(Y, bounds=None) -> np.ndarray:
    """Return an RGBA colour per row of coordinates ``Y`` (n, 2 or 3), in [0, 1].

    Parameters
    ----------
    Y : array-like, shape (n, 2) or (n, 3)
        Embedding coordinates; rows with NaN get a transparent colour.
    bounds : (lo, hi), optional
        The coordinate range mapped onto the colour plane (default: the
        1st and 99th percentiles of ``Y``). Pass the range of the fitted
        layout to colour new points consistently with it.

    Returns
    -------
    ndarray, shape (n, 4), float32
    """
    from skimage.color import lab2rgb

    Y = np.asarray(Y, np.float64)
    if Y.ndim != 2 or Y.shape[1] not in (2, 3):
        raise ValueError(
            f"expected coordinates of shape (n, 2) or (n, 3); got {Y.shape}"
        )
    lo, hi = position_bounds(Y) if bounds is None else map(np.asarray, bounds)
    U = _unit(Y, (lo, hi))
    ok = np.isfinite(U).all(axis=1)
    U = np.where(ok[:, None], U, 0.0)
    lab = np.empty((Y.shape[0], 3))
    lab[:, 0] = LIGHTNESS
    if Y.shape[1] == 3:
        a, b = LIGHTNESS_RANGE
        lab[:, 0] = a + (U[:, 2] + 1) / 2 * (b - a)
    lab[:, 1] = CHROMA * U[:, 0]
    lab[:, 2] = CHROMA * U[:, 1]
    rgb = lab2rgb(lab[None])[0]
    rgba = np.concatenate([rgb, ok[:, None].astype(float)], axis=1)
    rgba[~ok, :3] = 0
    return rgba.astype(np.float32)


def position_legend(size: int = 64) -> np.ndarray:
    """Return an RGBA image of the colour plane: the key to :func:`position_colors`."""
    g = np.linspace(-1, 1, size)
    xx, yy = np.meshgrid(g, -g)
    Y = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return position_colors(Y, (np.array([-1, -1.0]), np.array([1, 1.0]))).reshape(
        size, size, 4
    )


def position_image(coords, bounds=None, out=None, rows: int = 512):
    """Return the RGB(A) image of per-pixel coordinates ``coords`` (c, *spatial).

    The colour of every pixel is its place in the embedding
    (:func:`position_colors`); unplaced (NaN) pixels are transparent. The
    image is made ``rows`` lines at a time, so a Zarr ``coords`` and a Zarr
    ``out`` (uint8, shape ``(*spatial, 4)``) keep memory bounded.

    Returns
    -------
    ndarray or the given ``out``, uint8, shape (*spatial, 4)
    """
    spatial = tuple(coords.shape[1:])
    c = coords.shape[0]
    if bounds is None:
        step = max(1, int(np.ceil((np.prod(spatial) / 2e5) ** (1 / len(spatial)))))
        sub = np.asarray(
            coords[(slice(None), *[slice(None, None, step)] * len(spatial))]
        )
        bounds = position_bounds(sub.reshape(c, -1).T)
    if out is None:
        out = np.zeros((*spatial, 4), np.uint8)
    for start in range(0, spatial[0], rows):
        block = np.asarray(coords[:, start : start + rows])
        rgba = position_colors(block.reshape(c, -1).T, bounds)
        out[start : start + rows] = (
            np.round(rgba * 255).astype(np.uint8).reshape(*block.shape[1:], 4)
        )
    return out
