"""napari-cne: contrastive neighbor embeddings across the t-SNE <-> UMAP spectrum.

The engine (this package's top level) is pure numpy/torch and never imports
Qt, napari or magicgui; the napari plugin lives in :mod:`napari_cne._qt`.
"""

from ._version import __version__
from .embedding import ContrastiveEmbedding, Snapshot
from .neighbors import knn_graph
from .spectrum import infonce_rho, neg_nu, z_bar
from .sweep import iter_spectrum_sweep, spectrum_sweep

__all__ = [
    "ContrastiveEmbedding",
    "Snapshot",
    "__version__",
    "infonce_rho",
    "iter_spectrum_sweep",
    "knn_graph",
    "neg_nu",
    "spectrum_sweep",
    "z_bar",
]
