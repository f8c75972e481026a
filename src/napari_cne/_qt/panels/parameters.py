"""The "Embedding" panel: the parameter form, built from the parameter table.

One control per row of :data:`napari_cne.app.settings.SETTINGS` shown in
the widget: the spectrum slider for
``s``, the always visible line for the ``"main"`` rows, the "Advanced" fold
for the rest. Controls show the session's parameters and write the user's
changes back to it; nothing here knows a parameter by name except ``s``
(the slider, whose moves are debounced into :attr:`spectrum_settled`) and
``loss`` (the slider is greyed out for losses that ignore ``s``).
"""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from superqt import QCollapsible

from ...app.events import USER_ERRORS
from ...app.session import Session
from ...app.settings import SETTINGS, Setting, setting
from ...engine.spectrum import SPECTRUM_LOSSES
from ..controls import ask_path, form_layout
from ..spectrum_slider import SpectrumSlider

__all__ = ["SLIDER_DEBOUNCE_MS", "ParametersPanel"]

#: a slider move re-optimises once the slider stood still this long
SLIDER_DEBOUNCE_MS = 150


def make_control(row: Setting) -> QWidget:
    """Return a new control for a parameter row, showing its default."""
    if row.kind in ("int", "float"):
        box = QSpinBox() if row.kind == "int" else QDoubleSpinBox()
        if row.kind == "float":
            box.setDecimals(row.decimals)
        box.setRange(*row.range)
        if row.step is not None:
            box.setSingleStep(row.step)
        if row.special is not None:
            box.setSpecialValueText(row.special[0])
        box.setSuffix(row.suffix)
        control = box
    elif row.kind == "choice":
        control = QComboBox()
        for i, item in enumerate(row.options):
            control.addItem(item)
            if item in row.choice_tips:
                tip = row.choice_tips[item]
                control.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    elif row.kind == "bool":
        control = QCheckBox(row.label)
    else:
        control = QLineEdit()
        control.setPlaceholderText(row.placeholder)
    if row.tooltip:
        control.setToolTip(row.tooltip)
    write_control(control, row, row.start)
    return control


def read_control(control: QWidget, row: Setting):
    """Return the value a control shows, as the session holds it."""
    if row.kind in ("int", "float"):
        value = control.value()
        if row.special is not None and value == control.minimum():
            return row.special[1]
        return int(value) if row.kind == "int" else float(value)
    if row.kind == "choice":
        text = control.currentText()
        return row.convert(text) if row.convert else text
    if row.kind == "bool":
        return control.isChecked()
    return control.text().strip()


def write_control(control: QWidget, row: Setting, value) -> None:
    """Show a (checked) value in a control."""
    if row.kind in ("int", "float"):
        control.setValue(control.minimum() if row.is_special(value) else value)
    elif row.kind == "choice":
        control.setCurrentIndex(control.findText(str(value)))
    elif row.kind == "bool":
        control.setChecked(bool(value))
    else:
        control.setText(value)


def _changed_signal(control: QWidget):
    if isinstance(control, (QSpinBox, QDoubleSpinBox)):
        return control.valueChanged
    if isinstance(control, QComboBox):
        return control.currentTextChanged
    if isinstance(control, QCheckBox):
        return control.toggled
    return control.textChanged


