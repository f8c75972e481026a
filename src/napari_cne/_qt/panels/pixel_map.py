"""Every pixel placed: the coordinate and colour layers, and full-resolution lasso.

After a pixel fit with "Place every pixel", :class:`PixelMapView` writes
what the worker placed (:attr:`.jobs.Job.pixel_map`) as new layers over the
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
Labels layer ``"<image> lasso pixels"`` (computed block by block). GUI
thread only.
"""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path as MplPath

from ...render.position_colors import position_bounds, position_image
from ..jobs import Job
from ..metadata import is_ours, kind_of, source_of, tag
from ..outputs import coord_names
from ..session import Session
from ..viewers import Viewers
from .selection import SelectionPanel

__all__ = ["LASSO_ROWS", "PixelMapView", "partial_suffix", "polygon_mask"]

#: rows of the pixel grid tested against a lasso at a time
LASSO_ROWS = 256
LASSO_RGBA = (1.0, 0.85, 0.0, 0.9)


def partial_suffix(done: int, total: int) -> str:
    """Return the layer-name suffix of a partial map (``" (partial 37%)"``)."""
    if done >= total:
        return ""
    return f" (partial {int(100 * done / max(total, 1))}%)"


def polygon_mask(coords, polygon: np.ndarray, rows: int = LASSO_ROWS) -> np.ndarray:
    """Return where per-pixel coordinates ``coords`` (c, *spatial) lie in a polygon.

    ``polygon`` is in the coordinates' own units (first two components);
    unplaced (NaN) pixels are outside. Computed ``rows`` at a time.
    """
    spatial = tuple(coords.shape[1:])
    out = np.zeros(spatial, np.uint8)
    path = MplPath(np.asarray(polygon, float))
    for start in range(0, spatial[0], rows):
        block = np.asarray(coords[:2, start : start + rows], np.float64)
        flat = block.reshape(2, -1).T
        ok = np.isfinite(flat).all(axis=1)
        inside = np.zeros(len(flat), bool)
        if ok.any():
            inside[ok] = path.contains_points(flat[ok])
        out[start : start + rows] = inside.reshape(block.shape[1:])
    return out


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

    def finish(self, job: Job) -> None:
        """Add the layers of what a pixel job placed (marked partial if stopped)."""
        pm, ctx = job.pixel_map, job.ctx
        if pm is None or pm.done == 0:
            if job.cancelled:
                old = any(
                    kind_of(lay) == "pixel_map" and source_of(lay) == ctx.source_name
                    for lay in self.viewers.main.layers
                )
                self.session.say(
                    "Stopped before any pixel was placed: no pixel layers were made"
                    + (" (those shown are of an earlier fit)." if old else ".")
                )
            return
        viewer = self.viewers.main
        self._remove_old(ctx.source_name)
        suffix = partial_suffix(pm.done, pm.total)
        meta = {
            "source": ctx.source_name,
            "complete": bool(pm.complete),
            "done": int(pm.done),
            "total": int(pm.total),
            "fraction": float(pm.done / max(pm.total, 1)),
        }
        where = {"scale": ctx.pixel_scale, "translate": ctx.pixel_translate}
        Y = np.asarray(job.model.embedding_)
        lo, hi = position_bounds(Y)
        layers = []
        for j, name in enumerate(coord_names(pm.coords.shape[0])):
            layers.append(
                viewer.add_image(
                    pm.coords[j],
                    name=f"{ctx.source_name} {name}{suffix}",
                    colormap="viridis",
                    contrast_limits=(float(lo[j]), float(max(hi[j], lo[j] + 1e-6))),
                    blending="additive",
                    visible=False,
                    metadata=tag("pixel_map", component=name, **meta),
                    **where,
                )
            )
        rgba = position_image(pm.coords, bounds=(lo, hi))
        layers.append(
            viewer.add_image(
                rgba,
                name=f"{ctx.source_name} position colours{suffix}",
                rgb=True,
                metadata=tag("pixel_map", component="rgba", **meta),
                **where,
            )
        )
        self.layers, self.coords, self._where = layers, pm.coords, where
        self._layout, self._source = Y.copy(), ctx.source_name
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
        mask = polygon_mask(self.coords, raw)
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
        from napari.utils.colormaps import DirectLabelColormap

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

    def _clear_lasso(self, *_) -> None:
        layer = self.lasso_layer
        if self.viewers.alive(layer) and layer.data.any():
            layer.data[...] = 0
            layer.refresh()
