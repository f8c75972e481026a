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

__all__ = ["TorchBackend", "place_points"]


def _constants(spec: EpochSpec, nu: float, exaggeration: float = 1.0) -> dict:
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
    heads, tails, weights : arrays (E,)
        The directed edges and their weights.
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
        self.loss = loss
        self.batch_size = int(batch_size)
        self.negative_samples = int(negative_samples)
        self.gen = generator
        self.network = network
        self.nce = nce

    def layout(self) -> np.ndarray:
        """Return a copy of the layout (the network's output in parametric mode)."""
        Y = self.Y if self.network is None else self.network.embed_all()
        return Y.detach().cpu().numpy().copy()

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
            if spec.edge_power > 0:  # each edge with probability w ** p
                w = self.weights[perm].pow(spec.edge_power)
                r = torch.rand(n_edges, generator=self.gen, device=dev)
                perm = perm[r < w]
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
            **_constants(spec, self._nu(spec), exaggeration),
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


def place_points(
    Y_train: np.ndarray,
    neighbours: np.ndarray,
    heads,
    *,
    loss: str,
    spec: EpochSpec,
    nu: float,
    negative_samples: int,
    learning_rate: float,
    n_epochs: int,
    seed: int,
    device: torch.device,
) -> np.ndarray:
    """Place new points into a fixed layout (non-parametric ``transform``).

    Each new point starts at the mean of its nearest training points and is
    optimised against the fixed training layout with the fitted loss and
    spectrum (the training layout does not move).

    Parameters
    ----------
    Y_train : ndarray (n, d)
        The fitted layout.
    neighbours : int array (n_new, k)
        Each new point's nearest training points (its positive partners).
    heads : int array (E,)
        Heads of the training edges: negatives are drawn among them, i.e.
        in proportion to the degree, as in training.
    loss, spec, nu :
        The loss, its constants and the noise ratio in effect.
    negative_samples, learning_rate, n_epochs, seed :
        Negatives per edge, initial rate (linear decay), epochs, seed.
    device : torch.device

    Returns
    -------
    ndarray (n_new, d)
    """
    Yt = torch.as_tensor(Y_train, device=device)
    heads = torch.as_tensor(np.asarray(heads, np.int64), device=device)
    ind = torch.as_tensor(neighbours, device=device)
    k = ind.shape[1]
    Ynew = Yt[ind].mean(dim=1).clone()
    h = torch.arange(Ynew.shape[0], device=device).repeat_interleave(k)
    t = ind.reshape(-1)
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    n_edges = heads.shape[0]
    with torch.no_grad():
        for e in range(int(n_epochs)):
            lr = learning_rate * (1.0 - e / n_epochs)
            # noise like in training: endpoints of random edges (degree-weighted)
            draw = torch.randint(
                0, n_edges, (h.shape[0], negative_samples), generator=gen, device=device
            )
            f_pos, f_neg, _ = pair_forces(
                loss, Ynew[h], Yt[t], Yt[heads[draw]], **_constants(spec, nu)
            )
            f = f_pos + f_neg.sum(1)
            grad = torch.zeros_like(Ynew).index_add_(0, h, f)
            grad.clamp_(-GRAD_CLIP, GRAD_CLIP)
            Ynew.add_(grad, alpha=-lr)
    return Ynew.cpu().numpy()
