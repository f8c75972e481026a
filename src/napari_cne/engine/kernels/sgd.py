"""The fused SGD kernel of the CPU backend (numba).

The torch backend evaluates a batch in about twenty separate array passes
(gathers, elementwise maths, scatters), each streaming ``width * (m + 1)``
pairs through memory. These kernels visit every pair once while the layout
(``n x 2`` floats, a few MB at most) stays in cache.

Semantics (algorithm.md §5 and §8, with one documented difference): an
epoch visits every directed edge once; the edges are cut into batches
("windows") of ``width`` edges whose ``2 width`` slots (heads, then tails)
are the pool the negatives are drawn from, uniformly, excluding the head's
own slot, so the noise distribution is the reference's (points in
proportion to their degree). The gradients per pair are the closed forms of
:mod:`napari_cne.engine.losses`, clipped per coordinate to ``[-clip, clip]``.

The difference: the reference sums a whole batch's gradients per point
before one clipped SGD step; here each edge's forces are applied as soon as
they are computed (the head's summed force, clipped, after its negatives;
the tail's and each negative's straight away), and the threads share the
layout without locks, as umap-learn's optimiser and "Hogwild!" SGD do.
Writes from two threads rarely touch the same point, and a lost update is
one small step; what it buys is a kernel whose cost per pair is a few
nanoseconds and that scales with cores. With one thread the result is
bit-for-bit reproducible; with several it varies between runs in the way
umap-learn's does (benchmarks/NOTES.md has the measurements).
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
    kernel_term,
    lookup,
    mix,
)

__all__ = ["LOSS_CODES", "sgd_window", "shuffle_windows"]

#: Loss mode -> the kernels' integer code.
LOSS_CODES = {"neg": 0, "nce": 1, "umap": 2, "infonce": 3}


@njit(cache=True, parallel=True)
def shuffle_windows(H, T, W, P, width, seed, epoch):
    """Shuffle the edge arrays in place within each window of ``width`` edges.

    ``P`` (the edges' participation probabilities, or an empty array) is
    shuffled with ``H``, ``T`` and ``W``. The caller rotates the arrays by a
    random offset first, so the windows are cut somewhere else every epoch
    and edges keep mixing across them; with one full permutation before the
    first epoch this gives every batch a fresh random set of edges at the
    cost of cache-local swaps.
    """
    with_p = P.shape[0] > 0
    E = H.shape[0]
    n_win = (E + width - 1) // width
    for w in prange(n_win):
        lo = w * width
        size = min(width, E - lo)
        key = mix(uint64(seed) ^ mix(uint64(epoch) * uint64(GOLDEN) + uint64(w)))
        for t in range(size - 1, 0, -1):
            r = lo + below(mix(key + uint64(t)), uint64(t + 1))
            a = lo + t
            H[a], H[r] = H[r], H[a]
            T[a], T[r] = T[r], T[a]
            W[a], W[r] = W[r], W[a]
            if with_p:
                P[a], P[r] = P[r], P[a]


@njit(cache=True, inline="always")
def _skip(key, w, p):
    # an edge of weight w < 1 takes part in an epoch with probability w**p
    if p == 0.0 or w >= 1.0:
        return False
    if p != 1.0:
        w = np.exp(p * np.log(w))
    return np.float32((key >> uint64(40)) * (1.0 / 16777216.0)) >= w


@njit(cache=True, inline="always")
def _draw(H, T, wlo, width, own, key, k, span):
    # a uniformly drawn slot of the window other than the head's own (own)
    s = own + 1 + below(mix(key + uint64(k + 1)), span)
    s = s - 2 * width if s >= 2 * width else s
    return H[wlo + s] if s < width else T[wlo + s - width]


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
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


@njit(cache=True, fastmath=FASTMATH)
def _move_head(Y, i, h0, h1, h2, clip, lr):
    d = Y.shape[1]
    Y[i, 0] -= lr * min(max(h0, -clip), clip)
    if d > 1:
        Y[i, 1] -= lr * min(max(h1, -clip), clip)
    if d > 2:
        Y[i, 2] -= lr * min(max(h2, -clip), clip)


@njit(cache=True, fastmath=FASTMATH)
def _edges(
    Y, H, T, W, wpow, wlo, whi, lo, hi, m, key0, code, nu, eps, exag, wneg, lr, clip,
    want_loss, r2, near_keep, b, blend, table,
):  # fmt: skip
    """NEG, NCE and UMAP losses: edges ``lo..hi`` of the window ``wlo..whi``.

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
    lr, clip, one, two = f32(lr), f32(clip), f32(1.0), f32(2.0)
    r2, b, blend = f32(r2), f32(b), f32(blend)
    wnear = wneg * f32(near_keep)
    d = Y.shape[1]
    width = whi - wlo
    span = uint64(2 * width - 1) if width > 1 else uint64(1)
    loss = 0.0
    dth = 0.0
    tabled = code == 0 and has_table(table) and not want_loss
    for e in range(lo, hi):
        key = mix(key0 + uint64(e) * uint64(GOLDEN))
        if _skip(key, W[e], wpow):
            continue
        i = H[e]
        j = T[e]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        e0 = x0 - Y[j, 0]
        e1 = x1 - Y[j, 1] if d > 1 else one - one
        e2 = x2 - Y[j, 2] if d > 2 else one - one
        d2 = e0 * e0 + e1 * e1 + e2 * e2
        if tabled:
            gp = exag * lookup(table, 0, d2)
        elif code <= 1:  # NEG / NCE: -log sigma without the clamp (losses.py)
            pb, db = kernel_term(d2, b, blend)
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
            q = _draw(H, T, wlo, width, e - wlo, key, k, span)
            a0 = x0 - Y[q, 0]
            a1 = x1 - Y[q, 1] if d > 1 else one - one
            a2 = x2 - Y[q, 2] if d > 2 else one - one
            dist = a0 * a0 + a1 * a1 + a2 * a2
            wk = wnear if dist < r2 else wneg
            if tabled:
                if wk == 0:
                    continue
                gk = wk * lookup(table, 1, dist)
            elif code <= 1:
                pb, db = kernel_term(dist, b, blend)
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


@njit(cache=True, fastmath=FASTMATH)
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
    width = whi - wlo
    span = uint64(2 * width - 1) if width > 1 else uint64(1)
    loss = 0.0
    for e in range(lo, hi):
        key = mix(key0 + uint64(e) * uint64(GOLDEN))
        if _skip(key, W[e], wpow):
            continue
        i = H[e]
        j = T[e]
        x0 = Y[i, 0]
        x1 = Y[i, 1] if d > 1 else x0
        x2 = Y[i, 2] if d > 2 else x0
        qp = one / (eps + _d2(Y, j, x0, x1, x2))
        ssum = min(max(qp, LO), HI)
        for k in range(m):
            q = _draw(H, T, wlo, width, e - wlo, key, k, span)
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
    clip, want_loss, n_parts, r2=0.0, near_keep=1.0, b=1.0, blend=1.0, table=NO_TABLE,
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
    b, blend : float
        NEG / NCE: kernel exponent and its weight, ``q = 1 / (eps + (1 - blend)
        d2 + blend d2**b)``.
    table : float32 array (2, L)
        NEG: the force factors for these constants
        (:func:`.common.force_table`); ``NO_TABLE``: computed exactly.

    Returns
    -------
    loss : float
        Summed loss over the window (0 unless ``want_loss``).
    d_theta : float
        NCE: derivative of the loss with respect to log Z.
    """
    width = stop - start
    m = min(m, 2 * width - 2) if width > 1 else 0
    key0 = mix(uint64(seed) ^ mix(uint64(step) * uint64(GOLDEN)))
    losses = np.zeros(n_parts)
    dths = np.zeros(n_parts)
    for c in prange(n_parts):
        lo = start + c * width // n_parts
        hi = start + (c + 1) * width // n_parts
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
                exag, wneg, lr, clip, want_loss, r2, near_keep, b, blend, table,
            )  # fmt: skip
    return losses.sum(), dths.sum()
