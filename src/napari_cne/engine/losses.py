"""Contrastive losses with closed-form gradients.

Every loss is a sum over *heads* ``t`` of terms in the squared embedding
distances to the head's positive partner (``d2_pos``, shape ``(b,)``) and to
its ``m`` negatives (``d2_neg``, shape ``(b, m)``).  :func:`pair_gradients`
returns the derivatives of the summed loss with respect to those squared
distances; the optimiser turns them into forces with
``dL/dy_i = 2 g (y_i - y_j)`` on both ends of each pair.  This avoids
autograd entirely (the formulas are those of ``algorithm.md`` section 5 and
are checked against autograd in the tests).

Notation: ``q = 1 / (eps + d2)`` (Cauchy kernel), ``c(x) = clip(x, lo, hi)``
with ``lo = 1e-4`` and ``hi = 1``; a clipped term contributes no gradient.

* ``neg``:  ``log(1 + nu (d2_+ + eps)) - w sum_k log c(1 - sigma_k)``,
  ``sigma = 1 / (1 + nu (d2 + eps))``: ``-log sigma_+`` without the clamp
  (the reference clamps it at ``1e-4``, which switches the attraction off
  for far-apart neighbours once ``nu`` is large), and the negatives weighted
  by ``w = noise_ratio / m`` (:func:`napari_cne.spectrum.noise_ratio`).
* ``nce``:  the same with ``nu = m exp(theta)`` and ``theta`` learned.
* ``neg`` and ``nce`` take a kernel exponent ``b`` and its weight ``bt``:
  ``d2`` above stands for ``(1 - bt) d2 + bt d2**b`` (``b = 1``: the Cauchy
  kernel; umap-learn's ``1 / (1 + a d^2b)`` is NEG's posterior with
  ``bt = 1`` and ``eps -> 0``, up to the scale ``a``).
* ``umap``: ``-log c(q_+) - sum_k log c(1 - q_k)``.
* ``infonce``: ``T [-log c(q_+) + log(c(q_+) + sum_k c(q_k)) / rho]`` with
  ``T = 0.5``.

``exaggeration`` multiplies the attractive part of the positive term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "GRAD_CLIP",
    "LOSSES",
    "NceNormaliser",
    "PairGradients",
    "kernel_term",
    "pair_forces",
    "pair_gradients",
]

LOSSES = ("neg", "nce", "infonce", "umap")

CLAMP_LOW = 1e-4
CLAMP_HIGH = 1.0
INFONCE_TEMPERATURE = 0.5
#: Per-coordinate clip of a point's force (algorithm.md §8).
GRAD_CLIP = 4.0
#: Learning rate of NCE's log-normaliser (not annealed, algorithm.md §5.2).
NCE_LR = 1e-3


class NceNormaliser:
    """NCE's learned normaliser ``Z = exp(theta)``, one SGD step per batch.

    ``theta`` starts at 0 (``Z = 1``) and moves by ``-NCE_LR`` times its
    gradient, clipped to ``GRAD_CLIP``, as the reference does.
    """

    def __init__(self, log_z: float = 0.0) -> None:
        self.log_z = float(log_z)

    @property
    def z(self) -> float:
        """The current normaliser (in units of ``1 / n^2``)."""
        return math.exp(self.log_z)

    def nu(self, m: int) -> float:
        """Return the noise ratio ``m Z`` of the current normaliser."""
        return int(m) * math.exp(self.log_z)

    def step(self, d_theta: float) -> None:
        """Take one step along ``-d_theta`` (the loss's derivative in log Z)."""
        self.log_z -= NCE_LR * max(-GRAD_CLIP, min(GRAD_CLIP, float(d_theta)))


@dataclass
class PairGradients:
    """Derivatives of the batch loss with respect to squared distances."""

    g_pos: torch.Tensor  #: ``(b,)``
    g_neg: torch.Tensor  #: ``(b, m)``
    loss: torch.Tensor | None  #: scalar sum over the batch (if requested)
    d_theta: torch.Tensor | None = None  #: NCE: dL/d(log Z)


def _in_range(x: torch.Tensor) -> torch.Tensor:
    return (x >= CLAMP_LOW) & (x <= CLAMP_HIGH)


def kernel_term(d2, b: float, bt: float):
    """Return ``D = (1 - bt) d2 + bt d2**b`` and its derivative in ``d2``.

    ``d2``: a torch tensor or a numpy array (:func:`.fields.mesh_repulsion`);
    the derivative is the scalar 1 for the Cauchy kernel. The numba twin is
    :func:`napari_cne.engine.kernels.common.kernel_term`.
    """
    if b == 1.0 or bt == 0.0:
        return d2, 1.0
    safe = d2.clip(min=1e-30)  # the force ~ d**(2b - 1): 0 at d = 0 for b > 1/2
    p = safe**b
    return (1.0 - bt) * d2 + bt * p, (1.0 - bt) + bt * b * p / safe


def pair_gradients(
    loss: str,
    d2_pos: torch.Tensor,
    d2_neg: torch.Tensor,
    *,
    nu: float = 1.0,
    rho: float = 1.0,
    eps: float = 1.0,
    b: float = 1.0,
    bt: float = 1.0,
    exaggeration: float = 1.0,
    neg_weight: float = 1.0,
    compute_loss: bool = True,
) -> PairGradients:
    """Return ``dL/d(d2)`` for positive and negative pairs of one batch.

    Parameters
    ----------
    loss : {"neg", "nce", "umap", "infonce"}
        Loss mode. For ``"nce"`` pass ``nu = m * exp(theta)``.
    d2_pos : torch.Tensor, shape (b,)
        Squared distances head -> positive partner.
    d2_neg : torch.Tensor, shape (b, m)
        Squared distances head -> negatives.
    nu : float
        NEG/NCE noise ratio.
    rho : float
        InfoNCE repulsion down-weighting (``>= 1`` moves towards UMAP).
    eps : float
        Kernel offset, ``q = 1 / (eps + d2)``.
    b, bt : float
        NEG / NCE: kernel exponent and its weight, ``q = 1 / (eps + (1 - bt)
        d2 + bt d2**b)``; the gradients stay with respect to ``d2``.
    exaggeration : float
        Factor on the attractive part of the positive term.
    neg_weight : float
        NEG/NCE: weight of each negative term.
    compute_loss : bool
        Also return the summed loss value.

    Returns
    -------
    PairGradients
    """
    import torch

    if loss in ("neg", "nce"):
        p_pos, s_pos = kernel_term(d2_pos, b, bt)
        p_neg, s_neg = kernel_term(d2_neg, b, bt)
        a_pos = nu * (p_pos + eps)
        sig_pos = 1.0 / (1.0 + a_pos)
        g_pos = (exaggeration * nu) * sig_pos * s_pos
        a_neg = nu * (p_neg + eps)
        sig_neg = 1.0 / (1.0 + a_neg)
        one_m = a_neg * sig_neg
        ok_neg = _in_range(one_m)
        g_neg = (-neg_weight) * sig_neg * s_neg / (p_neg + eps) * ok_neg
        value = None
        if compute_loss:
            value = (
                torch.log1p(a_pos).sum()
                - neg_weight * torch.log(one_m.clamp(CLAMP_LOW, CLAMP_HIGH)).sum()
            )
        d_theta = None
        if loss == "nce":
            d_theta = (1.0 - sig_pos).sum() - neg_weight * (sig_neg * ok_neg).sum()
        return PairGradients(g_pos, g_neg, value, d_theta)

    if loss == "umap":
        q_pos = 1.0 / (eps + d2_pos)
        g_pos = exaggeration * q_pos * _in_range(q_pos)
        q_neg = 1.0 / (eps + d2_neg)
        one_m = 1.0 - q_neg
        ok = _in_range(one_m)
        g_neg = torch.where(ok, -q_neg * q_neg / one_m.clamp_min(CLAMP_LOW), 0.0)
        value = None
        if compute_loss:
            value = -(
                torch.log(q_pos.clamp(CLAMP_LOW, CLAMP_HIGH)).sum()
                + torch.log(one_m.clamp(CLAMP_LOW, CLAMP_HIGH)).sum()
            )
        return PairGradients(g_pos, g_neg, value)

    if loss == "infonce":
        t = INFONCE_TEMPERATURE
        q_pos = 1.0 / (eps + d2_pos)
        q_neg = 1.0 / (eps + d2_neg)
        ok_pos = _in_range(q_pos)
        ok_neg = _in_range(q_neg)
        c_pos = q_pos.clamp(CLAMP_LOW, CLAMP_HIGH)
        c_neg = q_neg.clamp(CLAMP_LOW, CLAMP_HIGH)
        s_sum = c_pos + c_neg.sum(dim=1)
        inv = 1.0 / (rho * s_sum)
        g_pos = t * (exaggeration * q_pos - q_pos * q_pos * inv) * ok_pos
        g_neg = -t * q_neg * q_neg * inv[:, None] * ok_neg
        value = None
        if compute_loss:
            value = t * (-torch.log(c_pos).sum() + torch.log(s_sum).sum() / rho)
        return PairGradients(g_pos, g_neg, value)

    raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")


def pair_forces(
    loss: str,
    y_heads: torch.Tensor,
    y_tails: torch.Tensor,
    y_negs: torch.Tensor,
    *,
    compute_loss: bool = False,
    **constants,
) -> tuple[torch.Tensor, torch.Tensor, PairGradients]:
    """Return the forces on the heads' partners and negatives, and the gradients.

    The gradient of ``f(d2)`` with respect to the head is ``2 f'(d2) (y_h -
    y_j)``; its partner gets the opposite.

    Parameters
    ----------
    loss : str
        Loss mode.
    y_heads, y_tails : torch.Tensor, shape (b, d)
        Positions of the heads and of their positive partners.
    y_negs : torch.Tensor, shape (b, m, d)
        Positions of each head's negatives.
    compute_loss : bool
        Also return the summed loss value.
    **constants
        ``nu``, ``rho``, ``eps``, ``b``, ``bt``, ``exaggeration``,
        ``neg_weight`` of :func:`pair_gradients`.

    Returns
    -------
    f_pos : torch.Tensor, shape (b, d)
        Gradient on each head from its positive pair (the partner gets
        ``-f_pos``).
    f_neg : torch.Tensor, shape (b, m, d)
        Gradient on each head from each negative (the negative gets minus).
    gradients : PairGradients
    """
    dpos = y_heads - y_tails
    dneg = y_heads[:, None, :] - y_negs
    pg = pair_gradients(
        loss,
        dpos.square().sum(-1),
        dneg.square().sum(-1),
        compute_loss=compute_loss,
        **constants,
    )
    f_pos = dpos.mul_(2.0 * pg.g_pos[:, None])
    f_neg = dneg.mul_(2.0 * pg.g_neg[..., None])
    return f_pos, f_neg, pg
