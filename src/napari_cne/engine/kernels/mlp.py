"""The parametric network's forward pass, row by row (numba).

BLAS multiplies a batch of rows in blocks whose sums it groups by the
batch's size, so torch gives a row a slightly different output alone and in
a batch. :func:`mlp_forward` computes every row on its own, in one fixed
order, so a row's output is the same in any batch, in any tile and on any
number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["forward", "mlp_forward"]


@njit(cache=True, inline="always")
def _layer(h, wt, bias, out, relu):
    # out = bias + h @ wt, summed over the inputs in order (the inner loop
    # runs over the outputs, so it vectorises without reordering a sum)
    for j in range(out.shape[0]):
        out[j] = bias[j]
    for i in range(wt.shape[0]):
        hi = h[i]
        for j in range(out.shape[0]):
            out[j] += hi * wt[i, j]
    if relu:
        for j in range(out.shape[0]):
            out[j] = max(out[j], np.float32(0.0))


@njit(cache=True, nogil=True, parallel=True)
def mlp_forward(X, mean, std, w0, b0, w1, b1, w2, b2, w3, b3):
    """Return ``net((X - mean) / std)`` for the 4-layer ReLU MLP of parametric mode.

    ``w*`` are the layers' weights transposed (inputs x outputs, float32),
    ``b*`` their biases.
    """
    n = X.shape[0]
    out = np.empty((n, w3.shape[1]), dtype=np.float32)
    for r in prange(n):
        x = (X[r] - mean) / std
        h1 = np.empty(w0.shape[1], dtype=np.float32)
        h2 = np.empty(w1.shape[1], dtype=np.float32)
        h3 = np.empty(w2.shape[1], dtype=np.float32)
        _layer(x, w0, b0, h1, True)
        _layer(h1, w1, b1, h2, True)
        _layer(h2, w2, b2, h3, True)
        _layer(h3, w3, b3, out[r], False)
    return out


def forward(X, mean, std, layers) -> np.ndarray:
    """Run :func:`mlp_forward` on the rows ``X`` (made float32).

    ``layers``: as :meth:`~napari_cne.engine.parametric.ParametricNetwork.layers`
    gives them. Starts numba's threads as :func:`napari_cne.engine.threads.start_numba`
    does, for a caller that does not run inside ``threads.limited``.
    """
    from ..threads import start_numba

    start_numba()
    X = np.ascontiguousarray(X, dtype=np.float32)
    mean = np.asarray(mean, np.float32)
    std = np.asarray(std, np.float32)
    return mlp_forward(X, mean, std, *layers)
