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

from .common import FASTMATH, NO_TABLE, has_table, lookup, neg_push

__all__ = ["build_grid", "near_field"]


@njit(cache=True, inline="always")
def _axis_cell(v, lo, g, n_side):
    # the cell of coordinate v along one axis; points outside go to the edge
    return min(max(np.int64(np.floor((v - lo) / g)), 0), n_side - 1)


@njit(cache=True, nogil=True)
def _cell_of(Y, i, lo, side, g):
    c = 0
    for a in range(Y.shape[1]):
        c = c * side[a] + _axis_cell(Y[i, a], lo[a], g, side[a])
    return c


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _refresh(Y, Ys, members, lo, hi):
    # the positions of the members lo..hi - 1, in cell order: a few
    # thousand copies a call, less than waking the threads for them
    d = Y.shape[1]
    for p in range(lo, hi):
        i = members[p]
        for a in range(d):
            Ys[p, a] = Y[i, a]


@njit(cache=True, nogil=True, parallel=True, fastmath=FASTMATH)
def near_field(
    Y, Ys, Ds, Es, starts, members, lo, side, g, h, plo, phi, cw, wneg, nu, eps, lr,
    clip, fade, b=1.0, blend=1.0, table=NO_TABLE,
):  # fmt: skip
    """Exact NEG repulsion between points closer than ``h``.

    Moves the points ``members[plo:phi]`` (cell by cell, for the cache).

    ``starts, members, lo, side`` describe a :func:`build_grid` of cell side
    ``g >= h``, so the cells next to a point's own hold all its partners.
    ``Ys``, ``Ds`` and ``Es`` are the positions and the two degrees of the
    points in cell (``members``) order, so that a point's candidates are
    read one after the other; the positions of the cells this call reads
    are refreshed from ``Y`` first.

    What the sampled negatives would do to a pair (i, q) per epoch, in
    expectation: i is a head ``deg_eff[i]`` times and draws q with
    probability ``deg[q] / E`` for each of its ``m`` negatives of weight
    ``wneg`` (and the other way round), so the pair's repulsion is
    ``cw * (deg_eff[i] deg[q] + deg_eff[q] deg[i])`` times one negative's
    (unclipped) force, with ``cw = m / E`` (times the exact share, divided
    by the passes per epoch). Only point ``i`` moves here (the pair is met
    again from ``q``'s side), by its summed force, clipped per coordinate.

    ``b, blend``: the kernel's exponent and its weight, as in the drawn
    negatives (:func:`.common.kernel_term`); ``table``: NEG's force factors
    for these constants (:func:`.common.force_table`, ``NO_TABLE``: exact).

    ``fade``: the pair force fades out towards ``h`` with the switch
    ``(1 - r^2/h^2)^2``, for a far field on a mesh that has the complement
    (:func:`napari_cne.engine.fields.mesh_repulsion`).

    A point's candidates are read as runs: the three cells next to each
    other along the last axis are consecutive in memory, one loop each.
    Every candidate's force is computed and multiplied by zero beyond ``h``
    (the switch is zero there): where a third to a half of the candidates
    are partners, a branch on the distance is mispredicted so often that
    skipping the others cost more than computing them (docs/engine.md, "The
    t-SNE end: the exact near field").

    Returns
    -------
    int
        Pairs closer than ``h`` found (the caller steers ``h`` with it).
    """
    f32 = np.float32
    one, two, zero = f32(1.0), f32(2.0), f32(0.0)
    nu, eps, lr, clip, cw = f32(nu), f32(eps), f32(lr), f32(clip), f32(cw)
    wneg, b, blend = f32(wneg), f32(b), f32(blend)
    h2 = f32(h) * f32(h)
    inv_h2 = one / h2
    d = Y.shape[1]
    s1 = side[1] if d > 1 else 1
    s2 = side[2] if d > 2 else 1
    n_cells = starts.shape[0] - 1
    # read before the loop: numba hoists a loop's invariant reads out of
    # their branch, and lo[1] of a 1-D grid lies outside the array
    lo0 = lo[0]
    lo1 = lo[1] if d > 1 else 0.0
    # the last axis (runs of cells along it) and the outer ones (a, b)
    s_last = side[d - 1]
    lo_last = lo[d - 1]
    s_a = side[0] if d > 1 else 1
    s_b = s1 if d > 2 else 1
    # the cells of members plo .. phi - 1, and those next to them
    c_first = np.searchsorted(starts, plo, side="right") - 1
    c_last = np.searchsorted(starts, phi - 1, side="right") - 1
    reach = s1 * s2 + s2 + 1
    lo_c, hi_c = max(c_first - reach, 0), min(c_last + reach + 1, n_cells)
    _refresh(Y, Ys, members, starts[lo_c], starts[hi_c])
    # a scalar reduction: an array and its sum would be two more parallel
    # loops, each a wake-up of the threads
    found = 0
    tabled = has_table(table)
    for p_i in prange(plo, phi):
        # scalars, not small arrays: an array per point is a heap allocation
        i = members[p_i]
        x0 = Ys[p_i, 0]
        x1 = Ys[p_i, 1] if d > 1 else zero
        x2 = Ys[p_i, 2] if d > 2 else zero
        x_last = x2 if d > 2 else (x1 if d > 1 else x0)
        k_a = _axis_cell(x0, lo0, g, s_a) if d > 1 else 0
        k_b = _axis_cell(x1, lo1, g, s1) if d > 2 else 0
        k_last = _axis_cell(x_last, lo_last, g, s_last)
        f0 = f1 = f2 = zero
        cnt = 0
        di, ei = Ds[p_i], Es[p_i]
        for c_a in range(max(k_a - 1, 0), min(k_a + 2, s_a)):
            for c_b in range(max(k_b - 1, 0), min(k_b + 2, s_b)):
                base = (c_a * s_b + c_b) * s_last
                first = base + max(k_last - 1, 0)
                last = base + min(k_last + 1, s_last - 1)
                for p in range(starts[first], starts[last + 1]):
                    if p == p_i:  # the point itself (once a point: predicted)
                        continue
                    t0 = x0 - Ys[p, 0]
                    t1 = x1 - Ys[p, 1] if d > 1 else zero
                    t2 = x2 - Ys[p, 2] if d > 2 else zero
                    dist = t0 * t0 + t1 * t1 + t2 * t2
                    inside = dist < h2
                    cnt += inside
                    times = cw * (ei * Ds[p] + Es[p] * di)
                    gf = two * wneg * times
                    if tabled:
                        gf *= -lookup(table, 1, dist)
                    else:
                        gf = neg_push(dist, nu, eps, b, blend, gf)[1]
                    # zero beyond h, with or without the switch
                    sw = max(one - dist * inv_h2, zero)
                    gf *= sw * sw if fade else (one if inside else zero)
                    f0 += gf * t0
                    f1 += gf * t1
                    f2 += gf * t2
        found += cnt
        Y[i, 0] += lr * min(max(f0, -clip), clip)
        if d > 1:
            Y[i, 1] += lr * min(max(f1, -clip), clip)
        if d > 2:
            Y[i, 2] += lr * min(max(f2, -clip), clip)
    return found
