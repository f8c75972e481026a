"""Backends: who runs the epochs (a fused numba kernel, or torch).

``backend="auto"`` picks the numba kernel for a free layout on the CPU and
torch otherwise (CUDA, the parametric network), once per fit, the way
openTSNE picks its gradient method. Both compute the same updates; they
draw different random numbers.
"""

from __future__ import annotations

import importlib.util

from .base import Backend

__all__ = ["Backend", "choose_backend"]


def choose_backend(backend: str, device: str, parametric: bool) -> str:
    """Return "numba" or "torch" for the ``backend`` parameter.

    Raises
    ------
    ValueError
        For ``backend="numba"`` on a GPU or with a parametric model.
    """
    use_numba = backend != "torch" and str(device) == "cpu" and not parametric
    if use_numba and backend == "auto" and importlib.util.find_spec("numba") is None:
        use_numba = False  # pragma: no cover - numba comes with pynndescent
    if backend == "numba" and not use_numba:
        raise ValueError(
            "backend='numba' needs device='cpu' and a non-parametric model"
        )
    return "numba" if use_numba else "torch"
