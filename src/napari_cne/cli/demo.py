"""``napari-cne demo`` and ``napari-cne demo-engine``.

``demo`` opens napari with the bundled cells, the dock widget and a live
embedding (:mod:`.napari_demo`). Without a display it runs itself again
under Xvfb (``xvfb-run``) and writes a screenshot of the whole window
instead.

``demo-engine`` runs only the engine (no GUI) on the bundled sample, prints a
summary and, with ``--out``, writes a PNG of the embedding at several
spectrum positions, coloured by log nucleus area.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .errors import EXIT_OK, EXIT_USAGE

__all__ = ["run_demo", "run_demo_engine"]

#: Title of the ``demo-engine`` figure.
ENGINE_TITLE = "napari-cne: bundled nuclei along the t-SNE (0) <-> UMAP (1) spectrum"


def run_demo(args: argparse.Namespace) -> int:
    """Run ``napari-cne demo``; return the exit status.

    Without a display, ``--screenshot-if-headless`` runs the same command
    again under ``xvfb-run`` (a child process) and saves that screenshot.
    """
    headless = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if headless and args.screenshot_if_headless and not args._in_xvfb:
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            print("no display and no xvfb-run: install xvfb", file=sys.stderr)
            return EXIT_USAGE
        shot = args.screenshot_if_headless
        cmd = [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, "-m"]
        cmd += ["napari_cne", "demo", "--screenshot", shot, "--_in_xvfb"]
        code = subprocess.call(cmd)
        if code == EXIT_OK:
            print(f"wrote {shot}", flush=True)
        return code
    from .napari_demo import show_demo

    shot = args.screenshot or (args.screenshot_if_headless if args._in_xvfb else None)
    show_demo(screenshot=shot)
    if shot and not args._in_xvfb:
        print(f"wrote {shot}", flush=True)
    return EXIT_OK


def run_demo_engine(args: argparse.Namespace) -> int:
    """Run ``napari-cne demo-engine``; return the exit status."""
    import numpy as np
    import pandas as pd

    from ..data import load_human_mitosis
    from ..engine.estimator import ContrastiveEmbedding
    from ..engine.metrics import neighbor_preservation
    from ..features import feature_matrix, object_features

    dna, labels = load_human_mitosis()
    t0 = time.perf_counter()
    table = object_features(labels, {"DNA": dna})
    X, kept, columns = feature_matrix(table)
    print(
        f"bundled sample: {dna.shape[0]}x{dna.shape[1]} DNA image, "
        f"{len(table)} nuclei, {len(columns)} features "
        f"({time.perf_counter() - t0:.2f} s)"
    )
    s_values = [float(v) for v in args.s.split(",")]
    panels = []
    print(f"{'s':>5} {'time s':>7} {'std':>7} {'NP@15':>6}")
    for s in s_values:
        m = ContrastiveEmbedding(s=s, random_state=0)
        t = time.perf_counter()
        Y = m.fit_transform(X)
        dt = time.perf_counter() - t
        npres = neighbor_preservation(X, Y, 15, n_queries=None)
        panels.append((f"s = {s:g}", Y))
        print(f"{s:5.2f} {dt:7.2f} {Y.std():7.2f} {npres:6.3f}")
    if args.out:
        from ..render.plot import plot_embeddings

        area = table["area"].to_numpy()[kept]
        colour = pd.Series(np.log(area), name="log nucleus area")
        Path(args.out).resolve().parent.mkdir(parents=True, exist_ok=True)
        plot_embeddings(args.out, panels, colour, ENGINE_TITLE)
        print(f"wrote {args.out}")
    return EXIT_OK
