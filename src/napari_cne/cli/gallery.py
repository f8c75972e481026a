"""``napari-cne gallery``: a group's cells side by side, from the files.

Reads the table ``embed-images`` wrote (``source``, ``label``, the
coordinates ``cne_0``, ``cne_1`` and a group column: ``cne_cluster``,
``cne_predicted``, a class), finds each field's label image and images in
the folder by the same patterns, and saves the gallery of one group as the
widget shows it (:func:`napari_cne.app.gallery.group_gallery`: the members
nearest the group's centre in the map and a seeded random sample of the
rest, each cut from its own field with its outline) as a PNG, with a CSV
beside it saying which object each tile shows.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import EXIT_OK, UsageError, cannot_write, run_with_messages
from .files import INPUT_KINDS, read_input

__all__ = ["add_gallery_parser", "gallery_command"]

_EXAMPLES = """\
examples:
  napari-cne embed-images plate/ --labels '*_labels.tif' --channel DNA='*_dna.tif' \\
      -o cells.csv --clusters leiden
  napari-cne gallery cells.csv plate/ --labels '*_labels.tif' \\
      --channel DNA='*_dna.tif' --by cne_cluster --group 3 -o cluster3.png

The folder patterns are those the table was made with. Tiles framed in
orange: the members nearest the group's centre in the map; in blue: a
random sample of the others (--seed). See docs/findings.md.
"""
#: the coordinate columns napari-cne writes (cne_0, cne2_1, ...)
_COORDS = re.compile(r"^cne\d*_\d+$")


def add_gallery_parser(sub, help_: str) -> argparse.ArgumentParser:
    """Add the ``gallery`` subcommand to ``sub`` (``help_``: its help line)."""
    from .options import add_message_options, positive_int

    p = sub.add_parser(
        "gallery",
        help=help_,
        description="Save a gallery of one group's objects (a value of --by "
        "in TABLE, as embed-images wrote it), each cut from its own field in "
        "DIR with its outline.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("table", metavar="TABLE", help=f"the embedding: {INPUT_KINDS}")
    p.add_argument("input", metavar="DIR", help="the folder of images it measured")
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="the picture")
    g = p.add_argument_group("images (as for embed-images)")
    g.add_argument("--labels", dest="labels_pattern", required=True, metavar="PATTERN")
    g.add_argument("--images", metavar="PATTERN")
    g.add_argument("--channel", action="append", metavar="NAME=PATTERN")
    g.add_argument("--time-axis", type=int, metavar="N")
    p.add_argument("--by", required=True, metavar="COLUMN", help="the group column")
    p.add_argument("--group", required=True, metavar="VALUE", help="the group")
    p.add_argument(
        "-n", type=positive_int, default=48, metavar="N", help="tiles (default 48)"
    )
    p.add_argument("--seed", type=int, default=0, help="the random sample's seed")
    add_message_options(p.add_argument_group("messages"))
    p.set_defaults(func=gallery_command)
    return p


def _layout(table: pd.DataFrame) -> np.ndarray:
    coords = [c for c in table.columns if _COORDS.match(str(c))]
    if len(coords) < 2:
        raise UsageError(
            "the table has no coordinates (cne_0, cne_1): give the table "
            "napari-cne embed-images wrote"
        )
    first = str(coords[0]).rsplit("_", 1)[0]
    return table[[c for c in coords if str(c).startswith(first + "_")]].to_numpy(float)


def _group(table: pd.DataFrame, by: str, value: str) -> np.ndarray:
    """Return the rows of the group (``describe``'s rule for a value)."""
    from ..app.describe import group_mask

    if by not in table.columns:
        raise UsageError(f"--by: there is no column {by!r}")
    try:
        return group_mask(table, by, value)
    except ValueError as err:
        raise UsageError(f"--group {value!r}: no row has it ({err})") from None


def _run(args, say) -> int:
    from ..app.gallery import gallery_target, group_gallery
    from ..app.targets import keys_from_table
    from .images import folder_input, folder_patterns

    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise UsageError(f"-o {out.name!r}: write a .png file")
    table = read_input(args.table)
    layout, inside = _layout(table), _group(table, args.by, args.group)
    inp = folder_input(args.input, folder_patterns(args))
    target = gallery_target(inp)
    try:
        keys = keys_from_table(table, target, "label")
    except KeyError as err:
        raise UsageError(
            f"the table has no {err} column: give the table embed-images wrote"
        ) from None
    placed = np.isfinite(layout).all(axis=1) & (keys >= 0)
    gallery = group_gallery(
        inp,
        layout[placed],
        keys[placed],
        keys[placed & inside],
        n=args.n,
        random_state=args.seed,
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        gallery.save(out)
        gallery.table.to_csv(out.with_suffix(".csv"), index=False)
    except OSError as err:
        raise cannot_write(out, err) from None
    say(
        f"gallery   {len(gallery)} of {gallery.group_size} objects of "
        f"{args.by} = {args.group} -> {out} (which is which: "
        f"{out.with_suffix('.csv').name})"
    )
    return EXIT_OK


def gallery_command(args) -> int:
    """Run ``napari-cne gallery`` (the parser's ``func``)."""
    return run_with_messages(args, _run)
