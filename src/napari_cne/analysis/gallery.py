"""Which objects of a group a gallery shows: the typical ones and a random few.

A gallery of a group (a selection, a class, a cluster) cannot show 5 000
cells, and the first 48 in table order say nothing. :func:`pick_tiles`
shows two kinds side by side:

* ``"central"``: the members nearest the group's centre in the layout (the
  coordinate-wise median of their positions), nearest first: what the
  group looks like at its heart;
* ``"random"``: a seeded random sample of the other members: what else is
  in it (a group with a stray tail, or a mixture, shows it here).

Half of the tiles are of each kind (``central=0.5``, rounded up for the
central ones); a group of at most ``n`` members is shown whole, split the
same way. The pick depends only on the layout, the set of members and the
seed (not on their order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CENTRAL", "RANDOM", "pick_tiles"]

#: the two kinds of tile
CENTRAL, RANDOM = "central", "random"


def _member_rows(members, n_rows: int) -> np.ndarray:
    """Return the members as sorted unique row numbers (from rows or a mask)."""
    members = np.asarray(members)
    if members.dtype == bool:
        if members.shape != (n_rows,):
            raise ValueError(
                f"a member mask needs one value per layout row ({n_rows}), "
                f"got shape {members.shape}"
            )
        return np.flatnonzero(members)
    if members.size and not np.issubdtype(members.dtype, np.integer):
        raise ValueError("members must be row numbers (integers) or a boolean mask")
    rows = np.unique(members.astype(np.int64))
    if rows.size and (rows[0] < 0 or rows[-1] >= n_rows):
        raise ValueError(f"member rows must lie in 0 ... {n_rows - 1}")
    return rows


def pick_tiles(
    layout,
    members,
    n: int = 48,
    *,
    central: float = 0.5,
    random_state=0,
) -> pd.DataFrame:
    """Choose up to ``n`` members of a group for a gallery.

    Parameters
    ----------
    layout : array-like, shape (n_objects, n_dims)
        Every object's position in the embedding.
    members : array-like of int, or of bool with shape (n_objects,)
        The group: row numbers of ``layout``, or a mask over its rows.
        Members without a finite position are left out.
    n : int
        Tiles at most.
    central : float in [0, 1]
        The share of the tiles that are the members nearest the centre
        (rounded up); the rest are a random sample of the other members.
    random_state : int, numpy Generator or None
        Seed of the random sample.

    Returns
    -------
    pandas.DataFrame
        One row per tile, central ones first (nearest first), then the
        random ones: ``row`` (of ``layout``), ``kind`` (``"central"`` or
        ``"random"``) and ``distance`` (to the group's centre, in layout
        units).

    Raises
    ------
    ValueError
        For ``n < 1``, ``central`` outside [0, 1], a layout that is not a
        table of numbers, bad member rows, or a group without a member that
        has a position.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")
    if not 0.0 <= float(central) <= 1.0:
        raise ValueError(f"central must lie in [0, 1], got {central!r}")
    Y = np.asarray(layout, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] < 1:
        raise ValueError(f"layout must be (n_objects, n_dims), got shape {Y.shape}")
    rows = _member_rows(members, len(Y))
    rows = rows[np.isfinite(Y[rows]).all(axis=1)]
    if not rows.size:
        raise ValueError("the group has no members with a position in the layout")
    centre = np.median(Y[rows], axis=0)
    distance = np.linalg.norm(Y[rows] - centre, axis=1)
    shown = min(int(n), rows.size)
    n_central = int(np.ceil(shown * float(central)))
    order = np.argsort(distance, kind="stable")
    near = order[:n_central]
    rest = order[n_central:]
    rng = np.random.default_rng(random_state)
    rest = np.sort(rest)  # the sample depends on the set, not on the order
    sample = rng.choice(rest, size=shown - n_central, replace=False)
    picked = np.concatenate([near, sample]).astype(np.int64)
    kinds = [CENTRAL] * len(near) + [RANDOM] * len(sample)
    return pd.DataFrame(
        {"row": rows[picked], "kind": kinds, "distance": distance[picked]}
    )
