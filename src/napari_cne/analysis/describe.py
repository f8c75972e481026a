"""What makes a group different: the features that tell it from the rest.

For every numeric feature, :func:`describe` compares the objects inside a
group (a boolean mask over the rows) with those outside it, or with a
second group, by

* the **AUROC**: the probability that an object of the group has a higher
  value than one outside it (ties count half), ``U / (n_in * n_out)`` with
  ``U`` the Mann-Whitney statistic of the group (scipy's
  ``mannwhitneyu``). 0.5: no difference; 1 (or 0): every object of the
  group above (below) every other one;
* **Hedges' g**: the difference of the means over the pooled standard
  deviation, times the small-sample correction ``1 - 3 / (4 (n_in +
  n_out) - 9)`` (Cohen's d with that correction);
* the mean inside and outside, and how many objects have a value.

Features are ranked by ``|AUROC - 0.5|``, ties by ``|g|``. The AUROC leads
because it depends only on the order of the values: it is the same for a
feature and its logarithm, a few outliers cannot make it large, and it is
on the same 0..1 scale for every feature. Hedges' g says how far apart the
groups are once they are separated (several features may separate the
groups completely, AUROC 1; the one with the widest gap comes first).

:func:`distribution` gives the histogram of one feature inside and outside
the group, on shared bins, for a plot. numpy / pandas / scipy only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from ..features import default_columns

__all__ = [
    "COLUMNS",
    "RESULT_COLUMNS",
    "Distribution",
    "describe",
    "describe_features",
    "distribution",
]

#: the columns of a :func:`describe` table, in order
COLUMNS = ("feature", "auroc", "effect", "mean_in", "mean_out", "n_in", "n_out")
#: columns napari-cne writes (coordinates, cne_trust, cne_cluster, ...):
#: results, never features
RESULT_COLUMNS = re.compile(r"^cne\d*_")


def describe_features(table: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Return the columns :func:`describe` compares: the project's feature rule.

    :func:`napari_cne.features.default_columns` (numeric, not ids,
    positions or other plugins' results), less every column napari-cne
    wrote (``cne_0``, ``cne_trust``, ``cne_cluster``, ...) and ``exclude``.
    """
    return [
        c for c in default_columns(table, exclude) if not RESULT_COLUMNS.match(str(c))
    ]


def _mask(n: int, values, what: str) -> np.ndarray:
    """Check one group's boolean mask over ``n`` rows (``what`` names it)."""
    a = np.asarray(values)
    if a.dtype != bool or a.shape != (n,):
        raise ValueError(
            f"{what} must be a boolean mask over the {n} rows; "
            f"got {a.dtype} of shape {a.shape}"
        )
    if not a.any():
        raise ValueError(f"{what} is empty: no object is in it")
    return a


def _masks(n: int, inside, outside) -> tuple[np.ndarray, np.ndarray]:
    """Check the group masks; the outside defaults to every other row."""
    a = _mask(n, inside, "the group")
    if outside is None:
        if a.all():
            raise ValueError(
                "the group holds every object: there is nothing to compare it with"
            )
        return a, ~a
    b = _mask(n, outside, "the group to compare with")
    both = int((a & b).sum())
    if both:
        raise ValueError(f"the two groups share {both} objects; they must not overlap")
    return a, b


