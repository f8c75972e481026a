"""The network of parametric mode: a small MLP from features to the layout."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["ParametricNetwork", "make_network"]


def make_network(n_features: int, n_components: int, width: int = 100) -> nn.Module:
    """MLP ``n_features -> 100 -> 100 -> 100 -> n_components`` with ReLUs."""
    return nn.Sequential(
        nn.Linear(n_features, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, n_components),
    ).to(torch.float32)


class ParametricNetwork:
    """The network of a parametric model, with its input scaling and optimiser.

    The inputs are z-scored per column (constant columns kept as they are)
    and fed to :func:`make_network`; Adam updates the weights.

    Parameters
    ----------
    X : ndarray of float32, shape (n, d)
        The training data.
    n_components : int
        Layout dimension.
    device : torch.device
    seed : int
        Seeds the weights (through torch's global generator, as
        ``torch.manual_seed``).
    learning_rate : float
        Adam's initial rate (each step sets its own).
    """

    def __init__(self, X, n_components: int, device, seed: int, learning_rate: float):
        self.x_mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std == 0] = 1.0
        self.x_std = std
        self.device = device
        torch.manual_seed(seed)  # network weights
        self.net = make_network(X.shape[1], int(n_components)).to(device)
        self.inputs = torch.as_tensor((X - self.x_mean) / self.x_std, device=device)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=learning_rate)

    def embed_all(self) -> np.ndarray:
        """Return the layout of the training rows, as :meth:`transform` gives it."""
        from .kernels.mlp import forward

        Xs = self.inputs.detach().cpu().numpy()
        d = Xs.shape[1]
        return forward(Xs, np.zeros(d), np.ones(d), self.layers())

    def transform(self, X) -> np.ndarray:
        """Return the layout of new rows (already column-selected like ``X``).

        Row by row on the CPU (:func:`.kernels.mlp.mlp_forward`): a row's
        place does not depend on the other rows given with it.
        """
        from .kernels.mlp import forward

        return forward(X, self.x_mean, self.x_std, self.layers())

    def layers(self) -> list[np.ndarray]:
        """Return the weights (transposed, inputs x outputs) and biases, float32."""
        out = []
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                w = layer.weight.detach().cpu().numpy().T
                bias = layer.bias.detach().cpu().numpy()
                out += [np.ascontiguousarray(w, np.float32), bias.astype(np.float32)]
        return out