class ParametersPanel(QGroupBox):
    """Spectrum slider, loss and sizes, and the advanced parameters.

    Parameters
    ----------
    session : Session

    Attributes
    ----------
    spectrum : SpectrumSlider
        The control of ``s``.
    controls : dict of str to QWidget
        The control of every other parameter, by name.
    save_btn, load_btn : QPushButton
        "Save parameters…" and "Load parameters…" (under Advanced).

    Signals
    -------
    spectrum_settled()
        The user moved the slider and let it rest for
        :data:`SLIDER_DEBOUNCE_MS` (only while there is, or will be, a
        model to re-optimise).
    """

    spectrum_settled = Signal()

    def __init__(self, session: Session):
        super().__init__("Embedding")
        self.session = session
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        s = setting("s")
        self.spectrum = SpectrumSlider(
            minimum=s.range[0], maximum=s.range[1], title=s.label, tooltip=s.tooltip
        )
        self.spectrum.setValue(s.start)
        form.addRow(self.spectrum)
        self.controls: dict[str, QWidget] = {
            row.name: make_control(row)
            for row in SETTINGS
            if row.widget and row.section != "spectrum"
        }
        self._add_main_line(form)
        self.advanced = QCollapsible("Advanced")
        self.advanced.addWidget(self._advanced_fold())
        form.addRow(self.advanced)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SLIDER_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.spectrum_settled)
        self.spectrum.valueChanged.connect(self._on_slider_value)
        self.spectrum.userChanged.connect(self._on_slider_moved)
        for name, control in self.controls.items():
            _changed_signal(control).connect(
                lambda *_, name=name: self._on_edited(name)
            )
        session.param_changed.connect(self._show_param)

    # ------------------------------------------------------------- layout
    def _add_main_line(self, form: QFormLayout) -> None:
        """One line: the first main row's label names it, the others inline."""
        rows = [row for row in SETTINGS if row.widget and row.section == "main"]
        line = QHBoxLayout()
        for i, row in enumerate(rows):
            if i and row.kind != "bool":  # a check box shows its own label
                line.addWidget(QLabel(row.label))
            line.addWidget(self.controls[row.name], 1 if i == 0 else 0)
        form.addRow(rows[0].label, line)

    def _advanced_fold(self) -> QWidget:
        fold = QWidget()
        form = form_layout(fold)
        for row in SETTINGS:
            if not row.widget or row.section != "advanced":
                continue
            if row.kind == "bool":
                form.addRow(self.controls[row.name])  # labelled by its own text
            else:
                form.addRow(row.label, self.controls[row.name])
        buttons = QHBoxLayout()
        self.save_btn = QPushButton("Save parameters…")
        self.save_btn.setToolTip(
            "Save these settings (and, after a run, its provenance) as JSON"
        )
        self.load_btn = QPushButton("Load parameters…")
        self.load_btn.setToolTip(
            "Load settings from a saved parameter set, a result's provenance\n"
            "or a napari-cne embed sidecar JSON"
        )
        buttons.addWidget(self.save_btn)
        buttons.addWidget(self.load_btn)
        form.addRow(buttons)
        return fold

    # ------------------------------------------------------------ editing
    def _on_edited(self, name: str) -> None:
        row, control = setting(name), self.controls[name]
        try:
            self.session.set_param(name, read_control(control, row))
        except USER_ERRORS as err:  # e.g. 0 threads: say so, show the value kept
            self.session.fail(str(err))
            control.blockSignals(True)
            write_control(control, row, self.session.params[name])
            control.blockSignals(False)

    def _on_slider_value(self, value: float) -> None:
        self.session.set_param("s", value)

    def _on_slider_moved(self, _value: float) -> None:
        session = self.session
        if session.model is not None or session.fit_underway():
            self._debounce.start()

    def cancel_pending_move(self) -> None:
        """Forget a slider move that has not settled yet."""
        self._debounce.stop()

    def _show_param(self, name: str, value) -> None:
        """Show a new value of the session (unless the control shows it)."""
        if name == "s":
            if self.spectrum.value() != value:
                self.spectrum.setValue(value)
            return
        control, row = self.controls[name], setting(name)
        if read_control(control, row) != value:
            write_control(control, row, value)
        if name == "loss":
            follows = value in SPECTRUM_LOSSES
            self.spectrum.setEnabled(follows)
            self.spectrum.setToolTip("" if follows else f"the {value!r} loss ignores s")

    # ---------------------------------------------------- parameter sets
    def save(self, path=None, provenance: dict | None = None) -> str | None:
        """Save the parameters as JSON (asks for a file without ``path``)."""
        if path is None:
            path = ask_path(
                self,
                "Save parameters",
                "JSON (*.json)",
                save_as="napari_cne_params.json",
            )
            if path is None:
                return None
        out = self.session.save_parameters(path, provenance)
        self.session.say(f"Parameters saved to {Path(path).name}.")
        return out

    def load(self, path=None) -> dict | None:
        """Load a parameter set (asks for a file without ``path``).

        Returns the settings applied, or None after telling what went wrong.
        """
        if path is None:
            path = ask_path(self, "Load parameters", "JSON (*.json);;All files (*)")
            if path is None:
                return None
        try:
            applied, ignored = self.session.load_parameters(path)
        except (OSError, ValueError) as err:
            self.session.fail(f"cannot load parameters: {err}")
            return None
        note = f" Ignored: {', '.join(sorted(ignored))}." if ignored else ""
        self.session.say(
            f"Loaded {len(applied)} settings from {Path(path).name}.{note}"
        )
        return applied
