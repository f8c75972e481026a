"""Screenshots of the widget at scale for docs/tutorial.md (``make docs``).

Called by ``docs/make_screenshots.py`` after the tutorial's steps (or alone:
``docs/make_screenshots.py --only scale``); each picture is a fresh napari
window (1600 x 1000), driven through the widget's public API with a fixed
seed:

========================  ==================================================
``tut_9_sources.png``     three fields of view (the bundled nuclei cut into
                          three strips, border nuclei removed) embedded
                          together and coloured by source; a lasso around
                          the bright cluster lights its nuclei up in every
                          field
``tut_10_pixels.png``     every pixel of scikit-image's immunohistochemistry
                          image (RGB, 512 x 512) placed after a fit on 20 000
                          pixels: in napari's grid, the image with the pixels
                          of a lassoed (brown, DAB-stained) region lit up,
                          beside the "position colours" layer and the
                          embedding coloured by position
``tut_15_density.png``    200 000 objects of a table (30 clusters in 20-D,
                          one 3x3 object each) drawn as a density picture
                          coloured by cluster; a lasso around one cluster
                          lights its objects up in the image
``tut_16_density_sweep``  the same objects' spectrum sweep (s = 0, 0.5, 1):
                          one density picture per position, shown at s = 0
========================  ==================================================
"""

from __future__ import annotations

import numpy as np
from make_screenshots import SIZE, cluster_of, polygon_around, settle, wait_until

__all__ = ["shoot_density", "shoot_every_pixel", "shoot_many_fields"]

FIELDS = 3
GAP = 12  # pixels between the fields as laid out in the viewer


def _viewer(title: str):
    import napari

    viewer = napari.Viewer(title=title, show=True)
    viewer.window.resize(*SIZE)
    return viewer


def _dock(viewer, **params):
    _, w = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    w.set_params(random_state=0, **params)
    return w


def _run(widget, what: str, timeout: float = 300.0) -> None:
    done: list[str] = []
    widget.run_finished.connect(done.append)
    if widget.run() is None:
        raise RuntimeError(f"{what} did not start: {widget.last_error}")
    wait_until(lambda: "fit" in done and not widget.is_running, what, timeout)
    if widget.last_error:
        raise RuntimeError(f"{what}: {widget.last_error}")


def _hide_docks(viewer) -> None:
    qv = viewer.window._qt_viewer
    for d in (qv.dockLayerList, qv.dockLayerControls):
        d.setVisible(False)


def _shot(viewer, path) -> None:
    viewer.screenshot(str(path), canvas_only=False, flash=False)
    print(f"wrote {path}", flush=True)


def shoot_many_fields(out) -> list:
    """Three fields of view in one embedding, coloured by source."""
    from skimage.segmentation import clear_border

    from napari_cne.data import load_human_mitosis

    dna, labels = load_human_mitosis()
    viewer = _viewer("napari-cne: many fields")
    try:
        width = dna.shape[1] // FIELDS
        names = []
        for i in range(FIELDS):
            cut = slice(i * width, (i + 1) * width)
            where = (0, i * (width + GAP))
            viewer.add_image(dna[:, cut], name=f"DNA field {i + 1}", translate=where)
            lab = clear_border(labels[:, cut])  # whole nuclei only
            viewer.add_labels(lab, name=f"nuclei field {i + 1}", translate=where)
            names.append(f"nuclei field {i + 1}")
        w = _dock(viewer, n_epochs=200)
        w.set_input(labels=names)
        _run(w, "the many-fields run")
        pts = w.points_layer
        feats = pts.features
        print(feats["source"].value_counts().to_dict(), flush=True)
        # the bright (mitotic) cluster, lassoed: lit in every field
        xy = np.asarray(pts.data, float)
        dna_mean = feats["DNA_mean"].to_numpy()
        span = float(np.ptp(xy, axis=0).max())
        rows = cluster_of(xy, int(np.argmax(dna_mean)), 0.06 * span)
        sel = w.selection
        sel.set_lasso(True)
        sel.lasso_layer.add(
            polygon_around(xy[rows], 0.035 * span), shape_type="polygon"
        )
        keys = np.asarray(sel.selected)
        chosen = feats.iloc[w.selection.linker.rows_of(keys)]
        per_field = chosen["source"].value_counts().to_dict()
        print(f"lasso: {len(keys)} nuclei, per field {per_field}", flush=True)
        if len(per_field) < 2 or chosen["DNA_mean"].mean() <= dna_mean.mean():
            raise RuntimeError(
                "the lasso did not catch bright nuclei of several fields"
            )
        w.results_panel.color_combo.setCurrentText("source")
        viewer.layers.selection.active = pts
        _hide_docks(viewer)
        settle()
        viewer.reset_view(margin=0.03)
        path = out / "tut_9_sources.png"
        _shot(viewer, path)  # before the widget clears the outline
        return [path]
    finally:
        viewer.close()


