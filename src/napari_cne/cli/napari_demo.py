"""The napari demo: the bundled sample, the dock widget, a live embedding.

What a user does: napari opens the sample and the plugin's dock widget
through napari's own plugin manager, and the widget's scripting API starts
the run (nothing here imports the widget package). Run by ``napari-cne
demo``; napari and Qt are imported only when it runs.
"""

from __future__ import annotations

import time

__all__ = ["show_demo"]


def show_demo(
    screenshot: str | None = None,
    n_epochs: int = 300,
    *,
    s: float = 1.0,
    size: tuple[int, int] = (1600, 1000),
    timeout: float = 300.0,
):
    """Open napari with the sample data and start a live embedding.

    Parameters
    ----------
    screenshot : str, optional
        If given, wait for the embedding to finish, save a full-window PNG
        there and close napari (for machines without a display). Otherwise
        napari keeps running until its window is closed.
    n_epochs : int
        Epochs of the embedding.
    s : float
        Spectrum position (0 = t-SNE-like, 1 = UMAP-like).
    size : (int, int)
        Window width and height in pixels.
    timeout : float
        Give up waiting for the run after this many seconds (screenshot mode).

    Returns
    -------
    napari.Viewer or str
        The viewer, or the screenshot path in screenshot mode.
    """
    import napari
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    viewer = napari.Viewer(title="napari-cne demo", show=True)
    viewer.window.resize(*size)
    viewer.open_sample("napari-cne", "human_mitosis_nuclei")
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_params(n_epochs=n_epochs, s=s)
    worker = widget.run()
    if worker is None:
        raise RuntimeError(f"the demo run did not start: {widget.last_error}")
    if screenshot is None:
        napari.run()
        return viewer

    app = QApplication.instance()
    result: dict[str, object] = {}

    def finish(kind: str = "") -> None:
        if "done" in result:
            return
        result["done"] = True
        viewer.layers.selection.active = viewer.layers["nuclei"]
        t0 = time.perf_counter()  # let the quality readout arrive
        while widget.quality is None and time.perf_counter() - t0 < 20:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(5):  # nested layouts settle in a few passes
            app.processEvents()
        viewer.screenshot(screenshot, canvas_only=False, flash=False)
        viewer.close()
        app.quit()

    widget.run_finished.connect(finish)
    QTimer.singleShot(int(timeout * 1000), finish)
    app.exec()
    return screenshot
