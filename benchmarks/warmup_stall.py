"""What the background pynndescent warm-up costs and saves.

Opens napari with the dock widget (which starts compiling pynndescent in a
background thread 1.5 s after it opens) and, until the compile is done,
measures how late a 20 ms ``QTimer`` fires: the stall a user would feel.
Then times a 20 000-point pynndescent kNN search (now compiled) and, in a
fresh subprocess, the same search cold (compile included). Run under a
display or Xvfb::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/warmup_stall.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

TICK_MS = 20
KNN = (
    "import time, numpy as np; from napari_cne.engine.neighbors import nndescent_knn; "
    "X = np.random.default_rng(0).normal(size=(20000, 50)).astype(np.float32); "
    "t = time.perf_counter(); nndescent_knn(X, 15, random_state=0); "
    "print(time.perf_counter() - t)"
)


def main() -> None:
    os.environ["NAPARI_CNE_WARMUP"] = "1"
    import napari
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    viewer = napari.Viewer(show=True)
    viewer.window.resize(1600, 1000)
    viewer.open_sample("napari-cne", "human_mitosis_nuclei")
    t_open = time.perf_counter()
    viewer.window.add_plugin_dock_widget("napari-cne", "Neighbor Embedding")
    app = QApplication.instance()

    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(1e3 * (now - last[0]) - TICK_MS)
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()

    def warm_thread_alive() -> bool:
        import threading

        return any(t.name.endswith("warm-up") for t in threading.enumerate())

    # wait for the thread to start, then until it ends
    while time.perf_counter() - t_open < 3.0 or warm_thread_alive():
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - t_open > 120:
            break
    t_warm = time.perf_counter() - t_open
    timer.stop()
    lat = np.asarray(late[5:])

    cold = subprocess.run(
        [sys.executable, "-c", KNN], capture_output=True, text=True, check=True
    )
    t_cold = float(cold.stdout.strip())
    X = np.random.default_rng(0).normal(size=(20000, 50)).astype(np.float32)
    from napari_cne.engine.neighbors import nndescent_knn

    t0 = time.perf_counter()
    nndescent_knn(X, 15, random_state=0)
    t_hot = time.perf_counter() - t0
    viewer.close()

    print("| measure | value |")
    print("|---|---|")
    print(f"| widget open -> warm-up done | {t_warm:.1f} s |")
    print(f"| GUI timer lateness during warm-up, median | {np.median(lat):.1f} ms |")
    print(
        f"| GUI timer lateness during warm-up, p95 | {np.percentile(lat, 95):.1f} ms |"
    )
    print(f"| GUI timer lateness during warm-up, max | {lat.max():.0f} ms |")
    print(f"| kNN of 20 000 x 50, cold process (compile included) | {t_cold:.1f} s |")
    print(f"| kNN of 20 000 x 50, after the widget's warm-up | {t_hot:.1f} s |")


if __name__ == "__main__":
    main()
