"""Input checks that turn bad data into clear error messages."""

from __future__ import annotations

import os
import warnings

import numpy as np

__all__ = [
    "MEMORY_SHARE",
    "available_memory",
    "check_data",
    "check_memory",
    "memory_estimate",
]

#: what a run keeps in memory (lazy images read whole, every pixel's
#: results) may take at most this share of the memory available now
MEMORY_SHARE = 0.8


def available_memory() -> int | None:
    """Bytes of memory available to this process now (None if unknown)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - psutil missing or unsupported
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_estimate(n: int, d: int, k: int, n_components: int = 2) -> int:
    """Bytes an embedding of ``n`` rows x ``d`` features needs, roughly.

    The float32 copy of the data and its finiteness mask (13 bytes per
    value), the kNN search and its graph (pynndescent's heaps, the
    symmetrised CSR matrix and the edge lists: about 100 bytes per row and
    neighbour) and the layout with its optimiser buffers.
    """
    return int(n * d * 13 + n * k * 100 + n * n_components * 64 + 64 * 2**20)


def _size(nbytes: float) -> str:
    for unit, div in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= div or unit == "MiB":
            return f"{nbytes / div:.1f} {unit}"
    raise AssertionError  # pragma: no cover


def check_memory(n: int, d: int, k: int, n_components: int = 2) -> None:
    """Refuse, before allocating anything, an input that will not fit.

    Raises
    ------
    MemoryError
        When :func:`memory_estimate` exceeds the available memory.
    """
    need = memory_estimate(n, d, k, n_components)
    have = available_memory()
    if have is not None and need > have:
        raise MemoryError(
            f"embedding {n:,} rows x {d:,} features needs about {_size(need)} of "
            f"memory but only {_size(have)} is available; embed a random "
            "subsample (or fewer features, e.g. PCA) or free memory"
        )


def _describe(X) -> str:
    shape = getattr(X, "shape", None)
    return (
        f"{type(X).__name__} of shape {shape}"
        if shape is not None
        else type(X).__name__
    )


def _as_array(X, name: str) -> tuple[np.ndarray, list | None]:
    """Return ``X`` as an array and its column labels (a DataFrame's, else None)."""
    columns = None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(X, pd.Series):
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got a pandas Series. "
            "Use series.to_frame() for a single feature."
        )
    if pd is not None and isinstance(X, pd.DataFrame):
        bad = [
            c
            for c in X.columns
            if not (
                pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
            )
        ]
        if bad:
            raise TypeError(
                f"{name} has non-numeric columns {bad!r}; select numeric columns "
                "(e.g. df.select_dtypes('number'))"
            )
        columns = list(X.columns)
        X = X.to_numpy(dtype=np.float64, na_value=np.nan)
    elif hasattr(X, "detach") and hasattr(X, "cpu"):  # torch tensor
        X = X.detach().cpu().numpy()
    elif hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(
            f"{name} is a sparse matrix; pass a dense array, or pass a kNN graph "
            "with fit(graph=...)"
        )
    try:
        A = np.asarray(X)
    except Exception as err:
        raise TypeError(f"{name} could not be converted to an array: {err}") from err
    return A, columns


def _check_finite(A: np.ndarray, name: str) -> None:
    """Raise for NaN, infinite or float32-overflowing values (with where they are)."""
    finite = np.isfinite(A)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        n_nan = int(np.isnan(A).sum())
        n_inf = int((~finite).sum()) - n_nan
        raise ValueError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite values in "
            f"{bad_rows.size} rows (first: row {bad_rows[0]}); remove or impute "
            "them before embedding"
        )
    big = np.abs(A).max()
    if big > 1e30:
        raise ValueError(
            f"{name} contains values up to {big:.3g}, too large for float32"
        )


def check_data(
    X, *, name: str = "X", drop_constant: bool = True
) -> tuple[np.ndarray, list | None, np.ndarray]:
    """Validate a feature matrix and return it as C-contiguous float32.

    Parameters
    ----------
    X : array-like or pandas.DataFrame, shape (n_samples, n_features)
        Numeric data: float, integer or boolean.
    name : str
        Name used in messages.
    drop_constant : bool
        Drop constant columns (with a warning); if every column is constant
        a ``ValueError`` is raised.

    Returns
    -------
    X : ndarray of float32, shape (n_samples, n_kept)
    columns : list or None
        Column labels of a DataFrame input (kept columns only).
    kept : ndarray of int
        Indices of the kept columns.
    """
    A, columns = _as_array(X, name)
    if A.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} holds complex numbers "
            f"({_describe(X)}); embed their real and imaginary parts as columns"
        )
    if A.dtype == object:  # numbers as Python objects; anything else raises
        A = A.astype(np.float64)
    if A.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers (float, int or bool); got dtype {A.dtype} "
            f"({_describe(X)})"
        )
    if A.ndim != 2:
        hint = (
            " Reshape your data: X.reshape(-1, 1) for a single feature, "
            "X.reshape(1, -1) for a single sample."
            if A.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features); got {A.ndim}-D with "
            f"shape {A.shape}.{hint}"
        )
    if A.shape[0] == 0 or A.shape[1] == 0:
        what = "sample" if A.shape[0] == 0 else "feature"
        raise ValueError(
            f"{name} is empty: 0 {what}(s) (shape={A.shape}) while a minimum of 1 "
            "is required."
        )
    if A.dtype.kind == "f":
        _check_finite(A, name)
    A = A.astype(np.float32, copy=False)
    kept = np.arange(A.shape[1])
    if A.shape[0] > 1:
        const = (A.max(axis=0) - A.min(axis=0)) == 0
        if const.all():
            raise ValueError(
                f"every column of {name} is constant: all {A.shape[0]} rows are "
                "identical, there is no structure to embed"
            )
        if const.any() and drop_constant:
            idx = np.flatnonzero(const).tolist()
            labels = [columns[i] for i in idx] if columns else idx
            warnings.warn(
                f"{name}: dropping {int(const.sum())} constant column(s) {labels!r}; "
                "they carry no information",
                UserWarning,
                stacklevel=3,
            )
            kept = np.flatnonzero(~const)
            A = A[:, kept]
            if columns is not None:
                columns = [columns[i] for i in kept]
    return np.ascontiguousarray(A), columns, kept
