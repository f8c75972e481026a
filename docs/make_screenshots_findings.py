"""Screenshots of docs/tutorial.md section 11: from a map to a finding.

Called by ``make_screenshots.py`` (``--only findings``, or all). The real
napari window (1600 x 1000) with the bundled mitosis nuclei, driven through
the widget's public API (docs/scripting.md) with a fixed seed:

=========================  =================================================
``tut_11_clusters.png``    Leiden clusters of the map (coloured by
                           ``cne_cluster``) and the robustness heat map
``tut_12_describe.png``    the brightest cluster described: its features,
                           the DNA histogram, the nuclei coloured by DNA
``tut_13_gallery.png``     the gallery of that cluster, docked below
``tut_14_pixels.png``      classes predicted for every pixel of a histology
                           image from five named pixels each
``tut_plotter.png``        napari-clusters-plotter beside the widget: its
                           plot of our coordinates, hue ``CNE_CLUSTER_ID``,
                           a class in one colour in both (needs the plugin:
                           ``pip install -e ".[interop]"``)
=========================  =================================================
"""

from __future__ import annotations

import numpy as np
from make_screenshots import settle, wait_until
from make_screenshots_scale import _dock, _hide_docks, _run, _shot, _viewer

__all__ = ["shoot_findings"]

DNA = "DNA (human mitosis)"


def _show_in_dock(widget, child) -> None:
    """Scroll the dock so that ``child`` (a panel of the findings) is seen."""
    widget._scroll.ensureWidgetVisible(child, 0, 0)  # noqa: SLF001 - a picture
    settle()


def _expand(widget, title: str) -> None:
    from superqt import QCollapsible

    for fold in widget.findings.findChildren(QCollapsible):
        if fold.text() == title:
            fold.expand(animate=False)
        else:
            fold.collapse(animate=False)
    settle()


def _objects(out) -> list:
    viewer = _viewer("napari-cne: findings")
    written = []
    try:
        viewer.open_sample("napari-cne", "human_mitosis_nuclei")
        w = _dock(viewer, s=1.0, n_epochs=200)
        w.set_input(labels="nuclei", images=[DNA])
        _run(w, "the fit")
        _hide_docks(viewer)
        clusters = w.findings.clusters
        done: list = []
        clusters.clustered.connect(done.append)
        if w.cluster("leiden", 1.0) is None:
            raise RuntimeError(f"clustering did not start: {w.last_error}")
        wait_until(lambda: done, "the clusters")
        tables: list = []
        clusters.robustness_ready.connect(tables.append)
        w.robustness((0.0, 0.5, 1.0))
        wait_until(lambda: tables and not w.is_running, "the robustness table", 300)
        table = tables[-1]
        print(table.to_string(), flush=True)
        _expand(w, "Clusters and robustness")
        _show_in_dock(w, clusters.heat)
        viewer.reset_view()
        viewer.layers.selection.active = w.points_layer
        written.append(out / "tut_11_clusters.png")
        _shot(viewer, written[-1])

        # the cluster of the brightest nuclei, against the rest
        feats = w.points_layer.features
        bright = feats.groupby("cne_cluster", observed=True)[f"{DNA}_mean"].mean()
        cluster = int(bright.idxmax())
        ranking = w.selection.describe(group=("cne_cluster", cluster))
        print(ranking.head(8).to_string(), flush=True)
        if not str(ranking["feature"].iloc[0]).startswith(DNA):
            raise RuntimeError("the brightest cluster is not told apart by DNA")
        w.findings.describe_panel.choose(f"{DNA}_mean")
        _expand(w, "What makes it different · gallery")
        _show_in_dock(w, w.findings.describe_panel.plot)
        written.append(out / "tut_12_describe.png")
        _shot(viewer, written[-1])

        viewer.layers[f"nuclei by {DNA}_mean"].visible = False
        w.selection.gallery(n=48, group=("cne_cluster", cluster))
        settle()
        written.append(out / "tut_13_gallery.png")
        _shot(viewer, written[-1])
        w.findings.gallery_view.close()
    finally:
        viewer.close()
    return written


