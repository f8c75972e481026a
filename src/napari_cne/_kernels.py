"""Fused CPU kernels for the optimisation (numba).

The torch implementation in :mod:`napari_cne.embedding` evaluates a batch in
about twenty separate array passes (gathers, elementwise maths, scatters),
each streaming ``b * (m + 1)`` pairs through memory.  On the CPU these
kernels visit every pair once while the layout (``n x 2`` floats, a few MB
at most) stays in cache.

Semantics (algorithm.md §5 and §8, with one documented difference): an
epoch visits every directed edge once; the edges are cut into batches
("windows") of ``b`` edges whose ``2b`` slots (heads, then tails) are the
pool the negatives are drawn from, uniformly, excluding the head's own
slot, so the noise distribution is the reference's (points in proportion
to their degree).  The gradients per pair are the closed forms of
:mod:`napari_cne.losses`, clipped per coordinate to ``[-clip, clip]``.

The difference: the reference sums a whole batch's gradients per point
before one clipped SGD step; here each edge's forces are applied as soon as
they are computed (the head's summed force, clipped, after its negatives;
the tail's and each negative's straight away), and the threads share the
layout without locks, as umap-learn's optimiser and "Hogwild!" SGD do.
Writes from two threads rarely touch the same point, and a lost update is
one small step; what it buys is a kernel whose cost per pair is a few
nanoseconds and that scales with cores.  With one thread the result is
bit-for-bit reproducible; with several it varies between runs in the way
umap-learn's does (benchmarks/NOTES.md has the measurements).

Randomness is counter-based (a hash of seed, step and edge position), so
the result does not depend on how the epochs are split into calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .spectrum import UMAP_B

__all__ = [
    "LOSS_CODES",
    "build_grid",
    "mesh_gather",
    "mesh_spread",
    "near_field",
    "sgd_window",
    "shuffle_windows",
]

LOSS_CODES = {"neg": 0, "nce": 1, "umap": 2, "infonce": 3}

LO = 1e-4
HI = 1.0
INFONCE_T = 0.5
#: Added under roots and divisions by ``d2`` (a float32 normal number).
_TINY = 1e-30
_GOLDEN = 0x9E3779B97F4A7C15


@njit(cache=True, inline="always")
def _mix(x):
    # splitmix64 finaliser: a good 64-bit hash of a counter
    x = (x ^ (x >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> uint64(27))) * uint64(0x94D049BB133111EB)
    return x ^ (x >> uint64(31))


@njit(cache=True, inline="always")
def _below(x, span):
    # map a 64-bit hash to [0, span) without a division (Lemire 2019)
    return np.int64(((x >> uint64(32)) * span) >> uint64(32))


_FAST = {"nsz", "arcp", "contract", "afn", "reassoc"}


@njit(cache=True, parallel=True)
def shuffle_windows(H, T, W, b, seed, epoch):
    """Shuffle the edge arrays in place within each window of ``b`` edges.

    The caller rotates the arrays by a random offset first, so the windows
    are cut somewhere else every epoch and edges keep mixing across them;
    with one full permutation before the first epoch this gives every batch
    a fresh random set of edges at the cost of cache-local swaps.
    """
    E = H.shape[0]
    n_win = (E + b - 1) // b
    for w in prange(n_win):
        lo = w * b
        size = min(b, E - lo)
        key = _mix(uint64(seed) ^ _mix(uint64(epoch) * uint64(_GOLDEN) + uint64(w)))
        for t in range(size - 1, 0, -1):
            r = lo + _below(_mix(key + uint64(t)), uint64(t + 1))
            a = lo + t
            H[a], H[r] = H[r], H[a]
            T[a], T[r] = T[r], T[a]
            W[a], W[r] = W[r], W[a]


@njit(cache=True, inline="always", fastmath=_FAST)
def _kpow(d2, b, t):
    """Return the kernel's distance term ``D`` and its derivative (float32).

    ``D = (1 - t) d2 + t d2**b``; the kernel is ``1 / (eps + D)``. ``t = 0``
    or ``b = 1`` is t-SNE's Cauchy kernel, ``t = 1`` the pure power. ``b =
    7/8`` (the UMAP end) is three square roots: a ``pow`` costs a third of
    the epoch.
    """
    f32 = np.float32
    one = f32(1.0)
    if t == f32(0.0) or b == one:
        return d2, one
    if b == f32(UMAP_B):  # 7/8: without pow
        r8 = np.sqrt(np.sqrt(np.sqrt(d2 + f32(_TINY))))
        p, dp = d2 / r8, f32(UMAP_B) / r8
    else:
        p = (d2 + f32(_TINY)) ** b
        dp = b * p / (d2 + f32(_TINY))
    if t == one:
        return p, dp
    return (one - t) * d2 + t * p, (one - t) + t * dp


@njit(cache=True, inline="always")
def _skip(key, w, p):
    # an edge of weight w < 1 takes part in an epoch with probability w**p
    if p == 0.0 or w >= 1.0:
        return False
    if p != 1.0:
        w = np.exp(p * np.log(w))
    return np.float32((key >> uint64(40)) * (1.0 / 16777216.0)) >= w


@njit(cache=True, inline="always")
def _draw(H, T, wlo, bb, s_t, key, k, span):
    # a uniformly drawn slot of the window other than the head's own (s_t)
    s = s_t + 1 + _below(_mix(key + uint64(k + 1)), span)
    s = s - 2 * bb if s >= 2 * bb else s
    return H[wlo + s] if s < bb else T[wlo + s - bb]


@njit(cache=True, fastmath=_FAST)
def _push(Y, q, g, x0, x1, x2, clip, lr):
    """Move point ``q`` by the clipped force ``g (x - y_q)``; return the force."""
    d = Y.shape[1]
    f0 = min(max(g * (x0 - Y[q, 0]), -clip), clip)
    Y[q, 0] += lr * f0
    f1 = f0 - f0
    f2 = f0 - f0
    if d > 1:
        f1 = min(max(g * (x1 - Y[q, 1]), -clip), clip)
        Y[q, 1] += lr * f1
    if d > 2:
        f2 = min(max(g * (x2 - Y[q, 2]), -clip), clip)
        Y[q, 2] += lr * f2
    return f0, f1, f2


@njit(cache=True, fastmath=_FAST)
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


@njit(cache=True, fastmath=_FAST)
def _move_head(Y, i, h0, h1, h2, clip, lr):
    d = Y.shape[1]
    Y[i, 0] -= lr * min(max(h0, -clip), clip)
    if d > 1:
        Y[i, 1] -= lr * min(max(h1, -clip), clip)
    if d > 2:
        Y[i, 2] -= lr * min(max(h2, -clip), clip)


@njit(cache=True, fastmath=_FAST)
def _edges(
    Y, H, T, W, wpow, wlo, whi, lo, hi, m, key0, code, nu, eps, exag, wneg, lr, clip,
    want_loss, r2, near_keep, b, bt,
):  # fmt: skip
    """NEG, NCE and UMAP losses: edges ``lo..hi`` of the window ``wlo..whi``.

    NEG and NCE use the kernel ``1 / (eps + (1 - bt) d2 + bt d2**b)``
    (:func:`_kpow`).

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
    lr, clip, one, two = f32(lr), f32(clip), f32(1.0), f32(2.0)
    r2, b, bt = f32(r2), f32(b), f32(bt)
    wnear = wneg * f32(near_keep)
    d = Y.shape[1]
    bb = whi - wlo
    span = uint64(2 * bb - 1) if bb > 1 else uint64(1)
    loss = 0.0
    dth = 0.0
    for t in range(lo, hi):
        key = _mix(key0 + uint64(t) * uint64(_GOLDEN))
        if _skip(key, W[t], wpow):
            continue
        i = H[t]
        j = T[t]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        e0 = x0 - Y[j, 0]
        e1 = x1 - Y[j, 1] if d > 1 else one - one
        e2 = x2 - Y[j, 2] if d > 2 else one - one
        d2 = e0 * e0 + e1 * e1 + e2 * e2
        if code <= 1:  # NEG / NCE: -log sigma without the clamp (losses.py)
            pb, db = _kpow(d2, b, bt)
            a = nu * (pb + eps)
            gp = exag * nu * db / (one + a)
            if want_loss:
                loss += np.log1p(a)
            if code == 1:
                dth += a / (one + a)
        else:  # UMAP
            q = one / (eps + d2)
            gp = exag * q if (q >= LO and q <= HI) else one - one
            if want_loss:
                loss -= np.log(min(max(q, LO), HI))
        # the tail moves now, the head once its negatives are done
        gp = two * gp
        h0 = min(max(gp * e0, -clip), clip)
        h1 = min(max(gp * e1, -clip), clip)
        h2 = min(max(gp * e2, -clip), clip)
        Y[j, 0] += lr * h0
        if d > 1:
            Y[j, 1] += lr * h1
        if d > 2:
            Y[j, 2] += lr * h2
        for k in range(m):
            q = _draw(H, T, wlo, bb, t - wlo, key, k, span)
            a0 = x0 - Y[q, 0]
            a1 = x1 - Y[q, 1] if d > 1 else one - one
            a2 = x2 - Y[q, 2] if d > 2 else one - one
            dist = a0 * a0 + a1 * a1 + a2 * a2
            wk = wnear if dist < r2 else wneg
            if code <= 1:
                pb, db = _kpow(dist, b, bt)
                a = nu * (pb + eps)
                if want_loss:  # the full weight: the rest is computed exactly
                    loss += wneg * np.log1p(one / a)
                if wk == 0:  # NEG: all of its force from near field / mesh
                    continue
                gk = -wk * db / ((one + a) * (pb + eps))
                if code == 1:
                    dth -= wk / (one + a)
            else:
                qk = one / (eps + dist)
                om = one - qk
                gk = -qk * qk / om if (om >= LO and om <= HI) else one - one
                if want_loss:
                    loss -= np.log(min(max(om, LO), HI))
            gk = two * gk
            f = min(max(gk * (x0 - Y[q, 0]), -clip), clip)
            h0 += f
            Y[q, 0] += lr * f
            if d > 1:
                f = min(max(gk * (x1 - Y[q, 1]), -clip), clip)
                h1 += f
                Y[q, 1] += lr * f
            if d > 2:
                f = min(max(gk * (x2 - Y[q, 2]), -clip), clip)
                h2 += f
                Y[q, 2] += lr * f
        Y[i, 0] -= lr * min(max(h0, -clip), clip)
        if d > 1:
            Y[i, 1] -= lr * min(max(h1, -clip), clip)
        if d > 2:
            Y[i, 2] -= lr * min(max(h2, -clip), clip)
    return loss, dth


