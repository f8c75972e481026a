"""The network of parametric mode: a small MLP from features to the layout."""

from __future__ import annotations

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

    #: rows per forward pass when embedding many rows
    CHUNK = 65536

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

    def embed_all(self) -> torch.Tensor:
        """Return the layout of the training rows (no gradient)."""
        with torch.no_grad():
            out = [
                self.net(self.inputs[i : i + self.CHUNK])
                for i in range(0, self.inputs.shape[0], self.CHUNK)
            ]
        return torch.cat(out)

    def transform(self, X) -> torch.Tensor:
        """Return the layout of new rows (already column-selected like ``X``)."""
        Xs = torch.as_tensor((X - self.x_mean) / self.x_std, device=self.device)
        with torch.no_grad():
            return self.net(Xs)
