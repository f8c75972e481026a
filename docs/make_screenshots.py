"""Screenshots of the real plugin for docs/tutorial.md (``make docs``).

Opens napari (window 1600 x 1000), loads the bundled sample (File > Open
Sample > Contrastive Neighbor Embedding > Human mitosis nuclei), docks the
Neighbor Embedding widget and walks through the tutorial, saving a
full-window PNG per step into ``docs/figures/``:

=======================  ===================================================
``tut_1_docked.png``     the widget docked, input chosen, before Run
``tut_2_embedding.png``  after Run: the embedding beside the image,
                         coloured by mean DNA intensity, quality readout
``tut_3_lasso.png``      a lasso around the cluster of the brightest nuclei:
                         those nuclei light up in the image
``tut_4_click.png``      a click on one nucleus: its point gets a ring
``tut_5_classes.png``    classes "mitotic" and "interphase", points coloured
                         by class, nuclei in their class colour
``tut_6_export.png``     the "mitotic" class exported as a Labels layer
``tut_7_tsne.png``       the spectrum slider moved to s = 0 (t-SNE-like),
                         with the class accuracy in the quality readout
``tut_8_sweep.png``      a spectrum sweep, shown at s = 2
=======================  ===================================================

Then ``docs/make_screenshots_scale.py`` adds ``tut_9_sources.png`` (three
fields of view in one embedding) and ``tut_10_pixels.png`` (every pixel of
a histology image placed); ``--only tutorial`` or ``--only scale`` makes
one of the two sets.

Everything is driven through the widget's public API (docs/scripting.md)
with a fixed seed, and every wait runs the Qt event loop until the widget
says it is done (``run_finished``, then the quality readout). In steps 3-5,
7 and 8 napari's layer list and layer controls are hidden so that the
canvas, and the nuclei in it, are larger.

Without a display run it under Xvfb (``make docs`` does)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py

About 25-70 s on two (shared) CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures"
SIZE = (1600, 1000)
DNA = "DNA (human mitosis)"
DNA_MEAN = f"{DNA}_mean"
#: the nucleus "clicked" in step 4: a large, round interphase nucleus
CLICKED = 41


def settle() -> None:
    """Let Qt process pending events (layout, repaints) before a screenshot."""
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance()
    for _ in range(5):
        app.processEvents()


def wait_until(condition, what: str, timeout: float = 120.0) -> None:
    """Run the Qt event loop until ``condition()`` holds (or fail)."""
    from qtpy.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()
    t0 = time.monotonic()

    def check() -> None:
        if condition() or time.monotonic() - t0 > timeout:
            loop.quit()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")


def cluster_of(xy: np.ndarray, seed_row: int, radius: float) -> np.ndarray:
    """Rows linked to ``seed_row`` by steps shorter than ``radius``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(xy)
    pairs = cKDTree(xy).query_pairs(radius, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), (n, n))
    _, comp = connected_components(graph, directed=False)
    return np.flatnonzero(comp == comp[seed_row])


def polygon_around(points: np.ndarray, pad: float) -> np.ndarray:
    """A padded convex hull around 2-D points (world y, x): a tidy lasso."""
    from scipy.spatial import ConvexHull

    pts = np.asarray(points, float)
    hull = pts[ConvexHull(pts).vertices]
    out = hull - pts.mean(axis=0)
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return hull + pad * out / norm