@njit(cache=True, fastmath=_FAST)
def _edges_infonce(
    Y, H, T, W, wpow, wlo, whi, lo, hi, m, key0, rho, eps, exag, lr, clip, want_loss,
    dk, nk,
):  # fmt: skip
    """InfoNCE: the softmax needs every candidate's distance first."""
    f32 = np.float32
    rho, eps, exag = f32(rho), f32(eps), f32(exag)
    lr, clip, one, two = f32(lr), f32(clip), f32(1.0), f32(2.0)
    tmp = f32(INFONCE_T)
    d = Y.shape[1]
    bb = whi - wlo
    span = uint64(2 * bb - 1) if bb > 1 else uint64(1)
    loss = 0.0
    for t in range(lo, hi):
        key = _mix(key0 + uint64(t) * uint64(_GOLDEN))
        if _skip(key, W[t], wpow):
            continue
        i = H[t]
        j = T[t]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        qp = one / (eps + _d2(Y, j, x0, x1, x2))
        ssum = min(max(qp, LO), HI)
        for k in range(m):
            q = _draw(H, T, wlo, bb, t - wlo, key, k, span)
            nk[k] = q
            dk[k] = one / (eps + _d2(Y, q, x0, x1, x2))
            ssum += min(max(dk[k], LO), HI)
        inv = one / (rho * ssum)
        gp = tmp * (exag * qp - qp * qp * inv) if (qp >= LO and qp <= HI) else one - one
        if want_loss:
            loss += INFONCE_T * (-np.log(min(max(qp, LO), HI)) + np.log(ssum) / rho)
        h0, h1, h2 = _push(Y, j, two * gp, x0, x1, x2, clip, lr)
        for k in range(m):
            qk = dk[k]
            gk = -tmp * qk * qk * inv if (qk >= LO and qk <= HI) else one - one
            f0, f1, f2 = _push(Y, nk[k], two * gk, x0, x1, x2, clip, lr)
            h0 += f0
            h1 += f1
            h2 += f2
        _move_head(Y, i, h0, h1, h2, clip, lr)
    return loss


