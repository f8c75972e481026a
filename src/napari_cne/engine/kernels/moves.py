"""Moving the points by a window's steps: block by block, in edge order.

The steps of a window (:mod:`.sgd`) are added to their points after all of
them were computed from the layout as it was. Each point's steps are added
in edge order, so the result does not depend on how the work is shared
out. The points are cut into
contiguous blocks of about :data:`BLOCK_POINTS` (at least one per thread);
the moves of each chunk of edges are sorted by block (:func:`sort_moves`, a
stable counting sort) and each block's moves are made by one thread
(:func:`apply_sorted`). A block's points fit in a core's cache, and two
threads write into one cache line only at the blocks' borders. With few
threads, the calling thread makes the moves in edge order without sorting
(:func:`apply_in_order`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["BLOCK_POINTS", "apply_in_order", "apply_sorted", "n_blocks", "sort_moves"]

#: Points per block: their layout and sums (16 bytes a point in 2-D) stay in
#: a core's cache while the block's moves are made.
BLOCK_POINTS = 4096


@njit(cache=True, inline="always")
def n_blocks(n, n_parts):
    """Return the blocks the ``n`` points are cut into (at least ``n_parts``)."""
    return max(n_parts, (n + BLOCK_POINTS - 1) // BLOCK_POINTS)


@njit(cache=True, inline="always")
def _block(i, scale, blocks):
    # the block of point i: contiguous runs of points
    return min(np.int64(i * scale), blocks - 1)


@njit(cache=True, nogil=True)
def sort_moves(H, T, start, lo, hi, scale, blocks, moves, sources, bounds, c):
    """List the moves of edges ``lo..hi`` by block.

    A counting sort, stable: block ``b``'s points move ``moves[p]`` by the
    step ``sources[p]`` (``2 r`` the head's of row ``r``, ``2 r + 1`` the
    tail's) for ``p`` in ``bounds[c, b] .. bounds[c, b + 1]``, in edge order.
    """
    count = np.zeros(blocks, np.int64)
    for e in range(lo, hi):
        count[_block(H[e], scale, blocks)] += 1
        count[_block(T[e], scale, blocks)] += 1
    at = 2 * (lo - start)
    for b in range(blocks):
        bounds[c, b] = at
        at += count[b]
        count[b] = bounds[c, b]
    bounds[c, blocks] = at
    for e in range(lo, hi):
        r = e - start
        for s in range(2):
            i = H[e] if s == 0 else T[e]
            b = _block(i, scale, blocks)
            moves[count[b]] = i
            sources[count[b]] = 2 * r + s
            count[b] += 1


@njit(cache=True, nogil=True, parallel=True)
def apply_sorted(Y, steps, moves, sources, bounds, n_chunks, blocks):
    """Make the sorted moves, block by block (a block on one thread).

    A point's steps are added chunk after chunk, in edge order.
    """
    d = Y.shape[1]
    for b in prange(blocks):
        for c in range(n_chunks):
            for p in range(bounds[c, b], bounds[c, b + 1]):
                i, r, s = moves[p], sources[p] >> 1, sources[p] & 1
                for a in range(d):
                    Y[i, a] += steps[r, s, a]


@njit(cache=True, nogil=True)
def apply_in_order(Y, H, T, start, stop, steps):
    """Make the window's moves in edge order, on this thread.

    The axes written out (a loop over them costs half the time again).
    """
    d = Y.shape[1]
    for r in range(stop - start):
        i, j = H[start + r], T[start + r]
        Y[i, 0] += steps[r, 0, 0]
        Y[j, 0] += steps[r, 1, 0]
        if d > 1:
            Y[i, 1] += steps[r, 0, 1]
            Y[j, 1] += steps[r, 1, 1]
        if d > 2:
            Y[i, 2] += steps[r, 0, 2]
            Y[j, 2] += steps[r, 1, 2]
