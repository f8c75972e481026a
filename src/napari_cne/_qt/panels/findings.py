"""The "Findings" part of the dock widget: from a map to a finding.

One box under "Selection and classes", with a fold per question:

- "Clusters and robustness" (:class:`.clusters.ClustersPanel`): which groups
  exist, and whether each is separate along the spectrum;
- "What makes it different" (:class:`.describe.DescribePanel`): a group (the
  selection, a class, a cluster) against the rest or another group; a
  click on a feature colours the embedding and the objects by it;
- "Gallery": the group's cells side by side (:class:`..gallery.GalleryView`);
- "Predicted classes" (:class:`.predict.PredictPanel`) and "Counts per
  field" (:class:`.counts.CountsPanel`).

The group is chosen once, at the top, for the describe table and the
gallery. GUI thread only; the work is done in :mod:`napari_cne.app`.
"""

from __future__ import annotations

import copy

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils.notifications import show_info
from qtpy.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from ...app.findings import TRUST_COLUMN
from ...app.predict import PREDICTED, predict_objects
from ...app.targets import local_keys, parts_of
from ...render.colors import palette
from ..feature_layer import show_feature
from ..gallery import GalleryView
from ..outputs import write_object_columns
from .clusters import CLUSTER_COLUMN, ClustersPanel
from .counts import CountsPanel
from .describe import DescribePanel
from .predict import PredictPanel

__all__ = ["FindingsPanel"]

#: the "group" and "against" items that are not a class or a cluster
SELECTION, REST = "selection", "the rest"


def _fold(title: str, widget: QWidget, expanded: bool = False) -> QCollapsible:
    fold = QCollapsible(title)
    fold.addWidget(widget)
    if expanded:
        fold.expand(animate=False)
    return fold


