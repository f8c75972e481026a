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
feature matrix (:mod:`.columns`), the fit with a tqdm bar over the epochs (and
the warm-started sweep chain), the quality readout, the outputs with their
provenance (:mod:`.files`), the saved model (``--save-model``, :mod:`.models`),
the plot and the summary. Qt- and napari-free.
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

from ..render.plot import plot_embeddings
from .columns import Features, check_known, choose_features, format_names, labels_of
from .errors import EXIT_OK, RunError, UsageError, cannot_write, run_with_messages
from .files import (
    check_paths,
    read_input,
    sha256,
    sidecar_path,
    sweep_path,
    write_embedding,
    write_json,
)
from .fitting import Progress, engine_params, fit_model
from .models import check_model_path, save_fitted

__all__ = ["QUALITY_K", "QUALITY_MAX_POINTS", "Loaded", "embed_command", "run_embed"]

#: Neighbourhood size of the quality readout.
QUALITY_K = 15
#: Query points of the quality readout.
QUALITY_MAX_POINTS = 5000


# -------------------------------------------------------------------- fitting
def _optimise(model, feats: Features, sweep, sweep_epochs: int, progress):
    """Fit (and walk the sweep chain); return ``(layouts, fit_epochs)``."""
    from ..engine.sweep import iter_spectrum_sweep

    layouts: dict[int, np.ndarray] = {}
    try:
        if sweep:
            fit_model(model, feats.X, progress, extra_epochs=sweep_epochs * len(sweep))
            fit_epochs = model.n_epochs_
            for i, snap in iter_spectrum_sweep(model, sweep, n_epochs=sweep_epochs):
                layouts[i] = snap.embedding
                progress.update_to(model.n_epochs_)
        else:
            fit_model(model, feats.X, progress)
            fit_epochs = model.n_epochs_
            layouts[0] = model.embedding_
    except FloatingPointError as err:
        raise RunError(str(err)) from None
    finally:
        progress.close()
    return layouts, fit_epochs


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
        The input kind a saved model records (:data:`.models.KINDS`).
    model_info : dict
        Added to a saved model's ``extra``.
    """

    table: pd.DataFrame
    sha256: str | None = None
    notes: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)
    kind: str = "table"
    model_info: dict = field(default_factory=dict)


def _read(inp: Path) -> Loaded:
    """Read the ``embed`` input: one table file."""
    return Loaded(read_input(inp), sha256=sha256(inp))


@dataclass
class _Run:
    """Everything one ``embed`` run produced, for the outputs and the summary."""

    inp: Path
    table: pd.DataFrame
    feats: Features
    model: object
    s_values: list[float]
    layouts: dict[int, np.ndarray]
    fit_epochs: int
    sweep_epochs: int | None  # None: no sweep
    reports: dict[int, dict] = field(default_factory=dict)
    label_note: str | None = None
    input_sha256: str | None = None
    written: list[tuple[Path, list[str] | None]] = field(default_factory=list)
    command: str = "embed"
    notes: list[str] = field(default_factory=list)
    record: dict = field(default_factory=dict)
    model_path: Path | None = None

    @property
    def n_rows(self) -> int:
        return len(self.table)

    @property
    def n_kept(self) -> int:
        return int(self.feats.kept.sum())


def _record(run: _Run, i: int, path: Path, names, args, elapsed: float) -> dict:
    """Return the provenance written beside output ``i``."""
    from ..engine.provenance import provenance

    model = run.model
    extra = {
        "command": ["napari-cne", *getattr(args, "_argv", [])],
        "input_sha256": run.input_sha256,
        "rows": {
            "input": run.n_rows,
            "embedded": run.n_kept,
            "left_out": run.n_rows - run.n_kept,
            "left_out_rows": np.flatnonzero(~run.feats.kept)[:1000],
        },
        "standardize": not args.no_standardize,
        "log_columns": run.feats.log_columns,
        "dropped_constant_columns": run.feats.dropped_constant,
        "labels_column": args.labels,
        "output": str(path),
        "output_columns": names,
        "quality": run.reports.get(i),
        "saved_model": None if run.model_path is None else str(run.model_path),
        **run.record,
    }
    if run.sweep_epochs is not None:
        extra["sweep"] = {
            "s": run.s_values[i],
            "s_values": run.s_values,
            "anchor_s": float(model.s),
            "fit_epochs": run.fit_epochs,
            "n_epochs_each": run.sweep_epochs,
            "warm_started": True,
        }
    record = provenance(
        model,
        inputs=[str(run.inp)],
        columns=run.feats.used,
        elapsed=elapsed,
        extra=extra,
    )
    if run.sweep_epochs is not None:
        # the model ends at the last position of the chain, not at this one
        record["resolved"]["s_"] = run.s_values[i]
        for key in ("z_bar_", "nu_", "rho_", "z_"):
            record["resolved"].pop(key, None)
    return record


def _features(table: pd.DataFrame, args: argparse.Namespace):
    """Return ``(features, labels, label_note)`` of the input table."""
    labels_option = getattr(args, "labels_option", "--labels")
    for option, name in (("color_by", "color-by"), ("labels", labels_option[2:])):
        if getattr(args, option) is not None:
            check_known(table, [getattr(args, option)], name)
    feats = choose_features(
        table,
        args.columns,
        args.exclude_columns,
        args.log_columns,
        standardize=not args.no_standardize,
    )
    labels, label_note = labels_of(table, args.labels, feats.kept)
    if args.labels in feats.used:
        warnings.warn(
            f"the {labels_option} column {args.labels!r} is also a feature, which "
            "inflates the k-NN accuracy; leave it out with --exclude-columns",
            UserWarning,
            stacklevel=1,
        )
    return feats, labels, label_note


def _quality(run: _Run, labels) -> None:
    """Add the quality readout of every layout to ``run.reports``."""
    from ..engine.metrics import quality_report

    for i, Y in run.layouts.items():
        run.reports[i] = quality_report(
            run.feats.X,
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
    for i, path in enumerate(map(Path, outputs)):
        names = write_embedding(path, run.table, run.layouts[i], run.feats.kept)
        write_json(sidecar_path(path), _record(run, i, path, names, args, elapsed))
        run.written.append((path, names))


def _plot(run: _Run, args: argparse.Namespace) -> None:
    """Write the ``--plot`` figure: one panel per layout."""
    colour = None
    if args.color_by is not None:
        colour = run.table[args.color_by][run.feats.kept].reset_index(drop=True)
    sweep = run.sweep_epochs is not None
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
    if args.color_by is not None and args.plot is None:
        raise UsageError("--color-by needs --plot")
    if args.save_model is not None and args.sweep:
        raise UsageError(
            "--save-model saves one fit; it does not go with --sweep (save the "
            "fit at one --s instead)"
        )


def _embed(args: argparse.Namespace, say, load, command: str) -> int:
    from ..engine.estimator import ContrastiveEmbedding

    t_start = time.perf_counter()
    _check_options(args)
    params = engine_params(args)
    inp = Path(args.input)
    loaded = _read(inp) if load is None else load()
    feats, labels, label_note = _features(loaded.table, args)
    sweep = args.sweep
    if sweep:  # anchor as spectrum_sweep: the value closest to 1
        params["s"] = sweep[int(np.argmin(np.abs(np.asarray(sweep) - 1.0)))]
        if args.s is not None and not args.quiet:
            print(f"napari-cne: note: --s {args.s:g} is ignored with --sweep",
                  file=sys.stderr)  # fmt: skip
    model = ContrastiveEmbedding(**params)
    progress = Progress(args.progress and not args.quiet)
    layouts, fit_epochs = _optimise(model, feats, sweep, args.sweep_epochs, progress)
    run = _Run(
        inp=inp,
        table=loaded.table,
        feats=feats,
        model=model,
        s_values=list(sweep) if sweep else [float(model.s_)],
        layouts=layouts,
        fit_epochs=fit_epochs,
        sweep_epochs=int(args.sweep_epochs) if sweep else None,
        label_note=label_note,
        input_sha256=loaded.sha256,
        command=command,
        notes=loaded.notes,
        record=loaded.record,
    )
    if not args.no_quality:
        _quality(run, labels)
    if args.save_model is not None:
        run.model_path = save_fitted(
            args.save_model, model, feats.scaling, loaded.kind,
            input=str(inp), **loaded.model_info,
        )  # fmt: skip
    _write_outputs(run, args, time.perf_counter() - t_start)
    if args.plot is not None:
        _plot(run, args)
    _summary(run, time.perf_counter() - t_start, args.plot, say)
    return EXIT_OK


# ------------------------------------------------------------------ summary
def _summary(run: _Run, elapsed: float, plot: str | None, say) -> None:
    from ..engine.metrics import format_quality

    model, feats = run.model, run.feats
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
    say(f"  columns   {len(feats.used)} used: {format_names(feats.used)}")
    if feats.dropped_constant:
        say(f"            dropped as constant: {format_names(feats.dropped_constant)}")
    if feats.log_columns:
        say(f"            log-transformed: {format_names(feats.log_columns)}")
    knn = f"{model.n_neighbors_} neighbours ({model.knn_method_})"
    if run.sweep_epochs is not None:
        say(
            f"  spectrum  sweep s = {', '.join(f'{s:g}' for s in run.s_values)}, "
            f"{model.loss} loss; fit at s = {float(model.s):g} ({run.fit_epochs} "
            f"epochs), then {run.sweep_epochs} epochs per position, "
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
            head = f"s = {s:g}: " if run.sweep_epochs is not None else ""
            say(f"  quality   {head}{format_quality(run.reports[i])}")
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
