"""napari-cne: contrastive neighbor embeddings across the t-SNE <-> UMAP spectrum.

The package is layered, each layer importing only those below it:

- :mod:`napari_cne.engine`: the estimator and everything it runs on (pure
  numpy / numba, torch where it is needed);
- :mod:`napari_cne.features`: layers and files -> feature tables;
- :mod:`napari_cne.render`: colours, plots and GIFs (no Qt);
- :mod:`napari_cne.cli` and :mod:`napari_cne._qt` (the napari widget) on top.

Importing ``napari_cne`` loads nothing but this page: the names below are
imported when first used (``from napari_cne import ContrastiveEmbedding``
loads the engine, never Qt, napari, magicgui or torch), so that the
command line starts at once.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

from ._version import __version__

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
    "embedding": "estimator",
    "initialization": "initialization",
    "losses": "losses",
    "metrics": "metrics",
    "neighbors": "neighbors",
    "provenance": "provenance",
    "spectrum": "spectrum",
    "sweep": "sweep",
}


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module(".engine", __name__), name)
    if name in _OLD_PATHS:
        return importlib.import_module(f".engine.{_OLD_PATHS[name]}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__, *_OLD_PATHS])


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``napari_cne.<old>`` as the engine module it became."""

    def find_spec(self, fullname, path=None, target=None):
        prefix, _, name = fullname.rpartition(".")
        if prefix != __name__ or name not in _OLD_PATHS:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        name = spec.name.rpartition(".")[2]
        return importlib.import_module(f".engine.{_OLD_PATHS[name]}", __name__)

    def exec_module(self, module):
        pass


sys.meta_path.append(_OldPaths())
