"""Input pages for tables: a layer's ``features``, or a table file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from ...app.inputs import TableInput
from ...app.metadata import is_ours, our_columns
from ...features import default_columns, is_numeric, read_table
from ...render.layout import box_beside
from ..controls import (
    NONE,
    add_check_item,
    ask_path,
    checked,
    form_layout,
    is_checked,
    list_texts,
    set_checked,
    set_items,
)
from ..layer_inputs import Origin
from ..viewers import Viewers

__all__ = ["FilePage", "TablePage", "table_layers"]

#: id columns of a layer table, in the order they are looked for
TABLE_IDS = ("label", "index", "id")


def table_layers(layers) -> list:
    """Return the user's layers whose ``features`` can be embedded.

    At least three rows and one numeric column; our own layers are left out.
    """
    out = []
    for lay in layers:
        df = getattr(lay, "features", None)
        if not isinstance(df, pd.DataFrame) or is_ours(lay) or len(df) < 3:
            continue
        if any(is_numeric(df[c]) for c in df.columns):
            out.append(lay)
    return out


def _columns_list() -> QListWidget:
    lst = QListWidget()
    lst.setMaximumHeight(110)
    lst.setToolTip("Feature columns to embed")
    return lst


def _choose_columns(lst: QListWidget, columns, where: str = "") -> None:
    """Tick exactly ``columns`` (ValueError naming those that are not listed)."""
    available = set(list_texts(lst))
    missing = [c for c in columns if str(c) not in available]
    if missing:
        raise ValueError(f"columns {missing!r} are not numeric columns{where}")
    set_checked(lst, {str(c) for c in columns})


class TablePage(QWidget):
    """A layer whose ``features`` table holds the data, and its columns."""

    title = "Layer features table"
    help = "Layer features table: embed rows of a layer's features table."

    def __init__(self, viewers: Viewers):
        super().__init__()
        self.viewers = viewers
        form = form_layout(self)
        self.table_combo = QComboBox()
        self.table_combo.setToolTip("Layer whose features table holds the data")
        self.columns_list = _columns_list()
        form.addRow("Layer", self.table_combo)
        form.addRow("Columns", self.columns_list)
        self._column_checks: dict[tuple[str, str], bool] = {}  # the user's ticks
        self.table_combo.currentIndexChanged.connect(self.refresh)
        self.columns_list.itemChanged.connect(self._remember_check)

    def set_choices(self, tables: list[str], **_) -> None:
        """Offer these layers."""
        set_items(self.table_combo, tables)

    def checked_columns(self) -> list:
        """Return the ticked columns."""
        return checked(self.columns_list)

    def refresh(self, *_) -> None:
        """List the numeric columns of the chosen layer (defaults ticked)."""
        layer = self.viewers.layer(self.table_combo.currentText())
        self.columns_list.blockSignals(True)
        self.columns_list.clear()
        if layer is not None:
            df = layer.features
            default = set(default_columns(df, exclude=our_columns(layer)))
            for c in df.columns:
                if is_numeric(df[c]):
                    on = self._column_checks.get((layer.name, str(c)), c in default)
                    add_check_item(self.columns_list, str(c), c, on)
        self.columns_list.blockSignals(False)

    def _remember_check(self, item: QListWidgetItem) -> None:
        key = (self.table_combo.currentText(), item.text())
        self._column_checks[key] = is_checked(item)

    def choose(self, name: str, columns) -> None:
        """Choose the layer ``name`` and (unless None) exactly these columns."""
        idx = self.table_combo.findText(name)
        if idx < 0:
            raise ValueError(
                f"layer {name!r} has no features table with numeric columns"
            )
        self.table_combo.setCurrentIndex(idx)
        self.refresh()
        if columns is not None:
            _choose_columns(self.columns_list, columns, f" of {name!r}")

    def capture(self) -> Origin:
        """Capture the chosen table (all its columns travel along)."""
        layer = self.viewers.layer(self.table_combo.currentText())
        if layer is None:
            raise ValueError("choose a layer with a features table")
        columns = self.checked_columns()
        if not columns:
            raise ValueError(f"choose at least one feature column of {layer.name!r}")
        df = layer.features
        id_name = next((c for c in TABLE_IDS if c in df.columns), None)
        # every column travels along (to colour the embedding by any of them,
        # categorical ones included), except ours; only ``columns`` are embedded
        ours = set(our_columns(layer))
        table = df[[c for c in df.columns if c not in ours]].copy()
        if id_name is None:
            id_name = "index"
            table.insert(0, "index", np.arange(len(df)))
        table = table.reset_index(drop=True)
        extent = layer.extent.world if layer.ndim >= 2 else None
        inp = TableInput(table, layer.name, list(columns), [layer.name], id_name)
        return Origin("table", inp, layer, box_beside(extent))


class FilePage(QWidget):
    """A table file, its columns, and the Labels layer its rows describe.

    Signals
    -------
    status(str), error(str)
        What reading the file gave.
    """

    title = "Table file (CSV, TSV, …)"
    help = "Table file: embed rows of a CSV/TSV/Parquet/NumPy file."
    status = Signal(str)
    error = Signal(str)

    def __init__(self, viewers: Viewers):
        super().__init__()
        self.viewers = viewers
        form = form_layout(self)
        row = QHBoxLayout()
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("path to .csv, .tsv, .parquet or .npy")
        self.browse_btn = QPushButton("…")
        self.browse_btn.setMaximumWidth(30)
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_btn)
        self.columns_list = _columns_list()
        self.link_combo = QComboBox()
        self.link_combo.setToolTip(
            "Labels layer whose objects the rows describe (matched by the\n"
            "table's 'label' column), for linked selection"
        )
        form.addRow("File", row)
        form.addRow("Columns", self.columns_list)
        form.addRow("Objects in", self.link_combo)
        self.table: pd.DataFrame | None = None
        self.path: str | None = None
        self.load_error: str | None = None
        self.file_edit.editingFinished.connect(lambda: self.load())
        self.browse_btn.clicked.connect(self.browse)

    def set_choices(self, labels: list[str], **_) -> None:
        """Offer these Labels layers to link the rows to."""
        set_items(self.link_combo, [NONE, *labels])

    def refresh(self, *_) -> None:
        """Nothing to do: the file is read when it is chosen."""

    def browse(self) -> None:
        """Ask for a table file and read it."""
        path = ask_path(
            self,
            "Open a feature table",
            "Tables (*.csv *.tsv *.tab *.txt *.parquet *.npy);;All files (*)",
        )
        if path:
            self.file_edit.setText(path)
            self.load()

    def load(self, path: str | None = None) -> bool:
        """Read the table file and list its columns (False on error)."""
        path = self.file_edit.text().strip() if path is None else str(path)
        if not path or path == self.path:
            return self.table is not None
        try:
            table = read_table(path)
        except (OSError, ValueError, ImportError) as err:
            self.table, self.path = None, None
            self.columns_list.clear()
            self.load_error = f"cannot read {path!r}: {err}"
            self.error.emit(self.load_error)
            return False
        self.table, self.path = table, path
        self.file_edit.setText(path)
        self.columns_list.clear()
        default = set(default_columns(table))
        for c in table.columns:
            if is_numeric(table[c]):
                add_check_item(self.columns_list, str(c), c, c in default)
        self.status.emit(
            f"{Path(path).name}: {len(table)} rows × {table.shape[1]} columns."
        )
        return True

    def choose(self, path, columns, link_labels) -> None:
        """Read ``path``, tick ``columns`` (None: the defaults), link the rows.

        Raises
        ------
        ValueError
            For a file that cannot be read, unknown columns, or
            ``link_labels`` (a layer or name; None: none) that is not a
            Labels layer.
        """
        self.path = None  # read it again, it may have changed
        self.file_edit.setText(str(path))
        if not self.load(str(path)):
            raise ValueError(self.load_error)
        if columns is not None:
            _choose_columns(self.columns_list, columns)
        link = NONE if link_labels is None else self.viewers.name_of(link_labels)
        if self.link_combo.findText(link) < 0:
            raise ValueError(f"layer {link!r} is not a Labels layer")
        self.link_combo.setCurrentText(link)

    def capture(self) -> Origin:
        """Capture the file's rows (and the Labels layer they describe)."""
        if not self.load():
            raise ValueError("choose a table file (CSV, TSV, Parquet or .npy)")
        columns = checked(self.columns_list)
        if not columns:
            raise ValueError("choose at least one feature column of the table")
        table = self.table.reset_index(drop=True).copy()
        link = self.viewers.layer(self.link_combo.currentText())
        if link is not None and "label" not in table.columns:
            raise ValueError(
                f"to link the rows to {link.name!r}, the table needs a 'label' column"
            )
        id_name = "label" if "label" in table.columns else "index"
        name = Path(self.path).name
        layers = [name] + ([link.name] if link is not None else [])
        inp = TableInput(table, name, list(columns), layers, id_name)
        box = box_beside(link.extent.world if link is not None else None)
        return Origin("file", inp, link, box)
