"""Where layers are: the main viewer, the optional separate one, their windows.

:class:`Viewers` answers "which viewer holds this layer?" for our result
layers (which may sit in the separate embedding viewer), finds the user's
layers by name, hands out the viewer a run draws into, and tells when the
main window is closing. GUI thread only.
"""

from __future__ import annotations

import weakref

from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QMainWindow, QWidget

from ..app.targets import unwrap
from .embedding_viewer import EmbeddingViewer, WindowWatcher

__all__ = ["Viewers"]


class Viewers(QObject):
    """The main napari viewer and the separate embedding viewer.

    Parameters
    ----------
    main : napari.viewer.Viewer
        The viewer the dock widget belongs to.
    dock : QWidget
        The dock widget (its main window is watched; it is the parent).

    Attributes
    ----------
    separate : EmbeddingViewer
        The owner of the optional second viewer.
    main_is_closing : bool
        The main window is closing: nothing new is opened any more.

    Signals
    -------
    main_closing()
        The main window is closing (after napari's "close?" question).
    """

    main_closing = Signal()

    def __init__(self, main, dock: QWidget):
        super().__init__(dock)
        self.main = main
        self.separate = EmbeddingViewer(parent=self)
        self.main_is_closing = False
        self._dock = weakref.ref(dock)
        self._watcher: WindowWatcher | None = None

    # ---------------------------------------------------------- layers
    def layer(self, name: str | None):
        """Return the main viewer's layer called ``name`` (None if there is none)."""
        if not name:
            return None
        try:
            return self.main.layers[name]
        except (KeyError, ValueError):
            return None

    def name_of(self, layer_or_name) -> str:
        """Return the name of a layer of the main viewer, given it or its name.

        Raises
        ------
        ValueError
            When there is no such layer.
        """
        x = layer_or_name
        name = x if isinstance(x, str) else getattr(x, "name", None)
        if name is None or self.layer(name) is None:
            raise ValueError(f"layer {x!r} is not in the viewer")
        return name

    def contains(self, layer, viewer=None) -> bool:
        """Return whether ``layer`` is in ``viewer`` (default: the main one)."""
        if layer is None:
            return False
        viewer = self.main if viewer is None else viewer
        target = unwrap(layer)
        return any(unwrap(lay) is target for lay in viewer.layers)

    def of(self, layer):
        """Return the viewer (main or separate) holding ``layer``, or None."""
        for viewer in (self.main, self.separate.viewer):
            if viewer is not None and self.contains(layer, viewer):
                return viewer
        return None

    def alive(self, layer) -> bool:
        """Return whether one of our layers is still in one of the viewers."""
        return self.of(layer) is not None

    def for_run(self, run, *, closed: bool = False):
        """Return the viewer that shows a run's results (None: do not show).

        The separate viewer is created on demand, except after it was closed
        during this run, while the main viewer is closing, or once the dock
        widget is ``closed``. It opens beside the main window.
        """
        if not run.separate:
            return self.main
        create = not (run.viewer_closed or self.main_is_closing or closed)
        window = self.main_window()
        return self.separate.get(
            create=create,
            show=window is not None and window.isVisible(),
            beside=window,
        )

    # --------------------------------------------------------- windows
    def main_window(self) -> QMainWindow | None:
        """Return the main window the dock is in (also when floating)."""
        w = self._dock()
        while w is not None and not isinstance(w, QMainWindow):
            w = w.parentWidget()
        return w

    def watch_main(self) -> None:
        """Emit :attr:`main_closing` when the main window closes."""
        win = self.main_window()
        if win is None:
            return
        old = self._watcher
        if old is not None:
            if old.window is win:
                return
            old.closing.disconnect(self._on_main_closing)
            old.deleteLater()
        self._watcher = WindowWatcher(win, parent=self)
        self._watcher.closing.connect(self._on_main_closing)

    def _on_main_closing(self) -> None:
        self.main_is_closing = True
        self.main_closing.emit()
