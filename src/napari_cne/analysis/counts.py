"""How many objects of each class (or cluster) each source holds.

A source is a field of view, a well, a file: with many Labels layers it is
the ``source`` column (:data:`napari_cne.features.sources.SOURCE_COLUMN`).
:func:`count_table` gives the tidy table (one row per group and source,
the totals over all sources last), ready for CSV; :func:`wide_counts` the
group × source view of one of its values, as the widget shows it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ALL", "UNASSIGNED", "count_table", "wide_counts"]

#: the source of the totals over all sources
ALL = "all"
#: the group of objects without a class
UNASSIGNED = "unassigned"


def _categorical(values, what: str) -> pd.Categorical:
    """Values as a categorical, the categories in their order (or sorted)."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Categorical):
        return values
    values = np.asarray(values, dtype=object)
    if values.ndim != 1:
        raise ValueError(f"{what} must be one value per object")
    return pd.Categorical(values)


def count_table(
    groups,
    sources=None,
    *,
    group_name: str = "class",
    source_name: str = "source",
    unassigned: bool = True,
) -> pd.DataFrame:
    """Return the objects of every group in every source: counts and fractions.

    Parameters
    ----------
    groups : array-like or pandas.Categorical (n,)
        The class or cluster of each object (missing: unassigned). All the
        categories are listed, also empty ones.
    sources : array-like (n,), optional
        The source of each object (default: one source, :data:`ALL`).
    group_name, source_name : str
        The names of the first two columns.
    unassigned : bool
        List objects without a group as :data:`UNASSIGNED` (so each
        source's fractions sum to 1); False leaves them out of the counts
        (not out of the fractions' totals).

    Returns
    -------
    pandas.DataFrame
        Columns ``group_name``, ``source_name``, ``count``,
        ``fraction`` (of the source's objects), ``n_source`` (the source's
        objects); one row per group and source, then per group over all
        sources (source :data:`ALL`) when there are several.

    Raises
    ------
    ValueError
        For sizes that differ, or no objects.
    """
    if group_name == source_name:
        raise ValueError(f"the groups and the sources are both named {group_name!r}")
    g = _categorical(groups, "groups")
    n = len(g)
    if n == 0:
        raise ValueError("no objects to count")
    s = (
        pd.Categorical([ALL] * n)
        if sources is None
        else _categorical(sources, "sources")
    )
    if len(s) != n:
        raise ValueError(f"got {len(s)} sources for {n} objects")
    names = [str(c) for c in g.categories]
    codes = np.asarray(g.codes, np.int64)
    if unassigned and (codes < 0).any():
        if UNASSIGNED in names:
            raise ValueError(f"a group is named {UNASSIGNED!r}; rename it")
        names.append(UNASSIGNED)
        codes = np.where(codes < 0, len(names) - 1, codes)
    src = [str(c) for c in s.categories]
    scodes = np.asarray(s.codes, np.int64)
    if (scodes < 0).any():
        raise ValueError("every object needs a source")
    keep = codes >= 0
    counts = np.zeros((len(names), len(src)), np.int64)
    np.add.at(counts, (codes[keep], scodes[keep]), 1)
    per_source = np.bincount(scodes, minlength=len(src))
    if len(src) > 1:
        counts = np.column_stack([counts, counts.sum(axis=1)])
        per_source = np.append(per_source, n)
        src = [*src, ALL]
    rows = pd.DataFrame(
        {
            group_name: np.repeat(names, len(src)),
            source_name: np.tile(src, len(names)),
            "count": counts.ravel(),
            "n_source": np.tile(per_source, len(names)),
        }
    )
    rows["fraction"] = rows["count"] / rows["n_source"].where(rows["n_source"] > 0)
    # source-major order: every group of one source, then the next
    order = np.argsort(np.tile(np.arange(len(src)), len(names)), kind="stable")
    rows = rows.iloc[order].reset_index(drop=True)
    rows[group_name] = pd.Categorical(rows[group_name], categories=names)
    rows[source_name] = pd.Categorical(rows[source_name], categories=src)
    return rows[[group_name, source_name, "count", "fraction", "n_source"]]


def wide_counts(table: pd.DataFrame, value: str = "count") -> pd.DataFrame:
    """Return one value of :func:`count_table` as a group × source table.

    Parameters
    ----------
    table : pandas.DataFrame
        As :func:`count_table` returns it.
    value : {"count", "fraction"}
    """
    if value not in ("count", "fraction"):
        raise ValueError(f"value must be 'count' or 'fraction'; got {value!r}")
    group, source = table.columns[:2]
    wide = table.pivot(index=group, columns=source, values=value)
    wide.columns = [str(c) for c in wide.columns]
    wide.index = [str(i) for i in wide.index]
    wide.index.name, wide.columns.name = str(group), None
    return wide
