"""The embedding engine: kNN graph, spectrum, losses, optimiser, backends, kernels.

Pure numpy / scipy / numba, torch where it is needed: nothing here imports
Qt, napari, magicgui, or the feature, render, command-line and widget
layers above it (the import-linter contract in ``pyproject.toml`` checks
this). The names below load when first used, so that importing one module
of the engine (its parameter table, say) does not load them all.
"""

from __future__ import annotations

import importlib

#: public name -> the module that defines it
_WHERE = {
    "ContrastiveEmbedding": "estimator",
    "Snapshot": "optimizer",
    "infonce_rho": "spectrum",
    "iter_spectrum_sweep": "sweep",
    "knn_graph": "neighbors",
    "load_model": "persistence",
    "neg_nu": "spectrum",
    "save_model": "persistence",
    "spectrum_sweep": "sweep",
    "warm_up": "neighbors",
    "z_bar": "spectrum",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
