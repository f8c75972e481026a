"""The argparse parsers of ``napari-cne``: the subcommands and their options.

A usage error is one line, ``napari-cne: error: ... (see 'napari-cne embed
--help')``, exit status 2. The options the subcommands share and their types
are in :mod:`.options`. :func:`normalize_argv` lets ``--s`` and ``--sweep``
take values that start with ``-``.

A subcommand's options are added, and its module imported, only when that
subcommand is asked for (:func:`build_parser` with ``command``), so that
``napari-cne --help`` and ``--version`` answer without loading the engine.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from .._version import __version__
from .errors import EXIT_USAGE

__all__ = [
    "COMMANDS",
    "add_embed_parser",
    "build_parser",
    "command_of",
    "normalize_argv",
]

_DESCRIPTION = (
    "Command line: napari-cne embed, embed-images, embed-pixels, transform, "
    "describe, gallery, demo, demo-engine."
)

_EXAMPLES = """\
examples:
  napari-cne embed cells.csv -o cells_cne.csv
  napari-cne embed X.npy -o Y.npy --s 0 --n-epochs 300
  napari-cne embed cells.csv -o out.csv --columns area,DNA_mean --log-columns area
  napari-cne embed cells.csv -o out.csv --plot out.png --color-by cell_type
  napari-cne embed cells.csv -o out.csv --sweep -1,0,0.5,1,2 --plot sweep.png
  napari-cne embed cells.csv -o again.csv --params out.csv.json   # repeat a run
  napari-cne embed cells.csv -o out.csv --n-components 3 --save-model cells.pt
  napari-cne embed cells.csv -o out.csv --sweep 0,0.5,1 --clusters leiden:0.5

outputs: OUTPUT (.npy: the embedding, NaN rows for rows left out; .csv/.tsv:
the input plus cne_0, cne_1, or cne2_0 ... if those exist), OUTPUT.json
(provenance). --sweep writes OUTPUT_s<value> per position (out_s-1.csv ...).
--clusters adds a cne_cluster column; with --sweep it also prints how separate
each cluster is at every s and writes OUTPUT_robustness.csv.
exit status: 0 success, 1 the run failed, 2 bad usage or input, 130 Ctrl-C.
See docs/cli.md.
"""

_IMAGES_EXAMPLES = """\
examples:
  napari-cne embed-images plate/ --labels '*_labels.tif' --images '*_image.tif' \\
      -o cells.csv --plot cells.png
  napari-cne embed-images plate/ --labels '*_labels.tif' \\
      --channel DNA='*_dna.tif' --channel actin='*_actin.tif' -o cells.csv
  napari-cne embed-images plate/ --labels '*_labels.tif' --images '*_image.tif' \\
      -o cells.csv --scheduler tcp://scheduler:8786 --save-model cells.pt

Each pattern has one '*' (what it matches names the field; a field's files
share it: well3_labels.tif, well3_image.tif), or a {field} placeholder with
other '*' matching anything ('Plate1_{field}_w1_*.tif'), or a regular
expression 're:(?P<field>...)...'. OUTPUT keeps the columns source, label
(and frame), each object's centroid and bounding box (centroid_y, bbox_y0,
...), then the features and cne_0, cne_1.
See docs/cli.md.
"""

_PIXELS_EXAMPLES = """\
examples:
  napari-cne embed-pixels tissue.tif -o coords.npy --rgb rgb.png --plot key.png
  napari-cne embed-pixels big.ome.zarr -o coords.zarr --rgb rgb.zarr \\
      --max-pixels 50000 --save-model tissue.pt --scheduler local
  napari-cne embed-pixels stack.npy --channel-axis -1 --mask mask.tif -o c.npy

OUTPUT holds float32 coordinates of shape (n_components, *pixels), NaN
outside the mask; .zarr keeps them on disk (for images larger than memory).
See docs/cli.md.
"""

_TRANSFORM_EXAMPLES = """\
examples:
  napari-cne transform cells.pt new_cells.csv -o new_cells_cne.csv --plot new.png
  napari-cne transform cells.pt new_cells.csv -o out.csv --method interpolate
  napari-cne transform plate1.pt plate2/ -o plate2_cells.csv    # same patterns
  napari-cne transform tissue.pt other_tissue.tif -o coords.zarr --rgb rgb.png