class Shooter:
    """Drives the viewer and the widget and saves the screenshots."""

    def __init__(self, out: Path):
        import napari

        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.viewer = napari.Viewer(title="napari-cne tutorial", show=True)
        self.viewer.window.resize(*SIZE)
        self.widget = None
        self.finished: list[str] = []
        self.written: list[Path] = []
        self._old_quality = None

    # ------------------------------------------------------------ helpers
    def frame(self, margin: float = 0.03) -> None:
        """Fit the image and the embedding to the canvas."""
        settle()
        self.viewer.reset_view(margin=margin)

    def layer_docks(self, visible: bool) -> None:
        """Show or hide napari's layer list and layer controls (then re-frame)."""
        qv = self.viewer.window._qt_viewer
        for d in (qv.dockLayerList, qv.dockLayerControls):
            d.setVisible(visible)
        self.frame()

    def shot(self, name: str, process_events: bool = True) -> Path:
        if process_events:
            settle()
        path = self.out / name
        self.viewer.screenshot(str(path), canvas_only=False, flash=False)
        self.written.append(path)
        print(f"wrote {path}", flush=True)
        return path

    def start(self, job, what: str):
        """Start a widget job (run, reoptimize, sweep); remember the old readout."""
        self._old_quality = self.widget.quality
        self.finished.clear()
        worker = job()
        if worker is None:
            raise RuntimeError(f"{what} did not start: {self.widget.last_error}")
        return worker

    def wait_job(self, kind: str, quality: bool = True, timeout: float = 120.0):
        """Wait for ``run_finished(kind)`` and, optionally, a new quality readout."""
        w = self.widget
        wait_until(
            lambda: kind in self.finished and not w.is_running,
            f"the {kind!r} job",
            timeout,
        )
        if w.last_error:
            raise RuntimeError(f"{kind}: {w.last_error}")
        self.finished.clear()
        if quality:
            self.wait_quality(timeout)

    def wait_quality(self, timeout: float = 120.0) -> None:
        w = self.widget
        wait_until(
            lambda: w.quality is not None and w.quality is not self._old_quality,
            "the quality readout",
            timeout,
        )

    # -------------------------------------------------------------- steps
    def run(self) -> None:
        v = self.viewer
        v.open_sample("napari-cne", "human_mitosis_nuclei")
        _, w = v.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
        self.widget = w
        w.run_finished.connect(self.finished.append)
        nuclei = v.layers["nuclei"]
        sel = w.selection

        # (1) docked, input chosen, before Run
        w.set_input(labels="nuclei", images=[DNA])
        w.set_params(s=1.0, random_state=0, n_epochs=200)
        v.layers.selection.active = nuclei
        self.frame()
        self.shot("tut_1_docked.png")

        # (2) Run: the embedding appears beside the image, coloured by a feature
        self.start(w.run, "run")
        self.wait_job("fit")
        w.results_panel.color_combo.setCurrentText(DNA_MEAN)
        pts = w.points_layer
        v.layers.selection.active = pts
        self.frame()
        self.shot("tut_2_embedding.png")

        # (3) lasso the cluster that holds the brightest nucleus
        self.layer_docks(False)
        feats = pts.features
        xy = np.asarray(pts.data, float)
        dna = feats[DNA_MEAN].to_numpy()
        span = float(np.ptp(xy, axis=0).max())
        # the group's gap to the rest varies with the run: the widest radius
        # that still leaves it a group of its own
        for radius in (0.06, 0.05, 0.04, 0.03):
            rows = cluster_of(xy, int(np.argmax(dna)), radius * span)
            if len(rows) <= 60:
                break
        sel.set_lasso(True)
        lasso = polygon_around(xy[rows], 0.035 * span)
        sel.lasso_layer.add(lasso, shape_type="polygon")
        # the widget clears the outline on the next event-loop turn: shoot first
        self.shot("tut_3_lasso.png", process_events=False)
        mitotic = np.asarray(sel.selected)
        inside = np.isin(feats["label"].to_numpy(), mitotic)
        print(
            f"lasso: {len(mitotic)} nuclei, mean DNA {dna[inside].mean():.0f} "
            f"(others {dna[~inside].mean():.0f})",
            flush=True,
        )
        if not 5 <= len(mitotic) <= 60 or dna[inside].mean() <= dna[~inside].mean():
            raise RuntimeError("the lasso did not catch the bright cluster")
        sel.set_lasso(False)

        # (4) the other way: a click on a nucleus (the label it picks)
        v.layers.selection.active = nuclei
        nuclei.mode = "pan_zoom"
        nuclei.selected_label = CLICKED
        if sel.selected.tolist() != [CLICKED]:
            raise RuntimeError(f"picking label {CLICKED} did not select it")
        self.shot("tut_4_click.png")

        # (5) named classes: the lassoed cluster is "mitotic", the rest "interphase"
        sel.add_class("mitotic")
        sel.select(mitotic)
        sel.assign_selection("mitotic")
        sel.add_class("interphase")
        sel.select(np.setdiff1d(feats["label"].to_numpy(), mitotic))
        sel.assign_selection("interphase")
        sel.select([])
        sel.class_list.setCurrentRow(0)  # "mitotic": what Class -> Labels exports
        v.layers.selection.active = pts
        self.shot("tut_5_classes.png")

        # (6) Class -> Labels, shown alone over the DNA, with the layer list
        self.layer_docks(True)
        exported = sel.export_class("mitotic")
        hidden = [v.layers[n] for n in ("nuclei", "nuclei selection") if n in v.layers]
        for layer in hidden:
            layer.visible = False
        v.layers.selection.active = exported
        self.shot("tut_6_export.png")
        for layer in hidden:
            layer.visible = True
        exported.visible = False
        self.layer_docks(False)

        # (7) the spectrum slider moved to the t-SNE end; class accuracy readout
        self.start(lambda: w.reoptimize(s=0.0), "reoptimize")
        self.wait_job("optimize")
        if w.quality_panel.class_combo.findText(sel.class_column) < 0:
            raise RuntimeError("the class column is not offered for the accuracy")
        w.quality_panel.class_combo.setCurrentText(sel.class_column)
        self._old_quality = w.quality
        w.update_quality()
        self.wait_quality()
        v.layers.selection.active = w.points_layer
        self.shot("tut_7_tsne.png")

        # (8) a spectrum sweep, scrubbed with napari's dims slider; shown at
        # s = 2 and coloured by DNA (the sweep layer has no class column)
        self.start(w.sweep, "sweep")
        self.wait_job("sweep", quality=False)
        w.results_panel.color_combo.setCurrentText(DNA_MEAN)
        v.dims.set_current_step(0, v.dims.nsteps[0] - 1)
        v.layers.selection.active = w.sweep_layer
        self.frame()
        self.shot("tut_8_sweep.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument(
        "--only",
        choices=("all", "tutorial", "scale", "findings", "density"),
        default="all",
        help="the tutorial's steps 1-8, the pictures at scale "
        "(make_screenshots_scale.py), the findings of section 11 "
        "(make_screenshots_findings.py), 200 000 objects as a density "
        "picture, or all",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    written: list[Path] = []
    if args.only in ("all", "tutorial"):
        shooter = Shooter(args.out)
        try:
            shooter.run()
        finally:
            shooter.viewer.close()
        written += shooter.written
    if args.only in ("all", "scale"):
        import make_screenshots_scale as scale

        args.out.mkdir(parents=True, exist_ok=True)
        written += scale.shoot_many_fields(args.out)
        written += scale.shoot_every_pixel(args.out)
    if args.only in ("all", "findings"):
        import make_screenshots_findings as findings

        args.out.mkdir(parents=True, exist_ok=True)
        written += findings.shoot_findings(args.out)
    if args.only in ("all", "density"):
        import make_screenshots_scale as scale

        args.out.mkdir(parents=True, exist_ok=True)
        written += scale.shoot_density(args.out)
    print(f"{len(written)} screenshots in {time.perf_counter() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
