"""Moving the points by a window's steps: each thread its own, in edge order.

The steps of a window (:mod:`.sgd`) are added to their points after all of
them were computed from the layout as it was. Each point's steps are summed
in edge order and the sum clipped per coordinate, once, so the result does
not depend on how many threads do it. With several threads, thread ``t``
owns the ``t``-th of ``n_parts`` contiguous blocks of points (two threads
write into one cache line only at the blocks' borders): the moves of each
chunk of edges are sorted by owner (:func:`sort_moves`, a stable counting
sort) and every thread makes its own (:func:`apply_sorted`); one thread
makes them all in edge order (:func:`apply_in_order`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["apply_in_order", "apply_sorted", "sort_moves"]


@njit(cache=True, inline="always")
def _owner(i, scale, n_parts):
    # the thread that moves point i: contiguous blocks of points, so that two
    # threads write into one cache line at the blocks' borders only
    return min(np.int64(i * scale), n_parts - 1)


@njit(cache=True)
def sort_moves(H, T, start, lo, hi, active, scale, n_parts, moves, sources, bounds, c):
    """List the moves of edges ``lo..hi`` by the thread that makes them.

    A counting sort, stable: thread ``t`` moves ``moves[p]`` by the step
    ``sources[p]`` (``2 r`` the head's of row ``r``, ``2 r + 1`` the tail's)
    for ``p`` in ``bounds[c, t] .. bounds[c, t + 1]``, in edge order.
    """
    count = np.zeros(n_parts, np.int64)
    for e in range(lo, hi):
        if active[e - start]:
            count[_owner(H[e], scale, n_parts)] += 1
            count[_owner(T[e], scale, n_parts)] += 1
    at = 2 * (lo - start)
    for t in range(n_parts):
        bounds[c, t] = at
        at += count[t]
        count[t] = bounds[c, t]
    bounds[c, n_parts] = at
    for e in range(lo, hi):
        r = e - start
        if active[r]:
            for s in range(2):
                i = H[e] if s == 0 else T[e]
                t = _owner(i, scale, n_parts)
                moves[count[t]] = i
                sources[count[t]] = 2 * r + s
                count[t] += 1


@njit(cache=True, inline="always")
def _add(F, i, steps, r, s):
    # sum a step of point i (its total is clipped once all are in)
    for a in range(F.shape[1]):
        F[i, a] += steps[r, s, a]


@njit(cache=True, inline="always")
def _move(Y, F, i, bound):
    # move point i by its summed steps, clipped per coordinate, once
    for a in range(Y.shape[1]):
        Y[i, a] += min(max(F[i, a], -bound), bound)
        F[i, a] = 0.0


@njit(cache=True, parallel=True)
def apply_sorted(Y, F, steps, moves, sources, bounds, n_chunks, n_parts, bound):
    """Make the sorted moves, each thread its own, chunk after chunk."""
    for t in prange(n_parts):
        for c in range(n_chunks):
            for p in range(bounds[c, t], bounds[c, t + 1]):
                _add(F, moves[p], steps, sources[p] >> 1, sources[p] & 1)
        for c in range(n_chunks):
            for p in range(bounds[c, t], bounds[c, t + 1]):
                _move(Y, F, moves[p], bound)


@njit(cache=True)
def apply_in_order(Y, F, H, T, start, stop, steps, active, bound):
    """Make the window's moves in edge order (one thread)."""
    for r in range(stop - start):
        if active[r]:
            _add(F, H[start + r], steps, r, 0)
            _add(F, T[start + r], steps, r, 1)
    for r in range(stop - start):
        if active[r]:
            _move(Y, F, H[start + r], bound)
            _move(Y, F, T[start + r], bound)
