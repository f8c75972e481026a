"""Counts per field in the dock widget: a class × source table and a bar chart.

Shows the table of :func:`napari_cne.app.counts.counts_of` (the widget's
``selection.counts(by)``) as counts or fractions, a grouped bar chart
(pyqtgraph: one group of bars per source, one colour per class) and saves
the tidy table as CSV. A thin front end: the selection panel's
``counts(by)`` fills it (:meth:`CountsPanel.show_counts`) when asked
(``refresh_requested``). GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from napari.utils.notifications import show_info
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...analysis.counts import wide_counts
from ...render.colors import palette

__all__ = ["CountsPanel"]


class CountsPanel(QWidget):
    """The class (or cluster) × source table, its bar chart and CSV export.

    Signals
    -------
    refresh_requested(str)
        The user chose a column to count by (or clicked "Count"): the
        widget answers with :meth:`show_counts`.

    Attributes
    ----------
    table : pandas.DataFrame or None
        The tidy table shown (as :func:`napari_cne.analysis.counts.count_table`).
    """

    refresh_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table: pd.DataFrame | None = None
        self.colors: dict = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.by_combo = QComboBox()
        self.by_combo.setToolTip("The column of classes or clusters to count")
        self.value_combo = QComboBox()
        self.value_combo.addItems(["count", "fraction"])
        self.value_combo.setToolTip(
            "count: objects; fraction: share of each source's objects"
        )
        self.count_btn = QPushButton("Count")
        self.export_btn = QPushButton("Export CSV…")
        row.addWidget(QLabel("By"))
        row.addWidget(self.by_combo, 1)
        row.addWidget(self.value_combo)
        row.addWidget(self.count_btn)
        row.addWidget(self.export_btn)
        lay.addLayout(row)
        self.grid = QTableWidget()
        self.grid.setMaximumHeight(160)
        lay.addWidget(self.grid)
        self.plot = pg.PlotWidget(background="k")
        self.plot.setMinimumHeight(140)
        self.plot.addLegend(offset=(5, 5))
        lay.addWidget(self.plot)
        self.count_btn.clicked.connect(self._ask)
        self.by_combo.activated.connect(lambda *_: self._ask())
        self.value_combo.currentTextChanged.connect(lambda *_: self._draw())
        self.export_btn.clicked.connect(lambda: self.export_csv())
        self.export_btn.setEnabled(False)

    def _ask(self) -> None:
        by = self.by_combo.currentText()
        if by:
            self.refresh_requested.emit(by)

    def set_columns(self, columns, current: str | None = None) -> None:
        """Offer these columns to count by (classes, predictions, clusters)."""
        keep = current or self.by_combo.currentText()
        self.by_combo.blockSignals(True)
        self.by_combo.clear()
        self.by_combo.addItems([str(c) for c in columns])
        if keep in columns:
            self.by_combo.setCurrentText(keep)
        self.by_combo.blockSignals(False)

    @property
    def value(self) -> str:
        """``"count"`` or ``"fraction"``."""
        return self.value_combo.currentText()

    def show_counts(self, table: pd.DataFrame, colors: dict | None = None) -> None:
        """Show a tidy count table; ``colors``: class name -> colour."""
        self.table = table
        self.colors = dict(colors or {})
        by = str(table.columns[0])
        if self.by_combo.findText(by) < 0:
            self.by_combo.addItem(by)
        self.by_combo.setCurrentText(by)
        self.export_btn.setEnabled(True)
        self._draw()

    def wide(self) -> pd.DataFrame:
        """Return the table shown: groups × sources of :attr:`value`."""
        if self.table is None:
            raise ValueError("nothing counted yet")
        return wide_counts(self.table, self.value)

    def _draw(self) -> None:
        if self.table is None:
            return
        wide = self.wide()
        self.grid.clear()
        self.grid.setRowCount(len(wide.index))
        self.grid.setColumnCount(len(wide.columns))
        self.grid.setHorizontalHeaderLabels(list(wide.columns))
        self.grid.setVerticalHeaderLabels(list(wide.index))
        fmt = "{:.1%}" if self.value == "fraction" else "{:.0f}"
        for i, j in np.ndindex(wide.shape):
            v = wide.iat[i, j]
            text = "" if pd.isna(v) else fmt.format(v)
            self.grid.setItem(i, j, QTableWidgetItem(text))
        self._bars(wide)

    def _bars(self, wide: pd.DataFrame) -> None:
        self.plot.clear()
        legend = self.plot.plotItem.legend
        if legend is not None:
            legend.clear()
        n_groups, n_src = wide.shape
        fallback = palette(n_groups)
        width = 0.8 / max(n_groups, 1)
        x = np.arange(n_src, dtype=float)
        for g, name in enumerate(wide.index):
            color = self.colors.get(name, fallback[g])
            heights = np.nan_to_num(wide.iloc[g].to_numpy(float))
            bars = pg.BarGraphItem(
                x=x - 0.4 + width * (g + 0.5),
                height=heights,
                width=width,
                brush=color,
                name=name,
            )
            self.plot.addItem(bars)
            if legend is not None:
                legend.addItem(bars, name)
        axis = self.plot.getAxis("bottom")
        axis.setTicks([list(enumerate(wide.columns))])
        self.plot.setLabel("left", self.value)

    def export_csv(self, path: str | None = None) -> str | None:
        """Save the tidy table (counts and fractions) as CSV; asks without ``path``."""
        if self.table is None:
            show_info("count something first")
            return None
        if path is None:
            default = f"{self.table.columns[0]}_counts.csv"
            path, _ = QFileDialog.getSaveFileName(
                self, "Export counts", default, "CSV (*.csv)"
            )
            if not path:
                return None
        try:
            self.table.to_csv(path, index=False)
        except OSError as err:
            show_info(f"could not save the counts: {err}")
            return None
        return str(path)
