"""Predicted classes and counts per field in ``embed`` and ``embed-images``.

``--predict COLUMN``: the rows with a value in ``COLUMN`` are the examples;
every embedded row gets :data:`~napari_cne.app.predict.PREDICTED` and
:data:`~napari_cne.app.predict.CONFIDENCE` in the output table (the
workflow of :mod:`napari_cne.app.predict`, the widget's "Predict classes").
``--counts-by COLUMN``: the ``COLUMN`` × ``source`` table of counts and
fractions goes to ``<output>_counts.csv`` (:mod:`napari_cne.app.counts`);
``embed-images`` writes it without the option when the table has a column
of predicted classes or clusters.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from ..app.counts import counts_of, counts_path
from ..app.predict import CONFIDENCE, PREDICTED, accuracy_text, predict_fit
from .errors import UsageError, cannot_write

__all__ = ["AUTO_COUNTS", "add_findings"]

#: the columns ``embed-images`` counts by without ``--counts-by`` (the first found)
AUTO_COUNTS = ("cne_cluster", PREDICTED)


def _predict(table: pd.DataFrame, fit, column: str, method: str) -> tuple:
    """Return the table with the predicted columns, and the summary line."""
    if column not in table.columns:
        raise UsageError(f"--predict: there is no column {column!r}")
    if column in fit.matrix.used:
        raise UsageError(
            f"--predict: {column!r} is a feature column; leave it out with "
            "--exclude-columns"
        )
    kept = fit.matrix.kept
    labels = pd.Categorical(table[column].to_numpy()[kept])
    try:
        p = predict_fit(fit, labels, method=method)
    except ValueError as err:
        raise UsageError(f"--predict {column}: {err}") from None
    out = table.copy()
    codes = np.full(len(table), -1, np.int64)
    codes[kept] = p.predicted.codes
    out[PREDICTED] = pd.Categorical.from_codes(codes, categories=p.predicted.categories)
    conf = np.full(len(table), np.nan, np.float32)
    conf[kept] = p.confidence
    out[CONFIDENCE] = conf
    n = int((~labels.isna()).sum())
    line = f"predicted {column!r} from {n} examples: {accuracy_text(p)}"
    return out, line


def _counts(table: pd.DataFrame, column: str, output) -> tuple[str, pd.DataFrame]:
    try:
        counts = counts_of(table, column)
    except ValueError as err:
        raise UsageError(f"--counts-by: {err}") from None
    path = counts_path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        counts.to_csv(path, index=False)
    except OSError as err:
        raise cannot_write(path, err) from None
    return str(path), counts


def add_findings(run, args: argparse.Namespace, fit) -> list[str]:
    """Add the predicted columns to ``run.table`` and write the counts.

    ``fit``: the :class:`~napari_cne.app.fit.Fit` (its graph and matrix).
    Returns the summary lines.
    """
    lines = []
    if getattr(args, "predict", None):
        run.table, line = _predict(run.table, fit, args.predict, args.predict_method)
        lines.append(line)
    column = getattr(args, "counts_by", None)
    if column is None and run.command == "embed-images":
        column = next((c for c in AUTO_COUNTS if c in run.table.columns), None)
    if column is not None:
        path, counts = _counts(run.table, column, args.output)
        groups = counts.iloc[:, 0].nunique()
        sources = counts.iloc[:, 1].nunique()
        lines.append(
            f"counts {column!r} × source ({groups} groups, {sources} sources) -> {path}"
        )
    return lines
