"""A fitted map, saved and loaded: the model with how its features were made.

A :class:`FittedMap` is what placing new objects (:mod:`.place`) and
mapping every pixel (:mod:`.every_pixel`) need: the fitted model, the
:class:`~napari_cne.features.FeatureScaling` that turns new rows into its
matrix, the input ``kind`` and, for images, the channels. :func:`save_map`
writes it with :func:`napari_cne.save_model` (torch's format, no pickle),
the rest in the model's ``extra``; :func:`load_map` reads it back. The
widget's "Save model…", ``--save-model`` and ``napari-cne transform`` all
use these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..features.matrix import FeatureScaling

__all__ = ["KINDS", "FittedMap", "load_map", "save_map"]

#: the input kinds a map is fitted on, as messages name them
KINDS = {
    "table": "a table (napari-cne embed)",
    "objects": "the objects of label images (napari-cne embed-images)",
    "pixels": "the pixels of an image (napari-cne embed-pixels)",
}


@dataclass(eq=False)
class FittedMap:
    """A fitted model and what turns new inputs into its matrix.

    Attributes
    ----------
    model : ContrastiveEmbedding
        Fitted on data (its ``training_data_`` is set).
    scaling : FeatureScaling
        The columns of the matrix, their ``log1p`` and z-scores.
    kind : {"table", "objects", "pixels"}
        What the map was fitted on.
    channels : list of str
        Pixels: every channel of the image (the matrix may use fewer: a
        constant one is left out); objects: the channels measured.
    info : dict
        Where the data came from (input, patterns, channel axis, ...).
    """

    model: object
    scaling: FeatureScaling
    kind: str = "table"
    channels: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def describe(self) -> str:
        """Say what the map was fitted on, for messages."""
        return KINDS.get(self.kind, self.kind)

    def extra(self) -> dict:
        """Return the ``extra`` a saved model keeps (JSON)."""
        return {
            **self.info,
            "kind": self.kind,
            "columns": list(self.scaling.columns),
            "scaling": self.scaling.to_dict(),
            "channels": list(self.channels),
        }


def save_map(path, fitted: FittedMap) -> Path:
    """Write a fitted map (``<path>.json`` gets a readable copy).

    Raises
    ------
    OSError, RuntimeError
        If the file cannot be written.
    ValueError
        For a model that was not fitted on data.
    """
    from ..engine.persistence import save_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_model(fitted.model, path, extra=fitted.extra())


def load_map(path, device: str = "cpu") -> FittedMap:
    """Read a map written by :func:`save_map`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        For a file that is not a saved model, or a model saved without the
        scaling of its features (by ``save_model`` from Python).
    """
    from ..engine.persistence import load_model

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} not found")
    try:
        model = load_model(path, device=device)
    except ValueError:
        raise ValueError(
            f"{path.name!r} is not a model saved by napari-cne (write one with "
            "--save-model or the widget's 'Save model…')"
        ) from None
    extra = dict(getattr(model, "saved_extra_", {}) or {})
    if "scaling" not in extra or extra.get("kind") not in KINDS:
        raise ValueError(
            f"{path.name!r} was saved without the scaling of its features; "
            "placing needs a model saved by napari-cne (--save-model, 'Save "
            "model…')"
        )
    scaling = FeatureScaling.from_dict(extra.pop("scaling"))
    kind = extra.pop("kind")
    extra.pop("columns", None)
    raw = extra.pop("channels", None)  # a list, or {channel: images} (older files)
    channels = list(raw) if raw else list(scaling.columns)
    return FittedMap(model, scaling, kind, channels, extra)
