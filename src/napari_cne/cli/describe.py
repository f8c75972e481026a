"""``napari-cne describe``: the features that make a group of rows different.

Reads a table, takes the group from a column (``--by class --group
mitotic``; without ``--group`` every value of the column in turn) and
compares it with the other rows or with ``--against`` another value,
through the widget's workflow (:mod:`napari_cne.app.describe`): the same
ranking, the same numbers. Prints the table; ``--out`` writes it as CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..app.describe import describe_each, describe_group
from .errors import EXIT_OK, UsageError, cannot_write, run_with_messages
from .files import INPUT_KINDS, read_input

__all__ = ["add_describe_parser", "describe_command", "format_describe"]

_EXAMPLES = """\
examples:
  napari-cne describe cells.csv --by class --group mitotic
  napari-cne describe cells.csv --by class --group mitotic --against interphase
  napari-cne describe cells_cne.csv --by cne_cluster --top 5 --out markers.csv

Columns: auroc (chance that a row of the group has a higher value than
another row; 0.5 no difference), effect (Hedges' g: difference of the
means over the pooled standard deviation), mean_in, mean_out, n_in, n_out.
Ranked by |auroc - 0.5|, ties by |effect|. See docs/cli.md.
"""

#: how the printed table shows its numbers
_FORMATS = {"auroc": "{:.3f}".format, "effect": "{:+.2f}".format}


def add_describe_parser(sub, help_: str) -> argparse.ArgumentParser:
    """Add the ``describe`` subcommand to ``sub`` (an argparse subparsers object).

    ``help_``: its line in ``napari-cne --help``.
    """
    from .options import add_message_options, positive_int

    p = sub.add_parser(
        "describe",
        help=help_,
        description="Rank the numeric features of TABLE that distinguish "
        "the rows of one group (a value of --by) from all other rows, or "
        "from the rows of --against: AUROC (Mann-Whitney), Hedges' g and "
        "the means inside and outside.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("table", metavar="TABLE", help=f"data file: {INPUT_KINDS}")
    p.add_argument(
        "--by", required=True, metavar="COLUMN", help="the column naming the groups"
    )
    p.add_argument(
        "--group",
        metavar="VALUE",
        help="the group to describe (default: every value of --by in turn)",
    )
    p.add_argument(
        "--against",
        metavar="VALUE",
        help="compare with this group instead of all other rows",
    )
    p.add_argument(
        "--top",
        type=positive_int,
        metavar="N",
        help="only the N most distinguishing features (default all)",
    )
    p.add_argument("--out", metavar="CSV", help="also write the table to CSV")
    add_message_options(p.add_argument_group("messages"))
    p.set_defaults(func=describe_command)
    return p


def format_describe(table: pd.DataFrame) -> str:
    """Return a :func:`~napari_cne.app.describe.describe_group` table as text."""
    shown = table.copy()
    for c in ("mean_in", "mean_out"):
        shown[c] = shown[c].map("{:.4g}".format)
    for c, fmt in _FORMATS.items():
        shown[c] = shown[c].map(fmt)
    shown.index = range(1, len(shown) + 1)
    return shown.to_string()


def _header(n_in: int, n_out: int, by: str, group, against) -> str:
    other = "the rest" if against is None else f"{by} = {against}"
    return f"{by} = {group} ({n_in} rows) against {other} ({n_out} rows)"


def _write(table: pd.DataFrame, out: str) -> None:
    path = Path(out)
    if path.suffix.lower() != ".csv":
        raise UsageError(f"--out {path.name!r}: write a .csv file")
    try:
        table.to_csv(path, index=False)
    except OSError as err:
        raise cannot_write(path, err) from None


def _run(args, say) -> int:
    if args.against is not None and args.group is None:
        raise UsageError("--against needs --group (the group to compare with it)")
    if args.out and Path(args.out).resolve() == Path(args.table).resolve():
        raise UsageError("--out would overwrite the input table; choose another")
    df = read_input(args.table)
    by = args.by
    if args.group is None:
        result = describe_each(df, by, top=args.top)
        for value, part in result.groupby("group", sort=False):
            n_in = int((df[by] == value).sum())
            say(_header(n_in, len(df) - n_in, by, value, None))
            say(format_describe(part.drop(columns="group").reset_index(drop=True)))
            say("")
    else:
        result = describe_group(df, args.group, args.against, by=by, top=args.top)
        n = result.attrs
        say(_header(n["n_group"], n["n_against"], by, args.group, args.against))
        say(format_describe(result))
    if args.out:
        _write(result, args.out)
        say(f"wrote {args.out}")
    return EXIT_OK


def describe_command(args) -> int:
    """Run ``napari-cne describe`` (the parser's ``func``)."""
    return run_with_messages(args, _run)
