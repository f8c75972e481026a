"""The exact near field on a grid (numba): NEG's repulsion between close pairs.

Towards the t-SNE end each drawn negative stands for many; the pairs closer
than a radius ``h`` get the expected repulsion of the drawn negatives
instead (:func:`near_field`), found through a grid of cells of side
``g >= h`` (:func:`build_grid`). :class:`napari_cne.engine.fields.NearField`
drives them epoch by epoch.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .common import FASTMATH, kernel_term

__all__ = ["build_grid", "near_field"]


@njit(cache=True, inline="always")
def _axis_cell(v, lo, g, n_side):
    # the cell of coordinate v along one axis; points outside go to the edge
    return min(max(np.int64(np.floor((v - lo) / g)), 0), n_side - 1)


@njit(cache=True)
def _cell_of(Y, i, lo, side, g):
    c = 0
    for a in range(Y.shape[1]):
        c = c * side[a] + _axis_cell(Y[i, a], lo[a], g, side[a])
    return c


@njit(cache=True)
def build_grid(Y, h, lo, side):
    """Bucket the points into cubic cells of side ``h`` (a counting sort).

    Parameters
    ----------
    Y : float32 array (n, d), d <= 3
    h : float
        Cell side.
    lo : float64 array (d,)
        Corner of the grid (the layout's minimum per axis).
    side : int64 array (d,)
        Cells per axis (points beyond the last cell go into it).

    Returns
    -------
    starts : int64 array (n_cells + 1,)
        Cell ``c`` holds ``members[starts[c]:starts[c + 1]]``.
    members : int32 array (n,)
    """
    n = Y.shape[0]
    n_cells = 1
    for a in range(Y.shape[1]):
        n_cells *= side[a]
    starts = np.zeros(n_cells + 1, dtype=np.int64)
    cell = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = _cell_of(Y, i, lo, side, h)
        cell[i] = c
        starts[c + 1] += 1
    for c in range(n_cells):
        starts[c + 1] += starts[c]
    fill = starts[:-1].copy()
    members = np.empty(n, dtype=np.int32)
    for i in range(n):
        members[fill[cell[i]]] = i
        fill[cell[i]] += 1
    return starts, members


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def near_field(
    Y, starts, members, lo, side, g, h, plo, phi, deg, deg_eff, cw, wneg, nu, eps, lr,
    clip, fade, b=1.0, blend=1.0,
):  # fmt: skip
    """Exact NEG repulsion between points closer than ``h``.

    Moves the points ``members[plo:phi]`` (cell by cell, for the cache).

    ``starts, members, lo, side`` describe a :func:`build_grid` of cell side
    ``g >= h``, so the cells next to a point's own hold all its partners.

    What the sampled negatives would do to a pair (i, q) per epoch, in
    expectation: i is a head ``deg_eff[i]`` times and draws q with
    probability ``deg[q] / E`` for each of its ``m`` negatives of weight
    ``wneg`` (and the other way round), so the pair's repulsion is
    ``cw * (deg_eff[i] deg[q] + deg_eff[q] deg[i])`` times one negative's
    (unclipped) force, with ``cw = m / E`` (times the exact share, divided
    by the passes per epoch). Only point ``i`` moves here (the pair is met
    again from ``q``'s side), by its summed force, clipped per coordinate.

    ``b, blend``: the kernel's exponent and its weight, as in the drawn
    negatives (:func:`.common.kernel_term`).

    ``fade``: the pair force fades out towards ``h`` with the switch
    ``(1 - r^2/h^2)^2``, for a far field on a mesh that has the complement
    (:func:`napari_cne.engine.fields.mesh_repulsion`).

    Returns
    -------
    int
        Pairs closer than ``h`` found (the caller steers ``h`` with it).
    """
    f32 = np.float32
    one, two = f32(1.0), f32(2.0)
    nu, eps, lr, clip, cw = f32(nu), f32(eps), f32(lr), f32(clip), f32(cw)
    wneg, b, blend = f32(wneg), f32(b), f32(blend)
    h2 = f32(h) * f32(h)
    d = Y.shape[1]
    s0 = side[0]
    s1 = side[1] if d > 1 else 1
    s2 = side[2] if d > 2 else 1
    found = np.zeros(phi - plo, dtype=np.int64)
    for p_i in prange(plo, phi):
        i = members[p_i]
        x = np.zeros(3, dtype=np.float32)
        k = np.zeros(3, dtype=np.int64)
        for a in range(d):
            x[a] = Y[i, a]
            k[a] = _axis_cell(x[a], lo[a], g, side[a])
        f = np.zeros(3, dtype=np.float32)
        cnt = 0
        di, ei = deg[i], deg_eff[i]
        for c0 in range(max(k[0] - 1, 0), min(k[0] + 2, s0)):
            for c1 in range(max(k[1] - 1, 0), min(k[1] + 2, s1)):
                for c2 in range(max(k[2] - 1, 0), min(k[2] + 2, s2)):
                    c = (c0 * s1 + c1) * s2 + c2
                    for p in range(starts[c], starts[c + 1]):
                        q = members[p]
                        dist = f32(0.0)
                        for a in range(d):
                            t = x[a] - Y[q, a]
                            dist += t * t
                        if dist >= h2 or q == i:
                            continue
                        cnt += 1
                        times = cw * (ei * deg[q] + deg_eff[q] * di)
                        gf = two * wneg * times
                        pb, db = kernel_term(dist, b, blend)
                        gf *= db / ((one + nu * (pb + eps)) * (pb + eps))
                        if fade:
                            sw = one - dist / h2
                            gf *= sw * sw
                        for a in range(d):
                            f[a] += gf * (x[a] - Y[q, a])
        found[p_i - plo] = cnt
        for a in range(d):
            Y[i, a] += lr * min(max(f[a], -clip), clip)
    return found.sum()