def _dab_region(widget, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the embedding where the most DAB-stained pixels sit (and DAB)."""
    from skimage.color import rgb2hed

    f = widget.points_layer.features
    values = rgb[f["y"].to_numpy(), f["x"].to_numpy()]
    dab = rgb2hed(values[None].astype(float) / 255)[0][:, 2]
    xy = np.asarray(widget.points_layer.data, float)
    top = np.flatnonzero(dab > np.percentile(dab, 90))
    # the bulk of them: leave out the few far from their median place
    dist = np.linalg.norm(xy[top] - np.median(xy[top], axis=0), axis=1)
    return top[dist < 2 * np.median(dist)], dab


def shoot_every_pixel(out) -> list:
    """Every pixel of an RGB histology image, mapped back as position colours."""
    from skimage.data import immunohistochemistry

    from napari_cne._qt.panels.results import POSITION

    rgb = immunohistochemistry()
    viewer = _viewer("napari-cne: every pixel")
    try:
        src = viewer.add_image(rgb, name="IHC", rgb=True)
        w = _dock(viewer, n_epochs=150, n_neighbors=15)
        w.set_input(image="IHC", max_pixels=20_000, every_pixel=True)
        _run(w, "the every-pixel run", timeout=600)
        w.results_panel.color_combo.setCurrentText(POSITION)
        w.points_layer.size = 4  # 20 000 points: a little larger to be seen
        rows, dab = _dab_region(w, rgb)
        print(
            f"lasso: {len(rows)} sampled pixels, DAB {dab[rows].mean():.3f} "
            f"(all {dab.mean():.3f})",
            flush=True,
        )
        xy = np.asarray(w.points_layer.data, float)
        span = float(np.ptp(xy, axis=0).max())
        w.selection.set_lasso(True)
        outline = polygon_around(xy[rows], 0.01 * span)
        w.selection.lasso_layer.add(outline, shape_type="polygon")
        lasso = w.pixel_view.lasso_layer
        if lasso is None or not 0.005 < lasso.data.mean() < 0.5:
            raise RuntimeError("the lasso lit no sensible share of the pixels")
        print(f"lasso pixels: {lasso.data.mean():.1%} of the image", flush=True)
        # napari's grid, three layers a cell: the image with the lit pixels
        # (and a hidden layer) | the position colours, the embedding beside
        # them and the lasso's outline
        layers = viewer.layers
        linker = w.selection.linker
        for lay in (linker.rings, linker.overlay):
            # 2 000 rings would hide the colours; the sampled pixels' overlay
            # is covered by the full-resolution one
            if lay is not None:
                lay.visible = False
        order = [src, lasso, layers["IHC cne_0"], layers["IHC position colours"]]
        order += [w.points_layer, w.selection.lasso_layer]
        for i, lay in enumerate(order):
            layers.move(layers.index(lay), i)
        viewer.grid.stride = 3
        viewer.grid.enabled = True
        _hide_docks(viewer)
        settle()
        viewer.reset_view(margin=0.03)
        settle()
        path = out / "tut_10_pixels.png"
        _shot(viewer, path)
        return [path]
    finally:
        viewer.close()


def _blobs_table(n: int):
    """``n`` rows of 30 Gaussian clusters in 20-D, and one 3x3 object per row."""
    import pandas as pd
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n, n_features=20, centers=30, center_box=(-10, 10), random_state=0
    )
    df = pd.DataFrame(X.astype(np.float32), columns=[f"f{i}" for i in range(20)])
    df.insert(0, "label", np.arange(1, n + 1))
    df["cluster"] = pd.Categorical([f"c{v:02d}" for v in y])
    side = int(np.ceil(np.sqrt(n)))
    ids = np.zeros(side * side, np.int32)
    ids[:n] = np.arange(1, n + 1)
    labels = np.zeros((4 * side, 4 * side), np.int32)
    for dy in range(3):
        for dx in range(3):
            labels[dy::4, dx::4] = ids.reshape(side, side)
    return df, labels


def shoot_density(out, n: int = 200_000) -> list:
    """A big table drawn as a density picture, a lasso lighting up its objects."""
    df, labels = _blobs_table(n)
    viewer = _viewer("napari-cne: 200 000 objects")
    viewer.add_labels(labels, name="cells", features=df, opacity=0.4)
    widget = _dock(viewer)
    widget.set_input(table_layer="cells", columns=[f"f{i}" for i in range(20)])
    _run(widget, "the 200 000-object fit", timeout=900)
    widget.results_panel.color_combo.setCurrentText("cluster")
    xy = widget.selection.linker.layout()
    # the cluster furthest to the right (its own points, not a radius search)
    codes = widget.points_layer.features["cluster"].cat.codes.to_numpy()
    right = codes[np.argmax(xy[:, 1])]
    rows = np.flatnonzero(codes == right)
    widget.selection.set_lasso(True)
    widget.selection.lasso_layer.add(
        polygon_around(xy[rows], 0.01 * float(np.ptp(xy[:, 0]))), shape_type="polygon"
    )
    settle()
    _hide_docks(viewer)
    viewer.reset_view(margin=0.03)
    settle()
    path = out / "tut_15_density.png"
    _shot(viewer, path)
    # the sweep of so many objects: one density picture per position
    widget.selection.set_lasso(False)
    widget.selection.select([])
    done: list[str] = []
    widget.run_finished.connect(done.append)
    if widget.sweep((0.0, 0.5, 1.0)) is None:
        raise RuntimeError(f"the sweep did not start: {widget.last_error}")
    wait_until(lambda: "sweep" in done and not widget.is_running, "the sweep", 900)
    axis = list(viewer.dims.axis_labels).index("spectrum s")
    viewer.dims.set_point(axis, 0.0)
    viewer.reset_view(margin=0.03)
    settle()
    sweep_path = out / "tut_16_density_sweep.png"
    _shot(viewer, sweep_path)
    # the quality readout (and each object's trust) runs in a worker: let it
    # end before the window closes
    wait_until(lambda: widget.quality is not None, "the quality readout", 600)
    viewer.close()
    return [path, sweep_path]