def _compare(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """AUROC and Hedges' g of ``x`` (the group) against ``y``; NaN if undefined."""
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        return np.nan, np.nan
    auroc = float(mannwhitneyu(x, y, method="asymptotic").statistic) / (n1 * n2)
    if n1 + n2 < 3:
        return auroc, np.nan
    diff = x.mean() - y.mean()
    ss = ((x - x.mean()) ** 2).sum() + ((y - y.mean()) ** 2).sum()
    sd = np.sqrt(ss / (n1 + n2 - 2))
    if sd == 0:  # both groups constant: equal (0) or apart without spread
        return auroc, 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
    correction = 1 - 3 / (4 * (n1 + n2) - 9)
    return auroc, float(diff / sd * correction)


def describe(
    table: pd.DataFrame,
    inside,
    outside=None,
    *,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> pd.DataFrame:
    """Rank the features that distinguish a group from the rest (or from another).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per object.
    inside : array of bool, shape (n,)
        The group.
    outside : array of bool, shape (n,), optional
        The group to compare with (default: every object not in ``inside``);
        it must not share objects with ``inside``.
    columns : sequence of str, optional
        The features to compare (default :func:`describe_features`).
    exclude : sequence of str
        Columns never compared (e.g. the column that defines the groups).

    Returns
    -------
    pandas.DataFrame
        One row per feature, most distinguishing first (``|auroc - 0.5|``,
        ties by ``|effect|``), columns :data:`COLUMNS`: ``auroc`` (AUROC of
        the group against the other objects), ``effect`` (Hedges' g,
        positive where the group's values are higher; ``±inf`` where both
        groups are constant at different values, NaN where undefined),
        ``mean_in``, ``mean_out``, ``n_in``, ``n_out`` (objects with a
        value). Missing values are left out per feature; a feature without
        values in a group gets NaN, a constant one AUROC 0.5 and effect 0.

    Raises
    ------
    ValueError
        For an empty group, a group holding every object, masks of the
        wrong length or type, overlapping groups, unknown columns or no
        numeric feature.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"describe needs a table (DataFrame); got {type(table)}")
    a, b = _masks(len(table), inside, outside)
    cols = describe_features(table, exclude) if columns is None else list(columns)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r} in the table")
    if not cols:
        raise ValueError("the table has no numeric feature columns to compare")
    rows = []
    with np.errstate(all="ignore"):
        for c in cols:
            v = pd.to_numeric(table[c], errors="coerce").to_numpy(
                float, na_value=np.nan
            )
            x, y = v[a], v[b]
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            auroc, effect = _compare(x, y)
            mean_in = x.mean() if x.size else np.nan
            mean_out = y.mean() if y.size else np.nan
            rows.append((str(c), auroc, effect, mean_in, mean_out, x.size, y.size))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    key1 = (out["auroc"] - 0.5).abs().fillna(-1.0)
    key2 = out["effect"].abs().fillna(-1.0)
    order = np.lexsort((np.arange(len(out)), -key2.to_numpy(), -key1.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


@dataclass(frozen=True)
class Distribution:
    """One feature's histogram inside and outside a group, on shared bins.

    Attributes
    ----------
    feature : str
    edges : ndarray, shape (bins + 1,)
    counts_in, counts_out : ndarray of int, shape (bins,)
    fraction_in, fraction_out : ndarray of float, shape (bins,)
        The counts over the group's number of values (each sums to 1), so
        a small group and a large one compare.
    """

    feature: str
    edges: np.ndarray
    counts_in: np.ndarray
    counts_out: np.ndarray
    fraction_in: np.ndarray
    fraction_out: np.ndarray


def distribution(
    table: pd.DataFrame, feature: str, inside, outside=None, *, bins: int = 30
) -> Distribution:
    """Return the histogram of ``feature`` inside vs outside the group.

    Parameters
    ----------
    table : pandas.DataFrame
    feature : str
        A numeric column.
    inside, outside : array of bool, shape (n,)
        As in :func:`describe` (``outside`` defaults to the other objects).
    bins : int, default 30
        Number of bins, over the range of both groups' values.

    Raises
    ------
    ValueError
        For an unknown or non-numeric column, one without finite values in
        the groups, or bad masks.
    """
    if feature not in table.columns:
        raise ValueError(f"no column {feature!r} in the table")
    a, b = _masks(len(table), inside, outside)
    col = table[feature]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise ValueError(f"column {feature!r} is not numeric")
    if isinstance(bins, bool) or int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    v = col.to_numpy(float, na_value=np.nan)
    x, y = v[a], v[b]
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size + y.size == 0:
        raise ValueError(f"column {feature!r} has no values in these groups")
    edges = np.histogram_bin_edges(np.concatenate([x, y]), bins=int(bins))
    cin = np.histogram(x, edges)[0]
    cout = np.histogram(y, edges)[0]
    return Distribution(
        str(feature),
        edges,
        cin,
        cout,
        cin / max(x.size, 1),
        cout / max(y.size, 1),
    )
