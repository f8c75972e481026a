"""The "Predict classes" part of the dock widget, and the glue behind it.

:class:`PredictPanel` is a thin front end: it asks (signals) and shows
(:meth:`PredictPanel.show_result`). The selection panel's thin delegates
(``selection.predict``, ``selection.select_least_confident``) call the
functions here with the panel itself and the session's fit:

* :func:`predict_classes` runs :func:`napari_cne.app.predict.predict_objects`
  with the selection panel's classes and keys and writes
  :data:`~napari_cne.app.predict.PREDICTED` and
  :data:`~napari_cne.app.predict.CONFIDENCE` into the embedding layer's
  ``features`` and into every source layer's (new columns, by re-assigning
  the DataFrame so ``events.features`` fires; :func:`write_columns`);
* :func:`select_least_confident` selects the objects to name next.

GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ...analysis.predict import METHODS
from ...app.predict import ObjectPrediction, accuracy_text, predict_objects
from ...app.targets import key_column, keys_from_table, parts_of

__all__ = ["PredictPanel", "predict_classes", "select_least_confident", "write_columns"]

_TIPS = {
    "auto": "measure both on your examples (cross-validation), keep the better",
    "spreading": "spread the examples along the map's kNN graph",
    "classifier": "a logistic regression on the features",
}


class PredictPanel(QWidget):
    """Predict classes from a few named objects; pick the next ones to name.

    Signals
    -------
    predict_requested(str)
        "Predict classes" was clicked, with the method
        (``"auto"``, ``"spreading"`` or ``"classifier"``).
    least_confident_requested(int)
        "Select least confident" was clicked, with how many.
    """

    predict_requested = Signal(str)
    least_confident_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.method_combo = QComboBox()
        for i, m in enumerate(METHODS):
            self.method_combo.addItem(m)
            self.method_combo.setItemData(i, _TIPS[m], Qt.ItemDataRole.ToolTipRole)
        self.method_combo.setToolTip(
            "How classes reach the other objects: auto (the better of the two "
            "on your examples), label spreading on the map's graph, or a "
            "classifier on the features"
        )
        self.predict_btn = QPushButton("Predict classes")
        self.predict_btn.setToolTip(
            "Give every object a class (cne_predicted) and a confidence\n"
            "(cne_confidence) from the objects you put in classes"
        )
        self.n_spin = QSpinBox()
        self.n_spin.setRange(1, 10_000)
        self.n_spin.setValue(20)
        self.least_btn = QPushButton("Select least confident")
        self.least_btn.setToolTip(
            "Select the objects the prediction is least sure of (never those\n"
            "you named): name them next, then predict again"
        )
        self.accuracy_label = QLabel("Name a few objects in two or more classes")
        self.accuracy_label.setWordWrap(True)
        grid.addWidget(QLabel("Method"), 0, 0)
        grid.addWidget(self.method_combo, 0, 1)
        grid.addWidget(self.predict_btn, 0, 2)
        grid.addWidget(self.n_spin, 1, 1)
        grid.addWidget(self.least_btn, 1, 2)
        grid.addWidget(self.accuracy_label, 2, 0, 1, 3)
        self.predict_btn.clicked.connect(
            lambda: self.predict_requested.emit(self.method)
        )
        self.least_btn.clicked.connect(
            lambda: self.least_confident_requested.emit(self.n_spin.value())
        )
        self.set_ready(False)

    @property
    def method(self) -> str:
        """The method chosen."""
        return self.method_combo.currentText()

    def set_ready(self, fitted: bool, predicted: bool = False) -> None:
        """Enable "Predict" once there is a map, "least confident" once predicted."""
        self.predict_btn.setEnabled(bool(fitted))
        self.least_btn.setEnabled(bool(fitted and predicted))

    def show_result(self, prediction) -> None:
        """Show a prediction's method and held-out accuracy (or a message)."""
        if isinstance(prediction, str):
            self.accuracy_label.setText(prediction)
            return
        p = getattr(prediction, "prediction", prediction)
        self.accuracy_label.setText(accuracy_text(p))
        self.set_ready(True, True)


def write_columns(selection, columns: pd.DataFrame) -> None:
    """Write per-object columns (one row per linked key) into both layers.

    ``columns``: rows in the order of ``selection.linker.keys`` (the
    embedding layer's rows). Source rows without an embedded object get
    missing values.
    """
    keys = np.asarray(selection.linker.keys, np.int64)
    pts = selection.points
    if pts is not None and len(pts.features) == len(keys):
        df = pts.features.copy()
        for c in columns.columns:
            df[c] = columns[c].array
        pts.features = df
    pos = pd.Series(np.arange(len(keys)), index=keys)
    for part, offset in parts_of(selection.target):
        layer = part.layer
        df = getattr(layer, "features", None)
        if df is None or len(df) == 0:
            continue
        try:
            own = keys_from_table(df, part, key_column(df, selection.id_name))
        except KeyError:
            continue  # rows that cannot be matched to objects: leave them
        rows = pd.Series(own + offset).map(pos)
        ok = rows.notna().to_numpy()
        idx = rows[ok].astype(int).to_numpy()
        out = df.copy()
        for c in columns.columns:
            col = columns[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = np.full(len(df), -1, np.int64)
                codes[ok] = col.cat.codes.to_numpy()[idx]
                out[c] = pd.Categorical.from_codes(codes, col.cat.categories)
            else:
                vals = np.full(len(df), np.nan, np.float32)
                vals[ok] = col.to_numpy()[idx]
                out[c] = vals
        layer.features = out


def predict_classes(selection, fit, method: str = "auto") -> ObjectPrediction:
    """Predict every object's class from the panel's named ones; write the columns.

    Parameters
    ----------
    selection : SelectionPanel
        Its ``classes`` (the named examples) and ``linker.keys``.
    fit : Fit
        The session's fit (``widget.session.fit``).
    method : {"auto", "spreading", "classifier"}

    Raises
    ------
    ValueError
        Before a fit, with fewer than two classes with examples, or when the
        embedding shown is not the fit's (placed objects).
    """
    if fit is None or selection.points is None:
        raise ValueError("run an embedding first")
    result = predict_objects(
        fit, selection.linker.keys, selection.classes, method=method
    )
    write_columns(selection, result.columns())
    return result


def select_least_confident(selection, result: ObjectPrediction, n: int = 20):
    """Select the ``n`` least confident objects not yet named; return their keys."""
    if result is None:
        raise ValueError("predict classes first")
    keys = result.least_confident(n)
    selection.select(keys)
    return keys
