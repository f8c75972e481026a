"""Fused CPU kernel for one SGD step (numba).

The torch implementation in :mod:`napari_cne.embedding` evaluates a batch in
about twenty separate array passes (gathers, elementwise maths, scatters),
each streaming ``b * (m + 1)`` pairs through memory.  On the CPU this
kernel does the same computation in a single pass per pair while the layout
(``n x 2`` floats, a few MB at most) stays in cache.

Semantics are those of the torch path (algorithm.md §5 and §8): the batch
occupies ``2b`` slots (heads, then tails); every head's negatives are other
slots drawn uniformly; the gradient of the summed loss is accumulated per
slot, summed per point, clipped per coordinate and applied with plain SGD.

Parallelism is deterministic: heads are processed in parallel and write only
to their own two slots; the forces they exert on their negatives are stored
and added in a fixed serial order afterwards; negatives come from a
counter-based hash of ``(seed, step, head, k)``.  The result therefore does
not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

__all__ = ["LOSS_CODES", "sgd_step"]

LOSS_CODES = {"neg": 0, "nce": 1, "umap": 2, "infonce": 3}

LO = 1e-4
HI = 1.0
INFONCE_T = 0.5


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


@njit(cache=True, parallel=True, fastmath=_FAST)
def sgd_step(
    Y,
    heads,
    tails,
    order,
    start,
    stop,
    m,
    seed,
    step,
    code,
    nu,
    rho,
    eps,
    exag,
    lr,
    clip,
    G,
    F,
    NS,
    P,
    Ys,
    slot_pt,
    want_loss,
    n_parts,
):
    """Run one SGD step on the edges ``order[start:stop]`` in place.

    Parameters
    ----------
    Y : float32 array (n, d)
        Layout, updated in place.
    heads, tails : int64 arrays (E,)
        Directed edges.
    order : int64 array (E,)
        This epoch's edge order.
    start, stop : int
        Batch bounds in ``order``.
    m : int
        Negatives per head (capped at ``2b - 2``).
    seed, step : uint64
        Random stream and global step counter.
    code : int
        Loss code (:data:`LOSS_CODES`).
    nu, rho, eps, exag, lr, clip : float
        Loss and optimiser parameters.
    G : float32 array (2 * batch_size, d)
        Scratch: force on each slot from its own pair terms.
    F : float32 array (batch_size, m, d)
        Scratch: force of each head on each of its negatives.
    NS : int64 array (batch_size, m)
        Scratch: slot of each negative.
    P : float32 array (n, d)
        Scratch: per-point gradients, all zero on entry and on exit.
    Ys : float32 array (2 * batch_size, d)
        Scratch: the layout rows of the batch's slots.
    slot_pt : int64 array (2 * batch_size,)
        Scratch: point index of each slot.
    want_loss : bool
        Also compute the summed loss.
    n_parts : int
        Parts for the parallel scatter (the number of threads; the result
        does not depend on it).

    Returns
    -------
    loss : float
        Summed loss over the batch (0 unless ``want_loss``).
    d_theta : float
        NCE: derivative of the loss with respect to log Z.
    """
    bb = stop - start
    ns = 2 * bb
    d = Y.shape[1]
    m = min(m, ns - 2) if bb > 1 else 1
    for t in prange(bb):  # random reads: let several cores wait for memory
        e = order[start + t]
        h = heads[e]
        u = tails[e]
        slot_pt[t] = h
        slot_pt[bb + t] = u
        for a in range(d):  # slot-ordered copy of the layout (cache friendly)
            Ys[t, a] = Y[h, a]
            Ys[bb + t, a] = Y[u, a]
    span = uint64(ns - 1) if ns > 1 else uint64(1)
    lo_a = LO / (1.0 - LO)  # 1 - sigma >= LO  <=>  a >= LO / (1 - LO)
    n_chunks = min(bb, 64)
    chunk = (bb + n_chunks - 1) // n_chunks
    losses = np.zeros(n_chunks)
    dths = np.zeros(n_chunks)
    for c in prange(n_chunks):
        dk = np.empty(m)  # squared distances head -> negatives
        fh = np.empty(d)
        loss_c = 0.0
        dth_c = 0.0
        for t in range(c * chunk, min(bb, (c + 1) * chunk)):
            d2 = 0.0
            for a in range(d):
                diff = Ys[t, a] - Ys[bb + t, a]
                d2 += diff * diff
            key = _mix(seed ^ _mix(step * uint64(0x9E3779B97F4A7C15) + uint64(t)))
            for k in range(m):
                sl = t + 1 + _below(_mix(key + uint64(k + 1)), span)
                sl = sl - ns * np.int64(sl >= ns)  # no division
                NS[t, k] = sl
                dist = 0.0
                for a in range(d):
                    diff = Ys[t, a] - Ys[sl, a]
                    dist += diff * diff
                dk[k] = dist
            # positive pair: dL/d(d2)
            if code == 3:  # InfoNCE: the softmax needs every candidate
                qp = 1.0 / (eps + d2)
                cqp = min(max(qp, LO), HI)
                ssum = cqp
                for k in range(m):
                    ssum += min(max(1.0 / (eps + dk[k]), LO), HI)
                inv = 1.0 / (rho * ssum)
                gp = 0.0
                if qp >= LO and qp <= HI:
                    gp = INFONCE_T * (exag * qp - qp * qp * inv)
                if want_loss:
                    loss_c += INFONCE_T * (-np.log(cqp) + np.log(ssum) / rho)
            elif code <= 1:  # NEG / NCE
                sig = 1.0 / (1.0 + nu * (d2 + eps))
                gp = exag * nu * sig if sig >= LO else 0.0
                if want_loss:
                    loss_c -= np.log(min(max(sig, LO), HI))
                if code == 1 and sig >= LO:
                    dth_c += 1.0 - sig
            else:  # UMAP
                q = 1.0 / (eps + d2)
                gp = exag * q if (q >= LO and q <= HI) else 0.0
                if want_loss:
                    loss_c -= np.log(min(max(q, LO), HI))
            for a in range(d):
                fh[a] = 2.0 * gp * (Ys[t, a] - Ys[bb + t, a])
                G[bb + t, a] = -fh[a]
            # negatives: dL/d(d2_k)
            for k in range(m):
                p = NS[t, k]
                gk = 0.0
                if code == 3:
                    q = 1.0 / (eps + dk[k])
                    if q >= LO and q <= HI:
                        gk = -INFONCE_T * q * q * inv
                elif code <= 1:
                    an = nu * (dk[k] + eps)
                    if an >= lo_a:  # the clamp on 1 - sigma is inactive
                        gk = -1.0 / ((1.0 + an) * (dk[k] + eps))
                        if code == 1:
                            dth_c -= 1.0 / (1.0 + an)
                    if want_loss:
                        loss_c -= np.log(min(max(an / (1.0 + an), LO), HI))
                else:
                    q = 1.0 / (eps + dk[k])
                    om = 1.0 - q
                    if om >= LO and om <= HI:
                        gk = -q * q / om
                    if want_loss:
                        loss_c -= np.log(min(max(om, LO), HI))
                for a in range(d):
                    f = 2.0 * gk * (Ys[t, a] - Ys[p, a])
                    fh[a] += f
                    F[t, k, a] = f
            for a in range(d):
                G[t, a] = fh[a]
        losses[c] = loss_c
        dths[c] = dth_c
    # forces on negatives -> their slots, slots -> points, then one clipped
    # step per point. Each part owns a range of slots (points) and scans all
    # entries in the same order, so every sum is added up in a fixed order
    # whatever the number of threads.
    for part in prange(n_parts):
        lo = part * ns // n_parts
        hi = (part + 1) * ns // n_parts
        for t in range(bb):
            for k in range(m):
                sl = NS[t, k]
                if sl >= lo and sl < hi:
                    for a in range(d):
                        G[sl, a] -= F[t, k, a]
    n = Y.shape[0]
    for part in prange(n_parts):
        lo = part * n // n_parts
        hi = (part + 1) * n // n_parts
        for s in range(ns):
            p = slot_pt[s]
            if p >= lo and p < hi:
                for a in range(d):
                    P[p, a] += G[s, a]
        for s in range(ns):
            p = slot_pt[s]
            if p >= lo and p < hi:
                for a in range(d):
                    g = P[p, a]
                    if g != 0.0:
                        if g > clip:
                            g = clip
                        elif g < -clip:
                            g = -clip
                        Y[p, a] -= lr * g
                        P[p, a] = 0.0
    return losses.sum(), dths.sum()
