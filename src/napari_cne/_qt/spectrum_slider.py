"""The spectrum control: a float slider from -1 to 2 labelled t-SNE / UMAP."""

from __future__ import annotations

from qtpy.QtCore import QRectF, Qt, Signal
from qtpy.QtGui import QPainter, QPalette
from qtpy.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)
from superqt import QDoubleSlider

from ..engine.spectrum import describe_s

__all__ = ["SpectrumSlider"]


class _Ticks(QWidget):
    """Labels under the slider groove: t-SNE at 0, UMAP at 1."""

    def __init__(self, slider: QDoubleSlider, marks: dict[float, str]):
        super().__init__()
        self._slider = slider
        self._marks = marks
        self.setMinimumHeight(self.fontMetrics().height() + 6)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _x(self, value: float) -> float:
        lo, hi = self._slider.minimum(), self._slider.maximum()
        handle = self._slider.style().pixelMetric(
            QStyle.PixelMetric.PM_SliderLength, None, self._slider
        )
        half = max(handle, 8) / 2
        frac = (value - lo) / (hi - lo) if hi > lo else 0.0
        return half + frac * (self.width() - 2 * half)

    def paintEvent(self, event):  # noqa: D102 - Qt override
        p = QPainter(self)
        color = self.palette().color(QPalette.ColorRole.WindowText)
        p.setPen(color)
        fm = self.fontMetrics()
        h = self.height()
        for value, text in self._marks.items():
            x = self._x(value)
            p.drawLine(int(x), 0, int(x), 3)
            w = fm.horizontalAdvance(text) + 4
            left = min(max(x - w / 2, 0), self.width() - w)
            p.drawText(
                QRectF(left, 3, w, h - 3), int(Qt.AlignmentFlag.AlignCenter), text
            )
        p.end()


class SpectrumSlider(QWidget):
    """Float slider for the spectrum position ``s`` with a typed-in value.

    Parameters
    ----------
    parent : QWidget, optional
    minimum, maximum : float
        The ends of the slider.
    title : str
        The label left of the value.
    tooltip : str
        Shown on every part of the control.

    Signals
    -------
    valueChanged(float)
        Every change, programmatic or not.
    userChanged(float)
        Only changes made by the user (dragging or typing).
    """

    valueChanged = Signal(float)
    userChanged = Signal(float)

    def __init__(
        self,
        parent: QWidget | None = None,
        minimum: float = -1.0,
        maximum: float = 2.0,
        title: str = "Spectrum s",
        tooltip: str = "",
    ):
        super().__init__(parent)
        self._programmatic = False

        self.spin = QDoubleSpinBox()
        self.spin.setRange(minimum, maximum)
        self.spin.setSingleStep(0.05)
        self.spin.setDecimals(2)
        self.spin.setKeyboardTracking(False)
        self.spin.setToolTip(tooltip)

        self.slider = QDoubleSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(minimum, maximum)
        self.slider.setSingleStep(0.05)
        self.slider.setPageStep(0.25)
        self.slider.setToolTip(tooltip)

        self.description = QLabel()
        self.description.setToolTip(tooltip)

        heading = QLabel(title)
        heading.setToolTip(tooltip)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(heading)
        head.addWidget(self.spin)
        head.addWidget(self.description, 1)

        ticks = _Ticks(
            self.slider,
            {
                minimum: f"{minimum:g}",
                0.0: "t-SNE",
                1.0: "UMAP",
                maximum: f"{maximum:g}",
            },
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(head)
        lay.addWidget(self.slider)
        lay.addWidget(ticks)

        self.slider.valueChanged.connect(self._from_slider)
        self.spin.valueChanged.connect(self._from_spin)
        self.setValue(1.0)

    def value(self) -> float:
        """Return the current spectrum position."""
        return round(float(self.spin.value()), 4)

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt naming
        """Set the value without emitting ``userChanged``."""
        self._programmatic = True
        try:
            self.spin.blockSignals(True)
            self.spin.setValue(float(value))
            self.spin.blockSignals(False)
            self._from_spin(self.spin.value())
        finally:
            self._programmatic = False

    def _from_slider(self, value: float) -> None:
        value = round(float(value), 2)
        if abs(value - self.spin.value()) < 1e-9:
            return
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self._changed()

    def _from_spin(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(float(value))
        self.slider.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        v = self.value()
        self.description.setText(describe_s(v))
        self.valueChanged.emit(v)
        if not self._programmatic:
            self.userChanged.emit(v)
