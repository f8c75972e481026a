"""napari-cne: contrastive neighbor embeddings across the t-SNE <-> UMAP spectrum.

The package is layered, each layer importing only those below it:

- :mod:`napari_cne.engine`: the estimator and everything it runs on (pure
  numpy / torch / numba);
- :mod:`napari_cne.features`: layers and files -> feature tables;
- :mod:`napari_cne.render`: colours, plots and GIFs (no Qt);
- :mod:`napari_cne.cli` and :mod:`napari_cne._qt` (the napari widget) on top.

Importing ``napari_cne`` loads the engine only, never Qt, napari or magicgui.
"""

import sys as _sys

from ._version import __version__
from .engine import (
    ContrastiveEmbedding,
    Snapshot,
    infonce_rho,
    iter_spectrum_sweep,
    knn_graph,
    load_model,
    neg_nu,
    save_model,
    spectrum_sweep,
    warm_up,
    z_bar,
)
from .engine import estimator as _estimator
from .engine import initialization as _initialization
from .engine import losses as _losses
from .engine import metrics as _metrics
from .engine import neighbors as _neighbors
from .engine import provenance as _provenance
from .engine import spectrum as _spectrum
from .engine import sweep as _sweep

__all__ = [
    "ContrastiveEmbedding",
    "Snapshot",
    "__version__",
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

# The engine's modules lived at the top level before the package was layered
# (``napari_cne.metrics``, ``napari_cne.provenance``, ...). These names refer
# to the same module objects, so code and notebooks written against them keep
# working; new code imports from ``napari_cne.engine``.
_OLD_PATHS = {
    "embedding": _estimator,
    "initialization": _initialization,
    "losses": _losses,
    "metrics": _metrics,
    "neighbors": _neighbors,
    "provenance": _provenance,
    "spectrum": _spectrum,
    "sweep": _sweep,
}
for _name, _module in _OLD_PATHS.items():
    _sys.modules.setdefault(f"{__name__}.{_name}", _module)
    globals()[_name] = _module
del _name, _module
