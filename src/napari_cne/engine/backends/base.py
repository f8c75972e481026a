"""The interface every backend offers the optimiser: one epoch at a time."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..spectrum import EpochSpec

__all__ = ["Backend"]


class Backend(ABC):
    """Runs the epochs of one model: owns the layout (or network) and the edges.

    A backend is chosen once per fit (:func:`.choose_backend`); the
    optimiser (:mod:`..optimizer`) calls :meth:`epoch` with the learning
    rate and the :class:`~..spectrum.EpochSpec` of each epoch.
    """

    #: "numba" or "torch"
    name: str = ""

    @abstractmethod
    def epoch(self, lr: float, spec: EpochSpec, exaggeration: float) -> float:
        """Run one epoch; return the loss per edge of its first batch."""

    @abstractmethod
    def layout(self) -> np.ndarray:
        """Return a copy of the current layout, shape ``(n, n_components)``."""

    @abstractmethod
    def set_layout(self, Y: np.ndarray) -> None:
        """Replace the free layout (warm starts; not for a network)."""

    @property
    def near_radius(self) -> float | None:
        """Radius of the exact near field (None where there is none)."""
        return None
