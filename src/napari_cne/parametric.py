"""The network of parametric mode: a small MLP from features to the layout."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["make_network"]


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
