"""The options the subcommands share: their types and their groups.

Every type raises :class:`argparse.ArgumentTypeError`, which the parser
reports as one usage line (exit status 2). The groups are added to a
subcommand's parser by :mod:`.parser`: the feature columns, the engine's
parameters (flags override ``--params``), the sweep, the readout and output
options, the pixel options, and ``--scheduler``. The options of settings
the widget shares (the engine's parameters, ``--no-standardize``,
``--log-columns``, ``--sweep-epochs``, ``--scheduler``) take their flag,
help and default from :data:`napari_cne.app.settings.SETTINGS`.
"""

from __future__ import annotations

import argparse
import math

from ..app.inputs import MAX_PIXELS
from ..app.settings import SETTINGS, setting
from ..engine.schema import PARAMETER
from ..features.pixel_map import TILE_PIXELS

__all__ = [
    "add_embedding_options",
    "add_feature_options",
    "add_message_options",
    "add_output_options",
    "add_pixel_options",
    "add_scheduler_option",
    "add_sweep_options",
    "channel_axis",
    "finite_float",
    "positive_int",
    "setting_type",
]


# ------------------------------------------------------------ argument types
def positive_int(text: str, expected: str = "a positive integer") -> int:
    """Parse an integer >= 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}; got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {v}")
    return v


def finite_float(text: str) -> float:
    """Parse a finite number."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return v


def channel_axis(text: str):
    """Parse an axis index, or ``"none"`` for a single-channel image."""
    if text.lower() == "none":
        return "none"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an axis number or 'none'; got {text!r}"
        ) from None


def _s_list(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("expected comma-separated numbers")
    values = [finite_float(p) for p in parts]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"repeated spectrum positions in {text!r}")
    return values


# -------------------------------------------------------------------- groups
def add_feature_options(p: argparse.ArgumentParser) -> None:
    """Add ``--columns``, ``--exclude-columns``, ``--log-columns`` and more."""
    g = p.add_argument_group("features")
    g.add_argument(
        "--columns",
        action="append",
        metavar="A,B,...",
        help="feature columns (comma-separated, repeatable; default: numeric "
        "columns except ids such as label, index, id and earlier cne_* output)",
    )
    g.add_argument(
        "--exclude-columns",
        action="append",
        metavar="A,B,...",
        help="leave these columns out of the features",
    )
    log = setting("log_columns")
    g.add_argument(
        log.flag, action="append", metavar="A,B,...", help=f"{log.help} (repeatable)"
    )
    add_standardize_option(g)


def add_standardize_option(g) -> None:
    """Add ``--no-standardize``."""
    row = setting("standardize")
    g.add_argument(row.flag, action="store_true", help=f"do not {row.help}")


def _default_text(row) -> str:
    value = row.default
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def setting_type(row):
    """Return the argparse type of a setting: parse, then the engine's own check."""

    def parse(text: str):
        low = text.strip().lower()
        if row.special is not None and low == str(row.special[0]):
            value = row.special[1]
        elif row.name == "random_state" and low == "none":
            value = None
        elif row.kind == "int":
            try:
                value = int(text)
            except ValueError:
                alt = f" or {row.special[0]!r}" if row.special else ""
                raise argparse.ArgumentTypeError(
                    f"expected an integer{alt}; got {text!r}"
                ) from None
        elif row.kind == "float":
            value = finite_float(text)
        else:
            value = row.convert(text) if row.convert else text
        try:
            PARAMETER[row.name].check(value)
        except (ValueError, TypeError) as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        return value

    parse.__name__ = row.name
    return parse


def add_embedding_options(p: argparse.ArgumentParser) -> None:
    """Add the engine's parameters, ``--params`` and ``--save-model``.

    One option per engine setting of :data:`napari_cne.app.settings.SETTINGS`
    (its flag, help and default come from there; its check from the
    engine's :data:`~napari_cne.engine.schema.PARAMETERS`). The default is
    None here: :func:`.settings.engine_params` tells the flags given from
    those not given (flags override ``--params``).
    """
    e = p.add_argument_group("embedding (flags override --params)")
    for row in SETTINGS:
        if not row.engine or row.flag is None:
            continue
        kwargs = {"dest": row.name, "default": None}
        help_ = f"{row.help} (default {_default_text(row)})"
        if row.kind == "bool":
            kwargs["action"] = argparse.BooleanOptionalAction
        elif row.kind == "choice" and not callable(row.choices):
            kwargs["choices"] = [
                row.convert(c) if row.convert else c for c in row.options
            ]
            kwargs["type"] = setting_type(row)
        else:
            kwargs["type"] = setting_type(row)
            kwargs["metavar"] = row.name.upper().replace("RANDOM_STATE", "SEED")
        e.add_argument(row.flag, help=help_, **kwargs)
    e.add_argument(
        "--params",
        metavar="JSON",
        help="parameter set (a saved parameter file, an OUTPUT.json provenance "
        "or the widget's 'Save parameters…')",
    )
    e.add_argument(
        "--save-model",
        metavar="PATH",
        help="save the fitted model (and how its features were scaled) for "
        "'napari-cne transform'",
    )


