"""The fused SGD kernel of the CPU backend (numba).

The torch backend evaluates a batch in about twenty separate array passes
(gathers, elementwise maths, scatters), each streaming ``width * (m + 1)``
pairs through memory. These kernels visit every pair once while the layout
(``n x 2`` floats, a few MB at most) stays in cache.

Semantics (algorithm.md §5 and §8): an epoch visits every directed edge
once; the edges are cut into batches ("windows") of ``width`` edges whose
``2 width`` slots (heads, then tails) are the pool the negatives are drawn
from, uniformly, excluding the head's own slot, so the noise distribution
is the reference's (points in proportion to their degree). The gradients
per pair are the closed forms of :mod:`napari_cne.engine.losses`, clipped
per coordinate to ``[-clip, clip]``.

Each window is one step of the reference's batch rule: every edge's
forces are computed from the layout as it was when the window began, and
each point then moves by the sum of its (clipped) steps. The head
and the tail of an edge both move; a drawn negative does not, its push
counting twice on the head instead (every point is drawn about as often as
it draws, as in umap-learn's optimiser), so that no thread writes a point
another thread reads or writes. The random numbers are counter-based
hashes of (seed, step, edge), the per-point sums are taken in edge order,
and so the layout is the same on any number of threads, bit for bit
(docs/engine.md, "Threads and seeds").
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from ..losses import CLAMP_HIGH as HI
from ..losses import CLAMP_LOW as LO
from ..losses import INFONCE_TEMPERATURE as INFONCE_T
from .common import (
    FASTMATH,
    GOLDEN,
    NO_TABLE,
    below,
    has_table,
    lookup,
    mix,
    neg_pull,
    neg_push,
)
from .moves import apply_in_order, apply_sorted, n_blocks, sort_moves

__all__ = ["LOSS_CODES", "pair_values", "pick_edges", "sgd_window"]

#: Loss mode -> the kernels' integer code.
LOSS_CODES = {"neg": 0, "nce": 1, "umap": 2, "infonce": 3}


@njit(cache=True, nogil=True, parallel=True)
def pair_values(indptr, indices, data, H, T, out):
    """Write the value of the pair ``(H[e], T[e])`` in a CSR matrix to ``out[e]``.

    ``indptr, indices, data``: the matrix, its column indices sorted in each
    row; a pair it does not hold gets 0.
    """
    for e in prange(H.shape[0]):
        lo, hi = indptr[H[e]], indptr[H[e] + 1]
        k = lo + np.searchsorted(indices[lo:hi], T[e])
        out[e] = data[k] if k < hi and indices[k] == T[e] else 0.0


#: Edges per task when the edges taking part in an epoch are picked.
PICK_CHUNK = 1 << 16
#: Set apart the epoch's participation draws from the windows' draws.
PICK_SALT = 0x5DEECE66D


@njit(cache=True, inline="always")
def _times(key0, e, p):
    # edge e takes part floor(p) times and once more with probability
    # p - floor(p) (a hash of the counter e): p times in expectation; below
    # 1, once with probability p
    whole = np.int64(p)
    key = mix(key0 + uint64(e) * uint64(GOLDEN))
    return whole + (np.float32((key >> uint64(40)) * (1.0 / 16777216.0)) < p - whole)


@njit(cache=True, nogil=True, parallel=True)
def pick_edges(H, T, P, n_edges, seed, step, width, Hc, Tc, times):
    """Copy the edges taking part in this epoch, in order, to ``Hc, Tc``.

    Edge ``e`` takes part ``P[e]`` times in expectation: ``floor(P[e])``
    times and once more with probability ``P[e] - floor(P[e])``, decided by
    a counter-based hash of (seed, step, e), so the pick is the same on any
    number of threads. ``Hc, Tc`` need room for ``ceil(P).sum() + width``
    edges; ``times`` (int16, ``n_edges``) receives each edge's count. The
    first ``width`` picked are repeated after the last (for a window that
    wraps around). Returns the count.
    """
    key0 = mix(uint64(seed) ^ mix(uint64(step) * uint64(GOLDEN)) ^ uint64(PICK_SALT))
    n_chunks = (n_edges + PICK_CHUNK - 1) // PICK_CHUNK
    counts = np.empty(n_chunks + 1, np.int64)  # np.zeros: a parallel loop
    counts[0] = 0
    # no branch on whether an edge takes part: about half do, and such a
    # branch is mispredicted every other edge
    for c in prange(n_chunks):
        k = 0
        for e in range(c * PICK_CHUNK, min((c + 1) * PICK_CHUNK, n_edges)):
            times[e] = _times(key0, e, P[e])
            k += times[e]
        counts[c + 1] = k
    for c in range(n_chunks):
        counts[c + 1] += counts[c]
    for c in prange(n_chunks):
        at, end = counts[c], counts[c + 1]
        for e in range(c * PICK_CHUNK, min((c + 1) * PICK_CHUNK, n_edges)):
            # every edge is written at the next free place, which only an
            # edge taking part keeps; past the chunk's last pick the places
            # are the next chunk's (predicted: false only at the end)
            if at < end:
                Hc[at] = H[e]
                Tc[at] = T[e]
            for r in range(1, times[e]):  # its further runs (a weight over 1)
                Hc[at + r] = H[e]
                Tc[at + r] = T[e]
            at += times[e]
    count = counts[n_chunks]
    for r in range(min(width, count)):
        Hc[count + r] = Hc[r]
        Tc[count + r] = Tc[r]
    return count


@njit(cache=True, inline="always")
def _draw(H, T, wlo, width, own, key, k, span):
    # a uniformly drawn slot of the window other than the head's own (own)
    s = own + 1 + below(mix(key + uint64(k + 1)), span)
    s = s - 2 * width if s >= 2 * width else s
    # both slots read, one kept: a branch on the half would be mispredicted
    # every other draw
    tail = s >= width
    r = s - width if tail else s
    h = H[wlo + r]
    t = T[wlo + r]
    return t if tail else h


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _d2(Y, q, x0, x1, x2):
    d = Y.shape[1]
    a = x0 - Y[q, 0]
    r = a * a
    if d > 1:
        a = x1 - Y[q, 1]
        r += a * a
    if d > 2:
        a = x2 - Y[q, 2]
        r += a * a
    return r


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _pull(Y, q, g, x0, x1, x2, clip):
    """Return the clipped force ``g (y_q - x)`` on the head at ``x``."""
    d = Y.shape[1]
    zero = g - g
    f0 = min(max(g * (Y[q, 0] - x0), -clip), clip)
    f1 = min(max(g * (Y[q, 1] - x1), -clip), clip) if d > 1 else zero
    f2 = min(max(g * (Y[q, 2] - x2), -clip), clip) if d > 2 else zero
    return f0, f1, f2


@njit(cache=True, inline="always", fastmath=FASTMATH)
def _store(steps, r, s, h0, h1, h2, clip, lr):
    """Write the step ``lr * clip(h)`` into ``steps[r, s]``."""
    d = steps.shape[2]
    steps[r, s, 0] = lr * min(max(h0, -clip), clip)
    if d > 1:
        steps[r, s, 1] = lr * min(max(h1, -clip), clip)
    if d > 2:
        steps[r, s, 2] = lr * min(max(h2, -clip), clip)


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _edges(
    Y, H, T, wlo, whi, lo, hi, m, key0, code, nu, eps, exag, wneg, lr, clip,
    want_loss, r2, near_keep, b, blend, table, steps, losses, dths,
):  # fmt: skip
    """NEG, NCE and UMAP losses: the steps of edges ``lo..hi``.

    Reads ``Y`` only. For edge ``e`` (row ``r = e - wlo``), ``steps[r, 0]``
    is its head's step (its pull towards the tail and the push of its
    negatives, summed and clipped) and ``steps[r, 1]`` the tail's; the
    negatives do not move (their push counts twice on the head, clipped
    as one force, as every point is drawn about as often as it draws).
    ``losses`` and ``dths`` get the edge's loss and NCE's derivative in
    log Z.

    NEG and NCE use the kernel ``1 / (eps + (1 - blend) d2 + blend d2**b)``
    (:func:`.common.kernel_term`). NEG reads its force factors from
    ``table`` (:func:`.common.force_table`) when one is given, except while
    it computes the loss.

    Negatives closer to the head than ``sqrt(r2)`` keep the weight
    ``near_keep * wneg``: the rest of their repulsion is computed exactly by
    :func:`near_field` (``r2 = 0``: none; ``r2 = inf``: every negative, the
    far part then comes from ``embedding.mesh_repulsion``). The loss counts
    each negative with its full weight ``wneg``, an estimate of the whole
    objective whichever way its force is computed.

    The hot loop is written out rather than built from the helpers above:
    as separate numba functions they cost a quarter of its speed here.
    """
    f32 = np.float32
    nu, eps, exag, wneg = f32(nu), f32(eps), f32(exag), f32(wneg)
    lr, clip, one, two, zero = f32(lr), f32(clip), f32(1.0), f32(2.0), f32(0.0)
    r2, b, blend = f32(r2), f32(b), f32(blend)
    wnear = wneg * f32(near_keep)
    d = Y.shape[1]
    width = whi - wlo
    span = uint64(2 * width - 1) if width > 1 else uint64(1)
    tabled = code == 0 and has_table(table) and not want_loss
    for e in range(lo, hi):
        r = e - wlo
        key = mix(key0 + uint64(e) * uint64(GOLDEN))
        loss = 0.0
        dth = 0.0
        i = H[e]
        j = T[e]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        e0 = Y[j, 0] - x0
        e1 = Y[j, 1] - x1 if d > 1 else zero
        e2 = Y[j, 2] - x2 if d > 2 else zero
        d2 = e0 * e0 + e1 * e1 + e2 * e2
        if tabled:
            gp = exag * lookup(table, 0, d2)
        elif code <= 1:  # NEG / NCE: -log sigma without the clamp (losses.py)
            a, gp = neg_pull(d2, nu, eps, b, blend, exag)
            if want_loss:
                loss += np.log1p(a)
            if code == 1:
                dth += a / (one + a)
        else:  # UMAP
            q = one / (eps + d2)
            gp = exag * q if (q >= LO and q <= HI) else zero
            if want_loss:
                loss -= np.log(min(max(q, LO), HI))
        gp = two * gp
        h0 = min(max(gp * e0, -clip), clip)
        h1 = min(max(gp * e1, -clip), clip)
        h2 = min(max(gp * e2, -clip), clip)
        steps[r, 1, 0] = -lr * h0  # the tail moves towards the head
        if d > 1:
            steps[r, 1, 1] = -lr * h1
        if d > 2:
            steps[r, 1, 2] = -lr * h2
        for k in range(m):
            q = _draw(H, T, wlo, width, r, key, k, span)
            a0 = Y[q, 0] - x0
            a1 = Y[q, 1] - x1 if d > 1 else zero
            a2 = Y[q, 2] - x2 if d > 2 else zero
            dist = a0 * a0 + a1 * a1 + a2 * a2
            wk = wnear if dist < r2 else wneg
            if tabled:
                if wk == 0:
                    continue
                gk = wk * lookup(table, 1, dist)
            elif code <= 1:
                a, gk = neg_push(dist, nu, eps, b, blend, -wk)
                if want_loss:  # the full weight: the rest is computed exactly
                    loss += wneg * np.log1p(one / a)
                if wk == 0:  # NEG: all of its force from near field / mesh
                    continue
                if code == 1:
                    dth -= wk / (one + a)
            else:
                qk = one / (eps + dist)
                om = one - qk
                gk = -qk * qk / om if (om >= LO and om <= HI) else zero
                if want_loss:
                    loss -= np.log(min(max(om, LO), HI))
            # the negative does not move: its push counts twice on the head
            gk = two * two * gk
            h0 += min(max(gk * a0, -clip), clip)
            h1 += min(max(gk * a1, -clip), clip)
            h2 += min(max(gk * a2, -clip), clip)
        _store(steps, r, 0, h0, h1, h2, clip, lr)
        if want_loss:
            losses[r] = loss
        if code == 1:
            dths[r] = dth


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _edges_infonce(
    Y, H, T, wlo, whi, lo, hi, m, key0, rho, eps, exag, lr, clip, want_loss,
    dk, nk, steps, losses,
):  # fmt: skip
    """InfoNCE: the softmax needs every candidate's distance first."""
    f32 = np.float32
    rho, eps, exag = f32(rho), f32(eps), f32(exag)
    lr, clip, one, two, zero = f32(lr), f32(clip), f32(1.0), f32(2.0), f32(0.0)
    tmp = f32(INFONCE_T)
    d = Y.shape[1]
    width = whi - wlo
    span = uint64(2 * width - 1) if width > 1 else uint64(1)
    for e in range(lo, hi):
        r = e - wlo
        key = mix(key0 + uint64(e) * uint64(GOLDEN))
        i = H[e]
        j = T[e]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        qp = one / (eps + _d2(Y, j, x0, x1, x2))
        ssum = min(max(qp, LO), HI)
        for k in range(m):
            q = _draw(H, T, wlo, width, r, key, k, span)
            nk[k] = q
            dk[k] = one / (eps + _d2(Y, q, x0, x1, x2))
            ssum += min(max(dk[k], LO), HI)
        inv = one / (rho * ssum)
        gp = tmp * (exag * qp - qp * qp * inv) if (qp >= LO and qp <= HI) else zero
        if want_loss:
            losses[r] = INFONCE_T * (-np.log(min(max(qp, LO), HI)) + np.log(ssum) / rho)
        h0, h1, h2 = _pull(Y, j, two * gp, x0, x1, x2, clip)
        _store(steps, r, 1, -h0, -h1, -h2, clip, lr)  # the tail's opposite step
        for k in range(m):
            qk = dk[k]
            gk = -tmp * qk * qk * inv if (qk >= LO and qk <= HI) else zero
            # the negative does not move: its push counts twice on the head
            f0, f1, f2 = _pull(Y, nk[k], two * two * gk, x0, x1, x2, clip)
            h0 += f0
            h1 += f1
            h2 += f2
        _store(steps, r, 0, h0, h1, h2, clip, lr)