@njit(cache=True, parallel=True)
def sgd_window(
    Y, H, T, W, wpow, start, stop, m, seed, step, code, nu, rho, eps, exag, wneg, lr,
    clip, want_loss, n_parts, r2=0.0, near_keep=1.0, b=1.0, bt=1.0,
):  # fmt: skip
    """Run the edges of one window (virtual positions ``start..stop``).

    Parameters
    ----------
    Y : float32 array (n, d), d <= 3
        Layout, updated in place.
    H, T : int32 arrays (E,)
        Heads and tails of the directed edges, in this epoch's order.
    W : float32 array (E,)
        Edge weights in (0, 1] (all ones for a binary graph).
    wpow : float
        An edge takes part in this window with probability ``W ** wpow``
        (0: every edge).
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
        Threads: the window is split into this many ranges of edges.
    r2, near_keep : float
        NEG: negatives closer to the head than ``sqrt(r2)`` keep the share
        ``near_keep`` of their weight (the rest comes from
        :func:`near_field`, and with ``r2 = inf`` from the mesh as well);
        ``r2 = 0``: all keep their full weight.
    b, bt : float
        NEG / NCE: kernel exponent and its weight, ``q = 1 / (eps + (1 - bt)
        d2 + bt d2**b)``.

    Returns
    -------
    loss : float
        Summed loss over the window (0 unless ``want_loss``).
    d_theta : float
        NCE: derivative of the loss with respect to log Z.
    """
    bb = stop - start
    m = min(m, 2 * bb - 2) if bb > 1 else 0
    key0 = _mix(uint64(seed) ^ _mix(uint64(step) * uint64(_GOLDEN)))
    losses = np.zeros(n_parts)
    dths = np.zeros(n_parts)
    for c in prange(n_parts):
        lo = start + c * bb // n_parts
        hi = start + (c + 1) * bb // n_parts
        if code == 3:
            dk = np.empty(max(m, 1), dtype=np.float32)
            nk = np.empty(max(m, 1), dtype=np.int64)
            losses[c] = _edges_infonce(
                Y, H, T, W, wpow, start, stop, lo, hi, m, key0, rho, eps, exag,
                lr, clip, want_loss, dk, nk,
            )  # fmt: skip
        else:
            losses[c], dths[c] = _edges(
                Y, H, T, W, wpow, start, stop, lo, hi, m, key0, code, nu, eps,
                exag, wneg, lr, clip, want_loss, r2, near_keep, b, bt,
            )  # fmt: skip
    return losses.sum(), dths.sum()


