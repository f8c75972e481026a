"""A million objects in a real napari window: ours beside napari-clusters-plotter.

Makes a structured table (``--n`` rows: 30 Gaussian clusters in 20
dimensions, seeded) as the ``features`` of a Labels layer whose image holds
one 3x3 object per row, opens napari (``show=True``, under Xvfb here) and,
each case in a fresh process:

- **ours**: docks "Neighbor Embedding" (defaults; "Draw as" auto), embeds the
  table and measures, for the whole run, how late a 20 ms ``QTimer`` fires
  (the event loop's lateness: a frozen window), the live pictures per second
  while the layout moves, the peak memory (``ru_maxrss``); then, once the
  quality readout is done, lasso → objects highlighted in the image and the
  embedding (a Shapes-layer lasso around about a tenth of the points, timed
  until the events it queued are processed), and changing "Colour by"
  (medians of 3). The same two figures again with the points drawn as
  napari's Points layer ("Draw as: points").
- **plotter**: napari-clusters-plotter's "Plot & select features" widget at
  its defaults on the same table with our layout as ``cne_0``/``cne_1``
  (scatter; it has no automatic density view), driven through its own lasso
  callback and hue box (``benchmarks/plotter_driver.py``); the same lassos
  (after one warm-up lasso) and colourings.

Prints one table per size with a met / NOT MET line per goal of issue 25::

    xvfb-run -a -s "-screen 0 1920x1080x24" \\
        .venv/bin/python benchmarks/million.py --n 250000 1000000

``--case ours|plotter --n N`` runs one case (what the driver runs in a
subprocess) and prints its JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TICK_MS = 20
N_FEATURES, N_CLUSTERS = 20, 30
LAYOUTS = HERE / "results" / "million_layouts"
GOALS = {
    "lateness_p95_ms": 50.0,
    "live_per_s": 2.0,
    "lasso_s": 0.5,
    "color_by_s": 0.5,
    "peak_gb": 4.0,
}


def make_table(n: int):
    """The table (label, f0..f19, cls) and a label image with a 3x3 object per row."""
    import pandas as pd
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=n,
        n_features=N_FEATURES,
        centers=N_CLUSTERS,
        center_box=(-10, 10),
        random_state=0,
    )
    df = pd.DataFrame(
        X.astype(np.float32), columns=[f"f{i}" for i in range(N_FEATURES)]
    )
    df.insert(0, "label", np.arange(1, n + 1, dtype=np.int64))
    df["cls"] = pd.Categorical(y)
    side = int(np.ceil(np.sqrt(n)))
    labels = np.zeros((4 * side, 4 * side), np.int32)
    ids = np.zeros(side * side, np.int32)
    ids[:n] = np.arange(1, n + 1)
    cells = ids.reshape(side, side)
    for dy in range(3):
        for dx in range(3):
            labels[dy::4, dx::4] = cells
    return df, labels


def boxes(Y: np.ndarray) -> list[np.ndarray]:
    """Three lasso outlines (raw layout coordinates), each around ~10 % of it."""
    out = []
    for lo in (0.2, 0.45, 0.6):
        q = np.quantile(Y, [lo, lo + 0.3], axis=0)
        (a0, a1), (b0, b1) = q[0], q[1]
        out.append(np.array([[a0, a1], [a0, b1], [b0, b1], [b0, a1]]))
    return out


class Ticks:
    """How late a 20 ms timer fires while something runs."""

    def __init__(self):
        from qtpy.QtCore import Qt, QTimer

        self.late: list[float] = []
        self.last = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.late.append((now - self.last) * 1000 - TICK_MS)
        self.last = now

    def start(self):
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict:
        self.timer.stop()
        a = np.asarray(self.late or [0.0])
        return {"p95_ms": float(np.percentile(a, 95)), "max_ms": float(a.max())}


def timed(app, fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    app.processEvents()
    return time.perf_counter() - t0


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def case_ours(n: int, timeout: float) -> dict:
    import napari
    from qtpy.QtCore import QEventLoop, QTimer
    from qtpy.QtWidgets import QApplication

    df, labels = make_table(n)
    viewer = napari.Viewer(title="napari-cne: a million objects", show=True)
    viewer.window.resize(1600, 1000)
    viewer.add_labels(labels, name="cells", features=df)
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_input(table_layer="cells", columns=[f"f{i}" for i in range(N_FEATURES)])
    widget.set_params(random_state=0)
    app = QApplication.instance()
    loop = QEventLoop()  # app.quit() would close napari's windows
    ticks, res, t = Ticks(), {"n": n}, {}
    density = widget.results_panel.live.density

    def on_layout(_snap):
        t.setdefault("first", time.perf_counter())
        t.setdefault("drawn0", density.drawn)
        t["updates"] = t.get("updates", 0) + 1

    def finished(_kind):
        t["end"] = time.perf_counter()
        t["drawn1"] = density.drawn
        res["lateness"] = ticks.stop()
        loop.quit()

    widget.layout_updated.connect(on_layout)
    widget.run_finished.connect(finished)
    QTimer.singleShot(int(timeout * 1000), loop.quit)
    t0 = time.perf_counter()
    ticks.start()
    widget.run()
    loop.exec()
    if "end" not in t:
        raise SystemExit(f"no result in {timeout} s")
    res["fit_s"] = t["end"] - t0
    live = t["end"] - t.get("first", t["end"])
    res["live_s"] = live
    res["drawn_as"] = "density" if widget.results_panel.live.dense() else "points"
    # pictures of the running layout (density), or Points layer updates
    pictures = t["drawn1"] - t.get("drawn0", 0)
    res["live_pictures"] = pictures if pictures else t.get("updates", 0)
    res["live_per_s"] = res["live_pictures"] / live if live > 0 else 0.0
    # the quality readout and trust run after the fit, in a worker: wait
    deadline = time.perf_counter() + timeout
    while widget.session.quality is None and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.05)
        if "failed" in widget.quality_panel.label.text():
            raise SystemExit(widget.quality_panel.label.text())
    pts, panel = widget.points_layer, widget.selection
    Y = pts.features[["cne_0", "cne_1"]].to_numpy(float)
    LAYOUTS.mkdir(parents=True, exist_ok=True)
    np.save(LAYOUTS / f"layout_{n}.npy", Y.astype(np.float32))
    W = np.asarray(pts.data, float)
    # raw layout -> world (the layer's affine scaling beside the image)
    i, j = int(np.argmin(Y[:, 0])), int(np.argmax(Y[:, 0]))
    scale = (W[j, 0] - W[i, 0]) / (Y[j, 0] - Y[i, 0])
    shift = W[i] - scale * Y[i]
    outlines = [b * scale + shift for b in boxes(Y)]
    res.update(measure_ours(app, widget, panel, outlines))
    res["peak_gb"] = peak_gb()  # drawn as the widget drew it
    widget.set_params(draw="points")
    app.processEvents()
    points = measure_ours(app, widget, panel, outlines[:1], columns=("f1",))
    res["points_lasso_s"], res["points_color_by_s"] = (
        points["lasso_s"],
        points["color_by_s"],
    )
    res["peak_gb_points"] = peak_gb()  # and after showing 10^6 points too
    viewer.close()
    return res


def measure_ours(app, widget, panel, outlines, columns=("f1", "f2", "cls")) -> dict:
    lasso_s, selected = [], []
    panel.set_lasso(True)
    for poly in outlines:
        lasso_s.append(
            timed(app, lambda p=poly: panel.lasso_layer.add(p, shape_type="polygon"))
        )
        selected.append(len(panel.selected))
    panel.set_lasso(False)
    panel.select([])
    combo = widget.results_panel.color_combo
    color_s = [timed(app, combo.setCurrentText, c) for c in columns]
    return {
        "lasso_s": float(np.median(lasso_s)),
        "lasso_selected": selected,
        "color_by_s": float(np.median(color_s)),
    }


def case_plotter(n: int) -> dict:
    import napari
    from qtpy.QtWidgets import QApplication

    sys.path.insert(0, str(HERE))
    from plotter_driver import build_driver, versions

    df, labels = make_table(n)
    Y = np.load(LAYOUTS / f"layout_{n}.npy")
    df["cne_0"], df["cne_1"] = Y[:, 0], Y[:, 1]
    viewer = napari.Viewer(title="napari-clusters-plotter", show=True)
    viewer.window.resize(1600, 1000)
    viewer.add_labels(labels, name="cells", features=df)
    app = QApplication.instance()
    ticks = Ticks()
    ticks.start()
    t0 = time.perf_counter()
    drv = build_driver(viewer, "cells", x="cne_0", y="cne_1")
    app.processEvents()
    res = {"n": n, "plot_s": time.perf_counter() - t0, "versions": versions()}
    res["lateness"] = ticks.stop()
    drv.lasso(boxes(Y)[0])  # warm-up: napari's colormap code compiles once
    app.processEvents()
    lasso_s = [timed(app, drv.lasso, poly) for poly in boxes(Y)]
    color_s = [timed(app, drv.color_by, c) for c in ("f1", "f2", "cls")]
    res.update(
        lasso_s=float(np.median(lasso_s)),
        color_by_s=float(np.median(color_s)),
        peak_gb=peak_gb(),
    )
    viewer.close()
    return res


def run_case(case: str, n: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--case", case, "--n", str(n)]
    cmd += ["--timeout", str(timeout)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = [s for s in out.stdout.splitlines() if s.startswith("{")]
    if out.returncode or not line:
        return {"n": n, "error": (out.stderr or out.stdout)[-2000:]}
    return json.loads(line[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report(ours: dict, peer: dict) -> str:
    n = ours["n"]
    if "error" in ours:
        return f"## {n:,} rows\n\nours failed:\n{ours['error']}\n"
    g = GOALS
    rows = [
        (
            "event-loop lateness while fitting, p95 (ms)",
            ours["lateness"]["p95_ms"],
            None,
            ours["lateness"]["p95_ms"] <= g["lateness_p95_ms"],
            f"≤ {g['lateness_p95_ms']:.0f}",
        ),
        (
            "live updates per second",
            ours["live_per_s"],
            None,
            ours["live_per_s"] >= g["live_per_s"],
            f"≥ {g['live_per_s']:.0f}",
        ),
        (
            "lasso → highlighted (s)",
            ours["lasso_s"],
            peer.get("lasso_s"),
            ours["lasso_s"] <= g["lasso_s"],
            f"≤ {g['lasso_s']}",
        ),
        (
            "changing Colour by (s)",
            ours["color_by_s"],
            peer.get("color_by_s"),
            ours["color_by_s"] <= g["color_by_s"],
            f"≤ {g['color_by_s']}",
        ),
        (
            "peak memory (GB)",
            ours["peak_gb"],
            peer.get("peak_gb"),
            ours["peak_gb"] <= g["peak_gb"],
            f"≤ {g['peak_gb']:.0f}",
        ),
    ]
    out = [
        f"## {n:,} rows ({N_CLUSTERS} clusters in {N_FEATURES} dimensions), "
        f"drawn as {ours['drawn_as']}",
        "",
        "| figure | napari-cne | napari-clusters-plotter | goal | |",
        "|---|---|---|---|---|",
    ]
    for name, a, b, ok, goal in rows:
        peer_s = "—" if b is None else f"{b:.3g}"
        out.append(f"| {name} | {a:.3g} | {peer_s} | {goal} | {verdict(ok)} |")
    if "lasso_s" in peer:
        ratio = peer["lasso_s"] / ours["lasso_s"]
        out.append(
            f"| lasso → highlighted, plotter / ours | {ratio:.1f} × | | ≥ 10 × | "
            f"{verdict(ratio >= 10)} |"
        )
    out += [
        "",
        f"ours: fit {ours['fit_s']:.0f} s, {ours['live_pictures']} live pictures in "
        f"{ours['live_s']:.0f} s, lateness max {ours['lateness']['max_ms']:.0f} ms, "
        f"lassos selected {ours['lasso_selected']}; drawn as napari's Points "
        f"layer instead: lasso {ours['points_lasso_s']:.2f} s, Colour by "
        f"{ours['points_color_by_s']:.2f} s, peak memory then "
        f"{ours['peak_gb_points']:.2f} GB.",
    ]
    if "error" in peer:
        out.append(f"plotter failed: {peer['error'][-500:]}")
    elif peer:
        out.append(
            f"plotter: first plot {peer['plot_s']:.1f} s (event-loop lateness "
            f"max {peer['lateness']['max_ms']:.0f} ms meanwhile), {peer['versions']}"
        )
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[250_000, 1_000_000])
    ap.add_argument("--case", choices=("ours", "plotter"))
    ap.add_argument("--timeout", type=float, default=1500.0)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args(argv)
    if args.case:
        fn = case_ours if args.case == "ours" else case_plotter
        res = fn(args.n[0], args.timeout) if args.case == "ours" else fn(args.n[0])
        print(json.dumps(res))
        return 0
    print(
        f"# A million objects in napari — {platform.node()}, {os.cpu_count()} "
        f"cores, {time.strftime('%Y-%m-%d')}\n"
    )
    for n in args.n:
        ours = run_case("ours", n, args.timeout)
        peer = {} if args.no_peer or "error" in ours else run_case("plotter", n, 900)
        print(report(ours, peer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
