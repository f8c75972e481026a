"""A dense 2-D layout drawn as a picture: a log-scaled 2-D histogram.

Hundreds of thousands of points cost napari's Points layer seconds per
update (docs/performance.md, "A million objects"); a histogram of the same
layout costs tens of milliseconds and shows the same structure. Each bin is
drawn in the colour of its points (the most frequent one when the points
have few distinct colours, e.g. classes or clusters; their mean otherwise,
e.g. a colormap) with an opacity that grows with the logarithm of how many
points it holds; a selection is a second picture of its own bins. Several
layouts of the same points (a spectrum sweep) share one grid
(:class:`DensityStack`), so that scrubbing through them keeps the picture
in place.

numpy and numba (kernels that release the GIL, so a picture can be made in
a thread beside the GUI's); the widget puts the pictures into napari Image
layers with :attr:`Grid.scale` and :attr:`Grid.translate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = [
    "DEFAULT_BINS",
    "MAJORITY_MAX",
    "BinColors",
    "DensityStack",
    "Grid",
    "bin_colors",
    "density_rgba",
    "grid_of",
    "selection_rgba",
]

#: bins along the layout's longer side
DEFAULT_BINS = 512
#: up to this many distinct point colours, a bin shows its most frequent one
MAJORITY_MAX = 64
#: opacity of a bin holding one point; the fullest bin is opaque
MIN_ALPHA = 0.3
#: fraction of the layout's span left empty around it
MARGIN = 0.02


@dataclass(frozen=True)
class Grid:
    """Square bins over a 2-D layout (axis 0 is the picture's rows).

    Attributes
    ----------
    lo : ndarray of shape (2,)
        World coordinates of the first bin's corner.
    step : float
        The side of a bin.
    shape : tuple of int
        Bins along axis 0 and 1.
    """

    lo: np.ndarray
    step: float
    shape: tuple[int, int]

    @property
    def size(self) -> int:
        """The number of bins."""
        return self.shape[0] * self.shape[1]

    @property
    def scale(self) -> tuple[float, float]:
        """The picture's scale in world units (one bin)."""
        return (self.step, self.step)

    @property
    def translate(self) -> tuple[float, float]:
        """Where the first bin's centre lies in the world."""
        return tuple(float(v) + self.step / 2 for v in self.lo)

    def bin_at(self, yx) -> int:
        """Return the flat bin under one world position (-1: outside the grid)."""
        ij = np.floor((np.asarray(yx, float)[-2:] - self.lo) / self.step)
        if (ij < 0).any() or (ij >= np.asarray(self.shape)).any():
            return -1
        return int(ij[0]) * self.shape[1] + int(ij[1])

    def index(self, Y: np.ndarray) -> np.ndarray:
        """Return the flat bin of every row (-1 for a row that is not finite)."""
        Y = np.ascontiguousarray(np.asarray(Y)[:, :2], dtype=np.float64)
        out = np.empty(len(Y), np.int64)
        h, w = self.shape
        _index(Y, float(self.lo[0]), float(self.lo[1]), float(self.step), h, w, out)
        return out


@njit(cache=True, nogil=True)
def _index(Y, lo0, lo1, step, h, w, out):
    for r in range(Y.shape[0]):
        a, b = (Y[r, 0] - lo0) / step, (Y[r, 1] - lo1) / step
        if not (np.isfinite(a) and np.isfinite(b)):
            out[r] = -1
            continue
        i = min(max(int(np.floor(a)), 0), h - 1)
        j = min(max(int(np.floor(b)), 0), w - 1)
        out[r] = i * w + j


@njit(cache=True, nogil=True)
def _accumulate(index, weights, codes, k, rgb, counts, votes, sums):
    """Sum every point's weight into its bin, and its vote or colour there.

    With ``codes``: into its colour's vote; else its weighted ``rgb``.
    """
    use_w = weights.shape[0] > 0
    by_vote = codes.shape[0] > 0
    for r in range(index.shape[0]):
        b = index[r]
        if b < 0:
            continue
        wt = weights[r] if use_w else 1.0
        counts[b] += wt
        if by_vote:
            votes[b * k + codes[r]] += wt
        else:
            for c in range(3):
                sums[b, c] += wt * rgb[r, c]


def grid_of(Y: np.ndarray, bins: int = DEFAULT_BINS) -> Grid:
    """Return the grid of ``bins`` bins along the longer side of a 2-D layout.

    Raises
    ------
    ValueError
        For a layout that is not 2-D or ``bins < 2``.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[1] != 2:
        raise ValueError(f"a density needs a 2-D layout, not shape {Y.shape}")
    if int(bins) < 2:
        raise ValueError(f"a density needs at least 2 bins, not {bins}")
    finite = np.isfinite(Y).all(axis=1)
    if not finite.any():
        return Grid(np.zeros(2), 1.0, (int(bins), int(bins)))
    Yf = Y[finite] if not finite.all() else Y
    lo, hi = Yf.min(axis=0).astype(float), Yf.max(axis=0).astype(float)
    span = float(np.max(hi - lo)) or 1.0
    lo, hi = lo - MARGIN * span, hi + MARGIN * span
    step = span * (1 + 2 * MARGIN) / int(bins)
    shape = tuple(int(v) for v in np.maximum(np.ceil((hi - lo) / step - 1e-9), 1))
    return Grid(lo, step, (min(shape[0], int(bins)), min(shape[1], int(bins))))


# empty arrays for the kernels' unused arguments
_NO_WEIGHTS = np.zeros(0, np.float32)
_NO_CODES = np.zeros(0, np.int64)
_NO_RGB = np.zeros((0, 3), np.float32)
_NO_SUMS = np.zeros((0, 3), np.float32)


@dataclass(frozen=True)
class BinColors:
    """The points' colours, ready to be summed per bin.

    Either ``codes`` into ``palette`` (few distinct colours: each bin shows
    its most frequent one) or ``rgba`` (each bin shows the mean).
    ``weights`` is every point's opacity (faded points count less).
    """

    codes: np.ndarray | None
    palette: np.ndarray | None
    rgba: np.ndarray | None
    weights: np.ndarray | None


def bin_colors(rgba: np.ndarray) -> BinColors:
    """Prepare ``(n, 4)`` point colours (floats in 0..1) for :func:`density_rgba`."""
    rgba = np.asarray(rgba, dtype=np.float32)
    if rgba.ndim != 2 or rgba.shape[1] != 4:
        raise ValueError(f"point colours must have shape (n, 4), not {rgba.shape}")
    alpha = rgba[:, 3]
    uniform = len(alpha) == 0 or bool((alpha == alpha[0]).all())
    weights = None if uniform else np.ascontiguousarray(alpha)
    q = np.round(np.clip(rgba[:, :3], 0, 1) * 255).astype(np.uint32)
    packed = (q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]
    values, codes = np.unique(packed, return_inverse=True)
    if len(values) <= MAJORITY_MAX:
        palette = np.stack(
            [(values >> 16) & 255, (values >> 8) & 255, values & 255], axis=1
        ).astype(np.float32)
        codes = np.ascontiguousarray(codes.ravel(), np.int64)
        return BinColors(codes, palette / 255, None, weights)
    return BinColors(None, None, np.ascontiguousarray(rgba[:, :3]), weights)


def _opacity(counts: np.ndarray) -> np.ndarray:
    """Opacity per bin: 0 where empty, then log-scaled up to 1."""
    top = float(counts.max()) if counts.size else 0.0
    alpha = np.zeros(counts.shape, np.float32)
    full = counts > 0
    if top > 0:
        alpha[full] = MIN_ALPHA + (1 - MIN_ALPHA) * (
            np.log1p(counts[full]) / np.log1p(top)
        )
    return alpha


def _to_uint8(rgb: np.ndarray, alpha: np.ndarray, shape) -> np.ndarray:
    out = np.empty((*shape, 4), np.uint8)
    out[..., :3] = np.round(np.clip(rgb, 0, 1) * 255).reshape(*shape, 3)
    out[..., 3] = np.round(alpha * 255).reshape(shape)
    return out


def density_rgba(grid: Grid, index: np.ndarray, colors: BinColors) -> np.ndarray:
    """Return the RGBA picture (uint8, ``grid.shape + (4,)``) of a layout.

    Parameters
    ----------
    grid : Grid
    index : ndarray of int
        Every point's bin (:meth:`Grid.index`; -1 is left out).
    colors : BinColors
        The points' colours (:func:`bin_colors`), one per row of ``index``.
    """
    index = np.ascontiguousarray(index, np.int64)
    n_bins = grid.size
    w = _NO_WEIGHTS if colors.weights is None else colors.weights
    counts = np.zeros(n_bins, np.float32)
    if colors.codes is not None:
        k = len(colors.palette)
        votes = np.zeros(n_bins * k, np.float32)
        _accumulate(index, w, colors.codes, k, _NO_RGB, counts, votes, _NO_SUMS)
        rgb = colors.palette[np.argmax(votes.reshape(n_bins, k), axis=1)]
    else:
        sums = np.zeros((n_bins, 3), np.float32)
        _accumulate(index, w, _NO_CODES, 1, colors.rgba, counts, _NO_WEIGHTS, sums)
        rgb = sums / np.maximum(counts, 1e-12)[:, None]
    return _to_uint8(rgb, _opacity(counts), grid.shape)


def selection_rgba(grid: Grid, index: np.ndarray, color) -> np.ndarray:
    """Return the RGBA picture of the bins that hold selected points.

    ``index`` holds the selected points' bins; every such bin is drawn in
    ``color`` (RGBA floats), at least half opaque.
    """
    index = np.asarray(index, np.int64)
    counts = np.bincount(index[index >= 0], minlength=grid.size).astype(np.float32)
    alpha = _opacity(counts)
    alpha[counts > 0] = 0.5 + 0.5 * alpha[counts > 0]
    rgb = np.broadcast_to(np.asarray(color, np.float32)[:3], (grid.size, 3))
    return _to_uint8(rgb, alpha * float(np.asarray(color)[3]), grid.shape)


@dataclass(frozen=True)
class DensityStack:
    """Several layouts of the same points binned on one grid (a sweep).

    Attributes
    ----------
    grid : Grid
        Covers every layout.
    index : ndarray of int, shape (layouts, n)
        Every point's bin in every layout (:meth:`Grid.index`).
    """

    grid: Grid
    index: np.ndarray

    @classmethod
    def of(cls, layouts, bins: int = DEFAULT_BINS) -> DensityStack:
        """Bin ``layouts`` (each ``(n, 2)``, the same points) on one grid."""
        layouts = [np.asarray(Y) for Y in layouts]
        if not layouts or len({len(Y) for Y in layouts}) != 1:
            raise ValueError("a density stack needs layouts of the same points")
        grid = grid_of(np.concatenate(layouts), bins)
        return cls(grid, np.stack([grid.index(Y) for Y in layouts]))

    def rgba(self, rgba: np.ndarray) -> np.ndarray:
        """Return the pictures (uint8, ``(layouts, *grid.shape, 4)``).

        ``rgba``: the points' colours, ``(n, 4)`` floats in 0..1, the same
        in every layout (:func:`bin_colors`).
        """
        if len(rgba) != self.index.shape[1]:
            raise ValueError(
                f"{len(rgba)} colours for {self.index.shape[1]} points per layout"
            )
        colors = bin_colors(rgba)
        return np.stack([density_rgba(self.grid, ix, colors) for ix in self.index])
