"""A model saved with how its features were made: what ``napari-cne transform`` reads.

:func:`save_with_scaling` writes a fitted model with
:func:`napari_cne.save_model` and, in its ``extra``, the input ``kind``
(``"table"``, ``"objects"`` or ``"pixels"``), the feature ``columns`` and
their ``scaling`` (:meth:`~.matrix.FeatureScaling.to_dict`), plus whatever
the caller adds (where the data came from). The command line's
``--save-model`` and the widget's "Save model…" both write this format;
``napari-cne transform`` (``cli/models.load_saved``) reads it.
"""

from __future__ import annotations

from pathlib import Path

from .matrix import FeatureScaling

__all__ = ["model_extra", "save_with_scaling"]


def model_extra(scaling: FeatureScaling, kind: str, **info) -> dict:
    """Return a saved model's ``extra``: kind, columns, scaling and ``info``."""
    return {
        "kind": kind,
        "columns": list(scaling.columns),
        "scaling": scaling.to_dict(),
        **info,
    }


def save_with_scaling(path, model, scaling: FeatureScaling, kind: str, **info) -> Path:
    """Save a fitted ``model`` with the scaling of its features (:func:`model_extra`).

    Raises
    ------
    OSError, RuntimeError
        If the file cannot be written.
    ValueError
        For a model that was not fitted on data ``X``.
    """
    from ..engine.persistence import save_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return save_model(model, path, extra=model_extra(scaling, kind, **info))
