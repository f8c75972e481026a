"""The key to the embedding's colours, under "Colour by".

A colour bar with the ends of its range for a numeric column, a line naming
the colours of a categorical one (``source``, clusters, ...), or a note
(e.g. that another plugin's colours are shown). GUI thread only.
"""

from __future__ import annotations

import html

from matplotlib.colors import to_hex
from qtpy.QtGui import QImage, QPixmap
from qtpy.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..render.colors import category_colors, color_range, gradient, is_categorical

__all__ = ["MAX_LEGEND", "Legend"]

#: categorical columns with at most this many colours get a legend line
MAX_LEGEND = 12


class Legend(QWidget):
    """A colour bar (numbers) and a line of named colours (categories).

    Attributes
    ----------
    color_legend : QWidget
        The colour bar row: ``lo``, the bar, ``hi``.
    category_legend : QLabel
        The line naming the colours of categories, or a note.
    """

    def __init__(self) -> None:
        super().__init__()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.color_legend = QWidget()
        row = QHBoxLayout(self.color_legend)
        row.setContentsMargins(0, 0, 0, 0)
        self.lo, self.bar, self.hi = QLabel(), QLabel(), QLabel()
        row.addStretch(1)
        for w in (self.lo, self.bar, self.hi):
            row.addWidget(w)
        self.color_legend.setVisible(False)
        lay.addWidget(self.color_legend)
        self.category_legend = QLabel()  # e.g. which colour is which source
        self.category_legend.setWordWrap(True)
        self.category_legend.setVisible(False)
        lay.addWidget(self.category_legend)

    def show_range(self, values) -> None:
        """Show a colour bar with its range when points are coloured by a number."""
        rng = color_range(values)
        self.color_legend.setVisible(rng is not None)
        if rng is None:
            return
        img = gradient()
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        self.bar.setPixmap(QPixmap.fromImage(qimg.copy()))
        self.lo.setText(f"{rng[0]:.3g}")
        self.hi.setText(f"{rng[1]:.3g}")
        self.color_legend.setToolTip(
            f"{values.name}: colours from {rng[0]:.4g} to {rng[1]:.4g} "
            "(1st to 99th percentile; beyond: end colours)"
        )

    def show_categories(self, values, mapping=None) -> None:
        """Name the colours of a categorical column (``source``, ...) in a line.

        ``mapping``: fixed colours of categories (the classes' own).
        """
        show = values is not None and is_categorical(values)
        if show:
            legend = category_colors(values, mapping)[1]
            show = len(legend) <= MAX_LEGEND
        self.category_legend.setVisible(show)
        if not show:
            return
        self.category_legend.setText(
            " ".join(
                f'<span style="color:{to_hex(c)}">■</span>&nbsp;{html.escape(str(k))}'
                for k, c in legend.items()
            )
        )

    def show_note(self, text: str) -> None:
        """Show a note instead of the key (our colours are not shown)."""
        self.color_legend.setVisible(False)
        self.category_legend.setText(text)
        self.category_legend.setVisible(True)
