"""Feature tables from images and files: the layer below the embedding.

Pure numpy / scipy / pandas / scikit-image: nothing here imports napari or
Qt, so it can be used from scripts, notebooks and tests alike.

- :func:`object_features` measures every object of a label image (2-D,
  3-D, or either over time): shape and per-channel intensity, one row per
  object (per frame) (:mod:`.objects`).
- :func:`pixel_features` turns a (multichannel) image into one row per
  pixel or voxel; :func:`pixel_mask` and :func:`pixel_rows` map rows to
  pixels and back through the table's ``pixel`` column (:mod:`.pixels`).
- :func:`read_table` reads a feature table from .csv, .tsv, .txt, .parquet
  or .npy; :func:`default_columns` is the one rule for which columns are
  features when none are chosen; :func:`feature_matrix` turns a table into
  the matrix that gets embedded (missing values left out, optional
  ``log1p``, z-scores) (:mod:`.tables`).

Examples
--------
>>> from napari_cne.features import object_features, feature_matrix
>>> df = object_features(labels, {"DNA": dna})  # one row per object
>>> df.columns[:4].tolist()
['label', 'area', 'perimeter', 'eccentricity']
>>> X, kept, used = feature_matrix(df, log=["area"])
"""

from .matrix import FeatureScaling, feature_matrix, fit_feature_matrix
from .objects import (
    INTENSITY_STATS,
    SHAPE_FEATURES,
    SHAPE_FEATURES_3D,
    check_labels,
    object_features,
)
from .pixels import pixel_features, pixel_mask, pixel_rows
from .tables import (
    ID_COLUMNS,
    default_columns,
    is_numeric,
    log_columns,
    output_columns,
    read_table,
)

__all__ = [
    "FeatureScaling",
    "ID_COLUMNS",
    "INTENSITY_STATS",
    "SHAPE_FEATURES",
    "SHAPE_FEATURES_3D",
    "check_labels",
    "default_columns",
    "feature_matrix",
    "fit_feature_matrix",
    "is_numeric",
    "log_columns",
    "object_features",
    "output_columns",
    "pixel_features",
    "pixel_mask",
    "pixel_rows",
    "read_table",
]