#: Edges per task of a window's first phase, at most and at least, and the
#: tasks a thread gets at least in between (any split gives the same result).
CHUNK, MIN_CHUNK, TASKS_PER_THREAD = 2048, 256, 4
#: Up to this many threads the calling thread makes the moves in edge order:
#: a few hundred microseconds per window, less than a parallel pass and its
#: sort cost where threads are few (and a busy machine makes every parallel
#: pass wait for its slowest thread); the result is the same either way.
SERIAL_MOVES = 4
#: No room given: :func:`sgd_window` allocates its own.
NO_SCRATCH = np.zeros((0, 2, 1), np.float32)
NO_SUMS = np.zeros((2, 0))
NO_ORDER = np.zeros((2, 0), np.int32)


@njit(cache=True, nogil=True, parallel=True)
def _window_steps(
    Y, H, T, start, stop, m, key0, code, nu, rho, eps, exag, wneg, lr,
    clip, want_loss, r2, near_keep, b, blend, table, steps, losses, dths,
    blocks, moves, sources, bounds, chunk,
):  # fmt: skip
    """Every edge's steps from the layout as it is (reads ``Y`` only).

    With several blocks of points, each chunk's moves are then sorted by
    block (:func:`.moves.sort_moves`).
    """
    width = stop - start
    n_chunks = (width + chunk - 1) // chunk
    scale = blocks / Y.shape[0]
    for c in prange(n_chunks):
        lo = start + c * chunk
        hi = min(lo + chunk, stop)
        if code == 3:
            dk = np.empty(max(m, 1), dtype=np.float32)
            nk = np.empty(max(m, 1), dtype=np.int64)
            _edges_infonce(
                Y, H, T, start, stop, lo, hi, m, key0, rho, eps, exag,
                lr, clip, want_loss, dk, nk, steps, losses,
            )  # fmt: skip
        else:
            _edges(
                Y, H, T, start, stop, lo, hi, m, key0, code, nu, eps,
                exag, wneg, lr, clip, want_loss, r2, near_keep, b, blend, table,
                steps, losses, dths,
            )  # fmt: skip
        if blocks > 1:
            sort_moves(H, T, start, lo, hi, scale, blocks, moves, sources, bounds, c)


