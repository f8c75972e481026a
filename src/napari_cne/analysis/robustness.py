"""Whether a group stands apart in the layout, and at which spectrum positions.

The score of a group (a cluster or a class) in one layout is the **share
of the way to the other groups that crosses a gap**: 1 is an island, 0 a
piece of a continuum. It is the mean, over the group's members, of the
share of paths from the member to its ``m`` nearest objects of other groups
(``m`` = the group's size) along which the density falls below half its
value at the lower end: a stretch of empty layout in between.

How it is measured (:func:`separation`):

1. *Territories.* Every object takes the majority group of its 15 nearest
   layout neighbours (itself included; ties keep its own). Strays, a few
   objects of one group lying inside another's island, join the island
   they lie in, so a stray neither breaks an island nor links it; a member
   lying in another group's territory counts as not separate.
2. *Paths.* From each judged member, straight paths to 16 of its ``m``
   nearest objects of other territories (evenly spread by rank, from the
   nearest to the ``m``-th). Taking ``m`` of them, not the nearest alone,
   weighs a small patch of another group stuck to an island by its size.
3. *A gap on the way.* The local density (from the distance to the 15th
   nearest object, ``density ~ r^-d``) at 7 points along the path; a gap
   where it falls below half the lower of the two ends'.

Why this score, and not the two the issue names. The share of the 15
nearest layout neighbours in the same group grows towards 1 with n for
*any* cut: half of one uniform blob has a boundary that shrinks relative
to its area, so at 20 000 objects a cut through a blob looks as pure as an
island. A silhouette, even a local one (distances to the ``m`` nearest
non-members), compares distances, not densities: it calls the halves of an
elongated blob separate (a 4:1 blob cut across scores 0.52 to 0.58, above
Kaufman & Rousseeuw's 0.5) and two long islands lying side by side merged
(0.06 to 0.25). A gap is what "separate" means. For a density that is one
bump along every straight path (a uniform blob, a Gaussian, any
log-concave density) the density on a path never falls below its ends, so
a cut of one blob, of any place, shape or size and at any n, crosses no
gap but by sampling noise (scores of 0.00 to 0.03 measured), while islands
score near 1. A group is *separate* at a position when its score is at
least :data:`SEPARATE` (0.5: most of the way to the others crosses a gap).
The limit: a gap must be wider than the density's resolution, about
``sqrt(k / m)`` of the group's radius with ``m`` members judged (``k``: 15,
or a third of a small group's members, at least 4, so that the density of
a group of 19 is not read across its whole width), so at small n only wide
gaps count; and paths are straight, so the arms of a
continuum bent into a U count as separate from each other across its
mouth.

Cost: every group is judged on a seeded subsample with ``max_members`` to
``2 * max_members`` of its members and every other object at the same rate
(a power of two, shared between groups), so densities compare like with
like and the cost stays small at 10^5 to 10^6 objects; 200 of those
members are judged. The same seed draws the same objects at every ``s``.

:func:`robustness_table` scores every group at every position of a sweep
and turns each row into a verdict a biologist reads (:func:`verdict`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = [
    "GAP_DENSITY",
    "MAX_MEMBERS",
    "MIN_MEMBERS",
    "NEIGHBOURS",
    "SEPARATE",
    "UNASSIGNED",
    "group_codes",
    "robustness_table",
    "separation",
    "verdict",
]

#: layout neighbours for territories and densities
NEIGHBOURS = 15
#: the fewest neighbours a small group's densities are read from
MIN_NEIGHBOURS = 4
#: a gap: the density on the path below this share of the lower end's
GAP_DENSITY = 0.5
#: a group is separate when at least this share of its members is
SEPARATE = 0.5
#: members judged per group (the subsample keeps 1 to 2 times as many)
MAX_MEMBERS = 1000
#: groups with fewer members get no score
MIN_MEMBERS = 10
#: what the verdicts call objects in no group
UNASSIGNED = "unassigned objects"
#: members judged per group, and paths from each to other groups' objects
JUDGED = 200
PATHS = 16
#: points along each path (the ends excluded)
_PATH = np.arange(1, 8) / 8.0


def group_codes(groups) -> tuple[np.ndarray, list]:
    """Return integer codes (-1: in no group) and the group of each code.

    Missing values (NaN, None) and the number -1 are in no group; the
    groups are sorted (numbers as numbers, else as text).
    """
    s = pd.Series(np.asarray(groups, dtype=object))
    numeric = pd.to_numeric(s, errors="coerce")
    missing = s.isna().to_numpy() | (numeric == -1).to_numpy()
    values = s[~missing]
    try:
        names = sorted(set(values))
    except TypeError:
        names = sorted(set(values), key=str)
    index = {v: i for i, v in enumerate(names)}
    codes = np.full(len(s), -1, dtype=np.int64)
    codes[~missing] = [index[v] for v in values]
    return codes, names


class _Level:
    """The objects drawn at one rate, their tree, densities and territories."""

    def __init__(self, Y: np.ndarray, codes: np.ndarray, keep: np.ndarray, k: int):
        self.index = np.flatnonzero(keep)
        self.Y = Y[self.index]
        self.codes = codes[self.index]
        self.tree = cKDTree(self.Y)
        self.k = min(k, len(self.Y) - 1)
        dist, ind = self.tree.query(self.Y, k=self.k + 1)
        dist, ind = dist.reshape(len(self.Y), -1), ind.reshape(len(self.Y), -1)
        self.radius = dist[:, -1]  # the k-th neighbour, the object itself left out
        self.territory = _majority(self.codes[ind], self.codes)

    def radius_at(self, points: np.ndarray) -> np.ndarray:
        """Distance from each point to its k-th nearest object of the level."""
        dist, _ = self.tree.query(points, k=self.k)
        return dist.reshape(len(points), -1)[:, -1]


def _neighbours_for(members: float, neighbours: int) -> int:
    """Neighbours for a group of ``members`` objects (in its level).

    A density read from the 15th neighbour of a member of a group of 19
    reaches across the whole group, and past a gap beside it: small groups
    look at fewer neighbours (a third of the group, at least
    :data:`MIN_NEIGHBOURS`).
    """
    return int(min(neighbours, max(MIN_NEIGHBOURS, members // 3)))


def _majority(neighbours: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Return the most frequent code of each row (ties keep ``own``)."""
    counts = np.stack(
        [
            (neighbours == neighbours[:, [c]]).sum(axis=1)
            for c in range(neighbours.shape[1])
        ],
        axis=1,
    )
    best = neighbours[np.arange(len(neighbours)), counts.argmax(axis=1)]
    own_count = (neighbours == own[:, None]).sum(axis=1)
    return np.where(own_count >= counts.max(axis=1), own, best)


