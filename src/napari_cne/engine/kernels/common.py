"""Building blocks shared by the numba kernels: hashing, the kernel term.

Randomness in the kernels is counter-based: a splitmix64 hash of (seed,
step, edge position), so a result does not depend on how the epochs are
split into calls, nor on which thread draws a number.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from ..spectrum import UMAP_B

__all__ = ["FASTMATH", "GOLDEN", "TINY", "below", "kernel_term", "mix"]

#: Added under roots and divisions by ``d2`` (a float32 normal number).
TINY = 1e-30
#: The golden-ratio increment of splitmix64.
GOLDEN = 0x9E3779B97F4A7C15
#: numba fast-math flags of the hot loops (no ``nnan``/``ninf``: the clamps
#: must see infinities).
FASTMATH = {"nsz", "contract"}


@njit(cache=True, inline="always")
def mix(x):
    """Return the splitmix64 finaliser of ``x``: a good 64-bit hash of a counter."""
    x = (x ^ (x >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> uint64(27))) * uint64(0x94D049BB133111EB)
    return x ^ (x >> uint64(31))


@njit(cache=True, inline="always")
def below(x, span):
    """Map a 64-bit hash to ``[0, span)`` without a division (Lemire 2019)."""
    return np.int64(((x >> uint64(32)) * span) >> uint64(32))


@njit(cache=True, inline="always", fastmath=FASTMATH)
def kernel_term(d2, b, blend):
    """Return the kernel's distance term ``D`` and its derivative (float32).

    ``D = (1 - blend) d2 + blend d2**b``; the kernel is ``1 / (eps + D)``.
    ``blend = 0`` or ``b = 1`` is t-SNE's Cauchy kernel, ``blend = 1`` the
    pure power. ``b = 7/8`` (the UMAP end) is three square roots instead of
    a ``pow``. The torch/numpy twin is :func:`napari_cne.engine.losses.kernel_term`.
    """
    f32 = np.float32
    one = f32(1.0)
    if blend == f32(0.0) or b == one:
        return d2, one
    if b == f32(UMAP_B):  # 7/8: without pow
        r8 = np.sqrt(np.sqrt(np.sqrt(d2 + f32(TINY))))
        p, dp = d2 / r8, f32(UMAP_B) / r8
    else:
        p = (d2 + f32(TINY)) ** b
        dp = b * p / (d2 + f32(TINY))
    if blend == one:
        return p, dp
    return (one - blend) * d2 + blend * p, (one - blend) + blend * dp
