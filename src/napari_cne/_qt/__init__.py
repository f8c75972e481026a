"""napari / Qt front end of napari-cne: the "Neighbor Embedding" dock widget.

Start reading at :mod:`.widget` (the dock widget: panels put together, the
scripting API of docs/scripting.md). The state it shows lives, without Qt,
in :mod:`.session` (parameters, model, jobs, status) with the parameter
table in :mod:`.params`; the worker-thread jobs in :mod:`.jobs`; the
panels in :mod:`.panels` (selection and classes: :mod:`.panels.selection`,
:mod:`.linking`, :mod:`.targets` and :mod:`.classes`).

Importing this package itself is light; Qt and napari are imported by the
submodules that need them (:mod:`.session`, :mod:`.params`, :mod:`.jobs`
and :mod:`.metadata` need neither).
"""

from __future__ import annotations

__all__ = ["EmbeddingWidget"]


def __getattr__(name: str):
    if name == "EmbeddingWidget":
        from .widget import EmbeddingWidget

        return EmbeddingWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
