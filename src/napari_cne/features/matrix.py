"""The matrix that gets embedded, and the scaling that makes it from new rows.

Chosen columns, rows with missing values left out, ``log1p``, z-scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .tables import default_columns, is_numeric

__all__ = ["FeatureScaling", "feature_matrix", "fit_feature_matrix"]


@dataclass
class FeatureScaling:
    """How a table's columns became the matrix: the same for new rows.

    Attributes
    ----------
    columns : list of str
        The columns of the matrix, in order.
    log_columns : list of str
        Those transformed with ``log1p`` first.
    mean, std : ndarray
        Subtracted and divided by, per column (0 and 1 without z-scores).
    """

    columns: list
    log_columns: list = field(default_factory=list)
    mean: np.ndarray = None
    std: np.ndarray = None

    def scale(self, values: np.ndarray) -> np.ndarray:
        """Return rows of the columns' raw values (``log1p`` already applied) scaled."""
        return np.ascontiguousarray((values - self.mean) / self.std, dtype=np.float32)

    def transform_values(self, values: np.ndarray) -> np.ndarray:
        """Return rows of raw values, in :attr:`columns` order, as the matrix."""
        A = np.array(values, dtype=np.float64, copy=True)
        if A.ndim != 2 or A.shape[1] != len(self.columns):
            raise ValueError(
                f"expected rows of {len(self.columns)} values ({self.columns}); "
                f"got shape {A.shape}"
            )
        if self.log_columns:
            pos = [self.columns.index(c) for c in self.log_columns]
            A[:, pos] = np.log1p(np.maximum(A[:, pos], 0.0))
        return self.scale(A)

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        """Return a table's rows as the matrix (missing columns: an error)."""
        missing = [c for c in self.columns if c not in table.columns]
        if missing:
            raise ValueError(f"the table has no column(s) {missing!r}")
        return self.transform_values(
            table[self.columns].to_numpy(dtype=np.float64, na_value=np.nan)
        )

    def to_dict(self) -> dict:
        """Return a JSON-serialisable form (see :meth:`from_dict`)."""
        return {
            "columns": [str(c) for c in self.columns],
            "log_columns": [str(c) for c in self.log_columns],
            "mean": [float(v) for v in self.mean],
            "std": [float(v) for v in self.std],
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureScaling:
        """Return the scaling saved by :meth:`to_dict`."""
        return cls(
            list(data["columns"]),
            list(data.get("log_columns", [])),
            np.asarray(data["mean"], float),
            np.asarray(data["std"], float),
        )


def _chosen(table: pd.DataFrame, columns, log) -> tuple[list, list]:
    """Return the feature columns (default: :func:`default_columns`), log ones."""
    if columns is None:
        columns = default_columns(table)
        empty = [
            c
            for c in table.columns
            if is_numeric(table[c]) and c not in columns and table[c].isna().all()
        ]
        if empty:
            warnings.warn(
                f"column(s) {', '.join(map(repr, empty))} have no values and are "
                "left out",
                UserWarning,
                stacklevel=2,
            )
    columns = list(columns)
    if not columns:
        raise ValueError("no feature columns to embed")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns {missing!r} are not in the table")
    bad = [c for c in columns if not is_numeric(table[c])]
    if bad:
        raise ValueError(f"columns {bad!r} are not numeric")
    if log is True:
        log_cols = list(columns)
    elif log is False or log is None:
        log_cols = []
    else:
        log_cols = [log] if isinstance(log, str) else list(log)
    unknown = [c for c in log_cols if c not in columns]
    if unknown:
        raise ValueError(f"log columns {unknown!r} are not among the chosen columns")

    return columns, log_cols


def _log1p(A: np.ndarray, columns: list, log_cols: list) -> None:
    """Transform the ``log_cols`` of ``A`` with ``log1p``, in place (values >= 0)."""
    pos = [columns.index(c) for c in log_cols]
    negative = [c for c, j in zip(log_cols, pos, strict=True) if (A[:, j] < 0).any()]
    if negative:
        raise ValueError(
            f"log columns {negative!r} have negative values; log1p needs "
            "values >= 0 (leave them out of log)"
        )
    A[:, pos] = np.log1p(A[:, pos])


def fit_feature_matrix(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    standardize: bool = True,
    log: Sequence[str] | bool = (),
) -> tuple[np.ndarray, np.ndarray, FeatureScaling]:
    """Turn a feature table into the matrix that gets embedded, and its scaling.

    As :func:`feature_matrix`, but the third output is the
    :class:`FeatureScaling` that made the matrix (the columns used, the
    ``log1p`` ones, means and standard deviations), to turn new rows into
    the same matrix (``scaling.transform(new_table)``).
    """
    return _fit(table, columns, standardize, log)


def feature_matrix(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    standardize: bool = True,
    log: Sequence[str] | bool = (),
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Turn a feature table into the matrix that gets embedded.

    Rows with a missing or infinite value in any chosen column are left out
    (see ``kept``; a warning says how many and because of which columns);
    constant columns carry no information and are dropped.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per object.
    columns : sequence of str, optional
        Feature columns. Default: :func:`default_columns`.
    standardize : bool, default True
        z-score every column (mean 0, standard deviation 1), so that
        features in different units weigh alike.
    log : sequence of str or bool, default ()
        Columns to transform with ``log1p`` (before standardising), e.g.
        areas and intensities with long right tails; ``True`` means every
        chosen column. Their values must be >= 0.

    Returns
    -------
    X : ndarray of float32, shape (n_kept, n_used)
    kept : ndarray of bool, shape (len(table),)
        Rows of ``table`` that are in ``X``; ``(~kept).sum()`` rows were left
        out.
    used : list of str
        Columns of ``X``.

    Raises
    ------
    ValueError
        No columns, unknown or non-numeric columns, ``log`` columns that are
        not chosen or hold negative values, fewer than 3 complete rows, or
        only constant columns.

    Warns
    -----
    UserWarning
        When rows are left out for missing or infinite values.
    """
    X, kept, scaling = _fit(table, columns, standardize, log)
    return X, kept, list(scaling.columns)


def _fit(table, columns, standardize: bool, log):
    columns, log_cols = _chosen(table, columns, log)
    A = table[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(A)
    kept = finite.all(axis=1)
    if len(A) < 3:
        raise ValueError(f"need at least 3 objects (rows) to embed; got {len(A)}")
    if kept.sum() < 3:
        bad = [c for c, ok in zip(columns, finite.all(axis=0), strict=True) if not ok]
        raise ValueError(
            f"only {int(kept.sum())} of {len(A)} rows have a finite value in every "
            f"chosen column; at least 3 are needed (columns with missing values: "
            f"{', '.join(map(repr, bad))}; leave them out)"
        )
    n_out = int((~kept).sum())
    if n_out:
        culprits = [
            c for c, ok in zip(columns, finite.all(axis=0), strict=True) if not ok
        ]
        warnings.warn(
            f"{n_out} of {len(A)} rows have missing or infinite values (in "
            f"{', '.join(repr(c) for c in culprits)}) and are left out",
            UserWarning,
            stacklevel=4,
        )
    A = A[kept]
    if log_cols:
        _log1p(A, columns, log_cols)
    mu = A.mean(axis=0)
    sd = A.std(axis=0)
    varying = sd > 1e-12 * np.maximum(1.0, np.abs(mu))
    if not varying.any():
        raise ValueError("every chosen column is constant; there is nothing to embed")
    used = [c for c, v in zip(columns, varying, strict=True) if v]
    scaling = FeatureScaling(
        columns=used,
        log_columns=[c for c in log_cols if c in used],
        mean=mu[varying] if standardize else np.zeros(len(used)),
        std=sd[varying] if standardize else np.ones(len(used)),
    )
    return scaling.scale(A[:, varying]), kept, scaling
