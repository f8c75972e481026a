"""How responsive napari stays while the dock widget runs an embedding.

Opens a real napari window (``show=True``) on the current display, adds the
first ``--n`` rows of MNIST (PCA-50) as a Points layer whose ``features``
table holds the 50 scores, docks the "Neighbor Embedding" widget, embeds the
table and, for the whole run, measures how late a 20 ms ``QTimer`` fires
(actual interval minus 20 ms): the event-loop stall a user feels as a
frozen window. Prints Markdown tables to stdout.

Run it under a display, e.g. on a headless machine::

    xvfb-run -a -s "-screen 0 1920x1080x24" \\
        .venv/bin/python benchmarks/gui_stall.py --n 70000

See ``benchmarks/README.md`` for the columns.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
N_PCA = 50
N_PCA_FIT = 10_000  # PCA basis from the first rows, as in the tests
TICK_MS = 20
WINDOW_SIZE = (1600, 1000)
INPUT_BOX = 1000.0  # world size of the input layer's (PC1, PC2) scatter


def load_mnist_pca(path: Path, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First ``n`` MNIST rows projected on the top 50 principal axes.

    The axes come from a numpy SVD of the first ``min(n, 10000)`` rows
    (centred on their mean). Everything is vectorised: at n = 70 000 this
    takes a few seconds and about 0.5 GB.

    Returns
    -------
    Z : ndarray of float32, shape (n, 50)
    y : ndarray of int64, shape (n,)
    """
    with np.load(path) as d:
        X = np.asarray(d["X"][:n], dtype=np.float32)
        y = np.asarray(d["y"][:n]).astype(np.int64)
    if len(X) < n:
        raise SystemExit(f"{path} has only {len(X)} rows; asked for --n {n}")
    fit = X[:N_PCA_FIT]
    mu = fit.mean(axis=0)
    _, _, vt = np.linalg.svd(fit - mu, full_matrices=False)
    V = np.ascontiguousarray(vt[:N_PCA].T)  # (784, 50)
    Z = X @ V  # no centred copy of X
    Z -= mu @ V
    return np.ascontiguousarray(Z, dtype=np.float32), y


def input_positions(Z: np.ndarray) -> np.ndarray:
    """(PC1, PC2) scaled into a ``INPUT_BOX`` square: where the input is drawn."""
    P = Z[:, :2].astype(np.float64)
    lo, hi = P.min(axis=0), P.max(axis=0)
    span = float(np.max(hi - lo)) or 1.0
    return (P - lo) * (INPUT_BOX / span)


def warm_up(Z: np.ndarray, params: dict) -> float:
    """Fit a few epochs on 1000 rows, so numba compiles before the timed run.

    Without it the first run in a process also pays for the JIT compilation
    of the optimisation kernels (use ``--cold`` to measure that instead).
    """
    from napari_cne import ContrastiveEmbedding

    t0 = time.perf_counter()
    keys = ("s", "loss", "n_neighbors", "negative_samples", "init", "metric")
    kw = {k: params[k] for k in keys if k in params}
    m = min(len(Z), 1000)
    ContrastiveEmbedding(n_epochs=5, random_state=0, **kw).fit(Z[:m])
    return time.perf_counter() - t0


def summarize(lateness_ms: np.ndarray) -> dict:
    """Median, 95th percentile and max of the lateness (ms); NaN if empty."""
    if len(lateness_ms) == 0:
        return {"ticks": 0, "median_ms": np.nan, "p95_ms": np.nan, "max_ms": np.nan}
    return {
        "ticks": int(len(lateness_ms)),
        "median_ms": float(np.median(lateness_ms)),
        "p95_ms": float(np.percentile(lateness_ms, 95)),
        "max_ms": float(np.max(lateness_ms)),
    }


