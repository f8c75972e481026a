"""The options the subcommands share: their types and their groups.

Every type raises :class:`argparse.ArgumentTypeError`, which the parser
reports as one usage line (exit status 2). The groups are added to a
subcommand's parser by :mod:`.parser`: the feature columns, the engine's
parameters (flags override ``--params``), the sweep, the readout and output
options, the pixel options, and ``--scheduler``.
"""

from __future__ import annotations

import argparse
import math

__all__ = [
    "SWEEP_EPOCHS",
    "add_embedding_options",
    "add_feature_options",
    "add_message_options",
    "add_output_options",
    "add_pixel_options",
    "add_scheduler_option",
    "add_sweep_options",
    "channel_axis",
    "finite_float",
    "positive_float",
    "positive_int",
]

#: Epochs per position of a sweep (as :func:`napari_cne.spectrum_sweep`).
SWEEP_EPOCHS = 100
#: Pixels the pixel fit draws by default (as the widget).
MAX_PIXELS = 20_000
#: Pixels per tile when every pixel is placed (as ``map_pixels``).
TILE_PIXELS = 2**18


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


def _n_epochs(text: str):
    if text == "auto":
        return "auto"
    return positive_int(text, "a positive integer or 'auto'")


def _n_jobs(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-zero integer; got {text!r}"
        ) from None
    if v == 0:
        raise argparse.ArgumentTypeError(
            "0 threads: use -1 for all cores, -2 for all but one, or a number"
        )
    return v


def _seed(text: str):
    if text.lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'none'; got {text!r}"
        ) from None


def finite_float(text: str) -> float:
    """Parse a finite number."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return v


def positive_float(text: str) -> float:
    """Parse a finite number > 0."""
    v = finite_float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be positive; got {text!r}")
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
    g.add_argument(
        "--log-columns",
        action="append",
        metavar="A,B,...",
        help="transform these feature columns with log1p = ln(1 + x) before "
        "standardising (values >= 0), e.g. areas and intensities",
    )
    g.add_argument(
        "--no-standardize",
        action="store_true",
        help="do not z-score the columns (default: mean 0, std 1 each)",
    )


def add_embedding_options(p: argparse.ArgumentParser) -> None:
    """Add the engine's parameters, ``--params`` and ``--save-model``."""
    from ..engine.losses import LOSSES
    from ..engine.neighbors import METRICS

    e = p.add_argument_group("embedding (flags override --params)")
    options = [
        ("--s", {"type": finite_float, "metavar": "S"},
         "spectrum position: 0 t-SNE-like, 1 UMAP-like (default 1)"),
        ("--loss", {"choices": list(LOSSES)}, "contrastive loss (default neg)"),
        ("--n-neighbors", {"type": positive_int, "metavar": "K"},
         "neighbours in the kNN graph (default 15)"),
        ("--n-epochs", {"type": _n_epochs, "metavar": "N"},
         "optimisation epochs or 'auto' (default auto: 200 up to 10 000 rows, "
         "100 above)"),
        ("--n-components", {"type": int, "choices": [2, 3]},
         "dimensions of the embedding (default 2)"),
        ("--metric", {"choices": list(METRICS)},
         "input-space distance (default euclidean)"),
        ("--exaggeration", {"type": positive_float, "metavar": "F"},
         "factor on the attractive force, on top of s (default 1)"),
        ("--parametric", {"action": argparse.BooleanOptionalAction},
         "learn a network from features to layout; transform then runs it "
         "(default: no)"),
        ("--seed", {"type": _seed, "metavar": "SEED"},
         "random seed, or 'none' for a random one (default 0)"),
        ("--device", {"metavar": "DEV"}, "auto, cpu, cuda or cuda:N (default auto)"),
        ("--n-jobs", {"type": _n_jobs, "metavar": "N"},
         "CPU threads: -1 all cores (default), -2 all but one, or a number"),
        ("--params", {"metavar": "JSON"},
         "parameter set (a save_params file or an OUTPUT.json provenance)"),
        ("--save-model", {"metavar": "PATH"},
         "save the fitted model (and how its features were scaled) for "
         "'napari-cne transform'"),
    ]  # fmt: skip
    for flag, kwargs, text in options:
        e.add_argument(flag, help=text, **kwargs)


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
    s.add_argument(
        "--sweep-epochs",
        type=positive_int,
        default=SWEEP_EPOCHS,
        metavar="N",
        help=f"epochs per sweep position (default {SWEEP_EPOCHS})",
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
    add_message_options(o)
    p.set_defaults(labels_option=labels_flag)
    return o


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
        metavar="MASKFILE",
        help="image of the pixels' shape: only non-zero pixels are used and "
        "placed (the others are NaN)",
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
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the work on a dask.distributed cluster: the scheduler's "
        "address (tcp://host:8786), or 'local' to start a LocalCluster on "
        "this machine (one worker process per core); default: here, in this "
        "process",
    )
