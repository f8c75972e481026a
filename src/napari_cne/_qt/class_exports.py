"""What leaves the selection panel: a class as a Labels layer, the table as CSV.

:func:`class_layers` adds a Labels layer with only the objects of one class
(one per source layer when several Labels layers were embedded together);
:func:`save_table` writes the embedding layer's table with its provenance
beside it. GUI thread only; the user's layers are only read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from napari.utils.notifications import show_info

from ..app.metadata import META_KEY
from ..app.targets import local_keys, overlay_transform, parts_of, render_overlay
from .outputs import write_table

__all__ = ["class_layers", "save_table"]


def class_layers(target, keys, name: str, viewer_of):
    """Add a Labels layer of the objects ``keys`` of class ``name``.

    ``viewer_of(layer)``: the viewer holding a layer (None: deleted).
    Returns the layer, a list of them (several source layers), or None
    after telling the user why nothing was made.
    """
    if name is None or target is None:
        show_info("choose a class first")
        return None
    if not target.has_image or viewer_of(target.layer) is None:
        show_info("the embedded objects have no label image to export from")
        return None
    out = []
    for i, (part, _) in enumerate(parts_of(target)):
        src = part.layer
        viewer = viewer_of(src)
        if viewer is None:
            continue
        mask = render_overlay(part, local_keys(target, i, keys)) == 1
        if part.kind == "labels":
            data = np.where(mask, part.labels, 0)
            data = data.astype(part.labels.dtype, copy=False)
        else:
            data = mask.astype(np.uint8)
        out.append(
            viewer.add_labels(
                data,
                name=f"{name} ({src.name})",
                **overlay_transform(part),
                metadata={META_KEY: {"kind": "class", "class": name}},
            )
        )
    return out if target.kind == "sources" else (out[0] if out else None)


def save_table(path, table, metadata: dict) -> str | None:
    """Write ``table`` as CSV, its provenance beside it; None after an error."""
    try:
        write_table(path, table, metadata.get(META_KEY, {}))
    except OSError as err:
        show_info(f"could not save the table: {err}")
        return None
    show_info(f"saved {len(table)} rows to {Path(path).name} (+ provenance .json)")
    return str(path)