A table gets the model's coordinate columns (cne_0, cne_1, ...); an image
(the model from embed-pixels) gets every pixel placed.
See docs/cli.md.
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line: ``napari-cne: error: ...`` (exit status 2)."""

    def error(self, message: str):
        cmd = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = f"napari-cne {cmd} --help" if cmd else "napari-cne --help"
        self.exit(EXIT_USAGE, f"napari-cne: error: {message} (see '{hint}')\n")


def _output_option(p, kinds: str) -> None:
    p.add_argument(
        "-o", "--output", required=True, metavar="OUTPUT", help=f"result file: {kinds}"
    )


def _subparser(sub, name: str, help_: str, description: str, epilog: str):
    return sub.add_parser(
        name,
        help=help_,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_embed_parser(sub) -> argparse.ArgumentParser:
    """Add the ``embed`` subcommand to ``sub`` (an argparse subparsers object)."""
    from .clusters import add_cluster_option
    from .embed import embed_command
    from .files import INPUT_KINDS, OUTPUT_KINDS
    from .options import (
        add_embedding_options,
        add_feature_options,
        add_output_options,
        add_sweep_options,
    )

    p = _subparser(
        sub,
        "embed",
        COMMANDS["embed"],
        "Embed the rows of INPUT in 2-D (or 3-D) along the t-SNE (s=0) <-> "
        "UMAP (s=1) spectrum and write the coordinates to OUTPUT.",
        _EXAMPLES,
    )
    p.add_argument("input", metavar="INPUT", help=f"data file: {INPUT_KINDS}")
    _output_option(p, OUTPUT_KINDS)
    add_feature_options(p)
    add_embedding_options(p)
    add_sweep_options(p)
    add_cluster_option(p)
    add_output_options(p)
    p.set_defaults(func=embed_command)
    return p


def _add_images_parser(sub) -> None:
    from .clusters import add_cluster_option
    from .files import OUTPUT_KINDS
    from .images import images_command
    from .options import (
        add_embedding_options,
        add_feature_options,
        add_output_options,
        add_scheduler_option,
        add_sweep_options,
    )

    p = _subparser(
        sub,
        "embed-images",
        COMMANDS["embed-images"],
        "Pair the label images in DIR with their intensity images by file-name "
        "patterns, measure every object (shape, intensity per channel), and "
        "embed all of them together.",
        _IMAGES_EXAMPLES,
    )
    p.add_argument(
        "input",
        metavar="DIR",
        help="folder of images (searched recursively; .tif, .tiff, .npy, .zarr)",
    )
    _output_option(p, OUTPUT_KINDS)
    g = p.add_argument_group("images")
    g.add_argument(
        "--labels",
        dest="labels_pattern",
        required=True,
        metavar="PATTERN",
        help="label images, e.g. '*_labels.tif' or 'Plate1_{field}_labels.tif'",
    )
    g.add_argument(
        "--images",
        metavar="PATTERN",
        help="one multichannel intensity image per field (channels ch0, ch1, ...)",
    )
    g.add_argument(
        "--channel",
        action="append",
        metavar="NAME=PATTERN",
        help="one channel's images, e.g. DNA='*_dna.tif' (repeatable)",
    )
    g.add_argument(
        "--time-axis",
        type=int,
        metavar="N",
        help="the label images' time axis: one row per object and "
        "frame, with a frame column",
    )
    add_scheduler_option(g)
    add_feature_options(p)
    add_embedding_options(p)
    add_sweep_options(p)
    add_cluster_option(p)
    add_output_options(p, labels_flag="--class-column")
    p.set_defaults(func=images_command)


def _add_pixels_parser(sub) -> None:
    from .options import (
        add_embedding_options,
        add_message_options,
        add_pixel_options,
        add_scheduler_option,
        add_standardize_option,
    )
    from .pixels import pixels_command
    from .transform import PIXEL_METHODS

    p = _subparser(
        sub,
        "embed-pixels",
        COMMANDS["embed-pixels"],
        "Fit on a sample of IMAGE's pixels (their channel values), then place "
        "every pixel into that layout, tile by tile, and write the coordinates "
        "(and, with --rgb, a picture of them).",
        _PIXELS_EXAMPLES,
    )
    p.add_argument(
        "image",
        metavar="IMAGE",
        help="image file: .tif, .tiff, .npy, .zarr (OME-Zarr: its pyramid)",
    )
    _output_option(p, ".npy (in memory) or .zarr (on disk)")
    g = add_pixel_options(p, fit=True)
    g.add_argument(
        "--method",
        choices=PIXEL_METHODS,
        default="auto",
        help="how every pixel is placed: the network of a "
        "--parametric fit, or interpolate (the fitted pixels "
        "nearest in feature space); auto: the network if there is "
        "one (default)",
    )
    add_standardize_option(g)
    add_scheduler_option(g)
    add_embedding_options(p)
    o = p.add_argument_group("readout and output")
    o.add_argument(
        "--plot",
        metavar="PNG",
        help="draw the fitted pixels, each in the colour of its place: the key "
        "to the --rgb picture",
    )
    o.add_argument(
        "--no-quality",
        action="store_true",
        help="skip the quality readout (on the fitted sample)",
    )
    add_message_options(o)
    p.set_defaults(func=pixels_command)


def _add_transform_parser(sub) -> None:
    from .files import INPUT_KINDS, OUTPUT_KINDS
    from .options import (
        add_message_options,
        add_pixel_options,
        add_scheduler_option,
        positive_int,
    )
    from .transform import TRANSFORM_METHODS, transform_command

    p = _subparser(
        sub,
        "transform",
        COMMANDS["transform"],
        "Place the rows of INPUT (a table, scaled as the model's features "
        "were) or every pixel of an image (a model from embed-pixels) into the "
        "layout of MODEL (from --save-model).",
        _TRANSFORM_EXAMPLES,
    )
    p.add_argument("model", metavar="MODEL", help="a model saved with --save-model")
    p.add_argument(
        "input",
        metavar="INPUT",
        help=f"a table ({INPUT_KINDS}), a "
        "folder of label images (a model from embed-images), or an "
        "image (.tif, .tiff, .npy, .zarr)",
    )
    _output_option(p, f"{OUTPUT_KINDS} for a table; .npy or .zarr for an image")
    t = p.add_argument_group("placing")
    t.add_argument(
        "--method",
        choices=TRANSFORM_METHODS,
        default="auto",
        help="network (a parametric model), optimize (against the fixed "
        "layout), interpolate (the nearest fitted rows); auto: network if "
        "there is one, else optimize for rows and interpolate for pixels (as "
        "the widget)",
    )
    t.add_argument(
        "--n-epochs",
        type=positive_int,
        default=100,
        metavar="N",
        help="epochs of --method optimize (default 100)",
    )
    t.add_argument(
        "--device",
        metavar="DEV",
        default="auto",
        help="auto, cpu, cuda or cuda:N (default auto)",
    )
    add_scheduler_option(t)
    t.add_argument(
        "--plot",
        metavar="PNG",
        help="draw the placed rows over the fitted map (an image: the map "
        "coloured by position, the key to --rgb)",
    )
    add_pixel_options(p, fit=False)
    add_message_options(p.add_argument_group("messages"))
    p.set_defaults(func=transform_command)


def _add_describe_parser(sub) -> None:
    from .describe import add_describe_parser

    add_describe_parser(sub, COMMANDS["describe"])


def _add_gallery_parser(sub) -> None:
    from .gallery import add_gallery_parser

    add_gallery_parser(sub, COMMANDS["gallery"])


# -------------------------------------------------------------------- demos
def _add_demo_parser(sub) -> None:
    from .demo import run_demo

    p = sub.add_parser("demo", help=COMMANDS["demo"])
    p.add_argument("--screenshot", help="save a full-window PNG and exit")
    p.add_argument(
        "--screenshot-if-headless",
        metavar="PNG",
        help="without a display, run under xvfb-run and save this screenshot",
    )
    p.add_argument("--_in_xvfb", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run_demo)


def _add_demo_engine_parser(sub) -> None:
    from .demo import run_demo_engine

    e = sub.add_parser("demo-engine", help=COMMANDS["demo-engine"])
    e.add_argument("--s", default="0,0.5,1", help="comma-separated spectrum positions")
    e.add_argument("--out", help="write a PNG of the embeddings")
    e.set_defaults(func=run_demo_engine)


#: the subcommands and their one-line help
COMMANDS = {
    "embed": "embed a table or array file (csv, tsv, txt, parquet, npy)",
    "embed-images": "measure every object of a folder of label images, and embed them",
    "embed-pixels": "embed the pixels of a multichannel image, and place every pixel",
    "transform": "place new rows or every pixel of an image with a saved model",
    "describe": "rank the features that make a group of rows different",
    "gallery": "save a gallery of one group's objects from a folder of images",
    "demo": "napari with the bundled cells and a live embedding",
    "demo-engine": "the engine alone on the bundled sample",
}
_ADD = {
    "embed": add_embed_parser,
    "embed-images": _add_images_parser,
    "embed-pixels": _add_pixels_parser,
    "transform": _add_transform_parser,
    "describe": _add_describe_parser,
    "gallery": _add_gallery_parser,
    "demo": _add_demo_parser,
    "demo-engine": _add_demo_engine_parser,
}


def command_of(argv: Sequence[str]) -> str | None:
    """Return the subcommand ``argv`` asks for (None: none, e.g. ``--help``)."""
    return next((a for a in argv if a in COMMANDS), None)


def build_parser(command: str | None = "*") -> argparse.ArgumentParser:
    """Return the ``napari-cne`` parser and its subcommands.

    ``embed``, ``embed-images``, ``embed-pixels``, ``transform``,
    ``describe``, ``gallery``, ``demo``, ``demo-engine``; each sets ``func``,
    the function that runs it.
    ``command``: ``"*"`` all of them with their options; a subcommand's name
    only that one (the others are named with their help), and only its
    modules are imported; None none (``napari-cne --help``, ``--version``).
    """
    parser = _Parser(prog="napari-cne", description=_DESCRIPTION)
    parser.add_argument(
        "--version", action="version", version=f"napari-cne {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add in _ADD.items():
        if command in ("*", name):
            add(sub)
        else:
            sub.add_parser(name, help=COMMANDS[name])
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
