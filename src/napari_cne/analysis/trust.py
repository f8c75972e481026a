"""Trust per object: how well the map keeps each object's neighbours.

The global readout of the quality panel (neighbour preservation @15,
:func:`napari_cne.engine.metrics.quality_report`) is the mean of one number
per object: the share of its ``k`` nearest neighbours in the features that
are also among its ``k`` nearest neighbours in the layout. This module
gives that number for every object, as the column :data:`TRUST_COLUMN`, so
the user can colour the map by it and see which parts of it to believe.
The numbers come from the engine's own :func:`~napari_cne.engine.metrics.
preservation_per_point`: one definition, one search.
"""

from __future__ import annotations

import numpy as np

from ..engine.metrics import checked_pair, preservation_per_point
from ..engine.neighbors import resolve_metric

__all__ = ["DEFAULT_K", "TRUST_COLUMN", "object_trust"]

#: the column the values go to (embedding layer and source layer)
TRUST_COLUMN = "cne_trust"
#: neighbours compared per object: the same k as the global readout
DEFAULT_K = 15


def object_trust(
    X,
    Y,
    k: int = DEFAULT_K,
    *,
    metric: str = "euclidean",
    method: str = "auto",
    random_state: int | None = 0,
) -> np.ndarray:
    """Return each object's local neighbour preservation (its trust).

    Parameters
    ----------
    X : array-like, shape (n, d)
        The features as embedded (after column choice and scaling: the
        fit's matrix).
    Y : array-like, shape (n, d_emb)
        The layout, same row order.
    k : int, default 15
        Neighbours compared; reduced to ``n - 1`` for tiny data.
    metric : str, default "euclidean"
        Distance in ``X``: the one the map was fitted with.
    method : str, default "auto"
        Neighbour search in ``X`` (:func:`napari_cne.engine.neighbors.knn`):
        ``"auto"`` is exact up to some ten thousand rows and faiss's IVF
        index (recall about 0.995) above; ``"exact"`` always exact. The
        layout is always searched exactly (a KD-tree).
    random_state : int or None, default 0
        Seed of an approximate search (same seed, same values).

    Returns
    -------
    ndarray of float64, shape (n,)
        ``0, 1/k, ..., 1``: 1 where the object's feature-space neighbours
        are exactly its neighbours in the map; a layout unrelated to the
        features gives about ``k / (n - 1)``. Their mean is the global
        neighbour preservation (with an exact search).

    Raises
    ------
    ValueError
        For mismatched rows, fewer than 3 objects, non-finite values,
        ``k < 1`` or an unknown metric.
    """
    X, Y, k = checked_pair(X, Y, k, np.float64, "each object's trust")
    return preservation_per_point(
        X,
        Y,
        k,
        metric=resolve_metric(metric),
        method=method,
        random_state=random_state,
    )
