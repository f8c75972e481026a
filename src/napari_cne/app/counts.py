"""Counts per field: the objects of each class or cluster in each source.

The workflow behind the widget's counts panel and the command line's
``<output>_counts.csv``: any column of classes (``class``,
:data:`~.predict.PREDICTED`, ``cne_cluster``, or one of the user's) against
the ``source`` column of a table of many fields
(:data:`~napari_cne.features.sources.SOURCE_COLUMN`; one source, ``all``,
without it), through :func:`napari_cne.analysis.counts.count_table`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.counts import count_table
from ..features.sources import SOURCE_COLUMN

__all__ = ["MAX_GROUPS", "counts_of", "counts_path"]

#: a column with more values than this (and not categorical) is not groups
MAX_GROUPS = 100


def counts_of(
    table: pd.DataFrame, by: str, *, sources: str = SOURCE_COLUMN
) -> pd.DataFrame:
    """Return the ``by`` × source counts and fractions of a table's rows.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per object.
    by : str
        The column of classes or clusters (missing: unassigned).
    sources : str
        The column of sources; without it, every row is of one source.

    Returns
    -------
    pandas.DataFrame
        As :func:`~napari_cne.analysis.counts.count_table` (its first two
        columns named ``by`` and ``sources``).

    Raises
    ------
    ValueError
        For an unknown column, or one of more than :data:`MAX_GROUPS`
        values that is not categorical (a measurement, not groups).
    """
    if by not in table.columns:
        raise ValueError(
            f"there is no column {by!r} to count by; the columns are "
            f"{', '.join(map(str, table.columns[:12]))}"
            + (", ..." if len(table.columns) > 12 else "")
        )
    values = table[by]
    n = values.nunique(dropna=True)
    if not isinstance(values.dtype, pd.CategoricalDtype) and n > MAX_GROUPS:
        raise ValueError(
            f"column {by!r} has {n} different values: it looks like a "
            "measurement, not classes or clusters"
        )
    if by == sources:  # objects per source: the sources are the groups
        return count_table(values, None, group_name=str(by), source_name="total")
    src = table[sources] if sources in table.columns else None
    return count_table(values, src, group_name=str(by), source_name=sources)


def counts_path(output) -> Path:
    """Return where the counts of an output go: ``<output stem>_counts.csv``."""
    output = Path(output)
    stem = output.name
    for suffix in reversed(output.suffixes):
        stem = stem[: -len(suffix)]
    return output.with_name(f"{stem}_counts.csv")
