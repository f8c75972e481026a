"""Medians per tree of the runs ``before_after.sh`` wrote, as Markdown.

Usage::

    python benchmarks/before_after_report.py benchmarks/results/before_after

Reads ``<tree>_r<k>.json`` (trees ``before``, ``after``, ``main``), prints one
row per tree and method (medians over the rounds, and every round's value of
the two quality scores so the spread shows), then the ratios after / before.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

TREES = ("before", "after", "main")
TIMES = ("total_s", "knn_s", "optim_s")
SCORES = ("np15", "knn_acc")


def load(folder: Path) -> tuple[dict, dict]:
    """Return ``{(tree, method): [runs]}`` and ``{tree: git commit}``."""
    runs: dict = {}
    commits: dict = {}
    for path in sorted(folder.glob("*_r*.json")):
        tree = path.name.split("_r")[0]
        if tree not in TREES:
            continue
        data = json.loads(path.read_text())
        commits[tree] = data["meta"].get("git_commit")
        for run in data["runs"]:
            if run.get("status") == "ok":
                runs.setdefault((tree, run["method"]), []).append(run)
    return runs, commits


def median(runs: list, key: str) -> float:
    return statistics.median(run[key] for run in runs)


def report(runs: dict, commits: dict) -> str:
    """The table of medians and the after / before ratios."""
    lines = [
        "| method | tree (commit) | rounds | total s | kNN s | optim s "
        "| NP@15 | 10-NN acc | NP@15 per round | kNN search |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    methods = sorted({method for _, method in runs})
    for method in methods:
        for tree in TREES:
            got = runs.get((tree, method))
            if not got:
                continue
            times = " | ".join(f"{median(got, k):.1f}" for k in TIMES)
            scores = " | ".join(f"{median(got, k):.3f}" for k in SCORES)
            each = ", ".join(f"{run['np15']:.3f}" for run in got)
            lines.append(
                f"| {method} | {tree} ({commits.get(tree)}) | {len(got)} | {times} "
                f"| {scores} | {each} | {got[0].get('knn_method', '-')} |"
            )
    lines.append("")
    for method in methods:
        old, new = runs.get(("before", method)), runs.get(("after", method))
        if old and new:
            ratios = ", ".join(
                f"{k} {median(new, k) / median(old, k):.2f}" for k in TIMES
            )
            lines.append(f"- {method}, after / before (medians): {ratios}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    runs, commits = load(args.folder)
    if not runs:
        raise SystemExit(f"no <tree>_r<k>.json runs in {args.folder}")
    print(report(runs, commits))


if __name__ == "__main__":
    main()