def _gaps(level: _Level, rows: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Whether the straight path from each row to its ``other`` crosses a gap."""
    a, b = level.Y[rows], level.Y[other]
    path = a[:, None, :] + _PATH[None, :, None] * (b - a)[:, None, :]
    r_path = level.radius_at(path.reshape(-1, a.shape[1])).reshape(len(rows), -1)
    r_ends = np.maximum(level.radius[rows], level.radius[other])
    factor = GAP_DENSITY ** (-1.0 / a.shape[1])  # density ~ r^-d
    return r_path.max(axis=1) > factor * np.maximum(r_ends, 1e-12)


def _judge(level: _Level, code: int, rng) -> tuple[float, int]:
    """Mean share of gapped paths of the group's members; the code met most."""
    rows = np.flatnonzero(level.codes == code)
    others = np.flatnonzero(level.territory != code)
    if len(others) == 0:
        return float("nan"), -2  # no other territory at all
    if len(rows) > JUDGED:
        rows = np.sort(rng.choice(rows, JUDGED, replace=False))
    inside = level.territory[rows] == code
    met = list(level.territory[rows[~inside]])  # strays: the group they sit in
    home = rows[inside]
    if len(home) == 0:
        return 0.0, int(pd.Series(met).mode().iloc[0])
    m = min(int((level.codes == code).sum()), len(others))
    ranks = np.unique(np.round(np.linspace(0, m - 1, PATHS)).astype(np.int64))
    _, ind = cKDTree(level.Y[others]).query(level.Y[home], k=m)
    targets = others[ind.reshape(len(home), -1)[:, ranks]]
    gap = _gaps(level, np.repeat(home, len(ranks)), targets.ravel())
    gap = gap.reshape(len(home), len(ranks))
    met += list(level.territory[targets[~gap]])
    if not met:  # an island: name its nearest neighbour
        met = list(level.territory[targets[:, 0]])
    partner = int(pd.Series(met).mode().iloc[0])
    return float(gap.mean(axis=1).sum() / len(rows)), partner


def separation(
    layout,
    groups,
    *,
    max_members: int = MAX_MEMBERS,
    neighbours: int = NEIGHBOURS,
    random_state=0,
) -> pd.DataFrame:
    """Score how separate every group is in one layout.

    Parameters
    ----------
    layout : array, shape (n, 2) or (n, 3)
    groups : array-like, shape (n,)
        The group of each object (cluster numbers, class names); NaN, None
        or -1: in no group.
    max_members : int
        Members judged per group (on a seeded subsample).
    neighbours : int
        Layout neighbours for territories and densities.
    random_state : int
        Seed of the subsample (the same objects at every layout).

    Returns
    -------
    pandas.DataFrame
        Index: the groups. Columns ``score`` (the share of members cut off
        by a gap, NaN with fewer than :data:`MIN_MEMBERS` members or no
        other objects), ``merges with`` (the group its members meet most,
        :data:`UNASSIGNED` for objects in no group, "" for none) and
        ``members``.
    """
    Y = np.asarray(layout, dtype=np.float64)
    codes, names = group_codes(groups)
    if Y.ndim != 2 or len(Y) != len(codes):
        raise ValueError(
            f"the layout has shape {Y.shape}; expected ({len(codes)}, 2) or "
            f"({len(codes)}, 3), one row per group label"
        )
    if not np.isfinite(Y).all():
        raise ValueError("the layout holds NaN or infinite values")
    if int(max_members) < MIN_MEMBERS or int(neighbours) < 1:
        raise ValueError(f"max_members must be >= {MIN_MEMBERS}, neighbours >= 1")
    rng = np.random.default_rng(random_state)
    u = rng.random(len(Y))
    sizes = np.bincount(codes[codes >= 0], minlength=len(names))
    levels: dict[tuple, _Level] = {}
    rows = []
    for code, name in enumerate(names):
        score, partner = float("nan"), -2
        if sizes[code] >= MIN_MEMBERS and sizes[code] < len(Y):
            j = max(0, int(np.floor(np.log2(sizes[code] / int(max_members)))))
            k = _neighbours_for(sizes[code] * 2.0**-j, int(neighbours))
            if (j, k) not in levels:
                levels[j, k] = _Level(Y, codes, u < 2.0**-j, k)
            score, partner = _judge(levels[j, k], code, rng)
        other = {-2: "", -1: UNASSIGNED}.get(partner)
        rows.append(
            (name, score, names[partner] if other is None else other, sizes[code])
        )
    table = pd.DataFrame(rows, columns=["group", "score", "merges with", "members"])
    return table.set_index("group")


def verdict(scores: Mapping[float, float], partner: str = "") -> str:
    """Say in words where along the spectrum a group is separate.

    Parameters
    ----------
    scores : mapping of float to float
        Spectrum position -> score (NaN: not judged).
    partner : str
        The group its members meet where it is not separate.

    Returns
    -------
    str
        "separate at every s", "separate only towards UMAP (s ≥ …), merges
        with X towards t-SNE", "separate only towards t-SNE (s ≤ …), merges
        with X towards UMAP", "separate at s = … only (mixes with X
        elsewhere)", "not separate at any s (mixes with X)", or "too few
        objects to judge".
    """
    items = sorted((float(s), float(v)) for s, v in scores.items() if np.isfinite(v))
    if not items:
        return "too few objects to judge"
    s = [k for k, _ in items]
    sep = [v >= SEPARATE for _, v in items]
    x = str(partner) if str(partner) != "" else "its neighbours"
    if all(sep):
        return "separate at every s"
    if not any(sep):
        return f"not separate at any s (mixes with {x})"
    first, last = sep.index(True), len(sep) - 1 - sep[::-1].index(True)
    if all(sep[first:]):
        return (
            f"separate only towards UMAP (s ≥ {s[first]:g}), "
            f"merges with {x} towards t-SNE"
        )
    if all(sep[: last + 1]):
        return (
            f"separate only towards t-SNE (s ≤ {s[last]:g}), "
            f"merges with {x} towards UMAP"
        )
    where = ", ".join(f"{v:g}" for v, ok in zip(s, sep) if ok)
    return f"separate at s = {where} only (mixes with {x} elsewhere)"


def robustness_table(
    layouts: Mapping[float, np.ndarray],
    groups,
    *,
    max_members: int = MAX_MEMBERS,
    random_state=0,
) -> pd.DataFrame:
    """Score every group at every spectrum position, with a verdict.

    Parameters
    ----------
    layouts : mapping of float to array, shape (n, 2) or (n, 3)
        Spectrum position -> layout of the same objects.
    groups : array-like, shape (n,)
        As for :func:`separation`.
    max_members, random_state
        As for :func:`separation` (the same subsample at every ``s``).

    Returns
    -------
    pandas.DataFrame
        Index: the groups (named ``group``); a column per ``s`` (sorted)
        with the score; ``verdict``; ``merges with`` (the group its members
        meet without a gap where it is least separate; "" for a group
        separate at every s); ``members``.
    """
    if not layouts:
        raise ValueError("no layouts: give at least one spectrum position")
    per_s = {
        float(s): separation(
            Y, groups, max_members=max_members, random_state=random_state
        )
        for s, Y in sorted(layouts.items(), key=lambda kv: float(kv[0]))
    }
    first = next(iter(per_s.values()))
    table = pd.DataFrame({s: t["score"] for s, t in per_s.items()}, index=first.index)
    scores = table.fillna(np.inf)
    least = scores.idxmin(axis=1)  # the position where each group is least separate
    partners = [per_s[least[g]].loc[g, "merges with"] for g in table.index]
    table["verdict"] = [
        verdict(table.loc[g, list(per_s)].to_dict(), p)
        for g, p in zip(table.index, partners)
    ]
    table["merges with"] = [
        "" if v == "separate at every s" else p
        for v, p in zip(table["verdict"], partners)
    ]
    table["members"] = first["members"]
    return table
