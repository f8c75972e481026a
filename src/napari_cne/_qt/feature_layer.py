"""Colour the objects of a Labels layer by a feature, in a layer of our own.

:func:`show_feature` adds (or, for the same source, updates) a Labels layer
``"<source> by <feature>"`` over the user's Labels layer: the same label
image, read-only, with every object in the colour of its value (viridis over
the 1st to 99th percentile, :func:`napari_cne.render.colors.column_colors`,
the colours "Colour by" gives the embedding's points). The user's layer is
never recoloured; choosing another feature replaces the colours and the
name of the one feature layer. GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from napari.utils.colormaps import DirectLabelColormap

from ..app.metadata import kind_of, source_of, tag
from ..render.colors import column_colors

__all__ = ["FEATURE_KIND", "feature_colormap", "feature_layer_of", "show_feature"]

#: the metadata kind of the layer (one per source layer)
FEATURE_KIND = "feature"


def feature_colormap(ids, values) -> DirectLabelColormap:
    """Return the colormap giving object ``ids[i]`` the colour of ``values[i]``.

    Label 0 and labels not in ``ids`` are transparent; a missing value is
    grey (:data:`napari_cne.render.colors.MISSING_RGBA`).

    Raises
    ------
    ValueError
        For ids and values of different lengths or repeated ids.
    """
    ids = np.asarray(ids).astype(np.int64)
    if isinstance(values, pd.Series):  # its dtype and name say how to colour
        series = values.reset_index(drop=True)
    else:
        series = pd.Series(np.asarray(values))
    if ids.ndim != 1 or len(ids) != len(series):
        raise ValueError(
            f"one value per object needed: {len(ids)} ids, {len(series)} values"
        )
    if len(np.unique(ids)) != len(ids):
        raise ValueError(
            "each label id must appear once to colour the objects by a feature"
        )
    rgba = column_colors(series, len(series))
    colors = {None: np.zeros(4), 0: np.zeros(4)}
    colors.update({int(i): c for i, c in zip(ids, rgba, strict=True) if i != 0})
    return DirectLabelColormap(color_dict=colors)


def feature_layer_of(viewer, source):
    """Return the feature layer over ``source`` in ``viewer`` (None: none yet)."""
    for layer in viewer.layers:
        if kind_of(layer) == FEATURE_KIND and source_of(layer) == source.name:
            return layer
    return None


def _read_only(data):
    if isinstance(data, np.ndarray):
        view = data.view()
        view.flags.writeable = False  # painting here must never edit the source
        return view
    return data  # lazy arrays (dask, zarr) are not painted in place


def show_feature(viewer, source, ids, values, feature: str):
    """Colour the objects of ``source`` by ``feature`` in a Labels layer of ours.

    Parameters
    ----------
    viewer : napari.Viewer
        The viewer holding ``source``.
    source : napari.layers.Labels
        The user's labels (left as they are).
    ids : array of int
        Label id of each object.
    values : array-like
        The feature's value of each object (same order).
    feature : str
        The feature's name (the layer's name says it).

    Returns
    -------
    napari.layers.Labels
        The feature layer: added the first time, updated afterwards.
    """
    cmap = feature_colormap(ids, values)
    name = f"{source.name} by {feature}"
    meta = tag(FEATURE_KIND, source=source.name, feature=str(feature))
    layer = feature_layer_of(viewer, source)
    if layer is not None:
        layer.colormap = cmap
        layer.name = name
        layer.metadata = {**layer.metadata, **meta}
        return layer
    active = viewer.layers.selection.active
    layer = viewer.add_labels(
        _read_only(source.data),
        name=name,
        colormap=cmap,
        scale=source.scale,
        translate=source.translate,
        rotate=source.rotate,
        shear=source.shear,
        opacity=0.8,
        metadata=meta,
    )
    layer.editable = False
    if active is not None:
        viewer.layers.selection.active = active
    return layer
