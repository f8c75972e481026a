"""Per-object features from a label image and intensity images.

Pure numpy / scipy / pandas / scikit-image: nothing here imports napari or
Qt, so it can be used from scripts, notebooks and tests alike.

Examples
--------
>>> from napari_cne.features import object_features
>>> df = object_features(labels, {"DNA": dna})  # one row per object
>>> df.columns[:4].tolist()
['label', 'area', 'perimeter', 'eccentricity']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage.measure import regionprops_table

__all__ = ["INTENSITY_STATS", "SHAPE_FEATURES", "feature_matrix", "object_features"]

#: Shape columns, in output order (names follow the classic regionprops ones).
SHAPE_FEATURES = (
    "area",
    "perimeter",
    "eccentricity",
    "solidity",
    "extent",
    "major_axis_length",
    "minor_axis_length",
)

#: Intensity statistics computed for every channel (column ``<channel>_<stat>``).
INTENSITY_STATS = ("mean", "median", "std", "min", "max", "integrated")

# our column name -> scikit-image property name
_SKIMAGE_NAMES = {
    "major_axis_length": "axis_major_length",
    "minor_axis_length": "axis_minor_length",
}


def _check_labels(labels) -> np.ndarray:
    if hasattr(labels, "compute") and not isinstance(labels, np.ndarray):
        labels = labels.compute()  # dask and similar lazy arrays
    lab = np.asarray(labels)
    if lab.dtype == bool or lab.dtype.kind not in "iu":
        raise ValueError(
            "labels must be an integer label image (0 = background, 1, 2, ... = "
            f"objects); got dtype {lab.dtype}. Convert a binary mask with "
            "skimage.measure.label(mask)."
        )
    if lab.ndim != 2:
        raise ValueError(
            f"labels must be a 2-D image; got {lab.ndim}-D data of shape "
            f"{lab.shape}. 3-D and time-lapse label images are not supported yet."
        )
    if lab.size and lab.min() < 0:
        raise ValueError("labels must not contain negative values")
    if lab.size == 0 or not lab.any():
        raise ValueError("labels contain no objects (every pixel is 0 = background)")
    return lab


def _check_images(images, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    if images is None:
        return {}
    if isinstance(images, Mapping):
        items = [(str(k), v) for k, v in images.items()]
    elif isinstance(images, (list, tuple)):
        items = [(f"ch{i}", v) for i, v in enumerate(images)]
    elif hasattr(images, "shape") and hasattr(images, "dtype"):
        items = [("intensity", images)]
    else:
        raise TypeError(
            "images must be a dict {name: array}, a list of arrays or one array; "
            f"got {type(images).__name__}"
        )
    out: dict[str, np.ndarray] = {}
    for name, img in items:
        if hasattr(img, "compute") and not isinstance(img, np.ndarray):
            img = img.compute()
        arr = np.asarray(img)
        if arr.dtype == object or arr.dtype.kind not in "biuf":
            raise ValueError(f"image {name!r} must be numeric; got dtype {arr.dtype}")
        if arr.shape != shape:
            raise ValueError(
                f"image {name!r} has shape {arr.shape} but labels have shape "
                f"{shape}; images and labels must cover the same pixels "
                "(split multichannel/RGB images into one array per channel)"
            )
        if name in out:
            raise ValueError(f"duplicate image name {name!r}")
        out[name] = arr
    return out


def _check_spacing(spacing, ndim: int) -> tuple[float, ...] | None:
    if spacing is None:
        return None
    sp = tuple(float(v) for v in np.broadcast_to(np.asarray(spacing, float), (ndim,)))
    if not all(np.isfinite(v) and v > 0 for v in sp):
        raise ValueError(f"spacing must be positive numbers; got {spacing!r}")
    return sp


def _intensity_stats(
    img: np.ndarray, lab: np.ndarray, ids: np.ndarray
) -> dict[str, np.ndarray]:
    img = img.astype(np.float64, copy=False)
    idx = ids.tolist()
    # scipy evaluates 0/0 for label values absent between the ids: harmless
    with np.errstate(invalid="ignore", divide="ignore"):
        return _stats(img, lab, idx)


def _stats(img: np.ndarray, lab: np.ndarray, idx: list) -> dict[str, np.ndarray]:
    return {
        "mean": np.asarray(ndi.mean(img, lab, idx), float),
        "median": np.asarray(ndi.median(img, lab, idx), float),
        "std": np.asarray(ndi.standard_deviation(img, lab, idx), float),
        "min": np.asarray(ndi.minimum(img, lab, idx), float),
        "max": np.asarray(ndi.maximum(img, lab, idx), float),
        "integrated": np.asarray(ndi.sum(img, lab, idx), float),
    }


def object_features(
    labels,
    images: Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray | None = None,
    spacing: float | Sequence[float] | None = None,
    *,
    shape: bool = True,
) -> pd.DataFrame:
    """Measure every object of a label image: shape and per-channel intensity.

    Parameters
    ----------
    labels : array-like of int, shape (rows, cols)
        Instance segmentation: 0 is background, every other value one object.
    images : dict of str to array, list of arrays, or array, optional
        Intensity images of the same shape as ``labels``. A dict gives the
        channel names; list items are named ``ch0``, ``ch1``, ...; a single
        array is named ``intensity``.
    spacing : float or sequence of float, optional
        Pixel size per axis (e.g. the layer's ``scale``). Scales ``area``,
        the axis lengths and ``perimeter`` (for anisotropic spacing the
        perimeter stays in pixel units, with a warning).
    shape : bool, default True
        Include the shape features.

    Returns
    -------
    pandas.DataFrame
        One row per object, sorted by label id: column ``label``, then the
        shape features ``area``, ``perimeter``, ``eccentricity``,
        ``solidity``, ``extent``, ``major_axis_length``,
        ``minor_axis_length`` and, for each channel, ``<channel>_mean``,
        ``_median``, ``_std`` (population), ``_min``, ``_max`` and
        ``_integrated`` (sum of intensities).

    Raises
    ------
    ValueError
        For non-integer or non-2-D labels, labels with no objects, images
        whose shape differs from the labels, or non-positive spacing.
    TypeError
        If ``images`` is not a dict, list or array.
    """
    lab = _check_labels(labels)
    chans = _check_images(images, lab.shape)
    sp = _check_spacing(spacing, lab.ndim)

    ids = np.unique(lab)
    ids = ids[ids != 0]
    columns: dict[str, np.ndarray] = {"label": ids.astype(np.int64)}

    if shape:
        props = ["label"] + [_SKIMAGE_NAMES.get(n, n) for n in SHAPE_FEATURES]
        isotropic = sp is None or len(set(sp)) == 1
        if not isotropic:
            props.remove("perimeter")
        kwargs = {} if sp is None else {"spacing": sp}
        table = regionprops_table(lab, properties=props, **kwargs)
        if not isotropic:
            warnings.warn(
                "perimeter is measured in pixel units: scikit-image supports "
                "isotropic spacing only for it",
                UserWarning,
                stacklevel=2,
            )
            table["perimeter"] = regionprops_table(lab, properties=("perimeter",))[
                "perimeter"
            ]
        # regionprops_table orders objects by label, like np.unique
        if not np.array_equal(table["label"], ids):  # pragma: no cover - safety net
            raise RuntimeError("regionprops returned objects in an unexpected order")
        for name in SHAPE_FEATURES:
            columns[name] = np.asarray(table[_SKIMAGE_NAMES.get(name, name)], float)

    for name, img in chans.items():
        for stat, values in _intensity_stats(img, lab, ids).items():
            col = f"{name}_{stat}"
            if col in columns:
                raise ValueError(f"channel name {name!r} clashes with column {col!r}")
            columns[col] = values
    return pd.DataFrame(columns)


def _numeric(series: pd.Series) -> bool:
    return bool(
        (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))
        and not isinstance(series.dtype, pd.CategoricalDtype)
    )


def feature_matrix(
    table: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    standardize: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Turn a feature table into the matrix that gets embedded.

    Rows with a missing or infinite value in any chosen column are left out
    (see ``kept``); constant columns carry no information and are dropped.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per object.
    columns : sequence of str, optional
        Feature columns. Default: every numeric column except ``label`` and
        ``index``.
    standardize : bool, default True
        z-score every column (mean 0, standard deviation 1), so that
        features in different units weigh alike.

    Returns
    -------
    X : ndarray of float32, shape (n_kept, n_used)
    kept : ndarray of bool, shape (len(table),)
        Rows of ``table`` that are in ``X``.
    used : list of str
        Columns of ``X``.

    Raises
    ------
    ValueError
        No columns, unknown or non-numeric columns, fewer than 3 complete
        rows, or only constant columns.
    """
    if columns is None:
        columns = [
            c
            for c in table.columns
            if _numeric(table[c]) and str(c).lower() not in ("label", "index")
        ]
    columns = list(columns)
    if not columns:
        raise ValueError("no feature columns to embed")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns {missing!r} are not in the table")
    bad = [c for c in columns if not _numeric(table[c])]
    if bad:
        raise ValueError(f"columns {bad!r} are not numeric")
    A = table[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    kept = np.isfinite(A).all(axis=1)
    if kept.sum() < 3:
        raise ValueError(
            f"only {int(kept.sum())} of {len(A)} rows have a finite value in every "
            "chosen column; at least 3 are needed (deselect columns with missing "
            "values)"
        )
    A = A[kept]
    mu = A.mean(axis=0)
    sd = A.std(axis=0)
    varying = sd > 1e-12 * np.maximum(1.0, np.abs(mu))
    if not varying.any():
        raise ValueError("every chosen column is constant; there is nothing to embed")
    A = A[:, varying]
    used = [c for c, v in zip(columns, varying, strict=True) if v]
    if standardize:
        A = (A - mu[varying]) / sd[varying]
    return np.ascontiguousarray(A, dtype=np.float32), kept, used
