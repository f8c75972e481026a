"""Building blocks shared by the numba kernels: hashing, the kernel, NEG's forces.

Randomness in the kernels is counter-based: a splitmix64 hash of (seed,
step, edge position), so a result does not depend on how the epochs are
split into calls, nor on which thread draws a number.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types, uint64
from numba.extending import intrinsic

from ..spectrum import UMAP_B

__all__ = [
    "FASTMATH",
    "GOLDEN",
    "NO_TABLE",
    "TINY",
    "below",
    "force_table",
    "has_table",
    "kernel_term",
    "lookup",
    "mix",
    "neg_pull",
    "neg_push",
]

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


@njit(cache=True, inline="always", fastmath=FASTMATH)
def neg_pull(d2, nu, eps, b, blend, scale):
    """Return NEG's ``a = nu (D + eps)`` at ``d2`` and ``scale`` times the pull.

    The pull (attraction) factor is ``nu D' / (1 + a)``, with ``D`` the
    kernel term (:func:`kernel_term`) and ``D'`` its derivative in ``d2``:
    the factor of ``2 (y_j - y_i)`` (NCE's too, with its own ``nu``).
    ``scale`` multiplies first (the exaggeration), in float32.
    """
    pb, db = kernel_term(d2, b, blend)
    a = nu * (pb + eps)
    return a, scale * nu * db / (np.float32(1.0) + a)


@njit(cache=True, inline="always", fastmath=FASTMATH)
def neg_push(d2, nu, eps, b, blend, weight):
    """Return NEG's ``a = nu (D + eps)`` at ``d2`` and ``weight`` times one push.

    One negative's push (repulsion) factor is ``D' / ((1 + a) (D + eps))``:
    the drawn negatives, the exact near field and the mesh's far field all
    use it, each with its own weight (and sign); :func:`force_table`
    tabulates it. ``weight`` multiplies first, in float32.
    """
    pb, db = kernel_term(d2, b, blend)
    a = nu * (pb + eps)
    return a, weight * db / ((np.float32(1.0) + a) * (pb + eps))


# ---------------------------------------------------------------------------
# NEG's force factors as tables of d2 (built once per spectrum position)
# ---------------------------------------------------------------------------

#: mantissa bits that index a table: 2**5 entries per power of two of d2
TABLE_MBITS = 5
_SHIFT = 23 - TABLE_MBITS
#: d2 from 2**-24 to 2**24 (beyond: the end values)
TABLE_LO_EXP, TABLE_HI_EXP = -24, 24
_BASE = (127 + TABLE_LO_EXP) << TABLE_MBITS
TABLE_SIZE = (TABLE_HI_EXP - TABLE_LO_EXP) * (1 << TABLE_MBITS) + 1
#: no table: the kernels compute the exact factors. One entry, not none:
#: numba hoists a loop's invariant reads such as ``table[1, 0]`` out of its
#: ``if has_table(table)`` branch, and they must stay inside the array (an
#: empty one gave out-of-bounds reads and, as a default argument, segfaults)
NO_TABLE = np.zeros((2, 1), np.float32)


@njit(cache=True, inline="always")
def has_table(table):
    """Whether ``table`` holds force factors (not :data:`NO_TABLE`)."""
    return table.shape[1] > 1


@intrinsic
def _f32_bits(typingctx, x):
    """Return the bits of a float32 as an int32 (an LLVM bitcast, no work)."""
    if x != types.float32:
        return None
    sig = types.int32(types.float32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int32))

    return sig, codegen


@njit(cache=True, inline="always", fastmath=FASTMATH)
def lookup(table, row, d2):
    """Return ``table[row]`` at ``d2``, interpolated linearly.

    The entries sit at the float32 values whose bits are a multiple of
    ``2**(23 - TABLE_MBITS)``: 32 per power of two, so a float's bits give
    its entry and the fraction to the next without a logarithm.
    """
    bits = _f32_bits(np.float32(d2))
    v = (bits >> _SHIFT) - _BASE
    last = table.shape[1] - 1
    if v < 0:
        return table[row, 0]
    if v >= last:
        return table[row, last]
    frac = np.float32(bits & ((1 << _SHIFT) - 1)) * np.float32(1.0 / (1 << _SHIFT))
    t0 = table[row, v]
    return t0 + frac * (table[row, v + 1] - t0)


def force_table(nu: float, eps: float, b: float, blend: float) -> np.ndarray:
    """Return NEG's force factors at the table's ``d2`` values (float32, (2, L)).

    Row 0: the attraction ``nu D' / (1 + nu (D + eps))``; row 1: one
    negative's repulsion ``-D' / ((1 + nu (D + eps)) (D + eps))``, with ``D =
    (1 - blend) d2 + blend d2**b`` and ``D'`` its derivative in ``d2``: the
    gradients of :func:`napari_cne.engine.losses.pair_gradients` (computed
    in float64; the tables replace a few square roots and divisions per
    pair by one interpolation, relative error about 1e-4).
    """
    from ..losses import kernel_term as array_kernel_term

    bits = (np.arange(TABLE_SIZE, dtype=np.int64) + _BASE) << _SHIFT
    d2 = bits.astype(np.int32).view(np.float32).astype(np.float64)
    pb, slope = array_kernel_term(d2, b, blend)
    a = nu * (pb + eps)
    out = np.empty((2, TABLE_SIZE), np.float32)
    out[0] = nu * slope / (1.0 + a)
    out[1] = -slope / ((1.0 + a) * (pb + eps))
    return out
