"""Small Qt helpers shared by the panels: combo items, check lists, forms."""

from __future__ import annotations

from collections.abc import Iterable

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "NONE",
    "add_check_item",
    "ask_path",
    "boxed",
    "checked",
    "form_layout",
    "group",
    "is_checked",
    "list_texts",
    "scroll_column",
    "set_checked",
    "set_items",
]

#: the "nothing chosen" item of optional layer choices
NONE = "(none)"


def set_items(combo: QComboBox, names: list[str]) -> None:
    """Replace the items of a combo box, keeping the current one if it stays.

    No signals are emitted.
    """
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(names)
    if current in names:
        combo.setCurrentIndex(names.index(current))
    combo.blockSignals(False)


def add_check_item(lst: QListWidget, text: str, data, on: bool) -> None:
    """Append a checkable item (``data``: the value behind the text, or None)."""
    item = QListWidgetItem(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
    lst.addItem(item)


def checked(lst: QListWidget) -> list:
    """Return the values (or texts) of the checked items of a list."""
    out = []
    for i in range(lst.count()):
        item = lst.item(i)
        if item.checkState() == Qt.CheckState.Checked:
            data = item.data(Qt.ItemDataRole.UserRole)
            out.append(item.text() if data is None else data)
    return out


def list_texts(lst: QListWidget) -> list[str]:
    """Return the texts of all items of a list."""
    return [lst.item(i).text() for i in range(lst.count())]


def set_checked(lst: QListWidget, wanted: Iterable[str]) -> None:
    """Check exactly the items whose text is in ``wanted``."""
    wanted = set(wanted)
    for i in range(lst.count()):
        item = lst.item(i)
        on = item.text() in wanted
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def is_checked(item: QListWidgetItem) -> bool:
    """Return whether a list item is checked."""
    return item.checkState() == Qt.CheckState.Checked


def group(title: str) -> tuple[QGroupBox, QFormLayout]:
    """Return a titled box and its form layout (fields grow with the dock)."""
    box = QGroupBox(title)
    form = QFormLayout(box)
    form.setContentsMargins(6, 6, 6, 6)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return box, form


def boxed(title: str, widget: QWidget) -> QGroupBox:
    """Return ``widget`` in a titled box."""
    box = QGroupBox(title)
    lay = QVBoxLayout(box)
    lay.setContentsMargins(6, 6, 6, 6)
    lay.addWidget(widget)
    return box


def form_layout(widget: QWidget) -> QFormLayout:
    """Give ``widget`` a margin-less form layout (a page, a fold) and return it."""
    form = QFormLayout(widget)
    form.setContentsMargins(0, 0, 0, 0)
    return form


def ask_path(
    parent: QWidget, title: str, filters: str, *, save_as: str | None = None
) -> str | None:
    """Ask for a file to open (or, with ``save_as``, to save; None: cancelled)."""
    if save_as is None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    else:
        path, _ = QFileDialog.getSaveFileName(parent, title, save_as, filters)
    return path or None


def scroll_column(owner: QWidget, widgets: Iterable[QWidget]) -> QScrollArea:
    """Fill ``owner`` with a vertically scrolling column of ``widgets``."""
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    inner = QWidget()
    scroll.setWidget(inner)
    outer.addWidget(scroll)
    lay = QVBoxLayout(inner)
    lay.setContentsMargins(4, 4, 4, 4)
    for widget in widgets:
        lay.addWidget(widget)
    lay.addStretch(1)
    return scroll
