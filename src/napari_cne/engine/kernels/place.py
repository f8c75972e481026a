"""Placing new rows into a fixed layout (numba), each row on its own.

:func:`place_rows` optimises every new row against the fitted layout,
which does not move: its nearest training rows pull it, negatives drawn
among the training edges' heads push it. A row never meets another new
row, and its random numbers are hashes of its own key (:func:`row_keys`,
made from its values and the seed), so its place is the same alone, in any
batch, in any order and on any number of threads, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from ..losses import CLAMP_HIGH as HI
from ..losses import CLAMP_LOW as LO
from ..losses import INFONCE_TEMPERATURE as INFONCE_T
from .common import FASTMATH, GOLDEN, below, mix, neg_pull, neg_push

__all__ = ["place_rows", "row_keys"]


@njit(cache=True, nogil=True)
def row_keys(X, seed):
    """Return a 64-bit key per row of the float32 ``X``: a hash of its values.

    ``-0.0`` and ``0.0`` give the same key (their sum with ``0.0`` is).
    """
    n, d = X.shape
    out = np.empty(n, dtype=np.uint64)
    zero = np.float32(0.0)
    bits = np.empty(1, dtype=np.float32)
    as_int = bits.view(np.uint32)
    for r in range(n):
        key = mix(uint64(seed) + uint64(GOLDEN))
        for a in range(d):
            bits[0] = X[r, a] + zero
            key = mix(key ^ (uint64(as_int[0]) + uint64(GOLDEN)))
        out[r] = key
    return out


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _pull(code, d2, nu, eps, b, blend, exag):
    """Pull of the partner at d2 (NEG/NCE/UMAP): the factor of ``2 g (y_j - x)``."""
    one = np.float32(1.0)
    if code <= 1:
        return neg_pull(d2, nu, eps, b, blend, exag)[1]
    q = one / (eps + d2)
    return exag * q if (q >= LO and q <= HI) else q - q


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def _push(code, d2, nu, eps, b, blend, wneg):
    """Push of one negative at d2 (NEG/NCE/UMAP): the factor of ``2 g (y_q - x)``."""
    one = np.float32(1.0)
    if code <= 1:
        a, push = neg_push(d2, nu, eps, b, blend, -wneg)
        om = a / (one + a)  # 1 - sigma, clipped as in losses.pair_gradients
        if om < LO or om > HI:
            return d2 - d2
        return push
    q = one / (eps + d2)
    om = one - q
    return -q * q / om if (om >= LO and om <= HI) else q - q


@njit(cache=True, nogil=True, parallel=True, fastmath=FASTMATH)
def place_rows(
    Y, neighbours, pool, keys, code, nu, rho, eps, b, blend, exag, wneg, m, lr,
    n_epochs, clip,
):  # fmt: skip
    """Place new rows into the fixed layout ``Y``.

    Each row starts at the mean of its neighbours' positions; every epoch
    its force (the pull of each neighbour and the push of ``m`` negatives
    per neighbour, drawn from ``pool``) is summed in a fixed order, clipped
    per coordinate to ``clip`` and applied with a learning rate decaying
    linearly from ``lr``: the update of ``losses.pair_gradients``.

    Parameters
    ----------
    Y : float32 array (n, d), d <= 3
        The fitted layout (read only).
    neighbours : int64 array (n_new, k)
        Each new row's nearest training rows.
    pool : int64 array (E,)
        The training edges' heads: negatives in proportion to the degree.
    keys : uint64 array (n_new,)
        Each row's random key (:func:`row_keys`).
    code : int
        Loss code (:data:`.sgd.LOSS_CODES`).
    nu, rho, eps, b, blend, exag, wneg : float
        The loss's constants at the fitted spectrum position.
    m, lr, n_epochs, clip :
        Negatives per neighbour, initial learning rate, epochs, force clip.

    Returns
    -------
    float32 array (n_new, d)
    """
    f32 = np.float32
    nu, rho, eps, b, blend = f32(nu), f32(rho), f32(eps), f32(b), f32(blend)
    exag, wneg, clip, two = f32(exag), f32(wneg), f32(clip), f32(2.0)
    tmp, one = f32(INFONCE_T), f32(1.0)
    n_new, k = neighbours.shape
    d = Y.shape[1]
    n_pool = uint64(pool.shape[0])
    out = np.empty((n_new, d), dtype=np.float32)
    for r in prange(n_new):
        x = np.zeros(3, dtype=np.float32)
        g = np.zeros(3, dtype=np.float32)
        qk = np.empty(max(m, 1), dtype=np.float32)
        drawn = np.empty(max(m, 1), dtype=np.int64)
        for kk in range(k):
            for a in range(d):
                x[a] += Y[neighbours[r, kk], a]
        for a in range(d):
            x[a] /= f32(k)
        for ep in range(n_epochs):
            rate = f32(lr * (1.0 - ep / n_epochs))
            g[:] = 0.0
            for kk in range(k):
                j = neighbours[r, kk]
                d2 = f32(0.0)
                for a in range(d):
                    d2 += (Y[j, a] - x[a]) ** 2
                ssum = f32(0.0)
                inv = one
                for t in range(m):
                    draw = uint64(ep) * uint64(GOLDEN) + uint64(kk * m + t)
                    key = mix(keys[r] ^ mix(draw))
                    q = pool[below(key, n_pool)]
                    drawn[t] = q
                    dq = f32(0.0)
                    for a in range(d):
                        dq += (Y[q, a] - x[a]) ** 2
                    qk[t] = dq
                    if code == 3:
                        qk[t] = one / (eps + dq)
                        ssum += min(max(qk[t], LO), HI)
                if code == 3:  # InfoNCE: the softmax over the candidates
                    qp = one / (eps + d2)
                    inv = one / (rho * (min(max(qp, LO), HI) + ssum))
                    ok = qp >= LO and qp <= HI
                    gp = tmp * (exag * qp - qp * qp * inv) if ok else qp - qp
                else:
                    gp = _pull(code, d2, nu, eps, b, blend, exag)
                for a in range(d):
                    g[a] += two * gp * (Y[j, a] - x[a])
                for t in range(m):
                    q = drawn[t]
                    if code == 3:
                        c = qk[t]
                        gk = -tmp * c * c * inv if (c >= LO and c <= HI) else c - c
                    else:
                        gk = _push(code, qk[t], nu, eps, b, blend, wneg)
                    for a in range(d):
                        g[a] += two * gk * (Y[q, a] - x[a])
            for a in range(d):
                x[a] += rate * min(max(g[a], -clip), clip)
        for a in range(d):
            out[r, a] = x[a]
    return out
