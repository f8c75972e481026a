"""Classes for every object of a fit, from the user's named examples.

The workflow behind the widget's "Predict classes" and "Select least
confident" and the command line's ``--predict``: the annotations (one class
name or nothing per fitted object) and the fit (its kNN graph and its
matrix) go to :func:`napari_cne.analysis.predict.predict_classes`; the
result comes back as the columns :data:`PREDICTED` and :data:`CONFIDENCE`,
one value per fitted object, with the held-out accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.predict import Prediction, least_confident, predict_classes
from .classes import ClassSet
from .fit import Fit

__all__ = [
    "CONFIDENCE",
    "PREDICTED",
    "ObjectPrediction",
    "accuracy_text",
    "predict_fit",
    "predict_objects",
]

#: the predicted class of every object (categorical of the class names)
PREDICTED = "cne_predicted"
#: how sure the prediction is, in [0, 1]
CONFIDENCE = "cne_confidence"


@dataclass
class ObjectPrediction:
    """The predicted classes of a fit's objects.

    Attributes
    ----------
    keys : int array
        The objects (one per fitted row; see :mod:`.targets`).
    annotated : bool array
        Those the user named.
    prediction : Prediction
        Classes, confidences, the method and the held-out accuracy.
    """

    keys: np.ndarray
    annotated: np.ndarray
    prediction: Prediction

    @property
    def predicted(self) -> pd.Categorical:
        """The class of every object (missing: no example reaches it)."""
        return self.prediction.predicted

    @property
    def confidence(self) -> np.ndarray:
        """In [0, 1], one per object."""
        return self.prediction.confidence

    def columns(self) -> pd.DataFrame:
        """Return :data:`PREDICTED` and :data:`CONFIDENCE`, one row per object."""
        return pd.DataFrame(
            {PREDICTED: self.predicted, CONFIDENCE: self.confidence.astype(np.float32)}
        )

    def least_confident(self, n: int) -> np.ndarray:
        """Return the keys of the ``n`` least confident objects not yet named."""
        rows = least_confident(self.confidence, n, exclude=self.annotated)
        return self.keys[rows]

    def codes(self) -> np.ndarray:
        """Return the class code of every object (-1: none), as a label image takes."""
        return np.asarray(self.predicted.codes, np.int64)


def predict_fit(
    fit: Fit,
    labels,
    *,
    method: str = "auto",
    random_state: int | None = None,
    cross_validate: bool = True,
) -> Prediction:
    """Predict every fitted object's class from the annotated ones.

    Parameters
    ----------
    fit : Fit
        Its model's kNN graph (``graph_``) and its matrix (``matrix.X``).
    labels : pandas.Categorical (n_objects,)
        The class of each fitted object, missing where the user named none;
        the categories are the classes.
    method : {"auto", "spreading", "classifier"}
    random_state : int, optional
        Default: the fit's seed.
    cross_validate : bool
        Measure the held-out accuracy.

    Raises
    ------
    ValueError
        Without a fit, for labels of another length or fewer than two
        annotated classes.
    """
    if fit is None:
        raise ValueError("run an embedding first")
    n = fit.n_objects
    if len(labels) != n:
        raise ValueError(
            f"got classes for {len(labels)} objects; the map has {n}: run the "
            "embedding again"
        )
    seed = fit.model.seed_ if random_state is None else random_state
    return predict_classes(
        labels,
        X=np.asarray(fit.matrix.X),
        graph=fit.model.graph_,
        method=method,
        random_state=seed,
        cross_validate=cross_validate,
    )


def predict_objects(
    fit: Fit,
    keys,
    classes: ClassSet,
    *,
    method: str = "auto",
    random_state: int | None = None,
) -> ObjectPrediction:
    """Predict the class of every object of ``fit`` from the user's classes.

    Parameters
    ----------
    fit : Fit
    keys : int array (n_objects,)
        The key of every fitted object, in the fit's row order (the
        widget's ``selection.linker.keys``).
    classes : ClassSet
        The named classes and which objects the user put in them.
    method, random_state
        As :func:`predict_fit`.

    Raises
    ------
    ValueError
        As :func:`predict_fit`; also with fewer than two classes named.
    """
    if len(classes) < 2:
        raise ValueError(
            "name at least two classes and put a few objects in each; "
            f"there {'is' if len(classes) == 1 else 'are'} {len(classes)}"
        )
    keys = np.asarray(keys, np.int64).ravel()
    labels = classes.column(keys)
    prediction = predict_fit(fit, labels, method=method, random_state=random_state)
    return ObjectPrediction(keys, np.asarray(~labels.isna()), prediction)


def accuracy_text(prediction: Prediction) -> str:
    """Return the held-out accuracy in words (for the widget and the CLI)."""
    h = prediction.held_out
    if h.accuracy is None:
        return f"{prediction.method}: {h.note}"
    return (
        f"{prediction.method}: held-out accuracy {h.accuracy:.0%} "
        f"(balanced {h.balanced_accuracy:.0%}; {h.note})"
    )
