"""Every pixel placed: the coordinate and colour layers, and full-resolution lasso.

After a pixel fit with "Place every pixel", :class:`PixelMapView` writes
what the worker placed (the fit's
:class:`~napari_cne.features.pixel_map.PixelMap`) as new layers over the
source image, with its scale and translate:

* ``"<image> cne_0"``, ``"<image> cne_1"`` (``cne_2`` in 3-D): float
  Image layers of every pixel's coordinates (NaN where not placed);
* ``"<image> position colours"``: an RGBA Image layer, each pixel in the
  colour of its place in the embedding
  (:func:`napari_cne.render.position_colors.position_image`).

A run stopped while placing gives layers named ``"... (partial 37%)"`` with
``metadata["napari_cne"]["complete"] = False``: never a layer that looks
complete. A lasso drawn around points of the embedding then also lights up
**every** pixel whose coordinates fall inside it, at full resolution, in a
Labels layer ``"<image> lasso pixels"`` (computed block by block).
:meth:`PixelMapView.add_class_layer` maps a class per fitted pixel (the
predicted classes, or clusters) to every placed pixel, in a new Labels
layer ``"<image> predicted classes"`` in the classes' colours
(:func:`napari_cne.app.pixel_classes.pixel_class_image`). GUI thread only.
"""

from __future__ import annotations

import numpy as np
from napari.utils.colormaps import DirectLabelColormap

from ..app.every_pixel import pixels_in_polygon
from ..app.metadata import is_ours, kind_of, source_of, tag
from ..app.pixel_classes import pixel_class_image
from ..app.session import Session
from ..render.position_colors import position_bounds, position_image
from .outputs import coord_names
from .panels.selection import SelectionPanel
from .runner import Run
from .viewers import Viewers

__all__ = ["PixelMapView", "partial_suffix"]

LASSO_RGBA = (1.0, 0.85, 0.0, 0.9)


def partial_suffix(done: int, total: int) -> str:
    """Return the layer-name suffix of a partial map (``" (partial 37%)"``)."""
    if done >= total:
        return ""
    return f" (partial {int(100 * done / max(total, 1))}%)"


def _raw_polygon(points, polygon: np.ndarray) -> np.ndarray | None:
    """Return a polygon drawn over the Points layer in the raw coordinates.

    The layer's data are its raw coordinates ``cne_0``, ``cne_1`` scaled and
    shifted (placed beside the image): the map per axis is fitted from the
    points themselves.
    """
    df = points.features
    if not {"cne_0", "cne_1"} <= set(df.columns) or len(df) < 2:
        return None
    Y = df[["cne_0", "cne_1"]].to_numpy(float)
    W = np.asarray(points.data, float)[:, -2:]
    raw = np.empty_like(np.asarray(polygon, float))
    for d in range(2):
        slope, offset = np.polyfit(Y[:, d], W[:, d], 1)
        if not slope:
            return None
        raw[:, d] = (np.asarray(polygon, float)[:, d] - offset) / slope
    return raw


