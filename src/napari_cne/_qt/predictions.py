"""Predicted classes and counts in the widget: the glue to the selection panel.

The selection panel's thin delegates (``selection.predict``,
``selection.select_least_confident``, ``selection.counts``) call these with
the panel itself and the session's fit:

* :func:`predict_classes` runs :func:`napari_cne.app.predict.predict_objects`
  with the panel's classes and keys and writes
  :data:`~napari_cne.app.predict.PREDICTED` and
  :data:`~napari_cne.app.predict.CONFIDENCE` into the embedding layer's
  ``features`` and into every source layer's (new columns, by re-assigning
  the DataFrame so ``events.features`` fires);
* :func:`select_least_confident` selects the objects to name next;
* :func:`counts` gives the class × source table of the embedding layer.

GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..app.counts import counts_of
from ..app.predict import PREDICTED, ObjectPrediction, predict_objects
from ..app.targets import key_column, keys_from_table, parts_of
from ..features.sources import SOURCE_COLUMN

__all__ = ["counts", "predict_classes", "select_least_confident", "write_columns"]


def write_columns(selection, columns: pd.DataFrame) -> None:
    """Write per-object columns (one row per linked key) into both layers.

    ``columns``: rows in the order of ``selection.linker.keys`` (the
    embedding layer's rows). Source rows without an embedded object get
    missing values.
    """
    keys = np.asarray(selection.linker.keys, np.int64)
    pts = selection.points
    if pts is not None and len(pts.features) == len(keys):
        df = pts.features.copy()
        for c in columns.columns:
            df[c] = columns[c].array
        pts.features = df
    pos = pd.Series(np.arange(len(keys)), index=keys)
    for part, offset in parts_of(selection.target):
        layer = part.layer
        df = getattr(layer, "features", None)
        if df is None or len(df) == 0:
            continue
        try:
            own = keys_from_table(df, part, key_column(df, selection.id_name))
        except KeyError:
            continue  # rows that cannot be matched to objects: leave them
        rows = pd.Series(own + offset).map(pos)
        ok = rows.notna().to_numpy()
        idx = rows[ok].astype(int).to_numpy()
        out = df.copy()
        for c in columns.columns:
            col = columns[c]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = np.full(len(df), -1, np.int64)
                codes[ok] = col.cat.codes.to_numpy()[idx]
                out[c] = pd.Categorical.from_codes(codes, col.cat.categories)
            else:
                vals = np.full(len(df), np.nan, np.float32)
                vals[ok] = col.to_numpy()[idx]
                out[c] = vals
        layer.features = out


def predict_classes(selection, fit, method: str = "auto") -> ObjectPrediction:
    """Predict every object's class from the panel's named ones; write the columns.

    Parameters
    ----------
    selection : SelectionPanel
        Its ``classes`` (the named examples) and ``linker.keys``.
    fit : Fit
        The session's fit (``widget.session.fit``).
    method : {"auto", "spreading", "classifier"}

    Raises
    ------
    ValueError
        Before a fit, with fewer than two classes with examples, or when the
        embedding shown is not the fit's (placed objects).
    """
    if fit is None or selection.points is None:
        raise ValueError("run an embedding first")
    result = predict_objects(
        fit, selection.linker.keys, selection.classes, method=method
    )
    write_columns(selection, result.columns())
    return result


def select_least_confident(selection, result: ObjectPrediction, n: int = 20):
    """Select the ``n`` least confident objects not yet named; return their keys."""
    if result is None:
        raise ValueError("predict classes first")
    keys = result.least_confident(n)
    selection.select(keys)
    return keys


def counts(selection, by: str | None = None) -> pd.DataFrame:
    """Return the ``by`` × source table of the embedding layer's objects.

    ``by`` defaults to :data:`~napari_cne.app.predict.PREDICTED` once
    predicted, else the class column. One Labels layer is one source,
    named after it.
    """
    pts = selection.points
    if pts is None:
        raise ValueError("run an embedding first")
    df = pts.features
    if by is None:
        by = PREDICTED if PREDICTED in df.columns else selection.class_column
    if SOURCE_COLUMN not in df.columns:
        df = df.assign(**{SOURCE_COLUMN: selection.source_name or "all"})
    return counts_of(df, by)
