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
from pathlib import Path

from report import markdown_table, median_of

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


def report(runs: dict, commits: dict) -> str:
    """The table of medians and the after / before ratios."""
    headers = ["method", "tree (commit)", "rounds", "total s", "kNN s", "optim s"]
    headers += ["NP@15", "10-NN acc", "NP@15 per round", "kNN search"]
    rows = []
    methods = sorted({method for _, method in runs})
    for method in methods:
        for tree in TREES:
            got = runs.get((tree, method))
            if not got:
                continue
            rows.append(
                [method, f"{tree} ({commits.get(tree)})", str(len(got))]
                + [f"{median_of(got, k):.1f}" for k in TIMES]
                + [f"{median_of(got, k):.3f}" for k in SCORES]
                + [", ".join(f"{run['np15']:.3f}" for run in got)]
                + [got[0].get("knn_method", "-")]
            )
    lines = [markdown_table(headers, rows)]
    lines.append("")
    for method in methods:
        old, new = runs.get(("before", method)), runs.get(("after", method))
        if old and new:
            ratios = ", ".join(
                f"{k} {median_of(new, k) / median_of(old, k):.2f}" for k in TIMES
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