class PixelMapView:
    """Writes the every-pixel layers and answers a lasso at full resolution.

    Parameters
    ----------
    session : Session
    viewers : Viewers
    selection : SelectionPanel
        Its lasso outlines (``polygon_selected``) light up pixels.

    Attributes
    ----------
    layers : list
        The coordinate and colour layers of the last map.
    lasso_layer : napari.layers.Labels or None
        The pixels inside the last lasso.
    coords : ndarray or None
        The last map's coordinates, ``(n_components, *spatial)``.
    """

    def __init__(self, session: Session, viewers: Viewers, selection: SelectionPanel):
        self.session, self.viewers, self.selection = session, viewers, selection
        self.layers: list = []
        self.lasso_layer = None
        self.coords = None
        self._layout = None  # the fitted layout the pixels were placed against
        self._where: dict = {}
        self._source = None
        selection.polygon_selected.connect(self.on_polygon)
        selection.selection_changed.connect(self._clear_lasso)

    def finish(self, run: Run, fit) -> None:
        """Add the layers of what a pixel fit placed (marked partial if stopped)."""
        pm, origin = fit.pixel_map, fit.origin
        name = origin.name
        if pm is None or pm.done == 0:
            if run.cancelled:
                old = any(
                    kind_of(lay) == "pixel_map" and source_of(lay) == name
                    for lay in self.viewers.main.layers
                )
                self.session.say(
                    "Stopped before any pixel was placed: no pixel layers were made"
                    + (" (those shown are of an earlier fit)." if old else ".")
                )
            return
        viewer = self.viewers.main
        self._remove_old(name)
        suffix = partial_suffix(pm.done, pm.total)
        meta = {
            "source": name,
            "complete": bool(pm.complete),
            "done": int(pm.done),
            "total": int(pm.total),
            "fraction": float(pm.done / max(pm.total, 1)),
        }
        where = {"scale": origin.pixel_scale, "translate": origin.pixel_translate}
        Y = np.asarray(fit.model.embedding_)
        lo, hi = position_bounds(Y)
        layers = []
        for j, coord in enumerate(coord_names(pm.coords.shape[0])):
            layers.append(
                viewer.add_image(
                    pm.coords[j],
                    name=f"{name} {coord}{suffix}",
                    colormap="viridis",
                    contrast_limits=(float(lo[j]), float(max(hi[j], lo[j] + 1e-6))),
                    blending="additive",
                    visible=False,
                    metadata=tag("pixel_map", component=coord, **meta),
                    **where,
                )
            )
        rgba = position_image(pm.coords, bounds=(lo, hi))
        layers.append(
            viewer.add_image(
                rgba,
                name=f"{name} position colours{suffix}",
                rgb=True,
                metadata=tag("pixel_map", component="rgba", **meta),
                **where,
            )
        )
        self.layers, self.coords, self._where = layers, pm.coords, where
        self._layout, self._source = Y.copy(), name
        self._say(pm, layers)

    def _say(self, pm, layers) -> None:
        names = ", ".join(repr(lay.name) for lay in layers)
        n = int(np.isfinite(pm.coords[0]).sum())
        if pm.complete:
            self.session.say(f"Every pixel placed ({n:,} pixels): layers {names}.")
        else:
            self.session.say(
                f"Stopped while placing every pixel: {n:,} pixels "
                f"({100 * pm.done // max(pm.total, 1)}% of the tiles) placed; "
                f"the layers are marked partial: {names}."
            )
        self.session.progress(pm.done, maximum=pm.total, fmt="every pixel: %p%")

    def _remove_old(self, source: str) -> None:
        """Remove our earlier pixel-map layers of this image (never the user's)."""
        viewer = self.viewers.main
        for layer in list(viewer.layers):
            if (
                is_ours(layer)
                and kind_of(layer) in ("pixel_map", "lasso_pixels")
                and source_of(layer) == source
            ):
                viewer.layers.remove(layer)
        self.layers, self.lasso_layer, self.coords = [], None, None

    # -------------------------------------------------------------- lasso
    def on_polygon(self, polygon) -> None:
        """Light up every pixel whose coordinates lie inside a lasso outline."""
        points = self.selection.points
        if self.coords is None or not self.viewers.alive(points):
            return
        if not any(self.viewers.alive(lay) for lay in self.layers):
            return
        if self.coords.shape[0] != 2 or not self._current(points):
            return
        raw = _raw_polygon(points, polygon)
        if raw is None:
            return
        mask = pixels_in_polygon(self.coords, raw)
        self._show(mask)
        self.session.say(
            f"Lasso: {int(mask.sum()):,} pixels of the full image inside "
            f"(layer {self.lasso_layer.name!r})."
        )

    def _current(self, points) -> bool:
        """Whether the embedding shown is the layout the pixels were placed on."""
        df = points.features
        Y = df[[c for c in coord_names(2) if c in df.columns]].to_numpy(float)
        same = self._layout is not None and Y.shape == self._layout[:, :2].shape
        if same and np.allclose(Y, self._layout[:, :2], equal_nan=True):
            return True
        self.session.say(
            "The pixel layers belong to an earlier layout; Run again to place "
            "every pixel on this one (the lasso selects the sampled points only)."
        )
        return False

    def _show(self, mask: np.ndarray) -> None:
        layer = self.lasso_layer
        if self.viewers.alive(layer) and layer.data.shape == mask.shape:
            layer.data[...] = mask
            layer.refresh()
            return
        viewer = self.viewers.main
        active = viewer.layers.selection.active
        self.lasso_layer = viewer.add_labels(
            mask,
            name=f"{self._source} lasso pixels",
            colormap=DirectLabelColormap(
                color_dict={None: np.zeros(4), 0: np.zeros(4), 1: LASSO_RGBA}
            ),
            opacity=0.8,
            metadata=tag("lasso_pixels", source=self._source),
            **self._where,
        )
        if active is not None:
            viewer.layers.selection.active = active

    # ------------------------------------------------------------ classes
    def add_class_layer(self, codes, names, colors, what: str = "predicted classes"):
        """Add a new Labels layer of every placed pixel's class.

        Each pixel takes the class of the fitted pixel nearest to it in the
        layout the pixels were placed on.

        Parameters
        ----------
        codes : int array (n_fitted,)
            The class of each fitted pixel (``-1``: none), e.g.
            ``ObjectPrediction.codes()`` or cluster labels.
        names : list of str
            The classes, in code order (the layer's ``metadata``).
        colors : list
            A colour per class, in code order.
        what : str
            Ends the layer's name.

        Returns
        -------
        napari.layers.Labels
            Values 0 (not placed, or no class) and ``code + 1``.

        Raises
        ------
        ValueError
            Before every pixel was placed, or for classes of another fit.
        """
        if self.coords is None or self._layout is None:
            raise ValueError(
                "place every pixel first (Pixels: 'Place every pixel', then Run)"
            )
        labels = pixel_class_image(self.coords, self._layout, codes)
        from matplotlib.colors import to_rgba

        color_dict = {None: np.zeros(4), 0: np.zeros(4)}
        for i, c in enumerate(colors):
            color_dict[i + 1] = np.asarray(to_rgba(c))
        return self.viewers.main.add_labels(
            labels,
            name=f"{self._source} {what}",
            colormap=DirectLabelColormap(color_dict=color_dict),
            opacity=0.7,
            metadata=tag(
                "class_pixels", source=self._source, classes=[str(n) for n in names]
            ),
            **self._where,
        )

    def _clear_lasso(self, *_) -> None:
        layer = self.lasso_layer
        if self.viewers.alive(layer) and layer.data.any():
            layer.data[...] = 0
            layer.refresh()