class FindingsPanel(QWidget):
    """Clusters, robustness, describe, gallery, predicted classes, counts.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Its findings methods (``describe``, ``gallery``, ...) show here.
    results : ResultsPanel
        Its "Colour by" follows new clusters and a feature chosen in the
        describe table.
    pixel_view : PixelMapView
        Draws predicted classes and clusters on every pixel of an image.

    Attributes
    ----------
    runner : Runner
        The widget's (set by it): a robustness check's quick sweep runs as
        a request, one at a time with the others.
    prediction : ObjectPrediction or None
        The last predicted classes (:mod:`napari_cne.app.predict`).
    """

    def __init__(self, session, viewers, selection, results, pixel_view):
        super().__init__()
        self.session, self.viewers = session, viewers
        self.selection, self.results, self.pixel_view = selection, results, pixel_view
        self.prediction = None
        self.worker = self.runner = None
        self.clusters = ClustersPanel(session, viewers, selection, self._submit)
        self.describe_panel = DescribePanel()
        self.predict_panel = PredictPanel()
        self.counts_panel = CountsPanel()
        self.gallery_view = GalleryView(selection, lambda: session.fit, viewers)
        selection.findings, selection.gallery_view = self, self.gallery_view
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(_fold("Clusters and robustness", self.clusters, expanded=True))
        lay.addWidget(_fold("What makes it different · gallery", self._group_box()))
        lay.addWidget(_fold("Predicted classes", self.predict_panel))
        lay.addWidget(_fold("Counts per field", self.counts_panel))
        self.describe_panel.feature_chosen.connect(self.show_feature)
        self.clusters.clustered.connect(self._on_clustered)
        self.predict_panel.predict_requested.connect(lambda m: self.predict(m))
        self.predict_panel.least_confident_requested.connect(
            lambda n: selection.select_least_confident(n)
        )
        self.counts_panel.refresh_requested.connect(lambda by: selection.counts(by))
        selection.classes_changed.connect(self.refresh_groups)
        session.model_changed.connect(self.on_model_changed)

    def _submit(self, request):
        return self.runner.submit(request, replace=False)

    def on_run_finished(self, kind: str) -> None:
        """After a run: offer the new layer's groups."""
        pts = self.selection.points
        if self.viewers.alive(pts):
            self.clusters.refresh_choices(pts)
        self.refresh_groups()

    def _on_clustered(self, column: str) -> None:
        self._colour_by(column)
        self.show_feature(column)  # the objects too, in the clusters' colours
        fit = self.session.fit
        if fit is not None and fit.input.kind == "pixels":
            # cluster v (0: noise) is code v - 1, and value v in the image
            codes = self.selection.points.features[column].to_numpy(int) - 1
            n = int(codes.max(initial=-1)) + 1
            names = [f"cluster {i + 1}" for i in range(n)]
            self._pixel_layer(codes, names, palette(n), "clusters")

    def _colour_by(self, column: str) -> None:
        pts = self.selection.points
        self.results.refresh_color_choices(pts)
        self.results.color_combo.setCurrentText(column)
        self.results.apply_colors()
        self.refresh_groups()
        columns = [
            c
            for c in (self.selection.class_column, PREDICTED, CLUSTER_COLUMN)
            if c in pts.features.columns
        ]
        self.counts_panel.set_columns(columns, current=column)

    def _pixel_layer(self, codes, names, colors, what: str) -> None:
        """Draw a class or cluster per fitted pixel on every pixel of the image."""
        try:
            self.pixel_view.add_class_layer(codes, names, colors, what)
        except ValueError as err:
            self.session.say(f"{what} on the image: {err}")

    # --------------------------------------------------- predicted classes
    def predict(self, method: str = "auto"):
        """Predict every object's class from the named ones (in a worker).

        Writes ``cne_predicted`` and ``cne_confidence`` into both layers,
        shows the held-out accuracy and, for pixels placed one by one, the
        classes on every pixel of the image.

        Returns
        -------
        FunctionWorker or None
        """
        sel, fit = self.selection, self.session.fit
        if fit is None or not self.viewers.alive(sel.points):
            self.session.fail("run an embedding first, then predict classes")
            return None
        classes = copy.deepcopy(sel.classes)  # the user may go on naming
        job = thread_worker(predict_objects, ignore_errors=True)
        worker = job(fit, sel.linker.keys.copy(), classes, method=method)
        worker.returned.connect(lambda result: self._on_predicted(fit, result))
        worker.errored.connect(lambda err: self.session.fail(str(err)))
        self.predict_panel.show_result("predicting…")
        self.worker = worker
        worker.start()
        return worker

    def _on_predicted(self, fit, result) -> None:
        self.worker = None
        sel = self.selection
        if fit is not self.session.fit or not self.viewers.alive(sel.points):
            return  # another fit came in meanwhile
        self.prediction = result
        write_object_columns(sel, result.columns())
        self.predict_panel.show_result(result)
        self.predict_panel.set_ready(True, True)
        self._colour_by(PREDICTED)
        if fit.input.kind == "pixels":
            names = list(result.predicted.categories)
            colors = [sel.classes.colors.get(n, "#808080") for n in names]
            self._pixel_layer(result.codes(), names, colors, "predicted classes")

    def on_trust(self, layer, trust) -> None:
        """Write each object's trust (``cne_trust``), offered in "Colour by"."""
        sel = self.selection
        if layer is not sel.points or len(trust) != len(sel.linker.keys):
            return  # measured on another layer, or the objects changed since
        combo = self.results.color_combo
        current = combo.currentText()
        write_object_columns(sel, {TRUST_COLUMN: np.asarray(trust, np.float32)})
        self.results.refresh_color_choices(layer)
        combo.setCurrentText(current)

    def on_model_changed(self) -> None:
        """Forget the last prediction: it belongs to the previous fit."""
        self.prediction = None
        self.predict_panel.set_ready(self.session.fit is not None)

    def shutdown(self) -> None:
        """Remove the gallery dock (the widget is going away)."""
        self.gallery_view.close()

    def _group_box(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        self.group_combo = QComboBox()
        self.group_combo.setToolTip("The group: the selection, a class or a cluster")
        self.against_combo = QComboBox()
        self.against_combo.setToolTip("Compare with every other object or a group")
        self.describe_btn = QPushButton("Describe")
        self.describe_btn.setToolTip("Rank the features that tell the group apart")
        self.gallery_btn = QPushButton("Gallery")
        self.gallery_btn.setToolTip(
            "Show the group's cells: those nearest its centre in the map and a\n"
            "random sample of the rest, each cut from its own image"
        )
        grid.addWidget(QLabel("group"), 0, 0)
        grid.addWidget(self.group_combo, 0, 1)
        grid.addWidget(self.gallery_btn, 0, 2)
        grid.addWidget(QLabel("against"), 1, 0)
        grid.addWidget(self.against_combo, 1, 1)
        grid.addWidget(self.describe_btn, 1, 2)
        lay.addLayout(grid)
        lay.addWidget(self.describe_panel)
        self.describe_btn.clicked.connect(self._describe_clicked)
        self.gallery_btn.clicked.connect(self._gallery_clicked)
        self.refresh_groups()
        return box

    # -------------------------------------------------------------- groups
    def refresh_groups(self, *_) -> None:
        """Offer the selection, the classes and the clusters as groups."""
        groups = [(SELECTION, None)] + self._named_groups()
        against = [(REST, None)] + self._named_groups()
        for combo, items in ((self.group_combo, groups), (self.against_combo, against)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
            index = combo.findText(current)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def _named_groups(self) -> list[tuple[str, object]]:
        sel = self.selection
        out = [(f"class {name}", name) for name in sel.classes.names]
        pts = sel.points
        if self.viewers.alive(pts) and CLUSTER_COLUMN in pts.features.columns:
            values = pts.features[CLUSTER_COLUMN].dropna().unique()
            for value in sorted(values):
                out.append((f"cluster {value}", (CLUSTER_COLUMN, value)))
        return out

    def _describe_clicked(self) -> None:
        self.selection.describe(
            against=self.against_combo.currentData(),
            group=self.group_combo.currentData(),
        )

    def _gallery_clicked(self) -> None:
        self.selection.gallery(group=self.group_combo.currentData())

    # ------------------------------------------------------------ features
    def show_feature(self, feature: str) -> None:
        """Colour the embedding and the objects (a layer of ours) by ``feature``."""
        sel = self.selection
        pts = sel.points
        if not self.viewers.alive(pts) or feature not in pts.features.columns:
            return
        combo = self.results.color_combo
        if combo.findText(feature) >= 0:
            combo.setCurrentText(feature)
        values = pts.features[feature]  # categorical clusters: their colours
        rows = np.arange(len(values))
        target = sel.target
        if target is None or target.kind not in ("labels", "sources"):
            return  # rows and pixels have no objects to colour
        for i, (part, _) in enumerate(parts_of(target)):
            viewer = self.viewers.of(part.layer)
            if viewer is None:
                continue
            ids, codes = local_keys(target, i, sel.linker.keys, rows)
            try:
                show_feature(viewer, part.layer, ids, values.iloc[codes], feature)
            except ValueError as err:  # e.g. a time-lapse: one id, many objects
                show_info(str(err))
                return
