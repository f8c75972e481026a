"""What a workflow embeds or places: objects, table rows or pixels, as data.

The front ends turn what the user chose (napari layers, files on the
command line) into one of three typed inputs; everything after that is the
same code:

* :class:`ObjectsInput`: one or several label images (:class:`LabelsSource`)
  with the images measured in them, one row per object (per frame);
* :class:`TableInput`: the rows of a table (a layer's ``features``, a file);
* :class:`PixelsInput`: the pixels of an image (one row per pixel; the fit
  draws a seeded sample, chunk by chunk from a lazy or multiscale image).

:meth:`measure` gives the input's table; :func:`prepare_matrix` turns it
into the :class:`Matrix` that gets embedded (the chosen columns, rows with
missing values left out, ``log1p``, z-scores). Both run in the worker
(napari's worker thread, or the command line's one process).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..features import (
    FeatureScaling,
    default_columns,
    fit_feature_matrix,
    log_columns,
    object_features,
)
from ..features.pixel_sample import pixel_sample
from ..features.pixels import foreground_mask
from ..features.sources import SOURCE_COLUMN, sources_features
from ..features.tables import POSITION_COLUMNS

__all__ = [
    "FOREGROUND",
    "ID_NAMES",
    "PixelGrid",
    "Input",
    "LabelsSource",
    "Matrix",
    "ObjectsInput",
    "PixelsInput",
    "TableInput",
    "prepare_matrix",
]

#: the columns that name an object rather than describe it
ID_NAMES = ("label", "frame", SOURCE_COLUMN)
#: pixels the fit draws from an image by default
MAX_PIXELS = 20_000
#: the mask of a pixel input made from the image itself (Otsu's threshold)
FOREGROUND = "foreground"


@dataclass(eq=False)
class LabelsSource:
    """One label image and the images measured in it.

    Attributes
    ----------
    name : str
        The layer's (or field's) name: the ``source`` of its rows.
    labels : array-like
        The label image (checked; numpy or lazy).
    images : dict of str to array-like
        Channel name -> one channel's image (multichannel images split).
    layers : list of str
        The names of the layers or files it came from (labels first).
    """

    name: str
    labels: Any
    images: dict = field(default_factory=dict)
    layers: list = field(default_factory=list)


@dataclass(eq=False)
class ObjectsInput:
    """The objects of one or several label images, measured in their images.

    Several sources are measured into one table with a categorical
    ``source`` column (:func:`~napari_cne.features.sources.sources_features`);
    the k-th images of all sources are one channel (``channels``).
    """

    sources: list[LabelsSource]
    spacing: tuple | None = None
    time_axis: int | None = None
    #: channel name -> the image each source measures it in (by name)
    channels: dict = field(default_factory=dict)
    #: measure one source with a ``source`` column too (as several are)
    source_column: bool = False
    #: add every object's centroid and bounding box (never features)
    positions: bool = False
    kind = "objects"
    id_name = "label"

    @property
    def name(self) -> str:
        """The sources' names joined (``"a + b"``)."""
        return " + ".join(s.name for s in self.sources)

    @property
    def layers(self) -> list[str]:
        """Every layer (or file) measured."""
        return [n for s in self.sources for n in (s.layers or [s.name])]

    def measure(self, client=None, seed=None) -> pd.DataFrame:
        """Return one row per object (per frame): ids, then the features."""
        if len(self.sources) == 1 and not (self.source_column or self.positions):
            src = self.sources[0]
            return object_features(
                src.labels, src.images, spacing=self.spacing, time_axis=self.time_axis
            )
        return sources_features(
            [(s.name, s.labels, s.images) for s in self.sources],
            time_axis=self.time_axis,
            spacing=self.spacing,
            client=client,
            positions=self.positions,
        )

    @staticmethod
    def feature_columns(table: pd.DataFrame) -> list[str]:
        """Return every measured feature (an image of no values is an error)."""
        return [
            c
            for c in table.columns
            if c not in ID_NAMES and not POSITION_COLUMNS.match(str(c))
        ]


@dataclass(eq=False)
class TableInput:
    """The rows of a table: a layer's ``features`` or a file.

    ``columns`` None: :func:`~napari_cne.features.default_columns` chooses.
    ``id_name`` is the column that names each row's object (an ``index``
    column of row numbers is made when the table has none).
    """

    table: pd.DataFrame
    name: str
    columns: list | None = None
    layers: list = field(default_factory=list)
    id_name: str = "index"
    kind = "table"

    def __post_init__(self) -> None:
        if self.id_name not in self.table.columns:
            self.table = self.table.reset_index(drop=True).copy()
            self.table.insert(0, self.id_name, np.arange(len(self.table)))

    def measure(self, client=None, seed=None) -> pd.DataFrame:
        """Return the table (nothing to measure)."""
        return self.table

    def feature_columns(self, table: pd.DataFrame) -> list[str]:
        """Return the chosen columns, or the default ones."""
        return default_columns(table) if self.columns is None else list(self.columns)


