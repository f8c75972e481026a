"""The settings of a run: one declaration for the widget's form and the command line.

:data:`SETTINGS` lists every setting the front ends offer, one
:class:`Setting` row each:

* the engine's parameters marked ``offered`` in
  :data:`napari_cne.engine.schema.PARAMETERS` (their default, help,
  bounds, choices and check come from there; a row here only adds how the
  widget shows it: label, place, step, and the few defaults the front ends
  set otherwise, such as seed 0);
* the workflow's own settings (standardise, log columns, the dask
  scheduler, the sweep's epochs, ...), declared here in full.

The widget's form (``_qt/panels/parameters.py``), ``get_params`` /
``set_params``, the saved parameter sets and the command line's options
(``cli/options.py``: flags, defaults, help) are all made from these rows.
An engine parameter offered in the schema appears in both front ends
without a line here (labelled from its name, under "Advanced").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from ..engine.schema import PARAMETER, PARAMETERS
from .drawing import DENSITY_AUTO_N, DRAW_CHOICES

__all__ = [
    "ALIASES",
    "LOSS_HELP",
    "NAMES",
    "SETTINGS",
    "Setting",
    "available_devices",
    "engine_defaults",
    "resolve",
    "setting",
]

#: what each loss does with the spectrum slider (the loss box's item tips)
LOSS_HELP = {
    "neg": "negative sampling: follows the spectrum slider",
    "nce": "noise-contrastive: learns its normaliser, ignores the slider",
    "infonce": "InfoNCE: follows the spectrum slider",
    "umap": "UMAP's own loss: ignores the slider",
}

#: the ``special`` text of a number row whose lowest value means "auto"
AUTO = ("auto", "auto")


@functools.cache
def available_devices() -> tuple[str, ...]:
    """Devices offered: ``auto``, ``cpu`` and ``cuda`` when torch sees a GPU."""
    from ..engine.devices import cuda_available

    return ("auto", "cpu", "cuda") if cuda_available() else ("auto", "cpu")


@dataclass(frozen=True)
class Setting:
    """One setting: its value's checks, its control, its command-line option.

    Attributes
    ----------
    name : str
        The keyword of ``set_params`` (and of the engine, for engine rows).
    label : str
        Text beside the widget's control (a check box's own text).
    kind : {"int", "float", "choice", "bool", "text"}
        The control: a spin box, a float spin box, a drop-down, a check box
        or a line of text.
    default : object
        The value at start (the command line's default too).
    help : str
        One sentence (the option's help; the first line of the tooltip).
    tip : str
        More lines for the widget's tooltip.
    section : {"spectrum", "main", "advanced"}
        Where the widget shows it: the slider (``s``), the always visible
        line (the first main row's label names the line), or "Advanced".
    engine : bool
        Passed to :class:`~napari_cne.ContrastiveEmbedding`; otherwise a
        setting of the workflow (saved under ``extra.widget``).
    range : (number, number), optional
        Inclusive bounds of the control.
    choices : tuple of str or callable
        Items of a ``"choice"`` (a callable is asked once, when needed).
    choice_tips : mapping
        Tooltip of every item of a ``"choice"``.
    step, decimals, suffix, placeholder :
        How the control shows the value (``decimals``: floats are rounded to
        as many digits, like their spin box).
    special : (str, object), optional
        ``(text, value)``: the control shows ``text`` at the range's
        minimum, which stands for ``value`` ("auto"; "random" for None).
    aliases : tuple of str
        Other names ``set_params`` accepts.
    convert : callable, optional
        Applied to a number before it is checked; for a ``"choice"``, to
        the chosen item (``n_components``: ``int``).
    flag : str or None
        The command line's option (None: the widget only).
    widget : bool
        Shown in the widget's form.
    widget_default : object, optional
        The widget's own default where it differs (``n_jobs``: all cores
        but one, so that napari stays responsive).
    """

    name: str
    label: str
    kind: str
    default: Any
    help: str = ""
    tip: str = ""
    section: str = "advanced"
    engine: bool = True
    range: tuple[float, float] | None = None
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    choice_tips: Mapping[str, str] = field(default_factory=dict)
    step: float | None = None
    decimals: int = 2
    suffix: str = ""
    placeholder: str = ""
    special: tuple[str, Any] | None = None
    aliases: tuple[str, ...] = ()
    convert: Callable[[Any], Any] | None = None
    flag: str | None = None
    widget: bool = True
    widget_default: Any = None

    @property
    def tooltip(self) -> str:
        """The widget's tooltip: the help, then the further lines."""
        head = self.help[:1].upper() + self.help[1:]
        return f"{head}\n{self.tip}" if self.tip else head

    @property
    def start(self) -> Any:
        """The value the widget starts with."""
        return self.default if self.widget_default is None else self.widget_default

    @property
    def options(self) -> tuple[str, ...]:
        """The items of a ``"choice"`` row."""
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def is_special(self, value) -> bool:
        """Whether ``value`` is the special value (e.g. ``"auto"``, None)."""
        if self.special is None:
            return False
        want = self.special[1]
        return (
            value is None if want is None else isinstance(value, str) and value == want
        )

    def check(self, value) -> Any:
        """Return ``value`` as the settings hold it.

        Raises
        ------
        ValueError
            For a value of the wrong kind or out of range.
        TypeError
            For a non-integer number given to an ``"int"`` row.
        """
        if self.kind in ("int", "float"):
            value = self._check_number(value)
        elif self.kind == "choice":
            value = getattr(value, "value", value)  # an Enum member
            if str(value) not in self.options:
                raise ValueError(
                    f"{self.name} must be one of {list(self.options)}; got {value!r}"
                )
            value = self.convert(str(value)) if self.convert else str(value)
        elif self.kind == "bool":
            if not isinstance(value, (bool, np.bool_, int, np.integer)):
                raise ValueError(f"{self.name} must be True or False; got {value!r}")
            value = bool(value)
        else:  # text: a list of names is joined
            if not isinstance(value, str):
                value = ", ".join(map(str, value or ()))
            value = value.strip()
        if self.engine:
            PARAMETER[self.name].check(value)
        return value

    def _check_number(self, value):
        if self.is_special(value):
            return self.special[1]
        raw = value
        if self.convert is not None:
            value = self.convert(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"{self.name} must be a number; got {raw!r}")
        lo, hi = self.range
        if not lo <= value <= hi:
            raise ValueError(f"{self.name} must be in [{lo}, {hi}]; got {raw!r}")
        if self.special is not None and value == lo:
            return self.special[1]
        if self.kind == "int":
            if not isinstance(value, (int, np.integer)):
                raise TypeError(f"{self.name} must be an integer; got {raw!r}")
            return int(value)
        return _round(float(value), self.decimals)

    def clip(self, value: float) -> float:
        """Return a number moved into the range (and rounded), never an error."""
        lo, hi = self.range
        return _round(min(max(float(value), lo), hi), self.decimals)


def _round(value: float, decimals: int) -> float:
    """Round like a Qt spin box: half away from zero, on the exact binary value."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(value).quantize(step, rounding=ROUND_HALF_UP))


def _int_or_none(value):
    return None if value is None else int(value)


def _engine_row(name: str, **shown) -> Setting:
    """Return the setting of an offered engine parameter (``shown``: its look)."""
    p = PARAMETER[name]
    kind = {"seed": "int", "device": "choice"}.get(p.kind, p.kind)
    row = {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "kind": kind,
        "default": p.default,
        "help": p.help,
        "flag": "--" + name.replace("_", "-"),
    }
    if kind in ("int", "float"):
        lo = p.low if p.low is not None else -(2**31)
        hi = p.high if p.high is not None else (100_000 if kind == "int" else 1000.0)
        if p.auto:  # the lowest value stands for "auto"
            lo = 0 if kind == "int" else (p.low or 0.0)
            row["special"] = AUTO
        row["range"] = (lo, hi)
    if kind == "choice":
        row["choices"] = tuple(map(str, p.choices))
    return Setting(**{**row, **shown})


SPECTRUM_TIP = (
    "Moving the slider re-optimises the current embedding from where the\npoints are."
)

#: the settings with a place of their own in the widget, in its order
_LISTED: tuple[Setting, ...] = (
    _engine_row(
        "s",
        label="Spectrum s",
        section="spectrum",
        range=(-1, 2),
        convert=float,
        tip=SPECTRUM_TIP,
    ),
    _engine_row(
        "loss",
        label="Loss",
        section="main",
        choice_tips=LOSS_HELP,
        tip="\n".join(f"{k}: {v}" for k, v in LOSS_HELP.items()),
    ),
    _engine_row("n_neighbors", label="k", section="main", range=(2, 1000)),
    _engine_row("n_epochs", label="epochs", section="main", range=(0, 100_000)),
    _engine_row("negative_samples", range=(1, 500)),
    _engine_row(
        "learning_rate",
        range=(0.0, 1000.0),
        step=0.1,
        decimals=4,
        tip="'auto' (the lowest value) lets the engine choose",
    ),
    _engine_row("init", label="Initialisation"),
    _engine_row(
        "random_state",
        label="Random seed",
        default=0,
        range=(-1, 2**31 - 1),
        special=("random", None),
        aliases=("seed",),
        convert=_int_or_none,
        flag="--seed",
        tip="'random' (the lowest value) draws a new one each run",
    ),
    _engine_row(
        "n_jobs",
        label="CPU threads",
        range=(-64, 1024),
        widget_default=-2,
        tip="The widget's default, -2, keeps a core for napari (responsive).",
    ),
    _engine_row("device", choices=available_devices),
    _engine_row("metric"),
    Setting(
        "standardize",
        "Standardise features",
        "bool",
        True,
        "z-score every column (constant columns are dropped); recommended when "
        "features have different units",
        engine=False,
        aliases=("standardise",),
        flag="--no-standardize",
    ),
    Setting(
        "log_columns",
        "Log columns",
        "text",
        "",
        "columns to log-transform, log(1 + x), before standardising: names or "
        "patterns (* and ? wildcards), separated by commas",
        tip="For skewed, non-negative features such as areas or summed\nintensities.",
        engine=False,
        placeholder="e.g. *_integrated, area",
        flag="--log-columns",
    ),
    _engine_row("early_exaggeration"),
    _engine_row(
        "exaggeration",
        range=(0.0, 100.0),
        step=0.5,
        tip="'auto' (the lowest value) lets the engine choose",
    ),
    _engine_row(
        "n_components",
        label="Embedding dimensions",
        choices=("2", "3"),
        convert=int,
        tip="2: a flat map beside the image (lasso works).\n"
        "3: a 3-D point cloud, shown in a separate viewer in 3-D display\n"
        "(drag to rotate); select by clicking objects, the Points layer's\n"
        "select tool or classes (no lasso in 3-D); no spectrum sweep.",
    ),
    _engine_row(
        "parametric",
        label="Parametric (a network maps features to the layout)",
        tip="Slower to fit; 'Place every pixel' uses the network.",
    ),
    Setting(
        "scheduler",
        "Dask scheduler",
        "text",
        "",
        "measure many sources and place every pixel as tasks of a "
        "dask.distributed cluster: its address (tcp://host:8786), or 'local' "
        "for one on this machine; empty: here, in this process",
        tip="Connected when needed, closed after the run.",
        engine=False,
        placeholder="local threads",
        flag="--scheduler",
    ),
    Setting(
        "glide_epochs",
        "Slider epochs",
        "int",
        60,
        "epochs of the re-optimisation after a slider move",
        engine=False,
        range=(1, 10000),
    ),
    Setting(
        "sweep_epochs",
        "Sweep epochs",
        "int",
        100,
        "epochs per spectrum position of a sweep",
        engine=False,
        range=(1, 10000),
        flag="--sweep-epochs",
    ),
    Setting(
        "update_interval",
        "Live update every",
        "float",
        0.2,
        "minimum time between live layout updates",
        engine=False,
        range=(0.0, 10.0),
        step=0.05,
        suffix=" s",
    ),
    Setting(
        "separate_viewer",
        "Show embedding in a separate viewer",
        "bool",
        False,
        "put the embedding (and the spectrum sweep) into a second napari "
        "window, in the engine's own coordinates, instead of beside the image",
        tip="Takes effect at the next Run or sweep.",
        engine=False,
    ),
    Setting(
        "draw",
        "Draw as",
        "choice",
        "auto",
        "draw the embedding as points, or as a density picture (a log-scaled "
        "2-D histogram) that stays fast with hundreds of thousands of points",
        tip=f"auto: a density from {DENSITY_AUTO_N:,} points on (2-D only); "
        "selection, lasso, classes and Colour by work on both.",
        engine=False,
        choices=DRAW_CHOICES,
    ),
)

#: every setting, in the widget's order: those above, then any other engine
#: parameter the schema offers (under "Advanced", labelled from its name)
SETTINGS: tuple[Setting, ...] = _LISTED + tuple(
    _engine_row(p.name)
    for p in PARAMETERS
    if p.offered and p.name not in {s.name for s in _LISTED}
)
#: every setting's name, in the widget's order
NAMES = tuple(s.name for s in SETTINGS)
#: other names ``set_params`` accepts
ALIASES = {alias: s.name for s in SETTINGS for alias in s.aliases}
_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """Return the row of a setting (by its name, not an alias)."""
    return _BY_NAME[name]


def resolve(name: str) -> Setting:
    """Return the row of a setting given by name or alias.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    name = ALIASES.get(name, name)
    if name not in _BY_NAME:
        raise ValueError(f"unknown parameter {name!r}; choose from {', '.join(NAMES)}")
    return _BY_NAME[name]


def engine_defaults() -> dict:
    """Return the engine's parameters as the front ends start them (seed 0, ...)."""
    return {s.name: s.default for s in SETTINGS if s.engine}
