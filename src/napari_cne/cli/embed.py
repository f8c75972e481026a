"""``napari-cne embed``: embed a table or an array file from the command line.

Reads what :func:`napari_cne.features.read_table` reads (``.csv``,
``.tsv``, ``.txt``, optionally compressed, ``.parquet``, ``.npy``); writes
``.npy`` (the embedding only) or ``.csv``/``.tsv`` (the input table plus the
coordinate columns), a JSON provenance sidecar ``<output>.json`` and, on
request, a plot. See ``docs/cli.md`` for every option, the output naming and
the exit codes.

Qt- and napari-free: nothing here imports the GUI.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import re
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import default_columns, is_numeric, output_columns
from ..render.plot import plot_embeddings

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_embed_parser",
    "normalize_argv",
    "run_embed",
    "sidecar_path",
    "sweep_path",
]

#: Exit status: success.
EXIT_OK = 0
#: Exit status: the run failed (optimisation diverged, output not writable).
EXIT_FAILED = 1
#: Exit status: bad command line, unreadable or unusable input, bad parameters.
EXIT_USAGE = 2
#: Exit status: interrupted with Ctrl-C.
EXIT_INTERRUPTED = 130

#: Neighbourhood size of the quality readout.
QUALITY_K = 15
#: Query points of the quality readout.
QUALITY_MAX_POINTS = 5000
#: Epochs per position of a sweep (as :func:`napari_cne.spectrum_sweep`).
SWEEP_EPOCHS = 100

_TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")
_INPUT_KINDS = ".csv, .tsv, .txt, .parquet or .npy"
_OUTPUT_KINDS = ".npy, .csv or .tsv"


class UsageError(ValueError):
    """Bad command line or input: reported in one line, exit status 2."""


class RunError(RuntimeError):
    """The run itself failed: reported in one line, exit status 1."""


# ----------------------------------------------------------------- file names
def _suffix(path: Path) -> tuple[str, str]:
    """Return ``(kind, full_suffix)``: ``("csv", ".csv.gz")`` for ``a.csv.gz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSION:
        return suffixes[-2].lstrip("."), "".join(path.suffixes[-2:])
    if suffixes:
        return suffixes[-1].lstrip("."), path.suffixes[-1]
    return "", ""


def sweep_path(output: str | Path, s: float) -> Path:
    """Output file of one spectrum position of a sweep.

    ``out.csv`` and ``s = -1, 0.5`` give ``out_s-1.csv`` and
    ``out_s0.5.csv``: ``_s`` and the value in Python's shortest ``g``
    format are inserted before the (possibly compressed) suffix.
    """
    output = Path(output)
    _, suffix = _suffix(output)
    stem = output.name[: len(output.name) - len(suffix)] if suffix else output.name
    return output.with_name(f"{stem}_s{float(s):g}{suffix}")


def sidecar_path(output: str | Path) -> Path:
    """Provenance file written beside ``output``: ``out.csv`` -> ``out.csv.json``."""
    output = Path(output)
    return output.with_name(output.name + ".json")


