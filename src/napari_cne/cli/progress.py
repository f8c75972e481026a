"""The command line's side of a workflow: a progress bar over its events.

:func:`drive` runs a request of :mod:`napari_cne.app` to its end, moving a
tqdm bar (:class:`Progress`) with its progress events and printing its
notes as ``napari-cne: warning: ...`` lines; it returns the result.
"""

from __future__ import annotations

import sys
import warnings

from ..app.events import Done, Layout, Note, Stopped
from ..app.events import Progress as ProgressEvent

__all__ = ["Progress", "drive"]

#: what the bar says per stage
LABELS = {
    "measure": "measuring",
    "fit": "optimising",
    "anchor": "fitting the anchor",
    "sweep": "sweeping s",
    "place": "placing",
    "map": "placing pixels",
}


class Progress:
    """A tqdm bar, or nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def show(self, event: ProgressEvent) -> None:
        """Move the bar to a progress event (a new stage starts a new count)."""
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None,
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=False,
            )
        if event.stage != self.stage:
            self.stage = event.stage
            self.bar.reset(total=event.total)
            self.bar.unit = event.unit or "it"
            self.bar.set_description(
                LABELS.get(event.stage, event.stage), refresh=False
            )
        elif event.total is not None and self.bar.total != event.total:
            self.bar.total = event.total
        if event.done is not None and event.done > self.bar.n:
            self.bar.update(event.done - self.bar.n)

    def close(self) -> None:
        """Show the final count and remove the bar."""
        if self.bar is not None:
            self.bar.refresh()  # the final count, whatever mininterval skipped
            self.bar.close()
            self.bar = None


def drive(request, progress: Progress | None = None):
    """Run ``request`` to its end; return its result.

    Progress events move the bar (live layouts move it by their epoch);
    notes become warnings (printed by :func:`.errors.warnings_to_stderr`).
    """
    progress = progress or Progress(False)
    result = None
    try:
        for event in request.run():
            if isinstance(event, ProgressEvent):
                progress.show(event)
            elif isinstance(event, Layout):
                snap = event.snapshot
                stage = ProgressEvent("fit", snap.epoch, snap.n_epochs, "epoch")
                progress.show(stage)
            elif isinstance(event, Note):
                warnings.warn(event.text, UserWarning, stacklevel=2)
            elif isinstance(event, (Done, Stopped)):
                result = event.result
    finally:
        progress.close()
    return result
