"""napari / Qt front end of napari-cne.

Importing this package itself is light; Qt, napari and magicgui are imported
by the submodules that need them (:mod:`.widget`, :mod:`.demo`).
:mod:`.export` and :mod:`._layout` need only numpy and matplotlib.
"""

from __future__ import annotations

__all__ = ["EmbeddingWidget"]


def __getattr__(name: str):
    if name == "EmbeddingWidget":
        from .widget import EmbeddingWidget

        return EmbeddingWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
