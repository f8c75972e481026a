"""``napari-cne embed``: embed a table or an array file from the command line.

``embed-images`` runs the same with the table of every object of a folder of
label images (:mod:`.images`, through the ``load`` hook of :func:`run_embed`).

Reads what :func:`napari_cne.features.read_table` reads (``.csv``,
``.tsv``, ``.txt``, optionally compressed, ``.parquet``, ``.npy``); writes
``.npy`` (the embedding only) or ``.csv``/``.tsv`` (the input table plus the
coordinate columns), a JSON provenance sidecar ``<output>.json`` and, on
request, a plot. See ``docs/cli.md`` for every option, the output naming and
the exit codes.

The run: parameters (engine defaults < seed 0 < ``--params`` < flags), the
feature columns (:mod:`.columns`), the fit or the warm-started sweep chain
(the workflows of :mod:`napari_cne.app`, the widget's too, with a tqdm bar
over their progress), the quality readout, the outputs with their
provenance (:mod:`.files`, :mod:`napari_cne.app.provenance`), the saved
model (``--save-model``), the plot and the summary. Qt- and napari-free.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..app import findings
from ..app.fit import Fit, FitRequest
from ..app.inputs import Matrix, TableInput, prepare_matrix
from ..app.models import save_map
from ..app.provenance import fit_record, sweep_record
from ..app.sweep import SweepRequest
from ..features import default_columns
from ..render.plot import plot_embeddings
from .clusters import (
    check_cluster_output,
    cluster_the_run,
    summary_lines,
    with_clusters,
)
from .columns import check_known, choose_columns, format_names, labels_of
from .errors import EXIT_OK, RunError, UsageError, cannot_write, run_with_messages
from .files import (
    check_model_path,
    check_paths,
    read_input,
    sha256,
    sidecar_path,
    sweep_path,
    write_embedding,
    write_json,
)
from .findings import add_findings
from .progress import Progress, drive
from .settings import engine_params

__all__ = ["QUALITY_K", "QUALITY_MAX_POINTS", "Loaded", "embed_command", "run_embed"]

#: Neighbourhood size of the quality readout.
QUALITY_K = 15
#: Query points of the quality readout.
QUALITY_MAX_POINTS = 5000


# ------------------------------------------------------------------- the run
@dataclass
class Loaded:
    """The table to embed, and what to say and keep about where it came from.

    Attributes
    ----------
    table : pandas.DataFrame
    sha256 : str, optional
        Of the input file (none for a folder).
    notes : list of str
        Summary lines after the first.
    record : dict
        Added to the provenance's ``extra``.
    kind : str
        The input kind a saved model records
        (:data:`napari_cne.app.models.KINDS`).
    model_info : dict
        Added to a saved model's ``extra``.
    """

    table: pd.DataFrame
    sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)
    kind: str = "table"
    model_info: dict = field(default_factory=dict)
    id_name: str = "index"
    #: the rule for the feature columns when none are chosen (None: the default)
    columns: Callable | None = None


def _read(inp: Path) -> Loaded:
    """Read the ``embed`` input: one table file."""
    return Loaded(read_input(inp), sha256=sha256(inp))


@dataclass
class _Run:
    """Everything one ``embed`` run produced, for the outputs and the summary."""

    inp: Path
    table: pd.DataFrame
    matrix: Matrix
    model: object
    s_values: list[float]
    layouts: dict[int, np.ndarray]
    fit: object = None  # the Fit (no sweep)
    sweep: object = None  # the Sweep
    reports: dict[int, dict] = field(default_factory=dict)
    label_note: str | None = None
    input_sha256: str | None = None
    written: list[tuple[Path, list[str] | None]] = field(default_factory=list)
    command: str = "embed"
    notes: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)
    model_path: Path | None = None
    findings: list[str] = field(default_factory=list)
    trust: dict = field(default_factory=dict)  # layout -> cne_trust per row
    clusters: np.ndarray | None = None  # per embedded row (--clusters)
    cluster_method: tuple | None = None
    robustness: pd.DataFrame | None = None  # group × s (--clusters --sweep)
    robustness_path: Path | None = None

    @property
    def n_rows(self) -> int:
        return len(self.table)

    @property
    def n_kept(self) -> int:
        return int(self.matrix.kept.sum())

    @property
    def fit_epochs(self) -> int:
        return self.sweep.fit_epochs if self.sweep else self.model.n_epochs_


def _record(run: _Run, i: int, path: Path, names, args, elapsed: float) -> dict:
    """Return the provenance written beside output ``i`` (the app's record)."""
    extra = {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "input_sha256": run.input_sha256,
        "labels_column": args.labels,
        "output": str(path),
        "output_columns": names,
        "quality": run.reports.get(i),
        "saved_model": None if run.model_path is None else str(run.model_path),
        "clusters": None
        if run.cluster_method is None
        else {"method": run.cluster_method[0], **run.cluster_method[1]},
        **run.record,
    }
    if run.sweep is None:
        return fit_record(run.fit, elapsed=elapsed, extra=extra)
    m = run.matrix
    extra.update(
        rows={
            "input": run.n_rows,
            "embedded": run.n_kept,
            "left_out": run.n_rows - run.n_kept,
            "left_out_rows": np.flatnonzero(~m.kept)[:1000],
        },
        standardize=not args.no_standardize,
        log_columns=m.log_columns,
        dropped_constant_columns=m.dropped,
    )
    return sweep_record(
        run.sweep,
        inputs=[str(run.inp)],
        columns=m.used,
        index=i,
        elapsed=elapsed,
        extra=extra,
    )


def _features(loaded: Loaded, args: argparse.Namespace):
    """Return the feature columns and the log columns of the input table."""
    table = loaded.table
    labels_option = getattr(args, "labels_option", "--labels")
    for option, name in (("color_by", "color-by"), ("labels", labels_option[2:])):
        if getattr(args, option) is not None:
            check_known(table, [getattr(args, option)], name)
    default = loaded.columns or default_columns
    exclude = list(args.exclude_columns or [])
    predict = getattr(args, "predict", None)
    if predict is not None and args.columns is None and predict in table.columns:
        exclude.append(predict)  # the examples are not a feature
    columns, logs = choose_columns(
        table, args.columns, exclude, args.log_columns, default
    )
    if args.labels in columns:
        warnings.warn(
            f"the {labels_option} column {args.labels!r} is also a feature, which "
            "inflates the k-NN accuracy; leave it out with --exclude-columns",
            UserWarning,
            stacklevel=1,
        )
    return columns, logs


def _quality(run: _Run, labels) -> None:
    """Add the quality readout of every layout to ``run.reports``.

    And each object's trust (``cne_trust``, as the widget writes it) to
    ``run.trust``.
    """
    from ..engine.metrics import quality_report

    for i, Y in run.layouts.items():
        run.trust[i] = findings.trust(run.matrix.X, Y, run.model.metric)
        run.reports[i] = quality_report(
            run.matrix.X,
            Y,
            k=QUALITY_K,
            labels=labels,
            max_points=QUALITY_MAX_POINTS,
            random_state=0,
            metric=run.model.metric,
        )


def _write_outputs(run: _Run, args: argparse.Namespace, elapsed: float) -> None:
    """Write every layout and its provenance sidecar."""
    sweep = args.sweep
    outputs = [sweep_path(args.output, s) for s in sweep] if sweep else [args.output]
    trust = findings.column_name(findings.TRUST_COLUMN, run.table.columns)
    for i, path in enumerate(map(Path, outputs)):
        after = {trust: run.trust[i]} if i in run.trust else None
        names = write_embedding(path, run.table, run.layouts[i], run.matrix.kept, after)
        write_json(sidecar_path(path), _record(run, i, path, names, args, elapsed))
        run.written.append((path, names))


def _plot(run: _Run, args: argparse.Namespace) -> None:
    """Write the ``--plot`` figure: one panel per layout."""
    colour = None
    if args.color_by is not None:
        colour = run.table[args.color_by][run.matrix.kept].reset_index(drop=True)
    sweep = run.sweep is not None
    panels = [
        (f"s = {s:g}" + ("" if sweep else f" ({run.model.loss} loss)"), run.layouts[i])
        for i, s in enumerate(run.s_values)
    ]
    try:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_embeddings(Path(args.plot), panels, colour, f"napari-cne: {run.inp.name}")
    except OSError as err:
        raise cannot_write(args.plot, err) from None


def _check_options(args: argparse.Namespace) -> None:
    """Fail on bad output names and option combinations before any work."""
    check_paths(args.input, args.output, args.sweep, args.plot)
    check_model_path(args.save_model, args.input, args.output, args.plot)
    check_cluster_output(args)
    if args.color_by is not None and args.plot is None:
        raise UsageError("--color-by needs --plot")
    if args.save_model is not None and args.sweep:
        raise UsageError(
            "--save-model saves one fit; it does not go with --sweep (save the "
            "fit at one --s instead)"
        )


def _optimise(args, loaded: Loaded, params: dict, columns, logs) -> dict:
    """Fit the table (or sweep it); return the pieces of the run."""
    progress = Progress(args.progress and not args.quiet)
    standardize = not args.no_standardize
    try:
        if args.sweep:
            if args.s is not None and not args.quiet:
                print(
                    f"napari-cne: note: --s {args.s:g} is ignored with --sweep",
                    file=sys.stderr,
                )
            matrix = prepare_matrix(
                loaded.table, columns, standardize=standardize, log=logs
            )
            request = SweepRequest(matrix, params, args.sweep, args.sweep_epochs)
            sweep = drive(request, progress)
            return {
                "matrix": matrix,
                "model": sweep.model,
                "sweep": sweep,
                "layouts": dict(sweep.layouts),
                "s_values": list(sweep.s_values),
            }
        name = Path(args.input).name
        inp = TableInput(loaded.table, name, columns, [str(args.input)], loaded.id_name)
        request = FitRequest(
            inp, params, standardize=standardize, log=logs, interval=0.1
        )
        fit = drive(request, progress)
    except FloatingPointError as err:
        raise RunError(str(err)) from None
    return {
        "matrix": fit.matrix,
        "model": fit.model,
        "fit": fit,
        "layouts": {0: fit.model.embedding_},
        "s_values": [float(fit.model.s_)],
    }


def _embed(args: argparse.Namespace, say, load, command: str) -> int:
    t_start = time.perf_counter()
    _check_options(args)
    params = engine_params(args)
    inp = Path(args.input)
    loaded = _read(inp) if load is None else load()
    columns, logs = _features(loaded, args)
    parts = _optimise(args, loaded, params, columns, logs)
    labels, label_note = labels_of(loaded.table, args.labels, parts["matrix"].kept)
    run = _Run(
        inp=inp,
        table=loaded.table,
        label_note=label_note,
        input_sha256=loaded.sha256,
        command=command,
        notes=loaded.notes,
        record=loaded.record,
        **parts,
    )
    if not args.no_quality:
        _quality(run, labels)
    if getattr(args, "clusters", None):
        cluster_the_run(run, args)
        run.table = with_clusters(run.table, run)
    fit = run.fit or Fit(None, run.matrix, run.model)
    run.findings = add_findings(run, args, fit)
    if args.save_model is not None:
        fitted = run.fit.fitted_map(loaded.kind, input=str(inp), **loaded.model_info)
        try:
            run.model_path = save_map(args.save_model, fitted)
        except (OSError, RuntimeError) as err:
            raise cannot_write(args.save_model, err) from None
    _write_outputs(run, args, time.perf_counter() - t_start)
    if args.plot is not None:
        _plot(run, args)
    _summary(run, time.perf_counter() - t_start, args.plot, say)
    return EXIT_OK


# ------------------------------------------------------------------ summary
def _summary(run: _Run, elapsed: float, plot: str | None, say) -> None:
    from ..engine.metrics import format_quality

    model, m = run.model, run.matrix
    left = run.n_rows - run.n_kept
    say(f"napari-cne {run.command}: {run.inp.name}")
    for note in run.notes:
        say(f"  {note}")
    say(
        f"  rows      {run.n_kept} of {run.n_rows} embedded"
        + (
            f" ({left} left out: missing or infinite values; NaN in the output)"
            if left
            else ""
        )
    )
    say(f"  columns   {len(m.used)} used: {format_names(m.used)}")
    if m.dropped:
        say(f"            dropped as constant: {format_names(m.dropped)}")
    if m.log_columns:
        say(f"            log-transformed: {format_names(m.log_columns)}")
    knn = f"{model.n_neighbors_} neighbours ({model.knn_method_})"
    if run.sweep is not None:
        say(
            f"  spectrum  sweep s = {', '.join(f'{s:g}' for s in run.s_values)}, "
            f"{model.loss} loss; fit at s = {run.sweep.anchor:g} ({run.fit_epochs} "
            f"epochs), then {run.sweep.n_epochs_each} epochs per position, "
            f"warm-started; {knn}"
        )
    else:
        say(
            f"  spectrum  s = {float(model.s_):g}, {model.loss} loss, "
            f"{run.fit_epochs} epochs, {knn}"
        )
    say(f"  device    {model.device_} ({model.backend_}), seed {model.seed_}")
    t = model.timings_
    say(
        f"  time      {elapsed:.2f} s (kNN {t['knn']:.2f}, init {t['init']:.2f}, "
        f"optimise {t['optimize']:.2f})"
    )
    if run.label_note:
        say(f"  note      {run.label_note}")
    for i, s in enumerate(run.s_values):
        if i in run.reports:
            head = f"s = {s:g}: " if run.sweep is not None else ""
            say(f"  quality   {head}{format_quality(run.reports[i])}")
    for line in summary_lines(run):
        say(f"  {line}")
    for line in run.findings:
        say(f"  classes   {line}")
    for path, names in run.written:
        cols = f" (columns {', '.join(names)})" if names else ""
        say(f"  wrote     {path}{cols} + {sidecar_path(path).name}")
    if run.model_path is not None:
        say(f"  wrote     {run.model_path} + {sidecar_path(run.model_path).name}")
    if plot:
        say(f"  wrote     {plot}")


# ------------------------------------------------------------------ entry
def run_embed(
    args: argparse.Namespace,
    load: Callable[[], Loaded] | None = None,
    command: str = "embed",
) -> int:
    """Run ``napari-cne embed``; return the exit status.

    User errors (bad options, unreadable input, unknown columns, invalid
    parameters) print one ``napari-cne: error: ...`` line on stderr and
    return :data:`~napari_cne.cli.EXIT_USAGE`; a failed run (diverged
    optimisation, output not writable) returns
    :data:`~napari_cne.cli.EXIT_FAILED`; anything else is a bug and raises
    (``--traceback`` re-raises every error).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``embed`` (or ``embed-images``) options.
    load : callable, optional
        Returns the :class:`Loaded` table to embed (default: read
        ``args.input``); ``embed-images`` measures its folder here.
    command : str
        The subcommand, as the summary names it.
    """
    return run_with_messages(args, lambda a, say: _embed(a, say, load, command))


def embed_command(args: argparse.Namespace) -> int:
    """``embed`` as the command line runs it: a progress bar on a terminal."""
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_embed(args)
