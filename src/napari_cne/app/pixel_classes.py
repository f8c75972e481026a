"""Classes or clusters of the fitted pixels, mapped to every pixel of the image.

After "Place every pixel" each pixel of the image has coordinates in the
layout (a :class:`~napari_cne.features.pixel_map.PixelMap`). A class per
fitted pixel (a predicted class, :mod:`.predict`, or a cluster) reaches
every pixel through the layout: each pixel takes the class of the fitted
pixel nearest to it there (scikit-learn's ``KDTree`` on the layout, queried
a band of rows at a time, so the coordinates may be a Zarr array on disk).
The layout is where the map placed the pixel from its own channel values
(the fitted pixels nearest in feature space, or the network), so this is
a few-click (or unsupervised) pixel classifier that costs one 2-D
neighbour query per pixel.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BAND_ROWS", "pixel_class_image"]

#: rows of the pixel grid looked up at a time
BAND_ROWS = 256


def _dtype(n_classes: int):
    if n_classes < 255:
        return np.uint8
    return np.uint16 if n_classes < 65535 else np.int32


def pixel_class_image(
    coords, layout: np.ndarray, codes, *, rows: int = BAND_ROWS
) -> np.ndarray:
    """Return the class of every placed pixel as a label image.

    Parameters
    ----------
    coords : array (n_components, *spatial)
        Every pixel's place in the layout (NaN: not placed); numpy or Zarr.
    layout : ndarray (n_fitted, n_components)
        The layout the pixels were placed on (the fitted pixels' coordinates).
    codes : int array (n_fitted,)
        The class of each fitted pixel: ``0 ...``, or ``-1`` for none.
    rows : int
        Rows of the first spatial axis looked up at a time.

    Returns
    -------
    ndarray of the spatial shape
        0 where a pixel is not placed (or its nearest fitted pixel has no
        class), else the class code + 1.

    Raises
    ------
    ValueError
        When the sizes do not match.
    """
    from sklearn.neighbors import KDTree

    layout = np.asarray(layout, np.float64)
    codes = np.asarray(codes, np.int64).ravel()
    c = int(coords.shape[0])
    if layout.ndim != 2 or layout.shape[1] != c:
        raise ValueError(
            f"the layout has shape {layout.shape}; the pixels have {c} coordinates"
        )
    if len(codes) != len(layout):
        raise ValueError(
            f"got {len(codes)} classes for {len(layout)} fitted pixels: run the "
            "prediction on this fit again"
        )
    spatial = tuple(coords.shape[1:])
    n_classes = int(codes.max(initial=-1)) + 1
    out = np.zeros(spatial, _dtype(n_classes))
    values = (codes + 1).astype(out.dtype)
    tree = KDTree(layout)
    for start in range(0, spatial[0], int(rows)):
        block = np.asarray(coords[:, start : start + rows], np.float64)
        flat = block.reshape(c, -1).T
        ok = np.isfinite(flat).all(axis=1)
        labels = np.zeros(len(flat), out.dtype)
        if ok.any():
            nearest = tree.query(flat[ok], k=1, return_distance=False)[:, 0]
            labels[ok] = values[nearest]
        out[start : start + rows] = labels.reshape(block.shape[1:])
    return out
