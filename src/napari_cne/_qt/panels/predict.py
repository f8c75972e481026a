"""The "Predicted classes" part of the dock widget.

A thin front end: it asks (``predict_requested`` with the method,
``least_confident_requested`` with a number) and shows the result
(:meth:`PredictPanel.show_result`: the method and the held-out accuracy in
words). The findings panel runs :func:`napari_cne.app.predict.predict_objects`
in a worker and writes the columns (``widget.selection.predict``).
GUI thread only.
"""

from __future__ import annotations

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
from ...app.predict import accuracy_text

__all__ = ["PredictPanel"]

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
