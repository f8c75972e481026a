"""Cloud-in-cell spreading onto a mesh and interpolation back (numba).

The far field (:func:`napari_cne.engine.fields.mesh_repulsion`) spreads the
points' degrees onto a regular 1-D or 2-D mesh, convolves them with the
repulsion kernel by FFT and reads the force back at the points.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["mesh_gather", "mesh_spread"]


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
