"""Saved models of the command line: ``--save-model`` and ``transform``'s MODEL.

A model is written by :func:`napari_cne.save_model` (torch's format, no
pickle) with, in its ``extra``, what ``transform`` needs to turn a new input
into the fitted matrix (:func:`napari_cne.features.saved.model_extra`,
which the widget's "Save model…" writes too): the input ``kind``
(``"table"`` from ``embed``, ``"objects"`` from ``embed-images``,
``"pixels"`` from ``embed-pixels``), the feature ``columns`` and their
``scaling`` (:meth:`~napari_cne.features.FeatureScaling.to_dict`), and
where the data came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..features.matrix import FeatureScaling
from .errors import RunError, UsageError, first_line

__all__ = ["KINDS", "Saved", "check_model_path", "load_saved", "save_fitted"]

#: the input kinds a saved model can come from, as messages name them
KINDS = {
    "table": "a table (napari-cne embed)",
    "objects": "the objects of label images (napari-cne embed-images)",
    "pixels": "the pixels of an image (napari-cne embed-pixels)",
}


def check_model_path(path: str | None, *others) -> None:
    """Fail early on a ``--save-model`` that is a folder or another file of the run."""
    if path is None:
        return
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"--save-model {str(p)!r} is a directory")
    for other in others:
        if other is not None and Path(other).resolve() == p.resolve():
            raise UsageError(
                f"--save-model {str(p)!r} is also an input or output of this run"
            )


def save_fitted(path, model, scaling: FeatureScaling, kind: str, **info) -> Path:
    """Save ``model`` with the scaling of its features and the input ``kind``.

    Raises
    ------
    RunError
        If the file cannot be written.
    """
    from ..features.saved import save_with_scaling

    path = Path(path)
    try:
        return save_with_scaling(path, model, scaling, kind, **info)
    except (OSError, RuntimeError) as err:
        raise RunError(f"cannot write {str(path)!r}: {first_line(err)}") from None


@dataclass
class Saved:
    """A model loaded for ``transform``, with what its ``extra`` says."""

    model: object
    kind: str
    scaling: FeatureScaling
    extra: dict

    def describe(self) -> str:
        """Say what the model was fitted on, for messages."""
        return KINDS.get(self.kind, self.kind)


def load_saved(path: str | Path, device: str = "cpu") -> Saved:
    """Load a model saved by ``--save-model``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        For a file that is not a saved model, or one saved without the
        scaling of its features (by ``save_model`` from Python without
        ``extra``): the message says so.
    """
    from ..engine.persistence import load_model

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} not found")
    try:
        model = load_model(path, device=device)
    except ValueError:
        raise UsageError(
            f"{path.name!r} is not a model saved by napari-cne (write one with "
            "--save-model)"
        ) from None
    extra = dict(getattr(model, "saved_extra_", {}) or {})
    if "scaling" not in extra or extra.get("kind") not in KINDS:
        raise UsageError(
            f"{path.name!r} was saved without the scaling of its features; "
            "transform needs a model saved by napari-cne's --save-model"
        )
    return Saved(
        model, extra["kind"], FeatureScaling.from_dict(extra["scaling"]), extra
    )