def add_sweep_options(p: argparse.ArgumentParser) -> None:
    """Add ``--sweep`` and ``--sweep-epochs``."""
    s = p.add_argument_group("sweep")
    s.add_argument(
        "--sweep",
        type=_s_list,
        metavar="S1,S2,...",
        help="embed at several spectrum positions, warm-started in a chain; "
        "writes one OUTPUT_s<value> file each",
    )
    row = setting("sweep_epochs")
    s.add_argument(
        row.flag,
        type=positive_int,
        default=row.default,
        metavar="N",
        help=f"{row.help} (default {row.default})",
    )


def add_message_options(g) -> None:
    """Add ``--progress``, ``-q``/``--quiet`` and ``--traceback``."""
    g.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show a progress bar even when stderr is not a terminal",
    )
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors (no summary, warnings or progress bar)",
    )
    g.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback of an error (for bug reports)",
    )


def add_output_options(p: argparse.ArgumentParser, labels_flag: str = "--labels"):
    """Add the plot, its colours, the quality readout and the messages.

    ``labels_flag`` names the class-column option (``embed-images`` uses
    ``--labels`` for the label images and calls it ``--class-column``).
    """
    o = p.add_argument_group("readout and output")
    o.add_argument("--plot", metavar="PNG", help="write a scatter plot")
    o.add_argument(
        "--color-by",
        metavar="COLUMN",
        help="colour the plot by this input column (numeric: colour bar; "
        "text, bool or integer with <= 20 values: legend)",
    )
    o.add_argument(
        labels_flag,
        dest="labels",
        metavar="COLUMN",
        help="class column: adds 10-NN accuracy to the quality readout",
    )
    o.add_argument("--no-quality", action="store_true", help="skip the quality readout")
    add_findings_options(o)
    add_message_options(o)
    p.set_defaults(labels_option=labels_flag)
    return o


def add_findings_options(o) -> None:
    """Add ``--predict``, ``--predict-method`` and ``--counts-by``."""
    o.add_argument(
        "--predict",
        metavar="COLUMN",
        help="a class column with a few values (the examples): every row gets "
        "cne_predicted and cne_confidence",
    )
    o.add_argument(
        "--predict-method",
        choices=("auto", "spreading", "classifier"),
        default="auto",
        help="label spreading on the kNN graph, a classifier on the features, "
        "or auto: the better on the examples (default)",
    )
    o.add_argument(
        "--counts-by",
        metavar="COLUMN",
        help="write the COLUMN x source counts and fractions to <output>_counts.csv",
    )


def add_pixel_options(p: argparse.ArgumentParser, fit: bool = True):
    """Add the channel axis, the mask, and the RGB picture of the result."""
    g = p.add_argument_group("pixels")
    g.add_argument(
        "--channel-axis",
        type=channel_axis,
        metavar="N|none",
        help="the image's channel axis, or 'none' for one channel (default: "
        + ("none for a 2-D image, else 0)" if fit else "as at the fit)"),
    )
    if fit:
        g.add_argument(
            "--max-pixels",
            type=positive_int,
            default=MAX_PIXELS,
            metavar="N",
            help=f"pixels drawn for the fit (default {MAX_PIXELS}); every "
            "pixel is placed afterwards",
        )
    g.add_argument(
        "--mask",
        metavar="MASKFILE|foreground",
        help="image of the pixels' shape: only non-zero pixels are used and "
        "placed (the others are NaN); 'foreground': the pixels brighter than "
        "Otsu's threshold of the channels' mean (for a one-channel image: the "
        "specimen, not the background's illumination)",
    )
    g.add_argument(
        "--tile-pixels",
        type=positive_int,
        default=TILE_PIXELS,
        metavar="N",
        help=f"pixels placed per task (default {TILE_PIXELS}): smaller tiles "
        "use less memory and spread over more workers",
    )
    g.add_argument(
        "--rgb",
        metavar="RGB",
        help="write the picture of every pixel's place in the embedding "
        "(.png, .tif or .zarr; RGBA, transparent where not placed)",
    )
    return g


def add_scheduler_option(g) -> None:
    """Add ``--scheduler ADDRESS``."""
    row = setting("scheduler")
    g.add_argument(
        row.flag,
        metavar="ADDRESS",
        help=f"{row.help} (LocalCluster: one worker process per core)",
    )
