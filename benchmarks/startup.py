"""How fast the package and its command line start: fresh processes, medians.

Times, in alternating rounds, what a user waits for before anything runs::

    import napari_cne
    from napari_cne import ContrastiveEmbedding
    napari-cne --version
    napari-cne --help

each in a fresh interpreter (wall time of the whole process), and prints a
Markdown table of the medians with the goals of docs/performance.md
(``--help`` and ``--version`` <= 0.5 s, ``import napari_cne`` <= 1 s)::

    .venv/bin/python benchmarks/startup.py --rounds 7
    .venv/bin/python benchmarks/startup.py --src ../old_checkout/src   # another tree
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import markdown_table  # noqa: E402

CASES = {
    "import napari_cne": ["-c", "import napari_cne"],
    "from napari_cne import ContrastiveEmbedding": [
        "-c",
        "from napari_cne import ContrastiveEmbedding",
    ],
    "napari-cne --version": ["-m", "napari_cne", "--version"],
    "napari-cne --help": ["-m", "napari_cne", "--help"],
}
GOALS = {
    "import napari_cne": 1.0,
    "napari-cne --version": 0.5,
    "napari-cne --help": 0.5,
}


def one(args: list[str], env: dict) -> float:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )
    wall = time.perf_counter() - t
    return wall if out.returncode == 0 else float("nan")  # e.g. no such flag


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--src", type=Path, help="a checkout's src/ to time instead")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.src is not None:
        env["PYTHONPATH"] = str(args.src.resolve())
    for argv in CASES.values():  # compile the .pyc files first, untimed
        one(argv, env)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, argv in CASES.items():
            times[name].append(one(argv, env))
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        goal = GOALS.get(name)
        verdict = "-" if goal is None else ("met" if med <= goal else "NOT MET")
        if med != med:  # NaN: the command failed in this tree
            rows.append([f"`{name}`", "fails", "-", "-", "-"])
            continue
        rows.append(
            [
                f"`{name}`",
                f"{med:.2f}",
                f"{min(ts):.2f}-{max(ts):.2f}",
                "-" if goal is None else f"<= {goal}",
                verdict,
            ]  # fmt: skip
        )
    print(f"\nmedians of {args.rounds} alternating rounds, fresh processes\n")
    print(markdown_table(["command", "median s", "range s", "goal s", ""], rows))


if __name__ == "__main__":
    main()
