"""Command line: ``napari-cne embed``, ``napari-cne demo``, ``napari-cne demo-engine``.

``embed`` embeds a table or array file (see :mod:`napari_cne.cli` and
docs/cli.md).  ``demo`` opens napari with the bundled cells, the dock widget
and a live embedding.  Without a display it runs the same under Xvfb
(``xvfb-run``) and writes a screenshot of the whole window instead.
``demo-engine`` runs only the engine (no GUI) on the bundled sample, prints a
summary and writes a PNG of the embedding at several spectrum positions.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    headless = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    if headless and args.screenshot_if_headless and not args._in_xvfb:
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            print("no display and no xvfb-run: install xvfb", file=sys.stderr)
            return 2
        cmd = [
            xvfb,
            "-a",
            "-s",
            "-screen 0 1920x1080x24",
            sys.executable,
            "-m",
            "napari_cne",
            "demo",
            "--screenshot",
            args.screenshot_if_headless,
            "--_in_xvfb",
        ]
        return subprocess.call(cmd)
    from napari_cne._qt.demo import main as demo_main

    shot = args.screenshot or (args.screenshot_if_headless if args._in_xvfb else None)
    demo_main(screenshot=shot)
    if shot:
        print(f"wrote {shot}")
    return 0


def _demo_engine(args: argparse.Namespace) -> int:
    import numpy as np

    from napari_cne import ContrastiveEmbedding
    from napari_cne._sample_data import load_human_mitosis
    from napari_cne.engine.metrics import neighbor_preservation
    from napari_cne.features import feature_matrix, object_features

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
    results = []
    print(f"{'s':>5} {'time s':>7} {'std':>7} {'NP@15':>6}")
    for s in s_values:
        m = ContrastiveEmbedding(s=s, random_state=0)
        t = time.perf_counter()
        Y = m.fit_transform(X)
        dt = time.perf_counter() - t
        npres = neighbor_preservation(X, Y, 15, n_queries=None)
        results.append((s, Y))
        print(f"{s:5.2f} {dt:7.2f} {Y.std():7.2f} {npres:6.3f}")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        area = table["area"].to_numpy()[kept]
        fig, axes = plt.subplots(
            1, len(results), figsize=(4 * len(results), 4.2), sharex=True, sharey=True
        )
        for ax, (s, Y) in zip(np.atleast_1d(axes), results):
            sc = ax.scatter(Y[:, 0], Y[:, 1], c=np.log(area), s=12, cmap="viridis")
            ax.set_title(f"s = {s:g}")
            ax.set_aspect("equal", "box")
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(sc, ax=axes, label="log nucleus area", shrink=0.8)
        fig.suptitle(
            "napari-cne: bundled nuclei along the t-SNE (0) <-> UMAP (1) spectrum"
        )
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        fig.savefig(args.out, dpi=100)
        print(f"wrote {args.out}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line: ``napari-cne: error: ...`` (exit status 2)."""

    def error(self, message: str):
        cmd = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = f"napari-cne {cmd} --help" if cmd else "napari-cne --help"
        self.exit(2, f"napari-cne: error: {message} (see '{hint}')\n")


def main(argv: list[str] | None = None) -> int:
    """Run the ``napari-cne`` command line; return the exit status."""
    from napari_cne.cli import add_embed_parser, normalize_argv

    argv = normalize_argv(sys.argv[1:] if argv is None else argv)
    parser = _Parser(prog="napari-cne", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_embed_parser(sub)
    p = sub.add_parser(
        "demo", help="napari with the bundled cells and a live embedding"
    )
    p.add_argument("--screenshot", help="save a full-window PNG and exit")
    p.add_argument(
        "--screenshot-if-headless",
        metavar="PNG",
        help="without a display, run under xvfb-run and save this screenshot",
    )
    p.add_argument("--_in_xvfb", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=_demo)
    e = sub.add_parser("demo-engine", help="the engine alone on the bundled sample")
    e.add_argument("--s", default="0,0.5,1", help="comma-separated spectrum positions")
    e.add_argument("--out", help="write a PNG of the embeddings")
    e.set_defaults(func=_demo_engine)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already reported
        return exit_.code if isinstance(exit_.code, int) else 2
    args._argv = list(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
