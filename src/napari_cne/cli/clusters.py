"""``--clusters`` of ``embed`` and ``embed-images``: a cluster column.

With ``--sweep`` also the robustness of every cluster along the spectrum.

The clusters come from :func:`napari_cne.app.findings.cluster_model` (the
widget's workflow): Leiden on the fit's kNN graph, HDBSCAN on the layout
(with ``--sweep``: the anchor's, the position closest to 1) or k-means on
the matrix. They are written as the ``cne_cluster`` column of every table
output (empty for rows left out). With ``--sweep``, the group × s table
of :func:`napari_cne.app.findings.sweep_robustness` is printed and written
to ``<OUTPUT stem>_robustness.csv`` beside the output.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.clusters import parse_spec
from ..analysis.robustness import SEPARATE
from ..app.findings import (
    cluster_column,
    cluster_counts,
    cluster_groups,
    cluster_model,
    sweep_robustness,
)
from ..features.interop import cluster_numbers
from .errors import UsageError, cannot_write

__all__ = [
    "add_cluster_option",
    "check_cluster_output",
    "cluster_spec",
    "cluster_the_run",
    "robustness_path",
    "with_clusters",
]


def cluster_spec(text: str) -> tuple[str, dict]:
    """Parse ``--clusters`` (an argparse type)."""
    try:
        return parse_spec(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_cluster_option(p: argparse.ArgumentParser) -> None:
    """Add ``--clusters METHOD[:VALUE]``."""
    g = p.add_argument_group("clusters")
    g.add_argument(
        "--clusters",
        type=cluster_spec,
        metavar="METHOD[:VALUE]",
        help="add a cne_cluster column: leiden[:RES] (the fit's kNN graph, "
        "resolution default 1), hdbscan[:MIN_SIZE] (the layout) or kmeans[:K] "
        "(the features, default 8); with --sweep also print how separate each "
        "cluster is at every s and write OUTPUT_robustness.csv",
    )


def check_cluster_output(args: argparse.Namespace) -> None:
    """Fail before any work when the clusters have nowhere to go."""
    if getattr(args, "clusters", None) and Path(args.output).suffix == ".npy":
        raise UsageError(
            "--clusters writes a cne_cluster column: give a table OUTPUT "
            "(.csv or .tsv), not .npy"
        )


def robustness_path(output) -> Path:
    """Return where the robustness table of ``output`` is written."""
    out = Path(output)
    return out.with_name(f"{out.stem}_robustness.csv")


def cluster_the_run(run, args: argparse.Namespace) -> None:
    """Set ``run.clusters`` (per embedded row) and, with a sweep, ``run.robustness``."""
    method, options = args.clusters
    layout = None
    if run.sweep is not None:
        anchor = run.s_values.index(run.sweep.anchor)
        layout = run.layouts[anchor]
    run.clusters = cluster_model(
        run.model, run.matrix.X, method, layout=layout, **options
    )
    run.cluster_method = args.clusters
    if run.sweep is not None:
        run.robustness = sweep_robustness(run.sweep, cluster_groups(run.clusters))
        path = robustness_path(args.output)
        try:
            run.robustness.to_csv(path, index_label="cluster")
        except OSError as err:
            raise cannot_write(path, err) from None
        run.robustness_path = path


def with_clusters(table: pd.DataFrame, run) -> pd.DataFrame:
    """Return ``table`` with the cluster column, numbered as the widget does.

    1 the largest cluster, 0 noise (:func:`~napari_cne.features.interop.
    cluster_numbers`); rows left out of the embedding: empty.
    """
    if getattr(run, "clusters", None) is None:
        return table
    numbers = cluster_numbers(run.clusters)
    codes = np.full(len(table), -1, np.int64)
    codes[np.asarray(run.matrix.kept)] = numbers.codes
    out = table.copy()
    out[cluster_column(table.columns)] = pd.Categorical.from_codes(
        codes, numbers.categories
    )
    return out


def summary_lines(run) -> list[str]:
    """Return the summary's lines about the clusters and their robustness."""
    if getattr(run, "clusters", None) is None:
        return []
    method, options = run.cluster_method
    count, noise = cluster_counts(run.clusters)
    opts = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in options.items())
    lines = [
        f"clusters  {count} ({method}{', ' + opts if opts else ''}; "
        "numbered from 1, the largest)"
        + (f", {noise} objects in none (0)" if noise else "")
    ]
    table = getattr(run, "robustness", None)
    if table is not None:
        lines.append(
            "robustness  share of the way to other clusters across a gap, "
            f"per s (separate: >= {SEPARATE:g})"
        )
        shown = table.copy()
        for s in [c for c in shown.columns if isinstance(c, float)]:
            shown[s] = shown[s].map(lambda v: "-" if np.isnan(v) else f"{v:.2f}")
        shown.columns = [
            f"s={c:g}" if isinstance(c, float) else c for c in shown.columns
        ]
        shown.index.name = "cluster"
        lines += ["  " + line for line in shown.to_string().splitlines()]
        lines.append(f"wrote     {run.robustness_path}")
    return lines
