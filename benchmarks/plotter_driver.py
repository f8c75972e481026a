"""Drives napari-clusters-plotter's (0.11.0) plotter widget from code.

For ``benchmarks/million.py``: the real widget, at its defaults.

Targets napari-clusters-plotter 0.11.0 + biaplotter 0.4.3 (napari 0.9.2, PyQt6).
Nothing here patches the plugin; it only calls the same Qt/psygnal entry points
a user's clicks end up in.

Usage (inside a running napari session / xvfb):

    from plotter_driver import build_driver, flush
    d = build_driver(viewer, layer_name="labels", x="cne_0", y="cne_1")
    n = d.lasso(poly_xy); flush()
    d.color_by("f0"); flush()
    d.color_by("cls"); flush()

Key entry points (file:line refer to the installed packages):
  * napari_clusters_plotter._new_plotter_widget.PlotterWidget(napari_viewer)
      (menu: "Plot & select features", command napari-clusters-plotter.plotter)
  * x/y/hue:  PlotterWidget.x_axis / y_axis / hue_axis setters (-> QComboBox
      currentTextChanged -> plot_needs_update -> PlotterWidget._replot)
  * plot type: PlotterWidget.plotting_type = "SCATTER" | "HISTOGRAM2D"
      (control_widget.plot_type_box -> _on_plot_type_changed). No automatic switch.
  * lasso end: biaplotter.selectors.InteractiveLassoSelector.on_select(vertices)
      (the callback matplotlib's LassoSelector._release calls with self.verts)
      -> Interactive.apply_selection -> selection_applied_signal.emit(color_indices)
      -> CanvasWidget._on_finish_drawing + PlotterWidget._on_finish_draw
      -> MANUAL_CLUSTER_ID written, hue set to MANUAL_CLUSTER_ID, _replot,
         _update_layer_colors -> _set_layer_color -> Labels.colormap =
         DirectLabelColormap(...) ; layer.refresh()
"""

from __future__ import annotations

import types

import numpy as np

__all__ = ["versions", "flush", "open_plotter", "build_driver"]


def versions() -> dict:
    """Installed versions of the relevant packages."""
    from importlib.metadata import version

    out = {}
    for pkg in (
        "napari-clusters-plotter",
        "biaplotter",
        "napari",
        "napari-matplotlib",
        "nap-plot-tools",
        "matplotlib",
    ):
        try:
            out[pkg] = version(pkg)
        except Exception:  # pragma: no cover
            out[pkg] = "?"
    return out


def flush(n: int = 2) -> None:
    """Let Qt run the deferred work: matplotlib draw_idle of the plot canvas and
    the vispy repaint of the napari canvas (both are queued, not synchronous)."""
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance()
    for _ in range(n):
        app.processEvents()


def open_plotter(viewer, layer=None, via_plugin_menu: bool = False):
    """Open the plotter dock widget and select `layer` (a Layer or its name).

    via_plugin_menu=False: construct PlotterWidget(viewer) and add it with
        viewer.window.add_dock_widget (what the plugin's own tests do).
    via_plugin_menu=True: the npe2 path the Plugins menu uses
        (viewer.window.add_plugin_dock_widget('napari-clusters-plotter',
         'Plot & select features')).
    The layer must be selected in the layer list: the widget reads
    viewer.layers.selection (BaseWidget.get_valid_layers).
    """
    if layer is not None:
        if isinstance(layer, str):
            layer = viewer.layers[layer]
        # select the layer BEFORE creating the widget, so __init__ picks it up
        viewer.layers.selection.active = layer
        viewer.layers.selection.clear()
        viewer.layers.selection.add(layer)
        viewer.layers.selection.active = layer

    if via_plugin_menu:
        dock, widget = viewer.window.add_plugin_dock_widget(
            "napari-clusters-plotter", "Plot & select features"
        )
    else:
        from napari_clusters_plotter import PlotterWidget

        widget = PlotterWidget(viewer)
        dock = viewer.window.add_dock_widget(
            widget, area="right", name="Plot & select features"
        )
    flush()
    return dock, widget


def _select_lasso_tool(widget) -> None:
    """Click the LASSO button of the biaplotter selection toolbar (checkable
    CustomToolButton; its `toggled` is wired to CanvasWidget._on_toggle_button,
    which uses sender().text(), so it must be driven through the Qt signal)."""
    cw = widget.plotting_widget
    btn = cw.selection_toolbar.buttons["LASSO"]
    if not btn.isChecked():
        btn.setChecked(True)  # emits toggled -> active_selector = "LASSO"
    assert cw.active_selector is cw.selectors["LASSO"], cw.active_selector