def run(args) -> dict:
    """Open napari, run one embedding, return the measurements."""
    import pandas as pd

    t_load = time.perf_counter()
    Z, y = load_mnist_pca(Path(args.data), args.n)
    load_s = time.perf_counter() - t_load
    columns = [f"pc{i}" for i in range(Z.shape[1])]
    features = pd.DataFrame(Z, columns=columns, copy=False)
    # for "Colour by", not a feature; string categories from codes: no
    # per-point objects, and napari colours it by category without a warning
    digits = [str(d) for d in range(int(y.max()) + 1)]
    features["digit"] = pd.Categorical.from_codes(y, categories=digits)

    import napari
    from qtpy.QtCore import Qt, QTimer
    from qtpy.QtWidgets import QApplication

    from napari_cne.render.layout import point_size

    viewer = napari.Viewer(title="napari-cne GUI stall benchmark", show=True)
    viewer.window.resize(*WINDOW_SIZE)
    viewer.add_points(
        input_positions(Z),
        features=features,
        name="mnist",
        size=point_size(len(Z), INPUT_BOX),
        border_width=0,
    )
    _, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    widget.set_input(table_layer="mnist", columns=columns)
    params = {"update_interval": args.update_interval, "separate_viewer": args.separate}
    if args.epochs is not None:
        params["n_epochs"] = args.epochs
    widget.set_params(**{k: v for k, v in params.items() if v is not None})
    params = widget.get_params()
    warmup_s = None if args.cold else warm_up(Z, params)

    app = QApplication.instance()
    interval_s = TICK_MS / 1000.0
    # preallocated: one slot per tick of the longest possible run (+ margin)
    lateness = np.empty(int(args.timeout / interval_s) + 1024, dtype=np.float64)
    state = {"ticks": 0, "last": None, "updates": 0, "first_update": None}
    result: dict = {}

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)

    def on_tick() -> None:
        now = time.perf_counter()
        last, state["last"] = state["last"], now
        i = state["ticks"]
        if last is not None and i < len(lateness):
            lateness[i] = (now - last - interval_s) * 1000.0
            state["ticks"] = i + 1

    def on_update(_snap) -> None:
        state["updates"] += 1
        if state["first_update"] is None:
            state["first_update"] = (time.perf_counter() - state["t0"], state["ticks"])
            if args.color_by:
                widget.results_panel.color_combo.setCurrentText(args.color_by)

    def finish(kind: str = "timeout") -> None:
        if "wall_s" in result:
            return
        result["wall_s"] = time.perf_counter() - state["t0"]
        result["ended_by"] = kind
        timer.stop()
        if kind == "timeout":
            widget.stop()
        result["error"] = widget.last_error
        QTimer.singleShot(0, close)

    def close() -> None:
        # close the viewers before quitting: Qt 6's quit() closes (and so
        # deletes) napari's windows behind the back of the Viewer models
        second = widget.embedding_viewer
        if second is not None:
            second.close()
        viewer.close()
        app.quit()

    def start() -> None:
        widget.layout_updated.connect(on_update)
        widget.run_finished.connect(finish)
        state["t0"] = time.perf_counter()
        state["last"] = state["t0"]
        timer.start()
        if widget.run() is None:
            finish("error")
        QTimer.singleShot(int(args.timeout * 1000), finish)

    timer.timeout.connect(on_tick)
    # let the window settle (first paint, GL set-up) before measuring
    QTimer.singleShot(1000, start)
    app.exec()

    late = lateness[: state["ticks"]]
    first = state["first_update"]
    split = first[1] if first is not None else len(late)
    result.update(
        n=args.n,
        n_epochs=params["n_epochs"],
        update_interval_s=params["update_interval"],
        separate_viewer=bool(params["separate_viewer"]),
        live_updates=state["updates"],
        first_update_s=None if first is None else first[0],
        load_s=load_s,
        warmup_s=warmup_s,
        whole=summarize(late),
        before_first_update=summarize(late[:split]),
        after_first_update=summarize(late[split:]),
        lateness_ms=late,
    )
    return result


def _fmt(v, digits=1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


def report(res: dict) -> str:
    """Markdown tables of one run."""
    w = res["whole"]
    lines = [
        f"GUI stall while the widget embeds MNIST PCA-50 "
        f"({TICK_MS} ms QTimer; lateness = actual interval - {TICK_MS} ms)",
        "",
        "| n | epochs | live updates | median ms | p95 ms | max ms | wall s |",
        "|---|---|---|---|---|---|---|",
        f"| {res['n']} | {res['n_epochs']} | {res['live_updates']} | "
        f"{_fmt(w['median_ms'])} | {_fmt(w['p95_ms'])} | {_fmt(w['max_ms'])} | "
        f"{_fmt(res['wall_s'], 2)} |",
        "",
        "| phase | s | ticks | median ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    first = res["first_update_s"]
    for name, key, secs in (
        (
            "until the first live update (features, kNN, init)",
            "before_first_update",
            first,
        ),
        (
            "optimisation (live updates)",
            "after_first_update",
            None if first is None else res["wall_s"] - first,
        ),
    ):
        p = res[key]
        lines.append(
            f"| {name} | {_fmt(secs, 2)} | {p['ticks']} | {_fmt(p['median_ms'])} | "
            f"{_fmt(p['p95_ms'])} | {_fmt(p['max_ms'])} |"
        )
    lines += [
        "",
        f"ended by: {res['ended_by']}"
        + (f" ({res['error']})" if res["error"] else "")
        + f"; update interval {res['update_interval_s']:g} s; "
        + ("separate viewer" if res["separate_viewer"] else "embedding beside input")
        + f"; warm-up {_fmt(res['warmup_s'], 1)} s"
        + ("" if res["warmup_s"] is not None else " (--cold: JIT inside the run)")
        + f"; data load + PCA {_fmt(res['load_s'], 1)} s; "
        + f"{os.cpu_count()} CPUs, {platform.python_implementation()} "
        + platform.python_version(),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="MNIST rows (10000)")
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs (default: the widget's)"
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="mnist.npz path")
    parser.add_argument(
        "--update-interval",
        type=float,
        default=None,
        help="seconds between live updates (default: the widget's, 0.2)",
    )
    parser.add_argument(
        "--separate", action="store_true", help="embedding in a separate viewer"
    )
    parser.add_argument(
        "--color-by", default=None, help="colour the embedding by this column"
    )
    parser.add_argument(
        "--cold", action="store_true", help="no warm-up: numba JIT inside the run"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="give up after S seconds"
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.n < 3:
        parser.error("--n must be at least 3")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print(
            "warning: no DISPLAY; run under xvfb-run -a -s '-screen 0 1920x1080x24'",
            file=sys.stderr,
        )

    res = run(args)
    print(report(res))
    if args.json:
        out = {k: v for k, v in res.items() if k != "lateness_ms"}
        out["lateness_ms"] = np.round(res["lateness_ms"], 3).tolist()
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    return 0 if res["ended_by"] == "fit" and not res["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