# ---------------------------------------------------------------------------
# exact near-field repulsion (NEG towards the t-SNE end)
# ---------------------------------------------------------------------------


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


@njit(cache=True, parallel=True, fastmath=_FAST)
def near_field(
    Y, starts, members, lo, side, g, h, plo, phi, deg, deg_eff, cw, wneg, nu, eps, lr,
    clip, fade, b=1.0, bt=1.0,
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

    ``b, bt``: the kernel's exponent and its weight, as in the drawn
    negatives (:func:`_kpow`).

    ``fade``: the pair force fades out towards ``h`` with the switch
    ``(1 - r^2/h^2)^2``, for a far field on a mesh that has the complement
    (``napari_cne.embedding.mesh_repulsion``).

    Returns
    -------
    int
        Pairs closer than ``h`` found (the caller steers ``h`` with it).
    """
    f32 = np.float32
    one, two = f32(1.0), f32(2.0)
    nu, eps, lr, clip, cw = f32(nu), f32(eps), f32(lr), f32(clip), f32(cw)
    wneg, b, bt = f32(wneg), f32(b), f32(bt)
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
                        pb, db = _kpow(dist, b, bt)
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


# ---------------------------------------------------------------------------
# far field on a mesh (NEG towards the t-SNE end, 1-D and 2-D layouts)
# ---------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _mesh_cell(v, lo, dx, n_side):
    # cloud-in-cell: the lower node and the fraction towards the next one
    u = (v - lo) / dx
    c = min(max(np.int64(np.floor(u)), 0), n_side - 2)
    return c, min(max(u - c, 0.0), 1.0)


@njit(cache=True)
def mesh_spread(Y, weights, lo, dx, out):
    """Add each point's weights to the mesh nodes around it (cloud-in-cell).

    Parameters
    ----------
    Y : float32 array (n, d), d <= 2
    weights : float32 array (C, n)
        One mass per point and channel.
    lo : float64 array (d,)
        Position of node (0, 0).
    dx : float
        Node spacing.
    out : float array (C, N0, N1)
        Mesh, added to (``N1 = 1`` in 1-D; ``N0, N1 >= 2`` otherwise).
    """
    n_ch, n0, n1 = out.shape
    two_d = Y.shape[1] > 1
    for i in range(Y.shape[0]):
        c0, t0 = _mesh_cell(Y[i, 0], lo[0], dx, n0)
        c1, t1 = 0, 0.0
        if two_d:
            c1, t1 = _mesh_cell(Y[i, 1], lo[1], dx, n1)
        for c in range(n_ch):
            w = weights[c, i]
            out[c, c0, c1] += w * (1.0 - t0) * (1.0 - t1)
            out[c, c0 + 1, c1] += w * t0 * (1.0 - t1)
            if two_d:
                out[c, c0, c1 + 1] += w * (1.0 - t0) * t1
                out[c, c0 + 1, c1 + 1] += w * t0 * t1


@njit(cache=True, parallel=True)
def mesh_gather(Y, fields, lo, dx):
    """Interpolate mesh fields at the points (cloud-in-cell).

    Parameters
    ----------
    Y : float32 array (n, d), d <= 2
    fields : float array (C, N0, N1)
    lo, dx : as for :func:`mesh_spread`

    Returns
    -------
    float64 array (n, C)
    """
    n_ch, n0, n1 = fields.shape
    n = Y.shape[0]
    two_d = Y.shape[1] > 1
    out = np.empty((n, n_ch))
    for i in prange(n):
        c0, t0 = _mesh_cell(Y[i, 0], lo[0], dx, n0)
        c1, t1 = 0, 0.0
        if two_d:
            c1, t1 = _mesh_cell(Y[i, 1], lo[1], dx, n1)
        for c in range(n_ch):
            v = fields[c, c0, c1] * (1.0 - t0) * (1.0 - t1)
            v += fields[c, c0 + 1, c1] * t0 * (1.0 - t1)
            if two_d:
                v += fields[c, c0, c1 + 1] * (1.0 - t0) * t1
                v += fields[c, c0 + 1, c1 + 1] * t0 * t1
            out[i, c] = v
    return out
