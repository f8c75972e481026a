"""Fixtures beside the real napari-clusters-plotter: its plotter, our embedding."""

from __future__ import annotations

import pytest
from napari_clusters_plotter import PlotterWidget

from tests._qt.test_widget import FAST, run_and_wait
from tests.conftest import dock


def open_plotter(qtbot, viewer, layer):
    """Dock its plotter with ``layer`` selected; return it."""
    viewer.layers.selection.active = layer
    plotter = PlotterWidget(viewer)
    viewer.window.add_dock_widget(plotter)
    qtbot.wait(10)
    return plotter


@pytest.fixture
def both(qtbot, cells_viewer):
    """Our embedding of the 64 discs (viewer, widget, labels layer).

    Clearing the layer selection before the viewer closes keeps the plotter
    from replotting (and failing) while the layers go.
    """
    viewer = cells_viewer
    widget = dock(viewer, **FAST)
    run_and_wait(qtbot, widget)
    assert widget.last_error is None
    yield viewer, widget, viewer.layers["objects"]
    viewer.layers.selection.clear()
