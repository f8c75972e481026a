"""Spinning threads: a fit beside one busy process, with and without spinning.

numba's OpenMP threads spin between parallel loops unless told otherwise;
napari-cne starts them with a passive wait policy (docs/engine.md, "Threads
and seeds"). This benchmark runs the same fit in fresh processes, idle and
beside one competing busy process (``while True: pass``), under three
settings, in alternating rounds:

- ``ours``: nothing set, as a user runs it (the package's own choice);
- ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` set by hand (the reference);
- ``spin``: ``GOMP_SPINCOUNT=300000``, GNU OpenMP's default spinning, which
  the package leaves alone because it was set (what users got before).

Three front ends: the Python API (MNIST rows, PCA-50, two threads), the
command line (``napari-cne embed``) and the napari widget (all cores, in a
real window: run it under Xvfb when there is no display). The command line
and the widget embed the bundled 313 nuclei (``cli``, ``widget``: so few
edges that the engine runs them on one thread) or the API's MNIST rows
from a CSV file (``cli-table``, ``widget-table``). Medians per cell and
the ratios ``ours / passive`` (goal: <= 1.2 loaded) and ``spin / passive``
are printed as Markdown::

    .venv/bin/python benchmarks/wait_policy.py --rounds 5
    xvfb-run -a .venv/bin/python benchmarks/wait_policy.py --modes widget widget-table
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import markdown_table  # noqa: E402

POLICIES = {
    "ours": {},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin": {"GOMP_SPINCOUNT": "300000"},
}
MNIST = HERE.parent.parent / "shared" / "data" / "mnist.npz"

API = """
import sys, time, numpy as np
from sklearn.decomposition import PCA
d = np.load(sys.argv[1])
X = PCA(50, random_state=0).fit_transform(
    d["X"].reshape(len(d["X"]), -1)[: int(sys.argv[2])].astype(np.float32)
).astype(np.float32)
from napari_cne import ContrastiveEmbedding
t = time.perf_counter()
ContrastiveEmbedding(s=float(sys.argv[3]), random_state=0, n_jobs=2).fit(X)
print(time.perf_counter() - t)
"""

WIDGET = """
import sys, time, napari
from qtpy.QtCore import QEventLoop, QTimer
viewer = napari.Viewer(show=False)
_, widget = viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
if len(sys.argv) > 1:  # a table file
    import pandas as pd
    columns = list(pd.read_csv(sys.argv[1], nrows=1).columns)
    widget.set_input(table_file=sys.argv[1], columns=columns)
else:
    viewer.open_sample("napari-cne", "human_mitosis_nuclei")
widget.set_params(seed=0, n_jobs=-1, s=0.5)
loop = QEventLoop()
widget.run_finished.connect(lambda kind: loop.quit())
QTimer.singleShot(600_000, loop.quit)
t = time.perf_counter()
widget.run()
loop.exec()
print(time.perf_counter() - t)
viewer.close()
"""


def cells_csv(folder: Path) -> Path:
    """Write the bundled nuclei's measurements as a CSV (the CLI's input)."""
    from napari_cne.data import human_mitosis_nuclei_table

    _, meta, _ = human_mitosis_nuclei_table()[1]
    path = folder / "cells.csv"
    meta["features"].to_csv(path, index=False)
    return path


def mnist_csv(folder: Path, n: int) -> Path:
    """Write the API's rows (MNIST, PCA-50) as a CSV (the table modes' input)."""
    import numpy as np
    import pandas as pd
    from sklearn.decomposition import PCA

    d = np.load(MNIST)
    X = d["X"].reshape(len(d["X"]), -1)[:n].astype(np.float32)
    P = PCA(50, random_state=0).fit_transform(X)
    path = folder / "mnist.csv"
    pd.DataFrame(P, columns=[f"pc{i}" for i in range(50)]).to_csv(path, index=False)
    return path


def command(mode: str, args, inputs: dict, out: Path) -> list[str]:
    py = sys.executable
    if mode == "api":
        return [py, "-c", API, str(MNIST), str(args.n), str(args.s)]
    if mode.startswith("cli"):
        csv = inputs["table" if mode == "cli-table" else "cells"]
        exe = [py, "-m", "napari_cne", "embed", str(csv), "-o", str(out)]
        return [*exe, "--seed", "0", "-q"]
    if mode == "widget-table":
        return [py, "-c", WIDGET, str(inputs["table"])]
    return [py, "-c", WIDGET]


def one_run(mode, args, inputs, out, policy, loaded) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY",)}
    env.pop("GOMP_SPINCOUNT", None)
    env.update(POLICIES[policy])
    env["NAPARI_CNE_WARMUP"] = "0"
    busy = None
    if loaded:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        t = time.perf_counter()
        res = subprocess.run(
            command(mode, args, inputs, out), env=env, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        wall = time.perf_counter() - t
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    if res.returncode != 0:
        raise RuntimeError(f"{mode} {policy}: {res.stderr[-2000:]}")
    # the API and the widget time their fit; the CLI is timed as a whole
    return (
        wall if mode.startswith("cli") else float(res.stdout.strip().splitlines()[-1])
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--modes",
        nargs="+",
        default=["api", "cli", "cli-table"],
        choices=["api", "cli", "cli-table", "widget", "widget-table"],
    )
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=5000, help="MNIST rows (api, *-table)")
    ap.add_argument("--s", type=float, default=1.0, help="spectrum position (api)")
    ap.add_argument("--out", type=Path, help="JSON of every run")
    args = ap.parse_args()
    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {"cells": cells_csv(Path(tmp)), "table": mnist_csv(Path(tmp), args.n)}
        out = Path(tmp) / "out.csv"
        for mode in args.modes:  # compile numba's cache once, untimed
            one_run(mode, args, inputs, out, "passive", False)
        for r in range(args.rounds):
            for mode in args.modes:
                for loaded in (False, True):
                    for policy in POLICIES:
                        t = one_run(mode, args, inputs, out, policy, loaded)
                        key = (mode, "loaded" if loaded else "idle", policy)
                        runs.setdefault(key, []).append(t)
                        print(f"round {r + 1}: {key} {t:.2f} s", flush=True)
    rows = []
    for mode in args.modes:
        for load in ("idle", "loaded"):
            med = {p: statistics.median(runs[(mode, load, p)]) for p in POLICIES}
            rows.append(
                [mode, load]
                + [f"{med[p]:.2f}" for p in POLICIES]
                + [
                    f"{med['ours'] / med['passive']:.2f}",
                    f"{med['spin'] / med['passive']:.2f}",
                ]  # fmt: skip
            )
    head = ["front end", "machine", "ours s", "passive s", "spin s",
            "ours / passive", "spin / passive"]  # fmt: skip
    print(f"\nmedians of {args.rounds} alternating rounds, fresh processes\n")
    print(markdown_table(head, rows))
    if args.out:
        args.out.write_text(
            json.dumps({" / ".join(k): v for k, v in runs.items()}, indent=1)
        )


if __name__ == "__main__":
    main()
