"""The findings about a group, as methods of the selection panel.

``widget.selection.gallery()``, ``.describe()``, ``.predict()``,
``.select_least_confident()`` and ``.counts()`` (docs/scripting.md): a group
is the selection, a named class, or the objects with one value of a
column (``("cne_cluster", 3)``). The work is done by the application layer
(:mod:`napari_cne.app`); the panels that show it are set by the widget
(:class:`~.panels.findings.FindingsPanel`). GUI thread only.
"""

from __future__ import annotations

import numpy as np
from napari.utils.notifications import show_info

from ..app.counts import counts_of
from ..app.predict import PREDICTED
from ..features.sources import SOURCE_COLUMN

__all__ = ["SelectionFindings"]


class SelectionFindings:
    """Mixed into :class:`~.panels.selection.SelectionPanel`.

    Attributes
    ----------
    findings : FindingsPanel or None
        Shows the results (set by the widget).
    gallery_view : GalleryView or None
        The gallery dock (set by the widget).
    """

    findings = None
    gallery_view = None

    def group_keys(self, group=None) -> tuple[np.ndarray, str]:
        """Return the keys of a group and what to call it.

        Parameters
        ----------
        group : None, str or (str, value)
            None: the selection; a class name; or a column of the embedding
            layer and one of its values (``("cne_cluster", 3)``).

        Raises
        ------
        ValueError
            For an unknown class or column.
        """
        if group is None:
            return np.asarray(self.selected, np.int64), "selection"
        if isinstance(group, tuple):
            column, value = group
            df = self.points.features if self.points is not None else None
            if df is None or column not in df.columns:
                raise ValueError(f"the embedding layer has no column {column!r}")
            values = df[column].to_numpy()
            inside = np.asarray(values == value, bool)
            if not inside.any():
                inside = np.asarray(values.astype(str) == str(value), bool)
            return self.linker.keys[inside], f"{column} {value}"
        if group not in self.classes:
            raise ValueError(f"no class named {group!r}")
        return self.classes.keys_of(group), f"class {group}"

    def gallery(self, n: int = 48, group=None, *, random_state: int = 0, **options):
        """Show up to ``n`` objects of a group in the gallery dock.

        Half are the members nearest the group's centre in the layout, half
        a seeded random sample of the rest
        (:func:`napari_cne.app.gallery.group_gallery`).
        ``group``: see :meth:`group_keys` (default: the selection).

        Returns
        -------
        napari_cne.app.gallery.Gallery or None
        """
        if self.gallery_view is None:
            return None
        try:
            keys, what = self.group_keys(group)
        except ValueError as err:
            show_info(str(err))
            return None
        return self.gallery_view.show(
            keys, n, random_state=random_state, title=what, **options
        )

    def rows_of_group(self, group=None) -> np.ndarray:
        """Return a mask over the embedding layer's rows: the group's objects."""
        keys, _ = self.group_keys(group)
        return np.isin(self.linker.keys, keys)

    def describe(self, against=None, group=None):
        """Rank the features that tell a group from the rest (or from ``against``).

        ``group`` and ``against``: see :meth:`group_keys` (default: the
        selection, against every other object). The ranking
        (:func:`napari_cne.app.describe.describe_group`: AUROC, Hedges' g,
        the means inside and outside) is shown in the findings panel and
        returned, most distinguishing feature first.

        Returns
        -------
        pandas.DataFrame or None
            None (and a message) without an embedding or for a bad group.
        """
        if self.points is None or self.findings is None:
            show_info("run an embedding first, then describe a group")
            return None
        try:
            inside = self.rows_of_group(group)
            outside = None if against is None else self.rows_of_group(against)
            _, name = self.group_keys(group)
            panel = self.findings.describe_panel
            return panel.describe(self.points.features, inside, outside, name=name)
        except ValueError as err:
            show_info(str(err))
            return None

    def predict(self, method: str = "auto"):
        """Predict every object's class from the named ones (in a worker).

        ``method``: ``"auto"`` (the better of the two on the named objects,
        held out), ``"spreading"`` (label spreading on the fit's kNN graph)
        or ``"classifier"`` (a logistic regression on the features). The
        result goes into ``cne_predicted`` and ``cne_confidence`` and
        :attr:`last_prediction` (:class:`napari_cne.app.predict.ObjectPrediction`).

        Returns
        -------
        FunctionWorker or None
        """
        return None if self.findings is None else self.findings.predict(method)

    @property
    def last_prediction(self):
        """The last :meth:`predict` result (None before one, or after a new fit)."""
        return None if self.findings is None else self.findings.prediction

    def select_least_confident(self, n: int = 20) -> np.ndarray:
        """Select the ``n`` least confident objects not yet named; return their keys.

        The next objects to name: name them, then :meth:`predict` again.
        """
        result = self.last_prediction
        if result is None:
            show_info("predict classes first")
            return np.zeros(0, np.int64)
        keys = result.least_confident(int(n))
        self.select(keys)
        return keys

    def counts(self, by: str | None = None):
        """Return the class (or cluster) x source table, counts and fractions.

        ``by``: a column of the embedding layer (default: ``cne_predicted``
        once predicted, else the class column). Shown in the findings panel
        (with a bar chart; "Export CSV…").

        Returns
        -------
        pandas.DataFrame or None
        """
        pts = self.points
        if pts is None:
            show_info("run an embedding first")
            return None
        df = pts.features
        if by is None:
            by = PREDICTED if PREDICTED in df.columns else self.class_column
        if SOURCE_COLUMN not in df.columns:  # one Labels layer: one source
            df = df.assign(**{SOURCE_COLUMN: self.source_name or "all"})
        try:
            table = counts_of(df, by)
        except ValueError as err:
            show_info(str(err))
            return None
        if self.findings is not None:
            self.findings.counts_panel.show_counts(table, self.classes.colors)
        return table
