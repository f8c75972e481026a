"""The dock widget's parameters: one table that everything else is built from.

:data:`PARAMS` lists every parameter the widget offers, one :class:`Param`
row each. The form (:mod:`.panels.parameters`), ``get_params`` /
``set_params``, the value checks and the saved parameter sets all come
from it, so offering one more engine parameter is one more row, e.g.::

    Param("exaggeration", "Exaggeration", "float", 1.0,
          "Factor on the attractive force", range=(0.0, 100.0)),

(``engine=True``, the default: passed to
:class:`~napari_cne.ContrastiveEmbedding` by its name; ``engine=False``:
a setting of the widget only). No Qt here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from ..engine.losses import LOSSES
from ..engine.neighbors import METRICS
from ..engine.params import INITS

__all__ = [
    "ALIASES",
    "LOSS_HELP",
    "NAMES",
    "PARAMS",
    "Param",
    "available_devices",
    "param",
    "resolve",
]

#: what each loss does with the spectrum slider (the loss box's item tips)
LOSS_HELP = {
    "neg": "negative sampling: follows the spectrum slider",
    "nce": "noise-contrastive: learns its normaliser, ignores the slider",
    "infonce": "InfoNCE: follows the spectrum slider",
    "umap": "UMAP's own loss: ignores the slider",
}

SPECTRUM_TIP = (
    "Position on the attraction-repulsion spectrum of contrastive neighbor "
    "embeddings.\n"
    "0 = t-SNE-like: more repulsion, finer clusters, local detail.\n"
    "1 = UMAP-like: tighter, better separated clusters, more global layout.\n"
    "Below 0 and above 1 extrapolate. Moving it re-optimises the current "
    "embedding from where the points are."
)


@functools.cache
def available_devices() -> tuple[str, ...]:
    """Devices offered: ``auto``, ``cpu`` and ``cuda`` when torch sees a GPU."""
    from ..engine.devices import cuda_available

    return ("auto", "cpu", "cuda") if cuda_available() else ("auto", "cpu")


@dataclass(frozen=True)
class Param:
    """One parameter of the widget: its control, its checks, where it goes.

    Attributes
    ----------
    name : str
        The keyword of ``set_params`` (and of the engine, for engine rows).
    label : str
        Text beside the control (the check box text for ``"bool"``).
    kind : {"int", "float", "choice", "bool", "text"}
        The control: a spin box, a float spin box, a drop-down, a check box
        or a line of text.
    default : object
        The value at start.
    tooltip : str
    section : {"spectrum", "main", "advanced"}
        Where the control sits: the spectrum slider (``s`` alone), the
        always visible line (the first main row's label names the line, the
        others are labelled inline), or the "Advanced" fold.
    engine : bool
        Passed to :class:`~napari_cne.ContrastiveEmbedding`; otherwise a
        setting of the widget only (saved under ``extra.widget``).
    range : (number, number), optional
        Inclusive bounds of a number.
    choices : tuple of str or callable
        Items of a ``"choice"`` (a callable is asked once, when needed).
    choice_tips : mapping, optional
        Tooltip of every item of a ``"choice"``.
    step, decimals, suffix, placeholder :
        How the control shows the value (``decimals``: floats are rounded to
        as many digits, like their spin box).
    special : (str, object), optional
        ``(text, value)``: the control shows ``text`` at the range's
        minimum, which stands for ``value`` (``learning_rate``: "auto";
        ``random_state``: "random" for None).
    aliases : tuple of str
        Other names ``set_params`` accepts.
    convert : callable, optional
        Applied to a number before it is checked (``s`` takes anything
        ``float`` takes, ``random_state`` anything ``int`` takes); for a
        ``"choice"``, applied to the chosen item (``n_components``: ``int``).
    """

    name: str
    label: str
    kind: str
    default: Any
    tooltip: str = ""
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
            value is None
            if want is None
            else isinstance(value, str) and (value == want)
        )

    def check(self, value) -> Any:
        """Return ``value`` as the widget holds it.

        Raises
        ------
        ValueError
            For a value of the wrong kind or out of range.
        TypeError
            For a non-integer number given to an ``"int"`` row.
        """
        if self.kind in ("int", "float"):
            return self._check_number(value)
        if self.kind == "choice":
            value = getattr(value, "value", value)  # an Enum member
            if str(value) not in self.options:
                raise ValueError(
                    f"{self.name} must be one of {list(self.options)}; got {value!r}"
                )
            return self.convert(str(value)) if self.convert else str(value)
        if self.kind == "bool":
            if not isinstance(value, (bool, np.bool_, int, np.integer)):
                raise ValueError(f"{self.name} must be True or False; got {value!r}")
            return bool(value)
        if not isinstance(value, str):  # text: a list of names is joined
            value = ", ".join(map(str, value or ()))
        return value.strip()

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


def _n_jobs(value):
    """``n_jobs`` from a control or a script: an integer other than 0."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value:
        return int(value)
    raise ValueError(
        f"n_jobs must be -1 (all cores), -2 (all but one), ... or a number of "
        f"threads, not 0; got {value!r}"
    )


