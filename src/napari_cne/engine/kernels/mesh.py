"""The far field's mesh (numba): spreading, the kernel, interpolation back.

The far field (:func:`napari_cne.engine.fields.mesh_repulsion`) spreads the
points' degrees onto a regular 1-D or 2-D mesh, convolves them with the
repulsion kernel (:func:`mesh_kernel`) by FFT and reads the force back at
the points.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .common import FASTMATH, neg_push

__all__ = ["mesh_gather", "mesh_kernel", "mesh_spread"]


@njit(cache=True, inline="always")
def _mesh_cell(v, lo, dx, n_side):
    # cloud-in-cell: the lower node and the fraction towards the next one
    u = (v - lo) / dx
    c = min(max(np.int64(np.floor(u)), 0), n_side - 2)
    return c, min(max(u - c, 0.0), 1.0)


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, parallel=True)
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


@njit(cache=True, nogil=True, parallel=True, fastmath=FASTMATH)
def mesh_kernel(nodes, size, dx, h, nu, eps, b, bt, out):
    """Write the far field's pair force at every mesh offset to ``out``.

    A node offset ``(u, v)`` (``u < nodes[0]`` forwards, the rest of
    ``size[0]`` backwards: a linear convolution's wrap-around, likewise on
    the second axis) is the vector ``r = (u, v) dx``; ``out[a]`` gets
    ``r_a`` times one negative's repulsion factor at ``r2 = |r|^2``,
    ``D'(r2) / ((1 + nu (D + eps)) (D + eps))`` with ``D`` the kernel term
    (:func:`.common.neg_push`), faded in by ``1 - (1 - r2 / h^2)^2``
    below ``h`` (the near field has the complement).

    Parameters
    ----------
    nodes, size : int64 arrays (2,)
        Mesh nodes and FFT size per axis (1 and 1 on the second axis in 1-D).
    out : float32 array (d, size[0], size[1])
    """
    f32 = np.float32
    one = f32(1.0)
    nu, eps, b, bt = f32(nu), f32(eps), f32(b), f32(bt)
    inv_h2 = one / (f32(h) * f32(h))
    d = out.shape[0]
    for u in prange(size[0]):
        x = f32((u if u < nodes[0] else u - size[0]) * dx)
        for v in range(size[1]):
            y = f32((v if v < nodes[1] else v - size[1]) * dx)
            r2 = x * x + y * y
            sw = max(one - r2 * inv_h2, f32(0.0))
            k = neg_push(r2, nu, eps, b, bt, one - sw * sw)[1]
            out[0, u, v] = k * x
            if d > 1:
                out[1, u, v] = k * y