def build_driver(
    viewer,
    layer_name: str = "labels",
    x: str = "cne_0",
    y: str = "cne_1",
    plot_type: str = "SCATTER",
    via_plugin_menu: bool = False,
    class_value: int | None = None,
):
    """Open the widget on `layer_name`, set x/y, draw, activate the lasso tool.

    Returns a SimpleNamespace with:
        widget, dock, layer
        lasso(polygon_xy, via_mouse_events=False) -> number of selected points
        color_by(column)
        set_plot_type("SCATTER" | "HISTOGRAM2D")
    """
    layer = viewer.layers[layer_name]
    dock, w = open_plotter(viewer, layer, via_plugin_menu=via_plugin_menu)
    if w.layers != [layer]:
        raise RuntimeError(f"plotter did not pick up the layer: {w.layers}")

    cw = w.plotting_widget  # biaplotter.plotter.CanvasWidget

    def set_plot_type(kind: str) -> None:
        kind = kind.upper()
        if w.plotting_type != kind:
            w.plotting_type = kind  # plot_type_box -> _on_plot_type_changed -> _replot
        else:
            w.plot_needs_update.emit()

    # x/y: each setter does setCurrentText (-> currentTextChanged -> _replot when
    # the text changes) and then emits plot_needs_update again (second _replot).
    w.x_axis = x
    w.y_axis = y
    if (w.x_axis, w.y_axis) != (x, y):
        raise RuntimeError(
            f"x/y not available in the combo boxes: {w.x_axis}, {w.y_axis}"
        )
    set_plot_type(plot_type)
    if class_value is not None:
        cw.class_spinbox.value = int(class_value)
    _select_lasso_tool(w)
    flush()

    def _lasso_via_mouse_events(verts: np.ndarray) -> None:
        """Synthesize press/move/release on the matplotlib canvas in display
        pixels; matplotlib's LassoSelector collects verts and, on release, calls
        InteractiveLassoSelector.on_select(verts)."""
        from matplotlib.backend_bases import MouseButton, MouseEvent

        canvas = cw.canvas
        ax = cw.axes
        pix = ax.transData.transform(verts)
        first = pix[0]
        MouseEvent(
            "button_press_event", canvas, *first, button=MouseButton.LEFT
        )._process()
        for px, py in pix[1:]:
            MouseEvent(
                "motion_notify_event", canvas, px, py, buttons={MouseButton.LEFT}
            )._process()
        MouseEvent(
            "button_release_event", canvas, *first, button=MouseButton.LEFT
        )._process()

    def lasso(polygon_xy, via_mouse_events: bool = False) -> int:
        """Simulate the end of a user's lasso over `polygon_xy` ((M,2) in plot /
        data coordinates of the x, y features).

        When this returns, the plugin has synchronously: assigned the current
        class (class spinbox, default 1) to the points inside, written
        layer.features['MANUAL_CLUSTER_ID'], switched hue to MANUAL_CLUSTER_ID,
        replotted and set a new DirectLabelColormap on the Labels layer
        (+ layer.refresh()). Only the matplotlib draw_idle and the vispy
        repaint are still queued -> call flush()/processEvents() after it.
        Returns the number of points inside the polygon.
        """
        verts = np.asarray(polygon_xy, dtype=float)
        sel = cw.selectors["LASSO"]
        if cw.active_selector is not sel or sel._selector is None:
            _select_lasso_tool(w)
        # count for the caller (same test the selector does: mpl Path.contains_points)
        from matplotlib.path import Path as _P

        n_in = int(_P(verts).contains_points(sel.data).sum())
        if via_mouse_events:
            _lasso_via_mouse_events(verts)
        else:
            # exactly what matplotlib LassoSelector._release does at mouse-up:
            #   self.onselect(self.verts)  -> InteractiveLassoSelector.on_select
            sel._selector.onselect([tuple(v) for v in verts])
        return n_in

    def color_by(column: str) -> None:
        """'Colour by' = the hue combo box (control_widget.hue_box).

        hue_axis setter -> setCurrentText -> currentTextChanged ->
        plot_needs_update -> _replot -> artist.color_indices = features[column]
        -> _update_layer_colors(True) -> Labels colormap. If the hue is already
        `column`, nothing would fire, so emit plot_needs_update like the widget does.
        """
        if w.hue_axis != column:
            w.hue_axis = column  # raises ValueError if column not in features
        else:
            w.plot_needs_update.emit()

    return types.SimpleNamespace(
        widget=w,
        dock=dock,
        layer=layer,
        canvas_widget=cw,
        lasso=lasso,
        color_by=color_by,
        set_plot_type=set_plot_type,
    )
