"""The argparse parsers of ``napari-cne``: options, their types, usage errors.

A usage error is one line, ``napari-cne: error: ... (see 'napari-cne embed
--help')``, exit status 2. :func:`normalize_argv` lets ``--s`` and
``--sweep`` take values that start with ``-``.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence

from .demo import run_demo, run_demo_engine
from .embed import embed_command
from .errors import EXIT_USAGE
from .files import INPUT_KINDS, OUTPUT_KINDS

__all__ = ["SWEEP_EPOCHS", "add_embed_parser", "build_parser", "normalize_argv"]

#: Epochs per position of a sweep (as :func:`napari_cne.spectrum_sweep`).
SWEEP_EPOCHS = 100

_DESCRIPTION = (
    "Command line: ``napari-cne embed``, ``napari-cne demo``, "
    "``napari-cne demo-engine``."
)

_EXAMPLES = """\
examples:
  napari-cne embed cells.csv -o cells_cne.csv
  napari-cne embed X.npy -o Y.npy --s 0 --n-epochs 300
  napari-cne embed cells.csv -o out.csv --columns area,DNA_mean --log-columns area
  napari-cne embed cells.csv -o out.csv --plot out.png --color-by cell_type
  napari-cne embed cells.csv -o out.csv --sweep -1,0,0.5,1,2 --plot sweep.png
  napari-cne embed cells.csv -o again.csv --params out.csv.json   # repeat a run

outputs: OUTPUT (.npy: the embedding, NaN rows for rows left out; .csv/.tsv:
the input plus cne_0, cne_1, or cne2_0 ... if those exist), OUTPUT.json
(provenance). --sweep writes OUTPUT_s<value> per position (out_s-1.csv ...).
exit status: 0 success, 1 the run failed, 2 bad usage or input, 130 Ctrl-C.
See docs/cli.md.
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line: ``napari-cne: error: ...`` (exit status 2)."""

    def error(self, message: str):
        cmd = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = f"napari-cne {cmd} --help" if cmd else "napari-cne --help"
        self.exit(EXIT_USAGE, f"napari-cne: error: {message} (see '{hint}')\n")


# ------------------------------------------------------------ argument types
def _positive_int(text: str, expected: str = "a positive integer") -> int:
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
    return _positive_int(text, "a positive integer or 'auto'")


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


def _finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return v


def _s_list(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("expected comma-separated numbers")
    values = [_finite_float(p) for p in parts]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"repeated spectrum positions in {text!r}")
    return values


# ------------------------------------------------------------------- embed
def _add_feature_options(p: argparse.ArgumentParser) -> None:
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


def _add_embedding_options(p: argparse.ArgumentParser) -> None:
    from ..engine.losses import LOSSES
    from ..engine.neighbors import METRICS

    e = p.add_argument_group("embedding (flags override --params)")
    options = [
        ("--s", {"type": _finite_float, "metavar": "S"},
         "spectrum position: 0 t-SNE-like, 1 UMAP-like (default 1)"),
        ("--loss", {"choices": list(LOSSES)}, "contrastive loss (default neg)"),
        ("--n-neighbors", {"type": _positive_int, "metavar": "K"},
         "neighbours in the kNN graph (default 15)"),
        ("--n-epochs", {"type": _n_epochs, "metavar": "N"},
         "optimisation epochs or 'auto' (default auto: 200 up to 10 000 rows, "
         "100 above)"),
        ("--metric", {"choices": list(METRICS)},
         "input-space distance (default euclidean)"),
        ("--seed", {"type": _seed, "metavar": "SEED"},
         "random seed, or 'none' for a random one (default 0)"),
        ("--device", {"metavar": "DEV"}, "auto, cpu, cuda or cuda:N (default auto)"),
        ("--n-jobs", {"type": _n_jobs, "metavar": "N"},
         "CPU threads: -1 all cores (default), -2 all but one, or a number"),
        ("--params", {"metavar": "JSON"},
         "parameter set (a save_params file or an OUTPUT.json provenance)"),
    ]  # fmt: skip
    for flag, kwargs, text in options:
        e.add_argument(flag, help=text, **kwargs)


def _add_sweep_options(p: argparse.ArgumentParser) -> None:
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
        type=_positive_int,
        default=SWEEP_EPOCHS,
        metavar="N",
        help=f"epochs per sweep position (default {SWEEP_EPOCHS})",
    )


def _add_output_options(p: argparse.ArgumentParser) -> None:
    o = p.add_argument_group("readout and output")
    o.add_argument("--plot", metavar="PNG", help="write a scatter plot")
    o.add_argument(
        "--color-by",
        metavar="COLUMN",
        help="colour the plot by this input column (numeric: colour bar; "
        "text, bool or integer with <= 20 values: legend)",
    )
    o.add_argument(
        "--labels",
        metavar="COLUMN",
        help="class column: adds 10-NN accuracy to the quality readout",
    )
    o.add_argument("--no-quality", action="store_true", help="skip the quality readout")
    o.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show a progress bar even when stderr is not a terminal",
    )
    o.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors (no summary, warnings or progress bar)",
    )
    o.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback of an error (for bug reports)",
    )


def add_embed_parser(sub) -> argparse.ArgumentParser:
    """Add the ``embed`` subcommand to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "embed",
        help="embed a table or array file (csv, tsv, txt, parquet, npy)",
        description="Embed the rows of INPUT in 2-D along the t-SNE (s=0) <-> "
        "UMAP (s=1) spectrum and write the coordinates to OUTPUT.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="INPUT", help=f"data file: {INPUT_KINDS}")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT",
        help=f"result file: {OUTPUT_KINDS}",
    )
    _add_feature_options(p)
    _add_embedding_options(p)
    _add_sweep_options(p)
    _add_output_options(p)
    p.set_defaults(func=embed_command)
    return p


# -------------------------------------------------------------------- demos
def _add_demo_parsers(sub) -> None:
    p = sub.add_parser(
        "demo", help="napari with the bundled cells and a live embedding"
    )
    p.add_argument("--screenshot", help="save a full-window PNG and exit")
    p.add_argument(
        "--screenshot-if-headless",
        metavar="PNG",
        help="without a display, run under xvfb-run and save this screenshot",
    )
    p.add_argument("--_in_xvfb", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run_demo)
    e = sub.add_parser("demo-engine", help="the engine alone on the bundled sample")
    e.add_argument("--s", default="0,0.5,1", help="comma-separated spectrum positions")
    e.add_argument("--out", help="write a PNG of the embeddings")
    e.set_defaults(func=run_demo_engine)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``napari-cne`` parser: ``embed``, ``demo``, ``demo-engine``.

    Each subcommand sets ``func``, the function that runs it.
    """
    parser = _Parser(prog="napari-cne", description=_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    add_embed_parser(sub)
    _add_demo_parsers(sub)
    return parser


#: options whose value may start with "-" (negative spectrum positions)
_NUMERIC_OPTIONS = ("--s", "--sweep")
_NEGATIVE = re.compile(r"^-[0-9.]")


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """Join ``--s -1`` and ``--sweep -1,0,1`` into ``--s=-1`` ``--sweep=-1,0,1``.

    argparse takes a value starting with ``-`` for an option unless it is
    one plain negative number, so ``--sweep -1,0,1`` would fail.
    """
    out: list[str] = []
    argv = list(argv)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if (
            tok in _NUMERIC_OPTIONS
            and i + 1 < len(argv)
            and _NEGATIVE.match(argv[i + 1])
        ):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out
