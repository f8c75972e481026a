"""Per-object features of a label image: shape and per-channel intensity.

Pure numpy / scipy / pandas / scikit-image (``regionprops_table``): nothing
here imports napari or Qt.
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from skimage.measure import regionprops_table

from .arrays import check_spacing, materialize
from .shape3d import shape_3d

__all__ = [
    "INTENSITY_STATS",
    "SHAPE_FEATURES",
    "SHAPE_FEATURES_3D",
    "check_labels",
    "object_features",
    "object_positions",
]

#: 2-D shape columns, in output order (names follow the classic regionprops ones).
SHAPE_FEATURES = (
    "area",
    "perimeter",
    "eccentricity",
    "solidity",
    "extent",
    "major_axis_length",
    "minor_axis_length",
)

#: 3-D shape columns, in output order.
SHAPE_FEATURES_3D = (
    "volume",
    "surface_area",
    "equivalent_diameter",
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
    "volume": "area",
    "equivalent_diameter": "equivalent_diameter_area",
}
# 3-D columns computed here rather than by regionprops (see shape3d.py)
_OWN_3D = ("surface_area", "solidity")


def _time_axis(time_axis, ndim: int) -> int | None:
    if time_axis is None:
        return None
    if isinstance(time_axis, bool):
        raise TypeError("time_axis must be an int (the index of the time axis)")
    try:
        ax = operator.index(time_axis)
    except TypeError:
        raise TypeError(
            "time_axis must be an int (the index of the time axis) or None; "
            f"got {type(time_axis).__name__}"
        ) from None
    if not -ndim <= ax < ndim:
        raise ValueError(
            f"time_axis={ax} is out of range for {ndim}-D labels (valid: "
            f"{-ndim} to {ndim - 1})"
        )
    return ax % ndim


def check_labels(labels, time_axis: int | None = None) -> np.ndarray:
    """Validate a label image and return it as a numpy array.

    Accepts 2-D (y, x) or 3-D (z, y, x) labels, plus one time axis when
    ``time_axis`` is given.
    """
    lab = materialize(labels)
    if lab.dtype == bool or lab.dtype.kind not in "iu":
        raise ValueError(
            "labels must be an integer label image (0 = background, 1, 2, ... = "
            f"objects); got dtype {lab.dtype}. Convert a binary mask with "
            "skimage.measure.label(mask)."
        )
    t_ax = _time_axis(time_axis, lab.ndim)
    spatial = lab.ndim - (t_ax is not None)
    if spatial not in (2, 3):
        where = "" if t_ax is None else f" after removing time axis {t_ax}"
        raise ValueError(
            f"labels must be 2-D (y, x) or 3-D (z, y, x){where}; got "
            f"{lab.ndim}-D data of shape {lab.shape}. For a time-lapse pass "
            "time_axis=<index of the time axis>, e.g. time_axis=0 for (t, y, x) "
            "or (t, z, y, x) data."
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
        arr = materialize(img)
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


def _intensity_stats(
    img: np.ndarray, lab: np.ndarray, ids: np.ndarray
) -> dict[str, np.ndarray]:
    fg = lab != 0  # the background never counts: measure foreground pixels only
    values = img[fg].astype(np.float64, copy=False)
    return _stats(values, lab[fg], ids.tolist())


def _stats(img: np.ndarray, lab: np.ndarray, idx: list) -> dict[str, np.ndarray]:
    # scipy evaluates 0/0 for label values absent between the ids: harmless
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "mean": np.asarray(ndi.mean(img, lab, idx), float),
            "median": np.asarray(ndi.median(img, lab, idx), float),
            "std": np.asarray(ndi.standard_deviation(img, lab, idx), float),
            "min": np.asarray(ndi.minimum(img, lab, idx), float),
            "max": np.asarray(ndi.maximum(img, lab, idx), float),
            "integrated": np.asarray(ndi.sum(img, lab, idx), float),
        }


def _measure(
    lab: np.ndarray,
    chans: Mapping[str, np.ndarray],
    sp: tuple[float, ...] | None,
    shape: bool,
) -> dict[str, np.ndarray]:
    """Columns for one 2-D or 3-D label image (at least one object)."""
    ids = np.unique(lab)
    ids = ids[ids != 0]
    if ids[-1] > 4 * len(ids) + 65_536:
        # sparse or huge ids (e.g. hashes): scipy and scikit-image size
        # their tables by the largest id (a crash near 2**62); measure on
        # 1..N and put the original ids back
        from skimage.segmentation import relabel_sequential

        dense = relabel_sequential(lab)[0]
        cols = _measure(dense, chans, sp, shape)
        cols["label"] = ids.astype(np.int64)
        return cols
    columns: dict[str, np.ndarray] = {"label": ids.astype(np.int64)}

    if shape:
        names = SHAPE_FEATURES if lab.ndim == 2 else SHAPE_FEATURES_3D
        isotropic = sp is None or len(set(sp)) == 1
        skip = {"perimeter"} if lab.ndim == 2 and not isotropic else set()
        if lab.ndim == 3:
            skip |= set(_OWN_3D)
        props = ["label"] + [_SKIMAGE_NAMES.get(n, n) for n in names if n not in skip]
        kwargs = {} if sp is None else {"spacing": sp}
        table = regionprops_table(lab, properties=props, **kwargs)
        # regionprops_table orders objects by label, like np.unique
        if not np.array_equal(table["label"], ids):  # pragma: no cover - safety net
            raise RuntimeError("regionprops returned objects in an unexpected order")
        if "perimeter" in skip:  # anisotropic 2-D: pixel units (warned by caller)
            table["perimeter"] = regionprops_table(lab, properties=("perimeter",))[
                "perimeter"
            ]
        if lab.ndim == 3:
            table.update(shape_3d(lab, ids, sp))
        for name in names:
            columns[name] = np.asarray(table[_SKIMAGE_NAMES.get(name, name)], float)

    for name, img in chans.items():
        for stat, values in _intensity_stats(img, lab, ids).items():
            col = f"{name}_{stat}"
            if col in columns:
                raise ValueError(f"channel name {name!r} clashes with column {col!r}")
            columns[col] = values
    return columns


def object_features(
    labels,
    images: Mapping[str, np.ndarray] | Sequence[np.ndarray] | np.ndarray | None = None,
    spacing: float | Sequence[float] | None = None,
    *,
    shape: bool = True,
    time_axis: int | None = None,
) -> pd.DataFrame:
    """Measure every object of a label image: shape and per-channel intensity.

    Parameters
    ----------
    labels : array-like of int
        Instance segmentation: 0 is background, every other value one object.
        2-D ``(y, x)`` or 3-D ``(z, y, x)``, plus one time axis if
        ``time_axis`` is given. Without ``time_axis`` a 3-D array is a
        z-stack, never a movie.
    images : dict of str to array, list of arrays, or array, optional
        Intensity images of the same shape as ``labels`` (time axis
        included). A dict gives the channel names; list items are named
        ``ch0``, ``ch1``, ...; a single array is named ``intensity``.
    spacing : float or sequence of float, optional
        Pixel/voxel size per spatial axis (e.g. the layer's ``scale``). A
        full-length scale that includes the time axis is accepted too: its
        time entry is dropped. Scales ``area``/``volume``, lengths and
        ``surface_area``; in 2-D with anisotropic spacing the perimeter
        stays in pixel units, with a warning.
    shape : bool, default True
        Include the shape features.
    time_axis : int, optional
        Index of the time axis of ``labels`` (e.g. 0 for ``(t, y, x)`` or
        ``(t, z, y, x)``). Objects are then measured frame by frame: the same
        label id in two frames gives two rows. Lazy labels or images (dask,
        Zarr: napari's lazily opened layers) are then read one frame at a
        time, never the whole movie.

    Returns
    -------
    pandas.DataFrame
        One row per object (per frame), sorted by (``frame``,) ``label``.
        Columns: ``label``; ``frame`` (the index along ``time_axis``, only
        when ``time_axis`` is given); the shape features (2-D:
        :data:`SHAPE_FEATURES` = ``area``, ``perimeter``, ``eccentricity``,
        ``solidity``, ``extent``, ``major_axis_length``,
        ``minor_axis_length``; 3-D: :data:`SHAPE_FEATURES_3D` = ``volume``,
        ``surface_area``, ``equivalent_diameter``, ``solidity``, ``extent``,
        ``major_axis_length``, ``minor_axis_length``); and for each channel
        ``<channel>_mean``, ``_median``, ``_std`` (population), ``_min``,
        ``_max`` and ``_integrated`` (sum of intensities).

    Raises
    ------
    ValueError
        For non-integer labels, labels that are not 2-D or 3-D (after
        removing the time axis), labels with no objects (in any frame),
        images whose shape differs from the labels, a bad ``time_axis``, or
        spacing that is not positive or has the wrong length.
    TypeError
        If ``images`` is not a dict, list or array, or ``time_axis`` is not
        an int.

    Notes
    -----
    3-D shape features (all in units of ``spacing``):

    - ``volume``: number of voxels times the voxel volume.
    - ``surface_area``: area of the marching-cubes mesh (level 0.5) of the
      object, as in CellProfiler. It slightly underestimates the blocky voxel
      surface (a single voxel gives sqrt(3), not 6), but converges for
      smooth objects.
    - ``equivalent_diameter``: diameter of the sphere of the same volume.
    - ``solidity``: volume over the volume of the convex hull (counted in
      voxels, like scikit-image; also correct for flat objects, where
      scikit-image's hull fails).
    - ``extent``: volume over the bounding-box volume.
    - ``major_axis_length``, ``minor_axis_length``: longest and shortest
      axes of the ellipsoid with the same second moments.

    ``perimeter`` and ``eccentricity`` are 2-D only.
    """
    if time_axis is not None and _any_lazy(labels, images):
        return _frames_one_by_one(labels, images, spacing, shape, time_axis)
    if _any_lazy(labels, images):
        _check_fits(labels, images)
    lab = check_labels(labels, time_axis)
    chans = _check_images(images, lab.shape)
    t_ax = _time_axis(time_axis, lab.ndim)
    sp = check_spacing(spacing, lab.ndim, t_ax)
    spatial_ndim = lab.ndim - (t_ax is not None)
    if shape and spatial_ndim == 2 and sp is not None and len(set(sp)) > 1:
        warnings.warn(
            "perimeter is measured in pixel units: scikit-image supports "
            "isotropic spacing only for it",
            UserWarning,
            stacklevel=2,
        )
    if t_ax is None:
        return pd.DataFrame(_measure(lab, chans, sp, shape))

    lab = np.moveaxis(lab, t_ax, 0)
    chans = {k: np.moveaxis(v, t_ax, 0) for k, v in chans.items()}
    parts = []
    for t in range(lab.shape[0]):
        frame = lab[t]
        if not frame.any():
            continue  # no objects in this frame: no rows
        cols = _measure(frame, {k: v[t] for k, v in chans.items()}, sp, shape)
        n = cols["label"].size
        cols = {"label": cols.pop("label"), "frame": np.full(n, t, np.int64), **cols}
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True)


def _lazy(a) -> bool:
    return not isinstance(a, np.ndarray) and hasattr(a, "chunks")


def _image_list(images) -> list:
    """Return the image arrays of ``images`` (a dict, a list, one array or None)."""
    values = images.values() if isinstance(images, Mapping) else images
    if values is None or hasattr(values, "shape"):
        return [] if values is None else [values]
    return list(values)


def _any_lazy(labels, images) -> bool:
    return _lazy(labels) or any(_lazy(v) for v in _image_list(images))


def _frames_one_by_one(labels, images, spacing, shape: bool, time_axis: int):
    """Measure a lazy (dask, Zarr) time-lapse, reading one frame at a time.

    Memory holds one frame of the labels and of each image, never the movie.
    """
    ndim = len(labels.shape)
    t_ax = _time_axis(time_axis, ndim)
    if t_ax is None:
        raise ValueError("a lazy time-lapse needs a time axis")
    imgs = images if isinstance(images, Mapping) else dict(_check_images_lazily(images))
    for name, img in imgs.items():
        if tuple(img.shape) != tuple(labels.shape):
            raise ValueError(
                f"image {name!r} has shape {tuple(img.shape)} but labels have "
                f"shape {tuple(labels.shape)}; images and labels must cover the "
                "same pixels"
            )
    sp = check_spacing(spacing, ndim, t_ax)
    check_labels(np.ones((1,) * ndim, np.dtype(labels.dtype)), time_axis)  # dtype, axes
    parts = []
    for t in range(labels.shape[t_ax]):
        index = (slice(None),) * t_ax + (t,)
        frame = materialize(labels[index])
        if not frame.any():
            continue
        check_labels(frame)  # integer, 2-D or 3-D, no negative values
        part = object_features(
            frame, {k: materialize(v[index]) for k, v in imgs.items()}, sp, shape=shape
        )
        part.insert(1, "frame", np.int64(t))
        parts.append(part)
    if not parts:
        raise ValueError("labels contain no objects (every pixel is 0 = background)")
    return pd.concat(parts, ignore_index=True)


def _check_images_lazily(images) -> list:
    if images is None:
        return []
    if isinstance(images, (list, tuple)):
        return [(f"ch{i}", v) for i, v in enumerate(images)]
    return [("intensity", images)]


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _check_fits(labels, images) -> None:
    """Refuse, before reading, lazy labels and images that would not fit in memory.

    Objects can cross chunk borders, so a single image is measured whole.
    """
    from ..engine.validation import MEMORY_SHARE, available_memory

    arrays = [labels, *_image_list(images)]
    # the arrays, plus regionprops' label copy and one float image at a time
    need = sum(math.prod(a.shape) * np.dtype(a.dtype).itemsize for a in arrays)
    need += 12 * math.prod(labels.shape)
    have = available_memory()
    if have is not None and need > MEMORY_SHARE * have:
        raise ValueError(
            f"measuring objects in labels of shape {tuple(labels.shape)} reads them "
            f"and their {len(arrays) - 1} image(s) whole: about {_size(need)}, "
            f"but {_size(have)} of memory is available. Measure "
            "tiles or fields one by one (napari-cne embed-images), or pass "
            "time_axis for a time-lapse (read one frame at a time)"
        )


def _positions(lab: np.ndarray) -> dict[str, np.ndarray]:
    """Centroid and bounding box of every object of one 2-D or 3-D image."""
    axes = "zyx"[-lab.ndim :]
    table = regionprops_table(lab, properties=("label", "centroid", "bbox"))
    cols = {"label": np.asarray(table["label"], np.int64)}
    for i, ax in enumerate(axes):
        cols[f"centroid_{ax}"] = np.asarray(table[f"centroid-{i}"], float)
    for i, ax in enumerate(axes):
        cols[f"bbox_{ax}0"] = np.asarray(table[f"bbox-{i}"], np.int64)
        cols[f"bbox_{ax}1"] = np.asarray(table[f"bbox-{i + lab.ndim}"], np.int64)
    return cols


def object_positions(labels, time_axis: int | None = None) -> pd.DataFrame:
    """Return where every object is: its centroid and bounding box, in pixels.

    One row per object (per frame), in the order of :func:`object_features`:
    ``label`` (``frame``), ``centroid_y``, ``centroid_x`` (``centroid_z``
    first in 3-D), and the bounding box ``bbox_y0``, ``bbox_y1``, ... (half
    open, as slices: ``labels[bbox_y0:bbox_y1, bbox_x0:bbox_x1]`` holds the
    object). Positions lead a row back to its place in the image; they are
    never features (:data:`~.tables.POSITION_COLUMNS`).
    """
    lab = check_labels(labels, time_axis)
    t_ax = _time_axis(time_axis, lab.ndim)
    if t_ax is None:
        return pd.DataFrame(_positions(lab))
    parts = []
    for t, frame in enumerate(np.moveaxis(lab, t_ax, 0)):
        if frame.any():
            cols = _positions(frame)
            n = cols["label"].size
            label = cols.pop("label")
            parts.append(pd.DataFrame({"label": label, "frame": np.full(n, t), **cols}))
    return pd.concat(parts, ignore_index=True)
