"""Which columns of the input ``napari-cne embed`` uses, with one-line messages.

The rule for default feature columns and the matrix itself come from
:mod:`napari_cne.features` and :mod:`napari_cne.app`
(:func:`~napari_cne.features.default_columns`,
:func:`~napari_cne.app.inputs.prepare_matrix`), the same code the widget
uses; this module checks the command line's column options against the
table.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..features import default_columns, is_numeric
from .errors import UsageError

__all__ = [
    "check_known",
    "choose_columns",
    "format_names",
    "labels_of",
    "split_values",
]


def format_names(values: Sequence[str], limit: int = 8, quote: bool = False) -> str:
    """Join names with commas, the first ``limit`` of them and a count of the rest."""
    values = [repr(str(v)) if quote else str(v) for v in values]
    if len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f", ... (+{len(values) - limit} more)"


def check_known(table: pd.DataFrame, names: Sequence[str], option: str) -> None:
    """Raise a :class:`UsageError` naming ``--option`` for unknown columns."""
    unknown = [c for c in names if c not in table.columns]
    if unknown:
        raise UsageError(
            f"--{option}: unknown column(s) {format_names(unknown, quote=True)}; "
            f"the input has {format_names(list(table.columns), 12)}"
        )


def split_values(values: Sequence[str] | None) -> list[str] | None:
    """Flatten repeated, comma-separated option values."""
    if values is None:
        return None
    out = [v.strip() for item in values for v in item.split(",")]
    return [v for v in out if v]


def _check_chosen(table: pd.DataFrame, chosen: list[str], logs: list[str]) -> None:
    if not chosen:
        numeric = [c for c in table.columns if is_numeric(table[c])]
        raise UsageError(
            "no feature columns to embed"
            + (
                f" (numeric columns: {format_names(numeric)}; choose with --columns)"
                if numeric
                else ": the input has no numeric columns"
            )
        )
    bad = [c for c in chosen if not is_numeric(table[c])]
    if bad:
        raise UsageError(
            f"--columns: column(s) {format_names(bad, quote=True)} are not numeric"
        )
    not_used = [
        p for p in logs if not any(fnmatch.fnmatchcase(str(c), p) for c in chosen)
    ]
    if not_used:
        raise UsageError(
            f"--log-columns: {format_names(not_used, quote=True)} matches none of "
            f"the feature columns ({format_names(chosen)})"
        )


def choose_columns(
    table: pd.DataFrame,
    columns: Sequence[str] | None,
    exclude: Sequence[str] | None,
    log: Sequence[str] | None,
    default=default_columns,
) -> tuple[list[str], list[str]]:
    """Return the feature columns and the log columns the options ask for.

    Parameters
    ----------
    table : pandas.DataFrame
        The input.
    columns, exclude, log : sequence of str, optional
        The values of ``--columns``, ``--exclude-columns`` and
        ``--log-columns`` (repeated, comma-separated; the log columns are
        names or patterns with ``*`` and ``?``, as in the widget). Without
        ``columns``, ``default(table)`` chooses (measured objects: every
        feature, as the widget; else
        :func:`~napari_cne.features.default_columns`).

    Raises
    ------
    UsageError
        For unknown or non-numeric columns, no columns at all, or log
        columns that are not features.
    """
    columns = split_values(columns)
    exclude = split_values(exclude) or []
    logs = split_values(log) or []
    if columns is not None:
        check_known(table, columns, "columns")
    check_known(table, exclude, "exclude-columns")
    chosen = default(table) if columns is None else list(columns)
    chosen = [c for c in chosen if c not in set(exclude)]
    _check_chosen(table, chosen, logs)
    return chosen, logs


def labels_of(table: pd.DataFrame, column: str | None, kept: np.ndarray):
    """Class labels of the embedded rows, or ``None`` (with the reason)."""
    if column is None:
        return None, None
    values = table[column].to_numpy()[kept]
    missing = pd.isna(values)
    if missing.any():
        return None, (
            f"--labels {column!r} has {int(missing.sum())} missing values among "
            "the embedded rows; no k-NN accuracy"
        )
    return values, None
