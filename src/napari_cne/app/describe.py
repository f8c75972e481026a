"""What makes a group different: the workflow behind the widget and ``describe``.

A group is a boolean mask over the table's rows (a selection, as the widget
has it) or a value of a column (a class, a cluster: ``--by class --group
mitotic``); it is compared with every other row, or with a second group
given the same way. :func:`describe_group` returns the ranked table of
:func:`napari_cne.analysis.describe.describe`; :func:`describe_each` does
it for every value of a column (the markers of every class).
:func:`distribution_of` gives a feature's histogram for the same groups.
The dock widget and ``napari-cne describe`` both call these, so they print
the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis.describe import Distribution, describe, distribution
from ..features import is_numeric

__all__ = [
    "MAX_GROUPS",
    "describe_each",
    "describe_group",
    "distribution_of",
    "group_mask",
]

#: most values of a column :func:`describe_each` describes one by one
MAX_GROUPS = 50
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _column(table: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        raise ValueError("a group given by a value needs the column it is in (by)")
    if by not in table.columns:
        shown = ", ".join(map(str, list(table.columns)[:8]))
        more = ", …" if len(table.columns) > 8 else ""
        raise ValueError(f"no column {by!r} in the table (columns: {shown}{more})")
    return table[by]


def _values_text(col: pd.Series) -> str:
    values = pd.unique(col.dropna())
    shown = ", ".join(map(str, sorted(values, key=str)[:10]))
    return shown + (", …" if len(values) > 10 else "")


def group_mask(table: pd.DataFrame, by: str, value) -> np.ndarray:
    """Return the rows whose column ``by`` holds ``value``.

    A value given as text (from the command line) matches a numeric
    column's number (``"2"`` matches 2 and 2.0) or a boolean column's
    ``true``/``false``; any other value is compared as it is, then as text.

    Raises
    ------
    ValueError
        For an unknown column or a value no row has (the message lists the
        column's values).
    """
    col = _column(table, by)
    mask = np.zeros(len(col), bool)
    if isinstance(value, str) and pd.api.types.is_bool_dtype(col):
        word = value.strip().lower()
        if word in _TRUE | _FALSE:
            mask = (col == (word in _TRUE)).to_numpy(bool)
    elif isinstance(value, str) and is_numeric(col):
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None:
            mask = (col.astype(float) == number).to_numpy(bool)
    else:
        mask = (col.astype(object) == value).to_numpy(bool)
        if not mask.any():
            mask = (col.astype(str) == str(value)).to_numpy(
                bool
            ) & col.notna().to_numpy()
    if not mask.any():
        raise ValueError(
            f"no object has {by} = {value!r} (its values: {_values_text(col)})"
        )
    return mask


def _mask(table: pd.DataFrame, group, by: str | None) -> np.ndarray:
    """Return the rows of a group: a boolean mask as it is, a value its rows."""
    arr = np.asarray(group) if not isinstance(group, str) else None
    if arr is not None and arr.dtype == bool and arr.ndim == 1:
        return arr
    return group_mask(table, _column(table, by).name, group)


def _check_top(top: int | None) -> None:
    if top is not None and (isinstance(top, bool) or int(top) != top or top < 1):
        raise ValueError(f"top must be a positive integer; got {top!r}")


def describe_group(
    table: pd.DataFrame,
    group,
    against=None,
    *,
    by: str | None = None,
    columns: Sequence[str] | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Rank the features that tell ``group`` from the rest (or from ``against``).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per object (a layer's ``features``, a file).
    group : array of bool, shape (n,), or a value of ``by``
        The group: a mask over the rows (a selection) or a class / cluster.
    against : array of bool, shape (n,), or a value of ``by``, optional
        The group to compare with (default: every other object).
    by : str, optional
        The column the values are in; never compared as a feature.
    columns : sequence of str, optional
        The features (default: the project's rule,
        :func:`napari_cne.analysis.describe.describe_features`).
    top : int, optional
        Keep only the first ``top`` features.

    Returns
    -------
    pandas.DataFrame
        :func:`napari_cne.analysis.describe.describe`'s table, most
        distinguishing feature first; ``attrs`` hold ``by``, ``group`` and
        ``against`` (``"selection"`` for a mask, ``"rest"`` for None) and
        the objects in each, ``n_group`` and ``n_against``.

    Raises
    ------
    ValueError
        One line: unknown column or value, empty group, a group holding
        every object, overlapping groups, no numeric feature, bad ``top``.
    """
    _check_top(top)
    inside = _mask(table, group, by)
    outside = None if against is None else _mask(table, against, by)
    exclude = [by] if by is not None else []
    out = describe(table, inside, outside, columns=columns, exclude=exclude)
    if top is not None:
        out = out.head(int(top)).copy()
    out.attrs = {
        "by": by,
        "group": _name(group),
        "against": "rest" if against is None else _name(against),
        "n_group": int(inside.sum()),
        "n_against": int(
            len(table) - inside.sum() if outside is None else outside.sum()
        ),
    }
    return out


def _name(group) -> str:
    arr = None if isinstance(group, str) else np.asarray(group)
    if arr is not None and arr.dtype == bool and arr.ndim == 1:
        return "selection"
    return str(group)


def describe_each(
    table: pd.DataFrame,
    by: str,
    *,
    columns: Sequence[str] | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Describe every value of ``by`` against all other objects, one after another.

    Returns
    -------
    pandas.DataFrame
        The tables of :func:`describe_group` stacked, with a first column
        ``group`` (the value); the values in sorted order.

    Raises
    ------
    ValueError
        For an unknown column, one with fewer than 2 or more than
        :data:`MAX_GROUPS` values.
    """
    _check_top(top)
    col = _column(table, by)
    values = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v))
    if len(values) < 2:
        raise ValueError(
            f"column {by!r} has {len(values)} value(s); it needs at least two groups"
        )
    if len(values) > MAX_GROUPS:
        raise ValueError(
            f"column {by!r} has {len(values)} values (more than {MAX_GROUPS}); "
            "name one group"
        )
    parts = []
    for v in values:
        mask = (col == v).to_numpy(bool)
        part = describe_group(table, mask, by=by, columns=columns, top=top)
        part.insert(0, "group", v)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.attrs = {"by": by, "group": "each", "against": "rest"}
    return out


def distribution_of(
    table: pd.DataFrame,
    feature: str,
    group,
    against=None,
    *,
    by: str | None = None,
    bins: int = 30,
) -> Distribution:
    """Return ``feature``'s histogram in ``group`` and in the rest (or ``against``).

    The groups are given as in :func:`describe_group`; see
    :func:`napari_cne.analysis.describe.distribution`.
    """
    inside = _mask(table, group, by)
    outside = None if against is None else _mask(table, against, by)
    return distribution(table, feature, inside, outside, bins=bins)
