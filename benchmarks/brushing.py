"""How long linked brushing keeps napari's GUI thread busy, at 100 000 objects.

A label image of ``--objects`` square objects (8 x 8 pixels each) and an
embedding Points layer with one point per object are linked the way the
dock widget links them. Timed, on the GUI thread, median of ``--repeats``:

* ``embed->img``: our reaction to a selection made in the embedding (the
  overlay on the image and the rings around the points);
* ``img->embed``: a selection coming from the image side (or a script),
  which also sets the embedding layer's ``selected_data``; the ``click``
  row is one click on an object (``selected_label``);
* ``assign``: assigning the selection to a class (features of both layers
  and the overlay rewritten);
* ``draw``: the next canvas redraw (``viewer.screenshot``), for reference;
* ``napari sel``: napari's own ``points.selected_data`` setter without any
  linking, i.e. what its select tool costs anyway.

Target (issue 5): highlighting 100 000 objects in <= 200 ms. Run under a
display or Xvfb::

    xvfb-run -a .venv/bin/python benchmarks/brushing.py --objects 100000
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd


def bench(n: int, repeats: int) -> list[tuple]:
    """Time one label image of ``n`` objects; returns table rows."""
    import napari
    from qtpy.QtWidgets import QApplication

    from napari_cne._qt.panels.selection import SelectionPanel
    from napari_cne.app.targets import Target

    rows = []
    side = int(np.ceil(np.sqrt(n)))
    ids = np.arange(1, side * side + 1, dtype=np.int32)
    ids[n:] = 0
    labels = np.kron(ids.reshape(side, side), np.ones((8, 8), np.int32))
    viewer = napari.Viewer(show=False)
    lab = viewer.add_labels(labels, name="objects")
    rng = np.random.default_rng(0)
    feats = pd.DataFrame({"label": np.arange(1, n + 1)})
    pts = viewer.add_points(rng.normal(size=(n, 2)) * 100, features=feats, size=2)
    panel = SelectionPanel(lambda layer, v=viewer: v if layer in v.layers else None)
    target = Target("labels", lab, shape=labels.shape, labels=labels, n_ids=int(n) + 1)
    panel.attach(pts, target, "label", "class")
    panel.add_class("A")
    app = QApplication.instance()
    app.processEvents()
    viewer.screenshot()

    def timed(fn, repeats=repeats):
        out = []
        for r in range(repeats):
            t0 = time.perf_counter()
            fn(r)
            out.append(time.perf_counter() - t0)
        return statistics.median(out)

    linker = panel.linker
    for frac in (0.01, 0.5, 1.0):
        k = max(1, int(frac * n))

        def chosen(r, k=k):
            return np.random.default_rng(r).choice(n, k, replace=False)

        # our reaction to a selection made in the embedding: overlay on
        # the image + rings around the points (napari has already set
        # points.selected_data, timed separately below)
        t_link = timed(lambda r: linker.select(chosen(r) + 1, origin="points"))
        # a selection made on the image side (or by script): also sets
        # the embedding layer's selection
        t_img = timed(lambda r: linker.select(chosen(r) + 1))
        t_draw = timed(lambda r: viewer.screenshot())
        t_cls = timed(lambda r: panel.assign_selection("A"))
        panel.detach()
        t_napari = timed(lambda r: setattr(pts, "selected_data", set(chosen(r))))
        panel.attach(pts, target, "label", "class")
        rows.append((n, labels.size, k, t_link, t_img, t_cls, t_draw, t_napari))
    t_click = timed(lambda r: setattr(lab, "selected_label", 2 + r))
    nan = float("nan")
    rows.append((n, labels.size, "click", nan, t_click, nan, nan, nan))
    panel.detach()
    viewer.close()

    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    rows = [row for n in args.objects for row in bench(n, args.repeats)]
    head = (
        "objects",
        "pixels",
        "selected",
        "embed->img",
        "img->embed",
        "assign",
        "draw",
        "napari sel",
    )
    print(" ".join(f"{h:>10}" for h in head) + "   (ms, medians)")
    for n, px, k, *times in rows:
        print(
            f"{n:>10} {px:>10} {k!s:>10} "
            + " ".join(f"{1e3 * t:>10.1f}" for t in times)
        )


if __name__ == "__main__":
    main()