# ---------------------------------------------------------------------- input
def _read_input(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read an input file into a table (the one place that reads inputs).

    :func:`napari_cne.features.read_table` does the reading (``.csv``,
    ``.tsv``/``.tab``, ``.txt``, optionally compressed, ``.parquet``,
    ``.npy`` with columns ``f0``, ``f1``, ...); this adds the command line's
    one-line messages.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UsageError
        For an unsupported suffix or content that cannot be read as a table
        (also a ``.parquet`` file without pyarrow: the message says so).
    """
    from ..features import read_table

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"input file {str(path)!r} not found")
    if _suffix(path)[0] == "npy" and path.is_file():
        with path.open("rb") as fh:
            if fh.read(6) != b"\x93NUMPY":
                raise UsageError(
                    f"{path.name!r} is not a .npy file (no NumPy header); save "
                    "arrays with numpy.save"
                )
    try:
        table = read_table(path, columns)
    except (ImportError, ValueError, OSError) as err:
        msg = _first_line(err)
        if path.name not in msg:
            msg = f"cannot read {path.name!r}: {msg}"
        raise UsageError(msg) from None
    table.columns = [str(c) for c in table.columns]
    return table


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def _names(values: Sequence[str], limit: int = 8, quote: bool = False) -> str:
    values = [repr(str(v)) if quote else str(v) for v in values]
    if len(values) <= limit:
        return ", ".join(values)
    return ", ".join(values[:limit]) + f", ... (+{len(values) - limit} more)"


def _check_known(table: pd.DataFrame, names: Sequence[str], option: str) -> None:
    unknown = [c for c in names if c not in table.columns]
    if unknown:
        raise UsageError(
            f"--{option}: unknown column(s) {_names(unknown, quote=True)}; "
            f"the input has {_names(list(table.columns), 12)}"
        )


def _split(values: Sequence[str] | None) -> list[str] | None:
    """Flatten repeated, comma-separated option values."""
    if values is None:
        return None
    out = [v.strip() for item in values for v in item.split(",")]
    return [v for v in out if v]


@dataclass
class _Features:
    """The matrix that gets embedded and how it was made."""

    X: np.ndarray
    kept: np.ndarray
    used: list[str]
    chosen: list[str]
    log_columns: list[str] = field(default_factory=list)

    @property
    def dropped_constant(self) -> list[str]:
        return [c for c in self.chosen if c not in self.used]


def _features(table: pd.DataFrame, args: argparse.Namespace) -> _Features:
    from ..features import feature_matrix

    columns = _split(args.columns)
    exclude = _split(args.exclude_columns) or []
    logs = _split(args.log_columns) or []
    if columns is not None:
        _check_known(table, columns, "columns")
    _check_known(table, exclude, "exclude-columns")
    _check_known(table, logs, "log-columns")
    chosen = default_columns(table) if columns is None else list(columns)
    chosen = [c for c in chosen if c not in set(exclude)]
    if not chosen:
        numeric = [c for c in table.columns if is_numeric(table[c])]
        raise UsageError(
            "no feature columns to embed"
            + (
                f" (numeric columns: {_names(numeric)}; choose with --columns)"
                if numeric
                else ": the input has no numeric columns"
            )
        )
    bad = [c for c in chosen if not is_numeric(table[c])]
    if bad:
        raise UsageError(
            f"--columns: column(s) {_names(bad, quote=True)} are not numeric"
        )
    not_used = [c for c in logs if c not in chosen]
    if not_used:
        raise UsageError(
            f"--log-columns: {_names(not_used, quote=True)} not among the feature "
            "columns"
        )
    X, kept, used = feature_matrix(
        table, chosen, standardize=not args.no_standardize, log=logs
    )
    return _Features(X, kept, used, chosen, logs)


# ----------------------------------------------------------------- parameters
def _n_epochs(text: str):
    if text == "auto":
        return "auto"
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or 'auto'; got {text!r}"
        ) from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {v}")
    return v


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer; got {text!r}"
        ) from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {v}")
    return v


def _seed(text: str):
    if text.lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer or 'none'; got {text!r}"
        ) from None


def _finite_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not np.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number; got {text!r}")
    return v


def _s_list(text: str) -> list[float]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("expected comma-separated numbers")
    values = [_finite_float(p) for p in parts]
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"repeated spectrum positions in {text!r}")
    return values


#: CLI option -> ContrastiveEmbedding parameter (explicit flags only).
_FLAG_PARAMS = {
    "s": "s",
    "loss": "loss",
    "n_neighbors": "n_neighbors",
    "n_epochs": "n_epochs",
    "metric": "metric",
    "seed": "random_state",
    "device": "device",
}


def _params(args: argparse.Namespace) -> dict:
    """Engine defaults < CLI defaults (seed 0) < ``--params`` < explicit flags."""
    from ..engine.provenance import load_params

    params: dict = {"random_state": 0}
    if args.params is not None:
        p = Path(args.params)
        if not p.is_file():
            raise FileNotFoundError(f"parameter file {str(p)!r} not found")
        params.update(load_params(p))
    for flag, name in _FLAG_PARAMS.items():
        value = getattr(args, flag)
        if value is not None:
            params[name] = value
    params.pop("callbacks", None)
    params.pop("verbose", None)
    _check_device(params.get("device", "auto"))
    return params


def _check_device(device) -> None:
    """Reject a CUDA device that is not there before any work is done."""
    text = str(device)
    if not text.startswith("cuda"):
        return
    import torch

    if not torch.cuda.is_available():
        raise UsageError(
            f"--device {text}: CUDA is not available on this machine (use cpu)"
        )
    try:
        index = torch.device(text).index
    except RuntimeError as err:
        raise UsageError(f"--device {text!r}: {_first_line(err)}") from None
    if index is not None and index >= torch.cuda.device_count():
        raise UsageError(
            f"--device {text}: this machine has {torch.cuda.device_count()} CUDA "
            "device(s)"
        )


# -------------------------------------------------------------------- running
class _Progress:
    """A tqdm bar over optimisation epochs, or nothing."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                total=None,
                desc="kNN graph",
                unit="epoch",
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=False,
            )

    def set_total(self, total: int, desc: str = "optimising") -> None:
        if self.bar is not None and self.bar.total != total:
            self.bar.total = total
            self.bar.set_description(desc, refresh=False)
            self.bar.refresh()

    def update_to(self, done: int) -> None:
        if self.bar is not None and done > self.bar.n:
            self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.refresh()  # the final count, whatever mininterval skipped
            self.bar.close()
            self.bar = None