def _pixels(out) -> list:
    """Fifteen named pixels; their classes predicted for every pixel of the image."""
    from skimage.color import rgb2hed
    from skimage.data import immunohistochemistry

    rgb = immunohistochemistry()
    viewer = _viewer("napari-cne: classes on every pixel")
    try:
        viewer.add_image(rgb, name="IHC", rgb=True)
        w = _dock(viewer, n_epochs=150)
        w.set_input(image="IHC", max_pixels=10_000, every_pixel=True)
        _run(w, "the every-pixel run", timeout=600)
        sel = w.selection
        f = w.points_layer.features
        values = rgb[f["y"].to_numpy(), f["x"].to_numpy()]
        hed = rgb2hed(values[None].astype(float) / 255)[0]
        stains = {
            "nuclei (haematoxylin)": hed[:, 0] - hed[:, 2],
            "DAB": hed[:, 2] - hed[:, 0],
            "background": values.astype(float).sum(axis=1),
        }
        keys = sel.linker.keys
        for name, score in stains.items():  # five clear examples each
            sel.add_class(name)
            sel.select(keys[np.argsort(score)[-5:]])
            sel.assign_selection(name)
        sel.select([])
        if sel.predict("auto") is None:
            raise RuntimeError(f"predict did not start: {w.last_error}")
        name = "IHC predicted classes"
        wait_until(lambda: name in viewer.layers, "the predicted pixels", 120)
        _hide_docks(viewer)
        _expand(w, "Predicted classes")
        _show_in_dock(w, w.findings.predict_panel)
        layer = viewer.layers[name]
        data = np.asarray(layer.data).ravel()
        shares = np.bincount(data, minlength=4) / data.size
        print(f"pixels per class: {np.round(shares[1:], 3)}", flush=True)
        for lay in viewer.layers:
            lay.visible = lay.name in ("IHC", name) or lay is w.points_layer
        viewer.layers.selection.active = layer
        written = [out / "tut_14_pixels.png"]
        _shot(viewer, written[-1])
    finally:
        viewer.close()
    return written


def _plotter(out) -> list:
    """Both plugins in one viewer, three classes in the same colours."""
    from napari_clusters_plotter import PlotterWidget

    from napari_cne.features.interop import PLOTTER_CLASS_COLUMN

    viewer = _viewer("napari-cne beside napari-clusters-plotter")
    viewer.window.resize(1900, 1150)  # room for its plot below the canvas
    try:
        viewer.open_sample("napari-cne", "human_mitosis_nuclei")
        w = _dock(viewer, n_epochs=150)
        w.set_input(labels="nuclei", images=[DNA])
        _run(w, "the fit")
        feats, sel = w.points_layer.features, w.selection
        area, dna = feats["area"].to_numpy(), feats[f"{DNA}_mean"].to_numpy()
        for name, rows in (
            ("small", np.argsort(area)[:40]),
            ("large", np.argsort(area)[-40:]),
            ("bright", np.argsort(dna)[-30:]),
        ):
            sel.add_class(name)
            sel.select(sel.linker.keys[rows])
            sel.assign_selection(name)
        sel.select([])
        w.results_panel.color_combo.setCurrentText("class")
        sel.linker.overlay.visible = False  # the nuclei as the plotter colours them
        viewer.layers.selection.active = viewer.layers["nuclei"]
        plotter = PlotterWidget(viewer)
        viewer.window.add_dock_widget(plotter, name="clusters plotter", area="bottom")
        plotter.x_axis, plotter.y_axis = "cne_0", "cne_1"
        plotter.plotting_widget.show_color_overlay = True
        plotter.hue_axis = PLOTTER_CLASS_COLUMN
        settle()
        written = [out / "tut_plotter.png"]
        _shot(viewer, written[-1])
    finally:
        viewer.close()
    return written


def shoot_findings(out) -> list:
    """Write the pictures of section 11 (and beside the plotter) into ``out``."""
    return _objects(out) + _pixels(out) + _plotter(out)
