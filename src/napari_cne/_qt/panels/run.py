"""The run panel: Run / Stop / Continue / sweep buttons, progress, status.

The buttons only ask (the dock widget connects them to its methods); the
panel shows what the session says: the status line, the progress of the
running job, and which buttons make sense now. :class:`LossPlot` draws the
loss curve of the live model.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtWidgets import (
    QGridLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionProgressBar,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from ...app.session import Session
from ...app.sweep import SWEEP_S
from ...engine.spectrum import SPECTRUM_LOSSES

__all__ = ["LossPlot", "ProgressBar", "RunPanel"]


class ProgressBar(QProgressBar):
    """A QProgressBar whose value changes repaint on the next paint event.

    ``QProgressBar.setValue`` repaints at once; in napari's window that
    makes the OpenGL canvas render again inside the slot, a second time
    per live update (costly with software OpenGL; see docs/performance.md).
    Here the value is kept on the Python side and drawn by ``paintEvent``.
    """

    def __init__(self):
        super().__init__()
        self._value = 0

    def setRange(self, minimum: int, maximum: int) -> None:  # noqa: N802
        """Set the range (and reset the value to the minimum)."""
        self._value = minimum
        super().setRange(minimum, maximum)
        self.update()

    def setValue(self, value: int) -> None:  # noqa: N802
        """Set the value; repainted on the next paint event."""
        self._value = int(value)
        self.update()

    def value(self) -> int:
        """Return the current value."""
        return self._value

    def paintEvent(self, event) -> None:  # noqa: N802
        """Draw the bar with the Python-side value."""
        opt = QStyleOptionProgressBar()
        self.initStyleOption(opt)
        lo, hi = self.minimum(), self.maximum()
        if hi > lo:
            v = min(max(self._value, lo), hi)
            opt.progress = v
            opt.text = (
                self.format()
                .replace("%v", str(v))
                .replace("%m", str(hi))
                .replace("%p", str(round(100 * (v - lo) / (hi - lo))))
            )
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_ProgressBar, opt)


class RunPanel(QWidget):
    """Buttons of the jobs, the progress bar and the status line.

    Parameters
    ----------
    session : Session

    Attributes
    ----------
    run_btn, stop_btn, continue_btn, sweep_btn, gif_btn : QPushButton
    progress : ProgressBar
    status : QLabel
    """

    def __init__(self, session: Session):
        super().__init__()
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        self.run_btn = QPushButton("Run")
        self.run_btn.setToolTip("Embed the chosen input (restarts a running embedding)")
        self.stop_btn = QPushButton("Stop")
        self.continue_btn = QPushButton("Continue")
        self.continue_btn.setToolTip("Optimise the current layout for more epochs")
        self.sweep_btn = QPushButton("Spectrum sweep")
        self.sweep_btn.setToolTip(
            "Embeddings at s = "
            + ", ".join(f"{s:g}" for s in SWEEP_S)
            + " as one layer; scrub them with the 'spectrum s' slider"
        )
        self.gif_btn = QPushButton("Export GIF…")
        self.gif_btn.setToolTip("Save the spectrum sweep as an animated GIF")
        grid.addWidget(self.run_btn, 0, 0)
        grid.addWidget(self.stop_btn, 0, 1)
        grid.addWidget(self.continue_btn, 0, 2)
        grid.addWidget(self.sweep_btn, 1, 0, 1, 2)
        grid.addWidget(self.gif_btn, 1, 2)
        lay.addLayout(grid)
        self.progress = ProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m")
        self.status = QLabel("Choose the input and press Run.")
        self.status.setWordWrap(True)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)

        session.status_changed.connect(self._show_status)
        session.progress_changed.connect(self._show_progress)
        for signal in (
            session.jobs_changed,
            session.model_changed,
            session.sweep_changed,
        ):
            signal.connect(self.update_buttons)
        session.param_changed.connect(self._on_param)
        self.update_buttons()

    def _show_status(self, text: str) -> None:
        self.status.setText(text)

    def _show_progress(self, value, maximum, fmt) -> None:
        if maximum is not None:
            self.progress.setRange(0, int(maximum))
        if fmt is not None:
            self.progress.setFormat(fmt)
        if value is not None:
            self.progress.setValue(value)

    def _on_param(self, name: str, _value) -> None:
        if name == "loss":
            self.update_buttons()

    def update_buttons(self) -> None:
        """Enable what makes sense: Stop while busy, Continue once fitted, ..."""
        session = self.session
        busy = session.is_running
        fitted = session.model is not None
        self.stop_btn.setEnabled(busy)
        self.continue_btn.setEnabled(fitted and not busy)
        self.sweep_btn.setEnabled(
            fitted and not busy and session.params["loss"] in SPECTRUM_LOSSES
        )
        self.gif_btn.setEnabled(session.sweep is not None)


class LossPlot(QWidget):
    """The loss per epoch of the live model, with a running mean on top."""

    def __init__(self):
        super().__init__()
        import pyqtgraph as pg

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMinimumHeight(110)
        self.plot.setMaximumHeight(150)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self._raw = self.plot.plot([], [], pen=pg.mkPen(63, 169, 245, 70))
        self._mean = self.plot.plot([], [], pen=pg.mkPen("#3fa9f5", width=2))
        lay.addWidget(self.plot)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def show_losses(self, model) -> None:
        """Draw the losses of ``model`` (``losses_``) so far."""
        losses = np.asarray(list(getattr(model, "losses_", [])), dtype=float)
        if not len(losses):
            return
        x = np.arange(1, len(losses) + 1)
        self._raw.setData(x, losses)
        # the per-epoch estimate is noisy: draw a running mean on top
        w = int(min(max(len(losses) // 40, 1), 25))
        if w > 1:
            smooth = np.convolve(losses, np.ones(w) / w, mode="valid")
            self._mean.setData(x[w - 1 :], smooth)
        else:
            self._mean.setData(x, losses)