def _fit(model, X: np.ndarray, progress: _Progress, extra_epochs: int = 0) -> None:
    if progress.bar is None:
        model.fit(X)
        return
    for snap in model.iter_fit(X, every=1, min_interval=0.1):
        progress.set_total(snap.n_epochs + extra_epochs)
        progress.update_to(snap.total_epochs)


@contextlib.contextmanager
def _warnings_to_stderr(quiet: bool) -> Iterator[None]:
    """Show warnings as ``napari-cne: warning: ...`` lines (none with quiet)."""

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"napari-cne: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        if quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")
            warnings.showwarning = show
        yield


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _labels_of(table: pd.DataFrame, column: str | None, kept: np.ndarray):
    """Class labels of the embedded rows, or ``None`` (with the reason)."""
    if column is None:
        return None, None
    values = table[column].to_numpy()[kept]
    missing = pd.isna(values)
    if missing.any():
        return None, (
            f"--labels {column!r} has {int(missing.sum())} missing values among "
            "the embedded rows; no k-NN accuracy"
        )
    return values, None


# -------------------------------------------------------------------- writing
def _embedding_table(
    table: pd.DataFrame, Y: np.ndarray, kept: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    names = output_columns(table.columns, Y.shape[1])
    out = table.copy()
    # float32 values written with their shortest representation
    clean = Y.astype(str).astype(np.float64)
    for j, name in enumerate(names):
        col = np.full(len(table), np.nan)
        col[kept] = clean[:, j]
        out[name] = col
    return out, names


def _write(
    path: Path, table: pd.DataFrame, Y: np.ndarray, kept: np.ndarray
) -> list[str] | None:
    """Write one embedding; return the new column names (``None`` for .npy)."""
    kind, _ = _suffix(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "npy":
            full = np.full((len(table), Y.shape[1]), np.nan, dtype=np.float32)
            full[kept] = Y
            np.save(path, full)
            return None
        out, names = _embedding_table(table, Y, kept)
        out.to_csv(path, sep=_TABLE_SEPARATORS["." + kind], index=False)
        return names
    except OSError as err:
        raise RunError(
            f"cannot write {str(path)!r}: {err.strerror or _first_line(err)}"
        ) from None


def _write_json(path: Path, record: dict) -> None:
    import json

    try:
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise RunError(
            f"cannot write {str(path)!r}: {err.strerror or _first_line(err)}"
        ) from None


# ------------------------------------------------------------------- checking
def _check_paths(args: argparse.Namespace) -> None:
    """Fail on bad output names before any work is done."""
    out = Path(args.output)
    kind, _ = _suffix(out)
    if kind not in ("npy", "csv", "tsv"):
        raise UsageError(
            f"-o/--output {out.name!r}: unsupported file type "
            f"{''.join(out.suffixes) or '(no suffix)'!r}; use {_OUTPUT_KINDS}"
        )
    if out.exists() and out.is_dir():
        raise UsageError(f"-o/--output {str(out)!r} is a directory")
    inp = Path(args.input)
    targets = [sweep_path(out, s) for s in args.sweep] if args.sweep else [out]
    if inp.exists() and any(t.resolve() == inp.resolve() for t in targets):
        raise UsageError("the output would overwrite the input file; choose another")
    if args.plot is not None:
        from matplotlib.backend_bases import FigureCanvasBase

        fmt = Path(args.plot).suffix.lower().lstrip(".")
        supported = FigureCanvasBase.get_supported_filetypes()
        if fmt not in supported:
            raise UsageError(
                f"--plot {args.plot!r}: unsupported image type {fmt or '(none)'!r}; "
                "use .png (or .pdf, .svg)"
            )
    if args.color_by is not None and args.plot is None:
        raise UsageError("--color-by needs --plot")


# ------------------------------------------------------------------ the command
@dataclass
class _Run:
    """Everything one ``embed`` run produced, for the outputs and the summary."""

    inp: Path
    table: pd.DataFrame
    feats: _Features
    model: object
    s_values: list[float]
    layouts: dict[int, np.ndarray]
    fit_epochs: int
    sweep_epochs: int | None  # None: no sweep
    reports: dict[int, dict] = field(default_factory=dict)
    label_note: str | None = None
    input_sha256: str | None = None
    written: list[tuple[Path, list[str] | None]] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.table)

    @property
    def n_kept(self) -> int:
        return int(self.feats.kept.sum())


def _optimise(model, feats: _Features, sweep, sweep_epochs: int, progress):
    """Fit (and walk the sweep chain); return ``(layouts, fit_epochs)``."""
    from ..engine.sweep import iter_spectrum_sweep

    layouts: dict[int, np.ndarray] = {}
    try:
        if sweep:
            _fit(model, feats.X, progress, extra_epochs=sweep_epochs * len(sweep))
            fit_epochs = model.n_epochs_
            for i, snap in iter_spectrum_sweep(model, sweep, n_epochs=sweep_epochs):
                layouts[i] = snap.embedding
                progress.update_to(model.n_epochs_)
        else:
            _fit(model, feats.X, progress)
            fit_epochs = model.n_epochs_
            layouts[0] = model.embedding_
    except FloatingPointError as err:
        raise RunError(str(err)) from None
    finally:
        progress.close()
    return layouts, fit_epochs


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


def _embed(args: argparse.Namespace, say) -> int:
    from ..engine.estimator import ContrastiveEmbedding
    from ..engine.metrics import quality_report

    t_start = time.perf_counter()
    _check_paths(args)
    params = _params(args)
    inp = Path(args.input)
    table = _read_input(inp)
    for option in ("color_by", "labels"):
        if getattr(args, option) is not None:
            _check_known(table, [getattr(args, option)], option.replace("_", "-"))
    feats = _features(table, args)
    labels, label_note = _labels_of(table, args.labels, feats.kept)
    if args.labels in feats.used:
        warnings.warn(
            f"the --labels column {args.labels!r} is also a feature, which "
            "inflates the k-NN accuracy; leave it out with --exclude-columns",
            UserWarning,
            stacklevel=1,
        )

    sweep = args.sweep
    if sweep:  # anchor as spectrum_sweep: the value closest to 1
        params["s"] = sweep[int(np.argmin(np.abs(np.asarray(sweep) - 1.0)))]
        if args.s is not None and not args.quiet:
            print(f"napari-cne: note: --s {args.s:g} is ignored with --sweep",
                  file=sys.stderr)  # fmt: skip
    model = ContrastiveEmbedding(**params)
    progress = _Progress(args.progress and not args.quiet)
    layouts, fit_epochs = _optimise(model, feats, sweep, args.sweep_epochs, progress)
    run = _Run(
        inp=inp,
        table=table,
        feats=feats,
        model=model,
        s_values=list(sweep) if sweep else [float(model.s_)],
        layouts=layouts,
        fit_epochs=fit_epochs,
        sweep_epochs=int(args.sweep_epochs) if sweep else None,
        label_note=label_note,
        input_sha256=_sha256(inp),
    )
    if not args.no_quality:
        for i, Y in layouts.items():
            run.reports[i] = quality_report(
                feats.X,
                Y,
                k=QUALITY_K,
                labels=labels,
                max_points=QUALITY_MAX_POINTS,
                random_state=0,
                metric=model.metric,
            )

    outputs = [sweep_path(args.output, s) for s in sweep] if sweep else [args.output]
    elapsed = time.perf_counter() - t_start
    for i, path in enumerate(map(Path, outputs)):
        names = _write(path, table, layouts[i], feats.kept)
        _write_json(sidecar_path(path), _record(run, i, path, names, args, elapsed))
        run.written.append((path, names))

    if args.plot is not None:
        colour = None
        if args.color_by is not None:
            colour = table[args.color_by][feats.kept].reset_index(drop=True)
        panels = [
            (f"s = {s:g}" + ("" if sweep else f" ({model.loss} loss)"), layouts[i])
            for i, s in enumerate(run.s_values)
        ]
        try:
            Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
            plot_embeddings(Path(args.plot), panels, colour, f"napari-cne: {inp.name}")
        except OSError as err:
            raise RunError(
                f"cannot write {args.plot!r}: {err.strerror or _first_line(err)}"
            ) from None
    _summary(run, time.perf_counter() - t_start, args.plot, say)
    return EXIT_OK


def _summary(run: _Run, elapsed: float, plot: str | None, say) -> None:
    from ..engine.metrics import format_quality

    model, feats = run.model, run.feats
    left = run.n_rows - run.n_kept
    say(f"napari-cne embed: {run.inp.name}")
    say(
        f"  rows      {run.n_kept} of {run.n_rows} embedded"
        + (
            f" ({left} left out: missing or infinite values; NaN in the output)"
            if left
            else ""
        )
    )
    say(f"  columns   {len(feats.used)} used: {_names(feats.used)}")
    if feats.dropped_constant:
        say(f"            dropped as constant: {_names(feats.dropped_constant)}")
    if feats.log_columns:
        say(f"            log-transformed: {_names(feats.log_columns)}")
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
    say(f"  device    {model.device_} ({model.backend_}), seed {model._seed}")
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
    if plot:
        say(f"  wrote     {plot}")


def run_embed(args: argparse.Namespace) -> int:
    """Run ``napari-cne embed``; return the exit status.

    User errors (bad options, unreadable input, unknown columns, invalid
    parameters) print one ``napari-cne: error: ...`` line on stderr and
    return :data:`EXIT_USAGE`; a failed run (diverged optimisation, output
    not writable) returns :data:`EXIT_FAILED`; anything else is a bug and
    raises (``--traceback`` re-raises every error).
    """
    quiet = bool(args.quiet)

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    try:
        with _warnings_to_stderr(quiet):
            return _embed(args, say)
    except KeyboardInterrupt:
        print("napari-cne: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        if args.traceback:
            raise
        if isinstance(err, RunError):
            code = EXIT_FAILED
        elif isinstance(err, (ValueError, TypeError, FileNotFoundError, ImportError)):
            code = EXIT_USAGE
        elif isinstance(err, OSError):
            code = EXIT_FAILED
        else:
            raise
        msg = " ".join(str(err).split()) or type(err).__name__
        print(f"napari-cne: error: {msg}", file=sys.stderr)
        return code


# -------------------------------------------------------------------- parser
_EXAMPLES = """\
examples:
  napari-cne embed cells.csv -o cells_cne.csv
  napari-cne embed X.npy -o Y.npy --s 0 --n-epochs 300
  napari-cne embed cells.csv -o out.csv --columns area,DNA_mean --log-columns area
  napari-cne embed cells.csv -o out.csv --plot out.png --color-by cell_type
  napari-cne embed cells.csv -o out.csv --sweep -1,0,0.5,1,2 --plot sweep.png
  napari-cne embed cells.csv -o again.csv --params out.csv.json   # repeat a run

outputs: OUTPUT (.npy: the embedding, NaN rows for rows left out; .csv/.tsv:
the input plus cne_0, cne_1, or cne2_0 ... if those exist), OUTPUT.json
(provenance). --sweep writes OUTPUT_s<value> per position (out_s-1.csv ...).
exit status: 0 success, 1 the run failed, 2 bad usage or input, 130 Ctrl-C.
See docs/cli.md.
"""


def add_embed_parser(sub) -> argparse.ArgumentParser:
    """Add the ``embed`` subcommand to ``sub`` (an argparse subparsers object)."""
    from ..engine.losses import LOSSES
    from ..engine.neighbors import METRICS

    p = sub.add_parser(
        "embed",
        help="embed a table or array file (csv, tsv, txt, parquet, npy)",
        description="Embed the rows of INPUT in 2-D along the t-SNE (s=0) <-> "
        "UMAP (s=1) spectrum and write the coordinates to OUTPUT.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="INPUT", help=f"data file: {_INPUT_KINDS}")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT",
        help=f"result file: {_OUTPUT_KINDS}",
    )
    g = p.add_argument_group("features")
    g.add_argument(
        "--columns",
        action="append",
        metavar="A,B,...",
        help="feature columns (comma-separated, repeatable; default: numeric "
        "columns except ids such as label, index, id and earlier cne_* output)",
    )
    g.add_argument(
        "--exclude-columns",
        action="append",
        metavar="A,B,...",
        help="leave these columns out of the features",
    )
    g.add_argument(
        "--log-columns",
        action="append",
        metavar="A,B,...",
        help="transform these feature columns with log1p = ln(1 + x) before "
        "standardising (values >= 0), e.g. areas and intensities",
    )
    g.add_argument(
        "--no-standardize",
        action="store_true",
        help="do not z-score the columns (default: mean 0, std 1 each)",
    )
    e = p.add_argument_group("embedding (flags override --params)")
    e.add_argument(
        "--s",
        type=_finite_float,
        metavar="S",
        help="spectrum position: 0 t-SNE-like, 1 UMAP-like (default 1)",
    )
    e.add_argument(
        "--loss", choices=list(LOSSES), help="contrastive loss (default neg)"
    )
    e.add_argument(
        "--n-neighbors",
        type=_positive_int,
        metavar="K",
        help="neighbours in the kNN graph (default 15)",
    )
    e.add_argument(
        "--n-epochs",
        type=_n_epochs,
        metavar="N",
        help="optimisation epochs or 'auto' (default auto: 200 up to 10 000 "
        "rows, 100 above)",
    )
    e.add_argument(
        "--metric",
        choices=list(METRICS),
        help="input-space distance (default euclidean)",
    )
    e.add_argument(
        "--seed",
        type=_seed,
        metavar="SEED",
        help="random seed, or 'none' for a random one (default 0)",
    )
    e.add_argument(
        "--device", metavar="DEV", help="auto, cpu, cuda or cuda:N (default auto)"
    )
    e.add_argument(
        "--params",
        metavar="JSON",
        help="parameter set (a save_params file or an OUTPUT.json provenance)",
    )
    s = p.add_argument_group("sweep")
    s.add_argument(
        "--sweep",
        type=_s_list,
        metavar="S1,S2,...",
        help="embed at several spectrum positions, warm-started in a chain; "
        "writes one OUTPUT_s<value> file each",
    )
    s.add_argument(
        "--sweep-epochs",
        type=_positive_int,
        default=SWEEP_EPOCHS,
        metavar="N",
        help=f"epochs per sweep position (default {SWEEP_EPOCHS})",
    )
    o = p.add_argument_group("readout and output")
    o.add_argument("--plot", metavar="PNG", help="write a scatter plot")
    o.add_argument(
        "--color-by",
        metavar="COLUMN",
        help="colour the plot by this input column (numeric: colour bar; "
        "text, bool or integer with <= 20 values: legend)",
    )
    o.add_argument(
        "--labels",
        metavar="COLUMN",
        help="class column: adds 10-NN accuracy to the quality readout",
    )
    o.add_argument("--no-quality", action="store_true", help="skip the quality readout")
    o.add_argument(
        "--progress",
        action="store_true",
        default=None,
        help="show a progress bar even when stderr is not a terminal",
    )
    o.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors (no summary, warnings or progress bar)",
    )
    o.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback of an error (for bug reports)",
    )
    p.set_defaults(func=_run_from_main)
    return p


def _run_from_main(args: argparse.Namespace) -> int:
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return run_embed(args)


#: options whose value may start with "-" (negative spectrum positions)
_NUMERIC_OPTIONS = ("--s", "--sweep")
_NEGATIVE = re.compile(r"^-[0-9.]")


def normalize_argv(argv: Sequence[str]) -> list[str]:
    """Join ``--s -1`` and ``--sweep -1,0,1`` into ``--s=-1`` ``--sweep=-1,0,1``.

    argparse takes a value starting with ``-`` for an option unless it is
    one plain negative number, so ``--sweep -1,0,1`` would fail.
    """
    out: list[str] = []
    argv = list(argv)
    i = 0
    while i < len(argv):
        tok = argv[i]
        if (
            tok in _NUMERIC_OPTIONS
            and i + 1 < len(argv)
            and _NEGATIVE.match(argv[i + 1])
        ):
            out.append(f"{tok}={argv[i + 1]}")
            i += 2
            continue
        out.append(tok)
        i += 1
    return out
