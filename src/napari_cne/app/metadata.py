"""What napari-cne keeps in layer metadata: the keys, and small readers.

Layers we create (embedding, sweep, selection overlay, rings, lasso,
exported classes) carry ``metadata["napari_cne"]`` with at least a
``"kind"``; source layers we wrote into carry the names of the columns we
wrote (:data:`WRITTEN_KEY`, :data:`CLASS_KEY`). No Qt here.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CLASS_KEY",
    "META_KEY",
    "WRITTEN_KEY",
    "is_ours",
    "kind_of",
    "our_columns",
    "set_meta",
    "source_of",
    "tag",
]

#: metadata key of the layers napari-cne made (a dict with "kind", "source", ...)
META_KEY = "napari_cne"
#: metadata key on a source layer: the coordinate columns we wrote there
WRITTEN_KEY = "napari_cne_columns"
#: metadata key on a source layer: the class column we wrote there
CLASS_KEY = "napari_cne_class_column"


def tag(kind: str, **more: Any) -> dict:
    """Return the metadata of a new layer of ours (``kind`` plus ``more``)."""
    return {META_KEY: {"kind": kind, **more}}


def _ours(layer) -> dict:
    return getattr(layer, "metadata", {}).get(META_KEY, {})


def is_ours(layer) -> bool:
    """Return whether napari-cne made this layer."""
    return META_KEY in getattr(layer, "metadata", {})


def kind_of(layer) -> str | None:
    """Return the kind of one of our layers (``"embedding"``, ``"selection"``, ...)."""
    return _ours(layer).get("kind")


def source_of(layer) -> str | None:
    """Return the name of the input one of our layers was made from."""
    return _ours(layer).get("source")


def our_columns(layer) -> list[str]:
    """Return the columns of a source layer's features that napari-cne wrote."""
    meta = getattr(layer, "metadata", {})
    out = [str(c) for c in meta.get(WRITTEN_KEY, ())]
    if meta.get(CLASS_KEY):
        out.append(str(meta[CLASS_KEY]))
    return out


def set_meta(layer, **entries: Any) -> None:
    """Update ``metadata["napari_cne"]`` of one of our layers (re-assigned)."""
    meta = {**_ours(layer), **entries}
    layer.metadata = {**layer.metadata, META_KEY: meta}
