"""A second napari viewer for the embedding, and close detection of windows.

:class:`WindowWatcher` tells when a napari main window is really closing
(after napari's own "close this window?" question was answered yes).
:class:`EmbeddingViewer` owns the optional second ``napari.Viewer`` that
shows the embedding on its own: created on demand, reused while open,
created again after it was closed, and fully closed (its ``Viewer`` model
included) however its window goes away.
"""

from __future__ import annotations

import contextlib
import weakref

from qtpy.QtCore import QEvent, QObject, Signal
from qtpy.QtWidgets import QApplication

__all__ = ["EmbeddingViewer", "WindowWatcher"]


class WindowWatcher(QObject):
    """Emit :attr:`closing` once, when a napari main window is closing.

    A programmatic close (``viewer.close()``, napari's "Close Window" menu,
    which asks its question before closing) is reported at once. A close
    from the window system (the title bar's close button) is reported when
    the window is hidden afterwards: napari may ask "close this window?"
    inside the close event, and a "no" must not stop anything.

    Parameters
    ----------
    window : QMainWindow
        The napari main window (``viewer.window._qt_window``).
    qt_viewer : QWidget, optional
        The window's ``QtViewer``. napari's ``Window.close()`` closes it just
        before the main window, so a Close seen here first means that the
        ``Viewer`` model is being closed by napari itself
        (:attr:`napari_closing`).
    parent : QObject, optional
    """

    closing = Signal()

    def __init__(self, window, qt_viewer=None, parent: QObject | None = None):
        super().__init__(parent)
        self._window = weakref.ref(window)
        self._qt_viewer = weakref.ref(qt_viewer) if qt_viewer is not None else None
        self.napari_closing = False
        self.fired = False
        self._pending = False
        window.installEventFilter(self)
        if qt_viewer is not None:
            qt_viewer.installEventFilter(self)

    @property
    def window(self):
        """The watched window (None once it is gone)."""
        return self._window()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        """Watch Close (and Hide after a window-system Close)."""
        if self.fired:
            return False
        etype = event.type()
        if etype not in (QEvent.Type.Close, QEvent.Type.Hide):
            return False
        qt_viewer = self._qt_viewer() if self._qt_viewer is not None else None
        if obj is qt_viewer and qt_viewer is not None:
            if etype == QEvent.Type.Close:
                self.napari_closing = True
            return False
        if obj is not self._window():
            return False
        if etype == QEvent.Type.Close:
            if event.spontaneous():
                self._pending = True  # decided in napari's closeEvent
            else:
                self._fire()
        elif self._pending and not event.spontaneous():
            # the hide that follows an accepted close (a minimised window
            # gets a spontaneous Hide instead)
            self._fire()
        return False

    def _fire(self) -> None:
        self.fired = True
        self.closing.emit()


class EmbeddingViewer(QObject):
    """The optional second napari viewer that shows the embedding.

    Attributes
    ----------
    viewer : napari.Viewer or None
        The open viewer (None before the first use and after it was closed).
    autoframe : bool
        Re-fit the camera when the layout grows or shrinks; turned off by
        the first mouse press or wheel turn on its canvas (the user took
        over the camera) and on again at each new fit.

    Signals
    -------
    opened(object)
        A new viewer was created (the ``napari.Viewer``).
    closed()
        The viewer's window is closing (user, script or the main window
        closing). Emitted before its layers are removed by our cleanup.
    """

    opened = Signal(object)
    closed = Signal()

    def __init__(self, title: str = "napari-cne embedding", parent=None):
        super().__init__(parent)
        self.title = title
        self.viewer = None
        self.autoframe = True
        self._watcher: WindowWatcher | None = None
        self._closing = False

    @property
    def is_open(self) -> bool:
        """True while the second viewer exists and has not been closed."""
        return self.viewer is not None

    def get(self, *, create: bool = True, show: bool = True, beside=None):
        """Return the open viewer, creating it if needed (and allowed).

        Parameters
        ----------
        create : bool
            Create a new viewer when none is open; otherwise return None.
        show : bool
            Show the new viewer's window.
        beside : QWidget, optional
            A window to place the new one to the right of (on the same
            screen, if there is room).
        """
        if self.viewer is not None or not create:
            return self.viewer
        import napari

        viewer = napari.Viewer(title=self.title, show=show)
        self.viewer = viewer
        self.autoframe = True
        qt_window = viewer.window._qt_window
        # the main window's saved geometry is what napari restores at start:
        # do not let this auxiliary window overwrite it when it closes
        with contextlib.suppress(AttributeError, TypeError):
            qt_window._save_current_window_settings = lambda *_: None
        self._watcher = WindowWatcher(qt_window, viewer.window._qt_viewer, self)
        self._watcher.closing.connect(self._on_closing)
        ref = weakref.ref(self)

        def _user_camera(*_):
            me = ref()
            if me is not None:
                me.autoframe = False

        viewer.mouse_drag_callbacks.append(_user_camera)
        viewer.mouse_wheel_callbacks.append(_user_camera)
        if show and beside is not None:
            _place_beside(qt_window, beside)
        self.opened.emit(viewer)
        return viewer

    def reset_view(self) -> None:
        """Fit the camera to the layers (if the viewer is open)."""
        if self.viewer is not None:
            self.viewer.reset_view()

    def close(self) -> None:
        """Close the viewer (if open); no-op otherwise."""
        viewer = self.viewer
        if viewer is None or self._closing:
            return
        self._closing = True
        try:
            viewer.close()
        finally:
            self._closing = False
            self._forget()

    def _forget(self) -> None:
        watcher, self._watcher = self._watcher, None
        self.viewer = None
        if watcher is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                watcher.closing.disconnect(self._on_closing)

    def _on_closing(self) -> None:
        viewer, watcher = self.viewer, self._watcher
        if viewer is None:
            return
        self.closed.emit()
        if self._closing or (watcher is not None and watcher.napari_closing):
            # viewer.close() is running: it cleans the model up itself
            self._forget()
            return
        # the window was closed at the Qt level (title bar, "Close Window"):
        # napari leaves the Viewer model (and its layers) behind, so close it
        # now, while its Qt side still exists
        self._closing = True
        try:
            viewer.close()
        except (AttributeError, RuntimeError):  # pragma: no cover - napari internals
            with contextlib.suppress(Exception):
                viewer.layers.clear()
        finally:
            self._closing = False
            self._forget()


def _place_beside(window, other) -> None:
    """Move ``window`` to the right of ``other``, within ``other``'s screen."""
    try:
        screen = other.screen() or QApplication.primaryScreen()
        avail = screen.availableGeometry()
        geo = other.frameGeometry()
        width = min(max(window.width(), 600), max(avail.width() // 2, 400))
        height = min(max(window.height(), 500), avail.height())
        window.resize(width, height)
        x = geo.right() + 1
        if x + width > avail.right():
            x = max(avail.right() - width, avail.left())
        y = min(max(geo.top(), avail.top()), max(avail.bottom() - height, avail.top()))
        window.move(x, y)
    except (AttributeError, RuntimeError):  # pragma: no cover - cosmetic only
        pass