@njit(cache=True, nogil=True)
def sgd_window(
    Y, H, T, start, stop, m, seed, step, code, nu, rho, eps, exag, wneg, lr,
    clip, want_loss, n_parts, r2=0.0, near_keep=1.0, b=1.0, blend=1.0, table=NO_TABLE,
    scratch=NO_SCRATCH, sums=NO_SUMS, order=NO_ORDER,
):  # fmt: skip
    """Run the edges of one window (virtual positions ``start..stop``).

    One SGD step of the batch rule, in two phases: every edge's steps (of
    its head and its tail, each clipped) are computed from the layout as it
    was at the start of the window, reading only; then the points move by
    their steps, block by block, each block on one thread, a point's steps
    added in edge order (:mod:`.moves`). No point is read while it is
    written and no sum depends on how the work is split, so the layout is
    the same on any number of threads, bit for bit; the random numbers are
    counter-based hashes of (seed, step, edge).

    Parameters
    ----------
    Y : float32 array (n, d), d <= 3
        Layout, updated in place.
    H, T : int32 arrays (E,)
        Heads and tails of the directed edges taking part in this epoch, in
        its order (:func:`pick_edges`).
    start, stop : int
        The window: edges ``start..stop-1``.
    m : int
        Negatives per edge (capped at ``2b - 2``).
    seed, step : int
        Random stream and global step counter.
    code : int
        Loss code (:data:`LOSS_CODES`).
    nu, rho, eps, exag : float
        Loss parameters (algorithm.md §5).
    wneg : float
        Weight of each negative term (NEG: ``noise_ratio / m``).
    lr, clip : float
        Step size and per-coordinate force clip.
    want_loss : bool
        Also compute the summed loss of the window.
    n_parts : int
        Threads that move the points (any number gives the same layout).
    r2, near_keep : float
        NEG: negatives closer to the head than ``sqrt(r2)`` keep the share
        ``near_keep`` of their weight (the rest comes from
        :func:`near_field`, and with ``r2 = inf`` from the mesh as well);
        ``r2 = 0``: all keep their full weight.
    b, blend : float
        NEG / NCE: kernel exponent and its weight, ``q = 1 / (eps + (1 - blend)
        d2 + blend d2**b)``.
    table : float32 array (2, L)
        NEG: the force factors for these constants
        (:func:`.common.force_table`); ``NO_TABLE``: computed exactly.
    scratch : float32 array (>= stop - start, 2, d), optional
        Room for the window's steps (allocated when too small).
    sums : float64 array (2, >= stop - start), optional
        Room for the edges' losses and NCE's derivatives.
    order : int32 array (2, >= 2 (stop - start)), optional
        Room for the moves sorted by thread.

    Returns
    -------
    loss : float
        Summed loss over the window (0 unless ``want_loss``).
    d_theta : float
        NCE: derivative of the loss with respect to log Z.
    """
    width = stop - start
    m = min(m, 2 * width - 2) if width > 1 else 0
    n_parts = max(int(n_parts), 1)
    key0 = mix(uint64(seed) ^ mix(uint64(step) * uint64(GOLDEN)))
    steps = scratch
    if steps.shape[0] < width or steps.shape[2] != Y.shape[1]:
        steps = np.empty((width, 2, Y.shape[1]), dtype=np.float32)
    if sums.shape[1] < width:
        sums = np.empty((2, width))
    if order.shape[1] < 2 * width:
        order = np.empty((2, 2 * width), dtype=np.int32)
    moves, sources = order[0], order[1]
    # at least TASKS_PER_THREAD tasks a thread (a window's edges differ in
    # cost, and the slowest thread holds the others up), at most CHUNK edges
    chunk = min(CHUNK, max(MIN_CHUNK, -(-width // (TASKS_PER_THREAD * n_parts))))
    n_chunks = (width + chunk - 1) // chunk
    blocks = n_blocks(Y.shape[0], n_parts) if n_parts > SERIAL_MOVES else 1
    bounds = np.empty((n_chunks, blocks + 1), dtype=np.int64)
    _window_steps(
        Y, H, T, start, stop, m, key0, code, nu, rho, eps, exag, wneg, lr,
        clip, want_loss, r2, near_keep, b, blend, table, steps, sums[0],
        sums[1], blocks, moves, sources, bounds, chunk,
    )  # fmt: skip
    if blocks > 1:
        apply_sorted(Y, steps, moves, sources, bounds, n_chunks, blocks)
    else:
        apply_in_order(Y, H, T, start, stop, steps)
    loss = 0.0  # summed in edge order, whatever the threads
    d_theta = 0.0
    if want_loss:
        for r in range(width):
            loss += sums[0, r]
    if code == 1:
        for r in range(width):
            d_theta += sums[1, r]
    return loss, d_theta
