"""The embedding engine: kNN graph, spectrum, losses, optimiser, backends, kernels.

Pure numpy / scipy / torch / numba: nothing here imports Qt, napari,
magicgui, or the feature, render, command-line and widget layers above it
(the import-linter contract in ``pyproject.toml`` checks this).
"""

from .estimator import ContrastiveEmbedding
from .neighbors import knn_graph, warm_up
from .optimizer import Snapshot
from .persistence import load_model, save_model
from .spectrum import infonce_rho, neg_nu, z_bar
from .sweep import iter_spectrum_sweep, spectrum_sweep

__all__ = [
    "ContrastiveEmbedding",
    "Snapshot",
    "infonce_rho",
    "iter_spectrum_sweep",
    "knn_graph",
    "load_model",
    "neg_nu",
    "save_model",
    "spectrum_sweep",
    "warm_up",
    "z_bar",
]
