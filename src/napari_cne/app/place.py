"""Place new objects or table rows in a fitted map, without refitting.

Fit once, then place: the objects of another field of view (measured in its
images, under the fit's channel names) or the rows of a table with the
fit's columns are scaled with the fit's
:class:`~napari_cne.features.FeatureScaling` and placed with
:meth:`napari_cne.ContrastiveEmbedding.transform`. The method is the
engine's one rule (:meth:`~napari_cne.ContrastiveEmbedding.resolve_transform_method`:
``auto`` is the network of a parametric fit, else ``optimize``, each new
point optimised against the fixed layout with the fitted loss and ``s``),
so the widget's "Place layer in map" and ``napari-cne transform`` give the
same coordinates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..features import is_numeric
from .events import Note, Progress, Request
from .inputs import ObjectsInput, TableInput
from .models import FittedMap
from .scheduler import Scheduler

__all__ = [
    "PLACE_EPOCHS",
    "PLACE_METHODS",
    "PlaceRequest",
    "Placed",
    "placed_rows",
]

#: the ways of placing (``auto``: the engine's rule)
PLACE_METHODS = ("auto", "network", "optimize", "interpolate")
#: epochs of ``method="optimize"`` (each new point against the fixed layout)
PLACE_EPOCHS = 100


def _names(values, limit: int = 12) -> str:
    values = [repr(str(v)) for v in values]
    more = f", ... (+{len(values) - limit} more)" if len(values) > limit else ""
    return ", ".join(values[:limit]) + more


def placed_rows(
    table: pd.DataFrame, fitted: FittedMap, name: str
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Return the map's matrix of a new table, which rows are in it, and a note.

    Rows with a missing or infinite value in a column of the map are left
    out (``kept``; the note says how many).

    Raises
    ------
    ValueError
        For no rows, columns of the map the table lacks or that are not
        numeric, or no complete row.
    """
    if not len(table):
        raise ValueError(f"{name!r} has no objects to place")
    cols = list(fitted.scaling.columns)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(
            f"{name!r} lacks the column(s) {_names(missing)} the map was fitted "
            f"on; it has {_names(table.columns)}"
        )
    bad = [c for c in cols if not is_numeric(table[c])]
    if bad:
        raise ValueError(f"column(s) {_names(bad)} of {name!r} are not numeric")
    A = table[cols].to_numpy(dtype=np.float64, na_value=np.nan)
    kept = np.isfinite(A).all(axis=1)
    if not kept.any():
        raise ValueError(
            f"no row of {name!r} has a finite value in every column of the map"
        )
    note = None
    if not kept.all():
        note = (
            f"{int((~kept).sum())} of {len(A)} rows have missing or infinite "
            "values and are not placed"
        )
    return fitted.scaling.transform_values(A[kept]), kept, note


@dataclass(eq=False)
class Placed:
    """New objects placed in a map.

    Attributes
    ----------
    input : ObjectsInput or TableInput
    table : pandas.DataFrame
        Their measured (or given) rows, also those left out.
    kept : bool array over the rows
    Y : ndarray (n_kept, n_components)
        Their coordinates in the map.
    method : str
        How they were placed (resolved).
    origin : object
        The front end's record of the input (never read here).
    """

    input: Any
    table: pd.DataFrame
    kept: np.ndarray
    Y: np.ndarray
    method: str
    origin: Any = None
    elapsed: float = 0.0


@dataclass(eq=False)
class PlaceRequest(Request):
    """Place the objects (or rows) of an input in a fitted map.

    Parameters
    ----------
    fitted : FittedMap
    input : ObjectsInput or TableInput
    method : {"auto", "network", "optimize", "interpolate"}
    n_epochs : int
        Epochs of ``optimize``.
    scheduler : str
        Measures several sources on a dask cluster.
    origin : object
        Handed on to the result.
    """

    fitted: FittedMap
    input: ObjectsInput | TableInput
    method: str = "auto"
    n_epochs: int = PLACE_EPOCHS
    scheduler: str = ""
    origin: Any = None
    kind = "place"

    def _check(self) -> None:
        if self.method not in PLACE_METHODS:
            raise ValueError(
                f"method must be one of {', '.join(PLACE_METHODS)}; got {self.method!r}"
            )
        try:
            self.resolved_method = self.fitted.model.resolve_transform_method(
                self.method
            )
        except ValueError as err:
            if self.method == "network":
                raise ValueError(
                    "method 'network' needs a parametric fit (Advanced → "
                    "Parametric, --parametric)"
                ) from None
            raise ValueError(str(err)) from None
        if isinstance(self.input, TableInput):  # the columns, before any work
            placed_rows(self.input.table, self.fitted, self.input.name)

    def _run(self) -> Iterator:
        import time

        t0 = time.perf_counter()
        name = self.input.name
        what = "objects" if self.input.kind == "objects" else "rows"
        yield Progress("measure", text=f"Measuring the {what} of {name!r}…")
        with Scheduler(self.scheduler) as scheduler:
            table = self.input.measure(scheduler.get())
        X, kept, note = placed_rows(table, self.fitted, name)
        if note:
            yield Note(note)
        method = self.resolved_method
        text = f"Placing {int(kept.sum())} {what} in the map ({method})…"
        yield Progress("place", text=text)
        if self.stopped:
            yield self._end(None)
            return
        Y = self.fitted.model.transform(X, n_epochs=self.n_epochs, method=method)
        placed = Placed(self.input, table, kept, np.asarray(Y, np.float64), method)
        placed.origin, placed.elapsed = self.origin, time.perf_counter() - t0
        yield self._end(placed)
