"""What makes a group different: the ranked features, one feature's histogram.

The panel runs the workflow of :mod:`napari_cne.app.describe` (the same
table ``napari-cne describe`` prints), shows the most distinguishing
features in a table, the chosen feature's distribution inside vs outside
the group in a small pyqtgraph plot, and exports the whole ranking as CSV.
Clicking a feature emits :attr:`DescribePanel.feature_chosen`, which the
widget connects to "Colour by" and to the objects' feature layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...app.describe import describe_group, distribution_of
from ..controls import ask_path

__all__ = ["HEADERS", "IN_COLOR", "OUT_COLOR", "DescribePanel"]

#: the table's columns: (result column, header, format)
HEADERS = (
    ("feature", "feature", str),
    ("effect", "effect (g)", "{:+.2f}".format),
    ("auroc", "AUROC", "{:.3f}".format),
    ("mean_in", "mean in", "{:.4g}".format),
    ("mean_out", "mean out", "{:.4g}".format),
)
#: histogram colours: the group, the objects it is compared with
IN_COLOR = "#ff7f0e"
OUT_COLOR = "#8c8c8c"


class DescribePanel(QWidget):
    """The features that tell a group from the rest, with their histograms.

    Parameters
    ----------
    top : int, default 20
        Features shown in the table (the CSV holds all of them).
    bins : int, default 30
        Bins of the histogram.

    Attributes
    ----------
    result : pandas.DataFrame or None
        The whole ranking (:func:`napari_cne.app.describe.describe_group`).
    feature : str or None
        The feature shown in the plot.

    Signals
    -------
    feature_chosen(str)
        The user clicked a feature (also sent by :meth:`choose`).
    """

    feature_chosen = Signal(str)

    def __init__(self, top: int = 20, bins: int = 30, parent=None):
        super().__init__(parent)
        import pyqtgraph as pg

        self.top, self.bins = int(top), int(bins)
        self.result: pd.DataFrame | None = None
        self.feature: str | None = None
        self._groups: tuple = ()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Select objects, a class or a cluster to describe.")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([h for _, h, _ in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setToolTip(
            "Features ranked by how well they separate the group from the\n"
            "others: AUROC (chance that an object of the group has the higher\n"
            "value; 0.5 no difference), then effect (Hedges' g). Click one to\n"
            "colour the map and the objects by it."
        )
        self.table.cellClicked.connect(self._on_clicked)
        lay.addWidget(self.table, 1)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumHeight(110)
        self.plot.setMaximumHeight(160)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.plot.setLabel("left", "fraction")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.addLegend(offset=(-5, 5))
        self.hist_out = self._step(pg, OUT_COLOR, "others")
        self.hist_in = self._step(pg, IN_COLOR, "group")
        lay.addWidget(self.plot)
        row = QHBoxLayout()
        self.export_btn = QPushButton("Export CSV…")
        self.export_btn.setToolTip("Save the whole ranking (every feature) as CSV")
        self.export_btn.setEnabled(False)
        self.export_btn.clicked.connect(lambda *_: self.export_csv())
        row.addStretch(1)
        row.addWidget(self.export_btn)
        lay.addLayout(row)

    def _step(self, pg, color: str, name: str):
        brush = pg.mkColor(color)
        brush.setAlpha(90)
        return self.plot.plot(
            [0, 1],
            [0],
            stepMode="center",
            fillLevel=0,
            brush=brush,
            pen=pg.mkPen(color, width=2),
            name=name,
        )

    # ------------------------------------------------------------- public
    def describe(
        self,
        table: pd.DataFrame,
        group,
        against=None,
        *,
        by: str | None = None,
        name: str | None = None,
    ) -> pd.DataFrame:
        """Rank ``table``'s features for ``group`` (against the rest or ``against``).

        The groups are masks over the rows or values of ``by``, as in
        :func:`napari_cne.app.describe.describe_group`; ``name`` is what
        the title calls the group (default: its value, or "selection").
        Shows the ranking, plots its first feature and returns the whole
        ranking.

        Raises
        ------
        ValueError
            As :func:`~napari_cne.app.describe.describe_group` (one line).
        """
        result = describe_group(table, group, against, by=by)
        self._groups = (table, group, against, by)
        self.result = result
        n = result.attrs
        other = "the rest" if against is None else n["against"]
        self.title.setText(
            f"{name or n['group']} ({n['n_group']} objects) against {other} "
            f"({n['n_against']} objects): top {min(self.top, len(result))} "
            f"of {len(result)} features"
        )
        self._fill(result.head(self.top))
        self.export_btn.setEnabled(True)
        if len(result):
            self.table.selectRow(0)
            self._plot(str(result["feature"].iloc[0]))
        return result

    def choose(self, feature: str) -> None:
        """Show ``feature``'s histogram, select its row and emit ``feature_chosen``."""
        if self.result is None or feature not in set(self.result["feature"]):
            raise ValueError(f"{feature!r} is not one of the described features")
        rows = np.flatnonzero(self.result["feature"].head(self.top) == feature)
        if rows.size:
            self.table.selectRow(int(rows[0]))
        self._plot(feature)
        self.feature_chosen.emit(feature)

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        """Write the whole ranking as CSV (``path`` None: ask for one).

        Returns the path written, or None when nothing was written.
        """
        if self.result is None:
            return None
        if path is None:
            path = ask_path(
                self, "Export the ranking", "CSV (*.csv)", save_as="describe.csv"
            )
            if path is None:
                return None
        path = Path(path)
        self.result.to_csv(path, index=False)
        return path

    def clear(self) -> None:
        """Forget the ranking (the table, the plot and the export)."""
        self.result, self.feature, self._groups = None, None, ()
        self.table.setRowCount(0)
        self.hist_in.setData([0, 1], [0])
        self.hist_out.setData([0, 1], [0])
        self.export_btn.setEnabled(False)

    # ------------------------------------------------------------ private
    def _fill(self, shown: pd.DataFrame) -> None:
        self.table.setRowCount(len(shown))
        for i, (_, row) in enumerate(shown.iterrows()):
            for j, (col, _, fmt) in enumerate(HEADERS):
                value = row[col]
                text = fmt(value) if not pd.isna(value) else "–"
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def _on_clicked(self, row: int, _column: int = 0) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.choose(item.text())

    def _plot(self, feature: str) -> None:
        table, group, against, by = self._groups
        dist = distribution_of(table, feature, group, against, by=by, bins=self.bins)
        self.hist_in.setData(dist.edges, dist.fraction_in)
        self.hist_out.setData(dist.edges, dist.fraction_out)
        self.plot.setLabel("bottom", feature)
        self.feature = feature