# fmt: off
PARAMS: tuple[Param, ...] = (
    Param(
        "s", "Spectrum s", "float", 1.0, SPECTRUM_TIP, section="spectrum",
        range=(-1, 2), convert=float,
    ),
    Param(
        "loss", "Loss", "choice", "neg",
        "\n".join(f"{k}: {v}" for k, v in LOSS_HELP.items()),
        section="main", choices=LOSSES, choice_tips=LOSS_HELP,
    ),
    Param(
        "n_neighbors", "k", "int", 15, "Neighbours per object in the kNN graph",
        section="main", range=(2, 1000),
    ),
    Param(
        "n_epochs", "epochs", "int", 200,
        "Optimisation epochs (passes over all kNN edges)",
        section="main", range=(1, 100000),
    ),
    Param(
        "negative_samples", "Negative samples", "int", 5,
        "Negatives drawn per positive pair", range=(1, 500),
    ),
    Param(
        "learning_rate", "Learning rate", "float", "auto",
        "Initial learning rate; 'auto' (the lowest value) lets the engine choose",
        range=(0.0, 1000.0), step=0.1, decimals=4, special=("auto", "auto"),
    ),
    Param(
        "init", "Initialisation", "choice", "pca", "Initial layout",
        choices=INITS,
    ),
    Param(
        "random_state", "Random seed", "int", 0,
        "Seed of the run; 'random' (the lowest value) draws a new one each run",
        range=(-1, 2**31 - 1), special=("random", None), aliases=("seed",),
        convert=int,
    ),
    Param(
        "n_jobs", "CPU threads", "int", -2,
        "Threads of the optimisation and the kNN search: -1 all cores,\n"
        "-2 all but one (the default: napari keeps a core and stays\n"
        "responsive), or a number of threads",
        range=(-64, 1024), convert=_n_jobs,
    ),
    Param(
        "device", "Device", "choice", "auto",
        "Where the optimisation runs; 'auto': the GPU when there is one",
        choices=available_devices,
    ),
    Param(
        "metric", "Metric", "choice", "euclidean",
        "Distance between objects in feature space (for the kNN graph)",
        choices=METRICS,
    ),
    Param(
        "standardize", "Standardise features", "bool", True,
        "z-score every column (constant columns are dropped); recommended "
        "when features have different units",
        engine=False, aliases=("standardise",),
    ),
    Param(
        "log_columns", "Log columns", "text", "",
        "Columns to log-transform, log(1 + x), before standardising:\n"
        "names or patterns (* and ? wildcards), separated by commas.\n"
        "For skewed, non-negative features such as areas or summed\n"
        "intensities.",
        engine=False, placeholder="e.g. *_integrated, area",
    ),
    Param(
        "early_exaggeration", "Early exaggeration", "bool", True,
        "Run the first third of a fit at max(s, 1) (neg and infonce losses)",
    ),
    Param(
        "exaggeration", "Exaggeration", "float", 1.0,
        "Factor on the attraction after the early phase: above 1 pulls\n"
        "neighbours closer (tighter, more separated clusters)",
        range=(0.1, 100.0), step=0.5,
    ),
    Param(
        "n_components", "Embedding dimensions", "choice", 2,
        "2: a flat map beside the image (lasso works).\n"
        "3: a 3-D point cloud, shown in a separate viewer in 3-D display\n"
        "(drag to rotate); select by clicking objects, the Points layer's\n"
        "select tool or classes (no lasso in 3-D); no spectrum sweep.",
        choices=("2", "3"), convert=int,
    ),
    Param(
        "parametric", "Parametric (a network maps features to the layout)",
        "bool", False,
        "Train a small neural network from features to coordinates (torch)\n"
        "instead of free coordinates: new objects or pixels are placed by\n"
        "the network ('Place every pixel' uses it). Slower to fit.",
    ),
    Param(
        "scheduler", "Dask scheduler", "text", "",
        "Empty: measure and place pixels with local threads.\n"
        "An address (e.g. tcp://10.0.0.5:8786): measure many sources and\n"
        "place every pixel as tasks of that dask.distributed cluster\n"
        "(connected when needed, closed after the run).",
        engine=False, placeholder="local threads",
    ),
    Param(
        "glide_epochs", "Slider epochs", "int", 60,
        "Epochs of the re-optimisation after a slider move",
        engine=False, range=(1, 10000),
    ),
    Param(
        "sweep_epochs", "Sweep epochs", "int", 100,
        "Epochs per spectrum position in a sweep", engine=False, range=(1, 10000),
    ),
    Param(
        "update_interval", "Live update every", "float", 0.2,
        "Minimum time between live layout updates",
        engine=False, range=(0.0, 10.0), step=0.05, suffix=" s",
    ),
    Param(
        "separate_viewer", "Show embedding in a separate viewer", "bool", False,
        "Put the embedding (and the spectrum sweep) into a second napari\n"
        "window, in the engine's own coordinates, instead of beside the\n"
        "image. Takes effect at the next Run or sweep.",
        engine=False,
    ),
)
# fmt: on

#: every parameter name, in table order
NAMES = tuple(p.name for p in PARAMS)
#: other names ``set_params`` accepts
ALIASES = {alias: p.name for p in PARAMS for alias in p.aliases}
_BY_NAME = {p.name: p for p in PARAMS}


def param(name: str) -> Param:
    """Return the row of a parameter (by its name, not an alias)."""
    return _BY_NAME[name]


def resolve(name: str) -> Param:
    """Return the row of a parameter given by name or alias.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    name = ALIASES.get(name, name)
    if name not in _BY_NAME:
        raise ValueError(f"unknown parameter {name!r}; choose from {', '.join(NAMES)}")
    return _BY_NAME[name]