class PixelGrid:
    """An ``image`` with a ``channel_axis``: its finest level and its pixel grid."""

    image: Any
    channel_axis: int | None

    @property
    def finest(self):
        """The full-resolution image (a pyramid's first level)."""
        if isinstance(self.image, (list, tuple)):
            return self.image[0]
        return self.image

    @property
    def spatial(self) -> tuple[int, ...]:
        """The shape of the pixel grid (the channel axis left out)."""
        shape = list(np.shape(self.finest))
        if self.channel_axis is not None:
            del shape[self.channel_axis % len(shape)]
        return tuple(shape)


@dataclass(eq=False)
class PixelsInput(PixelGrid):
    """The pixels of an image: one row per pixel (voxel) of its channels.

    Attributes
    ----------
    image : array-like or list of array-like
        numpy, dask or Zarr; a pyramid as its levels, finest first.
    channel_axis : int or None
        None: one channel.
    channel_names : list of str
        One name per channel (the table's columns).
    mask : bool array of the spatial shape, or "foreground", optional
        Only pixels inside it (the fit's sample and every pixel placed);
        ``"foreground"``: the pixels brighter than Otsu's threshold of the
        channels' mean (:func:`~napari_cne.features.pixels.foreground_mask`,
        made in the worker by :meth:`resolve_mask`).
    max_pixels : int
        The fit's sample: at most this many pixels, drawn with the run's
        seed.
    """

    image: Any
    channel_axis: int | None
    channel_names: list
    name: str
    mask: Any = None
    max_pixels: int | None = MAX_PIXELS
    layers: list = field(default_factory=list)
    kind = "pixels"
    id_name = "pixel"

    def resolve_mask(self):
        """Return the mask as an array (the foreground made once, here)."""
        if isinstance(self.mask, str) and self.mask == FOREGROUND:
            self.mask = foreground_mask(self.finest, self.channel_axis)
        return self.mask

    def measure(self, client=None, seed=None) -> pd.DataFrame:
        """Return the fit's sample of pixels, drawn with ``seed``."""
        return pixel_sample(
            self.image,
            self.channel_axis,
            channel_names=self.channel_names,
            mask=self.resolve_mask(),
            max_pixels=self.max_pixels,
            random_state=0 if seed is None else seed,
        )

    def feature_columns(self, table: pd.DataFrame) -> list[str]:
        """Every channel."""
        return list(self.channel_names)


Input = ObjectsInput | TableInput | PixelsInput


@dataclass(eq=False)
class Matrix:
    """The matrix that gets embedded, and how it was made from the table.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per object, also those left out.
    X : ndarray (n_kept, n_used)
    kept : bool array over the table's rows
        Rows without a missing or infinite value in a used column.
    scaling : FeatureScaling
        Turns new rows into the same matrix (columns, ``log1p``, z-scores).
    chosen : list of str
        The columns asked for (constant ones are dropped: ``dropped``).
    """

    table: pd.DataFrame
    X: np.ndarray
    kept: np.ndarray
    scaling: FeatureScaling
    chosen: list = field(default_factory=list)

    @property
    def used(self) -> list[str]:
        """The columns in the matrix."""
        return list(self.scaling.columns)

    @property
    def dropped(self) -> list[str]:
        """Chosen columns left out as constant."""
        return [c for c in self.chosen if c not in self.used]

    @property
    def log_columns(self) -> list[str]:
        """The columns transformed with ``log1p``."""
        return list(self.scaling.log_columns)

    @property
    def left_out(self) -> int:
        """Rows left out for a missing or infinite value."""
        return int((~self.kept).sum())

    def rows(self) -> pd.DataFrame:
        """Return the table's embedded rows (index reset)."""
        return self.table.loc[self.kept].reset_index(drop=True)


def prepare_matrix(
    table: pd.DataFrame,
    columns: Sequence[str],
    *,
    standardize: bool = True,
    log: Sequence[str] = (),
) -> Matrix:
    """Return the :class:`Matrix` of ``columns`` of ``table``.

    ``log``: names or patterns (``*``, ``?``) of the columns to transform
    with ``log1p`` before standardising; a pattern that matches no column
    is an error (a typo would otherwise pass silently). Constant columns
    are dropped (:attr:`Matrix.dropped` names them).

    Raises
    ------
    ValueError
        For no columns, unknown or non-numeric ones, a log pattern matching
        none, or no complete row.
    """
    columns = list(columns)
    with warnings.catch_warnings():
        # left-out rows and constant columns are reported by the callers
        warnings.simplefilter("ignore", UserWarning)
        X, kept, scaling = fit_feature_matrix(
            table,
            columns,
            standardize=standardize,
            log=log_columns(columns, list(log)),
        )
    return Matrix(table, X, kept, scaling, columns)
