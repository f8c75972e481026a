"""The torch backend: batches of edges on any device, for a layout or a network.

As the reference does: each epoch a random permutation of the edges (thinned
by their weights where the spectrum asks for it), cut into batches; per
batch the negatives are drawn from the batch's own slots, the closed-form
forces (:func:`~..losses.pair_forces`) are summed per point, clipped per
coordinate and applied by SGD (free layout) or back-propagated into the
network and applied by Adam (parametric mode).
"""

from __future__ import annotations

import numpy as np
import torch

from ..losses import GRAD_CLIP, NceNormaliser, pair_forces
from ..parametric import ParametricNetwork
from ..spectrum import EpochSpec
from .base import Backend

__all__ = ["TorchBackend", "constants"]


def constants(spec: EpochSpec, nu: float, exaggeration: float = 1.0) -> dict:
    """Return the keyword arguments of :func:`~..losses.pair_forces` for ``spec``."""
    return {
        "nu": nu,
        "rho": spec.rho,
        "eps": float(spec.eps),
        "b": float(spec.b),
        "bt": float(spec.blend),
        "exaggeration": exaggeration,
        "neg_weight": spec.neg_weight,
    }


class TorchBackend(Backend):
    """Layout (or network) updated batch by batch with torch.

    Parameters
    ----------
    Y0 : float32 array (n, d)
        Initial layout (kept for a network too, as its warm-start anchor).
    heads, tails, weights, tsne_weights : arrays (E,)
        The directed edges, their weights and their t-SNE weights.
    loss : str
        Loss mode.
    batch_size : int
        Edges per SGD step.
    negative_samples : int
        Negatives drawn per edge.
    device : torch.device
    generator : torch.Generator
        Draws the edge order and the negatives.
    network : ParametricNetwork, optional
        Parametric mode: the network makes the layout.
    nce : NceNormaliser, optional
        NCE's learned normaliser.
    """

    name = "torch"

    def __init__(
        self,
        Y0: np.ndarray,
        heads,
        tails,
        weights,
        tsne_weights,
        *,
        loss: str,
        batch_size: int,
        negative_samples: int,
        device: torch.device,
        generator: torch.Generator,
        network: ParametricNetwork | None = None,
        nce: NceNormaliser | None = None,
    ) -> None:
        self.device = device
        self.Y = torch.as_tensor(Y0, device=device).contiguous()
        self.heads = torch.as_tensor(np.asarray(heads, np.int64), device=device)
        self.tails = torch.as_tensor(np.asarray(tails, np.int64), device=device)
        self.weights = torch.as_tensor(np.asarray(weights, np.float32), device=device)
        self.tsne_weights = torch.as_tensor(
            np.asarray(tsne_weights, np.float32), device=device
        )
        self.loss = loss
        self.batch_size = int(batch_size)
        self.negative_samples = int(negative_samples)
        self.gen = generator
        self.network = network
        self.nce = nce

    def layout(self) -> np.ndarray:
        """Return a copy of the layout (the network's output in parametric mode)."""
        if self.network is not None:
            return self.network.embed_all()
        return self.Y.detach().cpu().numpy().copy()

    def set_layout(self, Y: np.ndarray) -> None:
        """Overwrite the free layout."""
        if self.network is not None:
            raise ValueError("a parametric model's layout is its network's output")
        self.Y.copy_(torch.as_tensor(Y, device=self.device))

    def _nu(self, spec: EpochSpec) -> float:
        return self.nce.nu(self.negative_samples) if self.nce is not None else spec.nu

    def epoch(self, lr: float, spec: EpochSpec, exaggeration: float) -> float:
        """Run one epoch; return the loss per edge of its first batch."""
        n_edges, width, dev = self.heads.shape[0], self.batch_size, self.device
        grad_mode = torch.no_grad() if self.network is None else torch.enable_grad()
        with grad_mode:
            perm = torch.randperm(n_edges, generator=self.gen, device=dev)
            if spec.edge_power > 0 or spec.tsne_power > 0:
                # each edge w ** p * w_tsne ** p_tsne times in expectation:
                # its whole part, and once more with the rest's probability
                w = self.weights[perm].pow(spec.edge_power)
                w = w * self.tsne_weights[perm].pow(spec.tsne_power)
                r = torch.rand(n_edges, generator=self.gen, device=dev)
                whole = w.floor()
                perm = perm.repeat_interleave((whole + (r < w - whole)).long())
            heads, tails = self.heads[perm], self.tails[perm]
            first = None
            for start in range(0, max(heads.shape[0], 1), width):
                h = heads[start : start + width]
                t = tails[start : start + width]
                out = self._step(h, t, lr, spec, exaggeration, start == 0)
                if start == 0:
                    first = out
        return float(first) / min(width, n_edges)

    def _negatives(self, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Negatives for each head: random other slots of the batch (2b slots)."""
        size = h.shape[0]
        m = min(self.negative_samples, 2 * size - 2) if size > 1 else 1
        slots = torch.cat([h, t])
        r = torch.randint(
            0, max(2 * size - 1, 1), (size, m), generator=self.gen, device=h.device
        )
        pos = (torch.arange(size, device=h.device)[:, None] + 1 + r) % (2 * size)
        return slots[pos]

    def _scatter(self, Y, h, t, neg, spec, exaggeration, want_loss):
        """Return every point's summed gradient in this batch, and the gradients."""
        f_pos, f_neg, pg = pair_forces(
            self.loss,
            Y[h],
            Y[t],
            Y[neg],
            compute_loss=want_loss,
            **constants(spec, self._nu(spec), exaggeration),
        )
        idx = torch.cat([h, t, neg.reshape(-1)])
        val = torch.cat(
            [f_pos + f_neg.sum(1), f_pos.neg_(), f_neg.reshape(-1, Y.shape[1]).neg_()]
        )
        grad = torch.zeros_like(Y)
        grad.index_add_(0, idx, val)
        return grad, pg

    def _step(self, h, t, lr, spec, exaggeration, want_loss):
        neg = self._negatives(h, t)
        if self.network is None:
            grad, pg = self._scatter(self.Y, h, t, neg, spec, exaggeration, want_loss)
            grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
            self.Y.add_(grad, alpha=-lr)
        else:
            pg = self._network_step(h, t, neg, lr, spec, exaggeration, want_loss)
        if self.nce is not None:
            self.nce.step(float(pg.d_theta))
        return pg.loss

    def _network_step(self, h, t, neg, lr, spec, exaggeration, want_loss):
        net = self.network
        every = torch.cat([h, t, neg.reshape(-1)])
        uniq, inv = torch.unique(every, return_inverse=True)
        size, m = h.shape[0], neg.shape[1]
        hi, ti, ni = inv[:size], inv[size : 2 * size], inv[2 * size :].reshape(size, m)
        for group in net.optimizer.param_groups:
            group["lr"] = lr
        Yu = net.net(net.inputs[uniq])
        with torch.no_grad():
            grad, pg = self._scatter(
                Yu.detach(), hi, ti, ni, spec, exaggeration, want_loss
            )
        net.optimizer.zero_grad(set_to_none=True)
        Yu.backward(grad)
        for p in net.net.parameters():
            p.grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
        net.optimizer.step()
        return pg
